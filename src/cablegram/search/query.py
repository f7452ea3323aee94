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

import re
from dataclasses import dataclass

from cablegram.model import CLASSIFICATION_LEVELS
from cablegram.search import fields as _fields
from cablegram.search.fields import CLASS_LEVELS, Value
from cablegram.search.nodes import (
    And,
    CableId,
    Caveat,
    Classification,
    DateRange,
    Entity,
    FieldFilter,
    Filter,
    Node,
    Not,
    Or,
    Origin,
    QueryError,
    Ref,
    Signer,
    Tag,
    Text,
    leaves,
    tokenize_text,
)

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

CLASS_NAMES = CLASSIFICATION_LEVELS
# Known fields, in the order the error message lists them in (cablegram.search.fields).
FIELDS: tuple[str, ...] = tuple(spec.name for spec in _fields.FIELDS)


# ---------------------------------------------------------------------- tokens


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
    spec = _fields.field(raw)
    name = spec.name if spec is not None else raw.lower()
    colon = m.end()
    rest = q[colon + 1 : colon + 3]
    if rest.startswith("//"):
        return None  # a URL: search its words
    if spec is None:
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
            f"{name}: needs a value right after the colon, as in {spec.example}", vpos, q
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


def _combine(kind: type[And] | type[Or], items: list[Node | None]) -> Node | None:
    kept: list[Node] = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, kind):  # flatten (a AND b) AND c
            assert isinstance(item, And | Or)  # (mypy cannot narrow by a variable class)
            kept.extend(item.items)
        else:
            kept.append(item)
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else kind(tuple(kept))


# ------------------------------------------------------------------ field values


def _field_node(t: _Tok, q: str) -> Node:
    """``name:value`` as its field's node (the field's ``build``, cablegram.search.fields)."""
    spec = _fields.field(t.name)
    assert spec is not None  # the lexer only makes FIELD tokens of known fields
    name = spec.name
    if not t.text.strip():
        raise QueryError(f"{name}: needs a value, as in {spec.example}", t.value_pos, q)
    if t.prefix and not spec.wildcard:
        raise QueryError(f"{name}: does not take a * wildcard", t.value_pos, q)
    return spec.build(Value(t.name, t.text, t.prefix, t.pos, t.value_pos, q))


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
            f"too many terms ({len(terms)}; at most {MAX_TERMS})",
            getattr(terms[MAX_TERMS], "pos", 0),
            q,
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
    if isinstance(node, Filter):
        return _fields.unparse_filter(node)
    raise TypeError(f"not a query node: {node!r}")


def _group(node: Node, allowed: type | None) -> str:
    # Parenthesise compound children except where precedence makes it unnecessary.
    if isinstance(node, And) or (isinstance(node, Or) and allowed is not Or):
        return "(" + unparse(node) + ")"
    return unparse(node)
