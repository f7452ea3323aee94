"""Run a costly regex only where it can match.

The regex engine jumps quickly only to a literal that opens a case-sensitive pattern; a
pattern that opens with ``\\b``, ``^`` or a lookbehind, or is case-insensitive, is tried
at every position of the text, and even its literal jumps are slower than ``str.find``.
When every match of a pattern begins with a known word, finding the word with
``str.find`` (in a lower-cased copy of the text for a case-insensitive pattern) leads
straight to the few places worth trying. The results are those of the pattern's own
``search`` and ``finditer``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, Final

_Find = Callable[[str, str, int, int], int]
_Lower = Callable[[str], str | None]


def native(name: str) -> Any:
    """The scan ``name`` written in C (_pagescan.c), or None when the build did not make
    it (no compiler, ``CABLEGRAM_PURE=1``): the caller then runs its Python twin."""
    try:
        import cablegram.parser._pagescan as c
    except ImportError:
        return None
    return getattr(c, name, None)


# str.find and the folding of one-byte text in C: CPython's str.find takes ~0.5 ns a
# character of cable text, and text is searched end to end many times a cable.
_FIND: Final[_Find | None] = native("find")
_LOWER: Final[_Lower | None] = native("lower_ascii")


def find(text: str, sub: str, start: int, end: int) -> int:
    """``text.find(sub, start, end)``, quicker where the C helper was built."""
    if _FIND is not None:
        return _FIND(text, sub, start, end)
    return text.find(sub, start, end)


# re.IGNORECASE matches these to an ASCII letter ("ſ" to "s", "ı" and "İ" to "i"), but
# str.lower() does not turn them into it, and "İ".lower() is two characters long.
_FOLD_TRAPS: Final = ("ſ", "ı", "İ")


def fold(text: str) -> str | None:
    """A lower-cased copy of ``text`` for ``search_ci``: same offsets, and wherever a
    case-insensitive pattern matches an ASCII word the copy holds the lower-case word.
    None when no such copy can be made (the search then scans as usual)."""
    if _LOWER is not None:
        low = _LOWER(text)  # one-byte text: what the two ways below give it
        if low is not None:
            return low
    if text.isascii():
        return text.lower()
    try:
        # The text is within Latin-1 (nearly always): lower-casing ASCII is then enough,
        # and bytes.lower() does it several times faster than str.lower() on non-ASCII.
        return text.encode("latin-1").lower().decode("latin-1")
    except UnicodeEncodeError:
        pass
    if any(c in text for c in _FOLD_TRAPS):
        return None
    return text.lower()


def search(
    rx: re.Pattern[str], text: str, word: str, pos: int = 0, endpos: int | None = None
) -> re.Match[str] | None:
    """``rx.search(text, pos, endpos)`` for a pattern whose every match begins with ``word``."""
    return _search(rx, text, text, word, pos, len(text) if endpos is None else endpos)


def search_ci(
    rx: re.Pattern[str],
    text: str,
    folded: str | None,
    word: str,
    pos: int = 0,
    endpos: int | None = None,
) -> re.Match[str] | None:
    """Likewise for a pattern whose every match begins with the ASCII ``word`` (given in
    lower case) in some case, as a case-insensitive pattern's do. ``folded`` is ``fold()``
    of the text, or of a part of it from its start that reaches ``endpos``."""
    endpos = len(text) if endpos is None else endpos
    if folded is None:
        return rx.search(text, pos, endpos)
    return _search(rx, text, folded, word, pos, endpos)


def search_where(
    rx: re.Pattern[str],
    text: str,
    folded: str | None,
    where: re.Pattern[str],
    pos: int = 0,
    endpos: int | None = None,
) -> re.Match[str] | None:
    """``rx.search(text, pos, endpos)`` for a case-insensitive pattern that opens with no
    word to find, but whose every match starts where the case-sensitive pattern ``where``
    (written in lower case) matches in ``folded`` (as for ``search_ci``). The regex engine
    jumps to ``where``'s opening literal; ``rx`` is tried only where ``where`` matched."""
    endpos = len(text) if endpos is None else endpos
    if folded is None:
        return rx.search(text, pos, endpos)
    c = where.search(folded, pos, endpos)
    while c:
        m = rx.match(text, c.start(), endpos)
        if m:
            return m
        c = where.search(folded, c.start() + 1, endpos)
    return None


def finditer_ci(
    rx: re.Pattern[str], text: str, folded: str | None, word: str
) -> Iterator[re.Match[str]]:
    """``rx.finditer(text)`` for a pattern like ``search_ci`` takes (never an empty match)."""
    if folded is None:
        yield from rx.finditer(text)
        return
    m = _search(rx, text, folded, word, 0, len(text))
    while m:
        yield m
        m = _search(rx, text, folded, word, m.end(), len(text))


def _search(
    rx: re.Pattern[str], text: str, haystack: str, word: str, pos: int, endpos: int
) -> re.Match[str] | None:
    i = find(haystack, word, pos, endpos)
    while i >= 0:
        m = rx.match(text, i, endpos)
        if m:
            return m
        i = find(haystack, word, i + 1, endpos)
    return None


_SPACES: Final = re.compile(r"\s+")


def squash_spaces(s: str) -> str:
    """``re.sub(r"\\s+", " ", s)``; a string whose only white space is single spaces (all
    other white space is unprintable) needs no regex."""
    return s if "  " not in s and s.isprintable() else _SPACES.sub(" ", s)
