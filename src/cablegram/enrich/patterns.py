"""The regular expressions and word tests of extraction: titles, names, posts,
acronyms, jargon; how a name is cleaned, cased and keyed."""

from __future__ import annotations

import re
from collections.abc import Iterable

from cablegram.enrich import lexicon as lx
from cablegram.enrich.truecase import casing_table


def _w(text: str) -> list[str]:
    """The words of ``text`` (word lists are written as text)."""
    return text.split()


def _form(low: str) -> str:
    """The usual casing of a word in mixed-case cables ('' when unknown)."""
    e = casing_table().get(low)
    return e[0] if e else ""


# --- regular expressions ----------------------------------------------------------------


def _alt(words: Iterable[str]) -> str:
    return "|".join(sorted(set(words), key=len, reverse=True))


_SPACE = r"\s+"
_TITLE_HEAD = rf"(?:{_alt(re.escape(w).replace('_', _SPACE) for w in lx.TITLE_HEADS)})\.?(?![a-z])"
_TITLE_MOD = rf"(?:{_alt(re.escape(w) for w in lx.TITLE_MODIFIERS)})"
_ACRO = r"[A-Z][A-Z/&\-]{1,9}"
_NAME_TOK = r"(?:(?:Mc|Mac|O')?[A-Z][a-z\u00e0-\u00ff]+(?:[-'\u2019][A-Za-z\u00e0-\u00ff]+)*|[A-Z]\.(?:\s?[A-Z]\.)*)"
_PARTICLE = r"(?:al-|el-|[Aa]l|[Ee]l|[Bb]in|[Ii]bn|[Aa]bu|[Aa]bd|[Dd]e|[Dd]a|di|du|[Dd]el|della|dos|das|[Vv]an|[Vv]on|der|den|[Ll]a|[Ll]e|y|ter|bint)(?![\w])"
_NAME = rf"{_NAME_TOK}(?:(?:\s+|(?<=-))(?:{_PARTICLE}(?:\s+|(?<=-))){{0,2}}{_NAME_TOK}){{0,4}}"
# The (?i:...) groups make title words match in any case; the name must be capitalised.
_OF_WORD = rf"(?i:{_alt(re.escape(w) for w in lx.TITLE_OF_WORDS | {'and'})})(?![\w-])"
_PERSON_RULE = re.compile(
    rf"(?<![\w'\-])(?P<title>(?:(?:(?i:{_TITLE_MOD})|{_ACRO})[\s\-]+){{0,4}}(?i:{_TITLE_HEAD})"
    rf"(?:(?:\s+(?i:of|for)\s+(?:the\s+)?{_OF_WORD}(?:,?\s+{_OF_WORD}){{0,4}})|"
    rf"(?:[\s\-]+(?i:{_TITLE_HEAD})))*)\s+(?P<name>{_NAME})"
)
_THE_TITLE = re.compile(
    rf"\b[Tt]he\s+(?P<title>(?:(?i:{_TITLE_MOD})\s+){{0,3}}(?i:{_TITLE_HEAD})(?:\s+(?i:{_TITLE_HEAD}))*)"
    r"(?:'s|\u2019s)?(?=[\s,.;:)'\u2019\"]|$)(?!\s+[A-Z][a-z])"
)
_REDACTED = re.compile(r"(?i)x{5,}")
_ACRONYM_TOKEN = re.compile(r"(?<![\w/\-])(?:[A-Z][A-Z&]{1,8}|Go[A-Z]{1,3})(?![\w/\-])")
_DEFINITION = re.compile(r"\(\s*(?:the\s+)?(?P<acr>[A-Z][A-Za-z&/\-]{1,11})\s*\)")
_POST = re.compile(
    r"(?:\b(?:U\.S\.|US|American)\s+)?\b(?P<kind>Embassy|Consulate General|Consulate|AmEmbassy|"
    r"AmConsul|Mission)\s+(?:in\s+)?(?P<city>[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2})"
)
_US_POSTS = re.compile(r"\b(USNATO|USEU|USUN|USOSCE|UNVIE|USMISSION\s+[A-Z]+)\b")
_ORG_TAIL = re.compile(
    r"\s+(?:Group|Agreement|Declaration|Summit|Process|Council|Commission|Airport|University|"
    r"Protocol|Initiative|Accords?|Conference|Treaty|Pact|Club|Fund|Bank|Institute|Stock|"
    r"Times|Post|Herald|News|Radio|Television|TV|Party|Front|Movement|Forum|Dialogue|Round)\b"
)
_KNOWN_ORGS_RE = re.compile(
    r"(?<![\w-])(?:" + _alt(re.escape(k) for k in lx.KNOWN_ORGS) + r")(?![\w-])"
)
_INST_HEAD = (
    r"(?:Ministry|Council|Commission|Committee|Court|Agency|Office|Bank|University|Institute|"
    r"Party|Government|Assembly|Parliament|Senate|Police|Foundation|Society|Association|"
    r"Federation|Front|Movement|Authority|Directorate|Service|Corporation|Company|Embassy|"
    r"Consulate|Alliance|Division|Brigade|Battalion|Regiment|Congress|Organization|"
    r"Organisation|Center|Centre|Force)"
)
_CAPWORD = r"(?:[A-Z][A-Za-z\-]+|[A-Z]{2,}|U\.S\.|U\.K\.)"
_CAPRUN = rf"{_CAPWORD}(?:\s+{_CAPWORD})*"
_INSTITUTION = re.compile(
    rf"(?<![\w\-])(?:{_CAPWORD}(?:\s+and)?\s+){{0,4}}{_INST_HEAD}(?![\w\-])"
    # complements: "of Foreign Affairs", "for Cooperative Education" (not "..., INCE"),
    # "of Agriculture, Forestry and Fisheries"
    rf"(?:\s+(?:of|for|on)\s+(?:the\s+)?{_CAPRUN}(?:(?:,\s+{_CAPRUN})*,?\s+and\s+{_CAPRUN})?){{0,2}}"
)
# Where a complement names an institution of its own ("Commission of the National
# Electoral Council"): two organisations.
_INST_SPLIT = re.compile(
    rf"\s+(?:of|for|on)\s+(?:the\s+)?(?=(?:{_CAPWORD}\s+){{0,4}}{_INST_HEAD}\b)"
)
# State Department offices: INR/B, WHA/AND, NEA/IR.
_OFFICE = re.compile(
    r"(?<![\w/])(?:AF|EAP|EUR|NEA|SCA|WHA|INR|ISN|PM|DRL|IO|EEB|EB|CA|DS|OES|PRM|INL|ECA|VCI|"
    r"AVC|IIP|PA|CT|S/CT|S/P|S/ES|T|P)/[A-Z]{1,6}(?:/[A-Z]{1,6})?(?![\w/])"
)
_TITLE_BEFORE = re.compile(rf"((?:(?i:{_TITLE_MOD})\s+){{0,3}}(?i:{_TITLE_HEAD}))\s*$")
_NAME_NEXT = re.compile(r"\s+[A-Z][a-z]")
# A name followed by one of these is a person ("Saoul said", "De Gooijer told us").
_SPEECH = re.compile(
    r"(?:'s)?,?\s+(?:said|says|told|noted|added|stated|explained|asked|argued|claimed|commented|"
    r"replied|responded|confided|emphasized|emphasised|insisted|warned|agreed|stressed|"
    r"underscored|observed|opined|remarked|acknowledged|complained|lamented|predicted|urged|"
    r"confirmed|denied|suggested|expressed|assured|averred|reiterated|recalled)\b"
)
_ORGISH = frozenset(
    _w("""ministry government embassy office council committee commission party group bank
    agency department army police court union organization organisation company
    corporation association movement front forces council parliament assembly""")
)
_HYPHEN_RIGHT = re.compile(r"-([A-Z][a-z]{2,})(?![\w])")
_HYPHEN_LEFT = re.compile(r"(?<![\w-])([A-Z][a-z]{2,})-$")
_STRIP = " \t\n\r,;:.!?\"'()[]{}<>\u2018\u2019\u201c\u201d-*=_/"


# --- small helpers ----------------------------------------------------------------------

_TITLE_WORDS = None


def _title_words() -> frozenset[str]:
    global _TITLE_WORDS
    if _TITLE_WORDS is None:
        words: set[str] = set()
        for t in lx.TITLE_HEADS:
            words.update(t.split("_"))
        words.update(lx.TITLE_MODIFIERS)
        _TITLE_WORDS = frozenset(w.lower() for w in words)
    return _TITLE_WORDS


_NOT_NAME = frozenset(
    _w("""monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december administration government
    ministry embassy office council committee commission party staff the and of on in at
    for to with by said told noted added asked stated his her their its our we they he she
    it this that these those who which as but or if when while after before during since
    per via also then today yesterday tomorrow""")
)


def clean_name(s: str) -> str:
    s = " ".join(s.split())
    s = re.sub(r"(?:'s|\u2019s|'|\u2019)$", "", s)
    s = s.strip(_STRIP)
    s = re.sub(r"(?:'s|\u2019s)$", "", s).strip(_STRIP)
    if s[:4].lower() == "the ":
        s = s[4:]
    return s


def smart_case(name: str) -> str:
    """Title-case an ALL-CAPS name, using the casing table where it knows the word."""
    if not name.isupper():
        return name

    def one(w: str) -> str:
        if len(w) <= 1:
            return w
        form = _form(w.lower())
        if form and not form.islower() and not form.isupper():
            return form
        return w[0] + w[1:].lower()

    return re.sub(r"[A-Z][A-Z']*", lambda m: one(m.group()), name)


def entity_key(kind: str, name: str) -> str:
    """The resolution key of a name of kind ``kind`` (see ``docs/entities.md``)."""
    k = lx.norm(name)
    if kind == "person":
        toks = [t for t in k.split() if t not in ("jr", "sr", "mr", "mrs", "ms", "dr")]
        # "John Smith III" is John Smith; "Abdullah II" is a king, not any Abdullah.
        if len([t for t in toks if t not in ("ii", "iii")]) >= 2:
            toks = [t for t in toks if t not in ("ii", "iii")]
        if len(toks) >= 3:
            toks = [toks[0]] + [t for t in toks[1:-1] if len(t) > 1] + [toks[-1]]
        return " ".join(toks)
    if kind == "org" and k.startswith("the "):
        return k[4:]
    return k


def _form_known() -> dict[str, tuple[str, float]]:
    return casing_table()


def _is_english_word(low: str) -> bool:
    from cablegram.enrich.truecase import _is_english

    return _is_english(low)


def _common_word(name: str, share: float = 0.3) -> bool:
    """A one-word name that is an ordinary word in cables ("Extraordinary", "Benchmarks")."""
    if " " in name or "-" in name:
        return False
    e = casing_table().get(name.lower())
    return e is not None and e[0].islower() and e[1] < share


def _is_jargon(name: str) -> bool:
    n = name.lower().strip(_STRIP)
    if not n or n in lx.JARGON or lx.norm(n) in lx.JARGON:
        return True
    words = name.split()
    if any(w.isupper() for w in words) and all(
        w.upper() in lx.subject_tags() or w.upper() in lx.countries() for w in words
    ):
        return True  # TAGS codes: "PREL", "NL PREL" (also case-restored: "Nl PREL")
    # C O N F I D E N T I A L
    return re.fullmatch(r"(?:[A-Z]\s){2,}[A-Z]", name) is not None


def _good_name(name: str, kind: str) -> bool:
    if len(name) < 2 or not re.search(r"[A-Za-z]", name) or not name[0].isalpha() and kind != "org":
        return False
    if not any(ch.isupper() for ch in name):
        return False
    if _REDACTED.search(name) or _is_jargon(name):
        return False
    if re.search(r"\d{3,}", name):
        return False
    base = re.sub(r"(?:'s|\u2019s)$", "", name)
    if base in lx.DEMONYMS or base in lx.NOT_ENTITIES:
        return False
    words = base.split()
    if len(words) > 1 and all(w in lx.DEMONYMS or w.lower() in _title_words() for w in words):
        return False
    return not (kind == "person" and (len(name) < 3 or name.isupper() and len(name) <= 4))
