"""Cables named in a cable's paragraphs: written ids (``08 BAKU 123``) and the
sentences that mention a septel, with the entities each names."""

from __future__ import annotations

import re
from typing import Any

from cablegram import reference
from cablegram.enrich.mentions import Mention

_CITE = re.compile(r"(?<![\w-])(\d{2})\s?([A-Z]{3,}(?:\s[A-Z]{3,}){0,2})\s?(\d{1,6})(?![\w-])")
_SENTENCE = re.compile(r"[^.!?]*(?:[.!?](?![a-z0-9])|$)")
_SEPTEL = re.compile(r"(?i)\bseptels?\b")


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
    out = []
    for seq, orig, _work, _ in paras:
        if not _SEPTEL.search(orig):
            continue
        for m in _SENTENCE.finditer(orig):
            if not m.group().strip() or not _SEPTEL.search(m.group()):
                continue
            keys = sorted(
                {f"{x.kind}:{x.key}" for x in mentions if x.seq == seq and x.key
                 and m.start() <= x.start and x.end <= m.end()}
            )  # fmt: skip
            out.append((seq, m.start(), m.end(), " ".join(m.group().split()), keys))
    return out
