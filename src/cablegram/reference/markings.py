"""Precedence, security line, classification levels, portion markings, caveats, and the
executive orders and reasons of the ``Classified By`` line."""

from __future__ import annotations

import re
from functools import lru_cache

from cablegram.model import CLASSIFICATION_ABBREVIATIONS, CLASSIFICATION_LEVELS

__all__ = [
    "CAVEATS",
    "CLASSIFICATIONS",
    "EO_REASONS",
    "EO_REASONS_BY_ORDER",
    "EXECUTIVE_ORDERS",
    "PRECEDENCE",
    "SECURITY_LINE",
    "caveat_name",
    "classification_level",
    "eo_reason",
    "eo_reasons",
    "is_caveat",
    "parse_marking",
    "precedence_name",
]

# --- precedence (ACP 127 prosigns) ---------------------------------------------------------

PRECEDENCE: dict[str, str] = {
    "Z": "FLASH",
    "O": "IMMEDIATE",
    "P": "PRIORITY",
    "R": "ROUTINE",
    "ZZ": "FLASH",
    "OO": "IMMEDIATE",
    "PP": "PRIORITY",
    "RR": "ROUTINE",
}
_PRECEDENCE_WORDS = {
    "FLASH": "FLASH",
    "IMMEDIATE": "IMMEDIATE",
    "IMMED": "IMMEDIATE",
    "PRIORITY": "PRIORITY",
    "ROUTINE": "ROUTINE",
    "NIACT": "NIACT IMMEDIATE",
}


def precedence_name(prosign: str) -> str:
    """``OO``/``O`` -> ``IMMEDIATE``; ``NIACT IMMEDIATE`` stays; '' when unknown.

    Accepts a prosign (``Z``..``RR``), a precedence word, or the start of a header line
    (``O R 181205Z`` -> the first, action, precedence: ``IMMEDIATE``).
    """
    if not prosign:
        return ""
    words = prosign.upper().replace(".", " ").split()
    if not words:
        return ""
    if words[0] in PRECEDENCE:
        return PRECEDENCE[words[0]]
    if words[0] == "NIACT":
        return "NIACT IMMEDIATE"
    return _PRECEDENCE_WORDS.get(words[0], "")


# --- security line (ZNY xxxxx) ---------------------------------------------------------------

SECURITY_LINE: dict[str, str] = {
    "UUUUU": "UNCLASSIFIED",
    "EEEEE": "UNCLASSIFIED",  # unclassified EFTO (encrypted for transmission only)
    "CCCCC": "CONFIDENTIAL",
    "SSSSS": "SECRET",
    "TTTTT": "TOP SECRET",
}

# --- classification levels -----------------------------------------------------------------

CLASSIFICATIONS: tuple[str, ...] = CLASSIFICATION_LEVELS

# The scale is model.CLASSIFICATION_LEVELS / _ABBREVIATIONS; the names are tried highest
# first (so TOP SECRET is not read as SECRET), then the spellings banners also use.
_LEVEL_NAMES: tuple[tuple[str, int], ...] = (
    *sorted(((name, level) for level, name in enumerate(CLASSIFICATION_LEVELS)),
            key=lambda x: -x[1]),
    ("UNCLAS", 0),
)  # fmt: skip
_LEVEL_ABBREVIATIONS = {
    **{abbr: level for level, abbr in enumerate(CLASSIFICATION_ABBREVIATIONS)},
    "UNCLAS": 0,
    "UNCLASSIFIED": 0,
    "CONF": 3,
}
_EXACT_LEVELS = {**dict(_LEVEL_NAMES), **_LEVEL_ABBREVIATIONS}
_SPACED_WORD = re.compile(r"\b(?:[A-Z] ){2,}[A-Z]\b")


def _unspace(s: str) -> str:
    """``C O N F I D E N T I A L`` -> ``CONFIDENTIAL`` (banner letter-spacing)."""
    return _SPACED_WORD.sub(lambda m: m[0].replace(" ", ""), s)


def _level_of(part: str) -> int:
    p = _unspace(" ".join(part.upper().split()))
    if not p:
        return -1
    if p in _LEVEL_ABBREVIATIONS:
        return _LEVEL_ABBREVIATIONS[p]
    for name, level in _LEVEL_NAMES:
        if p == name or p.startswith(name + " "):
            return level
    if p in ("FOUO", "EFTO"):
        return 0
    return -1


@lru_cache(maxsize=4096)
def classification_level(name_or_abbrev: str) -> int:
    """0..5 (index in :data:`CLASSIFICATIONS`) of a classification name or abbreviation.

    ``UNCLASSIFIED``/``U`` -> 0, ``LIMITED OFFICIAL USE``/``LOU`` -> 1, ``SENSITIVE BUT
    UNCLASSIFIED``/``SBU`` -> 2, ``CONFIDENTIAL``/``C`` -> 3, ``SECRET``/``S`` -> 4,
    ``TOP SECRET``/``TS`` -> 5. ``SECRET//NOFORN`` and ``S/NF`` give the level of the part
    before the slash. -1 when unknown.
    """
    if not name_or_abbrev:
        return -1
    s = name_or_abbrev.strip().strip("()[]").strip()
    head = re.split(r"/+", s, maxsplit=1)[0]
    return _level_of(head)


# --- caveats -----------------------------------------------------------------------------

CAVEATS: frozenset[str] = frozenset(
    {
        "SIPDIS",
        "NOFORN",
        "NODIS",
        "EXDIS",
        "LIMDIS",
        "STADIS",
        "ROGER",
        "ROGER CHANNEL",
        "SENSITIVE",
        "SBU",
        "FOUO",
        "ORCON",
        "NOCONTRACT",
        "PROPIN",
        "REL",
        "RELIDO",
        "EFTO",
        "CHEROKEE",
        "NOT FOR INTERNET DISTRIBUTION",
        "DISSENT CHANNEL",
        "MED CHANNEL",
        "EYES ONLY",
        "WNINTEL",
        "IMCON",
        "FGI",
        "LES",
        "SI",
        "TK",
        "HCS",
        "SPECAT",
    }
)
# Abbreviations of portion markings and long forms of banner caveats.
_CAVEAT_ALIASES = {
    "NF": "NOFORN",
    "NOFOR": "NOFORN",
    "NOT RELEASABLE TO FOREIGN NATIONALS": "NOFORN",
    "OC": "ORCON",
    "PR": "PROPIN",
    "NC": "NOCONTRACT",
    "ROGER CHANNEL": "ROGER CHANNEL",
    "NO DISTRIBUTION": "NODIS",
    "EXCLUSIVE DISTRIBUTION": "EXDIS",
    "LIMITED DISTRIBUTION": "LIMDIS",
    "SENSITIVE BUT UNCLASSIFIED": "SBU",
    "FOR OFFICIAL USE ONLY": "FOUO",
    "LAW ENFORCEMENT SENSITIVE": "LES",
    "ENCRYPT FOR TRANSMISSION ONLY": "EFTO",
    "E F T O": "EFTO",
}
_REL = re.compile(r"^REL(?:\s+TO)?\b\s*(.*)$")


def caveat_name(text: str) -> str:
    """Canonical spelling of a handling caveat (``NF`` -> ``NOFORN``, ``REL TO UK`` ->
    ``REL TO UK``); '' if ``text`` is not a caveat."""
    s = " ".join(text.upper().split())
    if not s:
        return ""
    if s in _CAVEAT_ALIASES:
        return _CAVEAT_ALIASES[s]
    if s in CAVEATS:
        return s
    if _REL.match(s):
        return s
    return ""


def is_caveat(text: str) -> bool:
    """True for a handling caveat: any of :data:`CAVEATS`, their abbreviations, ``REL ...``."""
    return bool(caveat_name(text))


# --- portion markings ----------------------------------------------------------------------


@lru_cache(maxsize=4096)
def parse_marking(marking: str) -> tuple[int, tuple[str, ...]]:
    """Portion marking -> (level, caveats).

    ``C`` -> (3, ()); ``S/NF`` and ``S//NF`` -> (4, ('NOFORN',)); ``SBU`` -> (2, ());
    ``C/REL UK`` -> (3, ('REL UK',)); ``TS/SI`` -> (5, ('SI',)); ``FOUO`` -> (0, ('FOUO',));
    ``U//FOUO`` -> (0, ('FOUO',)); '' -> (-1, ()). Parentheses are allowed: ``(S/NF)``.
    """
    s = " ".join(marking.upper().split()).strip("()[] ").strip()
    if not s:
        return -1, ()
    parts = [p.strip() for p in re.split(r"\s*/+\s*", s) if p.strip()]
    if not parts:
        return -1, ()
    head = _unspace(parts[0])
    level = _level_of(head)
    rest = parts[1:]
    if head in ("FOUO", "EFTO"):
        rest = parts  # an unclassified marking that is itself a caveat
    elif level < 0 and caveat_name(head):
        rest = parts  # a caveat alone ("NF")
    elif " " in head and head not in _EXACT_LEVELS:
        # "SECRET NOFORN": a level and a caveat written without a slash
        words = head.split()
        for i in range(len(words) - 1, 0, -1):
            lv = _EXACT_LEVELS.get(" ".join(words[:i]), -1)
            if lv >= 0 and caveat_name(" ".join(words[i:])):
                level, rest = lv, [" ".join(words[i:]), *rest]
                break
    caveats: list[str] = []
    for p in rest:
        name = caveat_name(p) or p
        if name not in caveats:
            caveats.append(name)
    if level < 0 and not caveats:
        return -1, ()
    return level, tuple(caveats)


# --- executive orders and reasons ------------------------------------------------------------

EXECUTIVE_ORDERS: dict[str, str] = {
    "10501": "E.O. 10501 (1953)",
    "11652": "E.O. 11652 (1972)",
    "12065": "E.O. 12065 (1978)",
    "12356": "E.O. 12356 (1982)",
    "12958": "E.O. 12958 (1995, amended 2003)",
    "13292": "E.O. 13292 (2003, amending E.O. 12958)",
    "13526": "E.O. 13526 (2009, in force 2010)",
}

# Classification categories, by order. Texts as in the orders' sections 1.4 / 1.5 / 1.3(a).
_EO_13526 = {
    "1.4(a)": "military plans, weapons systems, or operations",
    "1.4(b)": "foreign government information",
    "1.4(c)": "intelligence activities (including covert action), intelligence sources or "
    "methods, or cryptology",
    "1.4(d)": "foreign relations or foreign activities of the United States, including "
    "confidential sources",
    "1.4(e)": "scientific, technological, or economic matters relating to the national security",
    "1.4(f)": "United States Government programs for safeguarding nuclear materials or facilities",
    "1.4(g)": "vulnerabilities or capabilities of systems, installations, infrastructures, "
    "projects, plans, or protection services relating to the national security",
    "1.4(h)": "the development, production, or use of weapons of mass destruction",
}
_EO_12958_AMENDED = {
    "1.4(a)": "military plans, weapons systems, or operations",
    "1.4(b)": "foreign government information",
    "1.4(c)": "intelligence activities (including special activities), intelligence sources "
    "or methods, or cryptology",
    "1.4(d)": "foreign relations or foreign activities of the United States, including "
    "confidential sources",
    "1.4(e)": "scientific, technological, or economic matters relating to the national "
    "security, which includes defense against transnational terrorism",
    "1.4(f)": "United States Government programs for safeguarding nuclear materials or facilities",
    "1.4(g)": "vulnerabilities or capabilities of systems, installations, infrastructures, "
    "projects, plans, or protection services relating to the national security, which "
    "includes defense against transnational terrorism",
    "1.4(h)": "weapons of mass destruction",
}
_EO_12958_ORIGINAL = {
    "1.5(a)": "military plans, weapons systems, or operations",
    "1.5(b)": "foreign government information",
    "1.5(c)": "intelligence activities (including special activities), intelligence sources "
    "or methods, or cryptology",
    "1.5(d)": "foreign relations or foreign activities of the United States, including "
    "confidential sources",
    "1.5(e)": "scientific, technological, or economic matters relating to the national security",
    "1.5(f)": "United States Government programs for safeguarding nuclear materials or facilities",
    "1.5(g)": "vulnerabilities or capabilities of systems, installations, projects or plans "
    "relating to the national security",
}
_EO_12356 = {
    "1.3(a)(1)": "military plans, weapons, or operations",
    "1.3(a)(2)": "the vulnerabilities or capabilities of systems, installations, projects, or "
    "plans relating to the national security",
    "1.3(a)(3)": "foreign government information",
    "1.3(a)(4)": "intelligence activities (including special activities), or intelligence "
    "sources or methods",
    "1.3(a)(5)": "foreign relations or foreign activities of the United States",
    "1.3(a)(6)": "scientific, technological, or economic matters relating to the national security",
    "1.3(a)(7)": "United States Government programs for safeguarding nuclear materials or "
    "facilities",
    "1.3(a)(8)": "cryptology",
    "1.3(a)(9)": "a confidential source",
    "1.3(a)(10)": "other categories of information that are related to the national security "
    "and that require protection against unauthorized disclosure as determined by the "
    "President or by agency heads",
}
EO_REASONS_BY_ORDER: dict[str, dict[str, str]] = {
    "13526": _EO_13526,
    "12958": _EO_12958_AMENDED,
    "12958-1995": _EO_12958_ORIGINAL,
    "12356": _EO_12356,
}
# The reasons as cables cite them: 1.4(a)-(h) with the wording of E.O. 13526 (the 2003
# text of E.O. 12958 is in EO_REASONS_BY_ORDER["12958"]), 1.5(a)-(g) of E.O. 12958 as
# issued in 1995, and 1.3(a)(1)-(10) of E.O. 12356.
EO_REASONS: dict[str, str] = {**_EO_13526, **_EO_12958_ORIGINAL, **_EO_12356}

_REASON = re.compile(
    r"^\s*(1)\s*[.,]?\s*([345])\s*\.?\s*\(?\s*([A-Ha-h])\s*\)?\s*(?:\(\s*(\d{1,2})\s*\))?\s*[.;,]?\s*$"
)


def _reason_key(code: str) -> str:
    m = _REASON.match(code)
    if not m:
        return ""
    section = f"{m[1]}.{m[2]}({m[3].lower()})"
    if m[4]:
        section += f"({int(m[4])})"
    return section


def eo_reason(code: str, order: str = "") -> str:
    """Text of a classification reason: ``1.4(b)`` -> ``foreign government information``.

    Spellings are normalised (``1.4 (B)``, ``1.4B``, ``1.5 (D)``). With ``order``
    (``13526``, ``12958``, ``12958-1995``, ``12356``) the wording of that order is used.
    '' when unknown.
    """
    if not code:
        return ""
    key = _reason_key(code)
    if not key:
        return ""
    table = EO_REASONS_BY_ORDER.get(order, EO_REASONS) if order else EO_REASONS
    return table.get(key, "")


_REASONS_IN_TEXT = re.compile(
    r"\b1\s*[.,]\s*([345])\s*\.?\s*((?:[\s(),&/]*(?:AND\b|OR\b)?[\s(),&/]*[A-H]\b\)?)+)", re.I
)


def eo_reasons(text: str) -> list[str]:
    """All reasons cited in a ``Reason(s):`` text, normalised: ``1.4 (b, d)`` and
    ``1.4(B) AND (D)`` -> ``['1.4(b)', '1.4(d)']``; ``1.5 (B) AND (D)`` -> 1.5 keys."""
    out: list[str] = []
    for m in _REASONS_IN_TEXT.finditer(text or ""):
        for letter in re.findall(r"\b([A-Ha-h])\b", m[2]):
            key = f"1.{m[1]}({letter.lower()})"
            if key not in out:
                out.append(key)
    return out
