"""The web pages (TestClient): search, cable, diff, stats; escaping of hostile cable text;
the decoding helpers; ``cablegram serve``."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from datetime import date
from html.parser import HTMLParser
from urllib.parse import urlencode

import httpx
import pytest
from markupsafe import escape

import web_fixtures
from cablegram import present
from cablegram.model import Addressee, Cable, Paragraph
from cablegram.web import charts
from cablegram.web.urls import add_filter, has_filter, remove_filter
from web_fixtures import CITING_ID, EVIL_ID, IMG, SCRIPT, SEED_ID

# Fixtures shared with the other web test modules.
api_client = web_fixtures.api_client
web_client = web_fixtures.web_client
web_db = web_fixtures.web_db


def page(client, url: str, status: int = 200) -> str:
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    check_markup(r.text)
    return r.text


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def check_markup(html: str) -> None:
    """The elements of a page, as a browser parses them: the only script is our static
    file, no element has an event handler or inline style, no image or frame comes from
    cable text."""
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.elements:
        if tag == "script":
            assert (attrs.get("src") or "").startswith("/static/app.js"), attrs
        assert tag not in ("img", "iframe", "object", "embed", "style", "base"), tag
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        assert "style" not in attrs, (tag, attrs)
        for key in ("href", "src", "action"):
            assert not (attrs.get(key) or "").lower().startswith("javascript:"), attrs


# ----------------------------------------------------------------------------- search


def test_home_page(api_client):
    html = page(api_client, "/")
    assert "Search 2,679 diplomatic cables" in html
    assert '<svg class="chart histogram"' in html and 'href="/search?q=year%3A2009"' in html
    assert "Query syntax" in html and 'href="/search?q=tag%3APGOV+iran"' in html


def test_search_page(api_client, full_archive):
    html = page(api_client, "/search?q=tag:PGOV+iran")
    total = full_archive.search("tag:PGOV iran", per_page=1).total
    assert f"<strong>{total:,}</strong> cables" in html
    assert html.count('<li class="hit">') == 20
    assert "<mark>Iran</mark>" in html or "<mark>iran</mark>" in html
    # the active filter, removable; facet values that add a filter
    assert 'href="/search?q=iran" title="Remove this filter"' in html
    assert 'href="/search?q=tag%3APGOV+iran+origin%3ALONDON"' in html
    assert 'href="/search?q=tag%3APGOV+iran+class%3AS"' in html
    # sort, pages and the histogram keep the query
    assert 'href="/search?q=tag%3APGOV+iran&amp;sort=date"' in html
    assert 'href="/search?q=tag%3APGOV+iran&amp;page=2"' in html
    assert '<svg class="chart histogram"' in html and "q=tag%3APGOV+iran+" in html
    assert 'href="/api/export?q=tag%3APGOV+iran&amp;format=csv"' in html


def test_search_page_state_in_url(api_client):
    html = page(api_client, "/search?q=tag:PGOV&sort=date-asc&page=3")
    assert "page 3 of" in html and '<strong aria-current="true">Oldest</strong>' in html
    assert 'href="/search?q=tag%3APGOV&amp;sort=date-asc&amp;page=4"' in html
    # lenient with hand-made URLs: bad page and sort fall back, past the end -> last page
    assert "page 1 of" in page(api_client, "/search?q=tag:PGOV&page=x&sort=nope")
    last = page(api_client, "/search?q=tag:PGOV&page=400")
    assert re.search(r"page (\d+) of \1<", last)


def test_search_page_bad_query(api_client):
    html = page(api_client, "/search?q=tag%3A+iran", status=400)
    assert "The query is not valid" in html and "tag: needs a value" in html
    assert '<pre class="pointer">tag: iran\n    ^ ' in html
    assert 'value="tag: iran"' in html


def test_search_page_no_results(api_client):
    html = page(api_client, "/search?q=zzzyyyxxxqqq")
    assert "No cable matches" in html and "<strong>0</strong> cables" in html


# ------------------------------------------------------------------------------ cable


def test_cable_page_decodes_the_header(api_client):
    html = page(api_client, f"/cables/{SEED_ID}")
    for text in [
        "1 June 2009, 03:35 UTC",
        "010335Z JUN 09",
        "<strong>IMMEDIATE</strong>",
        "Embassy Baku",
        "RUEHKB",
        "Secretary of State",
        "Embassy Ankara",
        "DIA Washington DC",
        "foreign government information",
        "foreign relations or foreign activities of the United States",
        "24 May 2019",
        "status-passed",
        "E.O. 12958",
        "Internal Governmental Affairs",
        "Azerbaijan",
        "Anne E. Derse",
        "CONFIDENTIAL // SIPDIS",
    ]:
        assert text in html, text
    assert 'class="badge lvl-c" title="CONFIDENTIAL">C</span>' in html
    assert 'class="callout callout-summary"' not in html  # the summary paragraph is marked
    assert "para para-comment" in html and "para para-summary" in html
    assert "SEEKING NATO STANDARDS" in html  # a heading
    assert "Septels report General Craddock" in html
    assert '<details class="raw">' in html and "VZCZCXRO6958" in html
    assert f'href="/api/cables/{SEED_ID}"' in html
    assert 'href="/search?q=tag%3APGOV"' in html


def test_cable_page_references_and_cited_by(web_client):
    html = page(web_client, f"/cables/{EVIL_ID}")
    assert f'<a class="cable-id" href="/cables/{SEED_ID}">{SEED_ID}</a>' in html
    assert '<span class="cable-id missing">08STATE1</span>' in html and "not in archive" in html
    assert f'href="/cables/{CITING_ID}"' in html  # cited by
    seed = page(web_client, f"/cables/{SEED_ID}")
    assert f'href="/cables/{EVIL_ID}"' in seed


def test_cable_page_versions(web_client):
    html = page(web_client, f"/cables/{SEED_ID}")
    assert 'href="/cables/09BAKU433/diff"' in html and "Versions <span" in html
    v2 = page(web_client, f"/cables/{SEED_ID}?v=2")
    assert "You are reading version 2" in v2 and "His talking points coincided" not in v2
    page(web_client, f"/cables/{SEED_ID}?v=7", status=404)


def test_cable_urls(api_client):
    r = api_client.get("/cables/09baku433")
    assert r.status_code == 301 and r.headers["location"] == "/cables/09BAKU433"
    html = page(api_client, "/cables/99NOWHERE1", status=404)
    assert "There is no cable 99NOWHERE1" in html
    page(api_client, "/nowhere", status=404)


def test_diff_page(web_client, api_client):
    html = page(web_client, f"/cables/{SEED_ID}/diff")
    assert "Compare versions" in html and ('class="d-del"' in html or 'class="d-add"' in html)
    assert "His talking points coincided almost exactly" in html
    assert "<code>paragraphs" not in html  # text fields go to the text diff
    assert "<code>summary</code>" in html
    html = page(web_client, f"/cables/{SEED_ID}/diff?a=2&b=1")
    assert '<option value="2" selected>' in html
    page(web_client, f"/cables/{SEED_ID}/diff?a=9", status=404)
    assert "single version" in page(api_client, f"/cables/{SEED_ID}/diff")
    page(api_client, "/cables/99NOWHERE1/diff", status=404)


def test_stats_page(api_client, full_archive):
    html = page(api_client, "/stats")
    st = full_archive.stats()
    assert f"<strong>{st['cables']:,}</strong> cables" in html
    assert html.count("<svg") >= 4
    assert 'href="/search?q=year%3A2009"' in html
    assert 'href="/search?q=origin%3A%22Embassy+San+Jose%22"' in html
    assert 'href="/search?q=tag%3APREL"' in html and "External Political Relations" in html
    assert 'href="/search?q=class%3AS"' in html


def test_static_files(api_client):
    css = api_client.get("/static/style.css")
    assert css.status_code == 200 and "--lvl-s" in css.text
    js = api_client.get("/static/app.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert api_client.get("/favicon.ico").status_code == 301


# ------------------------------------------------------------------- hostile cable text


def test_hostile_cable_text_is_escaped(web_client):
    html = page(web_client, f"/cables/{EVIL_ID}")
    assert SCRIPT not in html and "<img" not in html and "<b>BOLD" not in html
    assert escape(SCRIPT) in html and escape(IMG) in html
    assert "&lt;b&gt;BOLD&lt;/b&gt; CLAIMS &amp; &lt;i&gt;MARKUP&lt;/i&gt;" in html


def test_hostile_text_in_snippets_and_queries(web_client):
    html = page(web_client, "/search?q=injected+window")
    assert EVIL_ID in html and "<script>window" not in html and "<img" not in html
    assert "&lt;script&gt;<mark>window</mark>" in html
    q = '"><script>alert(1)</script>'
    html = page(web_client, "/search?" + urlencode({"q": q}), status=400)  # unclosed quote
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    html = page(web_client, "/search?" + urlencode({"q": "<script>alert(1)</script>"}))
    assert "<script>alert" not in html and 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    html = page(web_client, "/search?q=tag%3A%3Cscript%3E")
    assert "<script>" not in html.replace('<script src="/static/app.js', "")


# ---------------------------------------------------------------- decoding (unit tests)


def test_dates_in_words():
    assert present.dtg_words("2009-06-01T03:35:00Z") == "1 June 2009, 03:35 UTC"
    assert present.dtg_telegraphic("2009-06-01T03:35:00Z") == "010335Z JUN 09"
    assert present.date_words("1975-12-09") == "9 December 1975"
    assert present.dtg_words(None) == present.dtg_words("garbage") == ""


def test_declassification():
    today = date(2024, 1, 1)
    passed = present.declassification(Cable(declassify_on="2019-05-24"), today)
    assert (passed.text, passed.status) == ("24 May 2019", "passed") and "4 years" in passed.note
    pending = present.declassification(Cable(declassify_on="2034-01-01"), today)
    assert pending.status == "pending" and "10 years" in pending.note
    oadr = present.declassification(Cable(declassify_on="OADR"), today)
    assert oadr.status == "unknown" and "Originating Agency" in oadr.meaning
    twenty = present.declassification(
        Cable(declassify_on="TWENTY YEARS", dtg="1999-03-02T10:00:00Z"), today
    )
    assert twenty.status == "passed" and "twenty years" in twenty.meaning
    x1 = present.declassification(Cable(declassify_on="1.6X1"), today)
    assert "exempt" in x1.meaning
    assert present.declassification(Cable(), today) is None


def test_addressees_and_markings():
    a = present.addressee_view(Addressee("RUEHC", "SECSTATE WASHDC", "IMMEDIATE", "1280"))
    assert (a.name, a.routing_name, a.precedence) == (
        "Secretary of State", "DEPT OF STATE WASHINGTON DC", "IMMEDIATE"
    )  # fmt: skip
    assert present.addressee_view(Addressee("RUEKDIA", "DIA WASHDC")).name == "DIA Washington DC"
    m = present.marking_view("S/NF")
    assert (m.css, m.title) == ("lvl-s", "SECRET, NOFORN")
    assert present.marking_view("SBU").css == "lvl-sbu"
    assert present.marking_view("??").css == "lvl-none"


def test_summary_and_comment_blocks():
    c = Cable(
        summary="The minister said many things about many matters of state today.",
        paragraphs=[
            Paragraph(1, "C", "", "SUMMARY: The minister said many things. END SUMMARY."),
            Paragraph(2, "C", "TALKS", "Body."),
            Paragraph(3, "C", "TALKS", "COMMENT: First part."),
            Paragraph(4, "S", "", "Second part. END COMMENT."),
            Paragraph(5, "U", "", "After."),
        ],
    )
    kinds = [p.kind for p in present.paragraphs_view(c)]
    assert kinds == ["summary", "", "comment", "comment", ""]
    heads = [p.heading for p in present.paragraphs_view(c)]
    assert heads == ["", "TALKS", "", "", ""]


def test_filters_toggle():
    q = "iran tag:PGOV"
    assert has_filter(q, "tag:PGOV") and has_filter(q, "TAG:pgov")
    assert not has_filter("tag:PGOVX", "tag:PGOV")
    assert add_filter("iran", "tag:PGOV") == q and remove_filter(q, "tag:PGOV") == "iran"


def test_charts_escape_and_fill_gaps():
    unit, bars = charts.time_buckets([("2009-01", 3), ("2009-04", 1)])
    assert unit == "month" and [b.count for b in bars] == [3, 0, 0, 1]
    unit, bars = charts.time_buckets([("1990-01", 1), ("2009-04", 2)])
    assert unit == "year" and len(bars) == 20 and bars[0].key == "1990"
    svg = str(charts.histogram([charts.Bar("<x>", 1, href='/s?q="a"&b')]))
    assert "<x>" not in svg and "&lt;x&gt;" in svg and 'href="/s?q=&quot;a&quot;&amp;b"' in svg
    svg = str(charts.hbars([charts.Row("<b>", 2, sub="&")]))
    assert "<b>" not in svg and "&amp;" in svg
    assert str(charts.histogram([])) == ""


# --------------------------------------------------------------------------------- serve


def _children(pid: int) -> set[int]:
    out: set[int] = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as fh:
            out |= {int(x) for x in fh.read().split()}
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_command_prints_the_url_and_serves(full_db, workers):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = (
        "import sys; from cablegram.cli.serve import serve_command; "
        "sys.exit(serve_command(sys.argv[1:]))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--db", str(full_db), "--port", str(port),
         "--workers", str(workers)],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        line = proc.stderr.readline()
        assert f"http://127.0.0.1:{port}/" in line
        deadline = time.monotonic() + 20
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/stats", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.1)
        assert r.status_code == 200 and r.json()["cables"] > 0
        hits = httpx.get(f"http://127.0.0.1:{port}/api/search", params={"q": "baku"}, timeout=20)
        assert hits.status_code == 200 and hits.json()["total"] > 0
        bad = httpx.get(f"http://127.0.0.1:{port}/api/search", params={"q": "(baku"}, timeout=20)
        assert bad.status_code == 400 and bad.json()["position"] == 0
        # Above one worker, searches run on that many processes of their own.
        children = _children(proc.pid)
        assert len(children) >= (workers if workers > 1 else 0)
    finally:
        proc.terminate()
        proc.wait(20)
    # Stopped with the server (the spawn context's resource tracker may take a moment).
    deadline = time.monotonic() + 15
    while [pid for pid in children if _alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if _alive(pid)]


def test_serve_without_a_database(tmp_path):
    from click.testing import CliRunner

    from cablegram.cli.serve import serve_command
    from cablegram.serve import serve, url_of

    r = CliRunner().invoke(serve_command, ["--db", str(tmp_path / "none.db")])
    assert r.exit_code == 1 and "no database at" in r.output
    with pytest.raises(FileNotFoundError):
        serve(tmp_path / "none.db")
    assert url_of("0.0.0.0", 8000) == "http://127.0.0.1:8000/"
    assert url_of("::1", 80) == "http://[::1]:80/"


@pytest.mark.parametrize("args", [["--workers", "2", "--unique"], ["--client", "httpx"]])
def test_load_bench_small(full_db, args):
    """bench/serve.py, sized small: a real server under concurrent searches, no errors."""
    import json
    from pathlib import Path

    bench = Path(__file__).resolve().parents[1] / "bench" / "serve.py"
    out = subprocess.run(
        [sys.executable, str(bench), "--db", str(full_db), "--clients", "5", "--requests",
         "150", "--warmup", "10", "--json", *args],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout[out.stdout.index("{") :])
    assert res["errors"] == 0 and res["statuses"] == {"200": res["requests"]}
    assert res["requests"] == 150 and res["cables"] > 0 and res["p95_ms"] > 0
    if "--unique" in args:
        assert res["distinct_requests"] == 150
