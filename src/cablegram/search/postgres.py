"""PostgreSQL's side of search: the tokens of ``portions.tsv`` and the ``tsquery`` of a
word or phrase (the engine itself is ``search.pgengine``).

Tokens: ``portions.tsv`` is not built by ``to_tsvector`` (whose parser splits ``T-72``,
e-mail addresses and URLs its own way, and stems or drops stop words depending on the
configuration) but from :func:`lexemes`, which splits and folds text like SQLite's
``unicode61 remove_diacritics 2``, so both backends find the same portions. The writer
sends each portion's ``tsvector`` in binary form (:func:`tsvector_binary`); migration 0007
turns the lexemes into ``term_postings``, which search reads; a phrase is checked with
:func:`tsquery_of` on the portions holding all its words. User text reaches SQL only as
bound parameters; tsquery strings are built from quoted lexemes.
"""

from __future__ import annotations

import functools
import re
import struct
import unicodedata
from typing import Any

from cablegram.search.query import Text

__all__ = [
    "fold",
    "leaf_lexemes",
    "lexeme_list",
    "lexemes",
    "ph",
    "positions",
    "tsquery_of",
    "tsvector_binary",
    "tsvector_literal",
]

_TOKEN = re.compile(r"[^\W_]+")  # letters and digits (unicode61's token characters)
MAX_POS = 16383  # tsvector positions stop there
MAX_POSITIONS = 255  # per lexeme and portion
MAX_LEXEME = 2046  # bytes
HEADING_GAP = 2  # heading positions follow the text's after a gap: no phrase spans both


# ------------------------------------------------------------------------- tokens


@functools.lru_cache(maxsize=200_000)
def fold(token: str) -> str:
    """Lower-case and strip diacritics (Café -> cafe), as unicode61 remove_diacritics 2."""
    if token.isascii():
        return token.lower()
    s = unicodedata.normalize("NFD", token)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", s).lower()


_ASCII_TOKEN = re.compile(r"[A-Za-z0-9]+")  # _TOKEN on ASCII text, where fold() is lower()


def lexemes(text: str) -> list[tuple[str, int, int]]:
    """(lexeme, start, end) of each token of ``text``; start/end are character offsets."""
    if text.isascii():  # the usual case: one regular expression, lower() is the fold
        out = [(m.group(), m.start(), m.end()) for m in _ASCII_TOKEN.finditer(text.lower())]
        if out and max(e - s for _, s, e in out) > MAX_LEXEME:
            out = [t for t in out if t[2] - t[1] <= MAX_LEXEME]
        return out
    out = []
    for m in _TOKEN.finditer(text):
        lex = fold(m.group())
        if lex and len(lex.encode("utf-8")) <= MAX_LEXEME:
            out.append((lex, m.start(), m.end()))
    return out


def _quote(lex: str) -> str:
    return "'" + lex.replace("\\", "\\\\").replace("'", "''") + "'"


def lexeme_list(text: str) -> list[str]:
    """The lexemes of ``text`` in order: ``[lex for lex, _, _ in lexemes(text)]``, faster
    (pure-ASCII text, the usual case, is split by one regular expression)."""
    if text.isascii():
        out = _ASCII_TOKEN.findall(text.lower())
        if out and max(map(len, out)) > MAX_LEXEME:
            out = [x for x in out if len(x) <= MAX_LEXEME]
        return out
    return [lex for lex in map(fold, _TOKEN.findall(text))
            if lex and len(lex.encode("utf-8")) <= MAX_LEXEME]  # fmt: skip


def positions(text: str, heading: str = "") -> dict[str, list[int]]:
    """Each lexeme of one portion and its positions, as ``portions.tsv`` holds them: the
    text's lexemes at 1..n, then the heading's after a gap; positions stop at 16,383 and
    a lexeme keeps its first 255."""
    lexs = lexeme_list(text)
    head = lexeme_list(heading) if heading else []
    out: dict[str, list[int]] = {}
    get = out.get
    for pos, lex in enumerate(lexs, 1):
        ps = get(lex)
        if ps is None:
            out[lex] = [pos]
        else:
            ps.append(pos)
    last = len(lexs) + (HEADING_GAP if heading else 0)
    for pos, lex in enumerate(head, last + 1):
        ps = get(lex)
        if ps is None:
            out[lex] = [pos]
        else:
            ps.append(pos)
    if out and (last + len(head) > MAX_POS or max(map(len, out.values())) > MAX_POSITIONS):
        # Rare (a paragraph of over 16,383 words, or a word 256 times in one): clamp the
        # positions, merge the duplicates that makes, keep the first 255 of each lexeme.
        out = {lex: sorted({min(p, MAX_POS) for p in ps})[:MAX_POSITIONS]
               for lex, ps in out.items()}  # fmt: skip
    return out


def tsvector_literal(text: str, heading: str = "") -> str:
    """The ``tsvector`` input string for one portion (see :func:`positions`)."""
    pos = positions(text, heading)
    if text.isascii() and heading.isascii():  # no quote or backslash in an ASCII token
        return " ".join(f"'{lex}':{','.join(map(str, ps))}" for lex, ps in pos.items())
    return " ".join(_quote(lex) + ":" + ",".join(map(str, ps)) for lex, ps in pos.items())


def tsvector_binary(text: str, heading: str = "") -> bytes:
    """The same ``tsvector`` in PostgreSQL's binary format (``tsvectorsend``: the number
    of lexemes, then each lexeme NUL-terminated, its number of positions and the positions,
    big-endian), for COPY ... (FORMAT BINARY): the server reads it without parsing."""
    pos = positions(text, heading)
    out = [len(pos).to_bytes(4, "big")]
    add = out.append
    for lex, ps in pos.items():
        if len(ps) == 1:  # most lexemes of a paragraph (~80%)
            add(lex.encode() + _ONCE[ps[0]])
        else:
            n = len(ps)
            add(lex.encode() + b"\0" + _uint16s[n](n, *ps))
    return b"".join(out)


class _Uint16s(dict):
    def __missing__(self, n: int) -> Any:
        fn = self[n] = struct.Struct(f">{n + 1}H").pack
        return fn


_uint16s = _Uint16s()
# The tail of a lexeme found once, at position p: NUL, one position, p.
_ONCE = tuple(b"\0\0\x01" + p.to_bytes(2, "big") for p in range(MAX_POS + 1))


def leaf_lexemes(node: Text) -> list[str]:
    """The lexemes of a word or phrase, in order."""
    return [lex for tok in node.tokens for lex, _, _ in lexemes(tok)]


def tsquery_of(node: Text) -> str | None:
    """The tsquery input string of a word/phrase (None when it has no letters or digits)."""
    lex = leaf_lexemes(node)
    if not lex:
        return None
    parts = [_quote(x) for x in lex]
    if node.prefix:
        parts[-1] += ":*"
    return " <-> ".join(parts)


def ph(sql: str) -> str:
    """Visibility.portion_clause writes '?' placeholders (sqlite3); psycopg wants %s."""
    return sql.replace("?", "%s")
