"""The web and API parts of a new user's first hour (issue 17), on the sample archive served
as published: the API reference and index, an example for every endpoint, citations,
filter chips, unknown tags, the paged declassification review, readable diffs."""

from __future__ import annotations

import json
import re

import pytest

from cablegram.api.examples import REQUESTS, load, send
from web_fixtures import api_client  # noqa: F401 - the fixture

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


def test_docs_page_loads_only_our_own_assets(api_client):  # noqa: F811
    r = api_client.get("/docs")
    assert r.status_code == 200 and "swagger-ui" in r.text
    urls = ASSET.findall(r.text)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    for u in urls:
        if u.startswith("/docs/") or u.startswith("/static/"):
            got = api_client.get(u)
            assert got.status_code == 200, u
    js = api_client.get("/docs/swagger-ui-bundle.js")
    assert js.headers["content-type"].startswith("text/javascript") and len(js.content) > 500_000
    init = api_client.get("/docs/init.js").text
    assert 'url: "/openapi.json"' in init and "validatorUrl: null" in init
    assert "Apache License" in api_client.get("/docs/LICENSE").text
    assert api_client.get("/docs/../app.py").status_code == 404
    assert api_client.get("/docs/nope.js").status_code == 404
    # The page runs under the same strict policy as every page.
    assert "script-src 'self'" in r.headers["content-security-policy"]


def test_redoc_goes_to_docs(api_client):  # noqa: F811
    r = api_client.get("/redoc")
    assert r.status_code == 308 and r.headers["location"] == "/docs"


def test_api_index(api_client):  # noqa: F811
    for path in ("/api/", "/api"):
        body = api_client.get(path).json()
        assert body["reference"] == "/docs" and body["openapi"] == "/openapi.json"
        listed = {e["path"]: e["summary"] for e in body["endpoints"]}
        assert listed["/api/search"] == "Search cables"
        assert set(listed) == set(api_client.get("/openapi.json").json()["paths"])
    page = api_client.get("/api/", headers={"accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")
    assert '<a href="/docs">/docs</a>' in page.text and '<a href="/api/stats">' in page.text


def test_every_endpoint_has_a_summary_and_an_example(api_client):  # noqa: F811
    schema = api_client.get("/openapi.json").json()
    for path, ops in schema["paths"].items():
        (method, op), *_ = ops.items()
        assert op.get("summary"), path
        content = op["responses"]["200"]["content"]
        assert any("example" in c for c in content.values()), path
        if method == "post":
            posted = op["requestBody"]["content"]
            assert any("example" in c for c in posted.values()), path
        for p in op.get("parameters", []):
            if p.get("required"):
                shown = p.get("examples") or p.get("example") or p["schema"].get("examples")
                assert shown, (path, p["name"])


def test_recorded_examples_have_the_shape_of_live_answers(api_client):  # noqa: F811
    """The examples are recorded answers; when an endpoint's answer changes shape, they are
    recorded again (python -m cablegram.api.record_examples)."""
    examples = load()
    assert set(examples) == set(REQUESTS) == set(api_client.get("/openapi.json").json()["paths"])
    compared = 0
    # This archive has no entities, no model, no similar-cable vectors, no topics: those
    # endpoints answer 404/409 here (tests/test_entities_web.py, test_classify.py check them).
    needs_more = ("entities", "similar", "prediction", "classify", "topics")
    for path, spec in REQUESTS.items():
        live = send(api_client, spec)
        if live.status_code != 200:
            assert any(w in path for w in needs_more), (path, live.status_code)
            assert live.status_code in (403, 404, 409), (path, live.status_code)
            continue
        media = live.headers["content-type"].split(";")[0]
        assert media == examples[path]["media_type"], path
        if media.endswith("json"):
            got, want = live.json(), examples[path]["example"]
            if isinstance(got, list):
                if not got:  # nothing here to compare the shape with (e.g. no lint run)
                    continue
                got, want = got[0], want[0]
            assert set(got) == set(want), (path, set(got) ^ set(want))
            compared += 1
    assert compared >= 10


def test_cite_this_cable(api_client):  # noqa: F811
    page = api_client.get("/cables/08SAOPAULO335").text
    assert "Cite this cable" in page
    note = re.search(r'<p class="cite-text">([^<]+)</p>', page)[1]
    assert note.startswith("Consulate Sao Paulo to Secretary of State, ")
    for part in ("AMBASSADOR DISCUSSES BRAZILIAN OIL", "cable 08SAOPAULO335", "June 26, 2008",
                 "Cablegate (WikiLeaks, 2010–2011), cable/2008/06/08SAOPAULO335.html"):  # fmt: skip
        assert part in note.replace("&#34;", '"'), (part, note)
    bib = api_client.get("/api/cables/08saopaulo335/cite", params={"format": "bibtex"})
    assert bib.headers["content-type"].startswith("application/x-bibtex")
    text = bib.text
    assert text.startswith("@misc{08SAOPAULO335,") and "author = {{Consulate Sao Paulo}}" in text
    assert "date = {2008-06-26}" in text and "note = {Cablegate (WikiLeaks, 2010--2011)" in text
    assert "url = {http://testserver/cables/08SAOPAULO335}" in text
    csl = api_client.get("/api/cables/08SAOPAULO335/cite", params={"format": "csl-json"}).json()
    assert csl[0]["issued"] == {"date-parts": [[2008, 6, 26]]}
    assert csl[0]["author"] == [{"literal": "Consulate Sao Paulo"}]
    assert csl[0]["archive_location"] == "cable/2008/06/08SAOPAULO335.html"
    chicago = api_client.get("/api/cables/08SAOPAULO335/cite?format=chicago-bibliography").text
    assert chicago.startswith("Consulate Sao Paulo. “AMBASSADOR")
    assert api_client.get("/api/cables/NOPE1/cite").status_code == 404
    assert api_client.get("/api/cables/09BAKU433/cite?format=ris").status_code == 422


def _chips(html: str) -> list[str]:
    box = html.split('class="facet active-filters"', 1)[1].split("</section>", 1)[0]
    return [json.loads('"' + x + '"') for x in re.findall(r"<code>([^<]+)</code>", box)]


def test_every_filter_in_the_query_is_a_chip(api_client):  # noqa: F811
    q = 'nagorno date:2009-01..2009-12 class:>=C origin:"Embassy Baku" -tag:ECON'
    page = api_client.get("/search", params={"q": q}).text
    chips = [c.replace("&#34;", '"').replace("&gt;", ">") for c in _chips(page)]
    for f in ("date:2009-01..2009-12", "class:>=C", 'origin:"Embassy Baku"', "-tag:ECON"):
        assert f in chips, (f, chips)
    # removing one keeps the others
    href = re.search(r'<a class="chip chip-on" href="([^"]+)"[^>]*><code>date:', page)[1]
    assert "date%3A" not in href and "class%3A%3E%3DC" in href


def test_tags_without_a_name_are_unknown_never_blank(api_client):  # noqa: F811
    page = api_client.get("/search", params={"q": "tag:RU"}).text
    assert re.search(r"Unknown tag <code>RU</code>", page), "facet label"
    hit = re.search(r'href="/cables/(\w+)"', page)[1]
    cable = api_client.get(f"/cables/{hit}").text
    assert re.search(r'<code>RU</code> <span class="unknown-tag">unknown tag</span>', cable)


def test_declass_page_is_paged_with_facets(api_client):  # noqa: F811
    page = api_client.get("/declass", params={"due": "2030-01-01"}).text
    total = int(re.search(r"<strong>([\d,]+)</strong> due cables", page)[1].replace(",", ""))
    assert total > 100
    rows = re.findall(r'<tr><td>\d{4}-\d\d-\d\d</td><td><a href="/cables/', page)
    assert len(rows) == 50 and 'rel="next"' in page and "UNCLASSIFIED</td>" not in page
    assert re.search(r"[\d,]+ unclassified \(never due\)", page)
    last = -(-total // 50)
    end = api_client.get("/declass", params={"due": "2030-01-01", "page": last}).text
    assert len(re.findall(r"<tr><td>\d{4}-", end)) == total - 50 * (last - 1)
    # a facet narrows the list, its chip takes it off again
    year = re.search(r'href="(/declass\?due=2030-01-01&amp;year=(\d{4}))"', page)
    narrowed = api_client.get(year[1].replace("&amp;", "&")).text
    due_days = re.findall(r"<tr><td>(\d{4})-\d\d-\d\d</td>", narrowed)
    assert due_days and set(due_days) == {year[2]}
    assert "Year due: " + year[2] in narrowed
    origin = api_client.get("/declass", params={"due": "2030-01-01", "origin": "Embassy Baku"})
    assert "<td>Embassy Baku</td>" in origin.text
    assert not re.search(r"<td>Embassy (?!Baku)[^<]*</td>", origin.text)


def test_diff_page_shows_addressees_as_rows(api_client):  # noqa: F811
    page = api_client.get("/cables/08SAOPAULO335/diff").text
    assert "routing:" not in page and "name:" not in page
    assert re.search(
        r'<div class="diff-row[^"]*">Embassy Asuncion \(RUEHAC AMEMBASSY ASUNCION\)', page
    )


@pytest.mark.parametrize("path", ["/", "/search?q=tag%3APGOV", "/cables/09BAKU433"])
def test_nav_links_to_the_api_reference(api_client, path):  # noqa: F811
    page = api_client.get(path).text
    assert '<a href="/docs">API</a>' in page and 'href="/openapi.json">API<' not in page


def test_entities_page_says_when_extraction_is_running(tmp_path, full_db):
    """``cablegram enrich`` marks the archive while it runs (cablegram.running); a marker
    whose process is gone is a run that was killed, not one that is running."""
    import os
    import sqlite3

    from cablegram.running import marker, running_stage
    from web_fixtures import _client, published_access

    db = tmp_path / "m.db"
    with sqlite3.connect(full_db) as s, sqlite3.connect(db) as d:
        s.backup(d)
    with _client(db, published_access(tmp_path)) as client:
        assert "No entities yet" in client.get("/entities").text
        with running_stage(db, "enrich"):
            assert marker(db, "enrich").read_text() == str(os.getpid())
            page = client.get("/entities").text
            assert "being extracted from the cables right now" in page
            assert "No entities yet" not in page
        assert not marker(db, "enrich").exists()
        marker(db, "enrich").write_text("999999999")  # no such process
        assert "being extracted" not in client.get("/entities").text
