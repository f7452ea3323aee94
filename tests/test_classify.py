"""cablegram.classify (issue 19): the classification model, similar cables, topics and trends
on a small real archive (300 dev cables and crafted ones), with the access rules: a reader
without the REVIEWER right never sees a prediction, and nothing is drawn from withheld text."""

from __future__ import annotations

import json
import re
import sqlite3
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cablegram import classify
from cablegram.access import AccessDB, Reader
from cablegram.access.declass import rank
from cablegram.archive import Archive
from cablegram.classify.data import read_docs
from cablegram.classify.model import train_docs
from cablegram.classify.text import scrub, terms
from cablegram.cli import main
from cablegram.search.query import QueryError
from cablegram.search.visibility import Visibility
from conftest import BAKU_MD, make_tar, read_pages

B_ID, C_ID = "09BAKU952", "09BAKU953"
# The only paragraph a U reader sees of B and of C: unrelated texts.
X_B = ("The fishing cooperative in Lankaran reported record sturgeon catches, new refrigerated "
       "trucks for the caviar trade and a harbour dredged for trawlers.")  # fmt: skip
X_C = ("A university choir from Ganja toured three provinces singing folk songs at rural "
       "schools, libraries and a puppet theatre festival.")  # fmt: skip


def _crafted(folder: Path) -> list[Path]:
    """B and C: the seed cable with every paragraph SECRET (the same text in both) except a
    first, unclassified paragraph that differs."""
    src = BAKU_MD.read_text(encoding="utf-8")
    out = []
    for serial, cid, first in ((952, B_ID, X_B), (953, C_ID, X_C)):
        text = (
            src.replace("#0433/01", f"#{serial:04d}/01")
            .replace("BAKU 000433", f"BAKU {serial:06d}")
            .replace("BAKU 00000433", f"BAKU {serial:08d}")
            .replace("(C)", "(S)")
            .replace("C O N F I D E N T I A L", "S E C R E T")
        )
        text = re.sub(r"(?m)^11\. \(S\) SUMMARY:.*$", f"11. (U) {first}", text)
        p = folder / f"{cid}.md"
        p.write_text(text, encoding="utf-8")
        out.append(p)
    return out


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("classify")
    tar = make_tar(folder / "dev300.tar.gz", read_pages(300), "w:gz")
    path = folder / "classify.db"
    with Archive(path) as arc:
        report = arc.ingest([tar, BAKU_MD, *_crafted(folder)], workers=0)
        assert not report.errors, report.errors
        model = classify.train(arc, seed=7)
        classify.store_model(arc, model)
        classify.build_index(arc, seed=7)
        classify.build_topics(arc, seed=7, n_topics=8)
    return path


@pytest.fixture(scope="module")
def access(db: Path):
    acc = AccessDB.for_archive(db)
    acc.add_user("rev-u", clearance="U", caveats=["REVIEWER"], password="x" * 12)
    acc.add_user("plain-s", clearance="S", caveats=["NOFORN"], password="x" * 12)
    acc.add_user("rev-s", clearance="S", caveats=["NOFORN", "REVIEWER"], password="x" * 12)
    yield acc
    acc.close()


def _reader(access: AccessDB, name: str) -> Reader:
    if name == "anon":
        return Reader.anonymous("U")
    user = access.user(name)
    assert user is not None
    return user.reader("user")


# --- what the model reads ---------------------------------------------------------------------


def test_scrub_cuts_markings_banners_and_classification_lines():
    text = ("C O N F I D E N T I A L SECTION 01 OF 02\nClassified By: Ambassador Anne E. Derse. "
            "Reasons: 1.4 (b, d)\n1. (S/NF) The minister met XXXXXXXXXXXX on Tuesday. "
            "DECL: 05/22/2019 SECRET NOFORN SIPDIS")  # fmt: skip
    words = scrub(text).split()
    for gone in ("confidential", "classified", "reasons", "derse", "secret", "noforn",
                 "sipdis", "xxxxxxxxxxxx", "s/nf", "decl"):  # fmt: skip
        assert gone not in words, gone
    assert words[:3] == ["section", "of", "the"] or "minister" in words
    assert "tuesday" in words and "minister" in words


def test_terms_have_bigrams_and_no_markings():
    ts = terms("(C) Naval base talks")
    assert "naval" in ts and "naval base" in ts and "c" not in ts


# --- the model ---------------------------------------------------------------------------------


def test_training_is_deterministic_and_learns(db: Path, tmp_path: Path):
    with Archive(db) as arc:
        a = classify.train(arc, seed=7)
        b = classify.train(arc, seed=7)
        docs = list(read_docs(arc.store.conn))
    for k in a.arrays:
        assert np.array_equal(a.arrays[k], b.arrays[k]), k
    assert a.info["threshold"] == b.info["threshold"]
    # It learnt something real: on its own training cables it ranks classified above
    # unclassified far better than chance.
    from sklearn.metrics import roc_auc_score

    y = [int(d.level >= 3) for d in docs]
    s = [a.predict_doc(d, explain=0).classified for d in docs]
    assert roc_auc_score(y, s) > 0.9
    # Save and load give the same predictions.
    a.save(tmp_path / "m.npz")
    c = classify.Model.load(tmp_path / "m.npz")
    d0 = docs[0]
    assert a.predict_doc(d0).to_dict() == c.predict_doc(d0).to_dict()


def test_tfidf_rows_match_the_formula():
    from cablegram.classify.text import Hashed

    docs = [terms("the naval base talks went well"), [], terms("talks talks base"), terms("x")]
    vec = Hashed().fit(docs)
    got = vec.transform(docs).toarray()
    c = vec.counts(docs).toarray()
    assert vec.idf is not None
    want = np.where(c > 0, (1 + np.log(np.maximum(c, 1))) * vec.idf, 0)
    norms = np.linalg.norm(want, axis=1, keepdims=True)
    want /= np.where(norms == 0, 1, norms)
    assert np.allclose(got, want, atol=1e-6)
    assert not got[1].any()  # an empty paragraph stays empty


def test_character_ngrams_read_no_markings():
    from cablegram.classify.text import CharHashed

    vec = CharHashed()
    a = vec.counts(["(S//NF) Naval base talks. CONFIDENTIAL Classified By: X. Reason 1.4 (b)"])
    b = vec.counts(["naval base talks"])
    assert (a != b).nnz == 0 and b.nnz > 10


def test_character_model_reads_a_bounded_sample(db: Path):
    with Archive(db) as arc:
        docs = list(read_docs(arc.store.conn))
    full = train_docs(docs, seed=7)
    capped = train_docs(docs, seed=7, max_char_cables=len(docs) // 3, cables_hint=len(docs))
    assert full.info["char_cables"] == len(docs)
    # Every calibration cable (a fifth), then a seeded sample of the rest up to the cap.
    assert len(docs) // 5 < capped.info["char_cables"] < len(docs) // 2
    assert np.array_equal(full.arrays["para_coef"], capped.arrays["para_coef"])
    assert not np.array_equal(full.arrays["char_coef"], capped.arrays["char_coef"])


def test_training_reads_a_read_only_connection_and_bounds_its_samples(db: Path):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        full = classify.train(conn, seed=7)
        small = classify.train(conn, seed=7, max_cables=120, max_paragraphs=300)
    finally:
        conn.close()
    with Archive(db) as arc:
        stored = classify.load_model(arc)  # the fixture's, trained through the Archive
    assert stored is not None
    assert np.array_equal(full.arrays["para_coef"], stored.arrays["para_coef"])
    assert full.info["cables"] == full.info["archive_cables"]
    assert small.info["cables"] == 120
    # A seeded sample at the rate the cap asks for: near it, far below the full count.
    assert small.info["paragraphs"] < 450 < full.info["paragraphs"]


def test_load_of_a_bad_file_names_it(tmp_path: Path):
    bad = tmp_path / "not-a-model.npz"
    bad.write_bytes(b"hello")
    with pytest.raises(ValueError, match="not-a-model.npz"):
        classify.Model.load(bad)


def test_prediction_ignores_markings_and_explains(db: Path):
    with Archive(db) as arc:
        model = classify.load_model(arc)
    assert model is not None
    plain = ["The minister described the naval base negotiations with the Russians.",
             "The embassy hosted a reception for the national day."]  # fmt: skip
    marked = ["(S//NF) " + plain[0] + " Classified By: Ambassador. Reason 1.4 (b)",
              "(U) " + plain[1]]  # fmt: skip
    a = model.predict("NAVAL BASE TALKS", plain, ["PGOV", "MARR"], "BAKU", "2009-05-21")
    b = model.predict("(C) NAVAL BASE TALKS", marked, ["PGOV", "MARR"], "BAKU", "2009-05-21")
    assert a.to_dict() == b.to_dict()
    assert 0 <= a.classified <= 1 and a.level in classify.LEVELS
    assert len(a.paragraphs) == 2 and len(a.terms) == 2
    # The explanation is the paragraph's own words, strongest first.
    words = set(terms(plain[0]))
    assert a.terms[0] and all(t in words for t, _ in a.terms[0])
    ws = [abs(w) for _, w in a.terms[0]]
    assert ws == sorted(ws, reverse=True)


def test_model_is_stored_with_the_generation(db: Path):
    with Archive(db) as arc:
        info = classify.model_info(arc)
        gen = arc.store.conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    assert info is not None and info["generation"] == int(gen[0]) and info["stale"] is False
    assert info["cables"] == 303


# --- access: predictions -----------------------------------------------------------------------


def test_only_reviewers_get_predictions_and_only_from_visible_text(db: Path, access: AccessDB):
    with Archive(db) as arc:
        assert classify.predict_cable(arc, B_ID, reader=Reader.anonymous("U")) is None
        assert classify.predict_cable(arc, B_ID, reader=_reader(access, "plain-s")) is None
        rev_u = _reader(access, "rev-u")
        assert classify.is_reviewer(rev_u)
        p = classify.predict_cable(arc, B_ID, reader=rev_u)
        model = classify.load_model(arc)
        cable = arc.get(B_ID)
    assert p is not None and model is not None and cable is not None
    # The U reviewer sees one paragraph of B (the others are SECRET): the prediction is the
    # model's reading of that paragraph and the header metadata, nothing else.
    assert [q.marking for q in p.paragraphs] == ["U"] and p.withheld >= 5
    alone = model.predict("", [X_B], [t.code for t in cable.tags], cable.origin.code,
                          (cable.dtg or "")[:10])  # fmt: skip
    assert p.classified == pytest.approx(alone.classified)
    assert p.paragraphs[0].classified == pytest.approx(alone.paragraphs[0])
    # With S rights the same reviewer reads every paragraph.
    with Archive(db) as arc:
        full = classify.predict_cable(arc, B_ID, reader=_reader(access, "rev-s"))
    assert full is not None and len(full.paragraphs) > 1 and full.withheld == 0


def test_predicted_filter_is_for_reviewers(db: Path, access: AccessDB):
    with Archive(db) as arc:
        with pytest.raises(QueryError, match="reviewers"):
            arc.as_reader(Reader.anonymous("U")).search("predicted:classified")
        with pytest.raises(QueryError, match="reviewers"):
            arc.as_reader(_reader(access, "plain-s")).search("predicted:unclassified")
        every = arc.search("predicted:classified", per_page=1).total
        none = arc.search("predicted:unclassified", per_page=1).total
        assert every + none == len(arc) and every > 0 and none > 0
        # A U reviewer: B and C are judged by their one visible (unclassified, everyday)
        # paragraph, never by their SECRET ones.
        rev = arc.as_reader(_reader(access, "rev-u"))
        ids_c = set(rev.search_ids("predicted:classified"))
        ids_u = set(rev.search_ids("predicted:unclassified"))
        assert not ids_c & ids_u
        model = classify.load_model(arc)
        assert model is not None
        for cid, text in ((B_ID, X_B), (C_ID, X_C)):
            reads = model.predict("", [text]).paragraphs[0] >= 0.5
            assert (cid in ids_c) == reads and (cid in ids_u) == (not reads)


# --- similar cables ----------------------------------------------------------------------------


def test_similar_cables_and_the_access_rule(db: Path):
    with Archive(db) as arc:
        hits = classify.similar(arc, B_ID)
        assert len(hits) == 10 and B_ID not in [h.id for h in hits]
        # C and the seed cable share all but one paragraph with B.
        assert {hits[0].id, hits[1].id} == {C_ID, "09BAKU433"} and hits[0].score > 0.8
        u = Reader.anonymous("U").visibility
        u_hits = classify.similar(arc, B_ID, visible=u)
        # For a U reader only B's and C's unrelated first paragraphs count, and the seed
        # cable (all CONFIDENTIAL) is not there at all.
        score = {h.id: h.score for h in u_hits}
        assert "09BAKU433" not in score
        assert score.get(C_ID, 0.0) < 0.5
        with pytest.raises(LookupError):
            classify.similar(arc, "09BAKU433", visible=u)
        # similar: combines with the other filters.
        both = arc.search(f"similar:{B_ID} tag:PGOV", per_page=50)
        tagged = set(arc.search_ids("tag:PGOV"))
        near = set(arc.search_ids(f"similar:{B_ID}"))
        assert both.total == len(tagged & near) > 0
        assert {h.id for h in both.hits} == tagged & near
        assert arc.as_reader(Reader.anonymous("U")).search("similar:09BAKU433").total == 0


def _mention(conn: sqlite3.Connection, cable_id: str, level_op: str, entity: str) -> None:
    """A resolved mention of ``entity`` in one paragraph of ``cable_id`` whose level is
    ``level_op`` (as `cablegram enrich` writes it: the enrich schema's mentions table)."""
    (pid,) = conn.execute(
        f"SELECT portion_id FROM portions WHERE cable_id = ? AND kind = 'para' AND level {level_op} "
        "ORDER BY seq LIMIT 1", (cable_id,)).fetchone()  # fmt: skip
    conn.execute("INSERT INTO mentions (entity_id, cable_id, portion_id, kind, text, name) "
                 "VALUES (?, ?, ?, 'person', 'Zed', 'Zed')", (entity, cable_id, pid))  # fmt: skip


def test_similar_weighs_shared_entities_from_visible_text_only(db: Path, copy_db):
    from cablegram.classify.similar import ENTITY_WEIGHT, Weights, index_for
    from cablegram.enrich.db import ensure_schema

    text_only = Weights(tags=0, entities=0, cites=0)
    with Archive(copy_db(db)) as arc:
        conn = arc.store.conn
        ensure_schema(conn)
        before = index_for(conn, None).query("09BAKU433", 40, weights=text_only)
        far = before[30][0]  # 31st by text: not among the 10 shown
        idx = index_for(conn, None)
        far_id = idx.ids[far]
        u, s = Reader.anonymous("U").visibility, Visibility(4, frozenset({"NOFORN"}))
        u_before = {h.id: h.score for h in classify.similar(arc, B_ID, k=400, visible=u)}
        s_before = {h.id: h.score for h in classify.similar(arc, B_ID, k=400, visible=s)}
        # A rare person named in the seed cable and in the far one; another in B's
        # unclassified paragraph and in one of C's SECRET paragraphs.
        _mention(conn, "09BAKU433", ">= 0", "person:zed-rare")
        _mention(conn, far_id, ">= 0", "person:zed-rare")
        _mention(conn, B_ID, "= 0", "person:yan-rare")
        _mention(conn, C_ID, "= 4", "person:yan-rare")
        conn.commit()
        top = [h.id for h in classify.similar(arc, "09BAKU433")]
        plain = [idx.ids[j] for j, *_ in index_for(conn, None).query("09BAKU433", 10,
                                                                      weights=text_only)]  # fmt: skip
        u_after = {h.id: h.score for h in classify.similar(arc, B_ID, k=400, visible=u)}
        s_after = {h.id: h.score for h in classify.similar(arc, B_ID, k=400, visible=s)}
    assert far_id in top and far_id not in plain
    # The S reader sees the person in both B and C: C gains the entity term. For a U reader
    # C's mention is withheld, so C's score does not move.
    assert s_after[C_ID] - s_before[C_ID] == pytest.approx(ENTITY_WEIGHT, abs=0.02)
    assert C_ID in u_before and u_after[C_ID] == u_before[C_ID]


# --- topics ------------------------------------------------------------------------------------


def test_topics_labels_filter_and_visible_counts(db: Path):
    with Archive(db) as arc:
        topics = classify.list_topics(arc)
        assert len(topics) == 8 and all(len(t.label.split()) == 6 for t in topics)
        t = max(topics, key=lambda x: x.cables)
        hits = set(arc.search_ids(f"topic:{t.topic}"))
        assert len(hits) == t.cables > 0
        conn = arc.store.conn
        u = Reader.anonymous("U").visibility
        u_topics = {x.topic: x.cables for x in classify.list_topics(arc, visible=u)}
        for x in topics:
            # U counts: cables with a paragraph of the topic that U may read (the rule in
            # Python, Visibility.allows, against the SQL the counts come from).
            rows = conn.execute(
                "SELECT t.portion_id / 4096, p.level, p.caveats FROM classify_portion_topics t "
                "JOIN portions p ON p.portion_id = t.portion_id WHERE t.topic = ?", (x.topic,),
            ).fetchall()  # fmt: skip
            want = len({k for k, lvl, cav in rows if u.allows(lvl, cav)})
            assert u_topics[x.topic] == want <= x.cables
        view = arc.as_reader(Reader.anonymous("U"))
        assert set(view.search_ids(f"topic:{t.topic}")) <= hits
        facet = classify.topic_counts(arc, sorted(hits), visible=None)
        assert facet[0].topic == t.topic and facet[0].cables == t.cables
    with pytest.raises(QueryError):
        from cablegram.search.query import parse_query

        parse_query("topic:abc")


# --- trends ------------------------------------------------------------------------------------


def test_bursts_find_the_spike_and_nothing_in_a_flat_series():
    months = [f"2008-{m:02d}" for m in range(1, 13)]
    d = [100] * 12
    flat = classify.bursts(months, [5] * 12, d)
    assert flat == []
    spike = [5, 4, 6, 5, 30, 35, 5, 4, 6, 5, 5, 4]
    found = classify.bursts(months, spike, d)
    assert [(b.start, b.end) for b in found] == [("2008-05", "2008-06")]


def test_trends_over_the_archive(db: Path):
    with Archive(db) as arc:
        months, series = classify.trends(arc, ["iran", "tag:PGOV"])
        assert [s.query for s in series] == ["iran", "tag:PGOV"]
        assert series[1].total == arc.search("tag:PGOV", per_page=1).total
        assert months == sorted(months) and set(series[0].counts) <= set(months)
        text = classify.trends_csv(months, series)
    rows = text.splitlines()
    assert rows[0] == "month,iran,tag:PGOV,burst: iran,burst: tag:PGOV"
    assert len(rows) == len(months) + 1


# --- CLI and HTTP API shapes -------------------------------------------------------------------


def test_cli(db: Path, tmp_path: Path, copy_db):
    runner = CliRunner()
    r = runner.invoke(main, ["classify", "predict", str(BAKU_MD), "--db", str(db), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output.splitlines()[0])
    assert out["id"] == "09BAKU433" and set(out) >= {"classified", "level", "paragraphs", "terms"}
    from cablegram.parser import parse

    seed = parse(BAKU_MD.read_bytes())
    assert len(out["paragraphs"]) == len([p for p in seed.paragraphs if p.text.strip()])
    r = runner.invoke(main, ["classify", "similar", B_ID, "--db", str(db), "--json"])
    assert r.exit_code == 0 and len(json.loads(r.output)) == 10
    r = runner.invoke(main, ["classify", "topics", "--db", str(db)])
    assert r.exit_code == 0 and r.output.startswith("topic:1\t")
    r = runner.invoke(main, ["classify", "trends", "iran", "iraq", "--db", str(db), "--csv"])
    assert r.exit_code == 0 and r.output.startswith("month,iran,iraq,")
    r = runner.invoke(main, ["classify", "predict", str(BAKU_MD), "--db", str(tmp_path / "no.db")])
    assert r.exit_code != 0 and "no.db" in r.output
    fresh = copy_db(db)
    with sqlite3.connect(fresh) as c:
        c.execute("DROP TABLE classify_models")
    r = runner.invoke(main, ["classify", "predict", str(BAKU_MD), "--db", str(fresh)])
    assert r.exit_code != 0 and "classify train" in r.output
    r = runner.invoke(main, ["classify", "train", "--db", str(fresh), "--no-index", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["model"]["cables"] == 303


@pytest.fixture(scope="module")
def client(db: Path, access: AccessDB):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from cablegram.api import create_app

    with TestClient(create_app(db, readers=2), follow_redirects=False) as c:
        yield c


def test_api(client, access: AccessDB):
    rev = {"Authorization": f"Bearer {access.new_token('rev-u')[0]}"}
    plain = {"Authorization": f"Bearer {access.new_token('plain-s')[0]}"}
    assert client.get(f"/api/cables/{B_ID}/prediction").status_code == 403
    assert client.get(f"/api/cables/{B_ID}/prediction", headers=plain).status_code == 403
    r = client.get(f"/api/cables/{B_ID}/prediction", headers=rev)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == B_ID and [p["marking"] for p in body["paragraphs"]] == ["U"]
    assert set(body["paragraphs"][0]) == {"number", "marking", "classified", "flag", "terms"}
    # A cable the reader may not see is a 404, for reviewers too.
    assert client.get("/api/cables/09BAKU433/prediction", headers=rev).status_code == 404
    r = client.post("/api/classify/predict", headers=rev,
                    json={"subject": "talks", "paragraphs": ["the naval base"], "tags": ["PGOV"]})  # fmt: skip
    assert r.status_code == 200 and len(r.json()["paragraphs"]) == 1
    assert client.post("/api/classify/predict", json={"paragraphs": ["x"]}).status_code == 403
    r = client.get(f"/api/cables/{B_ID}/similar", headers=plain)
    assert r.status_code == 200 and len(r.json()["similar"]) == 10
    assert r.json()["similar"][0]["url"].startswith("/api/cables/")
    assert client.get("/api/cables/09BAKU433/similar").status_code == 404
    anon_topics = client.get("/api/topics").json()
    s_topics = client.get("/api/topics", headers=plain).json()
    assert len(anon_topics) == 8
    assert all(a["cables"] <= s["cables"] for a, s in zip(anon_topics, s_topics))
    r = client.get("/api/trends", params=[("q", "iran"), ("q", "iraq")], headers=plain)
    assert r.status_code == 200 and [s["query"] for s in r.json()["series"]] == ["iran", "iraq"]
    r = client.get("/api/trends", params=[("q", "iran"), ("format", "csv")], headers=plain)
    assert r.status_code == 200 and r.text.startswith("month,iran,")
    assert client.get("/api/trends", params={"q": "tag:"}).status_code == 400


def test_web_pages(client, access: AccessDB):
    rev = {"Authorization": f"Bearer {access.new_token('rev-s')[0]}"}
    plain = {"Authorization": f"Bearer {access.new_token('plain-s')[0]}"}
    page = client.get(f"/cables/{B_ID}", headers=plain).text
    assert 'id="similar"' in page and f"/cables/{C_ID}" in page
    assert 'id="prediction"' not in page and "reads " not in page
    page = client.get(f"/cables/{B_ID}", headers=rev).text
    assert 'id="prediction"' in page and 'class="pred' in page
    anon = client.get(f"/cables/{B_ID}").text  # U: only B's first paragraph is visible
    assert 'class="pred' not in anon
    r = client.get("/search", params={"q": "minister"}, headers=plain)
    assert r.status_code == 200 and "Topics in these results" in r.text and "topic:" in r.text
    r = client.get("/trends", params=[("q", "iran"), ("q", "iraq")], headers=plain)
    assert r.status_code == 200 and "<svg" in r.text and "format=csv" in r.text
    assert client.get("/trends", params={"q": "tag:"}).status_code == 400


# --- the declassification review ordered by predicted sensitivity (reviewers) -------------------

DUE = "2030-01-01"


def test_declass_review_orders_by_the_models_score(db: Path):
    admin = Reader.unrestricted()
    with Archive(db) as arc:
        view = arc.as_reader(admin)
        plain = view.declassification(DUE)
        model = classify.load_model(arc)
        assert model is not None
        ranked = view.declassification(DUE, sort="releasable")
        sensitive = view.declassification(DUE, sort="sensitive")
        some = [c.id for c in ranked.due_cables[:: max(1, len(ranked.due_cables) // 6)]]
        direct = {cid: classify.predict_cable(arc, cid, reader=admin) for cid in some}
    assert len(plain.due_cables) > 50 and plain.threshold is not None
    # The same cables, each with the model's reading of its whole text.
    assert {c.id for c in ranked.due_cables} == {c.id for c in plain.due_cables}
    for cid, pred in direct.items():
        assert pred is not None
        got = next(c.predicted for c in ranked.due_cables if c.id == cid)
        assert got == pytest.approx(pred.classified, abs=1e-6)
    scores = [c.predicted for c in ranked.due_cables]
    assert None not in scores and scores == sorted(scores) and scores[0] < scores[-1]
    assert [c.predicted for c in sensitive.due_cables] == sorted(scores, reverse=True)
    # The default order stays by due date, predictions beside it.
    assert [c.when for c in plain.due_cables] == sorted(c.when for c in plain.due_cables)
    # "Likely releasable": exactly the cables below the model's threshold; counts follow.
    with Archive(db) as arc:
        rel = arc.as_reader(admin).declassification(DUE, releasable_only=True)
    below = {c.id for c in ranked.due_cables if c.predicted < model.threshold}
    # Due cables are all classified, so the model may well read none of them as releasable.
    assert len(below) < len(ranked.due_cables)
    assert {c.id for c in rel.due_cables} == below
    assert sum(rel.by_origin.values()) == len(below) == sum(rel.by_classification.values())
    # The filter itself, at a threshold that splits these scores: exactly the cables below
    # it, the counts following them, the order kept.
    cut = sorted(scores)[len(scores) // 2]
    with Archive(db) as arc:
        again = arc.as_reader(admin).declassification(DUE)
    kept = rank(again, {c.id: c.predicted for c in ranked.due_cables}, cut,
                sort="releasable", releasable_only=True)  # fmt: skip
    half = {c.id for c in ranked.due_cables if c.predicted < cut}
    assert 0 < len(half) < len(ranked.due_cables)
    assert {c.id for c in kept.due_cables} == half and kept.due_total == len(scores)
    assert sum(kept.by_origin.values()) == len(half) == sum(kept.by_classification.values())
    assert [c.predicted for c in kept.due_cables] == sorted(c.predicted for c in kept.due_cables)
    with pytest.raises(ValueError, match="sort"):
        Archive(db).as_reader(admin).declassification(DUE, sort="nonsense")


def test_declass_predictions_read_only_visible_text(db: Path, access: AccessDB):
    # B is SECRET but for one unclassified paragraph: the U reviewer's number for it is the
    # model's reading of that paragraph alone, never the stored whole-cable prediction.
    rev_u = _reader(access, "rev-u")
    with Archive(db) as arc:
        rep = arc.as_reader(rev_u).declassification(DUE, sort="sensitive")
        whole = arc.as_reader(Reader.unrestricted()).declassification(DUE)
        alone = classify.predict_cable(arc, B_ID, reader=rev_u)
    assert alone is not None and alone.withheld >= 5
    got = {c.id: c.predicted for c in rep.due_cables}
    full = {c.id: c.predicted for c in whole.due_cables}
    assert got[B_ID] == pytest.approx(alone.classified, abs=1e-6)
    assert abs(got[B_ID] - full[B_ID]) > 0.05
    assert "09BAKU433" not in got  # all CONFIDENTIAL: not visible to a U reader at all


def test_declass_non_reviewers_see_no_prediction_and_no_filter(db: Path, access: AccessDB):
    for name in ("anon", "plain-s"):
        reader = _reader(access, name)
        with Archive(db) as arc:
            view = arc.as_reader(reader)
            rep = view.declassification(DUE)
            with pytest.raises(PermissionError, match="reviewers"):
                view.declassification(DUE, sort="releasable")
            with pytest.raises(PermissionError, match="reviewers"):
                view.declassification(DUE, releasable_only=True)
        assert rep.due_cables and rep.threshold is None
        assert all(c.predicted is None for c in rep.due_cables)
        d = rep.to_dict()
        assert "threshold" not in d and all("predicted" not in c for c in d["due_cables"])


def test_declass_api_web_and_cli(client, access: AccessDB, db: Path):
    rev = {"Authorization": f"Bearer {access.new_token('rev-s')[0]}"}
    plain = {"Authorization": f"Bearer {access.new_token('plain-s')[0]}"}
    q = {"due": DUE, "sort": "releasable", "releasable": "true"}
    assert client.get("/api/declass", params=q, headers=plain).status_code == 403
    assert client.get("/api/declass", params={"due": DUE, "releasable": "1"}).status_code == 403
    body = client.get("/api/declass", params={"due": DUE}, headers=plain).json()
    assert body["due_cables"] and all("predicted" not in c for c in body["due_cables"])
    r = client.get("/api/declass", params={"due": DUE, "sort": "releasable"}, headers=rev)
    assert r.status_code == 200, r.text
    every = r.json()
    scores = [c["predicted"] for c in every["due_cables"]]
    assert scores and scores == sorted(scores) and every["releasable_only"] is False
    # The filter keeps exactly the cables scoring below the threshold (maybe none: due
    # cables are all classified and the model has read these ones).
    got = client.get("/api/declass", params=q, headers=rev).json()
    assert got["sort"] == "releasable" and got["releasable_only"] is True
    assert [c["id"] for c in got["due_cables"]] == [
        c["id"] for c in every["due_cables"] if c["predicted"] < got["threshold"]]  # fmt: skip
    assert client.get("/api/declass", params={"sort": "x"}, headers=rev).status_code == 422
    # Web: the reviewer gets the order, the filter and the column; a non-reviewer asking
    # for them gets the plain page, in due-date order.
    page = client.get("/declass", params={"due": DUE, "sort": "sensitive"}, headers=rev).text
    assert 'id="ranking"' in page and "Likely releasable" in page and "<th>Predicted</th>" in page
    shown = re.findall(r'class="pred(?: pred-high)?"[^>]*>(\d+)%', page)
    assert len(shown) > 10 and [int(x) for x in shown] == sorted(map(int, shown), reverse=True)
    plain_page = client.get("/declass", params={"due": DUE}, headers=plain).text
    asked = client.get("/declass", params={**q, "sort": "sensitive"}, headers=plain).text
    for p in (plain_page, asked):
        assert 'id="ranking"' not in p and "Predicted" not in p and 'class="pred' not in p
    order = re.compile(r'<td><a href="/cables/([^"]+)">')
    assert order.findall(asked) == order.findall(plain_page)
    r = CliRunner().invoke(main, ["declass", "--due", DUE, "--sort", "releasable",
                                  "--releasable", "--db", str(db)])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "likely releasable" in r.output
    r = CliRunner().invoke(main, ["declass", "--due", DUE, "--sort", "releasable",
                                  "--db", str(db)])  # fmt: skip
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.output.splitlines() if ln.startswith("  20")]
    cli_scores = [float(ln.rsplit("\t", 1)[1]) for ln in lines]
    assert cli_scores and cli_scores == sorted(cli_scores)
