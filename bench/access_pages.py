"""What a restricted reader's pages cost against the API and an unrestricted reader
(issue 21: anonymous web searches and entity pages listed every visible entity).

    python bench/access_pages.py --db ARCHIVE [--rounds 20]

On an enriched archive, in process (no network), each request a new query so no cache
answers it: the anonymous web search page against the anonymous API search, and entity
pages for an anonymous reader against an administrator's token. Prints medians and
ratios, both sides measured in the same run, interleaved.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import warnings
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from cablegram.access import AccessDB, Reader
    from cablegram.api import create_app
    from cablegram.archive import Archive

    work = Path(tempfile.mkdtemp(prefix="cg-pages-"))
    db = work / "pages.db"
    shutil.copy(args.db, db)
    with AccessDB.for_archive(db) as acc:
        acc.add_user("boss", clearance="U", admin=True)
        token = acc.new_token("boss")[0]
    admin = {"Authorization": f"Bearer {token}"}
    with Archive(db, create=False) as arc:
        # Distinct words of the archive's own subjects: each query new to every cache.
        words: list[str] = []
        for (subject,) in arc.store.conn.execute("SELECT subject FROM cables LIMIT 2000"):
            for w in (subject or "").lower().split():
                if w.isalpha() and len(w) > 5 and w not in words:
                    words.append(w)
        words = words[: 2 * args.rounds]
        args.rounds = min(args.rounds, len(words) // 2)
        anon = arc.as_reader(Reader.anonymous("U"))
        visible = anon.entities(limit=args.rounds)
        raw = arc.entities(limit=args.rounds)
        n_entities = len(arc.entities(limit=10_000_000))
    times: dict[str, list[float]] = {}

    def timed(name: str, fn) -> None:  # noqa: ANN001
        t = time.perf_counter()
        r = fn()
        times.setdefault(name, []).append(time.perf_counter() - t)
        assert r.status_code in (200, 404), (name, r.status_code)

    with TestClient(create_app(db, readers=2)) as c:
        for i in range(args.rounds):
            w1, w2 = words[2 * i], words[2 * i + 1]
            timed("web search, anonymous", lambda w=w1: c.get("/search", params={"q": w}))
            timed("API search, anonymous", lambda w=w2: c.get("/api/search", params={"q": w}))
            if i < len(visible):
                e = visible[i].entity_id
                timed("entity page, anonymous", lambda e=e: c.get(f"/entities/{e}"))
                timed("entity API, anonymous", lambda e=e: c.get(f"/api/entities/{e}"))
            if i < len(raw):
                e = raw[i].entity_id
                timed("entity page, admin", lambda e=e: c.get(f"/entities/{e}", headers=admin))
    shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    print(f"{n_entities:,} entities; {args.rounds} rounds; median ms")
    for k, v in med.items():
        print(f"  {k:<26} {v:8.1f}")

    def ratio(a: str, b: str) -> None:
        if a in med and b in med:
            print(f"  {a} / {b}: {med[a] / med[b]:.2f}x")

    ratio("web search, anonymous", "API search, anonymous")
    ratio("entity page, anonymous", "entity page, admin")
    ratio("entity API, anonymous", "entity page, admin")


if __name__ == "__main__":
    main()
