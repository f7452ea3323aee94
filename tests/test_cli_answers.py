"""The command line's answers in a new user's first hour (issue 17): what a cable that is
not there, a file that is no cable, an output file that exists or cannot be written, a
first ingest and a fixed file get as an answer."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from click.testing import CliRunner

from cablegram.archive import Archive
from cablegram.cli import main
from conftest import BAKU_MD, ROOT


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str, code: int | None = 0):
        result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
        if code is not None:
            assert result.exit_code == code, result.output
        return result

    return invoke


def _renumbered(serial: int) -> str:
    return (
        BAKU_MD.read_text(encoding="utf-8")
        .replace("BAKU 000433", f"BAKU {serial:06d}")
        .replace("#0433/01", f"#{serial:04d}/01")
    )


def test_graph_cited_by_a_cable_not_there(run, full_db):
    r = run("graph", "cited-by", "NOPE999", "--db", full_db, code=1)
    assert "NOPE999 is not in the archive" in r.output
    assert "Traceback" not in r.output


def test_graph_cited_by_a_cable_nobody_cites(run, full_db):
    with Archive(full_db, create=False) as arc:
        cited = {c for c, _, _ in arc_most_cited(arc)}
        lonely = next(h.id for h in arc.search("tag:PGOV", per_page=50).hits if h.id not in cited)
    r = run("graph", "cited-by", lonely, "--db", full_db)
    assert f"No cable in the archive cites {lonely}." in r.output


def arc_most_cited(arc):
    from cablegram import graph

    return graph.most_cited(arc, 100_000)


def test_graph_lists_have_a_header_row(run, full_db):
    for what, header in (("most-cited", "id\tcited_by\tin_archive"),
                         ("missing", "id\tcited_by\tfirst_cited\tciting")):  # fmt: skip
        lines = run("graph", what, "--db", full_db, "-n", "3").output.splitlines()
        assert lines[0] == header, (what, lines[:2])
        assert len(lines) == 4 and all(len(x.split("\t")) == header.count("\t") + 1 for x in lines)


def test_parse_says_what_is_not_a_cable(run, tmp_path):
    text = tmp_path / "passwd"
    text.write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/bin/false\n")
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 8)
    r = run("parse", text, binary, BAKU_MD, code=1)
    assert f"not a cable {text}: no reference id" in r.output
    assert f"not a cable {binary}: binary file" in r.output
    assert "09BAKU433" in r.output  # the cable among them is still parsed
    assert run("parse", BAKU_MD).exit_code == 0


def test_export_errors_in_one_line_and_no_overwrite(run, full_db, tmp_path):
    missing = tmp_path / "no" / "such" / "x.csv"
    r = run("export", "--db", full_db, "--format", "csv", "-o", missing, code=1)
    assert r.output.strip() == f"Error: cannot write {missing}: there is no folder {missing.parent}"
    out = tmp_path / "x.csv"
    out.write_text("keep me")
    r = run("export", "--db", full_db, "--format", "csv", "-q", "origin:BAKU", "-o", out, code=1)
    assert "exists; add --force" in r.output and out.read_text() == "keep me"
    r = run("export", "--db", full_db, "--format", "csv", "-q", "origin:BAKU", "-o", out, "--force")
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows and any(row["id"] == "09BAKU433" for row in rows)
    n = len(rows)
    assert f"exported {n:,} {'cable' if n == 1 else 'cables'} to" in r.output


def test_declass_due_alone_means_today(run, full_db):
    r = run("declass", "--due", "--no-list", "--db", full_db)
    assert r.output.startswith(f"due by {date.today().isoformat()}:")
    r = run("declass", "--due", "--json", "--db", full_db)
    assert f'"due": "{date.today().isoformat()}"' in r.output


def test_unclassified_cables_are_never_due(full_db):
    from cablegram.access.rules import Reader

    with Archive(full_db, create=False) as arc:
        rep = arc.as_reader(Reader.unrestricted("t", "t")).declassification(date(2100, 1, 1))
        n_unclassified = sum(n for c, n in arc.stats()["classifications"].items()
                             if c.upper().startswith("UNCLASSIFIED"))  # fmt: skip
    assert rep.due_cables and rep.unclassified == n_unclassified > 0
    assert not [c for c in rep.due_cables if c.classification.upper().startswith("UNCLASSIFIED")]


def test_plurals(run, tmp_path):
    db = tmp_path / "one.db"
    r = run("ingest", BAKU_MD, "--db", db, "-q")
    assert "1 document in" in r.output and "1 new" in r.output
    assert run("search", "origin:BAKU", "--db", db).output.startswith("1 cable matches")
    line = run("stats", "--db", db).output.splitlines()[0]
    assert line.startswith("1 cable, 1 version,") and "1 ingest run" in line


def test_first_ingest_never_reports_updated(run, tmp_path):
    """Two renderings of one cable in the first run: both are new to this archive."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.md").write_text(_renumbered(501), encoding="utf-8")
    (folder / "b.md").write_text(_renumbered(501).replace("His talking points", "His points"))
    r = run("ingest", folder, "--db", tmp_path / "first.db", "-q", "--workers", "0")
    assert "2 new, 0 updated" in r.output
    # A later run that brings a third version does update the cable.
    (folder / "c.md").write_text(_renumbered(501).replace("His talking points", "Talking points"))
    r = run("ingest", folder, "--db", tmp_path / "first.db", "-q", "--workers", "0")
    assert "0 new, 1 updated, 2 unchanged" in r.output


def test_an_error_a_later_run_fixed_is_resolved(run, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    bad = folder / "cable.txt"
    bad.write_text("this is not a cable\n")
    (folder / "other.md").write_text(_renumbered(502), encoding="utf-8")
    db = tmp_path / "e.db"
    run("ingest", folder, "--db", db, "-q", code=1)
    assert run("errors", "--db", db).output.splitlines()[1].endswith("\topen")
    bad.write_text(_renumbered(503), encoding="utf-8")  # the file, corrected
    run("ingest", folder, "--db", db, "-q")
    lines = run("errors", "--db", db).output.splitlines()
    assert lines[0] == "source\tmember\tcode\treason\tstatus"
    assert len(lines) == 2 and lines[1].startswith(str(bad)) and lines[1].endswith("\tresolved")
    assert "(1 of the errors resolved by a later run)" in run("stats", "--db", db).output
    with Archive(db, create=False) as arc:
        assert [e.resolved for e in arc.errors()] == [True]


# --- make demo ---------------------------------------------------------------------------


def test_demo_hints_run_as_printed_and_fit_80_columns(tmp_path, monkeypatch):
    import shlex
    import subprocess

    from cablegram.demo import cli_command, hints

    monkeypatch.chdir(ROOT)
    cli = cli_command()
    assert cli.startswith(".venv/bin/cablegram") or cli.endswith("-m cablegram"), cli
    lines = hints("cablegram.db", cli)
    assert all(len("  " + line) <= 80 and line.startswith(cli) for line in lines), lines
    # Run one as printed (on an archive of one cable), from the same folder.
    db = tmp_path / "d.db"
    run = CliRunner().invoke(main, ["ingest", str(BAKU_MD), "--db", str(db), "-q"])
    assert run.exit_code == 0, run.output
    stats = next(x for x in hints(str(db), cli) if " stats " in x)
    out = subprocess.run(shlex.split(stats), capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.startswith("1 cable,"), out.stderr


def test_demo_port_in_use_is_one_line_before_anything_is_served(tmp_path):
    import socket
    import subprocess
    import sys

    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen()
    port = held.getsockname()[1]
    try:
        out = subprocess.run(
            [sys.executable, "-m", "cablegram.demo", "--db", str(tmp_path / "demo.db"),
             "--port", str(port)],
            capture_output=True, text=True, timeout=120, cwd=ROOT,
        )  # fmt: skip
    finally:
        held.close()
    assert out.returncode == 1
    assert out.stderr.strip() == (
        f"Error: port {port} on 127.0.0.1 is in use: set another with "
        f"`make demo PORT={port + 1}` (or HOST=)"
    )
    assert "serving" not in out.stdout + out.stderr and not (tmp_path / "demo.db").exists()
