"""Several servers on one PostgreSQL database: the access store (users, tokens, sessions,
the anonymous policy, the audit log) lives in the archive's database, with the interface
and tables of the SQLite access file; two ``cablegram serve`` processes on two ports share
logins, see each other's ingests and write one audit log.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
import pytest

import pg
from cablegram.access.db import AccessDB, access_path
from cablegram.archive import Archive
from cablegram.model import Cable, Origin, Paragraph
from conftest import BAKU_MD, make_tar, read_pages

pg_server = pg.pg_server
pg_url = pg.pg_url

PASSWORD = "correct horse battery staple"


def _archive(url: str, pages: int = 20, tmp: Path | None = None) -> None:
    assert tmp is not None
    tar = make_tar(tmp / "pages.tar.gz", read_pages(pages), "w:gz")
    with Archive(url) as arc:
        assert arc.ingest([tar, BAKU_MD], workers=0).ok


@pytest.fixture(params=["sqlite", "postgres"])
def access(request, tmp_path, pg_server):
    """An access store on each backend (a PostgreSQL one in an archive's database)."""
    if request.param == "sqlite":
        acc = AccessDB(tmp_path / "x.access.db")
        yield acc
        acc.close()
        return
    url = pg_server.create_database()
    Archive(url).close()
    acc = AccessDB(access_path(url))
    yield acc
    acc.close()
    pg_server.drop_database(url)


def test_access_store_on_both_backends(access):
    assert access.policy() == "U" and access.anonymous().level == 0
    alice = access.add_user("alice", clearance="S", caveats=["NOFORN"], password=PASSWORD)
    assert (alice.name, alice.clearance, alice.caveats, alice.admin) == (
        "alice", "S", ["NOFORN"], False)  # fmt: skip
    with pytest.raises(ValueError, match="already"):
        access.add_user("alice")
    access.add_user("bob", admin=True)
    assert [u.name for u in access.users()] == ["alice", "bob"]
    assert access.authenticate("alice", PASSWORD).name == "alice"
    assert access.authenticate("alice", "wrong") is None
    assert access.authenticate("nobody", PASSWORD) is None
    secret, info = access.new_token("alice", label="laptop")
    secret2, info2 = access.new_token("alice", days=None)
    assert info2.token_id > info.token_id > 0
    assert [t.token_id for t in access.tokens("alice")] == [info.token_id, info2.token_id]
    assert access.token_reader(secret).name == "alice"
    assert access.revoke_token(info.token_id) and not access.revoke_token(info.token_id)
    assert access.token_reader(secret) is None and access.token_reader(secret2) is not None
    s = access.new_session("alice", timedelta(hours=1))
    reader, sess = access.session(s.id)
    assert reader.name == "alice" and sess.csrf == s.csrf
    assert access.session(access.new_session("alice", timedelta(seconds=-1)).id) is None
    access.set_password("alice", PASSWORD + "!")  # ends her sessions
    assert access.session(s.id) is None
    assert access.set_policy("anonymous", "c") == "C" and access.policy() == "C"
    assert access.set_policy("anonymous", "none") == "none"
    access.audit(reader, "search", "", "gas", 3, "10.0.0.1")
    access.audit(reader, "read", "09BAKU433", "", 1)
    got = [(e.principal, e.action, e.target, e.query, e.result) for e in access.audit_entries()]
    assert got == [("alice", "search", "", "gas", 3), ("alice", "read", "09BAKU433", "", 1)]
    for sql in ("UPDATE audit SET principal = 'x'", "DELETE FROM audit"):
        with pytest.raises(Exception, match="append-only"):
            access._q(sql)
    assert access.remove_user("alice") and not access.remove_user("alice")
    assert access.tokens("alice") == [] and access.token_reader(secret2) is None


def test_audit_retention_writer_and_keys_on_both_backends(access):
    """Issue 21's parts of the access store: entries older than the retention can be
    pruned and nothing else deleted, the audit writer thread writes to either backend,
    server secrets are kept (one value per name)."""
    reader = access.anonymous()
    old_at = "2001-01-01T00:00:00.000000Z"
    access._q(
        "INSERT INTO audit (at, principal, via, action, target, query, result, client) "
        "VALUES (?, '', 'anonymous', 'read', 'OLD', '', 1, '')",
        (old_at,),
    )
    access.audit(reader, "read", "NEW", "", 1)
    access.flush_audit()  # (the writer prunes after its first batch: before the policy)
    assert access.prune_audit() == 0  # retention 0: keep all
    assert access.set_policy("audit-retention-days", "30") == "30"
    assert access.prune_audit() == 1
    assert [e.target for e in access.audit_entries()] == ["NEW"]
    with pytest.raises(Exception, match="append-only"):
        access._q("DELETE FROM audit")  # a recent entry stays
    assert access.audit_health()["ok"] and access.audit_health()["written"] >= 1
    key = access.secret("csrf")
    assert len(key) == 32 and access.secret("csrf") == key and access.secret("other") != key


def test_migration_versions_are_unique():
    """Two branches numbering a migration alike make a fresh database fail (the second
    file's version is recorded twice) or an upgraded one skip a file."""
    from cablegram.store.postgres import migrations

    versions = [v for v, _name, _sql in migrations()]
    assert len(versions) == len(set(versions)), versions
    assert versions == sorted(versions)


def test_access_path_of_a_postgres_archive(pg_url):
    assert access_path(pg_url) == pg_url
    assert access_path("/data/cables.db") == "/data/cables.access.db"
    with pytest.raises(FileNotFoundError):
        AccessDB(pg_url)  # no archive there yet


# ----------------------------------------------------------------- two servers, one database


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(url: str, port: int, log: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "cablegram", "serve", "--db", url, "--host", "127.0.0.1",
           "--port", str(port)]  # fmt: skip
    return subprocess.Popen(cmd, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})  # fmt: skip


def _wait(base: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {log.read_text()}")
        try:
            if httpx.get(base + "/api/stats", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"server did not start: {log.read_text()}")


def _login(client: httpx.Client, name: str, password: str) -> httpx.Response:
    form = client.get("/login")
    csrf = re.findall(r'name="csrf" value="([^"]+)"', form.text)[-1]
    return client.post("/login", data={"name": name, "password": password, "csrf": csrf,
                                       "next": "/"})  # fmt: skip


def _total(client: httpx.Client, q: str) -> int:
    r = client.get("/api/search", params={"q": q})
    assert r.status_code == 200, r.text
    return r.json()["total"]


def _until(check, timeout: float = 15) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.2)
    return check()


def test_two_servers_on_one_database(pg_server, tmp_path):
    url = pg_server.create_database()
    procs: list[subprocess.Popen] = []
    try:
        _archive(url, tmp=tmp_path)
        with AccessDB(url) as acc:
            acc.add_user("carol", clearance="TS", caveats=["NOFORN"], password=PASSWORD)
            token, _ = acc.new_token("carol")
        ports = [_free_port(), _free_port()]
        for i, port in enumerate(ports):
            procs.append(_serve(url, port, tmp_path / f"server{i}.log"))
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        for base, proc, i in zip(bases, procs, range(2), strict=True):
            _wait(base, proc, tmp_path / f"server{i}.log")
        one, two = (httpx.Client(base_url=b, follow_redirects=False, timeout=30) for b in bases)

        # A login through one server is a login on the other (the session is in the database).
        assert _login(one, "carol", PASSWORD).status_code == 303
        cookie = one.cookies.get("cablegram_session")
        assert cookie
        me = two.get("/api/me", cookies={"cablegram_session": cookie}).json()
        assert me["name"] == "carol" and me["via"] == "session"
        assert two.get("/api/me").json()["via"] == "anonymous"
        # ... and so is a token made by another process.
        for c in (one, two):
            r = c.get("/api/me", headers={"Authorization": f"Bearer {token}"})
            assert r.json()["name"] == "carol"

        # An ingest (here: from a third process) is seen by searches on both servers, though
        # both have just answered (and remembered) the same query.
        word = "zanzibarite"
        assert _total(one, word) == _total(two, word) == 0
        cable = Cable(id="10NEWPOST77", origin=Origin(code="NEWPOST", name="Embassy Newpost"),
                      dtg="2010-02-03T10:00:00Z", classification="UNCLASSIFIED",
                      subject=f"{word} deposits",
                      paragraphs=[Paragraph(number=1, text=f"The {word} mine opened.")])  # fmt: skip
        with Archive(url, create=False) as arc:
            assert arc.store.add(cable) == "new"
        assert _until(lambda: _total(one, word) == 1 and _total(two, word) == 1)
        assert one.get("/api/cables/10NEWPOST77").status_code == 200
        assert two.get("/api/cables/10NEWPOST77").status_code == 200
        # (``one`` holds carol's session: anonymous readers ask afresh)
        stats = [httpx.get(b + "/api/stats").json() for b in bases]
        assert stats[0] == stats[1] and stats[0]["cables"] > 1

        # One audit log gets the reads of both servers.
        one.get("/api/search", params={"q": "audit-from-one"})
        two.get("/api/search", params={"q": "audit-from-two"})
        two.get("/api/cables/10NEWPOST77", headers={"Authorization": f"Bearer {token}"})
        with AccessDB(url) as acc:
            entries = list(acc.audit_entries())
        queries = {e.query for e in entries if e.action == "search"}
        assert {"audit-from-one", "audit-from-two", word} <= queries
        assert any(e.action == "login" and e.principal == "carol" for e in entries)
        assert any(e.action == "read" and e.principal == "carol" and e.target == "10NEWPOST77"
                   for e in entries)  # fmt: skip
        # Nothing was written next to the servers: no access file in their folder.
        assert not Path("cablegram.access.db").exists()
        with psycopg.connect(url) as c:
            assert c.execute("SELECT count(*) FROM audit").fetchone()[0] == len(entries)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        pg_server.drop_database(url)
