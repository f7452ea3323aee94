"""How many dev cables survive ``parse(compose(record))`` field for field, and which do not.

    python bench/compose_roundtrip.py [--show 5] [FILES...]

Parses the dev cables (samples/cablegate-dev.tar.xz and the seed by default), composes
each record as a telegram (cablegram.telegram.compose), parses that, and compares the
fields of cablegram.telegram.roundtrip.FIELDS. Prints the share that comes back whole,
the count of differences per field and up to ``--show`` examples of each.
"""

from __future__ import annotations

import argparse
import collections
import time
from pathlib import Path

from cablegram.parser import parse
from cablegram.sources import iter_documents
from cablegram.telegram.roundtrip import roundtrip

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = [ROOT / "samples" / "cablegate-dev.tar.xz", ROOT / "samples" / "09BAKU433.md"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--show", type=int, default=5, help="examples per field")
    args = ap.parse_args()
    per_field: collections.Counter[str] = collections.Counter()
    examples: dict[str, list[str]] = collections.defaultdict(list)
    n = whole = 0
    t0 = time.perf_counter()
    for doc in iter_documents([str(p) for p in args.paths]):
        try:
            cable = parse(doc.data)
        except Exception:
            continue
        if not cable.id:
            continue
        n += 1
        r = roundtrip(cable)
        whole += r.ok
        for d in r.differences:
            per_field[d.field] += 1
            if len(examples[d.field]) < args.show:
                examples[d.field].append(
                    f"{cable.id}: {str(d.before)[-90:]!r} -> {str(d.after)[-90:]!r}"
                )
    secs = time.perf_counter() - t0
    print(f"round trip: {whole:,} of {n:,} cables whole ({100 * whole / max(n, 1):.2f}%), "
          f"{secs:.1f} s")  # fmt: skip
    for name, k in per_field.most_common():
        print(f"  {name}: {k}")
        for e in examples[name]:
            print(f"    {e}")


if __name__ == "__main__":
    main()
