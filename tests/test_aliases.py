"""WikiLeaks' own ids (malformed ones included) and file-name ids resolve everywhere: the
Python API, id:/ref: queries on SQLite and PostgreSQL, the HTTP API, the CLI and the web
cable URL (issue 15, point 3)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import pg
import web_fixtures
from cablegram import parse
from cablegram.archive import Archive
from cablegram.cli import main
from cablegram.model import Reference
from conftest import make_tar, read_pages

api_client = web_fixtures.api_client
web_client = web_fixtures.web_client
web_db = web_fixtures.web_db
pg_server = pg.pg_server

# Published ids the cablegate pages carry in their table, and the cables' true ids.
PUBLISHED = {
    "09EFTOLONDON2239": "09LONDON2239",
    "09SECTION02OF03QRIPOLI583": "09TRIPOLI583",
}


@pytest.fixture(scope="module")
def alias_pages() -> list[tuple[str, bytes]]:
    want = {f"{k}.html" for k in PUBLISHED}
    pages = [(n, d) for n, d in read_pages() if n.rsplit("/", 1)[-1] in want]
    assert len(pages) == len(PUBLISHED)
    return pages


def test_the_parser_keeps_the_published_id_as_an_alias(alias_pages):
    for name, data in alias_pages:
        c = parse(data)
        published = name.rsplit("/", 1)[-1].removesuffix(".html")
        assert c.id == PUBLISHED[published]
        assert published in c.aliases


def test_archive_get_and_queries_resolve_aliases(full_archive: Archive):
    for published, true in PUBLISHED.items():
        assert full_archive.resolve(published) == true
        c = full_archive.get(published.lower())
        assert c is not None and c.id == true
        assert [h.id for h in full_archive.search(f"id:{published}").hits] == [true]
    assert full_archive.get("09NOSUCHPOST1") is None
    assert full_archive.search("id:09NOSUCHPOST1").hits == []


def test_aliases_on_postgres(pg_server, alias_pages, tmp_path):
    url = pg_server.create_database()
    try:
        with Archive(url) as arc:
            assert arc.ingest([make_tar(tmp_path / "a.tar", alias_pages)], workers=0).ok
            for published, true in PUBLISHED.items():
                c = arc.get(published)
                assert c is not None and c.id == true
                assert [h.id for h in arc.search(f"id:{published}").hits] == [true]
            # ref: a cable citing the published id finds the cable it names
            citing = parse(alias_pages[0][1])
            citing.id, citing.aliases = "09TESTCITING1", []
            citing.references[:0] = [Reference("09EFTOLONDON2239")]
            arc.store.add(citing)
            hits = [h.id for h in arc.search("ref:09EFTOLONDON2239").hits]
            assert "09TESTCITING1" in hits
    finally:
        pg_server.drop_database(url)


def test_ref_query_resolves_an_alias_on_sqlite(tmp_path, alias_pages):
    with Archive(tmp_path / "a.db") as arc:
        assert arc.ingest([make_tar(tmp_path / "a.tar", alias_pages)], workers=0).ok
        citing = parse(alias_pages[0][1])
        citing.id, citing.aliases = "09TESTCITING1", []
        citing.references[:0] = [Reference("09LONDON2239")]
        arc.store.add(citing)
        assert "09TESTCITING1" in [h.id for h in arc.search("ref:09EFTOLONDON2239").hits]


def test_http_api_resolves_an_alias(api_client):
    r = api_client.get("/api/cables/09EFTOLONDON2239")
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == "09LONDON2239" and "09EFTOLONDON2239" in body["aliases"]
    r = api_client.get("/api/search", params={"q": "id:09EFTOLONDON2239"})
    assert [h["id"] for h in r.json()["hits"]] == ["09LONDON2239"]


def test_cli_show_resolves_an_alias(full_db):
    out = CliRunner().invoke(main, ["show", "09EFTOLONDON2239", "--db", str(full_db), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["id"] == "09LONDON2239"


def test_web_cable_url_of_an_alias_redirects_and_shows_it(web_client):
    r = web_client.get("/cables/09EFTOLONDON2239", follow_redirects=False)
    assert r.status_code in (301, 302, 303, 307, 308)
    assert r.headers["location"].endswith("/cables/09LONDON2239")
    page = web_client.get("/cables/09LONDON2239").text
    assert "Also published as" in page and "09EFTOLONDON2239" in page


def test_an_id_from_the_file_name(tmp_path):
    text = b"Some notes on the meeting.\n\n1. (C) The minister said little.\n"
    c = parse(text, name="cable/2009/06/09BAKU433.html")
    assert c.id == "09BAKU433" and "id-from-name" in c.defect_codes()
    assert parse(text).id == ""
    # Through ingest: the file takes its name's id instead of failing "no reference id".
    f = tmp_path / "09BAKU433.txt"
    f.write_bytes(text)
    with Archive(tmp_path / "a.db") as arc:
        report = arc.ingest([f], workers=0)
        assert report.ok and arc.get("09BAKU433") is not None
    # A name that differs from the text's id is an alias.
    page = dict(read_pages(40))
    name, data = next(iter(page.items()))
    c = parse(data, name="renamed/09ELSEWHERE1.html")
    assert "09ELSEWHERE1" in c.aliases and c.id != "09ELSEWHERE1"


def test_display_title_is_withheld_with_the_subject():
    from cablegram.access.rules import WITHHELD, redact
    from cablegram.search import Visibility

    c = parse(
        "S E C R E T BAKU 000433\n\nSUBJECT: (S) GOAJ WANTS A NATO NAVAL BASE\n\n1. (S) Text.\n\n"
        "2. (U) Open text.\n"
    )
    assert c.title == "GOAJ Wants a NATO Naval Base"
    shown = redact(c, Visibility(0)).cable
    assert shown.subject == WITHHELD and shown.title == WITHHELD
    assert redact(c, Visibility(4)).cable.title == c.title


def test_web_shows_the_display_title(web_client):
    page = web_client.get("/cables/09BAKU433").text
    assert "Azerbaijani Defense Minister: Seeking Strong" in page
    hits = web_client.get("/search", params={"q": "id:09BAKU433"}).text
    assert "Azerbaijani Defense Minister: Seeking Strong" in hits
