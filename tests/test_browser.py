"""Headless Chromium (Playwright) on a real server: search, facets, a cable, a reference,
a diff; hostile cable text never runs; the pages work without JavaScript.

Needs Debian's ``chromium`` (``apt-get install chromium``); Playwright's own browser
download is not used. Screenshots go to ``$CABLEGRAM_SCREENSHOTS`` when set (e.g.
``docs/screenshots``), else to a temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

import web_fixtures
from conftest import BROWSER_SKIP
from web_fixtures import CITING_ID, EVIL_ID, SCRIPT, SEED_ID, LiveServer

# Fixtures shared with the other web test modules.
live_server = web_fixtures.live_server
web_db = web_fixtures.web_db

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}


def _missing() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return ""


@pytest.fixture(scope="module")
def browser():
    why = _missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run on CI: {why}")
        pytest.skip(f"{BROWSER_SKIP}: {why}")  # conftest.py says so at the end of the run
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Page:
    """A page that records console errors (a CSP violation is one) and script errors."""

    def __init__(self, browser, base: str, **context) -> None:
        self.context = browser.new_context(viewport=VIEWPORT, **context)
        self.page = self.context.new_page()
        self.base = base
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def goto(self, path: str):
        resp = self.page.goto(self.base + path)
        assert resp is not None and resp.ok, (path, resp and resp.status)
        return self.page

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser, live_server):
    p = Page(browser, live_server.url)
    yield p
    p.close()
    assert p.errors == [], p.errors


def pwned(page) -> bool:
    return page.evaluate("() => window.__pwned !== undefined")


def test_search_facet_cable_reference_diff(tab):
    page = tab.goto("/")
    page.fill("input[name=q]", "azerbaijan markup")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=azerbaijan\+markup$"))
    total = int(page.locator(".total strong").inner_text().replace(",", ""))
    assert total >= 2 and page.locator("li.hit").count() == min(total, 20)
    assert page.locator("mark").count() > 0

    # a facet adds its filter to the query, and the counts agree
    facet = page.locator(".facet li a", has_text="Embassy Baku").first
    count = int(facet.locator(".count").inner_text().replace(",", ""))
    facet.click()
    page.wait_for_url(re.compile(r"q=azerbaijan\+markup\+origin%3ABAKU"))
    assert page.input_value("input[name=q]") == "azerbaijan markup origin:BAKU"
    assert int(page.locator(".total strong").inner_text()) == count
    assert page.locator(".active-filters").get_by_text("origin:BAKU").is_visible()

    # open a cable from the results
    page.locator("li.hit a.cable-id", has_text=CITING_ID).click()
    page.wait_for_url(f"**/cables/{CITING_ID}")
    # the h1 is the display title (title case; the record keeps the subject as written)
    assert "FOLLOW-UP ON THE MARKUP CABLE" in page.locator("h1").inner_text().upper()

    # follow its reference: the cable with hostile text, shown as text
    page.locator("#references a", has_text=EVIL_ID).click()
    page.wait_for_url(f"**/cables/{EVIL_ID}")
    assert SCRIPT in page.locator("#text").inner_text()
    assert not pwned(page)
    assert page.locator("#references").get_by_text("not in archive").is_visible()

    # its first reference, then the versions of that cable and their diff
    page.locator("#references a", has_text=SEED_ID).click()
    page.wait_for_url(f"**/cables/{SEED_ID}")
    assert page.locator("#cited-by a", has_text=EVIL_ID).is_visible()
    page.get_by_role("link", name="Compare versions").click()
    page.wait_for_url(f"**/cables/{SEED_ID}/diff")
    removed = page.locator("pre.diff .d-del, pre.diff .d-add")
    assert removed.count() >= 1
    assert "His talking points" in page.locator("pre.diff").inner_text()
    # the version pickers compare on change (the one place JavaScript helps)
    page.select_option("select[name=a]", "2")
    page.wait_for_url(re.compile(r"a=2&b=\d"))


def test_injected_markup_never_runs(tab):
    for path in (f"/cables/{EVIL_ID}", "/search?q=injected+window", f"/cables/{EVIL_ID}/diff"):
        page = tab.goto(path)
        page.wait_for_load_state("load")
        assert not pwned(page), path
        assert page.evaluate("() => document.querySelectorAll('script:not([src])').length") == 0
        assert page.evaluate("() => document.images.length") == 0
    page = tab.goto(f"/cables/{EVIL_ID}")
    text = page.locator("#text").inner_text()
    assert SCRIPT in text and 'onerror="window.__pwned=1"' in text
    assert "<B>BOLD</B> CLAIMS & <I>MARKUP</I>" in page.locator("h1").inner_text().upper()
    # the raw text toggle shows the same text, still inert
    page.locator("details.raw summary").click()
    assert SCRIPT in page.locator("details.raw pre").inner_text()
    assert not pwned(page)


def test_reading_and_searching_without_javascript(browser, live_server):
    tab = Page(browser, live_server.url, java_script_enabled=False)
    try:
        page = tab.goto("/search?q=naval+base")
        page.fill("input[name=q]", "tag:PGOV")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"q=tag%3APGOV"))
        page.get_by_role("link", name="Newest").click()
        page.wait_for_url(re.compile(r"sort=date"))
        page.locator("nav.pager a", has_text="2").first.click()
        page.wait_for_url(re.compile(r"q=tag%3APGOV&sort=date&page=2"))
        page = tab.goto(f"/cables/{SEED_ID}")
        raw = page.locator("details.raw pre")
        assert not raw.is_visible()
        page.locator("details.raw summary").click()
        assert raw.is_visible() and "VZCZCXRO6958" in raw.inner_text()
    finally:
        tab.close()


def test_screenshots(browser, full_db, tmp_path):
    """The pictures of docs/web.md: the search page and the seed cable's page."""
    out = Path(os.environ.get("CABLEGRAM_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    with LiveServer(full_db, web_fixtures.published_access(tmp_path)) as server:
        tab = Page(browser, server.url)
        try:
            page = tab.goto("/search?q=tag%3APGOV+iran")
            page.screenshot(path=str(out / "search.png"))
            page.set_viewport_size({"width": 1280, "height": 1400})
            page = tab.goto(f"/cables/{SEED_ID}")
            page.screenshot(path=str(out / "cable.png"))
            assert tab.errors == []
        finally:
            tab.close()
    for name in ("search.png", "cable.png"):
        assert (out / name).stat().st_size > 20_000
