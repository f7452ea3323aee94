"""Sending posts: routing indicators, origin codes and archive-style post names.

Three spellings of one post meet in a cable:

- the *origin code* of the reference id: ``BAKU``, ``SANJOSE``, ``USUNNEWYORK``, ``STATE``;
- the *FM-line text* (also addressee text and ``route2name.csv`` names):
  ``AMEMBASSY BAKU``, ``USMISSION USUN NEW YORK``, ``SECSTATE WASHDC``;
- the *archive name* of the cablegate table: ``Embassy Baku``, ``USUN New York``.

Names come from ``data/posts.csv`` (the archive's own names, as seen in the dev corpus)
and otherwise by rule (``AMEMBASSY X`` -> ``Embassy X``, ``AMCONSUL X`` ->
``Consulate X``...). Everything is computed lazily, once; look-ups are dictionary hits
behind :func:`functools.lru_cache`.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from cablegram.reference import _data

__all__ = [
    "canonical_origin",
    "known_origins",
    "origin_code",
    "post_name",
    "routing_indicator",
    "routing_name",
]

# Spelling slips of route2name.csv and long forms whose reference-id code is shorter.
_CITY_ALIASES = {
    "COLUMBO": "COLOMBO",
    "GUATEMALA CITY": "GUATEMALA",
    "KUWAIT CITY": "KUWAIT",
    "MAZAR-E SHAIRF": "MAZAR-E-SHARIF",
    "MEXICO CITY": "MEXICO",
    "PANAMA CITY": "PANAMA",
    "PARAMIARBO": "PARAMARIBO",
    "PRINSTINA": "PRISTINA",
    "QUINTO": "QUITO",
    "VAOUNDE": "YAOUNDE",
    "VATICAN CITY": "VATICAN",
    "VIENTIENE": "VIENTIANE",
}

# Malformed or variant origin codes seen in the releases, and their canonical code.
_CODE_ALIASES = {
    "BISHIEK": "BISHKEK",
    "IRANRPODUBAI": "RPODUBAI",
    "SECSTATE": "STATE",
    "USUN": "USUNNEWYORK",
    "USUNNY": "USUNNEWYORK",
    "USUNNEWYORKNY": "USUNNEWYORK",
    "UNVIE": "UNVIEVIENNA",
    "USMISSIONGENEVA": "GENEVA",
    "USEU": "USEUBRUSSELS",
    # Short and long forms ids and references are written with.
    "RIO": "RIODEJANEIRO",
    "HAGUE": "THEHAGUE",
    "MEXICOCITY": "MEXICO",
    "PARISFR": "PARIS",
    "HCMC": "HOCHIMINHCITY",
    "HOCHIMINH": "HOCHIMINHCITY",
    "UNESCOPARISFR": "UNESCOPARIS",
}

# First words of an FM text, normalised: several spellings occur in headers and routing tables.
_PREFIX_ALIASES = {
    "AMEMB": "AMEMBASSY",
    "AMEMBASY": "AMEMBASSY",
    "AMEMBASSSY": "AMEMBASSY",
    "AMCON": "AMCONSUL",
    "AMCONGEN": "AMCONSUL",
    "AMCONSULATE": "AMCONSUL",
    "USMISSIN": "USMISSION",
    "USMISION": "USMISSION",
    "USMISSON": "USMISSION",
    "USDELEGATION": "USDEL",
}
_TWO_WORD_PREFIXES = {
    ("US", "MISSION"): "USMISSION",
    ("US", "EMBASSY"): "AMEMBASSY",
    ("AMERICAN", "EMBASSY"): "AMEMBASSY",
    ("AMERICAN", "CONSULATE"): "AMCONSUL",
    ("US", "OFFICE"): "USOFFICE",
    ("IRAN", "RPO"): "RPO",
    ("US", "INTERESTS"): "USINT",
}
# Missions named after the body they are accredited to: code is the body, not the city.
_BODY_MISSIONS = {"USNATO", "USOSCE", "USAU", "USOAS", "USOECD", "USUNESCO"}
_STATE_TEXTS = frozenset(
    {
        "SECSTATE",
        "SECSTATE WASHDC",
        "SECSTATE WASH DC",
        "SECSTATE WASHINGTON DC",
        "SECSTATEWASHDC",
        "SECSTATE WASHINGTON",
        "DEPT OF STATE",
        "DEPT OF STATE WASHINGTON DC",
        "DEPARTMENT OF STATE",
        "DEPARTMENT OF STATE WASHINGTON DC",
        "STATE",
        "STATE DEPT",
    }
)
_SECDEF_TEXTS = frozenset(
    {
        "SECDEF",
        "SECDEF WASHDC",
        "SECDEF WASH DC",
        "SECDEF WASHINGTON DC",
        "SECDEFWASHDC",
        "SECDEF WASHINGTON",
    }
)
# Prefix families whose route2name.csv stations are sending posts (USLO and USOFFICE
# stations there are support offices: they are read by rule but not listed as origins).
_ROUTE_FAMILIES = frozenset(
    {
        "state",
        "secdef",
        "embassy",
        "consulate",
        "mission",
        "usun",
        "unvie",
        "useu",
        "usint",
        "ait",
        "reo",
        "rpo",
    }
)
_PRECEDENCE_TAIL = {"FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE", "NIACT", "IMMED", "PRIO"}
# Country / state suffixes that routing tables append to a city ("MELBOURNE VIC", "NY").
_PLACE_SUFFIXES = {"VIC", "NSW", "QLD"}

_NON_LETTERS = re.compile(r"[^A-Z]")
_NOT_CODE = re.compile(r"[^A-Z0-9]")
_SPACES = re.compile(r"\s+")
_RI_PREFIX = re.compile(r"^[A-Z]{4,7}/")
_FM_JUNK = re.compile(r"[^A-Z0-9 '\-/&.]")


def _squash(text: str) -> str:
    return _NON_LETTERS.sub("", text.upper())


def _title(text: str) -> str:
    """Title case as the archive writes it: 'Rio De Janeiro', 'Port Au Prince'."""
    return text.title()


def _smart_title(words: list[str]) -> str:
    """Title case that keeps acronyms (UN, CD, UNESCO, OECD...) upper-case."""
    orgs = _data.organisation_table()
    return " ".join(w if (len(w) <= 2 or w in orgs) else w.title() for w in words)


def _normalise_fm(text: str) -> str:
    s = _SPACES.sub(" ", text.upper()).strip()
    if s.startswith("FM "):
        s = s[3:]
    s = _RI_PREFIX.sub("", s)
    s = _FM_JUNK.sub(" ", s)
    s = s.replace(".", " ")
    words = s.split()
    # Trailing precedence and message control number of addressee lines.
    while len(words) > 1 and (words[-1] in _PRECEDENCE_TAIL or words[-1].isdigit()):
        words.pop()
    return " ".join(words)


# --- the rule ------------------------------------------------------------------------------


def _city(words: list[str]) -> str:
    """The place part of an FM text: suffixes dropped, known slips repaired."""
    ws = list(words)
    if len(ws) >= 2 and (len(ws[-1]) == 2 or ws[-1] in _PLACE_SUFFIXES):
        ws.pop()
    city = " ".join(ws)
    return _CITY_ALIASES.get(city, city)


def _by_rule(norm: str) -> tuple[str, str, str]:
    """(code, rule name, kind of post) for a normalised FM text; ('', '', '') if not a post.

    The kind is the FM prefix family; it lets the caller prefer the archive's name for
    a code only when that name is of the same family.
    """
    words = norm.split()
    if not words:
        return "", "", ""
    if len(words) >= 2 and (words[0], words[1]) in _TWO_WORD_PREFIXES:
        words = [_TWO_WORD_PREFIXES[(words[0], words[1])], *words[2:]]
        if words[0] == "USINT" and len(words) > 1 and words[1] == "SECTION":
            words = ["USINT", *words[2:]]
    head = _PREFIX_ALIASES.get(words[0], words[0])
    rest = words[1:]

    if norm in _STATE_TEXTS:
        return "STATE", "Secretary of State", "state"
    if norm in _SECDEF_TEXTS:
        return "SECDEF", "Secretary of Defense", "secdef"
    if not rest:
        if head in _BODY_MISSIONS:
            return head, "Mission " + head, "mission"
        if head in ("USUN", "USUNNEWYORK"):
            return "USUNNEWYORK", "USUN New York", "usun"
        return "", "", ""
    city = _city(rest)
    code = _squash(city)
    if not code:
        return "", "", ""
    if head == "AMEMBASSY":
        return code, "Embassy " + _title(city), "embassy"
    if head == "AMCONSUL":
        return code, "Consulate " + _title(city), "consulate"
    if head == "USMISSION":
        body = rest[0]
        if body in ("USUN", "USUNNEWYORK"):
            return "USUNNEWYORK", "USUN New York", "usun"
        if body == "UNVIE":
            return "UNVIEVIENNA", "UNVIE", "unvie"
        if body == "USEU":
            return (
                "USEU" + _squash(_city(rest[1:]) or "BRUSSELS"),
                "USEU " + _title(_city(rest[1:]) or "BRUSSELS"),
                "useu",
            )
        if body in _BODY_MISSIONS:
            return body, "Mission " + body, "mission"
        return code, "US Mission " + _smart_title(city.split()), "mission"
    if head == "USUN":
        return "USUNNEWYORK", "USUN New York", "usun"
    if head == "UNVIE":
        return "UNVIE" + code, "UNVIE", "unvie"
    if head == "USEU":
        return "USEU" + code, "USEU " + _title(city), "useu"
    if head == "USINT":
        return code, "US Interests Section " + _title(city), "usint"
    if head == "AIT":
        return "AIT" + code, "American Institute Taiwan, " + _title(city), "ait"
    if head == "REO":
        return code, "REO " + _title(city), "reo"
    if head == "RPO":
        return "RPO" + code, "Iran RPO " + _title(city), "rpo"
    if head == "USLO":
        return code, "US Liaison Office " + _title(city), "uslo"
    if head == "USOFFICE":
        return code, "US Office " + _title(city), "usoffice"
    return "", "", ""


_FAMILY_OF_NAME = (
    ("Embassy ", "embassy"),
    ("Consulate ", "consulate"),
)


def _family(name: str) -> str:
    for prefix, fam in _FAMILY_OF_NAME:
        if name.startswith(prefix):
            return fam
    return "other"


# --- tables built once ---------------------------------------------------------------------


@cache
def _tables() -> tuple[dict[str, str], dict[str, tuple[str, str]], dict[str, str]]:
    """(code -> name, normalised FM text -> (code, name), code -> routing indicator)."""
    names: dict[str, str] = {}
    fm: dict[str, tuple[str, str]] = {}
    for rows in (_data.post_rows(), _data.extra_post_rows()):
        for code, name, fm_text in rows:
            names.setdefault(code, name)
            if fm_text:
                fm.setdefault(_normalise_fm(fm_text), (code, name))
    routing: dict[str, str] = {}
    for ri, station in _data.route_table().items():
        code, rule_name, kind = _by_rule(_normalise_fm(station))
        if not code or kind not in _ROUTE_FAMILIES:
            continue
        names.setdefault(code, rule_name)
        if kind not in ("embassy", "consulate") or _family(names[code]) == kind:
            routing.setdefault(code, ri)
    for code, target in _CODE_ALIASES.items():
        if target in names:
            names.setdefault(code, names[target])
    return names, fm, routing


@cache
def known_origins() -> frozenset[str]:
    """Every origin code known: the archive's posts, posts written out by rule, the posts
    of ``route2name.csv`` (``AMEMBASSY X`` -> ``X``...), ``STATE`` and ``SECDEF``."""
    names, _fm, _ri = _tables()
    return frozenset(c for c in names if c not in _CODE_ALIASES)


# --- public look-ups -------------------------------------------------------------------------


def routing_name(ri: str) -> str:
    """``RUEHKB`` -> ``AMEMBASSY BAKU`` (as written in route2name.csv); '' if unknown."""
    return _data.route_table().get(ri.strip().upper(), "") if ri else ""


def routing_indicator(origin: str) -> str:
    """The routing indicator of a post's station: ``BAKU`` or ``AMEMBASSY BAKU`` -> ``RUEHKB``.

    '' when route2name.csv has no station for the post.
    """
    if not origin:
        return ""
    code = origin.strip().upper()
    routing = _tables()[2]
    if code in routing:
        return routing[code]
    code = origin_code(origin) or canonical_origin(code)
    return routing.get(code, "")


@lru_cache(maxsize=16384)
def _resolve(text: str) -> tuple[str, str]:
    """(origin code, archive name) of an FM/addressee text or of an origin code."""
    names, fm, _ri = _tables()
    raw = text.strip().upper()
    if not raw:
        return "", ""
    if raw in names and " " not in raw:
        code = _CODE_ALIASES.get(raw, raw)
        return code, names[code]
    norm = _normalise_fm(raw)
    if norm in fm:
        return fm[norm]
    code, rule_name, kind = _by_rule(norm)
    if code:
        code = _CODE_ALIASES.get(code, code)
        known = names.get(code)
        if known and (kind not in ("embassy", "consulate") or _family(known) == kind):
            return code, known
        return code, rule_name
    squashed = _squash(norm)
    if squashed in names:
        code = _CODE_ALIASES.get(squashed, squashed)
        return code, names[code]
    return "", ""


def origin_code(fm_text: str) -> str:
    """The reference-id origin code of an FM-line / addressee text.

    ``AMEMBASSY BAKU`` -> ``BAKU``; ``SECSTATE WASHDC`` -> ``STATE``; ``USMISSION USUN NEW
    YORK`` -> ``USUNNEWYORK``; ``AIT TAIPEI`` -> ``AITTAIPEI``; ``USINT HAVANA`` -> ``HAVANA``.
    A bare origin code or place that is a known post is accepted too. '' if not a post.
    """
    if not fm_text:
        return ""
    return _resolve(fm_text)[0]


def post_name(origin: str) -> str:
    """Archive-style name of a sending post, from an origin code or an FM/addressee text.

    ``BAKU`` / ``AMEMBASSY BAKU`` -> ``Embassy Baku``; ``STATE`` -> ``Secretary of State``;
    ``USMISSION USOSCE`` -> ``Mission USOSCE``; ``USINT HAVANA`` -> ``US Interests Section
    Havana``. Malformed codes (``NOFORNMOGADISHU``) are canonicalised first. '' if unknown.
    """
    if not origin:
        return ""
    code, name = _resolve(origin)
    if name:
        return name
    raw = origin.strip().upper()
    if " " not in raw:
        canon = canonical_origin(raw)
        if canon:
            return _tables()[0].get(canon, "")
    return ""


# --- canonicalisation of malformed codes -----------------------------------------------------

_JUNK_PREFIX = re.compile(
    r"^(?:\d+"
    r"|(?:SE?C?|E?C)TION\d*(?:[OG]F\d*)?"
    r"|TOPSECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED|UNCLAS|LIMITEDOFFICIALUSE"
    r"|NOFORN|NOFOR|EFTO|LIMDIS|EXDIS|NODIS|STADIS|SIPDIS|SENSITIVE|SBU|LOU|FOUO"
    r"|ROGERCHANNEL|ROGER|CHEROKEE|ORCON|PROPIN|NOCONTRACT|SPECAT|PAGE"
    # the sender's kind, written into some ids: AMEMBASSY BAKU, EMBASSY BAKU, FSC PARIS
    r"|AMEMBASSY|AMEMB|EMBASSY|AMCONSUL|AMCONGEN|CONSULATE|USMISSION|FSC)"
)


def _distance_at_most_one(a: str, b: str) -> bool:
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        return sum(x != y for x, y in zip(a, b)) == 1
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


def _near(code: str, known: frozenset[str]) -> str:
    if len(code) < 5:
        return ""
    hits = [k for k in known if abs(len(k) - len(code)) <= 1 and _distance_at_most_one(code, k)]
    return hits[0] if len(hits) == 1 else ""


@lru_cache(maxsize=8192)
def canonical_origin(code: str) -> str:
    """Canonical origin code of a possibly malformed one; '' when hopeless.

    Returns a known code unchanged. Strips junk that damaged ids carry in front of the
    post (``NOFORNMOGADISHU`` -> ``MOGADISHU``, ``SCTION02OF02SAOPAULO`` -> ``SAOPAULO``,
    ``EFTOLONDON`` -> ``LONDON``, ``75LIBREVILLE`` -> ``LIBREVILLE``), repairs known slips
    (``BISHIEK``), completes a name cut short (``GUADALAJAR``), and, when junk was
    stripped, accepts the one known code within one letter of what is left
    (``SECTION02OF03QRIPOLI`` -> ``TRIPOLI``).
    """
    if not code:
        return ""
    known = known_origins()
    c = code.strip().upper()
    if c in known:
        return c
    # Digits and junk words, one at a time: a known code may start where junk ends.
    s = _NOT_CODE.sub("", c)
    while True:
        if s in known:
            return s
        if s in _CODE_ALIASES:
            return _CODE_ALIASES[s]
        m = _JUNK_PREFIX.match(s)
        if not m or not m.end() or m.end() >= len(s):
            break
        s = s[m.end() :]
    s = _NON_LETTERS.sub("", s)
    if s in known:
        return s
    if s in _CODE_ALIASES:
        return _CODE_ALIASES[s]
    # A known post at the end, behind damage that carried digits ("X2LONDON").
    full = _NOT_CODE.sub("", c)
    for i in range(1, len(full) - 3):
        tail = full[i:]
        if tail in known and any(ch.isdigit() for ch in full[:i]):
            return tail
    # A post name cut short at the end of a line ("GUADALAJAR", "TEGUCIGALP").
    if len(s) >= 8:
        cut = [k for k in known if k.startswith(s) and len(k) - len(s) <= 2]
        if len(cut) == 1:
            return cut[0]
    # One wrong letter is accepted only where the id shows other damage too: plain words
    # one letter away from a post (STATES, SUSAN, URBAN) are not posts.
    damaged = s != full or any(ch.isdigit() for ch in full)
    return _near(s, known) if damaged else ""
