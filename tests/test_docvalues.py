"""Search's in-memory per-cable columns (cablegram.search.docvalues) follow the database."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cablegram.archive import Archive
from cablegram.search import docvalues
from conftest import make_tar

SEED = Path(__file__).resolve().parents[1] / "samples" / "09BAKU433.md"


def test_doc_values_reload_after_a_write(tmp_path: Path, pages) -> None:
    first = make_tar(tmp_path / "a.tar", pages[:40])
    second = make_tar(tmp_path / "b.tar", pages[40:80])
    with Archive(tmp_path / "a.db") as arc:
        arc.ingest([first], workers=0)
        before = arc.search("tag:PGOV OR -tag:PGOV", per_page=1)
        gen = docvalues.generation(arc.store.conn)
        dv = docvalues.doc_values(arc.store.conn)
        assert dv.cables == before.total == arc.store.count()
        arc.ingest([second, SEED], workers=0)
        assert docvalues.generation(arc.store.conn) > gen
        after = arc.search("tag:PGOV OR -tag:PGOV", per_page=1)
        assert after.total == arc.store.count() > before.total
        # Newly stored cables are found by the doc-value filters and counted in facets.
        baku = arc.search("origin:BAKU")
        assert "09BAKU433" in {h.id for h in arc.search("origin:BAKU", per_page=100).hits}
        assert dict(baku.facets["origin"])["BAKU"] == baku.total
        # Nothing changed: the same arrays are reused.
        assert docvalues.doc_values(arc.store.conn) is docvalues.doc_values(arc.store.conn)


def test_doc_values_match_the_tables(full_archive) -> None:
    conn = full_archive.store.conn
    dv = docvalues.doc_values(conn)
    rows = conn.execute(
        "SELECT key, origin_code, class_level, year, signer, date FROM cables"
    ).fetchall()
    assert dv.cables == len(rows)
    for key, origin, level, year, signer, date in rows[:: max(1, len(rows) // 300)]:
        assert dv.present[key]
        code = dv.origin.codes[key]
        assert (dv.origin.values[code] if code >= 0 else "") == origin
        assert dv.class_level[key] == level
        assert dv.year[key] == (year or 0)
        code = dv.signer.codes[key]
        assert (dv.signer.values[code] if code >= 0 else "") == signer
        if date:
            assert dv.day[key] == int(date[:10].replace("-", ""))
    tags = conn.execute(
        "SELECT count(*) FROM tags t JOIN cables c ON c.id = t.cable_id WHERE t.code = 'PGOV'"
    ).fetchone()[0]
    pgov = dv.tags.lookup("PGOV")
    assert int(np.sum(dv.tags.codes == pgov)) == tags


QUERIES = ["minister", '"prime minister"', "embassy -minister", "subject:visit",
           "tag:PGOV government", "nuclear OR iran", "gov*"]  # fmt: skip


def _results(conn, visible):
    from cablegram.search import search

    out = []
    for q in QUERIES:
        r = search(conn, q, per_page=10, visible=visible)
        out.append((r.total, [(h.id, round(h.score, 9), [s.text for s in h.snippets])
                              for h in r.hits], r.facets))  # fmt: skip
    return out


def test_cached_postings_give_the_same_results(full_archive) -> None:
    from cablegram.search import Visibility

    conn = full_archive.store.conn
    dv = docvalues.doc_values(conn)
    for visible in (None, Visibility(0), Visibility(3, frozenset({"NOFORN"}))):
        dv.postings = docvalues.PostingsCache(max_bytes=0)  # caches nothing
        plain = _results(conn, visible)
        dv.postings = docvalues.PostingsCache(min_pids=1)
        first = _results(conn, visible)
        hits = dv.postings.hits  # "minister" twice in QUERIES: 1
        assert len(dv.postings) > 0
        again = _results(conn, visible)
        assert dv.postings.hits - hits >= len(dv.postings)
        assert plain == first == again
    # Readers do not share postings: the U reader's are its own.
    keys = {k[2] for k in dv.postings._items}
    assert keys == {Visibility(3, frozenset({"NOFORN"}))}


def test_postings_cache_stays_within_its_budget(full_archive) -> None:
    conn = full_archive.store.conn
    dv = docvalues.doc_values(conn)
    dv.postings = cache = docvalues.PostingsCache(max_bytes=40_000, min_pids=1)
    _results(conn, None)
    assert 0 < cache.nbytes <= 40_000
    assert cache.nbytes == sum(p.nbytes for p in cache._items.values())
    # The cached arrays are read-only: a search cannot change them for the next one.
    some = next(iter(cache._items.values()))
    assert not some.pids.flags.writeable


def test_cached_postings_are_dropped_by_a_write(tmp_path: Path, pages) -> None:
    first = make_tar(tmp_path / "a.tar", pages[:40])
    with Archive(tmp_path / "a.db") as arc:
        arc.ingest([first], workers=0)
        conn = arc.store.conn
        conn.execute("BEGIN")
        docvalues.doc_values(conn).postings.min_pids = 1
        conn.execute("COMMIT")
        before = arc.search("azerbaijan OR azerbaijani").total
        arc.ingest([SEED], workers=0)
        after = arc.search("azerbaijan OR azerbaijani", per_page=100)
        assert after.total == before + 1
        assert "09BAKU433" in {h.id for h in after.hits}


def test_a_facet_limit_keeps_the_top_values(full_archive) -> None:
    # The top-k cut (a partition before the sort) must keep exactly the first k values of
    # the full ordering: count descending, then value; ties at the cut included.
    from cablegram.search import search

    conn = full_archive.store.conn
    for q in ("embassy", "tag:PGOV OR -tag:PGOV", "minister -government"):
        whole = search(conn, q, facet_limit=100_000).facets
        for k in (1, 2, 3, 5, 7, 20):
            cut = search(conn, q, facet_limit=k).facets
            for name in ("origin", "classification", "caveat", "tag", "signer"):
                assert cut[name] == whole[name][:k], (q, k, name)


@pytest.mark.parametrize("nvalues", [40, 8, 5, 1])  # CSR rows; a byte of bits per cable
def test_pairs_count_matches_a_count_by_hand(nvalues: int) -> None:
    # 300 cables with 0-3 values each, and three with all of them.
    rng = np.random.default_rng(7)
    per_cable = [sorted(set(rng.integers(0, nvalues, rng.integers(0, 4)).tolist()))
                 for _ in range(300)]  # fmt: skip
    for k in (5, 150, 299):
        per_cable[k] = list(range(nvalues))
    keys = np.array([k for k, vs in enumerate(per_cable) for _ in vs], dtype=np.int64)
    codes = np.array([v for vs in per_cable for v in vs], dtype=np.int32)
    starts = np.zeros(len(per_cable) + 1, dtype=np.int64)
    np.cumsum([len(vs) for vs in per_cable], out=starts[1:])
    pairs = docvalues.Pairs([f"V{i}" for i in range(nvalues)], keys, codes, starts)
    for chosen in ([], [5], [0, 1, 2], list(range(300)), sorted(rng.choice(300, 120, False))):
        sel = np.array(chosen, dtype=np.int64)
        expect = np.zeros(nvalues, dtype=np.int64)
        for k in chosen:
            for v in per_cable[k]:
                expect[v] += 1
        assert pairs.count(sel).tolist() == expect.tolist(), chosen
