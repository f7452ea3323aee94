"""Entities: extraction on the seed cable and ALL-CAPS text, resolution inside a cable and
across the archive, the enrichment stage (incremental, resumable, parallel), search
filters, entity pages, and user corrections surviving re-ingest and re-enrichment.

spaCy loads once per test process (the ``extractor`` fixture and the model cache in
``cablegram.enrich.nlp``); archives hold a handful of cables written for the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cablegram.archive import Archive
from cablegram.enrich import CableText, Extractor
from cablegram.enrich import db as edb
from cablegram.enrich.truecase import is_upper_text, restore_case
from cablegram.model import Cable, Official, Origin, Paragraph, Tag
from cablegram.parser import parse
from cablegram.search import Visibility

ROOT = Path(__file__).resolve().parents[1]
BAKU_MD = ROOT / "samples" / "09BAKU433.md"


@pytest.fixture(scope="session")
def extractor() -> Extractor:
    return Extractor()


def cable_text(c: Cable) -> CableText:
    return CableText(
        c.id,
        [(i + 1, p.text) for i, p in enumerate(c.paragraphs)],
        c.signer,
        (c.classified_by.name, c.classified_by.title) if c.classified_by else ("", ""),
        [t.name for t in c.tags if t.kind == "country"],
        c.year,
    )


@pytest.fixture(scope="session")
def seed(extractor: Extractor):
    c = parse(BAKU_MD.read_bytes())
    return extractor.extract_one(cable_text(c))


def names(ents, kind: str) -> set[str]:
    return {m.name for m in ents.mentions if m.kind == kind and m.key}


# --- extraction ----------------------------------------------------------------------------


def test_seed_people(seed) -> None:
    people = names(seed, "person")
    for who in ("Safar Abiyev", "Bantz Craddock", "Anne E. Derse", "Katherine Canavan", "Kisner",
                "Schafer", "Aliyev", "Elmar Mammadyarov", "Sultanov", "Najafov", "Ralston",
                "Rumsfeld"):  # fmt: skip
        assert who in people, who
    # Short forms joined their full names inside the cable.
    assert "Abiyev" not in people and "Craddock" not in people and "Derse" not in people


def test_seed_organisations_and_places(seed) -> None:
    orgs, places = names(seed, "org"), names(seed, "place")
    for org in ("NATO", "EUCOM", "SOCEUR", "Minsk Group", "Office of Defense Cooperation"):
        assert org in orgs, org
    goaj = [m for m in seed.mentions if m.text == "GOAJ"]
    assert goaj and {m.kind for m in goaj} == {"org"} and goaj[0].name == "Government of Azerbaijan"
    for place in ("Azerbaijan", "Armenia", "Nagorno-Karabakh", "Georgia", "Tbilisi", "Ceyhan",
                  "Erzurum", "Afghanistan", "Kosovo", "Iraq", "Caucasus"):  # fmt: skip
        assert place in places, place


def test_seed_no_jargon(seed) -> None:
    texts = {m.text.upper() for m in seed.mentions} | {m.name.upper() for m in seed.mentions}
    for bad in ("SEPTEL", "SEPTELS", "END SUMMARY", "SUMMARY", "C O N F I D E N T I A L",
                "PGOV", "KDEM", "ENRG", "ETRD", "PREL"):  # fmt: skip
        assert bad not in texts, bad
    assert not any("XXXX" in m.name for m in seed.mentions)


def test_seed_titles_signer_and_classifier(seed) -> None:
    by_name: dict[str, list] = {}
    for m in seed.mentions:
        by_name.setdefault(m.name, []).append(m)
    abiyev = by_name["Safar Abiyev"]
    assert any(m.title == "Defense Minister" for m in abiyev)
    # "the Defense Minister" is Abiyev: the only defence minister of the cable.
    assert any(m.role == "title" and m.text.lower() == "the defense minister" for m in abiyev)
    assert any(m.title.startswith("EUCOM Commander") for m in by_name["Bantz Craddock"])
    assert any(m.title == "POLAD" for m in by_name["Katherine Canavan"])
    derse = {m.role for m in by_name["Anne E. Derse"]}
    assert {"classifier", "signer"} <= derse  # "Classified By: Ambassador Anne E. Derse", "DERSE"
    assert any(m.role == "title" and m.text == "the Ambassador" for m in by_name["Anne E. Derse"])
    # "the Minister" could be Abiyev or Mammadyarov: left unresolved.
    assert not any(m.role == "title" and m.text.lower() == "the minister" for m in seed.mentions)


def test_mentions_have_offsets(seed) -> None:
    c = parse(BAKU_MD.read_bytes())
    texts = {i + 1: p.text for i, p in enumerate(c.paragraphs)}
    for m in seed.mentions:
        if m.seq is not None:
            assert texts[m.seq][m.start : m.end] == m.text


def test_septel_sentence(seed) -> None:
    (sep,) = seed.septels
    assert "Septels report" in sep[3]
    assert "person:bantz craddock" in sep[4] and "person:elmar mammadyarov" in sep[4]


def test_restore_case_keeps_length_and_restores_names() -> None:
    text = ("ON MAY 21 DEFENSE MINISTER SAFAR ABIYEV TOLD VISITING EUCOM COMMANDER CRADDOCK THAT "
            "AZERBAIJAN IS COMMITTED TO NATO. HE SAID THE GOAJ'S VIEW IS CLEAR.")  # fmt: skip
    assert is_upper_text(text)
    out = restore_case(text)
    assert len(out) == len(text) and out.upper() == text
    assert "Safar Abiyev" in out and "NATO" in out and "Azerbaijan" in out and " the " in out
    assert "GOAJ's" in out


def test_all_caps_cable(extractor: Extractor) -> None:
    c = parse(BAKU_MD.read_bytes())
    ct = cable_text(c)
    ct.paragraphs = [(s, t.upper()) for s, t in ct.paragraphs]
    ents = extractor.extract_one(ct)
    people = names(ents, "person")
    assert {"Safar Abiyev", "Bantz Craddock", "Elmar Mammadyarov", "Katherine Canavan"} <= people
    assert {"NATO", "EUCOM", "Government of Azerbaijan"} <= names(ents, "org")
    assert {"Azerbaijan", "Armenia", "Georgia", "Iraq"} <= names(ents, "place")
    assert not any("SEPTEL" in m.text.upper() for m in ents.mentions if m.key)


def test_redactions_are_sources_not_people(extractor: Extractor) -> None:
    ct = CableText("09TEST1", [(1, "XXXXXXXXXXXX told Poloff on May 3 that Minister XXXXXXXXXXXX "
                                   "had met Prime Minister Erdogan. Emboff and Polcouns attended "
                                   "(reftel). Septel will report.")])  # fmt: skip
    ents = extractor.extract_one(ct)
    red = [m for m in ents.mentions if m.kind == "redacted"]
    assert len(red) == 2 and red[1].title == "Minister"
    assert not any("XXXX" in m.text for m in ents.mentions if m.kind != "redacted")
    people = names(ents, "person")
    assert people == {"Erdogan"}


def test_all_caps_institutions_are_restored_as_names() -> None:
    text = ("SHE SERVED ON THE DEFUNCT ELECTION MONITORING COMMISSION OF THE NATIONAL ASSEMBLY AND "
            "LEFT THE SOCIALIST PARTY. BOTH THE LOCAL POLICE AND THE FRENCH GOVERNMENT WERE TOLD.")  # fmt: skip
    out = restore_case(text)
    assert len(out) == len(text) and out.upper() == text
    assert "defunct Election Monitoring Commission of the National Assembly" in out
    assert "Socialist Party" in out
    # Generic references stay lower case: no name before the head word, or a nationality.
    assert "the local police" in out and "the French government" in out


def test_organisation_rules(extractor: Extractor) -> None:
    ct = CableText("09TEST2", [
        (1, "Emboff met INR/B analysts and Tax Directorate Chief Ilham Rustamov; the Finance Ministry "
            "and Central Bank officials, and Jonas Vetrulis of the Nuclear Safety Directorate "
            "attended. Marek Tuzinsky said the 17th Mechanized Infantry Brigade was ready."),
        (2, "The Ministry of Agriculture and Fisheries and the University of Gdansk signed."),
    ], countries=["Poland"])  # fmt: skip
    ents = extractor.extract_one(ct)
    orgs = names(ents, "org")
    assert "INR/B" in orgs  # a State Department office, whole
    assert "Tax Directorate" in orgs  # named inside a title, still an organisation
    assert {"Finance Ministry", "Central Bank"} <= orgs  # two institutions, not one
    assert "17th Mechanized Infantry Brigade" in orgs  # units keep their number
    assert {"Ministry of Agriculture and Fisheries", "University of Gdansk"} <= orgs
    assert "Gdansk" not in names(ents, "place")  # a place inside an organisation's name
    people = names(ents, "person")
    assert {"Ilham Rustamov", "Marek Tuzinsky"} <= people
    assert not (orgs & {"Marek Tuzinsky", "Ilham Rustamov"})


# --- the archive -----------------------------------------------------------------------------


def make_cable(cid: str, date: str, paras: list[str], *, origin: str = "BAKU", signer: str = "",
               classified_by: tuple[str, str] | None = None, marking: str = "") -> Cable:  # fmt: skip
    return Cable(
        id=cid,
        dtg=f"{date}T10:00:00Z",
        classification="CONFIDENTIAL",
        subject=f"TEST CABLE {cid}",
        signer=signer,
        classified_by=Official(*classified_by) if classified_by else None,
        tags=[Tag("AJ", "country", "Azerbaijan")],
        paragraphs=[Paragraph(i + 1, marking or "C", "", t) for i, t in enumerate(paras)],
        origin=Origin(code=origin),
    )


CABLES = [
    make_cable(
        "09BAKU100",
        "2009-05-01",
        [
            "Defense Minister Safar Abiyev met EUCOM Commander General Bantz Craddock in Baku. "
            "Abiyev said the GOAJ wants closer ties with NATO.",
            "(Septel reports General Craddock's meeting with President Ilham Aliyev.)",
        ],
        signer="DERSE",
        classified_by=("Anne E. Derse", "Ambassador"),
    ),  # fmt: skip
    make_cable(
        "09BAKU101",
        "2009-05-02",
        [
            "General Craddock and President Aliyev discussed Afghanistan and the Caspian. "
            "Craddock praised Azerbaijan's troops in Kosovo (09 BAKU 88).",
        ],
    ),  # fmt: skip
    make_cable(
        "09BAKU102",
        "2009-07-10",
        [
            "Abiyev told the Ambassador that Azerbaijan relies on Russian equipment. "
            "The Defense Minister repeated the point.",
        ],
    ),  # fmt: skip
    make_cable(
        "02BAKU200",
        "2002-03-01",
        [
            "President Heydar Aliyev received the delegation in Baku.",
            "President Aliyev said the talks with Armenia were difficult.",
        ],
    ),  # fmt: skip
    make_cable(
        "09TBILISI300",
        "2009-05-03",
        [
            "Foreign Minister Grigol Vashadze told the Ambassador that Georgia wants NATO membership. "
            "Vashadze met Abiyev in Tbilisi.",
        ],
        origin="TBILISI",
        marking="S",
    ),  # fmt: skip
]


@pytest.fixture
def arc(tmp_path: Path, extractor: Extractor):
    with Archive(tmp_path / "e.db") as a:
        for c in CABLES:
            a.store.add(c)
        rep = a.enrich(workers=0)
        assert rep.cables == len(CABLES)
        yield a


def ids_of(res) -> set[str]:
    return {h.id for h in res.hits}


def test_resolution_across_the_archive(arc: Archive) -> None:
    page = arc.entity("person:safar-abiyev")
    assert page is not None and page.entity.name == "Safar Abiyev"
    # Short forms in other cables joined the one full name they fit.
    assert {c["id"] for c in page.cables} == {"09BAKU100", "09BAKU102", "09TBILISI300"}
    assert dict(page.aliases).keys() >= {"Abiyev", "Safar Abiyev"}
    assert [t[0] for t in page.titles] == ["Defense Minister"]
    assert page.entity.first_seen == "2009-05-01" and page.entity.last_seen == "2009-07-10"
    assert page.timeline == [("2009-05", 2), ("2009-07", 1)]
    co = {o["entity_id"] for o in page.co_mentioned}
    assert "person:bantz-craddock" in co and "org:government-of-azerbaijan" in co
    # "Aliyev" alone fits two full names (Ilham, Heydar): each cable's context decides.
    # "President Aliyev" in 2009 is Ilham, who holds that title then; in 2002 the cable
    # itself names Heydar.
    ilham = arc.entity("person:ilham-aliyev")
    assert ilham is not None and {c["id"] for c in ilham.cables} == {"09BAKU100", "09BAKU101"}
    heydar = arc.entity("person:heydar-aliyev")
    assert heydar is not None and {c["id"] for c in heydar.cables} == {"02BAKU200"}
    # An id made from any key of an entity finds it.
    assert arc.entity("person:abiyev").entity.entity_id == "person:safar-abiyev"
    assert arc.entity("person:Safar Abiyev").entity.entity_id == "person:safar-abiyev"
    # The signer and the classifying official are one person.
    derse = arc.entity("person:anne-derse")
    assert derse is not None and {"Derse", "Anne E. Derse"} <= set(dict(derse.aliases))


def test_search_filters(arc: Archive) -> None:
    assert ids_of(arc.search("person:Abiyev")) == {"09BAKU100", "09BAKU102", "09TBILISI300"}
    assert ids_of(arc.search('person:"Safar Abiyev"')) == {"09BAKU100", "09BAKU102", "09TBILISI300"}
    assert ids_of(arc.search("org:GOAJ")) == {"09BAKU100"}
    assert ids_of(arc.search("org:NATO place:Tbilisi")) == {"09TBILISI300"}
    assert ids_of(arc.search("place:Baku")) == {"09BAKU100", "02BAKU200"}
    # The Tbilisi cable is SECRET; a CONFIDENTIAL reader does not find it through it.
    vis = Visibility(3)
    assert "09TBILISI300" not in ids_of(arc.search("person:Abiyev", visible=vis))
    facets = arc.entity_facets("place:Azerbaijan")
    assert facets["place"][0][1] == "Azerbaijan"


def test_entity_list_and_cable_mentions(arc: Archive) -> None:
    people = arc.entities("person", limit=100)
    assert people[0].n_cables >= people[-1].n_cables
    assert "person:safar-abiyev" in {e.entity_id for e in people}
    assert {e.entity_id for e in arc.entities(query="Abi")} == {"person:safar-abiyev"}
    ms = arc.cable_entities("09BAKU100")
    assert [m["text"] for m in ms if m["role"] == "signer"] == ["DERSE"]
    assert any(m["kind"] == "org" and m["text"] == "GOAJ" for m in ms)


def test_incremental_and_resumable(arc: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    assert arc.enrich(workers=0).cables == 0  # nothing changed
    # A cable whose portions the store rewrites (a better version, a re-parse) is due again.
    arc.store.refresh("09BAKU101", rebuild=True)  # type: ignore[attr-defined]
    rep = arc.enrich(workers=0)
    assert rep.cables == 1 and rep.pending == 1
    assert ids_of(arc.search("person:Craddock")) >= {"09BAKU101"}
    # A new extractor version redoes everything.
    from cablegram.enrich import run

    monkeypatch.setattr(run, "extractor_version", lambda: "test-extractor")
    assert arc.enrich(workers=0).cables == len(CABLES)
    # A run that stops early (no resolution) keeps what it wrote.
    monkeypatch.setattr(run, "extractor_version", lambda: "test-extractor-2")
    part = arc.enrich(workers=0, ids=["09BAKU100", "09BAKU101"])
    assert part.cables == 2
    assert arc.enrich(workers=0).cables == len(CABLES) - 2


def test_parallel_workers(arc: Archive) -> None:
    before = sorted(arc.store.conn.execute(  # type: ignore[attr-defined]
        "SELECT cable_id, start_char, end_char, kind, text, entity_id FROM mentions"
    ).fetchall())  # fmt: skip
    from cablegram.enrich.run import enrich

    rep = enrich(arc.store.conn, workers=2, force=True, batch_size=2)  # type: ignore[attr-defined]
    assert rep.cables == len(CABLES) and rep.workers == 2
    after = sorted(arc.store.conn.execute(  # type: ignore[attr-defined]
        "SELECT cable_id, start_char, end_char, kind, text, entity_id FROM mentions"
    ).fetchall())  # fmt: skip
    assert after == before


def test_corrections_survive_reenrichment_and_reingest(arc: Archive) -> None:
    # A user merges the two Aliyevs the resolution kept apart, then splits the 2002 cable
    # off again: both decisions hold on every later resolution.
    arc.merge_entities("person:heydar-aliyev", "person:ilham-aliyev")
    arc.split_entity("person:ilham-aliyev", "Heydar Aliyev", before="2003-01-01")
    arc.rename_entity("person:bantz-craddock", "Gen. Bantz J. Craddock")
    arc.delete_entity("place:caspian")

    def check() -> None:
        heydar = arc.entity("person:heydar-aliyev")
        assert heydar is not None
        assert {c["id"] for c in heydar.cables} == {"02BAKU200"}
        ilham = arc.entity("person:ilham-aliyev")
        assert {c["id"] for c in ilham.cables} == {"09BAKU100", "09BAKU101"}
        assert ilham.entity.curated
        assert arc.entity("person:bantz-craddock").entity.name == "Gen. Bantz J. Craddock"
        assert arc.entity("place:caspian") is None
        assert ids_of(arc.search("place:Caspian")) == set()
        assert ids_of(arc.search('person:"Heydar Aliyev"')) == {"02BAKU200"}

    check()
    arc.enrich(workers=0, force=True)
    check()
    for c in CABLES:  # re-ingest: every cable's portions rewritten
        arc.store.refresh(c.id, rebuild=True)  # type: ignore[attr-defined]
    assert arc.enrich(workers=0).cables == len(CABLES)
    check()
    assert [c.action for c in edb_corrections(arc)] == ["merge", "split", "rename", "delete"]


def edb_corrections(arc: Archive):
    from cablegram.enrich.catalog import corrections

    return corrections(arc.store.conn)  # type: ignore[attr-defined]


def test_curation_errors(arc: Archive) -> None:
    with pytest.raises(LookupError):
        arc.merge_entities("person:nobody-at-all", "person:safar-abiyev")
    with pytest.raises(ValueError):
        arc.merge_entities("place:baku", "person:safar-abiyev")
    with pytest.raises(ValueError):
        arc.split_entity("person:safar-abiyev", "Someone")  # no scope


def test_citations_in_text_and_septels(arc: Archive) -> None:
    from cablegram import graph

    conn = arc.store.conn  # type: ignore[attr-defined]
    assert conn.execute("SELECT cited_id FROM citations WHERE kind = 'text'").fetchall() == [
        ("09BAKU88",)
    ]
    # "(Septel reports General Craddock's meeting with President Ilham Aliyev.)" -> 09BAKU101:
    # same post, next day, the same two people.
    septel = [c for c in graph.cites(arc, "09BAKU100") if c.kind == "septel"]
    assert [c.cited for c in septel] == ["09BAKU101"]
    assert "09BAKU88" in {m.id for m in graph.missing_citations(arc)}


def test_cli(arc: Archive, tmp_path: Path) -> None:
    from cablegram.cli.enrich import enrich_command, entities_group, graph_command

    db = arc.path
    r = CliRunner()
    out = r.invoke(enrich_command, ["--db", db, "--workers", "0", "--json"])
    assert out.exit_code == 0, out.output
    out = r.invoke(entities_group, ["list", "--db", db, "--kind", "person"])
    assert out.exit_code == 0 and "person:safar-abiyev" in out.output
    out = r.invoke(entities_group, ["show", "person:Abiyev", "--db", db])
    assert out.exit_code == 0 and "Defense Minister" in out.output
    out = r.invoke(entities_group, ["merge", "person:heydar-aliyev", "person:ilham-aliyev",
                                    "--db", db])  # fmt: skip
    assert out.exit_code == 0, out.output
    out = r.invoke(entities_group, ["split", "person:ilham-aliyev", "--name", "Heydar Aliyev",
                                    "--before", "2003", "--db", db])  # fmt: skip
    assert out.exit_code == 0, out.output
    out = r.invoke(entities_group, ["rename", "person:safar-abiyev", "Safar Abiyev", "--db", db])
    assert out.exit_code == 0
    out = r.invoke(entities_group, ["delete", "org:nato", "--db", db])
    assert out.exit_code == 0
    out = r.invoke(entities_group, ["corrections", "--db", db])
    assert out.exit_code == 0 and out.output.count("\n") == 5  # a header row, 4 decisions
    out = r.invoke(entities_group, ["show", "person:nobody", "--db", db])
    assert out.exit_code != 0
    path = tmp_path / "c.graphml"
    out = r.invoke(graph_command, ["comentions", "--db", db, "--min-weight", "1", "--format",
                                   "graphml", "-o", str(path)])  # fmt: skip
    assert out.exit_code == 0 and path.exists()
    out = r.invoke(graph_command, ["missing", "--db", db, "--json"])
    assert out.exit_code == 0 and "09BAKU88" in out.output


def test_tables_created_on_demand(tmp_path: Path) -> None:
    with Archive(tmp_path / "x.db") as a:
        assert not edb.has_tables(a.store.conn)  # type: ignore[attr-defined]
        with pytest.raises(LookupError):
            a.entities()
        rep = a.enrich(workers=0)
        assert rep.cables == 0 and edb.has_tables(a.store.conn)  # type: ignore[attr-defined]
        assert a.entities() == []


def test_comention_graph_exports_load_back(arc: Archive, tmp_path: Path) -> None:
    from cablegram import graph

    g = graph.comention_graph(arc, min_weight=1)
    assert g.has_edge("person:safar-abiyev", "person:bantz-craddock")
    assert g.edges["person:safar-abiyev", "org:nato"]["weight"] == 2  # 09BAKU100, 09TBILISI300
    assert g.nodes["person:safar-abiyev"]["name"] == "Safar Abiyev"
    people = graph.comention_graph(arc, kinds=["person"], min_weight=1)
    assert {d["kind"] for _, d in people.nodes(data=True)} == {"person"}
    ego = graph.ego_network(arc, "person:Abiyev", radius=1)
    assert ego.nodes["person:safar-abiyev"]["center"] and "person:grigol-vashadze" in ego
    for fmt in graph.GRAPH_FORMATS:
        path = tmp_path / f"co.{fmt}"
        graph.export(g, fmt, path)
        h = graph.load(fmt, path)
        assert not h.is_directed()
        assert (
            h.number_of_nodes() == g.number_of_nodes()
            and h.number_of_edges() == g.number_of_edges()
        )
        assert int(h.edges["person:safar-abiyev", "org:nato"]["weight"]) == 2
