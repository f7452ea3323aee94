"""Entity extraction: precision and recall against the hand-annotated gold set, and
enrichment throughput.

    .venv/bin/python bench/entities.py                 # both, on the dev sample
    .venv/bin/python bench/entities.py --no-speed -v   # quality only, listing the errors
    .venv/bin/python bench/entities.py --db cables.db --workers 2 --limit 1000

Quality: each gold cable (``tests/gold/entities.jsonl``, see the README there) is read
from the database exactly as ``cablegram enrich`` reads it and run through the extractor.
Scoring is per cable and per entity: a predicted entity (a name after resolution inside
the cable, with every form it was written in) matches a gold entity when one of its forms
equals one of the gold entity's forms (compared without case, accents or punctuation).
Precision = matched predictions / predictions; recall = matched gold entities / gold
entities; both summed over the cables (micro-average), per type and per case (mixed or
ALL-CAPS).

Speed: a copy of the database is enriched from scratch (extraction in ``--workers``
processes, writing and resolution in this one). Wall-clock cables/s are what this machine
gave; CPU seconds per cable (this process and its workers) say what the cores would give
without other load. The projection to the full Cablegate release (251,287 cables) scales
the per-cable CPU cost.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cablegram.enrich import db  # noqa: E402
from cablegram.enrich.extract import Extractor  # noqa: E402
from cablegram.enrich.lexicon import norm, place_canon  # noqa: E402
from cablegram.enrich.patterns import clean_name  # noqa: E402
from goldset import DEV_SAMPLE, dev_archive, load_gold  # noqa: E402

GOLD = ROOT / "tests" / "gold" / "entities.jsonl"
HELDOUT = ROOT / "tests" / "gold" / "heldout-people.jsonl"
SAMPLES = ROOT / "samples"
CABLEGATE = 251_287
KINDS = ("person", "org", "place")


def build_db(path: Path) -> None:
    from cablegram.archive import Archive

    with Archive(path) as arc:
        arc.ingest(DEV_SAMPLE, workers=2)


def forms(kind: str, names: set[str]) -> set[str]:
    out = set()
    for n in names:
        k = norm(n)
        if not k:
            continue
        out.add(k)
        if kind == "place":
            out.add(norm(place_canon().get(k, n)))
    return out


def predicted(
    conn: sqlite3.Connection, ids: list[str], ex: Extractor
) -> dict[str, dict[str, list[set[str]]]]:
    out: dict[str, dict[str, list[set[str]]]] = {}
    inputs = db.read_cables(conn, ids)
    for (ct, _, _), ce in zip(inputs, ex.extract([x[0] for x in inputs]), strict=True):
        groups: dict[tuple[str, str], set[str]] = defaultdict(set)
        for m in ce.mentions:
            if m.kind not in KINDS or not m.key:
                continue
            g = groups[(m.kind, m.key)]
            g.add(m.name)
            if m.role != "title":
                g.add(clean_name(m.text))
        per: dict[str, list[set[str]]] = {k: [] for k in KINDS}
        for (kind, _), names in groups.items():
            per[kind].append(names)
        out[ct.id] = per
    return out


def score(gold: list[dict], pred: dict[str, dict[str, list[set[str]]]], verbose: bool) -> dict:
    tally: dict[tuple[str, str], list[int]] = defaultdict(
        lambda: [0, 0, 0, 0]
    )  # tp_p, np, tp_g, ng
    for g in gold:
        p = pred.get(g["id"], {k: [] for k in KINDS})
        for kind in KINDS:
            if g.get(kind) is None:
                continue  # not annotated for this type (the held-out set: people only)
            golds = [forms(kind, set(e)) for e in g[kind]]
            preds = [forms(kind, e) for e in p[kind]]
            pm = [any(pf & gf for gf in golds) for pf in preds]
            gm = [any(pf & gf for pf in preds) for gf in golds]
            for case in (g["case"], "all"):
                t = tally[(kind, case)]
                t[0] += sum(pm)
                t[1] += len(preds)
                t[2] += sum(gm)
                t[3] += len(golds)
            if verbose:
                fp = [sorted(e)[0] for e, ok in zip(p[kind], pm, strict=True) if not ok]
                fn = [e[0] for e, ok in zip(g[kind], gm, strict=True) if not ok]
                if fp or fn:
                    print(f"  {g['id']} {kind}: missed {fn}  extra {fp}")
    res = {}
    for (kind, case), (tpp, np_, tpg, ng) in sorted(tally.items()):
        res[f"{kind}/{case}"] = {
            "precision": round(tpp / np_, 3) if np_ else None,
            "recall": round(tpg / ng, 3) if ng else None,
            "predicted": np_,
            "gold": ng,
        }
    return res


def quality(dbpath: Path, verbose: bool, gold_path: Path = GOLD) -> dict:
    gold = load_gold(gold_path)
    conn = sqlite3.connect(dbpath)
    ex = Extractor()
    pred = predicted(conn, [g["id"] for g in gold], ex)
    missing = [g["id"] for g in gold if g["id"] not in pred]
    if missing:
        raise SystemExit(f"gold cables missing from {dbpath}: {missing}")
    res = score(gold, pred, verbose)
    print(
        f"\n{gold_path.name}: {len(gold)} cables ({sum(g['case'] == 'upper' for g in gold)} ALL-CAPS)"
    )
    print(f"{'type/case':<16}{'P':>7}{'R':>7}{'pred':>7}{'gold':>7}")
    for k, v in res.items():
        p = "-" if v["precision"] is None else f"{v['precision']:.3f}"
        r = "-" if v["recall"] is None else f"{v['recall']:.3f}"
        print(f"{k:<16}{p:>7}{r:>7}{v['predicted']:>7}{v['gold']:>7}")
    return res


def speed(dbpath: Path, workers: int, limit: int | None) -> dict:
    from cablegram.enrich.run import enrich

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "speed.db"
        with sqlite3.connect(dbpath) as s, sqlite3.connect(copy) as d:
            s.backup(d)
        conn = sqlite3.connect(copy, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        ids = [r[0] for r in conn.execute("SELECT id FROM cables ORDER BY id")]
        if limit:
            ids = ids[:limit]
        chars = sum(
            conn.execute(
                f"SELECT coalesce(sum(length(text)), 0) FROM portions WHERE kind IN ('para', 'summary') "
                f"AND cable_id IN ({','.join('?' * len(part))})",
                part,
            ).fetchone()[0]
            for part in (ids[i : i + 500] for i in range(0, len(ids), 500))
        )
        r0, c0 = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
        t0 = time.perf_counter()
        rep = enrich(conn, workers=workers, ids=ids, force=True)
        wall = time.perf_counter() - t0
        r1, c1 = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
        conn.close()
    cpu_parent = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    cpu_workers = (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime)
    n = rep.cables
    per_cable = (cpu_parent + cpu_workers) / n
    worker_per_cable = cpu_workers / n if workers else per_cable
    # Two cores: the workers share them, the parent's writing runs beside.
    ideal = 2 / per_cable
    out = {
        "cables": n,
        "paragraph_chars_per_cable": round(chars / max(1, len(ids))),
        "workers": workers,
        "wall_seconds": round(wall, 1),
        "cables_per_second_wall": round(n / wall, 1),
        "cpu_seconds_parent": round(cpu_parent, 1),
        "cpu_seconds_workers": round(cpu_workers, 1),
        "cpu_ms_per_cable": round(per_cable * 1000, 1),
        "worker_cpu_ms_per_cable": round(worker_per_cable * 1000, 1),
        "cables_per_second_2_idle_cores": round(ideal, 1),
        "cablegate_hours_wall_rate": round(CABLEGATE / (n / wall) / 3600, 2),
        "cablegate_hours_2_idle_cores": round(CABLEGATE / ideal / 3600, 2),
        "load_average": os.getloadavg()[0],
        "resolve_entities": rep.entities,
        "resolve_seconds": round(rep.resolve_seconds, 1),
        "mentions": rep.mentions,
    }
    print(f"\nThroughput ({workers} workers, {n} cables, {out['paragraph_chars_per_cable']} "
          "paragraph characters per cable):")  # fmt: skip
    print(f"  wall: {wall:.1f} s, {out['cables_per_second_wall']} cables/s "
          f"(load average {out['load_average']:.1f} on {os.cpu_count()} CPUs)")  # fmt: skip
    print(f"  resolution over the archive: {rep.resolve_seconds:.1f} s, {rep.entities:,} entities, "
          f"{rep.mentions:,} mentions")  # fmt: skip
    print(f"  CPU: {out['cpu_ms_per_cable']} ms per cable ({cpu_workers:.1f} s workers, "
          f"{cpu_parent:.1f} s parent) -> {ideal:.1f} cables/s on 2 idle cores")  # fmt: skip
    print(f"  Cablegate ({CABLEGATE:,} cables): {out['cablegate_hours_wall_rate']} h at this "
          f"wall rate, {out['cablegate_hours_2_idle_cores']} h on 2 idle cores")  # fmt: skip
    # A cluster: extraction is independent per cable and scales with cores; the one
    # SQLite writer (the parent's share) and the final resolution do not.
    parent_per_cable = cpu_parent / n
    out["cluster"] = {}
    for cores in (8, 32, 128):
        extract_h = CABLEGATE * worker_per_cable / cores / 3600
        write_h = CABLEGATE * parent_per_cable / 3600
        out["cluster"][cores] = round(max(extract_h, write_h), 2)
    print("  on a cluster (extraction over N cores, one writer): "
          + ", ".join(f"{c} cores ~{h * 60:.0f} min" for c, h in out["cluster"].items())
          + f" (writer floor {CABLEGATE * parent_per_cable / 60:.0f} min)")  # fmt: skip
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", help="a database holding the dev sample (default: build one)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None, help="enrich only the first N cables")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--no-quality", action="store_true")
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("-v", "--verbose", action="store_true", help="list misses and extras")
    args = ap.parse_args()
    figures: dict = {}
    with dev_archive(args.db, build_db, "the dev database") as dbpath:
        if not args.no_quality:
            figures["quality"] = quality(dbpath, args.verbose)
            if HELDOUT.exists():
                figures["heldout_people"] = quality(dbpath, args.verbose, HELDOUT)
        if not args.no_speed:
            figures["speed"] = speed(dbpath, args.workers, args.limit)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
