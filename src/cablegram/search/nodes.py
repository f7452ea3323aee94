"""The query's syntax tree: frozen dataclasses, and ``QueryError``.

``cablegram.search.query`` parses a string to these; ``cablegram.search.fields`` says,
per field, which node a ``field:value`` becomes and how each backend filters it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from dataclasses import field as _field
from typing import Any

from cablegram.errors import CablegramError

__all__ = [
    "And",
    "CableId",
    "Caveat",
    "Classification",
    "DateRange",
    "Entity",
    "FieldFilter",
    "Filter",
    "Node",
    "Not",
    "Or",
    "Origin",
    "QueryError",
    "Ref",
    "Signer",
    "Tag",
    "Text",
    "guarantees_visible",
    "leaves",
    "tokenize_text",
]


class QueryError(CablegramError, ValueError):
    """A query the parser or compiler cannot accept; ``position`` is a 0-based offset."""

    def __init__(self, message: str, position: int = 0, query: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.query = query

    def __reduce__(self) -> tuple[Any, ...]:
        # Raised in a search process and re-raised in the server: keep the position.
        return (type(self), (self.message, self.position, self.query))

    def pointer(self, query: str | None = None) -> str:
        """The query on one line and a caret under the problem on the next."""
        q = self.query if query is None else query
        # Tabs and newlines would misalign the caret; show them as spaces.
        line = "".join(" " if ch.isspace() else ch for ch in q)
        pos = max(0, min(self.position, len(line)))
        return f"{line}\n{' ' * pos}^ {self.message}"

    def __str__(self) -> str:
        return f"{self.message} (at position {self.position})"


@dataclass(frozen=True)
class Text:
    """Words that must occur, in this order, within one portion (a phrase when >1 token).

    ``tokens`` are the unicode61 tokens as typed, lower-cased (SQLite folds diacritics).
    ``prefix``: the last token is a prefix (``word*``). ``field``: ``"subject"`` restricts
    the match to the subject line, ``None`` searches subject and paragraphs.
    """

    tokens: tuple[str, ...]
    prefix: bool = False
    field: str | None = None
    pos: int = _field(default=0, compare=False)

    @property
    def is_phrase(self) -> bool:
        return len(self.tokens) > 1


@dataclass(frozen=True)
class Filter:
    """Base of the metadata filters (they select cables, not portions)."""

    pos: int = _field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class Origin(Filter):
    """``code`` is upper-case (BAKU); with ``by_name`` it is a post name (Embassy Baku)."""

    value: str
    by_name: bool = False
    prefix: bool = False


@dataclass(frozen=True)
class Tag(Filter):
    code: str
    prefix: bool = False


@dataclass(frozen=True)
class Classification(Filter):
    """``class_level <op> level``; op is one of = < <= > >=."""

    op: str
    level: int


@dataclass(frozen=True)
class Caveat(Filter):
    name: str


@dataclass(frozen=True)
class DateRange(Filter):
    """Inclusive ISO days; ``None`` is an open end."""

    start: str | None
    end: str | None


@dataclass(frozen=True)
class CableId(Filter):
    id: str
    prefix: bool = False


@dataclass(frozen=True)
class Ref(Filter):
    """Cables whose REF block cites ``id``."""

    id: str


@dataclass(frozen=True)
class Signer(Filter):
    name: str
    prefix: bool = False


@dataclass(frozen=True)
class Entity(Filter):
    """``person:``, ``org:``, ``place:`` — needs the tables written by ``cablegram enrich``."""

    kind: str
    value: str


@dataclass(frozen=True)
class FieldFilter(Filter):
    """``field:value`` for a field whose ``FieldSpec`` needs no node class of its own
    (``precedence:IMMEDIATE``): ``value`` as the spec's ``build`` normalised it."""

    field: str
    value: str
    prefix: bool = False


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node
    pos: int = _field(default=0, compare=False)


Node = (
    Text
    | Origin
    | Tag
    | Classification
    | Caveat
    | DateRange
    | CableId
    | Ref
    | Signer
    | Entity
    | FieldFilter
    | And
    | Or
    | Not
)


def leaves(node: Node) -> list[Node]:
    """Every word/phrase/filter of the tree, left to right."""
    if isinstance(node, And | Or):
        return [leaf for item in node.items for leaf in leaves(item)]
    if isinstance(node, Not):
        return leaves(node.item)
    return [node]


def guarantees_visible(node: Node) -> bool:
    """True when every cable matching ``node`` matched some (visible) portion's text:
    a restricted reader's search then needs no separate "has a visible portion" test."""
    if isinstance(node, Text):
        return True
    if isinstance(node, And):
        return any(guarantees_visible(item) for item in node.items)
    if isinstance(node, Or):
        return all(guarantees_visible(item) for item in node.items)
    return False


# ---------------------------------------------------------------------- tokens


def _is_token_char(ch: str) -> bool:
    # Mirrors SQLite's unicode61 closely enough: letters, digits, marks (diacritics are
    # folded, not split on), private-use and unassigned code points are token characters.
    # Exactness is not needed: the FTS5 string we build is tokenized again by SQLite.
    cat = unicodedata.category(ch)
    return cat[0] in "LNM" or cat in ("Co", "Cn")


def tokenize_text(text: str) -> tuple[str, ...]:
    """Split text into unicode61-style tokens, lower-cased: ``T-72`` -> ``('t', '72')``."""
    out: list[str] = []
    cur: list[str] = []
    for ch in text:
        if _is_token_char(ch):
            cur.append(ch)
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return tuple(_lower(t) for t in out)


def _lower(tok: str) -> str:
    low = tok.lower()
    # A few characters grow when lower-cased (İ -> i̇); leave those to SQLite's folding.
    return low if len(low) == len(tok) else tok
