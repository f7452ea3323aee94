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
    without a bracket around it all. The sentences of ``sentences(text)``, found from
    each mention of a septel (most of a text is never read)."""
    out: list[tuple[int, int, str]] = []
    done = 0  # the end of the last sentence found
    for m in _mentions(text):
        if m.start() < done:
            continue  # in that sentence
        s = _sentence_start(text, max(done, m.start() - _LOOK_BACK), m.start())
        e = _END.search(text, m.end())
        done = e.end() if e else len(text)
        lead = _LEAD.match(text, s, done)
        s = lead.end() if lead else s
        end = s + len(text[s:done].rstrip())
        sentence = _unbracket(" ".join(text[s:end].split()))
        if sentence:
            out.append((s, end, sentence))
    return out


# How far before a mention its sentence's start is looked for (a longer sentence is cut).
_LOOK_BACK: Final = 2000


def _sentence_start(text: str, lo: int, at: int) -> int:
    """Where the sentence holding ``text[at]`` starts, looking no further back than ``lo``
    (itself a sentence's start or ``at - _LOOK_BACK``): the last ``_END`` before ``at``,
    found from the stops and line ends before it (cheaper than scanning forward)."""
    i = at
    while True:
        j = max(text.rfind(c, lo, i) for c in ".!?\n")
        if j < lo:
            return lo
        if text[j] == "\n":
            return j + 1
        k = j
        while k > lo and text[k - 1] in ".!?":
            k -= 1  # the first stop of a run ("...")
        m = _END.match(text, k)
        if m and m.end() <= at:
            return m.end()
        i = k


def _mentions(text: str) -> Iterator[re.Match[str]]:
    """``SEPTEL.finditer(text)``, found with ``str.find`` on the lower-cased text (a
    case-blind regular expression reads every character, ten times slower)."""
    low = text.lower()
    if len(low) != len(text):  # a letter whose lower case is longer: offsets would shift
        yield from SEPTEL.finditer(text)
        return
    i = low.find("septel")
    while i >= 0:
        m = SEPTEL.match(text, i)
        if m:
            yield m
        i = low.find("septel", m.end() if m else i + 1)


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
