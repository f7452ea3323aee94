"""Search on a small real SQLite database built from the schema file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cablegram.search import QueryError, Visibility, search
from cablegram.search.results import MAX_PER_PAGE, Snippet
from cablegram.search.sqlite import search_ids

SCHEMA = Path(__file__).resolve().parents[1] / "src" / "cablegram" / "store" / "schema_sqlite.sql"
LEVELS = ["UNCLASSIFIED", "LIMITED OFFICIAL USE", "SENSITIVE BUT UNCLASSIFIED"]
LEVELS += ["CONFIDENTIAL", "SECRET", "TOP SECRET"]

LONG = (
    ("Filler words about nothing in particular. " * 12)
    + "The needle is here. "
    + ("More filler text follows the needle sentence. " * 10)
)

# id, origin code, origin name, date, level, subject (marking, level), paragraphs
# (marking, level, caveats, text[, heading]), tags, caveats, refs, signer
CABLES = [
    dict(
        id="09BAKU433",
        origin=("BAKU", "Embassy Baku"),
        date="2009-05-21",
        level=4,
        subject=("C", 3, "Naval base talks with Azerbaijan"),
        paras=[
            ("C", 3, "", "The T-72 tanks moved near the pipeline."),
            ("S/NF", 4, "NOFORN", "Secret gas deal agreed in mil-to-mil contacts."),
            ("U", 0, "", "U.S. officials met on 2009-05-21 under 1.4(b)."),
            ("S/NF/OC", 4, "NOFORN ORCON", "Orcon protected source reporting."),
        ],
        tags=[("PGOV", "Internal Governmental Affairs"), ("PREL", ""), ("AJ", "Azerbaijan")],
        caveats=["NOFORN"],
        refs=["08BAKU123"],
        signer="DERSE",
    ),
    dict(
        id="08BAKU123",
        origin=("BAKU", "Embassy Baku"),
        date="2008-03-01",
        level=3,
        subject=("C", 3, "Pipeline politics"),
        paras=[
            ("C", 3, "", "Pipeline pipeline government energy.", "Energy"),
            ("U", 0, "", "Nothing else to report: A < B & C."),
        ],
        tags=[("EPET", "Petroleum")],
        signer="DERSE",
    ),
    dict(
        id="09MOSCOW100",
        origin=("MOSCOW", "Embassy Moscow"),
        date="2009-06-10",
        level=0,
        subject=("U", 0, "Gas prices"),
        paras=[
            ("U", 0, "", "Gazprom raised gas prices for Ukraine at the Café Pushkin."),
            ("U", 0, "", "The naval exercises continued."),
            ("U", 0, "", LONG),
        ],
        tags=[("PREL", "")],
        signer="BEYRLE",
    ),
    dict(
        id="09STATE5",
        origin=("STATE", "Secretary of State"),
        date="2009-01-05",
        level=4,
        subject=("S", 4, "Pipelines and naval matters"),
        paras=[
            ("U", 0, "", "Caspian pipeline security."),
            ("S/NF", 4, "NOFORN", "Secret naval base in Baku."),
        ],
        tags=[("PGOV", "")],
        caveats=["NOFORN"],
        refs=["08BAKU123", "09BAKU433"],
    ),
    dict(
        id="09STATE6",
        origin=("STATE", "Secretary of State"),
        date="2009-02-01",
        level=5,
        subject=("TS", 5, "Top secret pipeline"),
        paras=[("TS", 5, "", "Top secret pipeline plans.")],
        tags=[("PGOV", "")],
    ),
    dict(
        id="06BAKU900",
        origin=("BAKU", "Embassy Baku"),
        date="2006-11-30",
        level=1,
        subject=("", 1, "Election observers"),
        paras=[
            ("", 1, "", "Election day was calm in Baku."),
            ("", 1, "", "Observers from OSCE reported irregularities."),
        ],
        signer="DERSE",
    ),
    dict(
        id="10XYZ1",
        origin=("XYZ", "Consulate Xyz"),
        date=None,
        level=0,
        subject=("", 0, "Undated note"),
        paras=[("", 0, "", "A pipeline note without a date.")],
    ),
]
ALL = {c["id"] for c in CABLES}


def build(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA.read_text())
    for n, c in enumerate(CABLES, 1):
        conn.execute(
            "INSERT INTO versions (version_id, cable_id, content_hash, source, ingested_at, "
            "record) VALUES (?, ?, ?, 'test', '2020-01-01', '{}')",
            (n, c["id"], c["id"]),
        )
        date = c["date"]
        conn.execute(
            "INSERT INTO cables (key, id, version_id, origin_code, origin_name, date, year, "
            "month, classification, class_level, subject, signer) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                n,
                c["id"],
                n,
                *c["origin"],
                date,
                int(date[:4]) if date else None,
                date[:7] if date else None,
                LEVELS[c["level"]],
                c["level"],
                c["subject"][2],
                c.get("signer", ""),
            ),
        )
        marking, level, text = c["subject"]
        portions = [("subject", 0, None, marking, level, "", "", text)]
        for i, para in enumerate(c["paras"], 1):
            marking, level, caveats, text, *heading = para
            portions.append(("para", i, i, marking, level, caveats, "".join(heading), text))
        for i, p in enumerate(portions):
            # The store's numbering: cables.key * 4096 + position (store/rows.py).
            conn.execute(
                "INSERT INTO portions (portion_id, cable_id, kind, seq, number, marking, level, "
                "caveats, heading, text) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (n * 4096 + i, c["id"], *p),
            )
        for code, name in c.get("tags", []):
            conn.execute(
                "INSERT INTO cable_tags (cable_key, code, name) VALUES (?,?,?)", (n, code, name)
            )
        for caveat in c.get("caveats", []):
            conn.execute("INSERT INTO cable_caveats VALUES (?, ?)", (n, caveat))
        for seq, ref in enumerate(c.get("refs", [])):
            conn.execute(
                "INSERT INTO cable_refs (cable_key, seq, ref_id) VALUES (?,?,?)", (n, seq, ref)
            )
    # Works whether or not the schema's triggers already fed the index.
    conn.execute("INSERT INTO portions_fts(portions_fts) VALUES ('rebuild')")
    conn.commit()
    conn.close()


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("search") / "cables.db"
    build(path)
    return path


@pytest.fixture()
def conn(db_path: Path):
    c = sqlite3.connect(db_path)
    yield c
    c.close()


def ids(conn: sqlite3.Connection, q: str, **kw) -> set[str]:
    res = search(conn, q, per_page=100, **kw)
    assert res.total == len(res.hits)
    return {h.id for h in res.hits}


# ------------------------------------------------------------------- matching


def test_word(conn) -> None:
    assert ids(conn, "gas") == {"09BAKU433", "09MOSCOW100"}
    assert ids(conn, "GAS") == ids(conn, "gas")


def test_diacritics_fold(conn) -> None:
    assert ids(conn, "cafe") == {"09MOSCOW100"}
    assert ids(conn, "café") == {"09MOSCOW100"}


def test_heading_is_searched(conn) -> None:
    assert ids(conn, "energy") == {"08BAKU123"}


def test_and_across_paragraphs(conn) -> None:
    # "tanks" is in paragraph 1 and "gas" in paragraph 2 of the same cable.
    assert ids(conn, "tanks gas") == {"09BAKU433"}
    assert ids(conn, "tanks AND gas") == {"09BAKU433"}
    # The subject counts as a portion too.
    assert ids(conn, "azerbaijan tanks") == {"09BAKU433"}


def test_phrase_is_within_one_portion(conn) -> None:
    assert ids(conn, '"gas deal"') == {"09BAKU433"}
    assert ids(conn, '"deal gas"') == set()
    assert ids(conn, '"pipeline secret"') == set()  # adjacent only across paragraphs
    assert ids(conn, '"tanks gas"') == set()


def test_prefix(conn) -> None:
    assert ids(conn, "pipe*") == {"09BAKU433", "08BAKU123", "09STATE5", "09STATE6", "10XYZ1"}
    assert ids(conn, '"naval ex"*') == {"09MOSCOW100"}


def test_or(conn) -> None:
    assert ids(conn, "tanks OR election") == {"09BAKU433", "06BAKU900"}
    assert ids(conn, "(tanks OR election) baku") == {"06BAKU900"}


def test_not(conn) -> None:
    # 09BAKU433 and 09STATE5 have "naval" (in a subject line counts).
    assert ids(conn, "pipeline -naval") == {"08BAKU123", "09STATE6", "10XYZ1"}
    assert ids(conn, "pipeline NOT naval") == ids(conn, "pipeline -naval")
    assert ids(conn, "pipeline NOT tag:PGOV") == {"08BAKU123", "10XYZ1"}
    assert ids(conn, "pipeline -(naval OR secret)") == {"08BAKU123", "10XYZ1"}


def test_only_negations_mean_everything_except(conn) -> None:
    assert ids(conn, "-pipeline") == {"09MOSCOW100", "06BAKU900"}
    assert ids(conn, "NOT pipeline NOT election") == {"09MOSCOW100"}
    assert ids(conn, "-tag:PGOV") == ALL - {"09BAKU433", "09STATE5", "09STATE6"}


@pytest.mark.parametrize(
    "q",
    ["T-72", '"t 72"', "t-72", "mil-to-mil", "U.S.", "2009-05-21", "1.4(b)", "09BAKU433"],
)
def test_tricky_tokens(conn, q: str) -> None:
    expected = {"09BAKU433"}
    if q == "09BAKU433":  # an id as a word is a word: it is not in any text
        expected = set()
    assert ids(conn, q) == expected


def test_tricky_token_needs_its_parts_adjacent(conn) -> None:
    assert ids(conn, "T-73") == set()
    assert ids(conn, "72-T") == set()


# -------------------------------------------------------------------- filters


@pytest.mark.parametrize(
    "q, expected",
    [
        ("origin:BAKU", {"09BAKU433", "08BAKU123", "06BAKU900"}),
        ("origin:baku", {"09BAKU433", "08BAKU123", "06BAKU900"}),
        ('origin:"Embassy Baku"', {"09BAKU433", "08BAKU123", "06BAKU900"}),
        ('origin:"embassy  baku"', {"09BAKU433", "08BAKU123", "06BAKU900"}),
        ("origin:MOS*", {"09MOSCOW100"}),
        ('origin:"Embassy M"*', {"09MOSCOW100"}),
        ("tag:PGOV", {"09BAKU433", "09STATE5", "09STATE6"}),
        ("tag:pgov", {"09BAKU433", "09STATE5", "09STATE6"}),
        ("tag:P*", {"09BAKU433", "09STATE5", "09STATE6", "09MOSCOW100"}),
        ("class:SECRET", {"09BAKU433", "09STATE5"}),
        ("class:S", {"09BAKU433", "09STATE5"}),
        ("class:>=S", {"09BAKU433", "09STATE5", "09STATE6"}),
        ("class:>S", {"09STATE6"}),
        ("class:<C", {"09MOSCOW100", "06BAKU900", "10XYZ1"}),
        ("class:<=LOU", {"09MOSCOW100", "06BAKU900", "10XYZ1"}),
        ("class:LOU", {"06BAKU900"}),
        ("caveat:NOFORN", {"09BAKU433", "09STATE5"}),
        ("caveat:nf", {"09BAKU433", "09STATE5"}),
        ("date:2009-05..2009-06", {"09BAKU433", "09MOSCOW100"}),
        ("date:2009-05-21", {"09BAKU433"}),
        ("date:2009-01", {"09STATE5"}),
        ("date:..2008", {"08BAKU123", "06BAKU900"}),
        ("date:2009-02..", {"09BAKU433", "09MOSCOW100", "09STATE6"}),
        ("from:2009-05-01", {"09BAKU433", "09MOSCOW100"}),
        ("to:2008-03-01", {"08BAKU123", "06BAKU900"}),
        ("from:2009-01-06 to:2009-05-21", {"09BAKU433", "09STATE6"}),
        ("year:2009", {"09BAKU433", "09MOSCOW100", "09STATE5", "09STATE6"}),
        ("year:2006..2008", {"08BAKU123", "06BAKU900"}),
        ("id:09BAKU433", {"09BAKU433"}),
        ("id:09baku433", {"09BAKU433"}),
        ("id:09STATE*", {"09STATE5", "09STATE6"}),
        ("ref:08BAKU123", {"09BAKU433", "09STATE5"}),
        ("ref:09BAKU433", {"09STATE5"}),
        ("signer:DERSE", {"09BAKU433", "08BAKU123", "06BAKU900"}),
        ("signer:derse", {"09BAKU433", "08BAKU123", "06BAKU900"}),
        ("signer:BEY*", {"09MOSCOW100"}),
        ("subject:naval", {"09BAKU433", "09STATE5"}),  # not 09MOSCOW100: a paragraph
        ('subject:"naval base"', {"09BAKU433"}),
        ("subject:pipe*", {"08BAKU123", "09STATE5", "09STATE6"}),
        ("origin:BAKU gas", {"09BAKU433"}),
        ("tag:PGOV OR origin:MOSCOW", {"09BAKU433", "09STATE5", "09STATE6", "09MOSCOW100"}),
    ],
)
def test_filters(conn, q: str, expected: set[str]) -> None:
    assert ids(conn, q) == expected


def test_entity_filter_needs_enrich(conn) -> None:
    with pytest.raises(QueryError) as info:
        search(conn, 'pipeline person:"Ilham Aliyev"')
    assert "cablegram enrich" in info.value.message
    assert info.value.position == 9
    assert info.value.query == 'pipeline person:"Ilham Aliyev"'


def test_entity_filter_with_entity_tables(db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "enriched.db"
    path.write_bytes(db_path.read_bytes())
    c = sqlite3.connect(path)
    c.executescript(
        "CREATE TABLE entities (entity_id INTEGER PRIMARY KEY, kind TEXT, name TEXT);"
        "CREATE TABLE mentions (entity_id INTEGER, cable_id TEXT, portion_id INTEGER);"
        "INSERT INTO entities VALUES (1, 'person', 'Ilham Aliyev');"
    )
    secret = c.execute(
        "SELECT portion_id FROM portions WHERE cable_id = '09BAKU433' AND seq = 2"
    ).fetchone()[0]
    c.execute("INSERT INTO mentions VALUES (1, '09BAKU433', ?)", (secret,))
    c.commit()
    assert ids(c, 'person:"ilham aliyev"') == {"09BAKU433"}
    # Mentioned only in a SECRET paragraph: not found below SECRET.
    assert ids(c, 'person:"ilham aliyev"', visible=Visibility(3)) == set()
    assert ids(c, 'person:"ilham aliyev"', visible=Visibility(4, frozenset({"NOFORN"}))) == {
        "09BAKU433"
    }
    c.close()


# ------------------------------------------------------------ ranking, sorting


def test_relevance(conn) -> None:
    res = search(conn, "pipeline")
    scores = [h.score for h in res.hits]
    assert all(s > 0 for s in scores)
    assert scores == sorted(scores, reverse=True)
    # Twice in a short paragraph and in the subject beats once in a longer one.
    assert res.hits[0].id in ("08BAKU123", "09STATE6")
    assert res.sort == "relevance"


def test_more_matching_words_rank_higher(conn) -> None:
    res = search(conn, "gas OR gazprom")
    assert res.hits[0].id == "09MOSCOW100"


def test_sort_by_date(conn) -> None:
    res = search(conn, "pipeline", sort="date")
    dates = [h.date for h in res.hits]
    assert dates == ["2009-05-21", "2009-02-01", "2009-01-05", "2008-03-01", None]
    res = search(conn, "pipeline", sort="date-asc")
    assert [h.date for h in res.hits] == ["2008-03-01", "2009-01-05", "2009-02-01"] + [
        "2009-05-21",
        None,
    ]


def test_filter_only_ranks_by_date(conn) -> None:
    res = search(conn, "origin:BAKU")
    assert [h.id for h in res.hits] == ["09BAKU433", "08BAKU123", "06BAKU900"]
    assert all(h.score == 0 for h in res.hits)


def test_pagination(conn) -> None:
    everything = [h.id for h in search(conn, "pipe*", sort="date").hits]
    pages = [search(conn, "pipe*", sort="date", page=p, per_page=2) for p in (1, 2, 3, 4)]
    assert [h.id for p in pages for h in p.hits] == everything
    assert [len(p.hits) for p in pages] == [2, 2, 1, 0]
    assert all(p.total == 5 and p.pages == 3 for p in pages)
    # Facets describe the whole matching set, not the page.
    assert sum(n for _, n in pages[0].facets["origin"]) == 5


def test_paging_arguments(conn) -> None:
    assert search(conn, "pipeline", per_page=1000).per_page == MAX_PER_PAGE
    with pytest.raises(ValueError):
        search(conn, "pipeline", page=0)
    with pytest.raises(ValueError):
        search(conn, "pipeline", per_page=0)
    with pytest.raises(ValueError):
        search(conn, "pipeline", sort="random")


# --------------------------------------------------------------------- facets


def test_facets(conn) -> None:
    res = search(conn, "pipeline")
    f = res.facets
    assert set(f) == {"origin", "year", "month", "classification", "caveat", "tag", "signer"}
    assert dict(f["origin"]) == {"BAKU": 2, "STATE": 2, "XYZ": 1}
    assert f["origin"][0][1] == 2  # most frequent first
    assert res.facet_labels["origin"] == {
        "BAKU": "Embassy Baku",
        "STATE": "Secretary of State",
        "XYZ": "Consulate Xyz",
    }
    assert f["year"] == [("2008", 1), ("2009", 3)]  # time order; the undated one has none
    assert f["month"] == [("2008-03", 1), ("2009-01", 1), ("2009-02", 1), ("2009-05", 1)]
    assert dict(f["classification"]) == {
        "SECRET": 2,
        "CONFIDENTIAL": 1,
        "TOP SECRET": 1,
        "UNCLASSIFIED": 1,
    }
    assert f["caveat"] == [("NOFORN", 2)]
    assert dict(f["tag"]) == {"PGOV": 3, "PREL": 1, "AJ": 1, "EPET": 1}
    assert res.facet_labels["tag"]["EPET"] == "Petroleum"
    assert f["signer"] == [("DERSE", 2)]


def test_facet_limit(conn) -> None:
    res = search(conn, "pipeline", facet_limit=1)
    assert res.facets["tag"] == [("PGOV", 3)]
    assert len(res.facets["origin"]) == 1


def test_no_facets(conn) -> None:
    assert search(conn, "pipeline", facets=False).facets == {}
    empty = search(conn, "nosuchword")
    assert empty.total == 0 and empty.hits == []
    assert all(v == [] for v in empty.facets.values())


# ------------------------------------------------------------------- snippets


def marked(s: Snippet) -> list[str]:
    return [s.text[a:b] for a, b in s.highlights]


def test_snippets_highlight_matches(conn) -> None:
    hit = search(conn, "tanks gas").hits[0]
    assert [s.number for s in hit.snippets] == [1, 2]  # document order
    assert [marked(s) for s in hit.snippets] == [["tanks"], ["gas"]]
    assert hit.snippets[1].marking == "S/NF"
    assert hit.subject == "Naval base talks with Azerbaijan"


def test_snippet_phrase_and_tricky_token(conn) -> None:
    hit = search(conn, '"gas deal" T-72').hits[0]
    assert sorted(m for s in hit.snippets for m in marked(s)) == ["T-72", "gas deal"]


def test_snippets_at_most_three(conn) -> None:
    hit = search(conn, "pipeline OR tanks OR gas OR officials OR orcon").hits[0]
    assert hit.id == "09BAKU433"
    assert len(hit.snippets) == 3


def test_snippet_window_in_long_paragraph(conn) -> None:
    hit = search(conn, "needle").hits[0]
    s = hit.snippets[0]
    assert len(s.text) < len(LONG)
    assert s.text.startswith("… ") and s.text.endswith(" …")
    assert marked(s) and set(marked(s)) == {"needle"}
    assert "The needle is here." in s.text


def test_snippet_html_escapes(conn) -> None:
    hit = search(conn, "report").hits[0]
    s = hit.snippets[0]
    assert s.html() == "Nothing else to <mark>report</mark>: A &lt; B &amp; C."


def test_filter_only_hits_preview_first_paragraph(conn) -> None:
    hit = search(conn, "id:09BAKU433").hits[0]
    assert [(s.number, s.highlights) for s in hit.snippets] == [(1, [])]
    assert hit.snippets[0].text == "The T-72 tanks moved near the pipeline."


def test_subject_only_match_previews(conn) -> None:
    hit = search(conn, "subject:azerbaijan").hits[0]
    assert hit.snippets and hit.snippets[0].highlights == []


# ----------------------------------------------------------------- visibility


def test_visible_hides_words_in_higher_portions(conn) -> None:
    assert ids(conn, "gas", visible=Visibility(3)) == {"09MOSCOW100"}
    assert ids(conn, "gas", visible=Visibility(4)) == {"09MOSCOW100"}  # the S/NF needs NOFORN
    assert ids(conn, "gas", visible=Visibility(4, frozenset({"NOFORN"}))) == {
        "09BAKU433",
        "09MOSCOW100",
    }
    assert ids(conn, '"gas deal"', visible=Visibility(5, frozenset({"noforn"}))) == {"09BAKU433"}


def test_visible_caveats_must_all_be_allowed(conn) -> None:
    nf = frozenset({"NOFORN"})
    assert ids(conn, "orcon", visible=Visibility(5, nf)) == set()
    assert ids(conn, "orcon", visible=Visibility(5, nf | {"ORCON"})) == {"09BAKU433"}
    assert ids(conn, "orcon", visible=Visibility(5, frozenset({"ORCON"}))) == set()


def test_visible_and_across_paragraphs_needs_both_visible(conn) -> None:
    assert ids(conn, "tanks gas", visible=Visibility(3)) == set()
    assert ids(conn, "tanks gas", visible=Visibility(4, frozenset({"NOFORN"}))) == {"09BAKU433"}


def test_visible_cables_without_visible_portions_never_appear(conn) -> None:
    vis = Visibility(3)
    # 09STATE6 is all TOP SECRET: not by its words, its filters, or a negation.
    assert "09STATE6" not in ids(conn, "tag:PGOV", visible=vis)
    assert ids(conn, "tag:PGOV", visible=vis) == {"09BAKU433", "09STATE5"}
    assert ids(conn, "-pipeline", visible=vis) == {"09MOSCOW100", "06BAKU900"}
    assert "09STATE6" not in ids(conn, "-nosuchword", visible=vis)
    assert ids(conn, "-nosuchword", visible=vis) == ALL - {"09STATE6"}
    assert ids(conn, "class:TS", visible=vis) == set()


def test_visible_facets_drop(conn) -> None:
    everything = search(conn, "pipeline").facets
    res = search(conn, "pipeline", visible=Visibility(3))
    # 09STATE6 (TS) drops out; 09STATE5 stays by its unclassified paragraph.
    assert res.total == 4
    assert dict(res.facets["origin"]) == {"BAKU": 2, "STATE": 1, "XYZ": 1}
    assert dict(everything["tag"])["PGOV"] == 3
    assert dict(res.facets["tag"])["PGOV"] == 2
    assert dict(res.facets["classification"]).get("TOP SECRET") is None
    # A word only in a SECRET paragraph: found, then not, with the facet counts following.
    assert search(conn, "naval").facets["caveat"] == [("NOFORN", 2)]
    assert search(conn, "naval", visible=Visibility(3)).facets["caveat"] == [("NOFORN", 1)]


def test_visible_snippets_and_subject(conn) -> None:
    res = search(conn, "pipeline OR naval", visible=Visibility(3))
    hits = {h.id: h for h in res.hits}
    state5 = hits["09STATE5"]
    assert [s.number for s in state5.snippets] == [1]  # not the S/NF paragraph 2
    assert all("Secret" not in s.text for s in state5.snippets)
    assert state5.subject == ""  # the subject line is SECRET: withheld
    assert hits["09BAKU433"].subject == "Naval base talks with Azerbaijan"  # marked (C)
    for h in res.hits:
        for s in h.snippets:
            assert s.marking in ("", "U", "C")


def test_visibility_validation() -> None:
    with pytest.raises(TypeError):
        Visibility(3, "NOFORN")  # type: ignore[arg-type]
    assert Visibility(3, frozenset({" noforn "})).caveats == frozenset({"NOFORN"})


# ----------------------------------------------------------- robustness, misc


def test_leaves_no_trace(conn) -> None:
    assert not conn.in_transaction
    search(conn, "pipeline -naval tag:PGOV OR gas")
    assert not conn.in_transaction
    assert conn.execute("SELECT count(*) FROM sqlite_temp_master").fetchone()[0] == 0
    with pytest.raises(QueryError):
        search(conn, "pipeline person:x")
    assert not conn.in_transaction


def test_inside_callers_transaction(conn) -> None:
    conn.execute("BEGIN")
    search(conn, "pipeline")
    assert conn.in_transaction  # the caller's transaction is left alone
    conn.rollback()


def test_read_only_connection(db_path: Path) -> None:
    c = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    assert ids(c, "pipeline tag:PGOV") == {"09BAKU433", "09STATE5", "09STATE6"}
    c.close()


def test_autocommit_connection(db_path: Path) -> None:
    c = sqlite3.connect(db_path, isolation_level=None)
    assert ids(c, "gas") == {"09BAKU433", "09MOSCOW100"}
    c.close()


def test_injection_is_just_text(conn) -> None:
    assert ids(conn, "'; DROP TABLE cables; --") == set()
    assert conn.execute("SELECT count(*) FROM cables").fetchone()[0] == len(CABLES)


def test_fts_syntax_in_words_is_literal(conn) -> None:
    # FTS5 would read NEAR(...), col:, ^ and + as operators; here they are words.
    assert ids(conn, '"gas prices"') == {"09MOSCOW100"}
    assert ids(conn, "NEAR(gas prices)") == set()  # the word "near" is in no cable
    assert ids(conn, "^gas +prices") == {"09MOSCOW100"}
    assert ids(conn, '"text:gas"') == set()


def test_search_ids(conn) -> None:
    assert search_ids(conn, "pipeline") == [
        "09BAKU433",
        "09STATE6",
        "09STATE5",
        "08BAKU123",
        "10XYZ1",
    ]
    assert set(search_ids(conn, "pipeline", visible=Visibility(0))) == {"09STATE5", "10XYZ1"}


_WORDS = st.sampled_from(
    ["pipeline", "gas", "naval", "T-72", "pipe*", '"gas deal"', "-gas", "AND", "OR", "NOT"]
    + ["(", ")", '"', "tag:PGOV", "origin:BAKU", "class:>=C", "date:2009", "subject:naval"]
    + ["NEAR", "^", "+", "*", ":", "'", "-", "col:x", "\x00", "é", "İ", "\u200b", "a'b"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(q=st.text(max_size=40) | st.lists(_WORDS, max_size=12).map(" ".join))
def test_any_query_runs_or_raises_query_error(db_path: Path, q: str) -> None:
    c = sqlite3.connect(db_path)
    try:
        res = search(c, q, per_page=3, visible=Visibility(3, frozenset({"NOFORN"})))
    except QueryError:
        return
    finally:
        assert c.execute("SELECT count(*) FROM sqlite_temp_master").fetchone()[0] == 0
        c.close()
    assert res.total >= len(res.hits)


# Filters answered from the in-memory doc values must match what SQL over the tables
# says, under every clearance.
_SAME = [
    "pipeline",
    "pipeline gas",
    "gas tanks pipeline",
    "pipeline -naval",
    "naval pipeline tag:PGOV",
    "pipe* naval",
    "subject:naval pipeline",
    "pipeline (gas OR naval)",
    "gas -gas",
    "gas OR pipeline",
    "pipeline tag:PGOV",
    "tag:PG* -tag:PGOV",
    "pipeline date:2009 -gas",
    "date:2009-01..2009-06",
    "from:2009-05-01",
    "pipe* origin:BAKU",
    "origin:BA*",
    "pipeline class:>=C caveat:NOFORN",
    "class:<S",
    "-caveat:NOFORN",
    "nosuchword pipeline",
]


@pytest.mark.parametrize("q", _SAME)
@pytest.mark.parametrize("visible", [None, Visibility(3), Visibility(4, frozenset({"NOFORN"}))])
def test_doc_value_filters_match_sql(conn, monkeypatch, q, visible) -> None:
    from cablegram.search import sqlite as engine

    expected = search(conn, q, visible=visible, per_page=100)
    monkeypatch.setattr(engine, "DOC_VALUE_FILTERS", False)
    by_sql = search(conn, q, visible=visible, per_page=100)
    assert [h.id for h in by_sql.hits] == [h.id for h in expected.hits]
    assert by_sql.facets == expected.facets
    assert all(h.score >= 0 for h in expected.hits)


def test_scores_rank_sensibly(conn) -> None:
    res = search(conn, "pipeline")
    assert all(h.score > 0 for h in res.hits)
    # In the subject line and a paragraph beats a paragraph alone.
    assert res.hits[-1].id in ("09BAKU433", "10XYZ1")
    assert res.hits[0].id in ("08BAKU123", "09STATE5", "09STATE6")


@pytest.mark.parametrize(
    "visible",
    [Visibility(0), Visibility(3), Visibility(4, frozenset({"NOFORN"})),
     Visibility(5, frozenset({"NOFORN", "REL_TO_USA,_GBR", "SIPDIS"}))],
)  # fmt: skip
def test_visibility_rule_is_the_same_in_python_and_sql(visible) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE p (level INTEGER, caveats TEXT)")
    cases = [(lvl, cav) for lvl in range(6) for cav in
             ("", "NOFORN", "noforn", "NOFORN SIPDIS", "SIPDIS", "REL_TO_USA,_GBR",
              "NOFORN  ORCON", "ORCON", "NOFORNX")]  # fmt: skip
    conn.executemany("INSERT INTO p VALUES (?, ?)", cases)
    clause, params = visible.portion_clause("p")
    by_sql = set(conn.execute(f"SELECT level, caveats FROM p WHERE {clause}", params))
    by_python = {(lvl, cav) for lvl, cav in cases if visible.allows(lvl, cav)}
    assert by_python == by_sql


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x2FF) | st.sampled_from("“”’—é")))
def test_accent_folding_is_the_translate_table(text: str) -> None:
    from cablegram.search.sqlite import _ACCENTS, _fold_accents

    assert _fold_accents(text) == text.translate(_ACCENTS)
    assert len(_fold_accents(text)) == len(text)  # one for one: spans fit the original


def _reference_spans(phrases: list[tuple[list[str], bool]], text: str) -> list[tuple[int, int]]:
    # The definition: one regex with the token-boundary checks around each alternative.
    import re

    alts = [
        r"(?<![^\W_])" + r"[\W_]+".join(map(re.escape, toks)) + (r"[^\W_]*" if prefix else "")
        + r"(?![^\W_])"
        for toks, prefix in phrases
    ]  # fmt: skip
    return [m.span() for m in re.compile("|".join(alts), re.IGNORECASE).finditer(text)]


_PHRASES = [
    [(["minister"], False)],
    [(["minister"], False), (["police"], False)],
    [(["terror"], True), (["iran"], False)],
    [(["human", "rights"], False), (["rights"], False)],
    [(["t", "72"], False), (["gas", "deal"], False), (["gas"], True)],
    [(["oil"], False), (["foil"], False), (["oi"], True)],
]
_WORDS_TEXTS = st.text(
    alphabet=st.sampled_from(list("ministerpolicERRORIANhumaghtsdfoil72 _-,.\n")), max_size=80
)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(_PHRASES), _WORDS_TEXTS)
def test_fast_word_finder_is_the_boundary_regex(phrases, text: str) -> None:
    from cablegram.search.sqlite import _Words

    assert _Words(phrases).spans(text) == _reference_spans(phrases, text)


def test_fast_word_finder_on_real_paragraphs(full_archive) -> None:
    from cablegram.search.sqlite import _Words

    texts = [r[0] for r in full_archive.store.conn.execute(
        "SELECT text FROM portions WHERE kind != 'subject' ORDER BY portion_id LIMIT 3000")]  # fmt: skip
    found = 0
    for phrases in _PHRASES:
        words = _Words(phrases)
        for text in texts:
            got = words.spans(text)
            assert got == _reference_spans(phrases, text), (phrases, text[:80])
            found += len(got)
    assert found > 500


def _reference_snippet(number, marking, text, phrases):
    # The definition: matches marked in the paragraph as stored, then the marked text
    # collapsed and cut (the path the PostgreSQL engine still takes).
    from cablegram.search.results import CLOSE, OPEN, marked_snippet
    from cablegram.search.sqlite import _merge

    out, at = [], 0
    for a, b in _merge(_reference_spans(phrases, text)):
        out += [text[at:a], OPEN, text[a:b], CLOSE]
        at = b
    return marked_snippet(number, marking, "".join(out) + text[at:])


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(_PHRASES),
    st.text(
        alphabet=st.sampled_from(list("ministerpolicERRORIANhumaghtsdfoil72 _-,.\n\t")),
        max_size=700,
    ),
)
def test_snippet_found_in_collapsed_text_is_the_marked_one(phrases, text: str) -> None:
    from cablegram.search.sqlite import _found, _Words

    got = _found(3, "C", text, [], _Words(phrases))
    assert got == _reference_snippet(3, "C", text, phrases)


def test_snippets_of_real_paragraphs_are_the_marked_ones(full_archive) -> None:
    from cablegram.search.sqlite import _found, _Words

    texts = [r[0] for r in full_archive.store.conn.execute(
        "SELECT text FROM portions WHERE kind != 'subject' ORDER BY portion_id LIMIT 2000")]  # fmt: skip
    for phrases in _PHRASES:
        words = _Words(phrases)
        for text in texts:
            assert _found(1, "U", text, [], words) == _reference_snippet(1, "U", text, phrases)
