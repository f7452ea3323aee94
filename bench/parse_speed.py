"""Parser throughput: cables/s and MB/s over the dev pages, single process, full record.

The pages are read into memory first (decompressing the archive is not parsing), then
parsed one after another in this process. The baseline measured in the same run is the
cost of only decoding each page and finding its two <pre> blocks: the floor any parser of
these pages pays. Rates are wall-clock; the CPU-time rates beside them (this process
only) move less when other work shares the machine. ``--profile`` prints the hottest
functions.

``--baseline PATH`` compares with another checkout's parser (say, a ``git worktree`` of
the commit before a change) in the same run: this checkout's parser and PATH's each run
in a child process of their own (PATH's with ``PATH/.venv/bin/python`` when it has one,
else this Python with ``PATH/src`` first on the path), both holding the pages in memory,
and parse them in turns, ``--rounds`` rounds, which of the two goes first alternating.
Load from other work then falls on both alike; the medians over the rounds and the median
of the per-round ratios are printed, with the load average.

The parser is compiled with mypyc by the install (setup.py); the script says which
modules run compiled, and also times the pure-Python parser (the same source, loaded
with ``CABLEGRAM_PURE=1`` in a child process) in the same run, unless ``--no-pure``.

    python bench/parse_speed.py [--repeat 3] [--profile] [--no-pure]
    python bench/parse_speed.py --baseline ../parse-base [--rounds 9]
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import os
import pstats
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from cablegram import parse
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
    ap.add_argument("--baseline", metavar="PATH", help="another checkout to compare with")
    ap.add_argument("--rounds", type=int, default=9, help="turns each with --baseline")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return _worker(args.archive)
    if args.baseline:
        return _compare(args.archive, Path(args.baseline).resolve(), args.rounds)
    compiled = compiled_modules()
    pages = _pages(args.archive)
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


def compiled_modules() -> list[str]:
    """The parser's compiled modules (the package was ``cablegram.parse`` before it was
    renamed ``cablegram.parser``: a baseline checkout may have either)."""
    for name in ("cablegram.parser", "cablegram.parse"):
        mod = sys.modules.get(name) or _import(name)
        if mod is not None and hasattr(mod, "compiled_modules"):
            return mod.compiled_modules()
    return []


def _import(name: str):  # type: ignore[no-untyped-def]
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _pages(archive: str) -> list[bytes]:
    return [d.data for d in iter_documents([archive]) if d.member.endswith(".html")]


def _worker(archive: str) -> int:
    """A child of ``--baseline``: loads the pages, says how many and which parser, then
    parses them all once per line read from stdin and answers with the wall and CPU time."""
    pages = _pages(archive)
    print(f"{len(pages)} {len(compiled_modules())}", flush=True)
    for _ in sys.stdin:
        t0, c0 = time.perf_counter(), time.process_time()
        for p in pages:
            parse(p)
        print(f"{time.perf_counter() - t0} {time.process_time() - c0}", flush=True)
    return 0


def _spawn(checkout: Path | None, archive: str) -> subprocess.Popen[str]:
    env = dict(os.environ)
    python = sys.executable
    if checkout is not None:
        venv = checkout / ".venv" / "bin" / "python"
        if venv.exists():
            python = str(venv)
        else:
            env["PYTHONPATH"] = os.pathsep.join([str(checkout / "src"), env.get("PYTHONPATH", "")])
    return subprocess.Popen(
        [python, __file__, archive, "--worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=checkout or ROOT,
    )


def _compare(archive: str, baseline: Path, rounds: int) -> int:
    """This checkout's parser against ``baseline``'s, in turns (see the docstring)."""
    names = ("this checkout", f"baseline {baseline}")
    workers = [_spawn(None, archive), _spawn(baseline, archive)]
    n = 0
    for name, w in zip(names, workers, strict=True):
        assert w.stdout is not None
        n, ncompiled = map(int, w.stdout.readline().split())
        kind = f"compiled ({ncompiled} modules)" if ncompiled else "pure Python"
        print(f"{name}: parser {kind}")
    load0 = os.getloadavg()
    wall: list[list[float]] = [[], []]
    cpu: list[list[float]] = [[], []]
    for r in range(rounds):
        order = (0, 1) if r % 2 == 0 else (1, 0)
        for k in order:
            w = workers[k]
            assert w.stdin is not None and w.stdout is not None
            w.stdin.write("go\n")
            w.stdin.flush()
            a, b = map(float, w.stdout.readline().split())
            wall[k].append(n / a)
            cpu[k].append(n / b)
        print(
            f"round {r + 1}: {wall[0][-1]:,.0f} vs {wall[1][-1]:,.0f} cables/s"
            f" (CPU time {cpu[0][-1]:,.0f} vs {cpu[1][-1]:,.0f}), load {os.getloadavg()[0]:.2f}"
        )
    load1 = os.getloadavg()
    for w in workers:
        assert w.stdin is not None
        w.stdin.close()
        w.wait()
    med = statistics.median
    print(f"{n} pages, {rounds} rounds in turns; load average {load0[0]:.2f} -> {load1[0]:.2f}")
    for k, name in enumerate(names):
        print(
            f"{name}: median {med(wall[k]):,.0f} cables/s (range {min(wall[k]):,.0f}-"
            f"{max(wall[k]):,.0f}); CPU time median {med(cpu[k]):,.0f} cables/s"
        )
    ratio = med([a / b for a, b in zip(wall[0], wall[1], strict=True)])
    ratio_cpu = med([a / b for a, b in zip(cpu[0], cpu[1], strict=True)])
    print(
        f"this / baseline, median of the rounds' ratios: {ratio:.3f} wall, {ratio_cpu:.3f} CPU"
        f" time: {'at or above' if ratio_cpu >= 1.0 else 'BELOW'} the baseline"
    )
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
