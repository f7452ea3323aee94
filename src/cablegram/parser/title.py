"""Display titles: an ALL CAPS subject in title case, acronyms and codes as written.

``AZERBAIJAN: DEFMIN TELLS EUCOM COMMANDER GOAJ WANTS U.S. HELP FOR NATO NAVAL BASE``
reads ``Azerbaijan: Defmin Tells EUCOM Commander GOAJ Wants U.S. Help for NATO Naval
Base``. A word stays as written when it is a known acronym, a TAGS code, a post code of a
mission (USUN, USNATO), holds a digit or a dot between letters (U.S., 1559), or has no
vowel (PKK, MFA); short function words go lower case inside the title. A subject already
in mixed case is its own display title. The record's ``subject`` is never changed.
"""

from __future__ import annotations

import re
from typing import Final

from cablegram import reference

# Acronyms with vowels, common in subjects (those without a vowel are kept by rule).
_ACRONYMS: Final = frozenset(
    [
        "NATO",
        "UN",
        "US",
        "USG",
        "EU",
        "OSCE",
        "OAS",
        "AU",
        "IAEA",
        "UNSC",
        "UNGA",
        "UNHCR",
        "UNDP",
        "UNICEF",
        "UNESCO",
        "UNIFIL",
        "UNAMA",
        "USAID",
        "OPEC",
        "ASEAN",
        "APEC",
        "OECD",
        "IMF",
        "WTO",
        "WHO",
        "FAO",
        "ICRC",
        "ICC",
        "ICTY",
        "NGO",
        "NGOS",
        "AIDS",
        "HIV",
        "EUCOM",
        "CENTCOM",
        "AFRICOM",
        "SOUTHCOM",
        "PACOM",
        "NORTHCOM",
        "ISAF",
        "OEF",
        "OIF",
        "PRT",
        "PRTS",
        "IED",
        "IEDS",
        "FARC",
        "ETA",
        "ELN",
        "PKK",
        "PJAK",
        "MEK",
        "HAMAS",
        "FATAH",
        "GOAJ",
        "GOI",
        "GOK",
        "GOT",
        "GOE",
        "GOP",
        "GOS",
        "GOB",
        "GOG",
        "GOA",
        "GOL",
        "GOM",
        "GON",
        "GOR",
        "GOU",
        "GOJ",
        "GOC",
        "GOZ",
        "GOV",
        "GOH",
        "GON",
        "GOSL",
        "GOSS",
        "GNU",
        "GPA",
        "ANC",
        "AMISOM",
        "AMIS",
        "UNAMID",
        "MONUC",
        "MINUSTAH",
        "EO",
        "FM",
        "PM",
        "DEFMIN",
        "MOD",
        "MOI",
        "MOFA",
        "DAS",
        "DOD",
        "DOE",
        "DOJ",
        "DHS",
        "FBI",
        "CIA",
        "ODA",
        "SOFA",
        "DCA",
        "BIT",
        "FTA",
        "TIFA",
        "CAFTA",
        "NAFTA",
        "MERCOSUR",
        "ALBA",
        "OAU",
        "ECOWAS",
        "SADC",
        "IGAD",
        "EAC",
        "COMESA",
        "AQ",
        "AQIM",
        "AQAP",
        "LTTE",
        "UAE",
        "UK",
        "DPRK",
        "ROK",
        "PRC",
        "ROC",
        "DRC",
        "CAR",
        "KRG",
        "PUK",
        "KDP",
        "PA",
        "PLO",
        "IDF",
        "IDP",
        "IDPS",
        "EX",
        "IRGC",
        "IRI",
        "OK",
        "TV",
        "AKP",
        "CHP",
        "MHP",
        "DTP",
        "UMP",
        "SPD",
        "CDU",
        "CSU",
        "FDP",
        "PP",
        "PSOE",
        "PRI",
        "PAN",
        "PRD",
        "MAS",
        "PT",
        "PSDB",
        "ANC",
        "ZANU",
        "MDC",
        "PF",
        "APC",
        "PDP",
        "ODM",
        "PNU",
        "KANU",
        "TFG",
        "TNG",
        "ARS",
        "SNC",
        "CNDD",
        "FNL",
        "RPF",
        "FDLR",
        "CNDP",
        "LRA",
        "SPLM",
        "SPLA",
        "NCP",
        "JEM",
        "SLA",
        "SLM",
        "UNSCR",
        "UNSCRS",
        "USUN",
        "USEU",
        "USNATO",
        "USOSCE",
        "UNVIE",
        "USTR",
        "USDA",
        "USTDA",
        "OPIC",
        "EXIM",
        "DEA",
        "ATF",
        "ICE",
        "CBP",
        "TSA",
        "EPA",
        "NASA",
        "NOAA",
    ]
)
_SMALL: Final = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "for",
        "from",
        "in",
        "into",
        "nor",
        "of",
        "on",
        "or",
        "over",
        "per",
        "the",
        "to",
        "up",
        "via",
        "vs",
        "with",
    ]
)
_WORD: Final = r"[A-Za-z0-9][A-Za-z0-9.'&/\-]*"
# A word and the gap before it (all that is not a word: _WORD opens with what the gap
# cannot hold).
_GAP_WORD: Final = re.compile(rf"([^A-Za-z0-9]*)({_WORD})")
_VOWEL: Final = re.compile(r"[AEIOUY]")
_DOTTED: Final = re.compile(r"[A-Z]\.[A-Z]")


def display_title(subject: str) -> str:
    """The subject for display (see the module's docstring)."""
    if not subject or not _mostly_upper(subject):
        return subject
    out: list[str] = []
    pos = 0
    prev = ""  # the character before the gap: a word's first one when it is ""
    # (One findall of (gap, word) pairs instead of a match object per word.)
    for gap, word in _GAP_WORD.findall(subject):
        # The title's or a part's first word: after an opener, white space aside.
        mark = gap.rstrip(" ")
        last = mark[-1] if mark else prev
        out.append(gap)
        out.append(_word(word, last == "" or last in _OPENERS))
        prev = word[-1]
        pos += len(gap) + len(word)
    out.append(subject[pos:])
    return "".join(out)


_OPENERS: Final = frozenset(':-("/.')
_ASCII_NOT_ALPHA: Final = bytes(c for c in range(128) if not chr(c).isalpha())
_ASCII_NOT_UPPER: Final = bytes(c for c in range(128) if not chr(c).isupper())


def _mostly_upper(s: str) -> bool:
    """At least 80% of the letters are capitals (bytes.translate counts ASCII ones)."""
    if s.isascii():
        b = s.encode("ascii")
        letters = len(b.translate(None, _ASCII_NOT_ALPHA))
        upper = len(b.translate(None, _ASCII_NOT_UPPER))
    else:
        letters = sum(ch.isalpha() for ch in s)
        upper = sum(ch.isupper() for ch in s)
    return letters > 0 and upper >= 0.8 * letters


# The words as shown, memoised: one per word of the vocabulary, first word of a title or a
# part (starts) apart. A dict look-up, unlike lru_cache's, writes nothing on a hit (no
# recency list to relink), which counts where each title is computed with a cold cache.
_SHOWN_FIRST: Final[dict[str, str]] = {}
_SHOWN_INNER: Final[dict[str, str]] = {}
_SHOWN_MAX: Final = 1 << 16


def _word(word: str, starts: bool) -> str:
    memo = _SHOWN_FIRST if starts else _SHOWN_INNER
    shown = memo.get(word)
    if shown is None:
        shown = _show(word, starts)
        if len(memo) >= _SHOWN_MAX:
            memo.clear()
        memo[word] = shown
    return shown


def _show(word: str, starts: bool) -> str:
    core = word.rstrip(".'").upper()
    if _keep(core, word):
        return word
    if "-" in word:
        parts = word.split("-")
        return "-".join(_word(p, starts or i == 0) if p else p for i, p in enumerate(parts))
    low = word.lower()
    if not starts and low in _SMALL:
        return low
    head, sep, tail = low.partition("'")
    titled = head[:1].upper() + head[1:]
    return titled + sep + tail if tail in ("s", "") else titled + sep + tail.capitalize()


def _keep(core: str, word: str) -> bool:
    bare = core.replace("'S", "")
    if bare in _ACRONYMS or any(ch.isdigit() for ch in word):
        return True
    if _DOTTED.search(core):  # U.S., U.N.
        return True
    if len(bare) >= 2 and bare.isalpha() and not _VOWEL.search(bare):
        return True  # no vowel: PKK, MFA, GSP
    if len(bare) >= 4 and bare.startswith(("US", "UN")) and bare in reference.known_origins():
        return True  # a mission's post code: USUN, USNATO, UNVIE
    if len(bare) == 4:  # a TAGS subject code: PGOV, KDEM
        t = reference.tag(bare)
        return t.kind in ("subject", "programme") and bool(t.name)
    return False
