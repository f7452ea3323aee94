"""Does the parser read a damaged rendering as it reads the raw text?

Every dev page is taken as raw text (bench/parse_agreement.raw_text), then rendered with
the damage the seed's Markdown shows (corpus/seed/09BAKU433.md): the number of every
paragraph that opens a block loses its pilcrow to a "1" (``11.`` for 1, ``¶16.`` for 6,
``¶10.`` for 10, sometimes ``110.``), with or without the ``¶`` left in front, the style
switching part-way through the cable as in the seed. Nothing else changes: signer lines and
page headers keep their lines. The record parsed from the damaged text must equal the one
parsed from the raw text on id, classification, subject, TAG codes, paragraph numbers and
markings, and signer.

    python bench/parse_damage.py [samples/cablegate-dev.tar.xz] [--list N]
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cablegram import parse  # noqa: E402
from cablegram.sources import iter_documents  # noqa: E402
from parse_agreement import raw_text  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# A paragraph number opening a block: at the start of the text or after a blank line.
_BLOCK_NUMBER = re.compile(r"(?:\A|(?<=\n\n)|(?<=\n[ \t]\n))([ \t]*)(?:¶\s*)?(\d{1,2})(\s?\.)")


def damage(text: str, seed: str = "") -> str:
    """``text`` with its block-opening paragraph numbers damaged as the seed's are. The
    style (where the ``¶`` starts to show, whether 10 and up get a "1" too) follows from
    a hash of ``seed``, so a cable is always damaged the same way."""
    h = hashlib.sha256((seed or text[:200]).encode()).digest()
    switch = h[0] % 8  # the "¶" shows from the switch-th damaged number on
    tens_too = h[1] % 4 == 0  # 10 and up damaged as well ("110.")
    count = 0

    def one(m: re.Match[str]) -> str:
        nonlocal count
        n = int(m[2])
        pil = "¶" if count >= switch else ""
        count += 1
        if n < 10 or tens_too:
            return f"{m[1]}{pil}1{n}{m[3]}"
        return f"{m[1]}{pil}{n}{m[3]}"

    return _BLOCK_NUMBER.sub(one, text)


def key(c) -> dict[str, object]:
    return {
        "id": c.id,
        "classification": c.classification,
        "subject": c.subject,
        "tags": [t.code for t in c.tags],
        "paragraphs": [(p.number, p.marking) for p in c.paragraphs],
        "signer": c.signer,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("archive", nargs="?", default=str(ROOT / "samples" / "cablegate-dev.tar.xz"))
    ap.add_argument("--list", type=int, default=15, help="differing cables to list")
    args = ap.parse_args()
    n = same = damaged_pages = 0
    fields: dict[str, int] = {}
    misses: list[str] = []
    t0 = time.perf_counter()
    for doc in iter_documents([args.archive]):
        if not doc.member.endswith(".html"):
            continue
        text = raw_text(doc.data.decode("utf-8", errors="replace"))
        bad = damage(text, doc.member)
        n += 1
        damaged_pages += bad != text
        a, b = key(parse(text, hint="telegram")), key(parse(bad, hint="telegram"))
        if a == b:
            same += 1
            continue
        diff = [f for f in a if a[f] != b[f]]
        for f in diff:
            fields[f] = fields.get(f, 0) + 1
        name = doc.member.rsplit("/", 1)[-1]
        misses.append(f"{name}: {', '.join(f'{f} {a[f]!r} -> {b[f]!r}' for f in diff)}"[:400])
    dt = time.perf_counter() - t0
    print(f"{n} dev pages ({damaged_pages} with a damaged number), parsed twice in {dt:.1f} s")
    print(
        f"damaged record equals raw record: {same} / {n} ({100 * same / max(n, 1):.2f}%;"
        " target >= 98%)"
    )
    if fields:
        print("fields that differ: " + ", ".join(f"{f} {k}" for f, k in sorted(fields.items())))
    for row in misses[: args.list]:
        print("  " + row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
