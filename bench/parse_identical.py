"""Does a change to the parser keep every record byte-identical? (For speed work.)

``dump`` parses a fixed set of inputs and writes each record as a JSON line: the dev pages
as shipped (with their member name, as ingest passes it), their raw text, the same raw text
with the seed's paragraph-number damage (bench/parse_damage.py), the other samples and
every file under /work/shared/corpus when it is there, and the seeded damaged variants of
tests/parse_dump.py, so that rarely taken paths run too. ``check`` parses the same inputs
with the parser importable here and compares them with a dump made before the change,
line by line, listing the first records that differ.

Make the reference with the parser before the change, e.g. from another checkout with the
pure-Python parser (records are the same compiled or not: tests/test_parse_compiled.py):

    CABLEGRAM_PURE=1 PYTHONPATH=/path/to/other/src python bench/parse_identical.py dump REF
    python bench/parse_identical.py check REF
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
from parse_damage import damage  # noqa: E402
from parse_dump import damaged  # noqa: E402

SHARED = Path("/work/shared/corpus")


def inputs(variants: int, seed: int) -> Iterator[tuple[str, bytes | str, str | None]]:
    """(label, data, name passed to parse) for every input, in a fixed order."""
    rng = random.Random(seed)
    for name, data in read_pages():
        yield name, data, name
        text = data.decode("utf-8", "replace")
        raw = raw_text(text)
        yield name + "#raw", raw, None
        yield name + "#seed-damage", damage(raw, name), None
        for k in range(variants):
            yield f"{name}#v{k}", damaged(data, rng), None
    yield "seed", BAKU_MD.read_bytes(), BAKU_MD.name
    for doc in iter_documents([str(CSV_SAMPLE)]):
        yield f"csv:{doc.member}", doc.data, doc.member
    if SHARED.is_dir():
        for path in sorted(SHARED.rglob("*")):
            if path.is_file() and path.suffix in (".md", ".txt", ".html"):
                yield f"shared:{path.relative_to(SHARED)}", path.read_bytes(), path.name
    for k in range(200):  # noise
        yield f"noise{k}", bytes(rng.randrange(256) for _ in range(rng.randrange(0, 3000))), None


def records(variants: int, seed: int) -> Iterator[str]:
    for label, data, name in inputs(variants, seed):
        record = parse(data, name=name).to_dict()
        yield json.dumps([label, record], sort_keys=True, ensure_ascii=False)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("dump", "check"))
    ap.add_argument("file", help="the dump to write (dump) or to compare with (check)")
    ap.add_argument("--variants", type=int, default=2, help="damaged variants per page")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--list", type=int, default=5, help="differing records to show")
    args = ap.parse_args()
    parser = "compiled" if compiled_modules() else "pure Python"
    if args.mode == "dump":
        n = 0
        with open(args.file, "w", encoding="utf-8") as fh:
            for line in records(args.variants, args.seed):
                fh.write(line + "\n")
                n += 1
        print(f"{n} records written to {args.file} ({parser} parser)")
        return 0
    with open(args.file, encoding="utf-8") as fh:
        want = fh.read().split("\n")[:-1]  # (not splitlines: records hold U+2028 and such)
    got = list(records(args.variants, args.seed))
    differ = [(a, b) for a, b in zip(want, got, strict=False) if a != b]
    for a, b in differ[: args.list]:
        label, ra = json.loads(a)
        _, rb = json.loads(b)
        fields = sorted(k for k in set(ra) | set(rb) if ra.get(k) != rb.get(k))
        print(
            f"DIFFERS {label}: "
            + "; ".join(f"{k}: {ra.get(k)!r} -> {rb.get(k)!r}"[:300] for k in fields)
        )
    if len(want) != len(got):
        print(f"DIFFERS: {len(want)} records in {args.file}, {len(got)} now")
    same = not differ and len(want) == len(got)
    print(
        f"{len(got)} records ({parser} parser): "
        + ("all byte-identical" if same else f"{len(differ)} differ")
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
