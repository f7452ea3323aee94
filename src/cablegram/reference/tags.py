"""TAGS (Traffic Analysis by Geography and Subject): kinds and expansions.

- four-letter subject codes (``PGOV``, ``PREL``...) and the programme/operations codes
  (``KPAO``, ``OVIP``...) from ``data/subject-tags.csv``;
- two-letter country codes, FIPS 10-4 (not ISO 3166), from ``data/fips10-4.csv``;
- organisations from cablemap's ``organization-tags.txt`` with names from
  ``data/organisation-names.csv``;
- personal names, which older cables put among the TAGS (``KISSINGER, HENRY A``,
  ``OVIP (CLINTON, HILLARY)``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from cablegram.model import Tag
from cablegram.reference import _data

__all__ = ["country_name", "tag", "tag_info"]

# TAGS that are two letters but name an organisation, not a FIPS country.
# (FIPS EU is Europa Island; in cable TAGS "EU" is the European Union.)
_TWO_LETTER_ORGS = {"EU": "European Union", "UN": "United Nations"}

# Words that make a multi-word tag something other than a personal name.
_NOT_NAME_TEXT = """AFFAIRS AGREEMENT ASSEMBLY BANK BOARD CENTER CENTRE COMMISSION COMMITTEE COMMUNITY
    CONFERENCE CONTROL CONVENTION COOPERATION COUNCIL COUNTER COUNTRY CRIME DEFENSE DEMOCRACY
    DEVELOPMENT DRUG ECONOMIC ECONOMICS ECONOMY ELECTION ELECTIONS ENERGY FORCE FOREIGN FORUM
    FREEDOM FRONT FUND GOVERNMENT GROUP HUMAN INITIATIVE INTERNATIONAL ISSUES LEAGUE MEDIA
    MEETING MEETINGS MINISTRY MISSION MOVEMENT NATIONAL NATIONS OFFICE ORGANIZATION
    ORGANISATION PARTY PEACE POLICY POLITICAL POLITICS PROCESS PROGRAM PROGRAMME REACTION
    REFORM RELATIONS RIGHTS SECURITY SUMMIT TERRORISM TRADE TREATY UNION VISIT WAR WITH"""
_NOT_NAME_WORDS = frozenset(_NOT_NAME_TEXT.split())

_SPACES = re.compile(r"\s+")
_WRAPPED_NAME = re.compile(r"^([A-Z]{4})\s*\((.+)\)$")
_NAME_WORDS = re.compile(r"[A-Z][A-Z.'\-]*(?:(?:,\s*|\s+)[A-Z][A-Z.'\-]*)+")


def _person_name(text: str) -> str:
    """Title-cased personal name if ``text`` reads as one, else ''."""
    t = text.strip().strip(",;")
    if not t or not _NAME_WORDS.fullmatch(t):
        return ""
    words = [w.strip(",.") for w in t.replace(",", " ").split()]
    if any(w in _NOT_NAME_WORDS for w in words):
        return ""
    return re.sub(r",\s*", ", ", _SPACES.sub(" ", t)).title()


@lru_cache(maxsize=16384)
def tag_info(code: str) -> tuple[str, str, str]:
    """(code as given, kind, name) of a TAGS entry; see :func:`tag`."""
    raw = _SPACES.sub(" ", code.strip())
    key = raw.upper()
    if not key:
        return raw, "unknown", ""
    subjects = _data.subject_table()
    if key in subjects:
        kind, name, _source = subjects[key]
        return raw, kind, name
    if key in _TWO_LETTER_ORGS:
        return raw, "organisation", _TWO_LETTER_ORGS[key]
    if len(key) == 2 and key in _data.fips_table():
        return raw, "country", _data.fips_table()[key]
    if key in _data.cablemap_subjects():
        return raw, "subject", ""
    orgs = _data.organisation_table()
    if key in orgs:
        return raw, "organisation", orgs[key]
    m = _WRAPPED_NAME.match(key)
    if m:  # OVIP (CLINTON, HILLARY): a visit tag carrying the visitor's name
        name = _person_name(m[2])
        if name:
            return raw, "person", name
    if " " in key or "," in key:
        name = _person_name(key)
        if name:
            return raw, "person", name
    return raw, "unknown", ""


def tag(code: str) -> Tag:
    """A ``Tag(code, kind, name)`` for a TAGS entry.

    kind is ``subject``, ``country`` (FIPS 10-4), ``organisation``, ``programme``
    (K*/O* programme and operations tags such as KPAO, OVIP), ``person`` (name in title
    case) or ``unknown`` (name ''). Codes listed as subject TAGS without a known
    expansion get kind ``subject`` and name ''.
    """
    c, kind, name = tag_info(code)
    return Tag(c, kind, name)


def country_name(fips: str) -> str:
    """FIPS 10-4 country name: ``AJ`` -> ``Azerbaijan``, ``UP`` -> ``Ukraine``; '' if unknown."""
    if not fips:
        return ""
    return _data.fips_table().get(fips.strip().upper(), "")
