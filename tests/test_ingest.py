"""Ingest rules on the real sample pages: nothing lost, idempotent, versions, bad inputs,
kill -9 and resume, bounded read-ahead and memory."""

from __future__ import annotations

import io
import json
import lzma
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tarfile
import threading
import tracemalloc
import zipfile
from pathlib import Path

import pytest

import cablegram.ingest.pipeline as ingest_mod
from cablegram import parse
from cablegram.archive import Archive
from cablegram.ingest import examine, is_binary
from cablegram.model import Cable, Paragraph
from cablegram.sources import iter_documents
from cablegram.store import rows as rows_mod
from cablegram.store.rows import flatten
from conftest import BAKU_MD, CSV_SAMPLE, ROOT, dump, make_tar


def cid(data: bytes) -> str:
    """The cable id the parser reads from a page."""
    c = parse(data)
    assert c.id
    return c.id


def located(db: Path) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(source, member) of every stored version and of every error row."""
    with sqlite3.connect(db) as conn:
        versions = set(conn.execute("SELECT source, member FROM versions"))
        errors = set(conn.execute("SELECT source, member FROM errors"))
    return versions, errors


def error_rows(db: Path) -> dict[tuple[str, str], tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return {(s, m): (c, r) for s, m, c, r in conn.execute(
            "SELECT source, member, code, reason FROM errors")}  # fmt: skip


def fts_in_step(db: Path) -> None:
    """FTS5's own check of the index against `portions`, and no suspended trigger left."""
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO portions_fts(portions_fts, rank) VALUES ('integrity-check', 1)")
        assert not conn.execute("SELECT 1 FROM meta WHERE key = 'fts_deferred'").fetchall()


def grow_paragraph(page: bytes) -> bytes:
    """The page as a later release might have it: more words at the end of paragraph 1."""
    marker = b"&#x000A;<a id='par2'"
    assert marker in page
    return page.replace(marker, b" LATER RELEASE ADDS THESE WORDS." + marker, 1)


# --- the basic contract -----------------------------------------------------------------------


def test_every_document_ends_as_a_cable_or_an_error(tmp_path, small_tar, pages):
    db = tmp_path / "a.db"
    with Archive(db) as arc:
        report = arc.ingest([small_tar], workers=2, chunk_size=8)
        assert report.documents == 50
        assert report.new + report.updated + report.unchanged + report.failed == 50
        assert report.new == arc.stats()["cables"] > 40
    versions, errors = located(db)
    assert versions | errors == {(str(small_tar), name) for name, _ in pages[:50]}
    assert not versions & errors
    content = dict(pages[:50])
    with Archive(db) as arc:
        for _, member in versions:
            assert arc.get(cid(content[member])) is not None, member


def test_reingest_changes_nothing_and_skips_parsing(tmp_path, small_tar, monkeypatch):
    db = tmp_path / "a.db"
    with Archive(db) as arc:
        first = arc.ingest([small_tar], workers=0)
    before = dump(db)
    parsed = []
    real = ingest_mod._work

    def counting(tasks):
        parsed.extend(tasks)
        return real(tasks)

    monkeypatch.setattr(ingest_mod, "_work", counting)
    with Archive(db) as arc:
        again = arc.ingest([small_tar], workers=0)
    assert (again.new, again.updated, again.failed) == (0, 0, first.failed)
    assert again.unchanged == first.new + first.updated
    assert len(parsed) == first.failed  # stored content is skipped before parsing
    assert dump(db) == before


def test_workers_and_batch_size_do_not_change_the_result(tmp_path, pages, monkeypatch):
    tar = make_tar(tmp_path / "in.tar", pages[:30])
    dumps = []
    # (2, 12, 5): chunks of 12 documents (transactions), parsed as tasks of at most 5
    for i, (workers, chunk, task) in enumerate(((0, 64, 64), (2, 4, 64), (1, 7, 64), (2, 12, 5))):
        monkeypatch.setattr(ingest_mod, "TASK_DOCS", task)
        db = tmp_path / f"{i}.db"
        with Archive(db) as arc:
            arc.ingest([tar], workers=workers, chunk_size=chunk)
        fts_in_step(db)
        dumps.append(dump(db))
    assert dumps[0] == dumps[1] == dumps[2] == dumps[3]


# --- inputs of every kind -----------------------------------------------------------------------


def test_folder_tree_csv_markdown_and_stdin(tmp_path, pages):
    tree = tmp_path / "cablegate"
    for name, data in pages[:5]:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_bytes(data)
    (tree / ".DS_Store").write_bytes(b"\x00\x01junk")  # skipped, not an error
    db = tmp_path / "a.db"
    with Archive(db) as arc:
        report = arc.ingest([tree, BAKU_MD, CSV_SAMPLE], workers=0)
        assert report.failed == 0, report.errors
        assert report.new == 5 + 1 + 2
        assert arc.get("09BAKU433").subject
        assert arc.get("66BUENOSAIRES2481") is not None
    versions, _ = located(db)
    assert (str(CSV_SAMPLE), "row 1") in versions
    assert (str(tree / pages[0][0]), "") in versions
    # standard input, as `cablegram ingest -`
    out = subprocess.run(
        [sys.executable, "-m", "cablegram", "ingest", "-", "--db", str(tmp_path / "s.db"), "-q"],
        input=BAKU_MD.read_bytes(), capture_output=True, cwd=ROOT, check=True,
    )  # fmt: skip
    assert b"1 new" in out.stdout


def test_json_lines_round_trip(tmp_path, small_tar):
    db = tmp_path / "a.db"
    with Archive(db) as arc:
        arc.ingest([small_tar], workers=0)
        arc.export("jsonl", tmp_path / "all.jsonl")
        n = len(arc)
    lines = (tmp_path / "all.jsonl").read_bytes().splitlines()
    assert len(lines) == n
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"id": "", "subject": "no id"}\n{"id": "X1", "paragraphs": [1, 2]}\n')
    with Archive(tmp_path / "b.db") as arc:
        report = arc.ingest([tmp_path / "all.jsonl", bad], workers=0)
        assert report.new == n
        assert report.failed == 2
        for cable in arc:
            assert cable.id
    errs = error_rows(tmp_path / "b.db")
    assert errs[(str(bad), "line 1")][0] == "no-id"
    assert errs[(str(bad), "line 2")][0] == "json"


# --- bad inputs --------------------------------------------------------------------------------


def corrupt_zip(path: Path, members: list[tuple[str, bytes]], victim: str) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(victim)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 100, start + 120):
        raw[i] ^= 0x5A
    path.write_bytes(bytes(raw))
    return path


def test_bad_inputs_become_error_rows_naming_file_and_member(tmp_path, pages):
    d = tmp_path / "in"
    d.mkdir()
    (d / "empty.html").write_bytes(b"")
    (d / "blank.txt").write_bytes(b"  \n\t\n")
    (d / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(random.Random(1).randbytes(4000)))
    (d / "notes.txt").write_bytes(b"Shopping list: eggs, milk.\n")
    name0, page0 = pages[0]
    # invalid UTF-8 inside an otherwise good page: still a cable
    (d / "latin.html").write_bytes(page0.replace(b"</h3>", b" \xff\xfe\xc3(</h3>", 1))
    zmembers = [(n, data) for n, data in pages[1:4]]
    corrupt_zip(d / "pages.zip", zmembers, zmembers[1][0])
    make_tar(d / "zero.tar", [pages[4], ("cable/2010/12/10ZERO1.html", b""), pages[5]])
    cut = lzma.compress(make_tar(tmp_path / "t.tar", pages[6:16]).read_bytes())
    (d / "cut.tar.xz").write_bytes(cut[: len(cut) * 6 // 10])
    (d / "garbage.tar.gz").write_bytes(b"not a gzip stream at all")
    hurt = bytearray(make_tar(tmp_path / "h.tar", pages[16:19]).read_bytes())
    second = hurt.index(pages[17][0].encode())  # the second member's header
    hurt[second + 148 : second + 156] = b"garbage!"  # its checksum
    (d / "hurt.tar").write_bytes(bytes(hurt))
    db = tmp_path / "a.db"
    with Archive(db) as arc:
        report = arc.ingest([d, tmp_path / "missing.html"], workers=2, chunk_size=3)
        assert not report.ok
        assert arc.get(cid(page0)) is not None  # the page with invalid UTF-8
        assert arc.get(cid(zmembers[0][1])) is not None
        assert arc.get(cid(zmembers[2][1])) is not None
        assert arc.get(cid(pages[5][1])) is not None  # after the 0-byte member
        assert arc.get(cid(pages[6][1])) is not None  # before the cut
    errs = error_rows(db)
    s = str(d)
    assert errs[(f"{s}/empty.html", "")] == ("empty", "empty file")
    assert errs[(f"{s}/blank.txt", "")][0] == "empty"
    assert errs[(f"{s}/image.png", "")] == ("binary", "binary file")
    assert errs[(f"{s}/notes.txt", "")] == ("no-id", "no reference id")
    assert errs[(f"{s}/pages.zip", zmembers[1][0])][0] == "read"
    assert "corrupt archive member" in errs[(f"{s}/pages.zip", zmembers[1][0])][1]
    assert errs[(f"{s}/zero.tar", "cable/2010/12/10ZERO1.html")] == ("empty", "empty file")
    cut_errs = [(m, r) for (src, m), (_, r) in errs.items() if src == f"{s}/cut.tar.xz"]
    assert len(cut_errs) == 1 and "archive ends early or is corrupt" in cut_errs[0][1]
    assert "not a readable tar archive" in errs[(f"{s}/garbage.tar.gz", "")][1]
    hurt_errs = [(m, r) for (src, m), (_, r) in errs.items() if src == f"{s}/hurt.tar"]
    assert len(hurt_errs) == 1 and hurt_errs[0][0] == f"@{second}"
    assert hurt_errs[0][1].startswith("corrupt archive member header")
    with Archive(db) as arc:  # the members around the damaged header are kept
        assert arc.get(cid(pages[16][1])) and arc.get(cid(pages[18][1]))
    assert errs[(str(tmp_path / "missing.html"), "")][1] == "no such file or directory"
    assert report.failed == len(errs) == 10
    # and a second run records nothing new
    before = dump(db)
    with Archive(db) as arc:
        again = arc.ingest([d, tmp_path / "missing.html"], workers=0)
    assert again.failed == 10 and again.new == again.updated == 0
    assert dump(db) == before


def test_plain_tar_reader_reads_what_tarfile_reads(tmp_path, pages):
    """An uncompressed tar is read without tarfile's stream reader until a member it does
    not handle (a long name, pax headers), then by tarfile: the same documents either way."""
    members = [(f"cable/{i}.html", data) for i, (_, data) in enumerate(pages[:6])]
    members[3] = ("cable/" + "long" * 40 + ".html", members[3][1])  # a GNU long name
    path = tmp_path / "in.tar"
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tar:
        tar.addfile(tarfile.TarInfo("cable"), None)  # (a regular empty member named like a dir)
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    docs = list(iter_documents([path]))
    assert [(d.member, d.data, d.error) for d in docs] == [("cable", b"", ""), *[
        (name, data, "") for name, data in members]]  # fmt: skip
    assert sum(d.nbytes for d in docs) <= path.stat().st_size


def test_duplicate_content_in_one_input(tmp_path, pages):
    name, data = pages[0]
    tar = make_tar(tmp_path / "dup.tar", [(name, data), ("copy/" + name, data),
                                          ("e1.html", b""), ("e2.html", b"")])  # fmt: skip
    db = tmp_path / "a.db"
    with Archive(db) as arc:
        r = arc.ingest([tar], workers=0)
    assert (r.new, r.unchanged, r.failed) == (1, 1, 2)
    _, errors = located(db)
    assert errors == {(str(tar), "e1.html"), (str(tar), "e2.html")}


@pytest.mark.parametrize("chunk, task", [(4, 64), (12, 4)])
def test_a_document_that_kills_its_worker(tmp_path, pages, monkeypatch, chunk, task):
    real = ingest_mod.examine
    monkeypatch.setattr(ingest_mod, "TASK_DOCS", task)

    def deadly(data, hint=None, name=None):  # workers are forked: they inherit this
        if b"POISON" in data:
            os._exit(3)
        return real(data, hint, name)

    monkeypatch.setattr(ingest_mod, "examine", deadly)
    tar = make_tar(tmp_path / "in.tar", [*pages[:9], ("poison.html", b"POISON"), *pages[9:20]])
    with Archive(tmp_path / "a.db") as arc:
        report = arc.ingest([tar], workers=2, chunk_size=chunk)
        assert (report.new + report.updated, report.failed) == (20, 1)
        (err,) = arc.errors()
    assert (err.member, err.code) == ("poison.html", "crash")


def test_records_are_to_dict_as_json(pages):
    """flatten encodes the record without Cable.to_dict() (orjson, or the json module for
    text orjson refuses); the text must be to_dict() as compact JSON, the same either way."""
    compact = {"ensure_ascii": False, "separators": (",", ":")}
    for _, page in pages:
        cable = parse(page)
        assert flatten(cable).record == json.dumps(cable.to_dict(), **compact)
    odd_text = 'quotes " and \\ and ¶ and \u2028 ' + "".join(map(chr, range(32))) + "\x7f\U0001f600"
    odd = Cable(id="X", classified_by=None, archive=None, dtg=None, sections=3,
                paragraphs=[Paragraph(None, "", "", odd_text)])  # fmt: skip
    assert flatten(odd).record == json.dumps(odd.to_dict(), **compact)
    assert flatten(odd).record == rows_mod._RECORD_ENCODER.encode(odd)
    lone = Cable(id="Y", subject="a lone surrogate \udce9 from a bad byte")
    assert flatten(lone).record == json.dumps(lone.to_dict(), **compact)


def test_examine_and_is_binary():
    assert examine(b"") == ("empty", "empty file")
    assert examine(b"\x00\x01\x02abc")[0] == "binary"
    assert not is_binary("UTF-16 text".encode("utf-16"))
    assert not is_binary(b"Plain text\twith tabs\fand a form feed\n")
    assert examine(b'{"id": "09X1"}', "json") == Cable(id="09X1")
    rec = Cable(id="09X2", paragraphs=[Paragraph(1, "C", "", "text")]).to_dict()
    assert examine(json.dumps(rec).encode(), "json") == Cable.from_dict(rec)


# --- versions and diff ---------------------------------------------------------------------------


def test_changed_text_keeps_both_versions_and_shows_the_fuller(tmp_path, pages):
    name, page = next((n, p) for n, p in pages if b"<a id='par2'" in p)
    cable_id = cid(page)
    first = make_tar(tmp_path / "release1.tar", [(name, page)])
    later = make_tar(tmp_path / "release2.tar", [(name, grow_paragraph(page))])
    db = tmp_path / "a.db"
    with Archive(db) as arc:
        assert arc.ingest([first], workers=0).new == 1
        r = arc.ingest([later], workers=0)
        assert (r.new, r.updated) == (0, 1)
        vs = arc.versions(cable_id)
        assert [v.number for v in vs] == [1, 2]
        assert [v.source for v in vs] == [str(first), str(later)]
        assert vs[1].shown and vs[1].completeness > vs[0].completeness
        assert "LATER RELEASE ADDS THESE WORDS" in arc.get(cable_id).text()
        assert "LATER RELEASE" not in arc.version(cable_id, 1).text()
        d = arc.diff(cable_id)
        assert (d.a.number, d.b.number) == (1, 2)
        added = [x for x in d.text if x.startswith("+") and not x.startswith("+++")]
        assert any("LATER RELEASE ADDS THESE WORDS" in x for x in added)
        assert "paragraphs" not in {f.field for f in d.fields}
        assert arc.search("later release adds").total == 1
        # the same two releases in the other order give the same database content
    db2 = tmp_path / "b.db"
    with Archive(db2) as arc:
        arc.ingest([later], workers=0)
        arc.ingest([first], workers=0)
    strip = [row for row in dump(db2)]
    assert sorted(strip) == sorted(dump(db))


# --- kill -9 and resume ----------------------------------------------------------------------


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cablegram", *args], capture_output=True, cwd=ROOT,
        env={**os.environ, **(env or {})}, timeout=300,
    )  # fmt: skip


def killed_ingest(args: list[str], stall: str) -> None:
    """Run `cablegram ingest` until it reaches the stall point, then SIGKILL it and its
    worker processes. No timing: the stall is a fault-injection hook that waits forever."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "cablegram", "ingest", *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
        env={**os.environ, ingest_mod.STALL_ENV: stall}, start_new_session=True,
    )  # fmt: skip
    lines: list[bytes] = []

    def read() -> None:
        for line in proc.stderr:
            lines.append(line)
            if b"stalled" in line:
                return

    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(timeout=300)
    try:
        assert any(b"stalled" in x for x in lines), b"".join(lines).decode()
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.slow
@pytest.mark.parametrize("stall", ["1", "3", "4:committed"])
def test_kill_9_then_resume_gives_the_same_database(tmp_path, pages, stall):
    name, page = next((n, p) for n, p in pages if b"<a id='par2'" in p)
    members = [*pages[:40], ("later/" + name, grow_paragraph(page)), ("empty.html", b""),
               ("bin.dat", b"\x00" * 64)]  # fmt: skip
    tar = make_tar(tmp_path / "in.tar.gz", members, "w:gz")
    common = [str(tar), "--workers", "2", "--batch-size", "6", "--quiet"]
    ref_db, db = tmp_path / "ref.db", tmp_path / "killed.db"
    assert cli("ingest", *common, "--db", str(ref_db)).returncode == 1  # 2 bad members

    killed_ingest([*common, "--db", str(db)], stall)
    with sqlite3.connect(db) as conn:
        done = conn.execute("SELECT count(*) FROM versions").fetchone()[0]
        runs = conn.execute("SELECT finished_at FROM ingest_runs").fetchall()
    assert runs == [(None,)]  # the killed run never finished
    assert done < len(members) - 2
    if stall == "4:committed":
        assert done > 0

    resumed = cli("ingest", *common, "--db", str(db))
    assert resumed.returncode == 1, resumed.stderr
    assert dump(db) == dump(ref_db)
    fts_in_step(db)
    with Archive(db) as arc:
        assert len(arc.versions(cid(page))) == 2


# --- bounded memory --------------------------------------------------------------------------


def synthetic_jsonl(path: Path, n: int, words: int = 3000) -> Path:
    """``n`` records of ``words`` random words each (about 5 bytes a word)."""
    rnd = random.Random(n)
    vocab = [f"w{i}" for i in range(5000)]
    with open(path, "w") as fh:
        for i in range(n):
            text = " ".join(rnd.choices(vocab, k=words))
            c = Cable(id=f"10TEST{i}", subject=f"SYNTHETIC {i}",
                      paragraphs=[Paragraph(1, "U", "", text)])  # fmt: skip
            fh.write(json.dumps(c.to_dict()) + "\n")
    return path


def test_reading_stays_a_bounded_distance_ahead_of_writing(tmp_path, monkeypatch):
    src = synthetic_jsonl(tmp_path / "in.jsonl", 400, words=20)
    pulled = 0
    gaps: list[int] = []
    real = ingest_mod.iter_documents

    def counting(paths):
        nonlocal pulled
        for doc in real(paths):
            pulled += 1
            yield doc

    monkeypatch.setattr(ingest_mod, "iter_documents", counting)
    with Archive(tmp_path / "a.db") as arc:
        report = ingest_mod.ingest(
            arc.store, [src], workers=2, chunk_docs=5, on_chunk=lambda r: gaps.append(pulled - r.documents)
        )  # fmt: skip
    assert report.new == 400
    # in flight: at most max_pending (2 * workers + 1) chunks, plus the one being read
    assert max(gaps) <= (2 * 2 + 1 + 1) * 5


def test_a_transaction_spans_several_chunks(tmp_path, monkeypatch):
    """--batch-size is the transaction; documents are parsed and written in smaller
    chunks (PARSE_DOCS), so memory stays that of a chunk. Another connection sees a
    transaction's chunks only once it commits, and the last one commits at the end."""
    src = synthetic_jsonl(tmp_path / "in.jsonl", 30, words=20)
    monkeypatch.setattr(ingest_mod, "PARSE_DOCS", 4)
    db = tmp_path / "a.db"
    seen: list[tuple[int, int]] = []

    def visible(report) -> None:
        with sqlite3.connect(db) as other:
            n = other.execute("SELECT count(*) FROM versions").fetchone()[0]
        seen.append((report.documents, n))

    with Archive(db) as arc:
        report = ingest_mod.ingest(arc.store, [src], workers=0, chunk_docs=12, on_chunk=visible)
    assert report.new == 30
    assert seen == [(4, 0), (8, 0), (12, 12), (16, 12), (20, 12), (24, 24), (28, 24), (30, 24)]
    with sqlite3.connect(db) as other:
        assert other.execute("SELECT count(*) FROM versions").fetchone()[0] == 30


def test_an_error_rolls_back_the_open_transaction_and_its_counts(tmp_path, monkeypatch):
    """A write that fails takes every uncommitted chunk of its transaction with it, and
    the report stops counting them; the next run stores them, as an unbroken run does."""
    src = synthetic_jsonl(tmp_path / "in.jsonl", 30, words=20)
    monkeypatch.setattr(ingest_mod, "PARSE_DOCS", 4)
    ref, db = tmp_path / "ref.db", tmp_path / "a.db"
    with Archive(ref) as arc:
        arc.ingest([src], workers=0, chunk_size=12)
    reports = []
    with Archive(db) as arc:
        real = arc.store.write
        calls = 0

        def fire() -> None:
            raise OSError("disk on fire")

        def failing(items, *args, **kwargs):
            nonlocal calls
            calls += 1
            if calls == 5:  # the second chunk of the second transaction fails in the store
                kwargs["before_commit"] = fire
            return real(items, *args, **kwargs)

        monkeypatch.setattr(arc.store, "write", failing)
        with pytest.raises(OSError, match="disk on fire"):
            ingest_mod.ingest(arc.store, [src], workers=0, chunk_docs=12,
                              on_chunk=lambda r: reports.append((r.documents, r.new)))  # fmt: skip
        assert reports == [(4, 4), (8, 8), (12, 12), (16, 16)]
        run = arc.store.runs()[-1]
        assert (run.status, run.new) == ("interrupted", 12)  # chunk 4 was rolled back
        assert arc.store.count() == 12
        monkeypatch.undo()
        again = arc.ingest([src], workers=0, chunk_size=12)
        assert (again.new, again.unchanged) == (18, 12)
    assert dump(db) == dump(ref)


@pytest.mark.slow
def test_peak_memory_does_not_grow_with_the_collection(tmp_path):
    def peak(n: int) -> int:
        src = synthetic_jsonl(tmp_path / f"in{n}.jsonl", n, words=2000)
        with Archive(tmp_path / f"{n}.db") as arc:
            tracemalloc.start()
            try:
                arc.ingest([src], workers=0, chunk_size=16)
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

    small, big = peak(30), peak(300)  # about 0.5 MB and 5 MB of input
    assert big < small * 1.3 + (1 << 20), (small, big)


def test_progress_bar_is_quiet_without_a_terminal(tmp_path, small_tar, capsys):
    with Archive(tmp_path / "a.db") as arc:
        arc.ingest([small_tar], workers=0, progress=True)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_progress_bar_on_a_terminal(tmp_path, small_tar, monkeypatch):
    from rich.console import Console

    buf = io.StringIO()
    real = Console

    def fake_console(*a, **k):
        return real(file=buf, force_terminal=True, width=120)

    monkeypatch.setattr("rich.console.Console", fake_console)
    with Archive(tmp_path / "a.db") as arc:
        report = arc.ingest([small_tar], workers=0, progress=True, chunk_size=10)
    out = buf.getvalue()
    assert "ingest" in out and f"{report.documents:,} docs" in out and "100%" in out
