"""Similar cables: how often the 10 most similar cables are ones the query cable cites or is
cited by, or share its TAGS, and how long a query takes (docs/classify.md).

Precision at 10 is reported for the text vectors alone and for the full score (which adds a
bonus for shared TAGS and for citations, so its precision against citations is partly by
construction: the text-only figure is the honest one). Queries are the cables with at least
one citation link inside the archive. Latency: ``classify.similar`` per query once the
reader's index is in memory, and the scoring step on a random 250,000 x DIMS matrix to show
how it scales.

    python bench/similar.py --db bench/out/dev.db
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from cablegram.archive import Archive  # noqa: E402
from cablegram.classify import build_index, similar  # noqa: E402
from cablegram.classify.similar import DIMS, has_index, index_for  # noqa: E402


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.array(xs), q)) if xs else float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, default=ROOT / "bench" / "out" / "dev.db")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--scale", type=int, default=250_000, help="rows of the latency matrix")
    args = ap.parse_args(argv)
    with Archive(args.db) as arc:
        conn = arc.store.conn
        if args.rebuild or not has_index(conn):
            t0 = time.perf_counter()
            n = build_index(arc)
            print(f"index: {n:,} portions in {time.perf_counter() - t0:.1f} s")
        idx = index_for(conn, None)
        links = idx.cites
        queries = [i for i in range(len(idx.ids)) if links.get(i)]
        print(f"{len(idx.ids):,} cables, {len(queries):,} with a citation link in the archive")
        p_text, p_full, p_tags_text, p_tags_full, lat = [], [], [], [], []
        for i in queries:
            sims = idx.matrix @ idx.matrix[i]
            sims[i] = -np.inf
            top = np.argsort(-sims)[:10]
            p_text.append(np.mean([j in links[i] for j in top]))
            p_tags_text.append(np.mean([bool(idx.tags.get(i, set()) & idx.tags.get(j, set()))
                                        for j in top]))  # fmt: skip
            t0 = time.perf_counter()
            hits = similar(arc, idx.ids[i], k=10)
            lat.append((time.perf_counter() - t0) * 1000)
            p_full.append(np.mean([h.cites for h in hits]))
            p_tags_full.append(np.mean([bool(h.shared_tags) for h in hits]))
        rand = np.mean([len(links[i]) / (len(idx.ids) - 1) for i in queries])
    print("\n| score | precision@10: cited/citing | precision@10: shares a TAG |")
    print("|---|---|---|")
    print(f"| text vectors only | {np.mean(p_text):.3f} | {np.mean(p_tags_text):.3f} |")
    print(
        f"| full (text + TAGS + citation bonus) | {np.mean(p_full):.3f} | {np.mean(p_tags_full):.3f} |"
    )
    print(f"| random cables | {rand:.4f} | |")
    print(f"\nclassify.similar latency over {len(lat)} queries: p50 {pct(lat, 50):.2f} ms, "
          f"p95 {pct(lat, 95):.2f} ms")  # fmt: skip
    rng = np.random.default_rng(0)
    m = rng.standard_normal((args.scale, DIMS), dtype=np.float32)
    m /= np.linalg.norm(m, axis=1)[:, None]
    times = []
    for k in range(50):
        t0 = time.perf_counter()
        s = m @ m[k]
        np.argpartition(-s, 200)[:200]
        times.append((time.perf_counter() - t0) * 1000)
    print(f"scoring step at {args.scale:,} cables x {DIMS} dims: p50 {pct(times, 50):.2f} ms, "
          f"p95 {pct(times, 95):.2f} ms (memory {m.nbytes / 2**20:.0f} MB)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
