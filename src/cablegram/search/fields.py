"""The query language's fields, as the rest of the house sees them: the syntax help, and
the filter that selects one facet value (``tag:PGOV``, ``class:S``, ``date:2009-06``)."""

from __future__ import annotations

import re

from cablegram.reference import classification_level, tag

__all__ = ["CLASS_ABBR", "SYNTAX", "facet_filter", "facet_label", "quote_value"]

CLASS_ABBR = ("U", "LOU", "SBU", "C", "S", "TS")
_BARE = re.compile(r"[A-Za-z0-9][\w.\-/]*")

SYNTAX = [
    ("word word", "both words, anywhere in the cable (AND is implied)"),
    ('"exact phrase"', "the words together, in one paragraph"),
    ("a OR b", "either; OR binds tighter than AND"),
    ("-word, NOT word", "without"),
    ("( )", "grouping"),
    ("kara*", "a prefix"),
    ("tag:PGOV", "TAGS (subjects, countries, organisations)"),
    ("origin:BAKU", 'sending post (origin:"Embassy Baku" by name)'),
    ("class:C, class:>=S", "classification: U, LOU, SBU, C, S, TS"),
    ("caveat:NOFORN", "handling caveat"),
    ("date:2009-06, year:2009, from:, to:", "dates; ranges with .."),
    ("id:09BAKU433, ref:08BAKU123", "a cable; cables citing one"),
    ("subject:word, signer:DERSE", "subject line; who signed"),
    ("lint:portion-above-banner", "cables breaking a lint rule (see Anomalies)"),
]


def quote_value(value: str) -> str:
    """A filter value as the query language reads it: bare when simple, else quoted."""
    if _BARE.fullmatch(value) and value.upper() not in ("AND", "OR", "NOT"):
        return value
    return '"' + value.replace('"', "") + '"'


def facet_filter(name: str, value: str) -> str:
    """The query filter selecting one facet value: ``tag:PGOV``, ``date:2009-06``..."""
    if name == "year":
        return f"year:{value}"
    if name == "month":
        return f"date:{value}"
    if name == "classification":
        level = classification_level(value)
        if 0 <= level < len(CLASS_ABBR):
            return f"class:{CLASS_ABBR[level]}"
        return "class:" + quote_value(value)
    return f"{name}:{quote_value(value)}"


def facet_label(name: str, value: str, labels: dict[str, dict[str, str]]) -> str:
    label = labels.get(name, {}).get(value, "")
    if not label and name == "tag":
        label = tag(value).name
    if name == "classification":
        label = value.title()
    return label or value
