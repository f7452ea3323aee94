"""Parse a fixed, seeded set of inputs and write every record as a JSON line.

Run once with ``CABLEGRAM_PURE=1`` and once without, the two outputs show whether the
compiled parser gives exactly the records of the pure-Python one
(tests/test_parse_compiled.py). The inputs: the dev pages as shipped, their raw text,
the other samples, and damaged variants of each page (cut, lines dropped, letter case
flipped, stray bytes, CRLF, a block repeated), so that the rarely taken paths run too.

    python tests/parse_dump.py OUT [--pages N] [--variants K] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from cablegram.parser import compiled_modules, parse  # noqa: E402
from cablegram.sources import iter_documents  # noqa: E402
from conftest import BAKU_MD, CSV_SAMPLE, read_pages  # noqa: E402
from parse_agreement import raw_text  # noqa: E402


def damaged(data: bytes, rng: random.Random) -> bytes:
    """One random kind of rendering damage, applied somewhere in ``data``."""
    kind = rng.randrange(7)
    n = len(data)
    at = rng.randrange(n + 1)
    if kind == 0:  # cut anywhere
        return data[:at]
    lines = data.split(b"\n")
    i = rng.randrange(len(lines))
    if kind == 1:  # a run of lines dropped
        return b"\n".join(lines[:i] + lines[i + rng.randrange(1, 40) :])
    if kind == 2:  # letter case flipped over a stretch
        j = min(n, at + rng.randrange(1, 4000))
        part = data[at:j]
        return data[:at] + (part.lower() if rng.random() < 0.5 else part.upper()) + data[j:]
    if kind == 3:  # stray bytes: invalid UTF-8, controls, NULs, markup
        junk = bytes(
            rng.choice(b"\x00\x01\x0b\x1b\x7f\x80\xc3\xff<>&;#/\r\n \t")
            for _ in range(rng.randrange(1, 12))
        )
        return data[:at] + junk + data[at:]
    if kind == 4:  # CRLF line ends
        return data.replace(b"\n", b"\r\n")
    if kind == 5:  # a block of lines repeated
        return b"\n".join(lines[:i] + lines[i : i + 30] + lines[i:])
    # two pages' halves joined
    return data[:at] + data[rng.randrange(n + 1) :]


def inputs(pages: int | None, variants: int, seed: int) -> Iterator[tuple[str, bytes | str]]:
    rng = random.Random(seed)
    for name, data in read_pages(pages):
        yield name, data
        text = data.decode("utf-8", "replace")
        yield name + "#raw", raw_text(text)
        yield name + "#str", text
        for k in range(variants):
            yield f"{name}#v{k}", damaged(data, rng)
        raw = raw_text(text).encode()
        if raw:
            yield name + "#raw-damaged", damaged(raw, rng)
    yield "seed", BAKU_MD.read_bytes()
    for doc in iter_documents([str(CSV_SAMPLE)]):
        yield f"csv:{doc.member}", doc.data
    for k in range(200):  # noise
        yield f"noise{k}", bytes(rng.randrange(256) for _ in range(rng.randrange(0, 3000)))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--pages", type=int, default=None)
    ap.add_argument("--variants", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"compiled": compiled_modules()}) + "\n")
        for name, data in inputs(args.pages, args.variants, args.seed):
            record = parse(data).to_dict()
            fh.write(json.dumps([name, record], sort_keys=True, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
