"""Cables named in a cable's paragraphs: written ids (``08 BAKU 123``) and the
sentences that mention a septel, with the entities each names."""

from __future__ import annotations

import re
from typing import Any

from cablegram import reference
from cablegram.enrich.mentions import Mention
from cablegram.reference.sentences import septel_sentences

_CITE = re.compile(r"(?<![\w-])(\d{2})\s?([A-Z]{3,}(?:\s[A-Z]{3,}){0,2})\s?(\d{1,6})(?![\w-])")


def _citation(m: re.Match[str], year: int | None) -> str:
    origin = m.group(2)
    code = origin.replace(" ", "")
    if code not in reference.known_origins():
        code = reference.origin_code(origin) or ""
    if not code:
        return ""
    return f"{m.group(1)}{code}{int(m.group(3))}"


def _septels(
    paras: list[tuple[int, str, str, Any]], mentions: list[Mention]
) -> list[tuple[int, int, int, str, list[str]]]:
    """The septel sentences of each paragraph (the parser's rule, ``reference.sentences``):
    (seq, start, end, text, the keys of the entities mentioned in it)."""
    out = []
    for seq, orig, _work, _ in paras:
        for start, end, text in septel_sentences(orig):
            keys = sorted(
                {f"{x.kind}:{x.key}" for x in mentions if x.seq == seq and x.key
                 and start <= x.start and x.end <= end}
            )  # fmt: skip
            out.append((seq, start, end, text, keys))
    return out
