"""PostgreSQL search over in-memory doc values and per-term postings (issue 20,
docs/scaling.md): ``term_postings`` must hold, for every term, exactly the live portions
whose ``tsvector`` has it, through every write path (batch COPY, item by item, updates,
a reparse), after segments are merged, and when migration 0007 fills it for an archive
written before it; the doc values follow the database's generation, whoever wrote."""

from __future__ import annotations

import numpy as np
import pytest

import pg
from cablegram.archive import Archive
from cablegram.model import Cable, Origin, Paragraph
from cablegram.search import pgdocvalues, pgengine
from cablegram.search.visibility import Visibility
from cablegram.store import open_store
from conftest import BAKU_MD, CSV_SAMPLE, make_tar, read_pages

pg_server = pg.pg_server
pg_url = pg.pg_url


def _cable(cid: str, paras: list[str], marking: str = "C") -> Cable:
    return Cable(
        id=cid,
        origin=Origin(code="BAKU", name="Embassy Baku"),
        dtg="2009-05-21T12:00:00Z",
        classification="CONFIDENTIAL",
        subject="PIPELINE TALKS",
        paragraphs=[Paragraph(number=i, marking=marking, text=t) for i, t in enumerate(paras, 1)],
    )


def _hash(n: int) -> str:
    return f"{n:064x}"


def _postings(conn) -> dict[str, list[int]]:
    """Every term's live portion ids as search reads them (segments in order, dead ids
    dropped), from term_postings."""
    live = {r[0] for r in conn.execute("SELECT portion_id FROM portions")}
    out: dict[str, list[int]] = {}
    terms = [r[0] for r in conn.execute("SELECT DISTINCT term FROM term_postings")]
    for term in terms:
        pids = pgengine.term_pids(conn, term).tolist()
        assert pids == sorted(pids), term  # segments in seg order hold ascending ids
        kept = [p for p in pids if p in live]
        if kept:
            out[term] = kept
    return out


def _truth(conn) -> dict[str, list[int]]:
    """The same from the portions' tsvectors."""
    out: dict[str, list[int]] = {}
    for term, pid in conn.execute(
        "SELECT u.lexeme, p.portion_id FROM portions p, unnest(p.tsv) u ORDER BY 2"
    ):
        out.setdefault(term, []).append(pid)
    return out


def test_postings_follow_every_write_path(pg_url, tmp_path):
    pages = read_pages()[:40]
    tar = make_tar(tmp_path / "pages.tar", pages)
    with Archive(pg_url) as arc:
        arc.ingest([tar], workers=0, chunk_size=8)  # batch COPY, first load
        arc.ingest([BAKU_MD, CSV_SAMPLE], workers=0)
        store = arc.store
        # Item by item, then an update: the old version's portions die, their ids stay.
        store.add(
            _cable("09BAKU1", ["xylophone pipeline from Baku", "naval base"]), content_hash=_hash(1)
        )
        store.add(_cable("09BAKU1", ["oil only", "naval base", "and more"]), content_hash=_hash(2))
        with store.reader() as conn:
            assert _postings(conn) == _truth(conn)
            segs = conn.execute("SELECT max(n) FROM (SELECT count(*) n FROM term_postings "
                                "GROUP BY term) s").fetchone()[0]  # fmt: skip
        assert segs > 1
        # Merged: one segment a term, the same postings.
        assert store.merge_postings(most=1) > 0
        with store.reader() as conn:
            assert conn.execute("SELECT max(n) FROM (SELECT count(*) n FROM term_postings "
                                "GROUP BY term) s").fetchone()[0] == 1  # fmt: skip
            assert _postings(conn) == _truth(conn)
        assert [h.id for h in arc.search("xylophone", facets=False).hits] == []
        assert [h.id for h in arc.search('"oil only"', facets=False).hits] == ["09BAKU1"]


def test_migration_0007_fills_postings_for_an_older_archive(pg_url, tmp_path):
    tar = make_tar(tmp_path / "pages.tar", read_pages()[:20])
    with Archive(pg_url) as arc:
        arc.ingest([tar], workers=0)
        before = arc.search("government", per_page=50)
    # As an archive written before 0007: no postings table, no trigger, no record of it.
    with open_store(pg_url) as store, store.conn.transaction():
        store.conn.execute("DROP TABLE term_postings")
        store.conn.execute("DROP TRIGGER portions_postings ON portions")
        store.conn.execute("DROP FUNCTION term_postings_append")
        store.conn.execute("DROP SEQUENCE term_postings_seg")
        store.conn.execute("DROP INDEX portions_meta")
        store.conn.execute("DELETE FROM schema_migrations WHERE version IN (7, 8)")
    with Archive(pg_url) as arc:  # opening migrates (0008 adds positions to 0007's table)
        assert [m[0] for m in arc.store.migrated] == [7, 8]
        with arc.store.reader() as conn:
            assert _postings(conn) == _truth(conn)
        after = arc.search("government", per_page=50)
        assert arc.search('"the government"').total > 0
    assert after.total == before.total > 0
    assert [(h.id, h.score) for h in after.hits] == [(h.id, h.score) for h in before.hits]


def test_doc_values_follow_the_generation_whoever_writes(pg_url, tmp_path):
    sqlite = Archive(tmp_path / "same.db")
    with Archive(pg_url) as arc:
        for i, words in enumerate(["pipeline gas", "pipeline", "oil and gas and more words"]):
            for a in (arc, sqlite):
                a.store.add(_cable(f"09BAKU{i}", [words]), content_hash=_hash(i + 1))
            got = [(h.id, h.score) for h in arc.search("pipeline", facets=False).hits]
            want = [(h.id, h.score) for h in sqlite.search("pipeline", facets=False).hits]
            assert [g[0] for g in got] == [w[0] for w in want]
            assert [g[1] for g in got] == pytest.approx([w[1] for w in want], rel=1e-12)
        with arc.store.reader() as conn, conn.transaction():
            first = pgdocvalues.doc_values(conn)
            assert pgdocvalues.doc_values(conn) is first  # kept for the generation
            assert first.cables == 3 and first.ids == ["09BAKU0", "09BAKU1", "09BAKU2"]
        # Another process (another store, another connection) writes a cable.
        with Archive(pg_url) as other:
            other.store.add(_cable("09BAKU05", ["pipeline again"]), content_hash=_hash(99))
        with arc.store.reader() as conn, conn.transaction():
            again = pgdocvalues.doc_values(conn)
            assert again is not first and again.cables == 4
            assert again.ids == ["09BAKU0", "09BAKU05", "09BAKU1", "09BAKU2"]  # id order
        assert "09BAKU05" in [h.id for h in arc.search("pipeline", facets=False).hits]
    sqlite.close()


def test_portion_map_applies_the_readers_rights(pg_url):
    with Archive(pg_url) as arc:
        arc.store.add(_cable("09BAKU1", ["secret pipeline"], marking="S"), content_hash=_hash(1))
        arc.store.add(_cable("09BAKU2", ["open pipeline"], marking="U"), content_hash=_hash(2))
        with arc.store.reader() as conn, conn.transaction():
            dv = pgdocvalues.doc_values(conn)
            rows = conn.execute("SELECT portion_id, level, caveats FROM portions").fetchall()
        assert dv.pmap is not None
        for v in (Visibility(0), Visibility(2), Visibility(3, frozenset({"NOFORN"}))):
            seen = dv.pmap.visible(v)
            for pid, level, caveats in rows:
                assert seen[pid] == v.allows(level, caveats), (v, pid)
            assert not seen[np.flatnonzero(dv.pmap.key < 0)].any()
        got = {v: sorted(h.id for h in arc.search("pipeline", visible=v).hits)
               for v in (Visibility(0), Visibility(3))}  # fmt: skip
    assert got == {Visibility(0): ["09BAKU2"], Visibility(3): ["09BAKU1", "09BAKU2"]}
