"""Headless Chromium on a real server: a redacted cable for an anonymous reader, the login
form, the same cable with the portions a SECRET//NOFORN reader may see, and logout.

The screenshot of the redacted cable goes to ``$CABLEGRAM_SCREENSHOTS/redacted.png`` when
that is set (``docs/screenshots``), else to a temporary folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import test_access
from test_access import MIXED_ID, PASSWORD
from test_browser import Page, browser  # noqa: F401 - the fixture
from web_fixtures import LiveServer

acc_db = test_access.acc_db


@pytest.fixture(scope="module")
def server(acc_db, tmp_path_factory):
    from cablegram.access import AccessDB

    access = tmp_path_factory.mktemp("browser-access") / "b.access.db"
    with AccessDB(access) as acc:
        acc.add_user("reviewer", clearance="S", caveats=["NOFORN"], password=PASSWORD)
    with LiveServer(acc_db, access) as s:
        yield s


def test_login_and_redacted_cable(browser, server, tmp_path):  # noqa: F811
    out = Path(os.environ.get("CABLEGRAM_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    tab = Page(browser, server.url)
    try:
        page = tab.goto(f"/cables/{MIXED_ID}")
        withheld = page.locator(".para-withheld")
        assert withheld.count() >= 3
        first = withheld.first.inner_text()
        assert "withheld" in first.lower() and re.search(r"\b(C|S|S//NF|C//NF)\b", first), first
        text = page.inner_text("body").lower()
        assert "zircotron" not in text and "quaxelbar" not in text and "plumbago" in text
        assert "subject withheld" in text
        page.set_viewport_size({"width": 1280, "height": 1500})
        page.locator("#p2").scroll_into_view_if_needed()
        page.screenshot(path=str(out / "redacted.png"))
        # log in through the form
        page.click("a.nav-login")
        page.fill("#name", "reviewer")
        page.fill("#password", "wrong")
        page.click("form.login-form button")
        assert "Wrong user name or password" in page.inner_text("body")
        page.fill("#password", PASSWORD)
        page.click("form.login-form button")
        page.wait_for_load_state()
        page = tab.goto(f"/cables/{MIXED_ID}")
        text = page.inner_text("body")
        assert "Zircotron" in text and "Quaxelbar" in text and "reviewer" in text
        cookies = {c["name"]: c for c in tab.context.cookies()}
        s = cookies["cablegram_session"]
        assert s["httpOnly"] and s["sameSite"] == "Lax"
        page.click("form.nav-user button")
        page.wait_for_load_state()
        page = tab.goto(f"/cables/{MIXED_ID}")
        assert "Zircotron" not in page.inner_text("body")
        # the one error: the 401 of the wrong password (no CSP violation, no script error)
        assert [e for e in tab.errors if "401" not in e] == [] and len(tab.errors) == 1
    finally:
        tab.close()
    assert (out / "redacted.png").stat().st_size > 20_000
