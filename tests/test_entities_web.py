"""Entity pages (issue 5): the HTTP API (list, page, ego network) and the web pages, on a
small enriched archive (the seed cable and a few dev pages), read through the access view."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from cablegram.archive import Archive
from conftest import BAKU_MD, make_tar, read_pages
from web_fixtures import _client, published_access

ABIYEV = "person:safar-abiyev"
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def enriched_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("entities")
    pages = [(n, b) for n, b in read_pages(8) if b"Abiyev" not in b and b"ABIYEV" not in b]
    tar = make_tar(folder / "dev.tar.gz", pages[:6], "w:gz")
    db = folder / "e.db"
    with Archive(db) as arc:
        rep = arc.ingest([BAKU_MD, tar], workers=0)
        assert not rep.errors, rep.errors
        arc.enrich(workers=0)
        assert arc.entity(ABIYEV) is not None
    return db


@pytest.fixture(scope="module")
def client(enriched_db: Path, tmp_path_factory: pytest.TempPathFactory):
    """As published: every portion readable anonymously."""
    with _client(enriched_db, published_access(tmp_path_factory.mktemp("e-access"))) as c:
        yield c


@pytest.fixture(scope="module")
def anon_client(enriched_db: Path, tmp_path_factory: pytest.TempPathFactory):
    """The default policy: anonymous readers see unclassified portions only."""
    with _client(enriched_db, tmp_path_factory.mktemp("e-default") / "a.access.db") as c:
        yield c


def _abiyev_id(client) -> str:
    r = client.get("/api/entities", params={"kind": "person", "q": "Abiyev"})
    assert r.status_code == 200, r.text
    found = [e for e in r.json()["entities"] if e["name"] == "Safar Abiyev"]
    assert len(found) == 1, r.json()
    return found[0]["entity_id"]


def test_api_list(client) -> None:
    r = client.get("/api/entities", params={"limit": 200})
    assert r.status_code == 200
    body = r.json()
    kinds = {e["kind"] for e in body["entities"]}
    assert {"person", "org", "place"} <= kinds
    assert _abiyev_id(client) == ABIYEV
    places = client.get("/api/entities", params={"kind": "place", "limit": 5}).json()
    assert places["entities"] and {e["kind"] for e in places["entities"]} == {"place"}
    assert len(places["entities"]) <= 5
    assert client.get("/api/entities", params={"kind": "ship"}).status_code == 422


def test_api_entity_page(client) -> None:
    r = client.get(f"/api/entities/{ABIYEV}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["entity"]["name"] == "Safar Abiyev" and body["entity"]["kind"] == "person"
    assert any("Abiyev" in a["alias"] for a in body["aliases"])
    assert any("Defense Minister" in t["title"] for t in body["titles"])
    assert body["years"] == [{"year": 2009, "count": 1}]
    assert [c["id"] for c in body["cables"]] == ["09BAKU433"] and body["n_cables"] == 1
    co = {d["name"] for d in body["co_mentioned"]}
    assert "Bantz Craddock" in co
    assert all(d["url"].startswith("/api/entities/") for d in body["co_mentioned"])
    # Another key of the cluster finds it too.
    assert client.get("/api/entities/person:abiyev").json()["entity"]["entity_id"] == ABIYEV


def test_api_network(client) -> None:
    r = client.get(f"/api/entities/{ABIYEV}/network", params={"limit": 10})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["center"] == ABIYEV
    ids = {n["id"] for n in body["nodes"]}
    assert ABIYEV in ids and 2 <= len(ids) <= 11
    assert [n["id"] for n in body["nodes"] if n["center"]] == [ABIYEV]
    assert body["edges"] and all(ABIYEV in (e["source"], e["target"]) for e in body["edges"])
    assert all(e["weight"] >= 1 for e in body["edges"])


def test_api_unknown_entity_is_a_plain_404(client) -> None:
    for path in (
        "/api/entities/person:nobody-at-all",
        "/api/entities/person:nobody-at-all/network",
    ):
        r = client.get(path)
        assert r.status_code == 404 and r.headers["content-type"].startswith(PROBLEM)
        body = r.json()
        assert body["type"] == client.get("/api/cables/NOPE").json()["type"]
        assert set(body) == set(client.get("/api/cables/NOPE").json())


def test_web_pages(client) -> None:
    r = client.get("/entities")
    assert r.status_code == 200 and "Safar Abiyev" in r.text
    assert 'href="/entities"' in r.text  # the masthead
    r = client.get("/entities", params={"kind": "place"})
    assert r.status_code == 200 and "Safar Abiyev" not in r.text and "Baku" in r.text
    r = client.get(f"/entities/{ABIYEV}")
    assert r.status_code == 200, r.text
    html = r.text
    assert "<h1>Safar Abiyev</h1>" in html
    assert html.count("<svg") >= 3  # brand mark, cables per year, the network
    assert 'class="chart ego"' in html and 'class="chart histogram"' in html
    assert 'href="/cables/09BAKU433"' in html
    assert re.search(r'<a href="/entities/person:bantz-craddock">', html)
    assert "<script>" not in html.split("</head>", 1)[1]  # no inline script (CSP)
    # Another key redirects to the canonical page; an unknown one is the error page.
    r = client.get("/entities/person:abiyev")
    assert r.status_code == 301 and r.headers["location"] == f"/entities/{ABIYEV}"
    r = client.get("/entities/person:nobody-at-all")
    assert r.status_code == 404 and "No such entity" in r.text


def test_anonymous_default_policy_hides_classified_entities(anon_client) -> None:
    """The seed cable is all CONFIDENTIAL: an unclassified-only reader knows no Abiyev."""
    opaque = "person:~" + hashlib.sha256(ABIYEV.encode()).hexdigest()[:16]
    for eid in (ABIYEV, opaque, "person:Safar Abiyev"):
        assert anon_client.get(f"/api/entities/{eid}").status_code == 404
        assert anon_client.get(f"/api/entities/{eid}/network").status_code == 404
        assert anon_client.get(f"/entities/{eid}").status_code == 404
    listed = anon_client.get("/api/entities", params={"limit": 200}).json()["entities"]
    assert not [e for e in listed if "Abiyev" in e["name"]]
    assert all(":~" in e["entity_id"] for e in listed)
    r = anon_client.get("/entities")
    assert r.status_code == 200 and "Abiyev" not in r.text
    # What an unclassified-only reader does see works the same way, by opaque id.
    if listed:
        eid = listed[0]["entity_id"]
        assert anon_client.get(f"/api/entities/{eid}").status_code == 200
        assert anon_client.get(f"/api/entities/{eid}/network").status_code == 200
        assert anon_client.get(f"/entities/{eid}").status_code == 200


def test_anonymous_sees_unclassified_entities(anon_client) -> None:
    assert anon_client.get("/api/entities").json()["entities"], "no unclassified entity"


@pytest.mark.parametrize(
    "path", ["/api/entities", "/api/entities/{entity_id}", "/api/entities/{entity_id}/network"]
)
def test_schemathesis_on_an_enriched_archive(client, path) -> None:
    """The entity routes with data behind them: no server error, responses as described."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error, response_schema_conformance

    op = schemathesis.openapi.from_asgi("/openapi.json", client.app)[path]["GET"]

    @given(case=op.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE))
    @settings(max_examples=20, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def run(case):
        if "entity_id" in (case.path_parameters or {}):
            case.path_parameters["entity_id"] = ABIYEV
        case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

    run()


def test_cable_page_links_its_entities(client) -> None:
    html = client.get("/cables/09BAKU433").text
    assert 'id="entities"' in html and f'href="/entities/{ABIYEV}"' in html
    assert client.get(f"/entities/{ABIYEV}").status_code == 200


def test_search_page_has_entity_facets_that_filter(client) -> None:
    import html
    import re

    page = client.get("/search", params={"q": "Craddock"})
    assert page.status_code == 200
    assert "<h2>People</h2>" in page.text and "<h2>Places</h2>" in page.text
    links = [html.unescape(h) for h in re.findall(r'href="(/search\?[^"]*person[^"]*)"', page.text)]
    assert links, "no person facet links"
    followed = client.get(links[0])
    assert followed.status_code == 200 and "person:" in followed.text
    narrowed = client.get("/search", params={"q": 'Craddock person:"Bantz Craddock"'})
    assert narrowed.status_code == 200
    assert "09BAKU433" in narrowed.text
    # The chosen entity shows as an active filter that can be removed.
    assert "Remove this filter" in narrowed.text


def test_cable_mentions_api(client) -> None:
    """Which entity each mention went to, with paragraph numbers and offsets into the
    paragraph text the cable's own endpoint gives."""
    r = client.get("/api/cables/09BAKU433/entities")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["cable_id"] == "09BAKU433"
    cable = client.get("/api/cables/09BAKU433").json()
    paras = {p["number"]: p["text"] for p in cable["paragraphs"]}
    inside = [x for x in body["mentions"] if x["para"] is not None]
    assert inside and len(inside) > 20
    for x in inside:
        assert paras[x["para"]][x["start"] : x["end"]] == x["text"], x
    abiyev = [x for x in inside if x["entity_id"] == ABIYEV]
    assert {x["text"] for x in abiyev} >= {"Abiyev"}
    assert all(x["url"] == f"/api/entities/{ABIYEV}" for x in abiyev)
    signer = [x for x in body["mentions"] if x["role"] == "signer"]
    assert signer and signer[0]["kind"] == "person"
    r = client.get("/api/cables/09XXX999/entities")
    assert r.status_code == 404 and r.headers["content-type"].startswith(PROBLEM)


def test_cable_page_highlights_mentions(client) -> None:
    plain = client.get("/cables/09BAKU433").text
    assert 'class="ent ' not in plain and "?entities=1#text" in plain
    html = client.get("/cables/09BAKU433", params={"entities": "1"}).text
    marks = re.findall(r'<a class="ent ent-(\w+)" href="([^"]+)">([^<]+)</a>', html)
    assert len(marks) > 20
    assert ("person", f"/entities/{ABIYEV}", "Abiyev") in marks
    assert {k for k, _, _ in marks} == {"person", "org", "place"}
    # The text itself is unchanged: only wrapped.
    text = re.sub(r"<[^>]+>", "", html)
    assert "Abiyev" in text and "Hide them in the text" in html
