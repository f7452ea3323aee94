"""The search query language: a lexer and a recursive-descent parser to a typed AST.

No SQL here (see ``cablegram.search.sqlite``). The grammar, loosest binding first::

    query   := and_expr EOF
    and_expr:= or_expr ( [AND] or_expr )*        implicit AND between terms
    or_expr := unary ( OR unary )*               OR binds tighter than AND, as in web search
    unary   := NOT unary | '-' primary | primary
    primary := '(' and_expr ')' | word | "phrase" | field:value

``parse_query`` returns a tree of frozen dataclasses (``Text``, the filters, ``And``,
``Or``, ``Not``) or raises ``QueryError`` with a message and a 0-based position.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from dataclasses import field as _field
from typing import Any

from cablegram.errors import CablegramError

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_TERMS",
    "And",
    "CableId",
    "Caveat",
    "Classification",
    "DateRange",
    "Entity",
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
    "CLASS_LEVELS",
    "FIELDS",
    "leaves",
    "parse_query",
    "tokenize_text",
    "unparse",
]

MAX_LENGTH = 1000  # characters
MAX_TERMS = 50  # words, phrases and filters together
MAX_DEPTH = 32  # nested parentheses and NOTs

# Classification names and abbreviations -> class_level (the cables.class_level scale).
CLASS_LEVELS: dict[str, int] = {
    "U": 0,
    "UNCLASSIFIED": 0,
    "LOU": 1,
    "LIMITED OFFICIAL USE": 1,
    "SBU": 2,
    "SENSITIVE BUT UNCLASSIFIED": 2,
    "C": 3,
    "CONFIDENTIAL": 3,
    "S": 4,
    "SECRET": 4,
    "TS": 5,
    "TOP SECRET": 5,
}
CLASS_NAMES: tuple[str, ...] = (
    "UNCLASSIFIED",
    "LIMITED OFFICIAL USE",
    "SENSITIVE BUT UNCLASSIFIED",
    "CONFIDENTIAL",
    "SECRET",
    "TOP SECRET",
)
_CLASS_ABBR = ("U", "LOU", "SBU", "C", "S", "TS")

# Common short forms of dissemination caveats; anything else is taken as written.
CAVEAT_ALIASES = {"NF": "NOFORN", "OC": "ORCON", "PR": "PROPIN"}

# Known fields (and their aliases). Order is the order the error message lists them in.
FIELDS: tuple[str, ...] = (
    "origin",
    "tag",
    "class",
    "caveat",
    "date",
    "from",
    "to",
    "year",
    "id",
    "ref",
    "subject",
    "signer",
    "person",
    "org",
    "place",
    "lint",
)
_ALIASES = {"classification": "class", "caveats": "caveat", "tags": "tag"}


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


# ---------------------------------------------------------------------------- AST


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
class Lint(Filter):
    """``lint:RULE`` — cables with a finding of a lint rule (``cablegram lint --db``)."""

    rule: str


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
    | Lint
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


@dataclass
class _Tok:
    kind: str  # ( ) AND OR NOT NEG WORD PHRASE FIELD
    pos: int
    text: str = ""
    prefix: bool = False
    name: str = ""  # FIELD: canonical field name
    value_pos: int = 0  # FIELD: where the value starts
    quoted: bool = False  # FIELD: value was "quoted"


_IDENT = re.compile(r"[A-Za-z][A-Za-z_]*")


def _lex(q: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(q)
    term_start = True  # at a place where a new term may begin (for '-' negation)
    while i < n:
        ch = q[i]
        if ch.isspace():
            i += 1
            term_start = True
            continue
        if ch == "(":
            toks.append(_Tok("(", i))
            i += 1
            term_start = True
            continue
        if ch == ")":
            toks.append(_Tok(")", i))
            i += 1
            term_start = True
            continue
        if ch == "-" and term_start and i + 1 < n and not q[i + 1].isspace() and q[i + 1] != ")":
            toks.append(_Tok("NEG", i))
            i += 1
            continue  # term_start stays True: what follows is the negated term
        if ch == '"':
            end = q.find('"', i + 1)
            if end < 0:
                raise QueryError('unbalanced quote: this " is never closed', i, q)
            tok = _Tok("PHRASE", i, q[i + 1 : end])
            i = end + 1
            if i < n and q[i] == "*":
                tok.prefix = True
                while i < n and q[i] == "*":
                    i += 1
            toks.append(tok)
            term_start = False
            continue
        # A bare word: up to whitespace, a quote, or a parenthesis that is not part of it.
        negated = bool(toks) and toks[-1].kind == "NEG" and toks[-1].pos == i - 1
        start = i
        field_tok = _lex_field(q, i, toks)
        if field_tok is not None:
            toks.append(field_tok[0])
            i = field_tok[1]
            term_start = False
            continue
        i = _word_end(q, i)
        word = q[start:i]
        if not negated and word in ("AND", "OR", "NOT"):
            toks.append(_Tok(word, start))
        else:
            tok = _Tok("WORD", start, word)
            if word.endswith("*"):
                tok.prefix = True
                tok.text = word.rstrip("*")
            toks.append(tok)
        term_start = False
    return toks


def _word_end(q: str, i: int) -> int:
    """End of a bare word starting at i. ``(`` inside a word belongs to it when its ``)``
    comes before the word ends, so ``1.4(b)`` is one word but ``a(b OR c)`` is a group."""
    n = len(q)
    depth = 0
    while i < n:
        ch = q[i]
        if ch.isspace() or ch == '"':
            break
        if ch == "(":
            j = i + 1
            while j < n and not q[j].isspace() and q[j] not in '"()':
                j += 1
            if i > 0 and j < n and q[j] == ")" and not q[i - 1].isspace():
                depth += 1
            else:
                break
        elif ch == ")":
            if depth == 0:
                break
            depth -= 1
        i += 1
    return i


def _lex_field(q: str, i: int, toks: list[_Tok]) -> tuple[_Tok, int] | None:
    """``name:value`` at i, or None when this is a plain word (``http://x``, ``10:30``)."""
    m = _IDENT.match(q, i)
    if not m or m.end() >= len(q) or q[m.end()] != ":":
        return None
    raw = m.group(0)
    name = raw.lower()
    name = _ALIASES.get(name, name)
    colon = m.end()
    rest = q[colon + 1 : colon + 3]
    if rest.startswith("//"):
        return None  # a URL: search its words
    if name not in FIELDS:
        known = ", ".join(FIELDS)
        raise QueryError(
            f"unknown field '{raw}'; known fields: {known} "
            f'(to search for the word itself, put it in quotes: "{raw}:")',
            i,
            q,
        )
    vpos = colon + 1
    n = len(q)
    if vpos >= n or q[vpos].isspace() or q[vpos] == ")":
        raise QueryError(
            f"{name}: needs a value right after the colon, as in {_EXAMPLES[name]}", vpos, q
        )
    if q[vpos] == "(":
        raise QueryError(
            f"{name}:(...) is not supported; repeat the field inside the group: "
            f"({name}:a OR {name}:b)",
            vpos,
            q,
        )
    tok = _Tok("FIELD", i, name=name, value_pos=vpos)
    if q[vpos] == '"':
        end = q.find('"', vpos + 1)
        if end < 0:
            raise QueryError('unbalanced quote: this " is never closed', vpos, q)
        tok.text = q[vpos + 1 : end]
        tok.quoted = True
        tok.value_pos = vpos + 1
        end += 1
        if end < n and q[end] == "*":
            tok.prefix = True
            while end < n and q[end] == "*":
                end += 1
        return tok, end
    end = _word_end(q, vpos)
    value = q[vpos:end]
    if value.endswith("*"):
        tok.prefix = True
        value = value.rstrip("*")
    tok.text = value
    return tok, end


_EXAMPLES = {
    "origin": "origin:BAKU",
    "tag": "tag:PGOV",
    "class": "class:SECRET",
    "caveat": "caveat:NOFORN",
    "date": "date:2009-01..2009-06",
    "from": "from:2009-05-01",
    "to": "to:2009-06-30",
    "year": "year:2009",
    "id": "id:09BAKU433",
    "ref": "ref:08BAKU123",
    "subject": 'subject:"naval base"',
    "signer": "signer:DERSE",
    "person": 'person:"Ilham Aliyev"',
    "org": "org:SOCAR",
    "place": "place:Nakhchivan",
    "lint": "lint:portion-above-banner",
}


# ---------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, q: str, toks: list[_Tok]) -> None:
        self.q = q
        self.toks = toks
        self.i = 0
        self.depth = 0

    def error(self, message: str, pos: int) -> QueryError:
        return QueryError(message, pos, self.q)

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def at_term_start(self) -> bool:
        t = self.peek()
        return t is not None and t.kind not in (")", "AND", "OR")

    def parse(self) -> Node | None:
        node = self.and_expr()
        t = self.peek()
        if t is not None:
            # and_expr stops only at ')' here: AND/OR without a left side were caught earlier.
            raise self.error("unbalanced parenthesis: this ) has no matching (", t.pos)
        return node

    def and_expr(self) -> Node | None:
        items: list[Node | None] = []
        t = self.peek()
        if t is not None and t.kind in ("AND", "OR"):
            raise self.error(f"{t.kind} needs a term before it", t.pos)
        items.append(self.or_expr())
        while True:
            t = self.peek()
            if t is None or t.kind == ")":
                break
            if t.kind == "AND":
                self.i += 1
                if not self.at_term_start():
                    raise self.error("AND needs a term after it", t.pos)
            elif t.kind == "OR":
                raise self.error("OR needs a term before it", t.pos)
            items.append(self.or_expr())
        return _combine(And, items)

    def or_expr(self) -> Node | None:
        items = [self.unary()]
        while True:
            t = self.peek()
            if t is None or t.kind != "OR":
                break
            self.i += 1
            if not self.at_term_start():
                raise self.error("OR needs a term after it", t.pos)
            items.append(self.unary())
        return _combine(Or, items)

    def unary(self) -> Node | None:
        t = self.peek()
        assert t is not None
        if t.kind in ("NOT", "NEG"):
            self.i += 1
            if t.kind == "NOT" and not self.at_term_start():
                raise self.error("NOT needs a term after it", t.pos)
            self.enter(t.pos)
            inner = self.unary() if t.kind == "NOT" else self.primary()
            self.depth -= 1
            return None if inner is None else Not(inner, pos=t.pos)
        return self.primary()

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"too deeply nested (more than {MAX_DEPTH} levels)", pos)

    def primary(self) -> Node | None:
        t = self.peek()
        assert t is not None
        if t.kind == "(":
            self.i += 1
            self.enter(t.pos)
            nxt = self.peek()
            if nxt is None:
                raise self.error("unbalanced parenthesis: this ( is never closed", t.pos)
            if nxt.kind == ")":
                raise self.error("empty parentheses", t.pos)
            node = self.and_expr()
            close = self.peek()
            if close is None or close.kind != ")":
                raise self.error("unbalanced parenthesis: this ( is never closed", t.pos)
            self.i += 1
            self.depth -= 1
            return node
        self.i += 1
        if t.kind in ("WORD", "PHRASE"):
            tokens = tokenize_text(t.text)
            if not tokens:
                return None  # punctuation only (a lone '&' or '""'): nothing to look for
            return Text(tokens, prefix=t.prefix, pos=t.pos)
        if t.kind == "FIELD":
            return _field_node(t, self.q)
        if t.kind == "NEG":  # '--x'
            self.enter(t.pos)
            inner = self.primary()
            self.depth -= 1
            return None if inner is None else Not(inner, pos=t.pos)
        if t.kind == ")":
            raise self.error("unbalanced parenthesis: this ) has no matching (", t.pos)
        # AND / OR / NOT where a term should be
        raise self.error(f"expected a term here, found {t.kind}", t.pos)


def _combine(kind: type, items: list[Node | None]) -> Node | None:
    kept: list[Node] = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, kind):  # flatten (a AND b) AND c
            kept.extend(item.items)  # type: ignore[attr-defined]
        else:
            kept.append(item)
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else kind(tuple(kept))


# ------------------------------------------------------------------ field values

_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def _parse_date(text: str, pos: int, q: str, *, end: bool) -> str:
    """A year, month or day as the first (or, with ``end``, last) ISO day it covers."""
    m = _DATE.fullmatch(text)
    if not m:
        raise QueryError(f"bad date '{text}': use YYYY, YYYY-MM or YYYY-MM-DD", pos, q)
    year = int(m.group(1))
    if year < 1:
        raise QueryError(f"bad date '{text}': there is no year 0", pos, q)
    if m.group(2) is None:
        return f"{year:04d}-12-31" if end else f"{year:04d}-01-01"
    month = int(m.group(2))
    if not 1 <= month <= 12:
        raise QueryError(f"bad date '{text}': month must be 01 to 12", pos + 5, q)
    last = calendar.monthrange(year, month)[1]
    if m.group(3) is None:
        day = last if end else 1
    else:
        day = int(m.group(3))
        if not 1 <= day <= last:
            raise QueryError(
                f"bad date '{text}': day must be 01 to {last} in {year:04d}-{month:02d}",
                pos + 5 + len(m.group(2)) + 1,
                q,
            )
    return f"{year:04d}-{month:02d}-{day:02d}"


def _date_node(t: _Tok, q: str) -> DateRange:
    v, p = t.text.strip(), t.value_pos
    if t.name == "from":
        return DateRange(_parse_date(v, p, q, end=False), None, pos=t.pos)
    if t.name == "to":
        return DateRange(None, _parse_date(v, p, q, end=True), pos=t.pos)
    if t.name == "year":
        at = p
        for part in v.split("..", 1):
            if part and not re.fullmatch(r"\d{4}", part):
                raise QueryError(f"bad year '{part}': use four digits, as in year:2009", at, q)
            at += len(part) + 2
    if ".." in v:
        a, b = v.split("..", 1)
        if not a and not b:
            raise QueryError("a date range needs at least one end, as in date:2009-05..", p, q)
        start = _parse_date(a, p, q, end=False) if a else None
        stop = _parse_date(b, p + len(a) + 2, q, end=True) if b else None
        if start and stop and start > stop:
            raise QueryError(f"date range '{v}' ends before it starts", p, q)
        return DateRange(start, stop, pos=t.pos)
    return DateRange(_parse_date(v, p, q, end=False), _parse_date(v, p, q, end=True), pos=t.pos)


_CLASS_OP = re.compile(r"(>=|<=|=|>|<)?\s*(.*)", re.S)


def _class_node(t: _Tok, q: str) -> Classification:
    m = _CLASS_OP.fullmatch(t.text)
    assert m is not None
    op = m.group(1) or "="
    name = " ".join(m.group(2).upper().replace("_", " ").split())
    level = CLASS_LEVELS.get(name)
    if level is None:
        known = ", ".join(f"{a} ({n})" for a, n in zip(_CLASS_ABBR, CLASS_NAMES))
        hint = " (for caveats use caveat:NOFORN)" if "/" in name else ""
        raise QueryError(
            f"unknown classification '{m.group(2)}'; use one of {known}, "
            f"optionally after >=, >, <= or <{hint}",
            t.value_pos + (len(m.group(1)) if m.group(1) else 0),
            q,
        )
    return Classification(op, level, pos=t.pos)


def _code(text: str) -> str:
    return "".join(text.split()).upper()


def _field_node(t: _Tok, q: str) -> Node:
    name, value = t.name, t.text.strip()
    if not value:
        raise QueryError(f"{name}: needs a value, as in {_EXAMPLES[name]}", t.value_pos, q)
    if t.prefix and name not in ("origin", "tag", "id", "signer", "subject"):
        raise QueryError(f"{name}: does not take a * wildcard", t.value_pos, q)
    if name == "subject":
        tokens = tokenize_text(value)
        if not tokens:
            raise QueryError("subject: needs a word with letters or digits", t.value_pos, q)
        return Text(tokens, prefix=t.prefix, field="subject", pos=t.pos)
    if name in ("date", "from", "to", "year"):
        return _date_node(t, q)
    if name == "class":
        return _class_node(t, q)
    if name == "origin":
        if any(ch.isspace() for ch in value):
            return Origin(" ".join(value.split()), by_name=True, prefix=t.prefix, pos=t.pos)
        return Origin(value.upper(), prefix=t.prefix, pos=t.pos)
    if name == "tag":
        return Tag(_code(value), prefix=t.prefix, pos=t.pos)
    if name == "caveat":
        code = _code(value)
        return Caveat(CAVEAT_ALIASES.get(code, code), pos=t.pos)
    if name == "id":
        return CableId(_code(value), prefix=t.prefix, pos=t.pos)
    if name == "ref":
        return Ref(_code(value), pos=t.pos)
    if name == "signer":
        return Signer(" ".join(value.split()).upper(), prefix=t.prefix, pos=t.pos)
    if name == "lint":
        from cablegram.telegram.lint import RULES

        rule = value.lower()
        if rule not in RULES:
            raise QueryError(f"lint: no rule {value}; the rules are {', '.join(RULES)}",
                             t.value_pos, q)  # fmt: skip
        return Lint(rule, pos=t.pos)
    return Entity(name, " ".join(value.split()), pos=t.pos)


def parse_query(q: str) -> Node:
    """Parse a query string to its AST; raise ``QueryError`` for anything malformed."""
    if not isinstance(q, str):
        raise TypeError("query must be a str")
    if len(q) > MAX_LENGTH:
        raise QueryError(
            f"query too long ({len(q)} characters; at most {MAX_LENGTH})", MAX_LENGTH, q
        )
    if not q.strip():
        raise QueryError('empty query: type a word, a "phrase" or a filter such as tag:PGOV', 0, q)
    toks = _lex(q)
    node = _Parser(q, toks).parse()
    if node is None:
        raise QueryError("nothing to search for: the query has no letters or digits", 0, q)
    terms = leaves(node)
    if len(terms) > MAX_TERMS:
        raise QueryError(
            f"too many terms ({len(terms)}; at most {MAX_TERMS})", terms[MAX_TERMS].pos, q
        )
    return node


# --------------------------------------------------------------------- unparse


def _quote(text: str) -> str:
    return '"' + text.replace('"', "") + '"'


def unparse(node: Node) -> str:
    """A canonical query string that parses back to the same tree."""
    if isinstance(node, And):
        return " ".join(_group(item, Or) for item in node.items)
    if isinstance(node, Or):
        return " OR ".join(_group(item, None) for item in node.items)
    if isinstance(node, Not):
        return "NOT " + _group(node.item, None)
    if isinstance(node, Text):
        body = _quote(" ".join(node.tokens)) + ("*" if node.prefix else "")
        return f"subject:{body}" if node.field else body
    if isinstance(node, Origin):
        return "origin:" + _quote(node.value) + ("*" if node.prefix else "")
    if isinstance(node, Tag):
        return "tag:" + _quote(node.code) + ("*" if node.prefix else "")
    if isinstance(node, Classification):
        return f"class:{'' if node.op == '=' else node.op}{_CLASS_ABBR[node.level]}"
    if isinstance(node, Caveat):
        return "caveat:" + _quote(node.name)
    if isinstance(node, DateRange):
        return f"date:{node.start or ''}..{node.end or ''}"
    if isinstance(node, CableId):
        return "id:" + _quote(node.id) + ("*" if node.prefix else "")
    if isinstance(node, Ref):
        return "ref:" + _quote(node.id)
    if isinstance(node, Signer):
        return "signer:" + _quote(node.name) + ("*" if node.prefix else "")
    if isinstance(node, Entity):
        return f"{node.kind}:" + _quote(node.value)
    if isinstance(node, Lint):
        return f"lint:{node.rule}"
    raise TypeError(f"not a query node: {node!r}")


def _group(node: Node, allowed: type | None) -> str:
    # Parenthesise compound children except where precedence makes it unnecessary.
    if isinstance(node, And) or (isinstance(node, Or) and allowed is not Or):
        return "(" + unparse(node) + ")"
    return unparse(node)
