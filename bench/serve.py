"""Load on the HTTP API: concurrent searches against a server on loopback.

    .venv/bin/python bench/serve.py --db cablegram.db [--clients 20] [--duration 30]

Starts ``cablegram serve`` on a free port of 127.0.0.1 (or uses ``--url`` of a server
already running on this machine), then ``--clients`` concurrent clients (keep-alive connections
of a minimal asyncio HTTP/1.1 client, or ``--client httpx``) send searches for ``--duration`` seconds (at most 60) or ``--requests`` requests,
whichever comes first. The queries mix words, phrases, filters, sorts and pages, drawn from
the archive's own tags and origins; people repeat queries (shared links, paging back), and
the server remembers results until the database changes. ``--unique`` makes every request
a query never seen before (a harmless ``-zq<N>x`` term is added), which measures the search
itself. Reports requests/s, latency percentiles and errors; the target is p95 <= 150 ms at
20 clients on SQLite, <= 300 ms on PostgreSQL (issue 20: a server shared over the network). ``--json`` prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx

TARGET_P95_MS = 150.0
TARGET_P95_MS_POSTGRES = 300.0
MAX_DURATION = 60.0
WORDS = [
    "iran", "oil", "election", "minister", "nuclear", "trade", "military", "president",
    "corruption", "police", "embassy", "visit", "parliament", "energy", "refugees", "border",
    "opposition", "terrorism", "human rights", "naval base", "prime minister", "gas pipeline",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: str, port: int, workers: int) -> subprocess.Popen:
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    cmd = [sys.executable, "-m", "cablegram", "serve", "--db", db, "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers)]  # fmt: skip
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_ready(url: str, proc: subprocess.Popen | None, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise SystemExit(f"the server exited: {err}")
        try:
            if httpx.get(url + "/api/stats", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"no server at {url} after {timeout:.0f} s")


def query_mix(stats: dict, n: int, seed: int) -> list[dict]:
    """``n`` search requests: words, phrases, tags, origins, classification, dates, sorts
    and pages, in proportions like a person's browsing."""
    rnd = random.Random(seed)
    tags = [t["code"] for t in stats.get("tags", [])][:20] or ["PREL"]
    years = [y["year"] for y in stats.get("years", []) if y.get("year") and y["count"] > 10]
    years = years or [2009]
    out = []
    for _ in range(n):
        word = rnd.choice(WORDS)
        word = f'"{word}"' if " " in word else word
        kind = rnd.random()
        if kind < 0.30:
            q = word
        elif kind < 0.55:
            q = f"tag:{rnd.choice(tags)} {word}"
        elif kind < 0.65:
            q = f"{word} {rnd.choice(WORDS).split()[0]}"
        elif kind < 0.75:
            q = f"class:>=C {word}"
        elif kind < 0.85:
            q = f"year:{rnd.choice(years)} {word}"
        elif kind < 0.92:
            q = f"tag:{rnd.choice(tags)}"
        else:
            q = f"({word} OR {rnd.choice(WORDS).split()[0]}) -tag:{rnd.choice(tags)}"
        params: dict = {"q": q}
        r = rnd.random()
        if r < 0.2:
            params["sort"] = "date"
        if rnd.random() < 0.15:
            params["page"] = rnd.randint(2, 3)
        out.append(params)
    return out


class Connection:
    """One keep-alive HTTP/1.1 connection sending GETs: asyncio streams and a few lines
    of parsing. The load generator shares the server's two cores, and httpx spends about
    1.8 ms of CPU a request (a third of a core at 200 requests/s); this spends a fraction
    of that, so the figures are the server's."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, target: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        try:
            self.writer.write(f"GET {target} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
            head = await self.reader.readuntil(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            status = int(lines[0].split()[1])
            fields = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                fields[name.strip().lower()] = value.strip().lower()
            if b"chunked" in fields.get(b"transfer-encoding", b""):
                body = b""
                while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                    body += (await self.reader.readexactly(size + 2))[:-2]
                await self.reader.readuntil(b"\r\n")
            else:
                body = await self.reader.readexactly(int(fields.get(b"content-length", 0)))
            if fields.get(b"connection") == b"close":
                self.close()
            return status, body
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def run_load(url: str, mix: list[dict], clients: int, duration: float,
                   max_requests: int, unique: bool = False,
                   client: str = "raw") -> dict:  # fmt: skip
    latencies: list[float] = []
    errors: dict[str, int] = {}
    statuses: dict[int, int] = {}
    sent = 0
    seen: set[tuple] = set()
    stop_at = time.monotonic() + duration
    parts = urlsplit(url)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as pool:

        async def worker(k: int) -> None:
            nonlocal sent
            conn = Connection(parts.hostname or "127.0.0.1", parts.port or 80)
            i = k
            while time.monotonic() < stop_at and sent < max_requests:
                sent += 1
                params = mix[i % len(mix)]
                if unique:
                    params = {**params, "q": f"{params['q']} -zq{sent}x{os.getpid()}"}
                seen.add(tuple(sorted(params.items())))
                i += clients
                t0 = time.perf_counter()
                try:
                    if client == "httpx":
                        r = await pool.get("/api/search", params=params)
                        await r.aread()
                        status = r.status_code
                    else:
                        target = "/api/search?" + urlencode(params)
                        status, _ = await asyncio.wait_for(conn.get(target), 30)
                except (httpx.HTTPError, OSError, asyncio.IncompleteReadError,
                        TimeoutError, ValueError) as exc:  # fmt: skip
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    continue
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
                if status >= 400:
                    key = f"HTTP {status}"
                    errors[key] = errors.get(key, 0) + 1
            conn.close()

        t_start = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(clients)))
        elapsed = time.perf_counter() - t_start

    lat = sorted(latencies)

    def pct(p: float) -> float:
        if not lat:
            return float("nan")
        return lat[min(len(lat) - 1, max(0, round(p / 100 * len(lat)) - 1))]

    return {
        "requests": len(lat) + sum(v for k, v in errors.items() if not k.startswith("HTTP")),
        "seconds": round(elapsed, 2),
        "requests_per_s": round(len(lat) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(pct(50), 1),
        "p95_ms": round(pct(95), 1),
        "p99_ms": round(pct(99), 1),
        "max_ms": round(lat[-1], 1) if lat else float("nan"),
        "mean_ms": round(statistics.fmean(lat), 1) if lat else float("nan"),
        "distinct_requests": len(seen),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "statuses": statuses,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", help="archive to serve (started here on a free loopback port)")
    ap.add_argument(
        "--url", help="a server already running on this machine, e.g. http://127.0.0.1:8000"
    )
    ap.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of load, at most 60")
    ap.add_argument("--requests", type=int, default=100_000, help="stop after this many requests")
    ap.add_argument("--warmup", type=int, default=50, help="requests sent first, not measured")
    ap.add_argument("--workers", type=int, default=1,
                    help="search processes of the server (with --db)")  # fmt: skip
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--unique", action="store_true", help="every query new: no cached results")
    ap.add_argument("--client", choices=["raw", "httpx"], default="raw",
                    help="load generator: minimal asyncio HTTP/1.1 (default) or httpx")  # fmt: skip
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    if not args.db and not args.url:
        ap.error("give --db (to start a server) or --url")
    if args.url and not args.url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        ap.error("--url must be a loopback address: this bench only loads this machine")
    duration = min(max(args.duration, 1.0), MAX_DURATION)
    if args.client == "raw":
        try:  # the server's event loop, for the same reason: less CPU per request
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        except ImportError:
            pass

    proc = None
    url = args.url.rstrip("/") if args.url else ""
    if args.db:
        if "://" not in args.db and not os.path.exists(args.db):  # (a PostgreSQL URL)
            ap.error(f"no database at {args.db}")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = start_server(args.db, port, args.workers)
    try:
        wait_ready(url, proc)
        stats = httpx.get(url + "/api/stats", timeout=60).json()
        mix = query_mix(stats, 2000, args.seed)
        if args.warmup:
            asyncio.run(run_load(url, mix[::-1], args.clients, 30.0, args.warmup,
                                 client=args.client))  # fmt: skip
        res = asyncio.run(run_load(url, mix, args.clients, duration, args.requests,
                                   unique=args.unique, client=args.client))  # fmt: skip
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    target = (TARGET_P95_MS_POSTGRES if (args.db or "").startswith("postgres")
              else TARGET_P95_MS)  # fmt: skip
    res.update(
        unique=args.unique,
        client=args.client,
        clients=args.clients,
        workers=args.workers if args.db else None,
        cables=stats.get("cables"),
        target_p95_ms=target,
        meets_target=bool(res["p95_ms"] <= target and not res["errors"]),
    )
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print(
            f"{res['cables']:,} cables visible to the bench's (anonymous) reader, "
            f"{args.clients} clients, {res['seconds']} s: "
            f"{res['requests']:,} searches, {res['requests_per_s']} req/s; latency p50 "
            f"{res['p50_ms']} ms, p95 {res['p95_ms']} ms, p99 {res['p99_ms']} ms, max "
            f"{res['max_ms']} ms; errors {res['errors']} {res['error_kinds'] or ''}"
        )
        print(
            f"{res['distinct_requests']:,} distinct requests"
            + (" (--unique)" if args.unique else "")
        )
        verdict = "meets" if res["meets_target"] else "MISSES"
        print(f"target p95 <= {res['target_p95_ms']:.0f} ms with no errors: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
