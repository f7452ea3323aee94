"""Clearance-aware access (issue 6), adversarially: for each clearance and caveat set, a
term that occurs only in portions the reader may not see must not come out of any path —
search hits and ranking, snippets, facets, stats, records, text, versions, diffs, exports,
entities, graphs, the JSON API, the web pages. Against the real sample corpus plus crafted
cables with mixed portion markings.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import warnings
from datetime import date, timedelta
from pathlib import Path

import pytest

from cablegram.access import AccessDB, Reader, allows, redact
from cablegram.access.declass import declass_date
from cablegram.archive import Archive
from conftest import BAKU_MD

MIXED_ID = "09BAKU901"  # U, C, C//NF, S, S//NF paragraphs; a SECRET subject
HIDDEN_ID = "09BAKU902"  # every portion S//NF
UNMARKED_ID = "09BAKU903"  # no portion markings, SECRET overall
UNKNOWN_ID = "09BAKU904"

# term -> (level, needs NOFORN): where it occurs
TERMS = {
    "plumbago": (0, False),  # a U paragraph of MIXED
    "ochrelind": (3, False),  # a C paragraph of MIXED
    "velmorian": (3, True),  # a C//NF paragraph of MIXED
    "quaxelbar": (4, False),  # an S paragraph of MIXED
    "zircotron": (4, True),  # the S//NF paragraph of MIXED, and in HIDDEN
    "grelthorn": (4, False),  # the (S) subject of MIXED
    "hexablorp": (4, True),  # only in HIDDEN
    "snorkelvane": (4, False),  # only in UNMARKED (unmarked paragraphs take SECRET)
}
# The readers of the suite: name -> (clearance, caveats).
READERS = {
    "anon": None,
    "lou": ("LOU", ()),
    "conf": ("C", ()),
    "conf-nf": ("C", ("NOFORN",)),
    "secret": ("S", ()),
    "secret-nf": ("S", ("NF",)),
    "ts-nf": ("TS", ("NOFORN",)),
}
PASSWORD = "correct horse battery staple"


def level_of(name: str) -> int:
    spec = READERS[name]
    return 0 if spec is None else {"U": 0, "LOU": 2, "C": 3, "S": 4, "TS": 5}[spec[0]]


def may_see(reader: str, term: str) -> bool:
    level, nf = TERMS[term]
    spec = READERS[reader]
    has_nf = spec is not None and bool(spec[1])
    return level <= level_of(reader) and (not nf or has_nf)


_SUBJECT = "SUBJECT: AZERBAIJANI DEFENSE MINISTER: SEEKING STRONG  \nRELATIONS, MORE U.S. SUPPORT"


def _renumber(text: str, serial: int) -> str:
    return (
        text.replace("#0433/01", f"#{serial:04d}/01")
        .replace("BAKU 000433", f"BAKU {serial:06d}")
        .replace("BAKU 00000433", f"BAKU {serial:08d}")
    )


def crafted(folder: Path) -> list[Path]:
    src = BAKU_MD.read_text(encoding="utf-8")
    mixed = (
        _renumber(src, 901)
        .replace(_SUBJECT, "SUBJECT: (S) GRELTHORN TALKS WITH THE DEFENSE MINISTER")
        .replace("11. (C) SUMMARY:", "11. (C) Ochrelind. SUMMARY:")
        .replace(
            "12. (C) EUCOM Commander",
            "12. (S//NF) Zircotron file: Minister Haldor Zircotron met Brigadier "
            "Quimby Zircotron. EUCOM Commander",
        )  # fmt: skip
        .replace("13. (C) Abiyev welcomed", "13. (S) Quaxelbar matters. Abiyev welcomed")
        .replace("14. (C) Azerbaijan has", "14. (U) Plumbago grows in Baku. Azerbaijan has")
        .replace("15. (C) Azerbaijan itself", "15. (C//NF) Velmorian channel. Azerbaijan itself")
    )
    hidden = (
        _renumber(src, 902)
        .replace(_SUBJECT, "SUBJECT: (S//NF) HEXABLORP ZIRCOTRON")
        .replace("(C)", "(S//NF)")
        .replace("14. (S//NF) Azerbaijan has", "14. (S//NF) Hexablorp report. Azerbaijan has")
    )
    unmarked = (
        _renumber(src, 903)
        .replace("C O N F I D E N T I A L", "S E C R E T")
        .replace("ZNY CCCCC", "ZNY SSSSS")
        .replace(_SUBJECT, "SUBJECT: SNORKELVANE MEETING")
        .replace("(C) ", "")
        .replace("14. Azerbaijan has", "14. Snorkelvane notes. Azerbaijan has")
    )
    out = []
    for name, text in (("mixed.md", mixed), ("hidden.md", hidden), ("unmarked.md", unmarked)):
        p = folder / name
        p.write_text(text, encoding="utf-8")
        out.append(p)
    # A second, shorter rendering of MIXED: a version to diff (it lacks one sentence).
    v2 = folder / "mixed-v2.md"
    v2.write_text(
        mixed.replace("Quaxelbar matters. ", "", 1).replace(
            "His talking points coincided almost exactly with the President's. ", ""
        ),
        "utf-8",
    )
    out.append(v2)
    return out


@pytest.fixture(scope="module")
def acc_db(full_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("access")
    db = folder / "access-test.db"
    with sqlite3.connect(full_db) as s, sqlite3.connect(db) as d:
        s.backup(d)
    with Archive(db) as arc:
        report = arc.ingest(crafted(folder), workers=0)
        assert not report.errors, report.errors
        arc.enrich(workers=0, ids=[MIXED_ID, HIDDEN_ID, UNMARKED_ID, "09BAKU433"])
    return db


@pytest.fixture(scope="module")
def access(acc_db: Path):
    acc = AccessDB.for_archive(acc_db)
    for name, spec in READERS.items():
        if spec is not None:
            acc.add_user(name, clearance=spec[0], caveats=spec[1], password=PASSWORD)
    acc.add_user("boss", clearance="U", admin=True, password=PASSWORD)
    yield acc
    acc.close()


@pytest.fixture(scope="module")
def tokens(access: AccessDB) -> dict[str, str]:
    return {name: access.new_token(name)[0] for name, spec in READERS.items() if spec}


@pytest.fixture(scope="module")
def client(acc_db: Path, access: AccessDB):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from cablegram.api import create_app

    with TestClient(create_app(acc_db, readers=2), follow_redirects=False) as c:
        yield c


def reader(access: AccessDB, name: str) -> Reader:
    if READERS[name] is None:
        return access.anonymous()
    user = access.user(name)
    assert user is not None
    return user.reader("user")


def headers(tokens: dict[str, str], name: str) -> dict[str, str]:
    return {} if READERS[name] is None else {"Authorization": f"Bearer {tokens[name]}"}


def hidden_terms(name: str) -> list[str]:
    return [t for t in TERMS if not may_see(name, t)]


def assert_clean(text: str, name: str, where: str) -> None:
    low = text.lower()
    for t in hidden_terms(name):
        assert t not in low, f"{t!r} leaked to {name} through {where}"


# ----------------------------------------------------------------------- the crafted corpus


def test_crafted_cables_have_the_markings_we_mean(acc_db: Path):
    with Archive(acc_db, create=False) as arc:
        conn = arc.store.conn
        rows = conn.execute(
            "SELECT cable_id, kind, level, caveats, lower(text) FROM portions WHERE cable_id "
            "IN (?, ?, ?)",
            (MIXED_ID, HIDDEN_ID, UNMARKED_ID),
        ).fetchall()
    for term, (level, nf) in TERMS.items():
        found = [(lv, cav) for _cid, _k, lv, cav, text in rows if term in text]
        assert found, term
        for lv, cav in found:
            assert lv == level and ("NOFORN" in cav.split()) == nf, (term, lv, cav)


def test_python_rules_agree_with_the_portions_table(acc_db: Path):
    """``redact`` (records) and ``portion_clause`` (SQL) decide alike, cable by cable."""
    with Archive(acc_db, create=False) as arc:
        conn = arc.store.conn
        portions: dict[str, list[tuple[int, str]]] = {}
        for cid, lv, cav in conn.execute("SELECT cable_id, level, caveats FROM portions"):
            portions.setdefault(cid, []).append((lv, cav))
        cables = list(arc.store.iter_cables())[::7] + [
            arc.get(i) for i in (MIXED_ID, HIDDEN_ID, UNMARKED_ID)
        ]
        for name in ("anon", "conf", "secret-nf"):
            spec = READERS[name]
            r = (
                Reader.anonymous("U")
                if spec is None
                else Reader(name, "user", level_of(name), frozenset({"NOFORN"} if spec[1] else ()))
            )
            v = r.visibility
            for c in cables:
                by_sql = sum(allows(v, lv, cav) for lv, cav in portions.get(c.id, []))
                assert redact(c, v).visible == by_sql, (c.id, name)


# ------------------------------------------------------------------- search, facets, stats


@pytest.mark.parametrize("name", list(READERS))
def test_search_never_matches_withheld_text(acc_db, access, name):
    with Archive(acc_db, create=False) as arc:
        view = arc.as_reader(reader(access, name))
        for term in TERMS:
            res = view.search(term)
            ids = {h.id for h in res.hits}
            if may_see(name, term):
                assert res.total >= 1, (name, term)
            else:
                assert res.total == 0 and not ids, (name, term, ids)
                assert list(view.search_ids(term)) == []
                # not through a negation either: -term keeps every visible cable
                assert (
                    view.search(f"id:09BAKU90* -{term}").total == view.search("id:09BAKU90*").total
                )
            # ranking: OR with a withheld word must not reorder or add
        res = view.search("id:09BAKU90* OR plumbago", per_page=100)
        for h in res.hits:
            assert_clean(h.subject, name, "hit subject")
            for s in h.snippets:
                assert_clean(s.text, name, "snippet")
        assert_clean(json.dumps(res.facets), name, "facets")


@pytest.mark.parametrize("name", ["anon", "conf", "secret", "secret-nf"])
def test_facets_and_stats_count_only_visible_cables(acc_db, access, name):
    r = reader(access, name)
    v = r.visibility
    with Archive(acc_db, create=False) as arc:
        conn = arc.store.conn
        visible: set[str] = set()
        n_portions = 0
        for cid, lv, cav in conn.execute("SELECT cable_id, level, caveats FROM portions"):
            if allows(v, lv, cav):
                visible.add(cid)
                n_portions += 1
        by_year: dict[int, int] = {}
        by_class: dict[str, int] = {}
        for cid, year, cls in conn.execute("SELECT id, year, classification FROM cables"):
            if cid in visible:
                by_year[year] = by_year.get(year, 0) + 1
                by_class[cls] = by_class.get(cls, 0) + 1
        view = arc.as_reader(r)
        st = view.stats()
        assert st["cables"] == len(visible) == len(view)
        assert st["portions"] == n_portions
        assert st["years"] == dict(sorted(by_year.items(), key=lambda x: (x[0] is not None, x[0])))
        assert st["classifications"] == {k: by_class[k] for k in st["classifications"]}
        assert sum(st["classifications"].values()) == len(visible)
        res = view.search("id:09BAKU9*", facets=True)
        want = {i for i in visible if i.startswith("09BAKU9")}
        assert res.total == len(want)
        assert sum(n for _v, n in res.facets["classification"]) == len(want)
        assert MIXED_ID in want  # its U paragraph is visible to everyone here
        assert (HIDDEN_ID in want) == (name == "secret-nf")
        assert (UNMARKED_ID in want) == (level_of(name) >= 4)


# ----------------------------------------------------------- records, versions, diffs, export


@pytest.mark.parametrize("name", list(READERS))
def test_records_show_placeholders_and_hide_invisible_cables(acc_db, access, name):
    from cablegram.access import WITHHELD
    from cablegram.archive import render_text

    with Archive(acc_db, create=False) as arc:
        view = arc.as_reader(reader(access, name))
        c = view.get(MIXED_ID)
        assert c is not None
        blob = json.dumps(c.to_dict()) + render_text(c)
        assert_clean(blob, name, "record")
        marks = {p.number: p for p in c.paragraphs}
        assert "Plumbago" in marks[4].text
        assert (marks[2].text == WITHHELD) == (not may_see(name, "zircotron"))
        assert marks[2].marking == "S//NF"  # the placeholder keeps number and marking
        assert (c.subject == WITHHELD) == (not may_see(name, "grelthorn"))
        for cid in (HIDDEN_ID, UNMARKED_ID):
            term = "hexablorp" if cid == HIDDEN_ID else "snorkelvane"
            got = view.get(cid)
            assert (got is not None) == may_see(name, term)
            if got is None:  # exactly like an unknown id
                assert view.versions(cid) == [] == view.versions(UNKNOWN_ID)
                assert view.version(cid, 1) is None
                with pytest.raises(LookupError, match=f"no cable {cid}"):
                    view.diff(cid)
                assert cid not in view and not view.present([cid])
                with pytest.raises(LookupError):
                    view.references_of(cid)
        # versions and diffs are redacted by each version's own markings
        assert len(view.versions(MIXED_ID)) == 2
        d = view.diff(MIXED_ID)
        assert_clean(str(d), name, "diff")
        for v in (1, 2):
            assert_clean(json.dumps(view.version(MIXED_ID, v).to_dict()), name, "version")
        # citations never reveal an invisible cable
        assert all(view.get(i) is not None for i in view.cited_by("09BAKU433"))


@pytest.mark.parametrize("name", ["anon", "conf", "secret-nf"])
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_writes_only_visible_portions(acc_db, access, name, fmt, tmp_path):
    with Archive(acc_db, create=False) as arc:
        view = arc.as_reader(reader(access, name))
        out = tmp_path / f"x.{fmt}"
        n = view.export(fmt, out, query="id:09BAKU90*")
        text = out.read_text(encoding="utf-8")
        assert_clean(text, name, f"{fmt} export")
        assert n == view.search("id:09BAKU90*").total
        if name == "anon":  # and the whole archive, without a query
            n_all = view.export(fmt, tmp_path / f"all.{fmt}")
            assert n_all == len(view)
            assert_clean((tmp_path / f"all.{fmt}").read_text(encoding="utf-8"), name, "export")


def test_parquet_export_is_redacted(acc_db, access, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    with Archive(acc_db, create=False) as arc:
        view = arc.as_reader(access.anonymous())
        view.export("parquet", tmp_path / "x.parquet", query="id:09BAKU90*")
        rows = pq.read_table(tmp_path / "x.parquet").to_pylist()
    assert [r["id"] for r in rows] == [MIXED_ID]
    assert_clean(json.dumps(rows, default=str), "anon", "parquet")


# ---------------------------------------------------------------------- entities and graphs


@pytest.mark.parametrize("name", ["anon", "conf", "secret", "secret-nf"])
def test_entities_and_graphs_come_from_visible_portions(acc_db, access, name):
    with Archive(acc_db, create=False) as arc:
        raw = arc.entities(limit=100_000)
        assert any("zircotron" in e.name.lower() for e in raw)  # the extractor found it
        view = arc.as_reader(reader(access, name))
        listed = view.entities(limit=100_000)
        assert listed
        dump = json.dumps([e.to_dict() for e in listed])
        assert_clean(dump, name, "entity list")
        for e in listed[:40]:
            page = view.entity(e.entity_id)
            assert page is not None
            assert_clean(json.dumps(page.to_dict(), default=str), name, "entity page")
        for cid in (MIXED_ID, "09BAKU433"):
            assert_clean(json.dumps(view.cable_entities(cid)), name, "cable entities")
        assert view.cable_entities(HIDDEN_ID) == [] or may_see(name, "hexablorp")
        assert_clean(json.dumps(view.entity_facets("id:09BAKU9*")), name, "entity facets")
        g = view.comention_graph(min_weight=1, top=None)
        blob = json.dumps([list(g.nodes(data=True)), list(g.edges(data=True))], default=str)
        assert_clean(blob, name, "co-mention graph")
        zirc = [e for e in raw if "zircotron" in e.name.lower()]
        if not may_see(name, "zircotron"):
            for e in zirc:  # unknown by its real id (made from the withheld name)
                assert view.entity(e.entity_id) is None
                # by the reader's id: only when a visible portion mentions it ("the
                # Minister"), and then named from that visible text alone
                page = view.entity(view._opaque(e.entity_id))
                if page is not None:
                    assert_clean(json.dumps(page.to_dict(), default=str), name, "entity")
        cg = view.citation_graph()
        for n, d in cg.nodes(data=True):
            assert_clean(json.dumps(d, default=str), name, "citation graph")
            if d.get("in_archive"):
                assert view.get(n) is not None


# ------------------------------------------------------------------------------- the API


@pytest.mark.parametrize("name", list(READERS))
def test_api_answers_never_contain_withheld_text(client, tokens, name):
    h = headers(tokens, name)
    for term in TERMS:
        r = client.get("/api/search", params={"q": term}, headers=h)
        assert r.status_code == 200
        assert (r.json()["total"] > 0) == may_see(name, term), (name, term)
    paths = [
        "/api/search?q=id:09BAKU9*",
        "/api/search?q=plumbago OR baku",
        f"/api/cables/{MIXED_ID}",
        f"/api/cables/{MIXED_ID}/text",
        f"/api/cables/{MIXED_ID}/versions",
        f"/api/cables/{MIXED_ID}/versions/1",
        f"/api/cables/{MIXED_ID}/versions/2",
        f"/api/cables/{MIXED_ID}/diff",
        f"/api/cables/{MIXED_ID}/references",
        f"/api/cables/{MIXED_ID}/cited-by",
        "/api/stats",
        "/api/export?q=id:09BAKU9*&format=jsonl",
        "/api/export?q=id:09BAKU9*&format=csv",
        "/api/declass?due=2030-01-01",
        "/api/me",
    ]
    for path in paths:
        r = client.get(path, headers=h)
        assert r.status_code == 200, (path, r.status_code, r.text[:200])
        assert_clean(r.text, name, path)
    page = client.get(f"/cables/{MIXED_ID}", headers=h)
    assert page.status_code == 200
    assert_clean(page.text, name, "web cable page")
    assert_clean(client.get("/search?q=id:09BAKU9*", headers=h).text, name, "web search")


@pytest.mark.parametrize("name", ["anon", "conf", "secret"])
def test_invisible_cable_is_a_404_like_an_unknown_one(client, tokens, name):
    h = headers(tokens, name)
    for suffix in ("", "/text", "/versions", "/versions/1", "/diff", "/references", "/cited-by"):
        a = client.get(f"/api/cables/{HIDDEN_ID}{suffix}", headers=h)
        b = client.get(f"/api/cables/{UNKNOWN_ID}{suffix}", headers=h)
        assert a.status_code == b.status_code == 404, suffix
        assert a.text.replace(HIDDEN_ID, "X") == b.text.replace(UNKNOWN_ID, "X"), suffix
        assert dict(a.headers).keys() == dict(b.headers).keys()
    a = client.get(f"/cables/{HIDDEN_ID}", headers=h)
    b = client.get(f"/cables/{UNKNOWN_ID}", headers=h)
    assert a.status_code == b.status_code == 404
    assert a.text.replace(HIDDEN_ID, "X") == b.text.replace(UNKNOWN_ID, "X")
    # the citing cable's REF block names it, but not as a cable of the archive
    refs = client.get("/api/search", params={"q": f"ref:{HIDDEN_ID}"}, headers=h).json()
    assert refs["total"] == 0


@pytest.fixture(scope="module")
def proc_client(acc_db: Path, access: AccessDB):
    """The same app answering searches on two worker processes (``serve --workers 2``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from cablegram.api import create_app

    app = create_app(acc_db, readers=2, search_processes=2)
    with TestClient(app, follow_redirects=False) as c:
        yield c


def test_search_processes_apply_the_same_rules(client, proc_client, tokens):
    pool = proc_client.app.state.pool
    assert pool.searchers is not None
    assert os.getpid() not in pool.searchers.ready()  # the searches run elsewhere
    queries = [*TERMS, "id:09BAKU9*", "plumbago OR baku", f"ref:{HIDDEN_ID}", "iran"]
    for name in READERS:
        h = headers(tokens, name)
        for q in queries:
            for sort in ("relevance", "date"):
                params = {"q": q, "sort": sort, "per_page": 5}
                a = client.get("/api/search", params=params, headers=h)
                b = proc_client.get("/api/search", params=params, headers=h)
                assert a.status_code == b.status_code == 200
                assert a.json() == b.json(), (name, q, sort)
                if q in TERMS:
                    assert (b.json()["total"] > 0) == may_see(name, q), (name, q)
                shown = {k: v for k, v in b.json().items() if k != "query"}  # echoes q
                assert_clean(json.dumps(shown), name, "search on a search process")
        for q in ("id:09BAKU9*", "plumbago OR baku", "iran"):
            page = proc_client.get("/search", params={"q": q}, headers=h)
            same = client.get("/search", params={"q": q}, headers=h)
            assert page.status_code == same.status_code == 200
            assert_clean(page.text, name, "web search on a search process")
            hrefs = re.compile(r'href="/cables/([^"?#]+)"')
            assert hrefs.findall(page.text) == hrefs.findall(same.text), (name, q)
    # A malformed query raised in a worker keeps its message and position.
    bad = [proc_client.get("/api/search", params={"q": 'plumbago "open'}) for _ in range(2)]
    good = client.get("/api/search", params={"q": 'plumbago "open'})
    assert bad[0].status_code == good.status_code == 400
    assert bad[0].json() == bad[1].json() == good.json()
    assert proc_client.get("/search", params={"q": "(plumbago"}).status_code == 400


def test_tokens_wrong_expired_missing_are_401(client, access, tokens):
    good = tokens["secret-nf"]
    expired, _ = access.new_token("secret-nf", days=-1)
    revoked, info = access.new_token("secret-nf")
    access.revoke_token(info.token_id)
    for value in (
        f"Bearer {good}x",
        f"Bearer {expired}",
        f"Bearer {revoked}",
        "Bearer",
        "Bearer ",
        "Basic Zm9vOmJhcg==",
        "cgt_abc",
        f"Bearer {good[:-4]}",
    ):
        r = client.get(f"/api/cables/{MIXED_ID}", headers={"Authorization": value})
        assert r.status_code == 401, value
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "zircotron" not in r.text.lower()
    r = client.get("/api/me", headers={"Authorization": f"Bearer {good}"})
    assert r.json() == {"name": "secret-nf", "via": "token", "rights": "SECRET // NOFORN",
                        "admin": False}  # fmt: skip
    assert client.get("/api/me").json()["via"] == "anonymous"


def test_policy_none_and_as_published(acc_db, tmp_path, tokens):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from cablegram.api import create_app

    path = tmp_path / "policy.access.db"
    acc = AccessDB(path)
    acc.add_user("u", clearance="C")
    token, _ = acc.new_token("u")
    acc.set_policy("anonymous", "none")
    with TestClient(create_app(acc_db, readers=1, access=path)) as c:
        assert c.get("/api/search?q=baku").status_code == 401  # a missing token
        assert (
            c.get("/api/search?q=baku", headers={"Authorization": f"Bearer {token}"}).json()[
                "total"
            ]
            > 0
        )
        assert c.get(f"/cables/{MIXED_ID}").status_code == 404  # the web: log in first
        acc.set_policy("anonymous", "as-published")
        r = c.get(f"/api/cables/{HIDDEN_ID}")
        assert r.status_code == 200 and "hexablorp" in r.text.lower()
        # a user never reads less than anonymous readers
        r = c.get(f"/api/cables/{HIDDEN_ID}", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
    with pytest.raises(ValueError):
        acc.set_policy("anonymous", "Q")
    acc.close()


# --------------------------------------------------------------- web login and sessions


def _login(client, name: str, password: str = PASSWORD):
    form = client.get("/login")
    assert form.status_code == 200
    csrf = re.findall(r'name="csrf" value="([^"]+)"', form.text)[-1]  # the login form's
    return client.post("/login", data={"name": name, "password": password, "csrf": csrf,
                                       "next": f"/cables/{MIXED_ID}"})  # fmt: skip


def test_web_login_session_cookie_and_csrf(acc_db, access):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from cablegram.api import create_app

    with TestClient(create_app(acc_db, readers=1), follow_redirects=False) as c:
        anon = c.get(f"/cables/{MIXED_ID}").text
        assert "withheld" in anon and "Zircotron" not in anon
        # no CSRF token: refused
        c.get("/login")
        r = c.post("/login", data={"name": "secret-nf", "password": PASSWORD})
        assert r.status_code == 403
        r = c.post("/login", data={"name": "secret-nf", "password": PASSWORD, "csrf": "x"})
        assert r.status_code == 403
        assert _login(c, "secret-nf", "wrong password").status_code == 401
        assert _login(c, "nobody").status_code == 401
        r = _login(c, "secret-nf")
        assert r.status_code == 303 and r.headers["location"] == f"/cables/{MIXED_ID}"
        cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie"
                      and v.startswith("cablegram_session="))  # fmt: skip
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
        page = c.get(f"/cables/{MIXED_ID}").text
        assert "Zircotron" in page and "secret-nf" in page
        # a hostile redirect target is not followed
        assert _login(c, "secret-nf").headers["location"].startswith("/")
        # logout needs the session's CSRF token
        assert c.post("/logout", data={"csrf": "nope"}).status_code == 403
        page = c.get(f"/cables/{MIXED_ID}").text  # the session of the second login
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]
        assert c.post("/logout", data={"csrf": csrf}).status_code == 303
        assert "Zircotron" not in c.get(f"/cables/{MIXED_ID}").text
    # https: the cookie is Secure
    with TestClient(create_app(acc_db, readers=1), base_url="https://testserver",
                    follow_redirects=False) as c:  # fmt: skip
        r = _login(c, "conf")
        cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie"
                      and v.startswith("cablegram_session="))  # fmt: skip
        assert "Secure" in cookie


def test_sessions_expire(access):
    s = access.new_session("conf", timedelta(seconds=-1))
    assert access.session(s.id) is None
    s = access.new_session("conf", timedelta(hours=1))
    got = access.session(s.id)
    assert got is not None and got[0].name == "conf" and got[1].csrf == s.csrf
    access.end_session(s.id)
    assert access.session(s.id) is None
    assert access.session("") is None and access.session("forged") is None


def test_no_secret_is_stored_in_the_clear(acc_db, tmp_path):
    path = tmp_path / "secrets.access.db"
    acc = AccessDB(path)
    pw = "Plaintext-Password-93481"
    acc.add_user("alice", clearance="S", caveats=["NOFORN"], password=pw)
    token, _ = acc.new_token("alice")
    s = acc.new_session("alice")
    assert acc.authenticate("alice", pw) is not None
    assert acc.authenticate("alice", pw + "x") is None
    assert acc.token_reader(token).name == "alice"
    acc.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    acc.close()
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("secrets.access.db*"))
    assert b"alice" in blob and b"scrypt$" in blob  # the file is the one we think
    for secret in (pw, token, token[4:], s.id):
        assert secret.encode() not in blob, secret
    # salted: the same password hashes differently
    from cablegram.access.db import check_password, hash_password

    h1, h2 = hash_password(pw), hash_password(pw)
    assert h1 != h2 and check_password(pw, h1) and check_password(pw, h2)


# ------------------------------------------------------------------------------- the audit


def test_audit_log_is_append_only_and_exportable(client, tokens, access, acc_db):
    client.get("/api/search", params={"q": "audited-term"}, headers=headers(tokens, "conf"))
    client.get(f"/api/cables/{MIXED_ID}", headers=headers(tokens, "conf"))
    entries = list(access.audit_entries())
    assert any(e.principal == "conf" and e.action == "search" and e.query == "audited-term"
               for e in entries)  # fmt: skip
    assert any(e.principal == "conf" and e.action == "read" and e.target == MIXED_ID
               for e in entries)  # fmt: skip
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        access.conn.execute("UPDATE audit SET principal = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        access.conn.execute("DELETE FROM audit")
    from click.testing import CliRunner

    from cablegram.cli.access import audit_group

    r = CliRunner().invoke(audit_group, ["export", "--db", str(acc_db)])
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
    assert any(x["query"] == "audited-term" for x in lines)


# ------------------------------------------------------------------- CLI and declassification


def test_users_cli(acc_db, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from cablegram.cli.access import policy_group, users_group

    db = tmp_path / "cli.db"
    with sqlite3.connect(acc_db) as s, sqlite3.connect(db) as d:
        s.backup(d)
    run = CliRunner()
    monkeypatch.setenv("CABLEGRAM_PASSWORD", "long enough pw")
    r = run.invoke(users_group, ["add", "carol", "-c", "S", "--caveat", "NF", "--db", str(db)])
    assert r.exit_code == 0 and "SECRET // NOFORN" in r.output, r.output
    assert run.invoke(users_group, ["add", "carol", "--db", str(db)]).exit_code == 1
    r = run.invoke(users_group, ["token", "carol", "--db", str(db)])
    assert r.exit_code == 0 and r.stdout.strip().startswith("cgt_")
    r = run.invoke(users_group, ["list", "--db", str(db)])
    assert "carol\tS\tNOFORN\t-\t1 tokens" in r.output
    r = run.invoke(policy_group, ["set", "anonymous", "as-published", "--db", str(db)])
    assert r.exit_code == 0 and AccessDB.for_archive(db).policy() == "as-published"
    assert run.invoke(users_group, ["remove", "carol", "--db", str(db)]).exit_code == 0
    assert run.invoke(users_group, ["remove", "carol", "--db", str(db)]).exit_code == 1


def test_declassification_review(acc_db, client, tokens):
    from click.testing import CliRunner

    from cablegram.cli.access import declass_command

    assert declass_date("05/24/2019") == date(2019, 5, 24)
    assert declass_date("DNG: CO 08/01/2032") == date(2032, 8, 1)
    assert declass_date("2019-11-04") == date(2019, 11, 4)
    assert declass_date("08 OCTOBER 2019") == date(2019, 10, 8)
    assert declass_date("TWENTY YEARS", "2004-03-05") == date(2024, 3, 5)
    for raw in ("OADR", "X1", "25X1-HUMAN", "N/A", ""):
        assert declass_date(raw) is None
    r = CliRunner().invoke(declass_command, ["--due", "2020-01-01", "--db", str(acc_db)])
    assert r.exit_code == 0, r.output
    assert "OADR" in r.output and "by origin and classification" in r.output
    r = CliRunner().invoke(declass_command, ["--due", "2020-01-01", "--json", "--db", str(acc_db)])
    rep = json.loads(r.stdout)
    ids = {c["id"] for c in rep["due_cables"]}
    assert all(c["when"] <= "2020-01-01" for c in rep["due_cables"])
    assert {MIXED_ID, HIDDEN_ID} <= ids  # DECL 05/24/2019
    # the web and the API show the same, over what the reader may see
    api = client.get("/api/declass?due=2020-01-01").json()
    assert HIDDEN_ID not in {c["id"] for c in api["due_cables"]}
    assert MIXED_ID in {c["id"] for c in api["due_cables"]}
    # the page is paged: narrowed by its facets to the seed's origin and year due
    page = client.get("/declass?due=2020-01-01&origin=Embassy+Baku&year=2019")
    assert page.status_code == 200 and MIXED_ID in page.text and HIDDEN_ID not in page.text
