"""Parser throughput: cables/s and MB/s over the dev pages, single process, full record.

The pages are read into memory first (decompressing the archive is not parsing), then
parsed one after another in this process. The baseline measured in the same run is the
cost of only decoding each page and finding its two <pre> blocks: the floor any parser of
these pages pays. Rates are wall-clock; the CPU-time rates beside them (this process
only) move less when other work shares the machine. ``--profile`` prints the hottest
functions.

The parser is compiled with mypyc by the install (setup.py); the script says which
modules run compiled, and also times the pure-Python parser (the same source, loaded
with ``CABLEGRAM_PURE=1`` in a child process) in the same run, unless ``--no-pure``.

    python bench/parse_speed.py [--repeat 3] [--profile] [--no-pure]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import subprocess
import sys
import time
from pathlib import Path

from cablegram import parse
from cablegram.parser import compiled_modules
from cablegram.sources import iter_documents

ROOT = Path(__file__).resolve().parent.parent
_PRE = re.compile(r"<code><pre>(.*?)</pre></code>", re.S)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("archive", nargs="?", default=str(ROOT / "samples" / "cablegate-dev.tar.xz"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--no-pure", action="store_true", help="skip the pure-Python run")
    ap.add_argument("--quiet-header", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    compiled = compiled_modules()
    pages = [d.data for d in iter_documents([args.archive]) if d.member.endswith(".html")]
    mb = sum(len(p) for p in pages) / 1e6
    if not args.quiet_header:
        print(f"{len(pages)} pages, {mb:.1f} MB of HTML as shipped")
        print(
            "parser: "
            + (f"compiled with mypyc ({len(compiled)} modules)" if compiled else "pure Python")
        )

    t0, c0 = time.perf_counter(), time.process_time()
    for p in pages:
        _PRE.findall(p.decode("utf-8"))
    floor, floor_cpu = time.perf_counter() - t0, time.process_time() - c0

    best = best_cpu = float("inf")
    fields = 0
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        for p in pages:
            c = parse(p)
            fields += len(c.paragraphs)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    rate = len(pages) / best
    label = "compiled" if compiled else "pure Python"
    if args.quiet_header:  # the pure-Python child of a compiled run: its rate only
        print(f"{rate} {len(pages) / best_cpu}")
        return 0
    print(
        f"baseline (decode + find <pre> blocks): {len(pages) / floor:,.0f} pages/s"
        f" (CPU time: {len(pages) / floor_cpu:,.0f})"
    )
    print(
        f"parse, full record, {label} (best of {args.repeat}): {rate:,.0f} cables/s,"
        f" {mb / best:.1f} MB/s (CPU time: {len(pages) / best_cpu:,.0f} cables/s)"
    )
    print(
        f"ratio parse / baseline time: {best / floor:.1f}x (CPU time: {best_cpu / floor_cpu:.1f}x)"
    )
    if compiled and not args.no_pure:
        pure, pure_cpu = _pure_rate(args.archive, args.repeat)
        print(
            f"parse, full record, pure Python (same run, child process): {pure:,.0f} cables/s"
            f" (CPU time: {pure_cpu:,.0f}); compiled / pure: {rate / pure:.2f}x"
            f" (CPU time: {len(pages) / best_cpu / pure_cpu:.2f}x)"
        )
    print(f"target 2,000 cables/s: {'met' if rate >= 2000 else 'NOT met'}")
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for p in pages:
            parse(p)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(15)
    return 0


def _pure_rate(archive: str, repeat: int) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, __file__, archive, "--repeat", str(repeat), "--quiet-header"],
        env={**os.environ, "CABLEGRAM_PURE": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    wall, cpu = out.stdout.split()
    return float(wall), float(cpu)


if __name__ == "__main__":
    sys.exit(main())
