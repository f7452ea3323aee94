"""Bytes to text, recording what was uncertain instead of failing."""

from __future__ import annotations

import codecs
from typing import Final

from cablegram.model import Defect

_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode(data: bytes, defects: list[Defect]) -> str:
    """Decode ``data``: BOM, then UTF-8, then a detected or fallback 8-bit encoding.

    Only strict UTF-8 (or a BOM) is trusted silently; anything else is decoded with a
    recorded ``encoding`` defect so a reader knows the characters may be wrong.
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc)
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_at = exc.start
    if b"\x00" in data[:4096]:
        defects.append(Defect("binary", "input looks binary (NUL bytes); decoded as latin-1"))
        return data.decode("latin-1")
    guess = _detect(data)
    if guess:
        defects.append(Defect("encoding", f"not valid UTF-8 (byte {bad_at}); decoded as {guess}"))
        return data.decode(guess, errors="replace")
    defects.append(
        Defect("encoding", f"not valid UTF-8 (byte {bad_at}); decoded as cp1252 with replacements")
    )
    return data.decode("cp1252", errors="replace")


def _detect(data: bytes) -> str:
    # Mostly-UTF-8 text with a few stray bytes is far more common in cable dumps than a
    # whole file in another encoding: keep UTF-8 when nearly all of it decodes.
    text = data.decode("utf-8", errors="replace")
    if text.count("\ufffd") * 200 < len(text):
        return "utf-8"
    try:
        from charset_normalizer import from_bytes  # type: ignore[import-not-found, unused-ignore]
    except ImportError:  # pragma: no cover - declared dependency
        return ""
    best = from_bytes(data[:65536]).best()
    return best.encoding if best is not None else ""
