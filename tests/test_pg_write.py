"""The PostgreSQL writer's fast path (docs/scaling.md): a chunk written with a few COPYs
and one read of the stored versions must leave what writing its items one by one leaves;
the COPY data (text format, binary portions with their ``tsvector``) must hold exactly what
the rows say; a first load builds the full-text index at its end, also after a resume."""

from __future__ import annotations

import pickle
import random
import re
import unicodedata

import pytest

import pg
from cablegram.archive import Archive
from cablegram.ingest import ingest
from cablegram.model import Addressee, Cable, Defect, Origin, Paragraph, Reference, Tag
from cablegram.search import postgres as search_pg
from cablegram.store import FAILED, NEW, UNCHANGED, UPDATED, Failed, Parsed, Seen, open_store
from cablegram.store import postgres as store_pg
from cablegram.store.rows import flatten
from conftest import BAKU_MD, CSV_SAMPLE, make_tar, read_pages

pg_server = pg.pg_server
pg_url = pg.pg_url


def _cable(cid: str, paras: list[str], **kw) -> Cable:
    return Cable(
        id=cid,
        origin=Origin(code="BAKU", name="Embassy Baku"),
        dtg="2009-05-21T12:00:00Z",
        classification="CONFIDENTIAL",
        paragraphs=[Paragraph(number=i, marking="C", text=t) for i, t in enumerate(paras, 1)],
        **kw,
    )


def _parsed(h: str, cable: Cable, source: str = "src") -> Parsed:
    return Parsed(h, source, f"member-{h}", flatten(cable))


def _hash(n: int) -> str:
    return f"{n:064x}"


def _dump(store) -> list[tuple]:
    return list(store.dump())


# ------------------------------------------------------------------ tokenizer, no server


def _reference_lexemes(text: str) -> list[tuple[str, int, int]]:
    out = []
    for m in search_pg._TOKEN.finditer(text):
        lex = search_pg.fold(m.group())
        if lex and len(lex.encode("utf-8")) <= search_pg.MAX_LEXEME:
            out.append((lex, m.start(), m.end()))
    return out


def _reference_literal(text: str, heading: str = "") -> str:
    # The tokenizer's first version, kept as the specification of portions.tsv.
    positions: dict[str, list[int]] = {}
    pos = 0
    for lex, _, _ in _reference_lexemes(text):
        pos += 1
        positions.setdefault(lex, []).append(min(pos, search_pg.MAX_POS))
    if heading:
        pos += search_pg.HEADING_GAP
        for lex, _, _ in _reference_lexemes(heading):
            pos += 1
            positions.setdefault(lex, []).append(min(pos, search_pg.MAX_POS))
    parts = []
    for lex, ps in positions.items():
        ps = sorted(set(ps))[: search_pg.MAX_POSITIONS]
        parts.append(search_pg._quote(lex) + ":" + ",".join(map(str, ps)))
    return " ".join(parts)


TRICKY = [
    ("Café T-72 U.S. 1.4(b) naïve ÉCOLE straße ﬁ ½ x² İstanbul ΣΊΣΥΦΟΣ", "Héad"),
    ("word " * 17_000 + "tail end", "heading words"),
    ("the " * 300 + "rest", ""),
    ("", "only a heading"),
    ("x" * 3000 + " kept", "y"),
    ("é" * 1100 + " ok", ""),
    ("a\u0301b c\u0327 日本語 テキスト 中文", "ﬀ"),
    ("tab\there new\nline back\\slash 'quote' \"dq\" cr\rlf", "h\tead"),
    ("   ", "  "),
]


def test_tokenizer_fast_paths_agree_with_the_reference():
    rnd = random.Random(7)
    alphabet = "aZ9 _-'\\.\t\nßé\u0301ΩσςİıﬁÆ日"
    cases = list(TRICKY)
    for _ in range(3000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 60)))
        head = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 8)))
        cases.append((text, head))
    for _ in range(300):  # ASCII only: the fast paths
        cases.append(("".join(rnd.choice("ab Z9-_.\t") for _ in range(200)), ""))
    for text, head in cases:
        assert search_pg.lexemes(text) == _reference_lexemes(text), text
        assert search_pg.tsvector_literal(text, head) == _reference_literal(text, head), text


# ------------------------------------------------------------------ batch == one by one


def _scenario() -> list[list]:
    """Chunks of write items exercising the version choice and the error rules."""
    a1 = _cable("09BAKU1", ["short"])
    a2 = _cable("09BAKU1", ["a longer paragraph", "and a second one"], signer="DERSE")
    a3 = _cable("09BAKU1", ["x"])
    b1 = _cable("09BAKU2", ["the first version of two"])
    b2 = _cable("09BAKU2", ["the second, more complete", "with two paragraphs"], comment="c")
    c1 = _cable(
        "09BAKU3",
        ["text with\ttab, new\nline and back\\slash", "Café naïve 日本語"],
        subject="SUBJ\tWITH TAB",
        tags=[Tag("PGOV", "subject", "Internal\tGovernmental"), Tag("AJ", "country", "Az")],
        references=[Reference("08BAKU9", "A. 08 BAKU 9\\x", False, "A")],
        to=[Addressee("RUEHC", "SECSTATE\nWASHDC", "IMMEDIATE", "1")],
        defects=[Defect("odd", "a message\r\nwith CRLF")],
        reasons=["1.4(b)", "1.4(d)"],
        caveats=["NOFORN"],
    )
    return [
        # a first chunk: two versions of one cable, the worse first; an error; its copy
        [_parsed(_hash(1), a1), _parsed(_hash(2), a2), Failed(_hash(9), "f", "m9", "binary",
         "binary file"), Seen(_hash(9), "g", "m9b"), Failed("", "f", "unreadable", "read",
         "corrupt archive member"), _parsed(_hash(3), b1), Seen(_hash(2), "h", "copy")],
        # a worse version of a shown cable (only n_versions changes), a better one of
        # another (its rows are replaced), an already stored content, a new cable
        [_parsed(_hash(4), a3), _parsed(_hash(5), b2), _parsed(_hash(2), a2, "again"),
         _parsed(_hash(6), c1), Seen(_hash(6), "i", "dup"), Seen(_hash(3), "j", "old")],
        # the content that failed before now parses (its error rows go)
        [_parsed(_hash(9), _cable("09BAKU4", ["recovered"])), Seen(_hash(8), "k", "never")],
    ]  # fmt: skip


def _run(store, chunks, run_id) -> list[list[str]]:
    return [store.write(items, run_id) for items in chunks]


def test_batch_write_equals_one_by_one(pg_server, monkeypatch):
    fast, slow = pg_server.create_database(), pg_server.create_database()
    try:
        a = open_store(fast)
        calls = []
        orig = store_pg.PostgresStore._write_one
        monkeypatch.setattr(store_pg.PostgresStore, "_write_one",
                            lambda self, *args: calls.append(1) or orig(self, *args))  # fmt: skip
        got = _run(a, _scenario(), a.begin_run())
        assert not calls, "the batch path was not taken"
        monkeypatch.setattr(store_pg, "_batchable", lambda items: False)
        b = open_store(slow)
        want = _run(b, _scenario(), b.begin_run())
        assert calls
        assert got == want
        # One run: a second version of a cable this run brought is new, not "updated"
        # (updated is a cable the archive had before the run).
        assert got[0] == [NEW, NEW, FAILED, FAILED, FAILED, NEW, UNCHANGED]
        assert got[1] == [NEW, NEW, UNCHANGED, NEW, UNCHANGED, UNCHANGED]
        assert got[2] == [NEW, FAILED]
        assert _dump(a) == _dump(b)
        shown = {v.content_hash: v.shown for cid in ("09BAKU1", "09BAKU2")
                 for v in a.versions(cid)}  # fmt: skip
        assert shown == {_hash(1): False, _hash(2): True, _hash(4): False,
                         _hash(3): False, _hash(5): True}  # fmt: skip
        assert {e.content_hash for e in a.errors()} == {"", _hash(8)}
        # A later run's new version of a cable the archive had: updated, on both paths.
        for s in (a, b):
            later = s.begin_run()
            assert s.write([_parsed(_hash(7), _cable("09BAKU1", ["later text"]))], later) == [
                UPDATED]  # fmt: skip
        a.close()
        b.close()
    finally:
        pg_server.drop_database(fast)
        pg_server.drop_database(slow)


def test_chunk_order_does_not_matter(pg_server):
    """The version choice of a batch does not depend on the order of its items."""
    urls = [pg_server.create_database() for _ in range(2)]
    try:
        items = {it.content_hash: it for chunk in _scenario() for it in chunk
                 if isinstance(it, Parsed)}  # one item per content  # fmt: skip
        flat = list(items.values())
        dumps = []
        for url, chunk in zip(urls, (flat, list(reversed(flat)))):
            with open_store(url) as st:
                st.write(chunk)
                dumps.append(list(st.dump()))
        assert dumps[0] == dumps[1]
    finally:
        for url in urls:
            pg_server.drop_database(url)


# ------------------------------------------------------------------ what COPY writes


def test_copy_data_holds_exactly_the_rows(pg_url):
    paras = [t for t, _ in TRICKY]
    cable = _cable("09BAKU5", paras, subject="A\tB\\C\nD", comment="x\ry", signer="Z\\")
    cable.paragraphs[0].heading = "heading words"  # (the 2nd's would be past position 16,383)
    cable.paragraphs[1].heading = "Héad"
    rows = flatten(cable)
    with open_store(pg_url) as st:
        assert st.add(cable, content_hash=_hash(11)) == NEW
        with st.reader() as c:
            got = c.execute(
                "SELECT kind, seq, number, marking, level, caveats, heading, text "
                "FROM portions ORDER BY seq, kind"
            ).fetchall()
            assert got == sorted((tuple(p) for p in rows.portions), key=lambda p: (p[1], p[0]))
            # each tsvector, sent in binary, equals the server's reading of the literal
            bad = c.execute(
                "SELECT count(*) FROM portions p, (SELECT unnest(%s::text[]) k, "
                "unnest(%s::int[]) s, unnest(%s::text[]) lit) w "
                "WHERE p.kind = w.k AND p.seq = w.s AND p.tsv IS DISTINCT FROM w.lit::tsvector",
                ([p[0] for p in rows.portions], [p[1] for p in rows.portions],
                 [_reference_literal(p[7], p[6]) for p in rows.portions]),
            ).fetchone()[0]  # fmt: skip
            assert bad == 0
            record = c.execute("SELECT record FROM versions").fetchone()[0]
            assert record == rows.record
            subject, comment, signer = c.execute(
                "SELECT subject, comment, signer FROM cables").fetchone()  # fmt: skip
            assert (subject, comment, signer) == ("A\tB\\C\nD", "x\ry", "Z\\")
        assert st.get("09BAKU5") == Cable.from_dict(cable.to_dict())
        assert st.search('"heading words"').total == 1
        assert st.search("word").total == 1


def test_prepared_rows_travel_and_an_old_payload_is_remade(pg_url, monkeypatch):
    rows = flatten(_cable("09BAKU6", ["some text", "more text"]))
    prepared = pickle.loads(pickle.dumps(store_pg.prepare_rows(rows)))
    assert prepared.pg["v"] == store_pg._PAYLOAD
    prepared.pg["v"] = -1  # as sent by a worker running another version
    prepared.pg["portions"] = b"garbage"
    with open_store(pg_url) as st:
        assert st.write([Parsed(_hash(12), "s", "m", prepared)]) == [NEW]
        assert st.search('"more text"').total == 1


# ------------------------------------------------------------------ the full-text index


def _has_index(url: str) -> bool:
    import psycopg

    with psycopg.connect(url) as c:
        return c.execute("SELECT to_regclass('portions_tsv') IS NOT NULL").fetchone()[0]


def test_first_load_builds_the_index_at_the_end(pg_server, tmp_path):
    url = pg_server.create_database()
    try:
        tar = make_tar(tmp_path / "p.tar", read_pages(24))
        during: list[bool] = []
        with open_store(url) as st:
            ingest(st, [tar], workers=0, chunk_docs=8,
                   on_chunk=lambda r: during.append(_has_index(url)))  # fmt: skip
        assert during and not any(during)
        assert _has_index(url)
        # a later ingest into a non-empty archive keeps the index up to date
        during.clear()
        with open_store(url) as st:
            ingest(st, [BAKU_MD, CSV_SAMPLE], workers=0, chunk_docs=1,
                   on_chunk=lambda r: during.append(_has_index(url)))  # fmt: skip
        assert during and all(during)
    finally:
        pg_server.drop_database(url)


def test_an_unfinished_first_load_is_finished_by_the_next_run(pg_server, tmp_path):
    whole, broken = pg_server.create_database(), pg_server.create_database()
    try:
        tar = make_tar(tmp_path / "p.tar", read_pages(16))
        with Archive(whole) as arc:
            arc.ingest([tar], workers=0, chunk_size=4)
        with open_store(broken) as st:  # a run that stops after its first chunk
            run = st.begin_run("killed")
            from cablegram.sources import iter_documents

            docs = list(iter_documents([tar]))[:4]
            import hashlib

            from cablegram.ingest import process

            outcomes = [process(d.data, d.hint) for d in docs]
            st.write([Parsed(hashlib.sha256(d.data).hexdigest(), d.source, d.member, o)
                      for d, o in zip(docs, outcomes, strict=True)], run)  # fmt: skip
        assert not _has_index(broken)
        ids = {o.cable_id for o in outcomes if hasattr(o, "cable_id")}
        with Archive(whole, create=False) as a:
            want = sorted(set(a.search_ids("government")) & ids)
        with Archive(broken) as arc:
            assert sorted(arc.search_ids("government")) == want  # unindexed, still right
            report = arc.ingest([tar], workers=0, chunk_size=4)
            assert report.unchanged == 4
        assert _has_index(broken)
        with Archive(whole, create=False) as a, Archive(broken, create=False) as b:
            assert list(a.store.dump()) == list(b.store.dump())
            for q in ("government", '"foreign minister"', "minist*"):
                assert a.search(q).total == b.search(q).total
    finally:
        pg_server.drop_database(whole)
        pg_server.drop_database(broken)


# ------------------------------------------------------------------ schema


def test_migration_0003(pg_url):
    import psycopg

    open_store(pg_url).close()
    with psycopg.connect(pg_url) as c:
        storage, compression = c.execute(
            "SELECT attstorage, attcompression FROM pg_attribute "
            "WHERE attrelid = 'versions'::regclass AND attname = 'record'"
        ).fetchone()
        assert storage == "e" or compression == "l"  # uncompressed, or lz4
        (idx,) = c.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'tags_code'"
        ).fetchone()
        assert re.search(r"\(code, cable_id\)", idx)


def test_fold_is_the_reference_fold():
    # lower() is the fold of ASCII text: the fast paths rely on it
    for ch in map(chr, range(128)):
        assert search_pg.fold(ch) == ch.lower() or not ch.isalnum()
    assert search_pg.fold("Ére") == unicodedata.normalize("NFC", "ere")


@pytest.mark.parametrize("text", ["plain ascii words", "accentué", ""])
def test_tsvector_binary_layout(text):
    data = search_pg.tsvector_binary(text)
    n = int.from_bytes(data[:4], "big")
    assert n == len(search_pg.positions(text))
