"""cablegram.reference: posts, routing, TAGS, FIPS countries, markings, E.O. reasons."""

from __future__ import annotations

import csv
import html
import re
import tarfile
from importlib import resources
from pathlib import Path

import pytest

from cablegram import reference as ref
from cablegram.model import CLASSIFICATION_LEVELS, Tag

DEV_TAR = Path(__file__).resolve().parents[1] / "samples" / "cablegate-dev.tar.xz"


def _data_rows(name: str) -> list[dict[str, str]]:
    text = resources.files("cablegram.reference").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


# --- FIPS 10-4 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("AJ", "Azerbaijan"),
        ("AM", "Armenia"),
        ("GG", "Georgia"),
        ("RS", "Russia"),
        ("TU", "Turkey"),
        ("IZ", "Iraq"),
        ("UP", "Ukraine"),
        ("CH", "China"),
        ("JA", "Japan"),
        ("KS", "South Korea"),
        ("KN", "North Korea"),
        ("GM", "Germany"),
        ("UK", "United Kingdom"),
        ("SP", "Spain"),
        ("AU", "Austria"),
        ("AS", "Australia"),
        ("SF", "South Africa"),
        ("CS", "Costa Rica"),
        ("IC", "Iceland"),
        ("BA", "Bahrain"),
        ("EZ", "Czech Republic"),
        ("UR", "Soviet Union"),
    ],
)
def test_fips_pairs(code: str, name: str) -> None:
    assert ref.country_name(code) == name
    assert ref.country_name(code.lower()) == name
    assert ref.tag(code) == Tag(code, "country", name)


def test_fips_is_not_iso() -> None:
    # ISO codes that mean something else (or nothing) in FIPS 10-4
    assert ref.country_name("AZ") == ""
    assert ref.country_name("DE") == ""
    assert ref.country_name("GE") != "Georgia"
    assert ref.country_name("CH") != "Switzerland"
    assert ref.country_name("") == ""


def test_fips_table_complete_and_unique() -> None:
    rows = _data_rows("fips10-4.csv")
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes))
    assert len(codes) >= 260
    assert all(re.fullmatch(r"[A-Z]{2}", c) and r["name"] for c, r in zip(codes, rows))


# --- TAGS ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind", "name"),
    [
        ("PGOV", "subject", "Internal Governmental Affairs"),
        ("PREL", "subject", "External Political Relations"),
        ("KDEM", "subject", "Democratization"),
        ("ENRG", "subject", "Energy and Power"),
        ("ETRD", "subject", "Foreign Trade"),
        ("MARR", "subject", "Military and Defense Arrangements"),
        ("PHUM", "subject", "Human Rights"),
        ("ECON", "subject", "Economic Conditions"),
        ("CVIS", "subject", "Visas"),
        ("ASEC", "subject", "Security"),
        ("KPAO", "programme", "Public Affairs Office"),
        ("KMDR", "programme", "Media Reaction Reporting"),
        ("OVIP", "programme", "Visits and Travel of Prominent Individuals and Leaders"),
        ("AJ", "country", "Azerbaijan"),
        ("NATO", "organisation", "North Atlantic Treaty Organization"),
        ("OSCE", "organisation", "Organization for Security and Co-operation in Europe"),
        ("UNSC", "organisation", "United Nations Security Council"),
        ("EUN", "organisation", "European Union"),
        ("EU", "organisation", "European Union"),
        ("IAEA", "organisation", "International Atomic Energy Agency"),
        ("AU-1", "organisation", "African Union"),
        ("G8", "organisation", "Group of Eight"),
    ],
)
def test_tag_kinds_and_expansions(code: str, kind: str, name: str) -> None:
    assert ref.tag(code) == Tag(code, kind, name)


def test_tag_persons() -> None:
    assert ref.tag("KISSINGER, HENRY A") == Tag(
        "KISSINGER, HENRY A", "person", "Kissinger, Henry A"
    )
    assert ref.tag("OVIP (CLINTON, HILLARY)") == Tag(
        "OVIP (CLINTON, HILLARY)", "person", "Clinton, Hillary"
    )
    assert ref.tag("RICE CONDOLEEZZA").kind == "person"
    assert ref.tag("RICE CONDOLEEZZA").name == "Rice Condoleezza"


def test_tag_unknown_and_edge_cases() -> None:
    assert ref.tag("XQZW") == Tag("XQZW", "unknown", "")
    assert ref.tag("") == Tag("", "unknown", "")
    assert ref.tag("MEDIA REACTION").kind == "unknown"  # not a name
    assert ref.tag("RU").kind == "unknown"  # ISO, not FIPS
    assert ref.tag("  pgov ").code == "pgov"
    assert ref.tag("  pgov ").name == "Internal Governmental Affairs"
    # listed as a subject tag by cablemap, no confirmed expansion
    assert ref.tag("PHSA") == Tag("PHSA", "subject", "")
    # fresh objects: mutating one does not leak into the cache
    t = ref.tag("PREL")
    t.name = "changed"
    assert ref.tag("PREL").name == "External Political Relations"


def test_subject_table_well_formed() -> None:
    rows = _data_rows("subject-tags.csv")
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[A-Z]{4}", c) for c in codes)
    assert {r["kind"] for r in rows} <= {"subject", "programme"}
    assert {r["source"] for r in rows} <= {"handbook", "recalled", "unexpanded"}
    assert all(bool(r["name"]) == (r["source"] != "unexpanded") for r in rows)
    # every subject code cablemap knows has a kind
    for code in ref._data.cablemap_subjects():
        assert ref.tag(code).kind in ("subject", "programme"), code


# --- routing and posts -------------------------------------------------------------------


def test_routing_name() -> None:
    assert ref.routing_name("RUEHKB") == "AMEMBASSY BAKU"
    assert ref.routing_name("ruehkb") == "AMEMBASSY BAKU"
    assert ref.routing_name("RUEHC") == "DEPT OF STATE WASHINGTON DC"
    assert ref.routing_name("RUEHIN") == "AIT TAIPEI"
    assert ref.routing_name("RUEHXXX") == ""
    assert ref.routing_name("") == ""


def test_routing_indicator() -> None:
    assert ref.routing_indicator("BAKU") == "RUEHKB"
    assert ref.routing_indicator("AMEMBASSY BAKU") == "RUEHKB"
    assert ref.routing_indicator("STATE") == "RUEHC"
    assert ref.routing_indicator("HAVANA") == "RUEHUB"
    assert ref.routing_indicator("NOWHERE") == ""


@pytest.mark.parametrize(
    ("fm", "code", "name"),
    [
        ("AMEMBASSY BAKU", "BAKU", "Embassy Baku"),
        ("AMCONSUL DUBAI", "DUBAI", "Consulate Dubai"),
        ("SECSTATE WASHDC", "STATE", "Secretary of State"),
        ("USMISSION USOSCE", "USOSCE", "Mission USOSCE"),
        ("USMISSION USNATO", "USNATO", "Mission USNATO"),
        ("USUN NEW YORK", "USUNNEWYORK", "USUN New York"),
        ("USMISSION USUN NEW YORK", "USUNNEWYORK", "USUN New York"),
        ("AMEMBASSY SAN JOSE", "SANJOSE", "Embassy San Jose"),
        ("USINT HAVANA", "HAVANA", "US Interests Section Havana"),
        ("AIT TAIPEI", "AITTAIPEI", "American Institute Taiwan, Taipei"),
        ("USMISSION GENEVA", "GENEVA", "US Mission Geneva"),
        ("USEU BRUSSELS", "USEUBRUSSELS", "USEU Brussels"),
        ("UNVIE VIENNA", "UNVIEVIENNA", "UNVIE"),
        ("USMISSION UNVIE VIENNA", "UNVIEVIENNA", "UNVIE"),
        ("REO BASRAH", "BASRAH", "REO Basrah"),
        ("RPO DUBAI", "RPODUBAI", "Iran RPO Dubai"),
        ("AMCONSUL SAO PAULO", "SAOPAULO", "Consulate Sao Paulo"),
        ("AMCONSUL RIO DE JANEIRO", "RIODEJANEIRO", "Consulate Rio De Janeiro"),
        ("AMEMBASSY PORT AU PRINCE", "PORTAUPRINCE", "Embassy Port Au Prince"),
        ("AMEMBASSY DAR ES SALAAM", "DARESSALAAM", "Embassy Dar Es Salaam"),
        ("AMEMBASSY THE HAGUE", "THEHAGUE", "Embassy The Hague"),
        ("AMEMBASSY KIEV", "KIEV", "Embassy Kyiv"),
        ("USLO TRIPOLI", "TRIPOLI", "Embassy Tripoli"),
        ("SECDEF WASHDC", "SECDEF", "Secretary of Defense"),
        # rule for posts absent from the archive table
        ("AMEMBASSY MOGADISHU", "MOGADISHU", "Embassy Mogadishu"),
        ("AMCONSUL FRANKFURT", "FRANKFURT", "Consulate Frankfurt"),
        ("AMCONSUL PORTO ALEGRE", "PORTOALEGRE", "Consulate Porto Alegre"),
        # header and routing-table spellings
        ("FM AMEMBASSY BAKU", "BAKU", "Embassy Baku"),
        ("RUEHC/SECSTATE WASHDC IMMEDIATE 1280", "STATE", "Secretary of State"),
        ("DEPT OF STATE WASHINGTON DC", "STATE", "Secretary of State"),
        ("USMISSION USUN NEW YORK NY", "USUNNEWYORK", "USUN New York"),
        ("US MISSION USNATO BRUSSELS BE", "USNATO", "Mission USNATO"),
        ("USMISSIN UNVIE VIENNA", "UNVIEVIENNA", "UNVIE"),
        ("AMCONSUL MELBOURNE VIC", "MELBOURNE", "Consulate Melbourne"),
        ("AMEMBASSY MEXICO CITY", "MEXICO", "Embassy Mexico"),
        ("amembassy baku", "BAKU", "Embassy Baku"),
    ],
)
def test_fm_text_to_code_and_name(fm: str, code: str, name: str) -> None:
    assert ref.origin_code(fm) == code
    assert ref.post_name(fm) == name


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("BAKU", "Embassy Baku"),
        ("SANJOSE", "Embassy San Jose"),
        ("USUNNEWYORK", "USUN New York"),
        ("STATE", "Secretary of State"),
        ("USNATO", "Mission USNATO"),
        ("USOSCE", "Mission USOSCE"),
        ("SECDEF", "Secretary of Defense"),
        ("AITTAIPEI", "American Institute Taiwan, Taipei"),
        ("TAIPEI", "American Institute Taiwan, Taipei"),
        ("KYIV", "Embassy Kyiv"),
        ("KIEV", "Embassy Kyiv"),
        ("RIODEJANEIRO", "Consulate Rio De Janeiro"),
        ("USEUBRUSSELS", "USEU Brussels"),
        ("BRUSSELS", "Embassy Brussels"),
        ("UNVIEVIENNA", "UNVIE"),
        ("RPODUBAI", "Iran RPO Dubai"),
        ("BASRAH", "REO Basrah"),
        ("HAVANA", "US Interests Section Havana"),
        ("GENEVA", "US Mission Geneva"),
        ("NOFORNMOGADISHU", "Embassy Mogadishu"),  # canonicalised first
        ("EFTOLONDON", "Embassy London"),
    ],
)
def test_post_name_from_code(code: str, name: str) -> None:
    assert ref.post_name(code) == name


def test_not_posts() -> None:
    for text in ("", "REFTEL STATE", "XYZZY", "FEMA RGN II NEW YORK NY", "Ana Palacio said"):
        assert ref.origin_code(text) == ""
        assert ref.post_name(text) == ""


def test_every_archive_post_round_trips() -> None:
    rows = _data_rows("posts.csv")
    assert len({r["name"] for r in rows}) == 162
    for r in rows:
        assert ref.post_name(r["code"]) == r["name"], r
        assert ref.post_name(r["fm_text"]) == r["name"], r
        assert r["code"] in ref.known_origins(), r
        # AIT TAIPEI / AMEMBASSY KIEV: two codes for one post; the FM text gives the first
        assert ref.origin_code(r["fm_text"]) in (r["code"], "AITTAIPEI"), r


def test_known_origins() -> None:
    known = ref.known_origins()
    assert isinstance(known, frozenset)
    for code in (
        "BAKU",
        "STATE",
        "SECDEF",
        "USUNNEWYORK",
        "USNATO",
        "USOSCE",
        "MOGADISHU",
        "SAOPAULO",
        "AITTAIPEI",
        "UNVIEVIENNA",
        "USEUBRUSSELS",
        "RPODUBAI",
        "ANTANANARIVO",
        "PODGORICA",
        "DILI",
    ):
        assert code in known, code
    # every AMEMBASSY / AMCONSUL station of route2name.csv gives a known origin
    for station in ref._data.route_table().values():
        if station.startswith(("AMEMBASSY ", "AMCONSUL ")):
            assert ref.origin_code(station) in known, station
    # junk and routing-table typos are not origins
    assert "QUINTO" not in known
    assert "SECTION02OF03QRIPOLI" not in known
    assert all(re.fullmatch(r"[A-Z]+", c) for c in known)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("NOFORNMOGADISHU", "MOGADISHU"),
        ("85NOFORNMOGADISHU", "MOGADISHU"),
        ("SCTION02OF02SAOPAULO", "SAOPAULO"),
        ("SECTION02OF03QRIPOLI", "TRIPOLI"),  # best effort: one letter from TRIPOLI
        ("EFTOLONDON", "LONDON"),
        ("75LIBREVILLE", "LIBREVILLE"),
        ("ECTION01OF02MANAMA", "MANAMA"),
        ("SECTION01GF02BISHIEK", "BISHKEK"),
        ("SECTION01OF03SANJOSE", "SANJOSE"),
        ("IRANRPODUBAI", "RPODUBAI"),
        ("BAKU", "BAKU"),
        ("USUNNEWYORK", "USUNNEWYORK"),
        ("baku", "BAKU"),
        ("XYZZY", ""),
        ("", ""),
        ("REFTELSTATE", ""),
        ("GUADALAJAR", "GUADALAJARA"),  # cut short at the end of a line
        ("STATES", ""),  # a word one letter from a post is not a post
        ("SUSAN", ""),
        ("QRIPOLI", ""),  # one wrong letter alone is not enough
    ],
)
def test_canonical_origin(raw: str, canonical: str) -> None:
    assert ref.canonical_origin(raw) == canonical


def test_canonical_origin_keeps_every_known_code() -> None:
    for code in ref.known_origins():
        assert ref.canonical_origin(code) == code


# --- precedence, security line, classification, markings -----------------------------------


def test_precedence() -> None:
    assert ref.PRECEDENCE["Z"] == ref.PRECEDENCE["ZZ"] == "FLASH"
    assert ref.PRECEDENCE["O"] == ref.PRECEDENCE["OO"] == "IMMEDIATE"
    assert ref.PRECEDENCE["P"] == ref.PRECEDENCE["PP"] == "PRIORITY"
    assert ref.PRECEDENCE["R"] == ref.PRECEDENCE["RR"] == "ROUTINE"
    assert ref.precedence_name("OO") == "IMMEDIATE"
    assert ref.precedence_name("O") == "IMMEDIATE"
    assert ref.precedence_name("ZZ") == "FLASH"
    assert ref.precedence_name("rr") == "ROUTINE"
    assert ref.precedence_name("NIACT IMMEDIATE") == "NIACT IMMEDIATE"
    assert ref.precedence_name("NIACT") == "NIACT IMMEDIATE"
    assert ref.precedence_name("PRIORITY") == "PRIORITY"
    assert ref.precedence_name("O R") == "IMMEDIATE"
    assert ref.precedence_name("X") == ""
    assert ref.precedence_name("") == ""


def test_security_line() -> None:
    assert ref.SECURITY_LINE == {
        "UUUUU": "UNCLASSIFIED",
        "EEEEE": "UNCLASSIFIED",
        "CCCCC": "CONFIDENTIAL",
        "SSSSS": "SECRET",
        "TTTTT": "TOP SECRET",
    }


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("UNCLASSIFIED", 0),
        ("U", 0),
        ("UNCLAS", 0),
        ("LIMITED OFFICIAL USE", 1),
        ("LOU", 1),
        ("SENSITIVE BUT UNCLASSIFIED", 2),
        ("SBU", 2),
        ("CONFIDENTIAL", 3),
        ("C", 3),
        ("SECRET", 4),
        ("S", 4),
        ("TOP SECRET", 5),
        ("TS", 5),
        ("SECRET//NOFORN", 4),
        ("S/NF", 4),
        ("CONFIDENTIAL//NOFORN", 3),
        ("C O N F I D E N T I A L", 3),
        ("secret", 4),
        ("BOGUS", -1),
        ("", -1),
    ],
)
def test_classification_level(text: str, level: int) -> None:
    assert ref.classification_level(text) == level
    if level >= 0:
        assert ref.CLASSIFICATIONS[level] in {
            "UNCLASSIFIED",
            "LIMITED OFFICIAL USE",
            "SENSITIVE BUT UNCLASSIFIED",
            "CONFIDENTIAL",
            "SECRET",
            "TOP SECRET",
        }


def test_classifications_are_the_model_levels() -> None:
    assert ref.CLASSIFICATIONS == CLASSIFICATION_LEVELS
    for i, name in enumerate(ref.CLASSIFICATIONS):
        assert ref.classification_level(name) == i


@pytest.mark.parametrize(
    ("marking", "parsed"),
    [
        ("C", (3, ())),
        ("S/NF", (4, ("NOFORN",))),
        ("S//NF", (4, ("NOFORN",))),
        ("(S/NF)", (4, ("NOFORN",))),
        ("SBU", (2, ())),
        ("U", (0, ())),
        ("C/REL UK", (3, ("REL UK",))),
        ("TS/SI", (5, ("SI",))),
        ("LOU", (1, ())),
        ("FOUO", (0, ("FOUO",))),
        ("U//FOUO", (0, ("FOUO",))),
        ("SBU/NF", (2, ("NOFORN",))),
        ("S/NF/OC", (4, ("NOFORN", "ORCON"))),
        ("SECRET//NOFORN", (4, ("NOFORN",))),
        ("SECRET NOFORN", (4, ("NOFORN",))),
        ("c", (3, ())),
        ("", (-1, ())),
        ("XYZ", (-1, ())),
    ],
)
def test_parse_marking(marking: str, parsed: tuple[int, tuple[str, ...]]) -> None:
    assert ref.parse_marking(marking) == parsed


def test_caveats() -> None:
    for c in (
        "SIPDIS",
        "NOFORN",
        "NODIS",
        "EXDIS",
        "LIMDIS",
        "STADIS",
        "ROGER",
        "ROGER CHANNEL",
        "SENSITIVE",
        "SBU",
        "FOUO",
        "ORCON",
        "NOCONTRACT",
        "PROPIN",
        "EFTO",
        "CHEROKEE",
    ):
        assert c in ref.CAVEATS
        assert ref.is_caveat(c)
    assert ref.caveat_name("NF") == "NOFORN"
    assert ref.caveat_name("rel to uk") == "REL TO UK"
    assert ref.is_caveat("REL UK")
    assert not ref.is_caveat("SUBJECT")


# --- executive orders and reasons ------------------------------------------------------------


def test_eo_reasons() -> None:
    assert ref.EO_REASONS["1.4(a)"] == "military plans, weapons systems, or operations"
    assert ref.eo_reason("1.4(b)") == "foreign government information"
    assert ref.eo_reason("1.4 (B)") == "foreign government information"
    assert ref.eo_reason("1.4B") == "foreign government information"
    assert "intelligence" in ref.eo_reason("1.4(c)")
    assert "cryptology" in ref.eo_reason("1.4(c)")
    assert ref.eo_reason("1.4(d)").startswith("foreign relations or foreign activities")
    assert "confidential sources" in ref.eo_reason("1.4(d)")
    assert "scientific, technological, or economic" in ref.eo_reason("1.4(e)")
    assert "nuclear materials" in ref.eo_reason("1.4(f)")
    assert ref.eo_reason("1.4(g)").startswith("vulnerabilities or capabilities")
    assert "weapons of mass destruction" in ref.eo_reason("1.4(h)")
    assert ref.eo_reason("1.5 (D)") == ref.eo_reason("1.5(d)") != ""
    assert {f"1.5({x})" for x in "abcdefg"} <= set(ref.EO_REASONS)
    assert "1.5(h)" not in ref.EO_REASONS
    assert ref.eo_reason("1.3(a)(9)") == "a confidential source"
    assert "transnational terrorism" in ref.eo_reason("1.4(g)", order="12958")
    assert ref.eo_reason("1.4(z)") == ref.eo_reason("") == ref.eo_reason("2.1") == ""


def test_eo_reasons_in_text() -> None:
    assert ref.eo_reasons("1.4 (b, d)") == ["1.4(b)", "1.4(d)"]
    assert ref.eo_reasons("Reasons: 1.4(B) AND (D)") == ["1.4(b)", "1.4(d)"]
    assert ref.eo_reasons("1.5 (B) AND (D)") == ["1.5(b)", "1.5(d)"]
    assert ref.eo_reasons("1.4. (b & d).") == ["1.4(b)", "1.4(d)"]
    assert ref.eo_reasons("no reason given") == []


def test_executive_orders() -> None:
    assert set(ref.EXECUTIVE_ORDERS) >= {"12958", "13526", "12356", "12065"}
    assert ref.EXECUTIVE_ORDERS["12958"] == "E.O. 12958 (1995, amended 2003)"
    assert all(v.startswith(f"E.O. {k} (") for k, v in ref.EXECUTIVE_ORDERS.items())


# --- the archive's own table -----------------------------------------------------------------

_TD = re.compile(r"<td>(.*?)</td>", re.S)
_TAGS = re.compile(r"<[^>]+>")
_FM = re.compile(r"^\s*FM\s+(.+?)\s*$", re.M)


@pytest.mark.slow
@pytest.mark.skipif(not DEV_TAR.exists(), reason="samples/cablegate-dev.tar.xz not present")
def test_post_names_agree_with_the_dev_archive_table() -> None:
    """post_name(FM line) equals the Origin column of the archive table on every page
    whose header has an FM line naming a post; post_name(id code) on nearly all pages."""
    fm_total = fm_agree = id_total = id_agree = 0
    misses: list[tuple[str, str, str]] = []
    with tarfile.open(DEV_TAR, "r|xz") as tar:
        for info in tar:
            if not (info.isfile() and info.name.endswith(".html")):
                continue
            fh = tar.extractfile(info)
            page = fh.read().decode("utf-8", "replace") if fh else ""
            start = page.find("<table class='cable'>")
            if start < 0:
                continue
            end = page.find("</table>", start)
            cells = [html.unescape(_TAGS.sub("", c)).strip() for c in _TD.findall(page[start:end])]
            rid, origin = cells[0], cells[4]
            text = html.unescape(_TAGS.sub("", page[end:].replace("&#x000A;", "\n")))
            m = _FM.search(text)
            if m and ref.origin_code(m[1]):
                fm_total += 1
                if ref.post_name(m[1]) == origin:
                    fm_agree += 1
                else:
                    misses.append((rid, m[1], origin))
            code = re.match(r"^\d\d(.*?)\d+$", rid)
            if code:
                id_total += 1
                id_agree += ref.post_name(ref.canonical_origin(code[1])) == origin
    assert fm_total > 2000
    assert fm_agree == fm_total, misses[:10]
    # the only misses: USEU Brussels cables, whose ids say BRUSSELS (= Embassy Brussels)
    assert id_agree >= id_total - 6
