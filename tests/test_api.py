"""The HTTP API over every shipped sample (FastAPI TestClient), and a Schemathesis run
against its OpenAPI schema."""

from __future__ import annotations

import csv
import io
import json

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import web_fixtures
from cablegram.api.routes import router
from cablegram.archive import Archive, render_text
from cablegram.model import Cable

# Fixtures shared with the other web test modules.
api_client = web_fixtures.api_client
web_db = web_fixtures.web_db

PROBLEM = "application/problem+json"
TWO_VERSIONS = "09TRIPOLI583"  # in the cablegate sample and in the csv sample
CITED, CITING = "04THEHAGUE3156", "05THEHAGUE484"


def problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status
    assert body["type"] and body["title"] and body["detail"]
    return body


# --------------------------------------------------------------------------- search


def test_search_hits_snippets_and_facets(api_client, full_archive):
    r = api_client.get("/api/search", params={"q": "nagorno karabakh", "per_page": 5})
    assert r.status_code == 200
    body = r.json()
    expect = full_archive.search("nagorno karabakh", per_page=5)
    assert body["total"] == expect.total > 0
    assert [h["id"] for h in body["hits"]] == [h.id for h in expect.hits]
    hit = body["hits"][0]
    assert hit["url"] == f"/api/cables/{hit['id']}"
    snip = hit["snippets"][0]
    start, end = snip["highlights"][0]
    assert snip["text"][start:end].lower() in ("nagorno", "karabakh")
    assert "<mark>" in snip["html"]
    facets = body["facets"]
    assert set(facets) == {"origin", "year", "month", "classification", "caveat", "tag", "signer"}
    tag = facets["tag"][0]
    assert tag["filter"] == f"tag:{tag['value']}" and tag["count"] > 0 and tag["label"]
    assert sum(x["count"] for x in facets["year"]) == body["total"]
    years = [x["value"] for x in facets["year"]]
    assert years == sorted(years)
    for x in facets["classification"]:
        assert x["filter"] in ("class:U", "class:C", "class:S")


def test_search_facet_filters_select_their_count(api_client):
    body = api_client.get("/api/search", params={"q": "iran", "per_page": 1}).json()
    for name in ("origin", "tag", "classification", "year", "month", "caveat"):
        value = body["facets"][name][0]
        q = f"iran {value['filter']}"
        sub = api_client.get("/api/search", params={"q": q, "facets": "false"}).json()
        assert sub["total"] == value["count"], (name, value)


def test_search_pagination_and_sort(api_client):
    q = {"q": "tag:PGOV", "per_page": 7}
    p1 = api_client.get("/api/search", params=q).json()
    p2 = api_client.get("/api/search", params={**q, "page": 2}).json()
    assert p1["pages"] == -(-p1["total"] // 7) and p1["page"] == 1 and p2["page"] == 2
    assert not {h["id"] for h in p1["hits"]} & {h["id"] for h in p2["hits"]}
    newest = api_client.get("/api/search", params={**q, "sort": "date"}).json()["hits"]
    oldest = api_client.get("/api/search", params={**q, "sort": "date-asc"}).json()["hits"]
    dates = [h["date"] for h in newest]
    assert dates == sorted(dates, reverse=True)
    assert [h["date"] for h in oldest] == sorted(h["date"] for h in oldest)
    assert oldest[0]["date"] < newest[0]["date"]
    beyond = api_client.get("/api/search", params={**q, "page": p1["pages"] + 1}).json()
    assert beyond["hits"] == [] and beyond["total"] == p1["total"]


def test_search_without_facets(api_client):
    body = api_client.get("/api/search", params={"q": "iran", "facets": "false"}).json()
    assert body["total"] > 0 and all(v == [] for v in body["facets"].values())


@pytest.mark.parametrize(
    "q, position",
    [("tag:", 4), ("(iran", 0), ("iran AND", 5), ("class:Z", 6), ("date:2009-13", 10), ("   ", 0)],
)
def test_bad_query_is_a_400_with_a_pointer(api_client, q, position):
    body = problem(api_client.get("/api/search", params={"q": q}), 400)
    assert body["type"] == "/api/problems/bad-query"
    assert body["position"] == position
    line, caret = body["pointer"].split("\n")
    assert caret.index("^") == position and body["detail"] in caret
    assert body["instance"] == "/api/search"


@pytest.mark.parametrize(
    "params, name",
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "x" * 1001}, "q"),
        ({"q": "iran", "page": 0}, "page"),
        ({"q": "iran", "page": "two"}, "page"),
        ({"q": "iran", "page": 1001}, "page"),
        ({"q": "iran", "per_page": 101}, "per_page"),
        ({"q": "iran", "per_page": 0}, "per_page"),
        ({"q": "iran", "sort": "random"}, "sort"),
        ({"q": "iran", "facets": "maybe"}, "facets"),
    ],
)
def test_bad_parameters_are_a_422(api_client, params, name):
    body = problem(api_client.get("/api/search", params=params), 422)
    assert body["type"] == "/api/problems/bad-parameters"
    assert [e["name"] for e in body["errors"]] == [f"query.{name}"]
    assert body["detail"].startswith(f"{name}: ")


def test_odd_but_valid_input_is_never_a_server_error(api_client):
    for q in [
        "\x00",
        "a\tb\nc",
        "💣 tag:💣",
        '"unclosed',
        "-",
        "NOT NOT NOT x",
        "((((((((x))))))))",
        'origin:"Embassy Baku"',
        "id:09BAKU433*",
        "ref:X",
        "a" * 1000,
        "*",
        "x OR",
    ]:
        r = api_client.get("/api/search", params={"q": q})
        assert r.status_code in (200, 400), (q, r.text)
        r.json()


# ---------------------------------------------------------------------------- cables


def test_cable_record(api_client, full_archive):
    r = api_client.get("/api/cables/09BAKU433")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.json() == full_archive.get("09BAKU433").to_dict()
    assert Cable.from_dict(r.json()).to_dict() == r.json()
    assert api_client.get("/api/cables/09baku433").json()["id"] == "09BAKU433"


def test_unknown_cable_is_a_404(api_client):
    for path in ("", "/text", "/versions", "/versions/1", "/diff", "/references", "/cited-by"):
        body = problem(api_client.get(f"/api/cables/99NOWHERE1{path}"), 404)
        assert "99NOWHERE1" in body["detail"] and body["type"] == "/api/problems/not-found"
    problem(api_client.get("/api/cables/" + "X" * 65), 422)
    problem(api_client.get("/api/no-such-endpoint"), 404)
    problem(api_client.post("/api/search", params={"q": "x"}), 405)


def test_cable_text(api_client, full_archive):
    r = api_client.get("/api/cables/09BAKU433/text")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert r.text == render_text(full_archive.get("09BAKU433"))


def test_versions_and_one_version(api_client, full_archive):
    vs = api_client.get(f"/api/cables/{TWO_VERSIONS}/versions").json()
    assert [v["number"] for v in vs] == [1, 2] and sum(v["shown"] for v in vs) == 1
    for v in vs:
        rec = api_client.get(f"/api/cables/{TWO_VERSIONS}/versions/{v['number']}").json()
        assert rec == full_archive.version(TWO_VERSIONS, v["number"]).to_dict()
        by_hash = api_client.get(f"/api/cables/{TWO_VERSIONS}/versions/{v['content_hash'][:10]}")
        assert by_hash.json() == rec
    body = problem(api_client.get(f"/api/cables/{TWO_VERSIONS}/versions/3"), 404)
    assert "no version" in body["detail"]
    assert len(api_client.get("/api/cables/09BAKU433/versions").json()) == 1


def test_diff(api_client, full_archive):
    d = api_client.get(f"/api/cables/{TWO_VERSIONS}/diff").json()
    expect = full_archive.diff(TWO_VERSIONS)
    assert d["changed"] is True and d["cable_id"] == TWO_VERSIONS
    assert (d["a"]["number"], d["b"]["number"]) == (expect.a.number, expect.b.number)
    assert [f["field"] for f in d["fields"]] == [f.field for f in expect.fields]
    assert d["text"] == "".join(expect.text)
    rev = api_client.get(f"/api/cables/{TWO_VERSIONS}/diff", params={"a": 2, "b": 1}).json()
    assert (rev["a"]["number"], rev["b"]["number"]) == (2, 1)
    same = api_client.get("/api/cables/09BAKU433/diff").json()
    assert same["changed"] is False and same["text"] == "" and same["fields"] == []
    problem(api_client.get(f"/api/cables/{TWO_VERSIONS}/diff", params={"a": 9}), 404)
    problem(api_client.get(f"/api/cables/{TWO_VERSIONS}/diff", params={"a": ""}), 422)


def test_references_and_cited_by(api_client):
    refs = api_client.get(f"/api/cables/{CITING}/references").json()
    assert refs["cable_id"] == CITING
    by_id = {r["id"]: r for r in refs["references"]}
    assert by_id[CITED]["in_archive"] is True and by_id[CITED]["url"] == f"/api/cables/{CITED}"
    missing = [r for r in refs["references"] if not r["in_archive"]]
    assert missing and all(r["url"] is None for r in missing)
    cited = api_client.get(f"/api/cables/{CITED}/cited-by").json()
    assert cited["total"] >= 1 and CITING in [c["id"] for c in cited["cited_by"]]
    item = next(c for c in cited["cited_by"] if c["id"] == CITING)
    assert item["subject"] and item["date"] and item["url"] == f"/api/cables/{CITING}"
    seed = api_client.get("/api/cables/09BAKU433/references").json()
    assert seed["references"] == [] and seed["septels"]


def test_archive_citation_methods(full_archive: Archive):
    assert CITING in full_archive.cited_by(CITED)
    assert full_archive.cited_by("03THEHAGUE2597") == []  # cites only itself
    assert full_archive.cited_by('bad"id') == []
    pairs = full_archive.references_of(CITING)
    assert (CITED, True) in [(r.id, ok) for r, ok in pairs]
    assert full_archive.present(["09baku433", "99NOWHERE1", ""]) == {"09BAKU433"}
    with pytest.raises(LookupError):
        full_archive.references_of("99NOWHERE1")


# ----------------------------------------------------------------------- stats, export


def test_stats(api_client, full_archive):
    body = api_client.get("/api/stats").json()
    st = full_archive.stats()
    for key in ("cables", "versions", "portions", "errors", "runs"):
        assert body[key] == st[key]
    assert sum(y["count"] for y in body["years"]) == st["cables"]
    assert {o["name"]: o["count"] for o in body["origins"]} == st["origins"]
    assert body["tags"][0]["code"] == "PREL" and body["tags"][0]["name"]


def test_export_jsonl_streams_the_whole_result_set(api_client, full_archive):
    q = "tag:PGOV iran"
    total = full_archive.search(q, per_page=1, facets=False).total
    with api_client.stream("GET", "/api/export", params={"q": q}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/x-ndjson")
        assert "attachment" in r.headers["content-disposition"]
        lines = [line for line in r.iter_lines() if line]
    assert len(lines) == total > 20
    ids = {json.loads(line)["id"] for line in lines}
    assert ids == set(full_archive.search_ids(q))
    assert Cable.from_dict(json.loads(lines[0])).id in ids


def test_export_csv(api_client, full_archive):
    r = api_client.get("/api/export", params={"q": "origin:BAKU", "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {x["id"] for x in rows} == set(full_archive.search_ids("origin:BAKU"))
    assert rows[0]["origin_code"] == "BAKU"


def test_export_everything_and_errors(api_client, full_archive):
    r = api_client.get("/api/export", params={"format": "csv"})
    assert len(list(csv.DictReader(io.StringIO(r.text)))) == len(full_archive)
    body = problem(api_client.get("/api/export", params={"q": "tag:"}), 400)
    assert body["position"] == 4
    problem(api_client.get("/api/export", params={"q": "iran", "format": "xml"}), 422)


# -------------------------------------------------------------- schema, headers, limits


def test_openapi_schema(api_client):
    schema = api_client.get("/openapi.json").json()
    assert set(schema["paths"]) == {
        "/api/search", "/api/cables/{cable_id}", "/api/cables/{cable_id}/text",
        "/api/cables/{cable_id}/versions", "/api/cables/{cable_id}/versions/{ref}",
        "/api/cables/{cable_id}/diff", "/api/cables/{cable_id}/references",
        "/api/cables/{cable_id}/cited-by", "/api/cables/{cable_id}/cite",
        "/api/cables/{cable_id}/entities", "/api/stats",
        "/api/export",
        "/api/me", "/api/declass", "/api/entities", "/api/entities/{entity_id}",
        "/api/entities/{entity_id}/network",
        "/api/lint", "/api/compose", "/api/coverage", "/api/anomalies",
        "/api/cables/{cable_id}/similar", "/api/cables/{cable_id}/prediction",
        "/api/classify/predict", "/api/topics", "/api/trends",
    }  # fmt: skip
    comps = schema["components"]["schemas"]
    assert {"Problem", "SearchOut", "Cable", "Diff", "Stats"} <= set(comps)
    text = json.dumps(schema)
    for ref in {x.split('"')[0] for x in text.split('"$ref": "#/components/schemas/')[1:]}:
        assert ref in comps, f"dangling $ref {ref}"
    for path, ops in schema["paths"].items():
        for op in ops.values():  # get, and post for /api/lint and /api/compose
            for status, resp in op["responses"].items():
                if int(status) >= 400:
                    assert list(resp["content"]) == [PROBLEM], (path, status)
    search = schema["paths"]["/api/search"]["get"]
    params = {p["name"]: p["schema"] for p in search["parameters"]}
    assert params["q"]["maxLength"] == 1000 and params["per_page"]["maximum"] == 100


def test_security_headers(api_client):
    for path in ("/api/stats", "/api/cables/nope", "/openapi.json"):
        r = api_client.get(path)
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"


# ------------------------------------------------------------------------ schemathesis

OPERATIONS = sorted((r.path, m) for r in router.routes for m in r.methods if m != "HEAD")
# Invalid requests need a parameter to make invalid: operations without one get only the
# valid-request run.
_HAS_PARAMS = {r.path for r in router.routes if r.dependant.query_params or r.dependant.path_params}
RUNS = [(path, m, mode) for path, m in OPERATIONS for mode in ("positive", "negative")
        if mode == "positive" or path in _HAS_PARAMS]  # fmt: skip
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    status_code_conformance,
    response_headers_conformance,
]


@pytest.fixture(scope="module")
def api_schema(api_client):
    return schemathesis.openapi.from_asgi("/openapi.json", api_client.app)


@pytest.mark.parametrize("path, method, mode", RUNS)
def test_schemathesis(api_schema, path, method, mode):
    """Generated requests (valid, then invalid) never get a server error or a response the
    schema does not describe."""
    op = api_schema[path][method]
    if mode == "negative":
        assert op.definition.raw.get("parameters"), path
    gen = schemathesis.GenerationMode.POSITIVE if mode == "positive" else (
        schemathesis.GenerationMode.NEGATIVE
    )  # fmt: skip
    # An export may stream the whole archive: fewer examples there keep the run short.
    n = 6 if path == "/api/export" else 25

    @given(case=op.as_strategy(generation_mode=gen))
    @settings(max_examples=n, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def run(case):
        case.call_and_validate(checks=CHECKS)

    run()


def test_time_facets_label_and_filter_as_the_others(api_client):
    from cablegram.search.fields import facet_filter, facet_label

    body = api_client.get("/api/search", params={"q": "iran", "per_page": 1}).json()
    for name in ("year", "month"):
        assert body["facets"][name]
        for x in body["facets"][name]:
            assert x["label"] == facet_label(name, x["value"], {})
            assert x["filter"] == facet_filter(name, x["value"])


@pytest.mark.parametrize(
    "q", ["nagorno karabakh", "iran", "tag:PREL", "Bakı OR baku", "id:09BAKU433", "zzqx"]
)
def test_search_json_is_the_validated_model(full_archive, q):
    # The API writes its search body straight from plain data; it must be exactly what the
    # response model (the published schema) validates and serialises.
    from cablegram.api.convert import search_json, search_out

    for sort in ("relevance", "date"):
        res = full_archive.search(q, per_page=5, sort=sort)
        assert json.loads(search_json(res)) == search_out(res).model_dump(mode="json")


def test_result_cache_is_bounded_by_bytes_and_dropped_by_a_write(full_db, tmp_path):
    import asyncio
    import shutil

    from cablegram.api.pool import ArchivePool

    db = tmp_path / "c.db"
    shutil.copy(full_db, db)
    pool = ArchivePool(db, cache_size=100)
    pool._cache_budget = 1000
    made: list[str] = []

    def make(tag: str):
        made.append(tag)
        return (tag.encode() * 600, 1)

    pool.cached(("a",), lambda: make("a"))
    pool.cached(("a",), lambda: make("a"))  # remembered
    asyncio.run(pool.cached_async(("b",), lambda: asyncio.sleep(0, make("b"))))
    pool.cached(("a",), lambda: make("a"))  # 600 + 600 > 1000 bytes: "a" had to go
    assert made == ["a", "b", "a"]
    assert pool._cache_bytes <= 1000
    with Archive(db, create=False) as arc:  # any write: a new generation
        arc.store.conn.execute("PRAGMA user_version = 7")
        arc.store.conn.execute("CREATE TABLE IF NOT EXISTS t_x (a)")
    pool.cached(("a",), lambda: make("a"))
    assert made == ["a", "b", "a", "a"]
    pool.close()
