"""The telegram system over the archive: lint:RULE, anomalies, coverage through the reader's
clearance, the HTTP API, the Coverage and Anomalies pages (also in Chromium), and the
same on PostgreSQL."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path

import pytest

import pg
from cablegram.access import AccessDB
from cablegram.access.rules import Reader
from cablegram.archive import Archive
from cablegram.parser import parse
from cablegram.search import QueryError

ROOT = Path(__file__).resolve().parent.parent
SEED = (ROOT / "samples" / "09BAKU433.md").read_text(encoding="utf-8")
pg_server = pg.pg_server
pg_url = pg.pg_url


def cable(serial: int, marking: str = "C", *, spill: bool = False):
    text = (SEED.replace("#0433/01", f"#{serial:04d}/01")
            .replace("BAKU 000433", f"BAKU {serial:06d}")
            .replace("BAKU 00000433", f"BAKU {serial:08d}")
            .replace(". (C)", f". ({marking})"))  # fmt: skip
    if marking == "S":
        text = text.replace("C O N F I D E N T I A L", "S E C R E T").replace("CCCCC", "SSSSS")
    if spill:  # one SECRET paragraph under a CONFIDENTIAL banner
        text = text.replace("¶13. (C)", "¶13. (S)")
    return parse(text.encode())


def fill(arc: Archive) -> None:
    for s in (1, 2, 5, 9, 433):
        arc.store.add(cable(s))
    arc.store.add(cable(7, spill=True))
    arc.store.add(cable(600, "S"))
    assert arc.lint() == 7


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tg") / "a.db"
    with Archive(path) as arc:
        fill(arc)
    return path


def client(db: Path, policy: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from cablegram.api import create_app

    access = db.parent / f"{policy}.access.db"
    with AccessDB(access) as acc:
        acc.set_policy("anonymous", policy)
    return TestClient(create_app(db, readers=2, access=access), follow_redirects=False)


def test_lint_filter_and_anomalies(db):
    with Archive(db) as arc:
        assert list(arc.search_ids("lint:portion-above-banner")) == ["09BAKU7"]
        assert arc.search("lint:portion-above-banner year:2009").total == 1
        rep = arc.anomalies()
        assert rep.rules == {"portion-above-banner": 1} and rep.cables == 7 and rep.stale == 0
        assert rep.by_origin["portion-above-banner"] == {"BAKU": 1}
        # A reader cleared to CONFIDENTIAL sees 09BAKU7 (its other portions) but not
        # 09BAKU600; the counts are over what they may see.
        view = arc.as_reader(Reader("r", "user", 3))
        assert view.anomalies().cables == 6
        # The filter goes through the reader's clearance like every other.
        assert list(view.search_ids("lint:portion-above-banner")) == ["09BAKU7"]
        assert list(arc.as_reader(Reader("u", "user", 0)).search_ids("lint:unknown-tag")) == []
        with pytest.raises(QueryError, match="no rule"):
            arc.search("lint:no-such-rule")


def test_lint_filter_before_any_lint_run(tmp_path):
    with Archive(tmp_path / "b.db") as arc:
        arc.store.add(cable(1))
        with pytest.raises(QueryError, match="cablegram lint --db"):
            arc.search("lint:portion-above-banner")
        assert arc.anomalies().stale == 1


def test_api_coverage_follows_the_reader(db):
    with client(db, "as-published") as c:
        (row,) = c.get("/api/coverage", params={"post": "BAKU"}).json()
        assert (row["held"], row["highest_serial"]) == (7, 600)
        assert c.get("/api/anomalies").json()["rules"][0]["rule"] == "portion-above-banner"
    with client(db, "c") as c:
        (row,) = c.get("/api/coverage", params={"post": "BAKU", "year": 2009}).json()
        # 09BAKU600 (SECRET) is withheld: neither counted nor its serial the highest.
        assert (row["held"], row["highest_serial"]) == (6, 433)
        assert row["missing"][0] == [3, 4]
        page = c.get("/cables/09BAKU433").text
        assert "Baku&#39;s 433rd cable of 2009; the archive holds 6 of Baku&#39;s 2009" in page
    with client(db, "u") as c:  # nothing visible: no coverage at all
        assert c.get("/api/coverage").json() == []


def test_api_lint_and_compose(db):
    with client(db, "u") as c:
        r = c.post("/api/lint", content=SEED.replace("¶13. (C)", "¶13. (S)").encode(),
                   headers={"content-type": "text/plain"})  # fmt: skip
        assert r.status_code == 200
        assert [f["rule"] for f in r.json()["findings"]] == ["portion-above-banner"]
        draft = (ROOT / "docs" / "examples" / "draft.toml").read_text(encoding="utf-8")
        r = c.post("/api/compose", content=draft.encode(),
                   headers={"content-type": "application/toml"})  # fmt: skip
        assert r.status_code == 200 and "DE RUEHKB #0001" in r.text
        r = c.post("/api/compose", content=draft.replace('marking = "U"', 'marking = "S"').encode(),
                   headers={"content-type": "application/toml"})  # fmt: skip
        assert r.status_code == 422 and "portion-above-banner" in r.text


def test_pages(db):
    with client(db, "as-published") as c:
        page = c.get("/coverage").text
        assert 'class="chart heatmap"' in page and ">BAKU<" in page
        page = c.get("/coverage", params={"post": "baku"}).text
        assert "BAKU 2009: 7 of at least 600" in page and 'class="chart strip"' in page
        page = c.get("/anomalies").text
        assert "portion-above-banner" in page and "/search?q=lint%3Aportion-above-banner" in page


def test_coverage_page_in_chromium(db):
    from playwright.sync_api import sync_playwright

    from web_fixtures import LiveServer

    access = db.parent / "as-published.access.db"
    with AccessDB(access) as acc:
        acc.set_policy("anonymous", "as-published")
    with LiveServer(db, access) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            page = browser.new_page(viewport={"width": 400, "height": 800})
            page.goto(server.url + "/coverage")
            cells = page.locator("svg.heatmap rect.cell")
            assert cells.count() >= 1
            box = page.locator("svg.heatmap").bounding_box()
            assert box is not None and box["width"] <= 400  # fits a phone's width
            page.locator("svg.heatmap a").nth(1).click()
            page.wait_for_url("**/coverage?post=BAKU&year=2009")
            assert page.locator("svg.strip rect.held").count() == 7
            page.goto(server.url + "/anomalies")
            page.get_by_role("link", name="portion-above-banner").click()
            page.wait_for_url("**/search?q=lint*")
            assert "09BAKU7" in page.content()
        finally:
            browser.close()


def test_on_postgresql(pg_url):
    with Archive(pg_url) as arc:
        fill(arc)
        assert list(arc.search_ids("lint:portion-above-banner")) == ["09BAKU7"]
        (row,) = arc.coverage("BAKU", 2009)
        assert (row.held, row.highest_serial) == (7, 600)
        # (The reader view reads SQLite's connection on this branch; on PostgreSQL it
        # comes with issue 20's Store boundary, and coverage goes through it.)
        from cablegram.telegram.counters import Counters

        counters = Counters(arc.store)
        assert counters.next_serial("BAKU", 2009) == 601
        assert counters.next_serial("BAKU", 2009) == 602
        assert counters.next_channel("BAKU", 2009, "RUEHC") == 1
        from cablegram.telegram.draft import send

        sent = send(arc, ROOT / "docs" / "examples" / "draft.toml",
                    when=datetime(2009, 7, 1, tzinfo=UTC))  # fmt: skip
        assert sent.id == "09BAKU603" and arc.get("09BAKU603") is not None
