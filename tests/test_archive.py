"""The Archive API over every shipped sample: get, versions, diff, stats, search, export."""

from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq
import pytest

from cablegram.archive import Archive, render_text
from cablegram.model import Cable
from conftest import N_DEV_PAGES


def test_every_sample_is_stored(full_archive):
    st = full_archive.stats()
    # the cablegate pages, 09BAKU433.md and the 2 csv rows; three ids come twice
    assert st["versions"] == N_DEV_PAGES + 1 + 2
    assert st["errors"] == 0
    assert st["cables"] == len(full_archive) == st["versions"] - 3
    assert sum(st["years"].values()) == st["cables"]
    assert sum(st["origins"].values()) == st["cables"]
    assert sum(st["classifications"].values()) == st["cables"]
    assert set(st["classifications"]) >= {"UNCLASSIFIED", "CONFIDENTIAL", "SECRET"}
    assert st["caveats"].get("NOFORN", 0) > 0
    assert 0 < len(st["tags"]) <= 25 and "PREL" in st["tags"]
    assert st["portions"] > st["cables"]
    (run,) = full_archive.runs()
    assert run.status == "done" and run.new + run.updated == st["versions"]


def test_get(full_archive):
    c = full_archive.get("09BAKU433")
    assert isinstance(c, Cable)
    assert c.subject.startswith("AZERBAIJANI DEFENSE MINISTER")
    assert full_archive.get(" 09baku433 ") == c
    assert "09BAKU433" in full_archive
    assert full_archive.get("99NOWHERE1") is None and "99NOWHERE1" not in full_archive


def test_versions_and_diff_of_a_cable_released_twice(full_archive):
    # cablegate has 08SAOPAULO335 twice: under its own name and a malformed one
    vs = full_archive.versions("08SAOPAULO335")
    assert len(vs) == 2
    shown = [v for v in vs if v.shown]
    assert len(shown) == 1 and shown[0].completeness == max(v.completeness for v in vs)
    assert full_archive.get("08SAOPAULO335") == full_archive.version(
        "08SAOPAULO335", shown[0].number
    )
    d = full_archive.diff("08SAOPAULO335")
    assert d.b.shown and d.a.number != d.b.number and d.changed
    assert d.text[0].startswith("---") and d.text[1].startswith("+++")
    assert str(d).startswith("08SAOPAULO335: version")
    same = full_archive.diff("08SAOPAULO335", 1, 1)
    assert not same.changed
    with pytest.raises(LookupError):
        full_archive.diff("99NOWHERE1")
    with pytest.raises(LookupError):
        full_archive.diff("08SAOPAULO335", 7)


def test_a_csv_row_and_a_page_of_the_same_cable(full_archive):
    vs = full_archive.versions("72TEHRAN1164")
    assert sorted(v.member.split("/")[0] for v in vs) == ["cable", "row 2"]
    # equally complete: the smaller content hash is shown, whatever came first
    a, b = vs
    if a.completeness == b.completeness:
        assert min(vs, key=lambda v: v.content_hash).shown


def test_render_text(full_archive):
    text = render_text(full_archive.get("09BAKU433"))
    assert "ID: 09BAKU433" in text and "TO: RUEHC SECSTATE WASHDC IMMEDIATE 1280" in text
    assert "\n1. (C) SUMMARY:" in text and text.endswith("SIGNED: DERSE\n")


def test_search_and_search_ids(full_archive):
    res = full_archive.search("nagorno karabakh", per_page=5)
    assert res.total >= 1 and res.hits
    assert any(s.highlights for h in res.hits for s in h.snippets)
    ids = list(full_archive.search_ids("tag:PREL"))
    assert len(ids) == len(set(ids)) == full_archive.search("tag:PREL", facets=False).total
    assert len(ids) > 100  # more than one page of the engine: no cap


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_everything(full_archive, tmp_path, fmt):
    out = tmp_path / f"all.{fmt}"
    n = full_archive.export(fmt, out, batch_size=300)
    assert n == len(full_archive)
    if fmt == "jsonl":
        lines = out.read_text(encoding="utf-8").splitlines()
        assert len(lines) == n
        first = Cable.from_dict(json.loads(lines[0]))
        assert full_archive.get(first.id) == first
    elif fmt == "csv":
        with open(out, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == n
        baku = next(r for r in rows if r["id"] == "09BAKU433")
        assert baku["origin_name"] == "Embassy Baku" and "PGOV" in baku["tags"].split("|")
    else:
        table = pq.read_table(out)
        assert table.num_rows == n
        assert {"id", "tags", "paragraphs", "text"} <= set(table.column_names)
        row = next(r for r in table.to_pylist() if r["id"] == "09BAKU433")
        assert row["paragraphs"][0]["number"] == 1 and row["paragraphs"][0]["marking"] == "C"


def test_export_a_query_to_an_open_file(full_archive):
    buf = io.StringIO()
    n = full_archive.export("jsonl", buf, query="origin:BAKU")
    ids = [json.loads(x)["id"] for x in buf.getvalue().splitlines()]
    assert n == len(ids) == full_archive.search("origin:BAKU").total > 0
    assert "09BAKU433" in ids
    with pytest.raises(ValueError):
        full_archive.export("xml", io.StringIO())


def test_empty_export_and_missing_database(tmp_path):
    with Archive(tmp_path / "empty.db") as arc:
        assert arc.export("parquet", tmp_path / "e.parquet") == 0
        assert len(arc) == 0 and list(arc) == []
        assert arc.stats()["cables"] == 0
    assert pq.read_table(tmp_path / "e.parquet").num_rows == 0
    with pytest.raises(FileNotFoundError):
        Archive(tmp_path / "nope.db", create=False)


def test_citations(full_archive):
    citing = full_archive.cited_by("09QUITO103")
    assert len(citing) >= 2 and "09QUITO103" not in citing
    dates = [full_archive.get(x).dtg or "" for x in citing]
    assert dates == sorted(dates, reverse=True)  # newest first
    refs = full_archive.references_of(citing[0])
    assert ("09QUITO103", True) in {(r.id, ok) for r, ok in refs}
    assert all(not ok for r, ok in refs if not r.id)
    assert full_archive.present(["09BAKU433", "09baku433", "99NOWHERE1", ""]) == {"09BAKU433"}
    with pytest.raises(LookupError):
        full_archive.references_of("99NOWHERE1")
    assert full_archive.cited_by("99NOWHERE1") == []
