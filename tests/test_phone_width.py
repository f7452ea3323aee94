"""Every kind of page fits a phone (issue 17): opened in headless Chromium at 400 and 360
px wide, no page scrolls sideways (``scrollWidth <= innerWidth``); wide tables scroll in
their own box or stack. Also the ``/`` hotkey, which only moves focus from elsewhere.

On a small enriched archive (the seed cable, a few dev pages, the crafted cables of
web_fixtures: a second version for the diff page, a citation), so the entity pages have
content; the query-error page and a 404 are pages too.
"""

from __future__ import annotations

import pytest

from cablegram.archive import Archive
from conftest import BAKU_MD, make_tar, read_pages
from test_browser import Page, browser  # noqa: F401 - the fixture
from web_fixtures import EVIL_ID, SEED_ID, LiveServer, crafted_documents, published_access

ABIYEV = "person:safar-abiyev"

# Every kind of page (path, what it is); the long query makes the error box's pointer wide.
PAGES = [
    ("/", "home"),
    ("/search?q=tag%3APGOV", "search"),
    ("/search?q=" + "azerbaijan+" * 12 + "(unclosed", "query error"),
    (f"/cables/{SEED_ID}", "cable"),
    (f"/cables/{EVIL_ID}", "cable with hostile text"),
    (f"/cables/{SEED_ID}/diff", "diff"),
    ("/entities", "entities"),
    ("/entities?kind=place", "entities by kind"),
    (f"/entities/{ABIYEV}", "entity"),
    ("/stats", "statistics"),
    ("/declass?due=2030-01-01", "declassification"),
    ("/login", "log in"),
    ("/nope", "not found"),
    ("/api/", "API index"),
]

# Elements wider than the window, for the failure message (not for the assertion).
_OVERFLOW = """() => {
  const w = window.innerWidth, out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > w + 0.5 && r.width > 0) {
      let p = el.parentElement, boxed = false;
      while (p) {
        const s = getComputedStyle(p);
        if (s.overflowX === 'auto' || s.overflowX === 'scroll' || s.overflowX === 'hidden') { boxed = true; break; }
        p = p.parentElement;
      }
      if (!boxed) out.push(el.tagName.toLowerCase() + '.' + el.className + ' ' + Math.round(r.right));
    }
  }
  return out.slice(0, 8);
}"""


@pytest.fixture(scope="module")
def phone_server(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("phone")
    pages = [(n, b) for n, b in read_pages(40) if b"Abiyev" not in b and b"ABIYEV" not in b]
    tar = make_tar(folder / "dev.tar.gz", pages[:30], "w:gz")
    db = folder / "phone.db"
    with Archive(db) as arc:
        rep = arc.ingest([BAKU_MD, tar, *crafted_documents(folder)], workers=0)
        assert not rep.errors, rep.errors
        arc.enrich(workers=0)
        assert arc.entity(ABIYEV) is not None
    with LiveServer(db, published_access(folder)) as server:
        yield server


@pytest.mark.parametrize("width", [400, 360])
def test_every_page_fits_a_phone(browser, phone_server, width):  # noqa: F811
    tab = Page(browser, phone_server.url)
    try:
        tab.page.set_viewport_size({"width": width, "height": 800})
        for path, what in PAGES:
            resp = tab.page.goto(phone_server.url + path)
            assert resp is not None and resp.status < 500, (path, resp and resp.status)
            sizes = tab.page.evaluate(
                "() => [document.documentElement.scrollWidth, window.innerWidth]"
            )
            assert sizes[0] <= sizes[1], (what, path, sizes, tab.page.evaluate(_OVERFLOW))
            # The nav's last link is on screen, not pushed off the edge.
            if tab.page.locator(".nav a").count():  # the API index has no masthead
                login = tab.page.locator(".nav a").last.bounding_box()
                assert login is not None and login["x"] + login["width"] <= width, (what, login)
    finally:
        tab.close()
    # The 404 and the query error's 400 log an error for the document itself; nothing else
    # may.
    doc = "the server responded with a status of 4"
    assert [e for e in tab.errors if doc not in e] == []


def test_slash_hotkey_focuses_only_from_elsewhere(browser, phone_server):  # noqa: F811
    tab = Page(browser, phone_server.url)
    try:
        page = tab.goto(f"/cables/{SEED_ID}")
        box = page.locator("input[data-hotkey='/']")
        page.locator("h1").click()
        page.keyboard.press("/")
        assert box.evaluate("el => el === document.activeElement")
        assert box.input_value() == ""
        # In the focused box, "/" is a character of the query.
        page.keyboard.type("date:2009-01/x/")
        assert box.input_value() == "date:2009-01/x/"
        # On the search page too, where the box holds the query already.
        page = tab.goto("/search?q=tag%3APGOV")
        box = page.locator("input[data-hotkey='/']")
        box.click()
        page.keyboard.press("End")
        page.keyboard.type(" a/b")
        assert box.input_value() == "tag:PGOV a/b"
    finally:
        tab.close()
    assert tab.errors == []


def test_search_box_keeps_the_slash_on_home(browser, phone_server):  # noqa: F811
    """The home page's box has autofocus: typing "/" there must not select the text."""
    tab = Page(browser, phone_server.url)
    try:
        page = tab.goto("/")
        box = page.locator("input[data-hotkey='/']")
        assert box.evaluate("el => el === document.activeElement")  # autofocus
        page.keyboard.type("/x/")
        assert box.input_value() == "/x/"
        box.fill("")
        box.click()
        page.keyboard.type("origin:BAKU/")
        assert box.input_value() == "origin:BAKU/"
    finally:
        tab.close()


def test_api_reference_runs_from_this_server_alone(browser, phone_server):  # noqa: F811
    """Swagger UI at /docs: every request goes to the server itself (no CDN, no validator
    badge), every endpoint is listed, and the page fits a phone."""
    from urllib.parse import urlsplit

    tab = Page(browser, phone_server.url)
    hosts: set[str] = set()
    tab.page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
    try:
        page = tab.goto("/docs")
        page.wait_for_selector(".opblock", timeout=20_000)
        n = page.locator(".opblock").count()
        paths = tab.page.evaluate("() => fetch('/openapi.json').then(r => r.json())")["paths"]
        assert n == len(paths) >= 16
        # "Try it out" on the search endpoint: the example query is filled in and runs.
        page.locator(".opblock-summary-path", has_text="/api/search").first.click()
        # (tryItOutEnabled: the form is open already, filled with the examples)
        page.locator(".execute").first.click()
        status = page.locator(".live-responses-table tbody .response-col_status").first
        status.wait_for(timeout=20_000)
        assert status.inner_text().strip().startswith("200")
        assert "tag:PGOV" in page.locator(".request-url").first.inner_text().replace("%3A", ":")
        page.set_viewport_size({"width": 400, "height": 800})
        sizes = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert sizes[0] <= sizes[1], sizes
    finally:
        tab.close()
    assert hosts == {urlsplit(phone_server.url).netloc}, hosts
    assert tab.errors == []
