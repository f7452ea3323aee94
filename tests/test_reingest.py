"""Re-ingesting an archive made by the parser before issue 15 (commit 5a65d17, the archive
in tests/data built from six dev pages by that commit's ``cablegram ingest``) with
``--force``: changed records become new versions, the old parses stay as superseded
versions, no cable is duplicated, and a second run changes nothing."""

from __future__ import annotations

import lzma
import shutil
from pathlib import Path

import pg
from cablegram import parse
from cablegram.archive import Archive
from cablegram.parser.pages import PAGE_HEADER_ANYWHERE
from conftest import make_tar, read_pages

pg_server = pg.pg_server

OLD = Path(__file__).parent / "data" / "archive_5a65d17.db.xz"
IDS = {"09BAKU687", "00HARARE6677", "09LONDON2239", "06REYKJAVIK40", "09STATE63860", "06SANJOSE707"}


def test_force_reingest_of_an_archive_made_before_keeps_old_parses(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with lzma.open(OLD) as src, open(db, "wb") as dst:
        shutil.copyfileobj(src, dst)
    want = {"09BAKU687", "00HARARE6677", "09EFTOLONDON2239", "06REYKJAVIK40", "09STATE63860",
            "06SANJOSE707"}  # fmt: skip
    pages = [(n, d) for n, d in read_pages() if n.rsplit("/", 1)[-1][:-5] in want]
    tar = make_tar(tmp_path / "pages.tar", pages)
    with Archive(db) as arc:
        assert {c.id for c in arc} == IDS
        before = {cid: arc.get(cid) for cid in IDS}
        assert all(len(arc.versions(cid)) == 1 for cid in IDS)
        # Without --force the stored contents are known: nothing is parsed again.
        assert arc.ingest([tar], workers=0).unchanged == len(pages)
        fresh = {(c := parse(d, name=n)).id: c for n, d in pages}
        report = arc.ingest([tar], workers=0, force=True)
        assert report.ok and report.updated == len(pages)
        assert {c.id for c in arc} == IDS  # no duplicate cable
        for cid in IDS:
            versions = arc.versions(cid)
            assert len(versions) == 2, cid  # every record changed (display title, at least)
            old, new = versions
            assert old.content_hash.startswith(new.content_hash + "~") and new.shown
            assert arc.version(cid, 1).to_dict() == before[cid].to_dict()  # the old parse
            assert arc.get(cid).to_dict() == fresh[cid].to_dict()  # the new parse is shown
        # What changed for readers: page headers out, distribution codes no addressees.
        baku = arc.get("09BAKU687")
        assert PAGE_HEADER_ANYWHERE.search(baku.text()) is None
        assert PAGE_HEADER_ANYWHERE.search(before["09BAKU687"].text()) is not None
        harare = arc.get("00HARARE6677")
        assert not any("-00" in a.name for a in harare.info)
        assert any("-00" in a.name for a in before["00HARARE6677"].info)
        # The published malformed id resolves in the re-parsed archive.
        assert arc.get("09EFTOLONDON2239").id == "09LONDON2239"
        assert [h.id for h in arc.search("id:09EFTOLONDON2239").hits] == ["09LONDON2239"]
        # Again: the same parse, nothing new.
        again = arc.ingest([tar], workers=0, force=True)
        assert again.ok and again.unchanged == len(pages)
        assert all(len(arc.versions(cid)) == 2 for cid in IDS)
        assert len(list(arc)) == len(IDS)


def test_force_reingest_keeps_the_old_parse_on_postgres(pg_server, tmp_path: Path) -> None:
    # A version stored under a page's content hash with another parse (as an older parser
    # wrote it), then the page ingested again with --force.
    import hashlib

    name, data = next((n, d) for n, d in read_pages() if n.endswith("/09EFTOLONDON2239.html"))
    tar = make_tar(tmp_path / "p.tar", [(name, data)])
    url = pg_server.create_database()
    try:
        with Archive(url) as arc:
            old = parse(data)
            old.id, old.aliases, old.title = "09EFTOLONDON2239", [], ""  # the old id and record
            arc.store.add(old, content_hash=hashlib.sha256(data).hexdigest(), source=str(tar),
                          member=name)  # fmt: skip
            assert [c.id for c in arc] == ["09EFTOLONDON2239"]
            report = arc.ingest([tar], workers=0, force=True)
            assert report.ok and report.updated == 1
            assert [c.id for c in arc] == ["09LONDON2239"]  # moved, not duplicated
            versions = arc.versions("09LONDON2239")
            assert len(versions) == 2 and versions[1].shown
            assert arc.version("09LONDON2239", 1).title == ""  # the old parse, kept
            assert arc.get("09EFTOLONDON2239").id == "09LONDON2239"
            again = arc.ingest([tar], workers=0, force=True)
            assert again.unchanged == 1 and len(arc.versions("09LONDON2239")) == 2
    finally:
        pg_server.drop_database(url)
