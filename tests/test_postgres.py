"""One behaviour, two backends: the archive and search suites on SQLite and on a real
PostgreSQL server started by the fixtures (``tests/pg.py``), from the same sample set.

``archive_backend`` yields an Archive on each backend, both built from 60 real cablegate
pages, 09BAKU433.md, the csv sample, and the hand-made cables of test_search_sqlite (tricky
tokens, portion markings, caveats) added with ``Store.add``. The parity tests then ask both
the same questions and compare the answers; PostgreSQL-only tests cover the migrations,
idempotent and resumable ingest, and readers during an ingest.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pyarrow.dataset as pads
import pytest

import pg
from cablegram.archive import Archive
from cablegram.model import Cable, Origin, Paragraph, Reference, Tag
from cablegram.search import QueryError, Visibility
from cablegram.store import open_store
from conftest import BAKU_MD, CSV_SAMPLE, make_tar, read_pages
from pg import TempPostgres
from test_search_sqlite import CABLES, LEVELS

# Fixtures shared with the other PostgreSQL test modules.
pg_server = pg.pg_server
pg_url = pg.pg_url

N_PAGES = 60

QUERIES = [
    "pipeline",
    "government OR embassy",
    '"foreign minister"',
    "minist*",
    '"naval ba"*',
    "tag:PREL -gas",
    "class:>=C",
    "class:SECRET",
    "caveat:NOFORN",
    "year:2009 origin:BAKU",
    "origin:BAKU",
    'origin:"Embassy Baku"',
    "origin:US*",
    "tag:P*",
    "id:09BAKU*",
    "signer:derse",
    "signer:DER*",
    "subject:pipeline",
    'subject:"naval base"',
    "ref:08BAKU123",
    "date:2009-01..2009-06",
    "date:..2008",
    "from:2009-05-01",
    "T-72",
    "mil-to-mil",
    "U.S.",
    "1.4(b)",
    "cafe",
    "Café",
    "gas -pipeline",
    "-gas",
    "(gas OR oil) -tag:EPET",
    "tanks gas",
    "needle",
    "orcon",
    "energy",
    "president AND (russia OR iran)",
    "election observers",
    "nothingmatchesthis",
    '"of the"',
    '"prime minister"',
    '"ministry of foreign affairs"',
    '"the government of"*',
    'subject:"naval ba"*',
]
CLEARANCES = [
    None,
    Visibility(0),
    Visibility(3),
    Visibility(4, frozenset({"NOFORN"})),
    Visibility(5, frozenset({"NOFORN", "ORCON"})),
]


SUFFIX = "77"  # the hand-made cables' ids get it, so none is a version of a real page


def _id(cid: str) -> str:
    return cid + SUFFIX


def _cable(spec: dict) -> Cable:
    date = spec["date"]
    level = spec["level"]
    smark, _, subject = spec["subject"]
    paras = [Paragraph(number=i, marking=p[0], heading="".join(p[4:]), text=p[3])
             for i, p in enumerate(spec["paras"], 1)]  # fmt: skip
    return Cable(
        id=_id(spec["id"]),
        origin=Origin(code=spec["origin"][0], name=spec["origin"][1]),
        dtg=f"{date}T12:00:00Z" if date else None,
        classification=LEVELS[level],
        caveats=list(spec.get("caveats", [])),
        tags=[Tag(code, "subject", name) for code, name in spec.get("tags", [])],
        subject=subject,
        subject_marking=smark,
        references=[Reference(_id(r), r) for r in spec.get("refs", [])],
        paragraphs=paras,
        signer=spec.get("signer", ""),
    )


def build(arc: Archive, inputs: list[Path]) -> None:
    report = arc.ingest(inputs, workers=0)
    assert report.ok
    for spec in CABLES:
        arc.store.add(_cable(spec), source="test_search_sqlite")
    # a second, less complete version of a real cable
    c = arc.get("09BAKU433")
    c.comment, c.signer, c.paragraphs = "", "", c.paragraphs[:2]
    assert arc.store.add(c, source="edited") == "updated"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    d = tmp_path_factory.mktemp("inputs")
    return [make_tar(d / "pages.tar.gz", read_pages(N_PAGES), "w:gz"), BAKU_MD, CSV_SAMPLE]


@pytest.fixture(scope="module")
def sqlite_arc(tmp_path_factory, inputs):
    arc = Archive(tmp_path_factory.mktemp("sqlite") / "cables.db")
    build(arc, inputs)
    yield arc
    arc.close()


@pytest.fixture(scope="module")
def pg_arc(pg_server, inputs):
    url = pg_server.create_database()
    arc = Archive(url)
    build(arc, inputs)
    yield arc
    arc.close()
    pg_server.drop_database(url)


@pytest.fixture(params=["sqlite", "postgres"])
def archive_backend(request):
    """An Archive on SQLite and one on PostgreSQL, with the same content."""
    return request.getfixturevalue({"sqlite": "sqlite_arc", "postgres": "pg_arc"}[request.param])


def _result(arc: Archive, q: str, **kw) -> tuple:
    res = arc.search(q, per_page=100, **kw)
    ids = {h.id for h in res.hits}
    assert len(ids) == min(res.total, 100)
    return res.total, ids, res.facets, res.facet_labels, {h.id: h.subject for h in res.hits}


# ---------------------------------------------------------------- both backends


def test_ingest_and_counts(archive_backend):
    st = archive_backend.stats()
    # 60 pages + 09BAKU433.md + 2 csv rows (three ids twice), + 7 hand-made cables
    assert st["versions"] == N_PAGES + 3 + len(CABLES) + 1
    assert st["errors"] == 0
    assert st["cables"] == len(archive_backend)
    assert st["portions"] > st["cables"]
    (run,) = archive_backend.runs()
    assert run.status == "done" and run.failed == 0


def test_get_and_versions(archive_backend):
    c = archive_backend.get(" 09baku433 ")
    assert isinstance(c, Cable) and c.id == "09BAKU433"
    vs = archive_backend.versions("09BAKU433")
    assert len(vs) == 2 and [v.shown for v in vs] == [True, False]
    assert archive_backend.version("09BAKU433", 1) == c
    assert archive_backend.version("09BAKU433", vs[0].content_hash[:10]) == c
    assert len(archive_backend.version("09BAKU433", 2).paragraphs) == 2
    assert archive_backend.get("99NOWHERE1") is None
    d = archive_backend.diff("09BAKU433")
    assert d.changed and d.b.shown and d.a.number == 2


def test_citations(archive_backend):
    assert archive_backend.cited_by(_id("08BAKU123")) == [_id("09BAKU433"), _id("09STATE5")]
    refs = archive_backend.references_of(_id("09STATE5"))
    assert [(r.id, ok) for r, ok in refs] == [(_id("08BAKU123"), True), (_id("09BAKU433"), True)]


def test_search_basics(archive_backend):
    res = archive_backend.search("gas", per_page=100)
    assert {_id("09BAKU433"), _id("09MOSCOW100")} <= {h.id for h in res.hits}
    assert res.facets["origin"] and res.facets["year"]
    res = archive_backend.search("T-72")
    assert [h.id for h in res.hits] == [_id("09BAKU433")]
    (snip,) = res.hits[0].snippets
    assert [snip.text[a:b] for a, b in snip.highlights] == ["T-72"]
    assert "<mark>T-72</mark>" in snip.html()
    with pytest.raises(QueryError):
        archive_backend.search("foo:bar")
    with pytest.raises(ValueError):
        archive_backend.search("gas", sort="sideways")


def test_visibility(archive_backend):
    # 'gas' is only in a SECRET//NOFORN paragraph of the hand-made 09BAKU433
    baku, state5, state6 = _id("09BAKU433"), _id("09STATE5"), _id("09STATE6")
    low = {h.id for h in archive_backend.search("gas", visible=Visibility(3), per_page=100).hits}
    assert baku not in low
    hits = archive_backend.search("gas", visible=Visibility(4, frozenset({"NOFORN"})), per_page=100)
    assert baku in {h.id for h in hits.hits}
    # A TOP SECRET cable never appears below TS, not even through filters or negations.
    for q in (f"id:{state6}", "-gas", "pipeline"):
        res = archive_backend.search(q, visible=Visibility(4), per_page=100)
        assert state6 not in {h.id for h in res.hits}
    res = archive_backend.search(f"id:{state5}", visible=Visibility(3))
    assert res.hits[0].subject == ""  # its subject line is SECRET
    for s in res.hits[0].snippets:
        assert "Secret naval base" not in s.text


def test_export_jsonl_and_partitioned_parquet(archive_backend, tmp_path):
    out = tmp_path / "all.jsonl"
    n = archive_backend.export("jsonl", out)
    assert n == len(archive_backend) == len(out.read_text().splitlines())
    ds_dir = tmp_path / "by-year"
    n = archive_backend.export("parquet", ds_dir, partition_by="year")
    assert n == len(archive_backend)
    assert (ds_dir / "year=2009").is_dir()
    table = pads.dataset(ds_dir, format="parquet", partitioning="hive").to_table()
    assert table.num_rows == n
    years = archive_backend.stats()["years"]
    got = {}
    for y in table.column("year").to_pylist():
        got[y] = got.get(y, 0) + 1
    assert got == years
    with pytest.raises(ValueError):
        archive_backend.export("csv", ds_dir, partition_by="year")


# ---------------------------------------------------------------- parity


@pytest.mark.parametrize("visible", CLEARANCES, ids=["all", "U", "C", "S-NF", "TS-NF-OC"])
def test_same_hits_and_facets(sqlite_arc, pg_arc, visible):
    for q in QUERIES:
        a = _result(sqlite_arc, q, visible=visible)
        b = _result(pg_arc, q, visible=visible)
        assert a == b, q


@pytest.mark.parametrize("q", ["pipeline", '"naval base"', "minist* -gas", "tag:PREL",
                               "gas OR naval", "T-72 OR U.S.", "needle"])  # fmt: skip
def test_same_hits_and_snippets_by_date(sqlite_arc, pg_arc, q):
    # The dates, the hits, and each hit's snippets (text and highlight offsets) are the same.
    for visible in (None, Visibility(3)):
        a = sqlite_arc.search(q, sort="date", per_page=100, visible=visible)
        b = pg_arc.search(q, sort="date", per_page=100, visible=visible)
        assert a.total == b.total
        assert [h.date for h in a.hits] == [h.date for h in b.hits]
        hb = {h.id: h for h in b.hits}
        assert set(hb) == {h.id for h in a.hits}
        for ha in a.hits:
            other = hb[ha.id]
            assert (ha.subject, ha.date, ha.origin_code, ha.classification) == (
                other.subject, other.date, other.origin_code, other.classification)  # fmt: skip
            assert ha.snippets == other.snippets, (q, ha.id)


@pytest.mark.parametrize("q", ["pipeline", '"naval base"', "minist* -gas", "gas OR naval",
                               "subject:gas", "government embassy", "tag:PREL minister"])  # fmt: skip
def test_same_ranking(sqlite_arc, pg_arc, q):
    # Both backends score with the same BM25 (docs/search.md): the same scores, so the
    # same order by relevance, for every clearance (a restricted reader's df and tf count
    # only the portions it may see).
    for visible in (None, Visibility(0), Visibility(3)):
        a = sqlite_arc.search(q, per_page=100, facets=False, visible=visible)
        b = pg_arc.search(q, per_page=100, facets=False, visible=visible)
        assert a.total == b.total
        assert [h.id for h in a.hits] == [h.id for h in b.hits], (q, visible)
        for ha, hb in zip(a.hits, b.hits, strict=True):
            assert hb.score == pytest.approx(ha.score, rel=1e-9, abs=1e-12), (q, ha.id)
        assert not a.hits or a.hits[0].score > 0


@pytest.mark.parametrize("sort", ["relevance", "date", "date-asc"])
def test_same_pages_in_every_sort(sqlite_arc, pg_arc, sort):
    # Both run one engine over the same doc values (search/pgengine.py): every hit, in
    # order, with its score, subject and snippets, whatever the sort, page and clearance.
    for visible in (None, Visibility(0), Visibility(3)):
        for q in QUERIES:
            for page in (1, 2):
                a = sqlite_arc.search(q, sort=sort, page=page, per_page=7, visible=visible)
                b = pg_arc.search(q, sort=sort, page=page, per_page=7, visible=visible)
                assert (a.total, a.facets, a.facet_labels) == (b.total, b.facets, b.facet_labels)
                assert a.hits == b.hits, (q, sort, page, visible)


def test_paging(archive_backend):
    whole = archive_backend.search("government OR embassy", sort="date-asc", per_page=100)
    pages = []
    for page in range(1, whole.pages * 4 + 2):
        pages += archive_backend.search("government OR embassy", sort="date-asc", page=page,
                                        per_page=25, facets=False).hits  # fmt: skip
    assert [h.id for h in pages] == [h.id for h in whole.hits]


def test_same_search_ids(sqlite_arc, pg_arc):
    for q in ("pipeline", "-gas", "class:>=C", "tag:P*"):
        assert list(sqlite_arc.search_ids(q)) == list(pg_arc.search_ids(q))


def test_relevance_is_a_ranking(pg_arc):
    res = pg_arc.search("pipeline", per_page=100)
    scores = [h.score for h in res.hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    # filters only: no score, newest first
    res = pg_arc.search("origin:BAKU", per_page=100)
    assert all(h.score == 0 for h in res.hits)
    dates = [h.date for h in res.hits if h.date]
    assert dates == sorted(dates, reverse=True)


def test_same_export(sqlite_arc, pg_arc, tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    sqlite_arc.export("jsonl", a)
    pg_arc.export("jsonl", b)
    assert a.read_bytes() == b.read_bytes()
    assert sqlite_arc.stats() == pg_arc.stats()


# ---------------------------------------------------------------- PostgreSQL only


def _dump(url: str) -> list[tuple]:
    with Archive(url, create=False) as arc:
        return list(arc.store.dump())


def test_migrations_are_versioned_and_idempotent(pg_url):
    import psycopg

    with pytest.raises(FileNotFoundError):
        Archive(pg_url, create=False)
    Archive(pg_url).close()
    Archive(pg_url).close()  # a second open applies nothing
    with psycopg.connect(pg_url) as c:
        from cablegram.store.postgres import migrations

        rows = c.execute("SELECT version, name FROM schema_migrations ORDER BY 1").fetchall()
        assert rows == [(v, name) for v, name, _ in migrations()]
        assert rows[:2] == [(1, "initial"), (2, "cable_words")]
        assert c.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("1",)
        idx = {
            r[0] for r in c.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'portions'")
        }
        assert "portions_tsv" in idx


def test_ingest_is_idempotent_and_order_free(pg_server, inputs):
    a, b = pg_server.create_database(), pg_server.create_database()
    try:
        with Archive(a) as arc:
            arc.ingest(inputs, workers=2, chunk_size=8)
            before = list(arc.store.dump())
            again = arc.ingest(inputs, workers=2)
            assert again.new == again.updated == 0 and again.unchanged == again.documents
            assert list(arc.store.dump()) == before
        with Archive(b) as arc:
            arc.ingest(list(reversed(inputs)), workers=0)
        assert _dump(b) == before
    finally:
        pg_server.drop_database(a)
        pg_server.drop_database(b)


def test_resume_after_a_killed_ingest(pg_server, inputs, tmp_path):
    """kill -9 inside an open transaction (fault-injection hook), then resume: the same
    database as an uninterrupted run."""
    import os
    import subprocess
    import sys

    whole, killed = pg_server.create_database(), pg_server.create_database()
    try:
        with Archive(whole) as arc:
            arc.ingest(inputs[:1], workers=0, chunk_size=8)
        env = {**os.environ, "CABLEGRAM_TEST_STALL": "3"}
        cmd = [sys.executable, "-c",
               "import sys; from cablegram.archive import Archive; "
               "Archive(sys.argv[1]).ingest([sys.argv[2]], workers=0, chunk_size=8)",
               killed, str(inputs[0])]  # fmt: skip
        proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
        line = proc.stderr.readline()
        assert "stalled" in line
        proc.kill()
        proc.wait()
        with Archive(killed) as arc:
            assert len(arc) == 16  # two committed chunks of 8
            arc.ingest(inputs[:1], workers=0, chunk_size=8)
        assert _dump(killed) == _dump(whole)
    finally:
        pg_server.drop_database(whole)
        pg_server.drop_database(killed)


def test_readers_during_an_ingest(pg_url, inputs):
    """Many readers search while an ingest commits: every answer is a consistent
    snapshot, no reader fails or waits for the writer."""
    store = open_store(pg_url)
    store.close()
    errors: list[BaseException] = []
    totals: list[int] = []
    during: list[int] = []  # answers given while the ingest ran
    stop = threading.Event()
    ingesting = threading.Event()
    ready = threading.Semaphore(0)

    def read() -> None:
        with Archive(pg_url, create=False) as arc:
            first = True
            while not stop.is_set():
                try:
                    res = arc.search("government", per_page=5)
                    assert res.total == sum(n for _, n in res.facets["year"])
                    totals.append(res.total)
                    if ingesting.is_set():
                        during.append(res.total)
                except BaseException as exc:  # noqa: BLE001
                    errors.append(exc)
                    ready.release()
                    return
                if first:
                    first = False
                    ready.release()

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for _ in threads:  # every reader is searching before the writer starts
            assert ready.acquire(timeout=120)
        with Archive(pg_url) as arc:
            ingesting.set()
            arc.ingest(inputs, workers=0, chunk_size=4)
            ingesting.clear()
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[0]
    assert during, "no reader searched while the ingest ran"
    assert totals and max(totals) > 0


def test_store_writes_what_postgres_cannot_hold(pg_url):
    c = _cable(CABLES[0])
    c.paragraphs[0].text += "\x00 nul"
    with Archive(pg_url) as arc:
        assert arc.store.add(c) == "new"
        assert json.loads(next(arc.store.iter_records()))["id"] == c.id
        assert arc.search("nul").total == 1


def test_open_store_dispatch(pg_server):
    url = pg_server.create_database()
    try:
        store = open_store(url)
        assert type(store).__name__ == "PostgresStore"
        store.close()
        store = open_store(url.replace("postgresql://", "postgres://", 1))
        store.close()
    finally:
        pg_server.drop_database(url)


def test_temp_server_roundtrip():
    # The helper the fixtures and bench/scale.py use.
    if not TempPostgres().external and pg.find_bin() is None:
        pytest.skip("no PostgreSQL binaries")
    with TempPostgres() as srv:
        url = srv.create_database("cg_roundtrip")
        with Archive(url) as arc:
            assert len(arc) == 0
