"""What both search engines answer with, and what they share: ``Hit``, ``SearchResult``,
``Snippet``, the sorts and facets, the BM25 constants, and the snippet window.

``search.sqlite`` and ``search.postgres`` each compute these their own way; a caller (the
archive, the API, the web) only ever sees these types, whichever backend ran.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

__all__ = [
    "B",
    "FACETS",
    "K1",
    "MAX_PER_PAGE",
    "SNIPPETS_PER_HIT",
    "SNIPPET_WIDTH",
    "SORTS",
    "SUBJECT_WEIGHT",
    "Hit",
    "SearchResult",
    "Snippet",
    "check_paging",
    "marked_snippet",
    "window",
]

MAX_PER_PAGE = 100
SORTS = ("relevance", "date", "date-asc")
SNIPPETS_PER_HIT = 3
SNIPPET_WIDTH = 240  # characters of context around the first highlight
# Ranking: BM25 over cables (search.sqlite's docstring). k1 and b as FTS5's bm25().
K1 = 1.2
B = 0.75
SUBJECT_WEIGHT = 2  # a word in the subject line counts as this many paragraphs
FACETS = ("origin", "year", "month", "classification", "caveat", "tag", "signer")

OPEN, CLOSE = "\x02", "\x03"  # highlight markers; control characters never in cable text


@dataclass
class Snippet:
    """A paragraph excerpt; ``highlights`` are ``(start, end)`` offsets into ``text``."""

    number: int | None
    marking: str
    text: str
    highlights: list[tuple[int, int]] = field(default_factory=list)

    def html(self) -> str:
        """The text HTML-escaped, each highlight wrapped in ``<mark>``."""
        out: list[str] = []
        at = 0
        for start, end in self.highlights:
            out.append(html.escape(self.text[at:start]))
            out.append("<mark>" + html.escape(self.text[start:end]) + "</mark>")
            at = end
        out.append(html.escape(self.text[at:]))
        return "".join(out)


@dataclass
class Hit:
    id: str
    score: float  # higher is better; 0 for filter-only queries
    subject: str
    date: str | None
    origin_code: str
    origin_name: str
    classification: str
    snippets: list[Snippet] = field(default_factory=list)


@dataclass
class SearchResult:
    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]
    page: int
    per_page: int
    sort: str
    # Display names for facet values where the value is a code: origin BAKU -> Embassy Baku,
    # tag PGOV -> its name.
    facet_labels: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def check_paging(sort: str, page: int, per_page: int) -> int:
    """``per_page`` capped at MAX_PER_PAGE; ``ValueError`` for an unknown sort or a page
    or page size below 1 (both engines' arguments)."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    if page < 1 or per_page < 1:
        raise ValueError("page and per_page start at 1")
    return min(per_page, MAX_PER_PAGE)


def window(number: int | None, marking: str, text: str, spans: list[tuple[int, int]]) -> Snippet:
    """At most about SNIPPET_WIDTH characters of ``text`` around the first of ``spans``
    (ordered, not overlapping), cut at spaces, with … where text was left out."""
    if len(text) <= SNIPPET_WIDTH:
        return Snippet(number, marking or "", text, spans)
    first = spans[0][0] if spans else 0
    lo = max(0, first - SNIPPET_WIDTH // 3)
    if lo > 0:
        cut = text.rfind(" ", 0, lo)
        lo = cut + 1 if cut >= 0 and lo - cut < 30 else lo
    hi = min(len(text), lo + SNIPPET_WIDTH)
    if hi < len(text):
        cut = text.find(" ", hi)
        hi = cut if 0 <= cut - hi < 30 else hi
    head = "… " if lo > 0 else ""
    tail = " …" if hi < len(text) else ""
    shift = len(head) - lo
    kept = [(max(a, lo) + shift, min(b, hi) + shift) for a, b in spans if b > lo and a < hi]
    return Snippet(number, marking or "", head + text[lo:hi] + tail, kept)


def marked_snippet(number: int | None, marking: str, marked: str) -> Snippet:
    """Cut a window around the first highlight out of text marked by OPEN/CLOSE."""
    # Whitespace collapsed (cables wrap at 69 columns), then the markers taken out.
    flat = " ".join((marked or "").split())
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = at = 0
    while True:
        i = flat.find(OPEN, at)
        j = flat.find(CLOSE, i + 1) if i >= 0 else -1
        if i < 0 or j < 0:
            rest = flat[at:].replace(OPEN, "").replace(CLOSE, "")
            plain.append(rest)
            break
        head, mark = flat[at:i].replace(CLOSE, ""), flat[i + 1 : j].replace(OPEN, "")
        plain += [head, mark]
        pos += len(head)
        if mark:
            spans.append((pos, pos + len(mark)))
        pos += len(mark)
        at = j + 1
    return window(number, marking, "".join(plain), spans)
