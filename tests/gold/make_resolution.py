"""Write ``resolution.jsonl`` from the hand decisions in ``resolution-decisions.txt``.

    .venv/bin/python tests/gold/make_resolution.py --db dev.db   # an archive of the dev sample

The decisions were made by reading each cable (see README.md); this script only finds the
offsets of the surface strings they name, in the paragraph text as the archive stores it.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
from pathlib import Path

HERE = Path(__file__).resolve().parent
# A name used as the modifier of an institution or an era names no person here.
MODIFIER = re.compile(
    r"\s+(?:administration|regime|presidency|government|era|house|tax|doctrine)\b", re.I
)


def read_decisions(path: Path) -> tuple[dict[str, list[tuple]], dict[str, set[int]]]:
    blocks: dict[str, list[tuple]] = {}
    skips: dict[str, set[int]] = {}
    cur = ""
    for raw in path.read_text("utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("= "):
            cur = line[2:].strip()
            blocks[cur] = []
        elif line.startswith("! skip"):
            skips[cur] = {int(x) for x in line.split()[2:]}
        else:
            key, _, rest = line.partition(":")
            for s in rest.split("|"):
                s, inc, exc = s.strip(), None, None
                m = re.match(r"^(.*?)([#-])([\d,]+)$", s)
                if m:
                    s, ids = m.group(1), {int(x) for x in m.group(3).split(",")}
                    inc, exc = (ids, None) if m.group(2) == "#" else (None, ids)
                blocks[cur].append((key.strip(), s, inc, exc))
    return blocks, skips


def mentions(conn: sqlite3.Connection, cid: str, rules: list[tuple], skip: set[int]) -> list[dict]:
    rows = [
        r
        for r in conn.execute(
            "SELECT seq, number, text FROM portions WHERE cable_id = ? "
            "AND kind IN ('para', 'summary') ORDER BY seq",
            (cid,),
        )
        if r[0] not in skip
    ]
    if not rows:
        raise SystemExit(f"{cid}: not in the archive")
    text = " ".join(r[2] for r in rows)
    letters = sum(ch.isalpha() for ch in text)
    case = "upper" if sum(ch.isupper() for ch in text) / max(1, letters) > 0.85 else "mixed"
    cands = []
    for key, surface, inc, exc in rules:
        rx = re.compile(r"(?<![\w-])" + re.escape(surface) + r"(?![\w]|-\w)")
        i = 0
        for seq, num, t in rows:
            for m in rx.finditer(t):
                i += 1  # occurrences are numbered in reading order, as the decisions count them
                if (inc is not None and i not in inc) or (exc is not None and i in exc):
                    continue
                if not MODIFIER.match(t, m.end()):
                    cands.append((seq, num, m.start(), m.end(), surface, key))
        if i == 0:
            raise SystemExit(f"{cid}: {surface!r} does not occur")
    cands.sort(key=lambda x: -(x[3] - x[2]))  # the longest surface wins an overlap
    taken: list[tuple] = []
    for c in cands:
        if not any(c[0] == t[0] and c[2] < t[3] and t[2] < c[3] for t in taken):
            taken.append(c)
    keys = ("seq", "para", "start", "end", "text", "entity")
    return [{"cable": cid, "case": case, **dict(zip(keys, t, strict=True))} for t in sorted(taken)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--decisions", default=str(HERE / "resolution-decisions.txt"),
                    help="resolution-heldout-decisions.txt for the held-out set")  # fmt: skip
    ap.add_argument("-o", default=str(HERE / "resolution.jsonl"))
    args = ap.parse_args()
    blocks, skips = read_decisions(Path(args.decisions))
    conn = sqlite3.connect(args.db)
    out = [
        m
        for cid, rules in blocks.items()
        for m in mentions(conn, cid, rules, skips.get(cid, set()))
    ]
    with open(args.o, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(m, ensure_ascii=False) + "\n" for m in out)
    print(f"{len(blocks)} cables, {len(out)} mentions, {len({m['entity'] for m in out})} people")


if __name__ == "__main__":
    main()
