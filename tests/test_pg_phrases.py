"""Phrases on PostgreSQL checked from the positions stored with the postings (migration
0008, docs/scaling.md): the word order is decided in the search process, and must agree
with PostgreSQL's own ``tsv @@ 'a' <-> 'b'`` on every portion, with SQLite's FTS5 on
whole searches, through every write path (item by item, batch, updates that delete
portions, merged segments), and after the migration rebuilds an older archive's postings.
"""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest

import pg
from cablegram.archive import Archive
from cablegram.model import Cable, Origin, Paragraph
from cablegram.search import pgengine
from cablegram.search.postgres import lexeme_list, tsquery_of
from cablegram.search.query import Text
from cablegram.store import open_store
from cablegram.store.postgres import migrations
from conftest import make_tar, read_pages

pg_server = pg.pg_server
pg_url = pg.pg_url

# Hand-made paragraphs for the edge cases: repeated words, a phrase split over two
# paragraphs or between a paragraph's heading and its text, three-word and longer
# phrases, short common words (no stop words are dropped: "of the" is a phrase too).
EDGE = {
    "09EDGE1": ["very very important talks on human rights", "human", "rights were raised"],
    "09EDGE2": ["rights human rights human", "the the the end of the affair"],
    "09EDGE3": ["the minister of foreign affairs met the minister of defense"],
    "09EDGE4": ["nuclear program of iran", "a program nuclear in name only"],
    "09EDGE5": ["very important very very very loud"],
}
HEADINGS = {"09EDGE3": "human rights"}  # the heading of its first paragraph

PHRASES = [
    '"human rights"',
    '"rights human"',
    '"very very"',
    '"very very very"',
    '"very important"',
    '"important very very"',
    '"the the"',
    '"the the the end"',
    '"of the"',
    '"minister of foreign affairs"',
    '"the minister of"',
    '"nuclear program"',
    '"program nuclear"',
    '"rights were"',
    '"human rights were"',  # across two paragraphs of 09EDGE1: no
    '"affairs met"',
    '"human rights the minister"',  # heading into text: no
    '"nuclear prog"*',
    '"very v"*',
    '"the end of"',
    'subject:"pipeline talks"',
    '"human rights" -nuclear',
    '"nuclear program" OR "very loud"',
]


def _cable(cid: str, paras: list[str], subject: str = "PIPELINE TALKS") -> Cable:
    heading = HEADINGS.get(cid, "")
    return Cable(
        id=cid,
        origin=Origin(code="BAKU", name="Embassy Baku"),
        dtg="2009-05-21T12:00:00Z",
        classification="CONFIDENTIAL",
        subject=subject,
        paragraphs=[
            Paragraph(number=i, marking="U", text=t, heading=heading if i == 1 else "")
            for i, t in enumerate(paras, 1)
        ],  # fmt: skip
    )


def _newer(cid: str, paras: list[str]) -> Cable:
    """A more complete version (more paragraphs): the one shown, the old portions deleted."""
    return _cable(cid, paras + [f"filler paragraph number {k}" for k in range(1, 5)])


def _hash(cid: str, version: int = 1) -> str:
    return hashlib.sha256(f"{cid}/{version}".encode()).hexdigest()


def _truth(conn, phrase: str, prefix: bool = False) -> list[int]:
    """PostgreSQL's own answer: the portions whose tsvector holds the phrase."""
    node = Text(tuple(phrase.split()), prefix=prefix)
    rows = conn.execute(
        "SELECT portion_id FROM portions WHERE tsv @@ %s::tsquery ORDER BY 1", (tsquery_of(node),)
    ).fetchall()
    return [r[0] for r in rows]


def _ours(conn, phrase: str, prefix: bool = False) -> list[int]:
    """The search process's answer from the postings' positions."""
    lexemes = lexeme_list(phrase)
    live_ids = np.array([r[0] for r in conn.execute("SELECT portion_id FROM portions")])
    found = pgengine._phrase(
        pgengine.term_positions(conn, lexemes, prefix), lambda p: np.isin(p, live_ids)
    )
    return found.tolist()


def _phrases_from(conn, rng: random.Random, n: int) -> list[tuple[str, bool]]:
    """Phrases drawn from the stored text: runs of 2-4 consecutive words, the same words
    in another order, a word twice, and the last word cut to a prefix."""
    texts = [r[0] for r in conn.execute("SELECT text FROM portions WHERE length(text) > 40")]
    out: list[tuple[str, bool]] = []
    for _ in range(n):
        words = lexeme_list(rng.choice(texts))
        if len(words) < 5:
            continue
        k = rng.randint(2, 4)
        i = rng.randrange(len(words) - k)
        run = words[i : i + k]
        out.append((" ".join(run), False))
        out.append((" ".join(reversed(run)), False))
        out.append((f"{run[0]} {run[0]}", False))
        out.append((" ".join(run[:-1] + [run[-1][:3]]), True))
    return out


def _assert_agrees(conn, phrases: list[tuple[str, bool]]) -> int:
    matched = 0
    for phrase, prefix in phrases:
        truth = _truth(conn, phrase, prefix)
        assert _ours(conn, phrase, prefix) == truth, (phrase, prefix)
        matched += bool(truth)
    return matched


def test_phrase_check_agrees_with_postgres_on_every_portion(pg_url, tmp_path):
    tar = make_tar(tmp_path / "pages.tar", read_pages()[:40])
    with Archive(pg_url) as arc:
        arc.ingest([tar], workers=0, chunk_size=8)  # the batch COPY, several segments
        for cid, paras in EDGE.items():  # item by item
            arc.store.add(_cable(cid, paras), content_hash=_hash(cid))
        # A word 300 times in one paragraph: the tsvector keeps its first 255 positions.
        arc.store.add(_cable("09EDGE6", ["rights human " * 300]), content_hash=_hash("6"))
        rng = random.Random(20)
        with arc.store.reader() as conn:
            drawn = _phrases_from(conn, rng, 60)
            edge = [(p.strip('"'), False) for p in PHRASES if p.count('"') == 2 and "*" not in p
                    and ":" not in p and " -" not in p and " OR " not in p]  # fmt: skip
            edge += [("nuclear prog", True), ("very v", True), ("human human", False)]
            assert _assert_agrees(conn, drawn + edge) > 30  # most drawn phrases do occur
            assert _ours(conn, "human rights") != []
        # Updates delete the old version's portions (their ids stay in the postings).
        arc.store.add(_newer("09EDGE1", ["rights only"]), content_hash=_hash("09EDGE1", 2))
        arc.store.add(_newer("09EDGE4", ["the nuclear program again"]), content_hash=_hash("4", 2))
        with arc.store.reader() as conn:
            _assert_agrees(conn, drawn + edge)
        assert arc.store.merge_postings(most=1) > 0  # one segment a term
        with arc.store.reader() as conn:
            _assert_agrees(conn, drawn + edge)


@pytest.fixture(scope="module")
def both(pg_server, tmp_path_factory):
    """The same cables in SQLite and PostgreSQL, written the same way."""
    url = pg_server.create_database()
    d = tmp_path_factory.mktemp("phrases")
    tar = make_tar(d / "pages.tar", read_pages()[:30])
    arcs = (Archive(d / "cables.db"), Archive(url))
    for arc in arcs:
        arc.ingest([tar], workers=0, chunk_size=8)
        for cid, paras in EDGE.items():
            arc.store.add(_cable(cid, paras), content_hash=_hash(cid))
    yield arcs
    for arc in arcs:
        arc.close()
    pg_server.drop_database(url)


def _page(arc: Archive, q: str) -> tuple:
    res = arc.search(q, per_page=50)
    return res.total, res.hits, res.facets


def test_phrases_match_sqlite(both):
    sqlite, postgres = both
    for q in PHRASES:
        assert _page(sqlite, q) == _page(postgres, q), q
    ids = {q: sorted(h.id for h in postgres.search(q, per_page=50).hits) for q in PHRASES}
    assert ids['"very very very"'] == ["09EDGE5"]
    assert ids['"very very"'] == ["09EDGE1", "09EDGE5"]
    assert ids['"the the the end"'] == ["09EDGE2"]
    assert ids['"minister of foreign affairs"'] == ["09EDGE3"]
    assert ids['"human rights were"'] == []
    assert ids['"human rights the minister"'] == []
    assert "09EDGE4" in ids['"nuclear program"'] and "09EDGE4" in ids['"program nuclear"']


def test_phrases_follow_an_updated_cable(both):
    sqlite, postgres = both
    for arc in both:
        # 09EDGE4 loses its phrase, 09EDGE5 gains it (the old portions are deleted).
        arc.store.add(_newer("09EDGE4", ["program only"]), content_hash=_hash("09EDGE4", 2))
        arc.store.add(_newer("09EDGE5", ["a nuclear program"]), content_hash=_hash("09EDGE5", 2))
    for q in PHRASES:
        assert _page(sqlite, q) == _page(postgres, q), q
    got = sorted(h.id for h in postgres.search('"nuclear program"', per_page=50).hits)
    assert "09EDGE4" not in got and "09EDGE5" in got
    assert sorted(h.id for h in postgres.search('"very very"').hits) == ["09EDGE1"]


def test_migration_0008_rebuilds_the_postings_of_an_older_archive(pg_url, tmp_path):
    tar = make_tar(tmp_path / "pages.tar", read_pages()[:20])
    with Archive(pg_url) as arc:
        arc.ingest([tar], workers=0, chunk_size=4)
        for cid, paras in EDGE.items():
            arc.store.add(_cable(cid, paras), content_hash=_hash(cid))
        arc.store.add(_newer("09EDGE1", ["rights only"]), content_hash=_hash("09EDGE1", 2))
        before = {q: _page(arc, q) for q in PHRASES}
    assert before['"human rights"'][0] > 0
    # As an archive written before 0008: postings without positions, 0007's trigger.
    sql7 = dict((v, s) for v, _, s in migrations())[7]
    trigger7 = sql7[sql7.index("CREATE OR REPLACE FUNCTION") : sql7.index("DROP TRIGGER")]
    with open_store(pg_url) as store:
        with store.conn.transaction():
            store.conn.execute("ALTER TABLE term_postings DROP COLUMN pos")
            store.conn.execute(trigger7)
            store.conn.execute("DELETE FROM schema_migrations WHERE version = 8")
        # Written by 0007's trigger (this store migrated when it opened, before that).
        store.add(_cable("09EDGE7", ["more human rights"], "OTHER"), content_hash=_hash("7"))
        assert store.conn.execute("SELECT count(*) FROM term_postings").fetchone()[0] > 100
    with Archive(pg_url) as arc:  # opening migrates
        assert [m[:2] for m in arc.store.migrated] == [(8, "positions")]
        with arc.store.reader() as conn:
            segs = conn.execute("SELECT max(n) FROM (SELECT count(*) n FROM term_postings "
                                "GROUP BY term) s").fetchone()[0]  # fmt: skip
            assert segs == 1  # rebuilt: one segment a term
            _assert_agrees(conn, _phrases_from(conn, random.Random(8), 30))
            _assert_agrees(conn, [("human rights", False), ("very very", False)])
        after = {q: _page(arc, q) for q in PHRASES}
        edge7 = {h.id for h in arc.search('"human rights"', per_page=50).hits}
        # Written after the migration: by 0008's trigger.
        arc.store.add(
            _cable("09EDGE8", ["rights and human rights"], "OTHER"), content_hash=_hash("8")
        )
        with arc.store.reader() as conn:
            _assert_agrees(conn, [("human rights", False), ("rights and human", False)])
        edge8 = {h.id for h in arc.search('"rights and human"', per_page=50).hits}
    assert "09EDGE7" in edge7 and edge8 == {"09EDGE8"}
    for q in PHRASES:  # one cable more: scores change, the matches do not
        if "human" not in q and "rights" not in q:
            assert after[q][0] == before[q][0], q
            assert {h.id for h in after[q][1]} == {h.id for h in before[q][1]}, q
