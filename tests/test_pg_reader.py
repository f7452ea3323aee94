"""The reader view (``Archive.as_reader``) on both backends: every read method, for
several clearances, gives the same answer on SQLite and on PostgreSQL; so does the served
HTTP API under the default anonymous policy. The archives are those of test_postgres
(real cablegate pages, the samples, hand-made cables with portion markings and caveats).
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

import pg
import test_postgres as tp
from cablegram.access.rules import Reader, clearance_level
from cablegram.api import create_app
from test_postgres import QUERIES, _id

# The archives of test_postgres (built again for this module).
pg_server = pg.pg_server
inputs, sqlite_arc, pg_arc = tp.inputs, tp.sqlite_arc, tp.pg_arc

READERS = {
    "admin": Reader.unrestricted(),
    "anonymous-U": Reader.anonymous("U"),
    "C": Reader("c", "user", clearance_level("C")),
    "S-NF": Reader("s", "user", clearance_level("S"), frozenset({"NOFORN"})),
    "TS-NF-OC": Reader("ts", "user", clearance_level("TS"), frozenset({"NOFORN", "ORCON"})),
}
# Some restricted readers see fewer cables than there are: a real test of the rules.
HIDDEN = {"anonymous-U", "C"}


@pytest.fixture(params=list(READERS))
def readers(request, sqlite_arc, pg_arc):
    """(name, SQLite reader view, PostgreSQL reader view, their audit logs)."""
    logs: tuple[list, list] = ([], [])
    reader = READERS[request.param]
    a = sqlite_arc.as_reader(reader, audit=lambda *e: logs[0].append(e))
    b = pg_arc.as_reader(reader, audit=lambda *e: logs[1].append(e))
    return request.param, a, b, logs


def _all_ids(arc) -> list[str]:
    return sorted(c.id for c in arc)


def _versions(view, cid: str) -> list:
    # (when each version was ingested differs between the two archives)
    return [replace(v, ingested_at="") for v in view.versions(cid)]


def _search(view, q: str, **kw) -> tuple:
    res = view.search(q, per_page=100, **kw)
    return (
        res.total,
        [(h.id, h.subject, h.date, h.classification, h.snippets) for h in res.hits],
        res.facets,
        res.facet_labels,
    )


def test_counts_stats_and_listing(readers, sqlite_arc):
    name, a, b, logs = readers
    assert a.stats() == b.stats()
    assert len(a) == len(b)
    if name in HIDDEN:
        assert len(a) < len(sqlite_arc)
    assert [c.to_dict() for c in a] == [c.to_dict() for c in b]
    assert a.visible_ids_all() == b.visible_ids_all()
    assert logs[0] == logs[1] and logs[0]


def test_get_versions_diff(readers, sqlite_arc):
    name, a, b, logs = readers
    for cid in _all_ids(sqlite_arc):
        ca, cb = a.get(cid), b.get(cid)
        assert (ca and ca.to_dict()) == (cb and cb.to_dict()), cid
        assert (cid in a) == (cid in b) == (ca is not None)
        assert _versions(a, cid) == _versions(b, cid), cid
        va, vb = a.version(cid, 1), b.version(cid, 1)
        assert (va and va.to_dict()) == (vb and vb.to_dict()), cid
        if ca is None:
            with pytest.raises(LookupError):
                b.diff(cid)
            continue
        da, db = a.diff(cid), b.diff(cid)
        assert (str(da), da.fields, da.text) == (str(db), db.fields, db.text), cid
        assert a.references_of(cid) == b.references_of(cid), cid
        assert a.cited_by(cid) == b.cited_by(cid), cid
    assert a.get("99NOWHERE1") is b.get("99NOWHERE1") is None
    assert logs[0] == logs[1]


def test_present_and_citations(readers, sqlite_arc):
    _, a, b, _ = readers
    ids = [*_all_ids(sqlite_arc), "99NOWHERE1", _id("08BAKU123")]
    assert a.present(ids) == b.present(ids)
    assert a.cited_by(_id("08BAKU123")) == b.cited_by(_id("08BAKU123"))


def test_search(readers):
    _, a, b, logs = readers
    for q in QUERIES:
        assert _search(a, q) == _search(b, q), q
        assert list(a.search_ids(q)) == list(b.search_ids(q)), q
    for sort in ("date", "date-asc"):
        assert _search(a, "government OR embassy", sort=sort) == _search(
            b, "government OR embassy", sort=sort
        )
    assert logs[0] == logs[1]


def test_export(readers, tmp_path):
    name, a, b, _ = readers
    for fmt in ("jsonl", "csv"):
        for q in (None, "gas OR pipeline"):
            pa, pb = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
            na, nb = a.export(fmt, pa, q), b.export(fmt, pb, q)
            assert na == nb and pa.read_bytes() == pb.read_bytes(), (fmt, q)
    if name in HIDDEN:  # withheld text is not exported
        assert "Secret naval base" not in (tmp_path / "a.jsonl").read_text()


def test_declassification(readers):
    _, a, b, _ = readers
    for due in (None, "2000-01-01", "2030-01-01"):
        assert a.declassification(due).to_dict() == b.declassification(due).to_dict()


def test_entities(readers):
    # Not enriched on either backend (entities are SQLite-only so far: docs/scaling.md).
    _, a, b, _ = readers
    assert a.has_entities() is b.has_entities() is False
    with pytest.raises(NotImplementedError):
        b.entities()


def test_errors_and_runs_are_for_administrators(readers):
    name, a, b, _ = readers
    if name == "admin":
        assert a.errors() == b.errors() == []
        assert [r.status for r in a.runs()] == [r.status for r in b.runs()]
    else:
        for view in (a, b):
            with pytest.raises(PermissionError):
                view.errors()


# ------------------------------------------------------------------ the served HTTP API


def _timeless(body):
    # (when each version was ingested differs between the two archives)
    if isinstance(body, dict):
        return {k: _timeless(v) for k, v in body.items() if k != "ingested_at"}
    if isinstance(body, list):
        return [_timeless(v) for v in body]
    return body


def _get_all(client: TestClient, paths: list[str]) -> list:
    out = []
    for path in paths:
        r = client.get(path)
        kind = r.headers.get("content-type", "").split(";")[0]
        body = r.json() if kind in ("application/json", "application/problem+json") else r.text
        out.append((path, r.status_code, _timeless(body)))
    return out


def test_http_api_anonymous(sqlite_arc, pg_arc, tmp_path):
    """The default anonymous policy (U) on both backends, over every reading route."""
    ids = _all_ids(sqlite_arc)
    paths = ["/api/stats", "/api/declass?due=2030-01-01", "/api/export?q=gas&format=jsonl",
             "/api/export?format=csv"]  # fmt: skip
    for q in QUERIES[:20]:
        paths.append(f"/api/search?q={q}&per_page=50")
    for cid in ids[:40] + [_id("09BAKU433"), _id("09STATE5"), _id("09STATE6")]:
        paths += [f"/api/cables/{cid}", f"/api/cables/{cid}/text",
                  f"/api/cables/{cid}/versions", f"/api/cables/{cid}/versions/1",
                  f"/api/cables/{cid}/references", f"/api/cables/{cid}/cited-by"]  # fmt: skip
    paths.append("/api/cables/09BAKU433/diff")
    got = []
    for i, arc in enumerate((sqlite_arc, pg_arc)):
        app = create_app(arc.path, access=tmp_path / f"access{i}.db", web=False)
        with TestClient(app) as client:
            got.append(_get_all(client, paths))
    for x, y in zip(*got, strict=True):
        assert x == y, x[0]
    codes = {code for _, code, _ in got[0]}
    assert 200 in codes and 404 in codes  # some cables exist only above U
    stats = next(body for p, _, body in got[0] if p == "/api/stats")
    assert stats["cables"] < len(sqlite_arc)
    assert json.dumps(got[1]).count("Secret naval base") == 0
