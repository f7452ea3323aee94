"""The store on hand-built cables: schema, rows, portions and their levels, full text,
versions and the shown version, errors, the canonical dump."""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cablegram.model import (
    Addressee,
    ArchiveMeta,
    Cable,
    Defect,
    Official,
    Origin,
    Paragraph,
    Reference,
    Tag,
)
from cablegram.store import Failed, Parsed, Seen, completeness, flatten, open_store
from cablegram.store.sqlite import SQLiteStore


def h(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


def baku(**over) -> Cable:
    c = Cable(
        id="09BAKU433",
        origin=Origin("BAKU", "Embassy Baku", "RUEHKB"),
        transmission_id="XRO6958",
        dtg="2009-06-01T03:35:00Z",
        precedence="IMMEDIATE",
        classification="CONFIDENTIAL",
        caveats=["SIPDIS"],
        sections=3,
        eo="12958",
        declassify_on="2019-05-24",
        reasons=["1.4(b)", "1.4(d)"],
        classified_by=Official("Anne E. Derse", "Ambassador"),
        tags=[
            Tag("PGOV", "subject", "Internal Governmental Affairs"),
            Tag("AJ", "country", "Azerbaijan"),
        ],
        subject="AZERBAIJANI DEFENSE MINISTER: SEEKING STRONG RELATIONS",
        references=[Reference("09STATE12345", "A. STATE 12345", False, "A")],
        to=[Addressee("RUEHC", "SECSTATE WASHDC", "IMMEDIATE", "1280")],
        info=[Addressee("RUEHAK", "AMEMBASSY ANKARA", "IMMEDIATE", "3408")],
        paragraphs=[
            Paragraph(
                1, "C", "", "SUMMARY: The Defense Minister told the EUCOM commander. END SUMMARY."
            ),
            Paragraph(
                2, "S/NF", "SEEKING NATO STANDARDS", "Abiyev welcomed General Craddock to Baku."
            ),
            Paragraph(3, "", "SEEKING NATO STANDARDS", "Unmarked text about the pipeline."),
        ],
        summary="The Defense Minister told the EUCOM commander.",
        signer="DERSE",
        defects=[Defect("numbering", "repaired 11. into 1.")],
        rendering="cablegate-html",
        archive=ArchiveMeta(
            "09BAKU433", "2009-06-01 03:35", "2010-12-01", "CONFIDENTIAL", "Embassy Baku"
        ),
    )
    for k, v in over.items():
        setattr(c, k, v)
    return c


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    s = open_store(tmp_path / "t.db")
    yield s
    s.close()


def put(store, cable: Cable, key: str, source: str = "src", member: str = "") -> str:
    return store.write([Parsed(h(key), source, member, flatten(cable))])[0]


def rows(store, sql: str, *args) -> list[tuple]:
    return [tuple(r) for r in store.conn.execute(sql, args)]


# --- schema ---------------------------------------------------------------------------------


def test_schema_and_pragmas(store):
    names = {r[0] for r in rows(store, "SELECT name FROM sqlite_master")}
    for table in ("meta", "versions", "cables", "caveats", "tags", "addressees", "refs",
                  "reasons", "defects", "portions", "portions_fts", "ingest_runs", "errors"):  # fmt: skip
        assert table in names
    assert rows(store, "PRAGMA journal_mode") == [("wal",)]
    assert rows(store, "PRAGMA foreign_keys") == [(1,)]
    assert rows(store, "PRAGMA synchronous") == [(1,)]  # NORMAL
    assert rows(store, "SELECT value FROM meta WHERE key = 'schema_version'") == [("3",)]


def test_reopen_keeps_data_and_schema_is_idempotent(tmp_path):
    with open_store(tmp_path / "t.db") as s:
        put(s, baku(), "a")
    with open_store(tmp_path / "t.db") as s:
        assert s.count() == 1


def test_open_store_targets(tmp_path):
    with pytest.raises(FileNotFoundError):
        open_store(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()
    import psycopg

    with pytest.raises(psycopg.OperationalError):  # the PostgreSQL store; no server there
        open_store("postgresql://127.0.0.1:1/cables?connect_timeout=5")
    with open_store(f"sqlite:///{tmp_path / 'u.db'}") as s:
        assert s.count() == 0
    assert (tmp_path / "u.db").exists()
    with open_store(":memory:") as s:
        put(s, baku(), "a")
        assert s.count() == 1


def test_schema_version_mismatch_is_refused(tmp_path):
    with open_store(tmp_path / "t.db"):
        pass
    with sqlite3.connect(tmp_path / "t.db") as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(RuntimeError, match="schema version 99"):
        open_store(tmp_path / "t.db")


# --- one cable --------------------------------------------------------------------------------


def test_cable_is_flattened_into_readable_tables(store):
    assert put(store, baku(), "a") == "new"
    (cab,) = rows(store, "SELECT id, origin_code, origin_name, date, year, month, class_level, "
                  "classified_by_name, n_versions, n_paragraphs, released FROM cables")  # fmt: skip
    assert cab == ("09BAKU433", "BAKU", "Embassy Baku", "2009-06-01", 2009, "2009-06", 3,
                   "Anne E. Derse", 1, 3, "2010-12-01")  # fmt: skip
    assert rows(store, "SELECT code, kind, seq FROM tags ORDER BY seq") == [
        ("PGOV", "subject", 0), ("AJ", "country", 1)]  # fmt: skip
    assert rows(store, "SELECT role, routing, serial FROM addressees ORDER BY role DESC") == [
        ("to", "RUEHC", "1280"), ("info", "RUEHAK", "3408")]  # fmt: skip
    assert rows(store, "SELECT ref_id, label FROM refs") == [("09STATE12345", "A")]
    assert rows(store, "SELECT reason FROM reasons ORDER BY seq") == [("1.4(b)",), ("1.4(d)",)]
    assert rows(store, "SELECT caveat FROM caveats") == [("SIPDIS",)]
    assert rows(store, "SELECT code FROM defects") == [("numbering",)]
    assert store.get("09BAKU433") == baku()  # the record round-trips


def test_portions_carry_levels_from_markings(store):
    put(store, baku(), "a")
    got = rows(store, "SELECT kind, seq, number, marking, level, caveats, heading FROM portions "
               "ORDER BY seq, kind")  # fmt: skip
    assert got == [
        ("subject", 0, None, "", 3, "SIPDIS", ""),  # no subject marking: the overall level
        ("para", 1, 1, "C", 3, "", ""),
        ("para", 2, 2, "S/NF", 4, "NOFORN", "SEEKING NATO STANDARDS"),
        ("para", 3, 3, "", 3, "SIPDIS", "SEEKING NATO STANDARDS"),  # unmarked: the cable's
    ]
    # the summary is cut from paragraph 1, so it is searchable there: no portion of its own
    assert not rows(store, "SELECT 1 FROM portions WHERE kind = 'summary'")


def test_subject_marking_and_lone_summary(store):
    put(store, baku(subject_marking="U", summary="Words found in no paragraph."), "a")
    assert rows(store, "SELECT kind, marking, level FROM portions WHERE seq = 0 ORDER BY kind") == [
        ("subject", "U", 0), ("summary", "", 3)]  # fmt: skip


def test_full_text_search_follows_the_shown_version(store):
    def match(q: str) -> list[str]:
        return [r[0] for r in rows(
            store, "SELECT p.cable_id FROM portions_fts JOIN portions p "
            "ON p.portion_id = portions_fts.rowid WHERE portions_fts MATCH ?", q)]  # fmt: skip

    put(store, baku(), "a")
    assert match("craddock") == ["09BAKU433"]
    assert match("heading:nato") == ["09BAKU433", "09BAKU433"]
    more = baku(comment="More fields make it the shown version.")
    more.paragraphs = [Paragraph(1, "C", "", "Entirely different words about caviar.")]
    assert put(store, more, "b") == "updated"
    assert match("craddock") == []  # the old portions left the index with their rows
    assert match("caviar") == ["09BAKU433"]
    store.conn.execute("INSERT INTO portions_fts(portions_fts) VALUES ('integrity-check')")


def fts_in_step(store) -> None:
    """FTS5's own check of the index against its content table (`portions`)."""
    store.conn.execute("INSERT INTO portions_fts(portions_fts, rank) VALUES ('integrity-check', 1)")


def test_a_batch_is_written_as_one_by_one(tmp_path):
    """write() takes runs of new cables together; the result is that of one item at a
    time, whatever the mix: versions of one id in one batch, a content met twice, an error
    cleared by a new parse, a cable updated by a fuller version."""
    old = baku(id="10OLD1", to=[])
    items = [
        Parsed(h("n1"), "s", "1", flatten(baku(id="10NEW1"))),
        Parsed(h("n2"), "s", "2", flatten(baku(id="10NEW2", subject="OTHER WORDS"))),
        Seen(h("n1"), "s", "1-copy"),
        Failed(h("bad"), "s", "bad", "no-id", "no reference id"),
        Parsed(h("v1"), "s", "3", flatten(baku(id="10TWICE", to=[]))),
        Parsed(h("n3"), "s", "4", flatten(baku(id="10NEW3", paragraphs=[]))),
        Parsed(h("v2"), "s", "5", flatten(baku(id="10TWICE"))),
        Parsed(h("old2"), "s", "6", flatten(baku(id="10OLD1"))),  # fuller than the stored
        Parsed(h("was-error"), "s", "7", flatten(baku(id="10FIXED"))),
        Seen(h("bad"), "s", "bad-copy"),
        Parsed(h("n4"), "s", "8", flatten(baku(id="10NEW4", caveats=[]))),
    ]
    dumps, outcomes = [], []
    for i, together in enumerate((True, False)):
        with open_store(tmp_path / f"{i}.db") as s:
            put(s, old, "old1")
            s.write([Failed(h("was-error"), "s", "7", "no-id", "no reference id")])
            if together:
                outcomes.append(s.write(items))
            else:
                outcomes.append([s.write([it])[0] for it in items])
            fts_in_step(s)
            assert not rows(s, "SELECT 1 FROM meta WHERE key = 'fts_deferred'")
            dumps.append(list(s.dump()))
    assert outcomes[0] == outcomes[1] == [
        "new", "new", "unchanged", "failed", "new", "new", "updated", "updated", "new",
        "failed", "new"]  # fmt: skip
    assert dumps[0] == dumps[1]


def test_the_index_follows_any_writer(store):
    """Outside the ingest writer the triggers keep portions_fts in step."""
    put(store, baku(), "a")
    c = store.conn
    c.execute("INSERT INTO portions (portion_id, cable_id, kind, seq, text) "
              "VALUES (999999, '09BAKU433', 'para', 9, 'zanzibar')")  # fmt: skip
    c.execute("UPDATE portions SET text = 'a pipeline to zanzibar' WHERE portion_id = 999999")
    c.execute("DELETE FROM portions WHERE seq = 1")
    fts_in_step(store)
    assert rows(store, "SELECT rowid FROM portions_fts WHERE portions_fts MATCH 'pipeline'") == [
        *rows(store, "SELECT portion_id FROM portions WHERE seq = 3"), (999999,)]  # fmt: skip
    assert not rows(store, "SELECT rowid FROM portions_fts WHERE portions_fts MATCH 'eucom'")


def test_databases_made_before_get_the_new_triggers_and_options(tmp_path):
    with open_store(tmp_path / "t.db") as s:
        put(s, baku(), "a")
    with sqlite3.connect(tmp_path / "t.db") as conn:  # as the schema was before
        conn.execute("DROP TRIGGER portions_ai")
        conn.execute("CREATE TRIGGER portions_ai AFTER INSERT ON portions BEGIN "
                     "INSERT INTO portions_fts(rowid, text, heading) "
                     "VALUES (new.portion_id, new.text, new.heading); END")  # fmt: skip
        conn.execute("DELETE FROM portions_fts_config WHERE k IN ('hashsize', 'automerge')")
    with open_store(tmp_path / "t.db") as s:
        (sql,) = rows(s, "SELECT sql FROM sqlite_master WHERE name = 'portions_ai'")[0]
        assert "fts_deferred" in sql
        assert dict(rows(s, "SELECT k, v FROM portions_fts_config")) == {
            "hashsize": 16777216, "automerge": 8, "version": 4}  # fmt: skip
        put(s, baku(id="10BAKU2"), "b")
        fts_in_step(s)
        assert s.count() == 2


# --- versions -------------------------------------------------------------------------------


def test_most_complete_version_is_shown_whatever_the_order(tmp_path):
    partial = baku(to=[], info=[], transmission_id="", precedence="")
    full = baku()
    assert completeness(full) > completeness(partial)
    dumps = []
    orders = (((partial, "p"), (full, "f")), ((full, "f"), (partial, "p")))
    for i, order in enumerate(orders):
        with open_store(tmp_path / f"{i}.db") as s:
            assert put(s, *order[0]) == "new"
            assert put(s, *order[1]) == "updated"
            vs = s.versions("09BAKU433")
            assert [v.shown for v in vs if v.content_hash == h("f")] == [True]
            assert s.get("09BAKU433") == full
            assert rows(s, "SELECT n_versions FROM cables") == [(2,)]
            dumps.append(list(s.dump()))
    assert dumps[0] == dumps[1]


def test_equal_completeness_breaks_ties_by_content_hash(store):
    a = baku()
    b = baku(subject="SAME LENGTH SUBJECT, OTHER WORDS, FOR THE SAKE OF A TIE!!")
    assert completeness(a) == completeness(b)
    put(store, a, "x")
    put(store, b, "y")
    shown = min((h("x"), a), (h("y"), b), key=lambda t: t[0])[1]
    assert store.get("09BAKU433") == shown


@settings(max_examples=20, deadline=None)
@given(st.permutations(range(4)))
def test_dump_does_not_depend_on_ingest_order(order):
    versions = [
        baku(),
        baku(to=[], info=[]),
        baku(paragraphs=baku().paragraphs[:1], summary=""),
        baku(comment="extra", subject_marking="C"),
    ]
    ref = open_store(":memory:")
    for i in range(4):
        put(ref, versions[i], str(i))
    other = open_store(":memory:")
    for i in order:
        put(other, versions[i], str(i))
    assert list(other.dump()) == list(ref.dump())


def test_version_lookup_by_number_and_hash_prefix(store):
    put(store, baku(), "a")
    put(store, baku(to=[]), "b")
    vs = store.versions("09BAKU433")
    assert [v.number for v in vs] == [1, 2]
    assert store.version("09BAKU433", 2)[1] == baku(to=[])
    assert store.version("09BAKU433", h("b")[:8])[0].number == 2
    assert store.version("09BAKU433", 3) is None
    assert store.version("NOPE", 1) is None
    assert store.versions("NOPE") == []


def test_same_content_twice_is_unchanged(store):
    assert put(store, baku(), "a") == "new"
    assert put(store, baku(), "a", source="elsewhere") == "unchanged"
    assert rows(store, "SELECT count(*) FROM versions") == [(1,)]


def test_force_reparse_moves_a_version_to_its_new_id(store):
    put(store, baku(id="09BAKU9"), "a")  # an old parser misread the id
    put(store, baku(), "b")
    fixed = flatten(baku(to=[]))
    out = store.write([Parsed(h("a"), "src", "", fixed)], force=True)
    assert out == ["updated"]
    assert store.get("09BAKU9") is None
    assert rows(store, "SELECT count(*) FROM portions WHERE cable_id = '09BAKU9'") == [(0,)]
    # The old parse stays, superseded, under the new id; the old id is an alias of it.
    versions = store.versions("09BAKU433")
    assert len(versions) == 3
    assert [v.content_hash for v in versions if v.content_hash.startswith(h("a") + "~")]
    assert store.resolve("09BAKU9") == "09BAKU433"
    assert store.write([Parsed(h("a"), "src", "", fixed)], force=True) == ["unchanged"]
    assert len(store.versions("09BAKU433")) == 3


# --- errors and seen items ------------------------------------------------------------------


def test_errors_are_recorded_once_per_file_and_member(store):
    fail = Failed(h("x"), "dir/a.html", "", "no-id", "no reference id")
    unreadable = Failed("", "bad.zip", "m.html", "read", "corrupt archive member")
    assert store.write([fail, unreadable]) == ["failed", "failed"]
    assert store.write([fail, unreadable]) == ["failed", "failed"]
    assert rows(store, "SELECT source, member, content_hash, code FROM errors ORDER BY source") == [
        ("bad.zip", "m.html", "", "read"), ("dir/a.html", "", h("x"), "no-id")]  # fmt: skip


def test_seen_items_resolve_to_unchanged_or_to_the_earlier_error(store):
    put(store, baku(), "a")
    store.write([Failed(h("e"), "one.html", "", "empty", "empty file")])
    out = store.write([Seen(h("a"), "copy.html", ""), Seen(h("e"), "two.html", "")])
    assert out == ["unchanged", "failed"]
    assert rows(store, "SELECT source, reason FROM errors ORDER BY source") == [
        ("one.html", "empty file"), ("two.html", "empty file")]  # fmt: skip


def test_content_that_now_parses_clears_its_error(store):
    store.write([Failed(h("a"), "a.html", "", "no-id", "no reference id")])
    assert put(store, baku(), "a", source="a.html") == "new"
    assert rows(store, "SELECT count(*) FROM errors") == [(0,)]


def test_a_failed_transaction_leaves_nothing(store):
    def boom() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.write([Parsed(h("a"), "s", "", flatten(baku()))], before_commit=boom)
    assert store.count() == 0
    assert rows(store, "SELECT count(*) FROM versions") == [(0,)]
    assert not rows(store, "SELECT 1 FROM meta WHERE key = 'fts_deferred'")
    assert put(store, baku(), "a") == "new"
    fts_in_step(store)


# --- reading --------------------------------------------------------------------------------


def test_iter_cables_stats_and_runs(store):
    run = store.begin_run("args")
    for i, (year, origin) in enumerate(itertools.product((2008, 2009), ("BAKU", "PARIS"))):
        c = baku(id=f"{year % 100:02d}{origin}{i}", origin=Origin(origin, origin.title()),
                 dtg=f"{year}-01-0{i + 1}T00:00:00Z")  # fmt: skip
        store.write([Parsed(h(c.id), "s", "", flatten(c))], run)
    store.write([Failed("", "x.zip", "", "read", "not a zip")], run)
    store.finish_run(run, {"new": 4, "failed": 1})
    ids = [c.id for c in store.iter_cables(batch_size=3)]
    assert ids == sorted(ids) and len(ids) == 4
    assert [c.id for c in store.iter_cables(["09PARIS3", "08BAKU0", "NOPE"], batch_size=2)] == [
        "09PARIS3", "08BAKU0"]  # fmt: skip
    s = store.stats()
    assert s["cables"] == 4 and s["errors"] == 1 and s["runs"] == 1
    assert s["years"] == {2008: 2, 2009: 2}
    assert s["origins"] == {"Baku": 2, "Paris": 2}
    assert s["classifications"] == {"CONFIDENTIAL": 4}
    assert s["caveats"] == {"SIPDIS": 4}
    assert s["tags"] == {"AJ": 4, "PGOV": 4}
    assert s["error_codes"] == {"read": 1}
    (r,) = store.runs()
    assert (r.status, r.new, r.failed, r.finished_at is not None) == ("done", 4, 1, True)
    assert [e.source for e in store.errors(run_id=run)] == ["x.zip"]
    assert store.errors(run_id=run + 1) == []


def test_add_convenience(store):
    assert store.add(baku()) == "new"
    assert store.add(baku()) == "unchanged"


def test_dump_ignores_timestamps_and_run_ids(tmp_path):
    dumps = []
    for name in ("a", "b"):
        with open_store(tmp_path / f"{name}.db") as s:
            for _ in range(int(name == "b") + 1):
                s.begin_run(name)  # different run ids
            run = s.begin_run(name)
            s.write([Parsed(h("a"), "src", "", flatten(baku())),
                      Failed("", "x.zip", "", "read", "bad")], run)  # fmt: skip
            dumps.append(list(s.dump()))
    assert dumps[0] == dumps[1]
    assert {t for t, _ in dumps[0]} >= {"versions", "cables", "portions", "errors", "portions_fts"}


def test_present_references_and_cited_by(store):
    put(store, baku(), "a")  # cites 09STATE12345
    put(store, baku(id="09STATE12345", references=[]), "b")
    put(store, baku(id="10BAKU1", dtg="2010-01-01T00:00:00Z"), "c")  # cites it too, later
    assert store.present(["09BAKU433", "NOPE", "09STATE12345"]) == {"09BAKU433", "09STATE12345"}
    assert [r.id for r in store.references_of("09BAKU433")] == ["09STATE12345"]
    assert store.references_of("09BAKU433")[0] == baku().references[0]
    assert store.cited_by("09STATE12345") == ["10BAKU1", "09BAKU433"]
    assert store.cited_by("NOPE") == []


def test_readers_open_and_read_while_a_writer_holds_the_lock(tmp_path):
    with open_store(tmp_path / "t.db") as s:
        put(s, baku(), "a")
        s.conn.execute("BEGIN IMMEDIATE")  # an ingest in the middle of a chunk
        with SQLiteStore(tmp_path / "t.db", timeout=0.2) as reader:
            assert reader.count() == 1 and reader.get("09BAKU433") == baku()
        s.conn.execute("ROLLBACK")


def test_indexes_added_to_the_schema_reach_older_databases(tmp_path):
    with open_store(tmp_path / "t.db") as s:
        put(s, baku(), "a")
    with sqlite3.connect(tmp_path / "t.db") as conn:  # as a database made before them
        conn.execute("DROP INDEX portions_search")
        conn.execute("DROP INDEX cables_hit")
    with open_store(tmp_path / "t.db") as s:
        names = {r[0] for r in rows(s, "SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"portions_search", "cables_hit"} <= names
        assert s.count() == 1


def test_schema_2_database_is_migrated(full_db, tmp_path):
    """A database made by schema 2 (a cable's lists keyed by the text cable_id) opens as
    schema 3 with the same content: same dump, same searches."""
    old = tmp_path / "v2.db"
    v2 = (Path(__file__).parent / "data" / "schema_sqlite_v2.sql").read_text()
    with sqlite3.connect(old) as conn:
        conn.executescript(v2)
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '2')")
        conn.execute("ATTACH ? AS src", (str(full_db),))
        for table in ("versions", "cables", "caveats", "tags", "addressees", "refs",
                      "reasons", "defects", "portions", "ingest_runs", "errors"):  # fmt: skip
            conn.execute(f"INSERT INTO main.{table} SELECT * FROM src.{table}")
    assert {r[0] for r in sqlite3.connect(old).execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")} >= {"tags", "refs"}  # fmt: skip

    from conftest import dump

    assert dump(old) == dump(full_db)
    with sqlite3.connect(old) as conn:
        kinds = dict(conn.execute("SELECT name, type FROM sqlite_master"))
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert version == ("3",)
    for table in ("caveats", "tags", "addressees", "refs", "reasons", "defects"):
        assert kinds[table] == "view" and kinds[f"cable_{table}"] == "table"
        assert not any(name.startswith("_v2_") for name in kinds)
    from cablegram.archive import Archive

    with Archive(old, create=False) as a, Archive(full_db, create=False) as b:
        for q in ("tag:PGOV", "caveat:NOFORN", "ref:08BAKU1148 OR tag:AJ", "karabakh"):
            ra, rb = a.search(q), b.search(q)
            assert ra.total == rb.total > 0, q
            assert [h.id for h in ra.hits] == [h.id for h in rb.hits]


def test_a_schema_2_database_that_cannot_be_written_says_so(tmp_path, monkeypatch):
    old = tmp_path / "v2.db"
    v2 = (Path(__file__).parent / "data" / "schema_sqlite_v2.sql").read_text()
    with sqlite3.connect(old) as conn:
        conn.execute("PRAGMA journal_mode = WAL")  # as every store has it
        conn.executescript(v2)
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '2')")
    real_connect = sqlite3.connect

    def read_only(path, *args, **kwargs):  # what a reader without write access gets
        return real_connect(f"file:{path}?mode=ro", *args, uri=True, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", read_only)
    with pytest.raises(RuntimeError, match="schema version 2, to be migrated to 3"):
        SQLiteStore(old)
    monkeypatch.undo()
    with sqlite3.connect(old) as conn:  # untouched: still schema 2, its tables intact
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        kind = conn.execute("SELECT type FROM sqlite_master WHERE name = 'tags'").fetchone()
    assert (version, kind) == (("2",), ("table",))
