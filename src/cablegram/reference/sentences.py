"""Sentences of cable text, and the one rule for the sentences that mention a septel (a
separate telegram): the parser lists them in ``Cable.septels``, the enrichment matches
them to the cables they name. One rule, so that both find the same sentences.

A sentence ends at ``.``, ``!`` or ``?`` (with any closing quotes or brackets) before a
space and a word that does not start in lower case (``U.S. officials``, ``e.g. the`` and
``1.5`` go on), at the end of a line (cable text is lists and headings as often as
prose), or at the end of the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

__all__ = ["SEPTEL", "sentences", "septel_sentences"]

SEPTEL: Final = re.compile(r"\bseptels?\b", re.I)
_END: Final = re.compile(r"[.!?]+[\"')\]]*(?=\s*$|\s+[^\sa-z])|\n")
# What opens a sentence but is not part of it: a portion marking "(S/NF)", a list label
# "(2)", "b)".
_LEAD: Final = re.compile(
    r"\s*(?:\(?(?:(?:TS|SBU|[UCS])(?://?[A-Z]{1,8})*|\d{1,3}|[A-Za-z])\)\s*)?"
)


def sentences(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence of ``text``, in order (blank ones left out)."""
    start = 0
    for e in _END.finditer(text):
        if not text[start : e.end()].isspace():
            yield start, e.end()
        start = e.end()
    if text[start:].strip():
        yield start, len(text)


def septel_sentences(text: str) -> list[tuple[int, int, str]]:
    """The sentences of ``text`` that mention a septel, in order: (start, end, text), the
    span without a leading marking or list label, the text with its spaces collapsed and
    without a bracket around it all."""
    out: list[tuple[int, int, str]] = []
    if not SEPTEL.search(text):
        return out
    for s, e in sentences(text):
        if not SEPTEL.search(text, s, e):
            continue
        lead = _LEAD.match(text, s, e)
        s = lead.end() if lead else s
        e = s + len(text[s:e].rstrip())
        sentence = _unbracket(" ".join(text[s:e].split()))
        if sentence:
            out.append((s, e, sentence))
    return out


def _unbracket(s: str) -> str:
    """``s`` without a bracket around it all ("(Septel reports X.)"), or without the one
    side it holds of a pair."""
    s = s.lstrip(") ")
    if s.startswith("("):
        depth = 0
        for i, ch in enumerate(s):
            depth += (ch == "(") - (ch == ")")
            if depth == 0:
                if s[i + 1 :].strip(" .") == "":  # the bracket closes at the end
                    return (s[1:i] + s[i + 1 :]).strip()
                return s
        return s[1:].lstrip()  # never closed
    if s.endswith(")") and s.count("(") < s.count(")"):
        return s[:-1].rstrip()
    return s
