"""The command line: a thin skin over Archive."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from cablegram.cli import main
from conftest import BAKU_MD, ROOT, make_tar


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str, code: int | None = 0):
        result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
        if code is not None:
            assert result.exit_code == code, result.output
        return result

    return invoke


def test_help_lists_the_commands(run):
    out = run("--help").output
    for cmd in ("ingest", "search", "show", "stats", "export", "diff", "errors", "versions"):
        assert cmd in out


def test_python_dash_m():
    out = subprocess.run([sys.executable, "-m", "cablegram", "--version"], capture_output=True,
                         text=True, cwd=ROOT, check=True)  # fmt: skip
    assert out.stdout.startswith("cablegram, version")


def test_ingest_report_and_exit_status(run, tmp_path, pages):
    tar = make_tar(tmp_path / "in.tar", pages[:12])
    db = tmp_path / "a.db"
    out = run("ingest", tar, BAKU_MD, "--db", db, "--workers", "2", "--batch-size", "4").output
    assert "13 documents" in out and "13 new" in out and "0 failed" in out
    again = json.loads(run("ingest", tar, BAKU_MD, "--db", db, "--json", "-j", "0").output)
    assert (again["new"], again["unchanged"], again["failed"]) == (0, 13, 0)
    (tmp_path / "empty.html").write_bytes(b"")
    bad = run("ingest", tmp_path / "empty.html", "--db", db, code=1)
    assert "1 failed" in bad.output and "empty.html: empty file" in bad.output
    errs = run("errors", "--db", db).output
    assert "empty.html" in errs and "empty file" in errs
    assert json.loads(run("errors", "--db", db, "--json").output)[0]["code"] == "empty"


def test_read_commands_need_a_database(run, tmp_path):
    out = run("stats", "--db", tmp_path / "nope.db", code=1).output
    assert "no database" in out
    assert not (tmp_path / "nope.db").exists()


def test_search(run, full_db):
    out = run("search", "nagorno", "karabakh", "--db", full_db, "-n", "3").output
    assert "cables match" in out and "09BAKU433" in out
    data = json.loads(run("search", "tag:PGOV", "--db", full_db, "--json").output)
    assert data["total"] > 0 and data["hits"] and "facets" in data
    bad = run("search", 'tag:PGOV "unclosed', "--db", full_db, code=None)
    assert bad.exit_code in (0, 1)  # the engine may forgive it; it must never crash


def test_show_decodes_the_header(run, full_db):
    out = run("show", "09BAKU433", "--db", full_db).output
    for text in ("IMMEDIATE", "Embassy Baku", "Secretary of State", "RUEHC", "Internal Governmental Affairs",
                 "Azerbaijan", "foreign government information", "Anne E. Derse", "¶1.", "(C)",
                 "SEEKING NATO STANDARDS", "DERSE"):  # fmt: skip
        assert text in out, text
    record = json.loads(run("show", "09baku433", "--db", full_db, "--json").output)
    assert record["id"] == "09BAKU433"
    assert "no cable" in run("show", "99NOWHERE1", "--db", full_db, code=1).output


def test_versions_and_diff(run, full_db):
    out = run("versions", "08SAOPAULO335", "--db", full_db).output
    assert "*" in out and "cablegate-dev.tar.xz" in out
    diff = run("diff", "08SAOPAULO335", "--db", full_db).output
    assert "version 1" in diff and "version 2" in diff and "@@" in diff
    data = json.loads(run("diff", "08SAOPAULO335", "--from", "2", "--to", "1", "--db", full_db,
                          "--json").output)  # fmt: skip
    assert (data["a"]["number"], data["b"]["number"]) == (2, 1)
    assert "only one version" in run("diff", "09BAKU433", "--db", full_db).output
    assert "no version" in run("diff", "08SAOPAULO335", "--to", "9", "--db", full_db, code=1).output


def test_stats(run, full_db):
    out = run("stats", "--db", full_db).output
    assert "cables" in out and "2009" in out and "CONFIDENTIAL" in out
    data = json.loads(run("stats", "--db", full_db, "--json").output)
    assert data["cables"] > 2600


def test_export(run, full_db, tmp_path):
    out = tmp_path / "baku.jsonl"
    run("export", "--db", full_db, "--format", "jsonl", "--query", "origin:BAKU", "-o", out)
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert "09BAKU433" in ids
    csv_out = run("export", "--db", full_db, "--format", "csv", "-q", "id:09BAKU433").output
    assert csv_out.splitlines()[0].startswith("id,date,dtg")
    assert "09BAKU433" in csv_out
    run("export", "--db", full_db, "--format", "parquet", "-o", tmp_path / "all.parquet")
    assert (tmp_path / "all.parquet").stat().st_size > 0
