"""The long tail of issue 15: one test per failure kind, each from a real line (a dev page)
or a realistic one written like the cables that carry it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cablegram import canonical_id, parse
from cablegram.parser.body import _decode_numbers
from cablegram.parser.pages import PAGE_HEADER_ANYWHERE
from cablegram.parser.preamble import parse_references
from cablegram.parser.title import display_title
from conftest import read_pages

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from parse_agreement import raw_text, reader_text  # noqa: E402
from parse_damage import damage, key  # noqa: E402

HEAD = (
    "VZCZCXRO4232\nPP RUEHBC\nDE RUEHKB #0433/01 1411350\nZNY CCCCC ZZH\nO 211350Z MAY 09\n"
    "FM AMEMBASSY BAKU\nTO RUEHC/SECSTATE WASHDC IMMEDIATE 1280\nBT\n"
)
PRE = "E.O. 12958: DECL: 05/24/2019\nTAGS: PREL AJ\nSUBJECT: {subject}\n\n"
CB = "Classified By: Ambassador Anne E. Derse. Reasons: 1.4 (b, d)\n\n"


def cable(
    body: str, *, banner: str = "C O N F I D E N T I A L BAKU 000433\n\n", subject: str = "TEST"
) -> str:
    return HEAD + banner + PRE.format(subject=subject) + CB + body


@pytest.fixture(scope="module")
def dev() -> dict[str, bytes]:
    return {name.rsplit("/", 1)[-1].removesuffix(".html"): data for name, data in read_pages()}


# -- 1. page headers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "BAKU 00000433 002 OF 003",
        "BAKU 00000433  002.2 OF 003",  # the 00N.M form of 2006-2010
        "\\ BAKU 00000433 002 OF 003 \\",  # cablegate's line marks around it
    ],
)
def test_page_header_on_its_own_line_joins_the_sentence(header):
    c = parse(
        cable(f"1. (C) If the US or Israel\n\n{header}\n\nincrease the pressure, Iran will act.\n")
    )
    assert c.paragraphs[0].text == "If the US or Israel increase the pressure, Iran will act."
    assert "page-header" in c.defect_codes()


def test_page_header_glued_mid_line_with_the_post_cut_short():
    # Renderings that lost the line breaks; headers print the post cut to ten letters.
    text = cable(
        "1. (C) If the US or Israel BAKU 00000433 002.2 OF 003 increase the pressure.\n",
        banner="C O N F I D E N T I A L USUN NEW YORK 000433\n\n",
    ).replace("BAKU 00000433", "USUN NEW Y 00000433")
    c = parse(text)
    assert c.paragraphs[0].text == "If the US or Israel increase the pressure."


def test_page_header_of_another_serial_in_prose_stays():
    c = parse(cable("1. (C) The vote was 1234 100 OF 200 members present.\n"))
    assert "1234 100 OF 200" in c.paragraphs[0].text


def test_old_printout_page_header_is_removed(dev):
    # 00HARARE6677: "CONFIDENTIAL\nPAGE 02 HARARE 06677 01 OF 03 291400Z" at every page.
    c = parse(dev["00HARARE6677"])
    assert "PAGE 0" not in reader_text(c)
    assert PAGE_HEADER_ANYWHERE.search(reader_text(c)) is None


def test_real_pages_keep_no_page_header(dev):
    for name in (
        "09BAKU687",
        "10TRIPOLI133",
        "09RIODEJANEIRO363",
        "08USUNNEWYORK721",
        "06PARIS2069",
    ):
        c = parse(raw_text(dev[name].decode()), hint="telegram")
        assert PAGE_HEADER_ANYWHERE.search(reader_text(c)) is None, name
    # The first page's header closes the subject: 10TRIPOLI133's lost its line breaks.
    c = parse(raw_text(dev["10TRIPOLI133"].decode()), hint="telegram")
    assert c.subject == "LIBYA SEEKS U.S. COOPERATION ON ASTRONOMY, SEISMOLOGY AND SATELLITES"


# -- 2. ids from the header -------------------------------------------------------------


def test_id_rebuilt_from_the_header_without_banner_serial():
    c = parse(cable("1. (C) Text.\n", banner="C O N F I D E N T I A L\n\n"))
    assert c.id == "09BAKU433" and "id-from-header" in c.defect_codes()


def test_cut_banner_serial_loses_to_the_de_line():
    text = cable("1. (C) Text.\n", banner="C O N F I D E N T I A L BAKU 00043\n\n")
    c = parse(text)
    assert c.id == "09BAKU433" and "09BAKU43" in c.aliases
    assert any("cut short" in d.message for d in c.defects)


def test_real_cut_banner_and_garbled_post(dev):
    c = parse(raw_text(dev["06REYKJAVIK40"].decode()), hint="telegram")  # "REYKJAVIK 00040QSITIVE"
    assert c.id == "06REYKJAVIK401" and "06REYKJAVIK40" in c.aliases
    c = parse(raw_text(dev["09SECTION02OF03QRIPOLI583"].decode()), hint="telegram")
    assert c.id == "09TRIPOLI583"


def test_canonical_id_forms():
    assert canonical_id("09AMEMBASSYBAKU433") == "09BAKU433"
    assert canonical_id("09EMBASSYBAKU433") == "09BAKU433"
    assert canonical_id("09FSCPARIS12") == "09PARIS12"
    assert canonical_id("09BAKU433-A") == "09BAKU433"
    assert canonical_id("09PORT-OF-SPAIN123") == "09PORTOFSPAIN123"
    assert canonical_id("09RIO12") == "09RIODEJANEIRO12"
    assert canonical_id("09HAGUE12") == "09THEHAGUE12"
    assert canonical_id("09 MEXICO CITY 12") == "09MEXICO12"
    assert canonical_id("09PARISFR12") == "09PARIS12"
    assert canonical_id("09HCMC12") == "09HOCHIMINHCITY12"
    assert canonical_id("09UNESCOPARISFR12") == "09UNESCOPARIS12"
    assert canonical_id("09EFTOLONDON2239") == "09LONDON2239"
    assert canonical_id("not an id") == ""


# -- 4. the rare forms -------------------------------------------------------------------

TAGGED = "CONFIDENTIAL\n\nE.O. 12958: DECL: 05/24/2019\n{tags}\nSUBJECT: A TEST SUBJECT\n\n1. (C) Text.\n"


@pytest.mark.parametrize(
    "line, codes",
    [
        ("Tags: PREL, PGOV", ["PREL", "PGOV"]),
        ("tags: pgov prel ke", ["PGOV", "PREL", "KE"]),
        ("TAG: PREL PGOV", ["PREL", "PGOV"]),
        ("TAS: PREL", ["PREL"]),
        ("TGS: PREL", ["PREL"]),
        ("TABS: PREL PGOV", ["PREL", "PGOV"]),
        ("TAGES: PREL", ["PREL"]),
        ("TAGS: PREL PGOV KDEM\nECON AF", ["PREL", "PGOV", "KDEM", "ECON", "AF"]),
        (
            "TAGS: PREL, ECONOMIC AFFAIRS, ZOELLICK, ROBERT",
            ["PREL", "ECONOMIC AFFAIRS", "ZOELLICK, ROBERT"],
        ),
        ("TAGS: PREL AU-1 PGOV", ["PREL", "AU-1", "PGOV"]),
    ],
)
def test_tags_forms(line, codes):
    c = parse(TAGGED.format(tags=line))
    assert [t.code for t in c.tags] == codes
    assert c.subject == "A TEST SUBJECT"


def test_tags_with_a_page_header_merged_into_the_line():
    c = parse(
        cable("1. (C) Text.\n").replace("TAGS: PREL AJ", "TAGS: PREL AJ BAKU 00000433 001.2 OF 003")
    )
    assert [t.code for t in c.tags] == ["PREL", "AJ"]


SUBJ = "CONFIDENTIAL\n\nE.O. 12958: DECL: 05/24/2019\nTAGS: PREL\n{line}\n\n1. (C) Text here.\n"


@pytest.mark.parametrize(
    "line",
    [
        "SUBJECT ROMANIA: A NEW GOVERNMENT",
        "UBJECT: ROMANIA: A NEW GOVERNMENT",
        "SUBJECT: ROMANIA: A NEW GOVERNMENT\nREF STATE 12345",
        "SUBJECT: ROMANIA: A NEW GOVERNMENT This is an action request. Please act.",
        "SUBJECT: ROMANIA: A NEW GOVERNMENTClassified By: Amb X for reasons 1.4 (b)",
        "SUBJECT: ROMANIA: A NEW \\\nGOVERNMENT \\\n-------------\nSummary follows",
        "SUBJECT: ROMANIA: A NEW GOVERNMENT\n11. (C) blah",
        "SUBJECT: ROMANIA: A NEW GOVERNMENT\n¶11. (C) blah",
        # the number glued to its marking (dev cables 09CAIRO2178, 09CAIRO1061)
        "SUBJECT: ROMANIA: A NEW GOVERNMENT\n1.(SBU) Summary: blah",
    ],
)
def test_subject_forms(line):
    assert parse(SUBJ.format(line=line)).subject == "ROMANIA: A NEW GOVERNMENT"


def test_subject_ended_by_a_glued_classified_by_keeps_the_official():
    c = parse(
        SUBJ.format(
            line="SUBJECT: ROMANIA: A NEW GOVERNMENTClassified By: Amb X for reasons 1.4 (b)"
        )
    )
    assert (
        c.classified_by is not None and c.classified_by.name == "Amb X" and c.reasons == ["1.4(b)"]
    )


@pytest.mark.parametrize(
    "body",
    [
        "1. (C) Summary and Action Request: The cabinet wants help. End Summary and Action Request.\n\n2. (C) More.",
        "------- SUMMARY -------\n\n1. (C) The cabinet wants help. End Summary.\n\n2. (C) More.",
        "1. (C) Summary/Comment: The cabinet wants help. End Summary/Comment.\n\n2. (C) More.",
        "SUMMARY: The cabinet wants help. END SUMMARY.\n\n1. (C) More.\n\n2. (C) Even more.",
        "1. (C) The cabinet wants help. End Summary.\n\n2. (C) More.",
    ],
)
def test_summary_forms(body):
    assert parse(cable(body)).summary == "The cabinet wants help."


@pytest.mark.parametrize(
    "tail, signer",
    [
        ("\nDERSE\n\nCONFIDENTIAL", "DERSE"),
        ("\nDERSE\nNNNN", "DERSE"),
        ("DERSE\n##", "DERSE"),
        ("\nDERSE\n.", "DERSE"),
        ("\nDERSE\n\n<< END OF DOCUMENT >>", "DERSE"),
        ("\nDERSE\n\nRELEASED IN FULL", "DERSE"),
        ("\nTIMKEN JR", "TIMKEN JR"),
        ("\nTIMKEN JR.", "TIMKEN JR"),
        # cablegate's own trailer, and a release stamp under NNNN (dev cables 06BOGOTA2076,
        # 04CARACAS2200, 08STATE79112)
        ("WOOD\n\n=======================CABLE ENDS============================", "WOOD"),
        ("MCFARLAND\n\nNNNN\n2004CARACA02200 - CONFIDENTIAL", "MCFARLAND"),
        ("RICE\n\nNNNN\n\nEnd Cable Text", "RICE"),
    ],
)
def test_signer_behind_trailing_noise(tail, signer):
    c = parse(cable(f"1. (C) Text here.\n\n2. (C) More text here.\n{tail}\n"))
    assert c.signer == signer
    assert c.paragraphs[-1].text == "More text here."


def test_prose_to_and_fm_lines_are_no_header():
    text = (
        "Notes from the meeting with the minister.\n"
        "TO THE EXTENT that the government agrees, we will proceed.\n"
        "FM Lavrov said little about the matter and left early.\n\n1. (C) The minister said little.\n"
    )
    c = parse(text)
    assert c.header == "" and c.to == [] and [p.number for p in c.paragraphs] == [1]


def test_distribution_codes_are_not_addressees(dev):
    for name in ("00HARARE6677", "09LONDON1942", "09STATE34688"):
        c = parse(dev[name])
        names = [a.name for a in c.to + c.info]
        assert names and not any("-00" in n or "/0" in n or "Z " in n for n in names), (name, names)
    c = parse(dev["00HARARE6677"])
    assert [a.name for a in c.info][:2] == ["NSC WASHDC", "SOUTHERN AFRICAN DEVELOPMENT COMMUNITY"]


def test_xmt_lines_are_parsed(dev):
    c = parse(dev["09STATE63860"])
    assert [a.name for a in c.xmt][:1] == ["AMCONSUL JOHANNESBURG"]
    assert "AMCONSUL JOHANNESBURG" not in [a.name for a in c.to + c.info]


@pytest.mark.parametrize(
    "block, ids",
    [
        ("A. (99) ROME 1234", ["99ROME1234"]),
        ("10-OTTAWA-57", ["10OTTAWA57"]),
        ("STATE 4525-91", ["91STATE4525"]),
        ("STATE 07718 99", ["99STATE7718"]),
        ("STATE 41252 AND 44603", ["09STATE41252", "09STATE44603"]),
        ("A. 09 CAIRO 453 09 CAIRO 2229", ["09CAIRO453", "09CAIRO2229"]),
    ],
)
def test_reference_years_and_bare_serials(block, ids):
    assert [r.id for r in parse_references(block, 2009, [])] == ids


def test_reference_labels_and_non_cable_references():
    refs = parse_references("REF A STATE 12345", 2009, [])
    assert [(r.id, r.label) for r in refs] == [("09STATE12345", "A")]
    refs = parse_references("[A] STATE 12345 [B] BAKU 433", 2009, [])
    assert [(r.id, r.label) for r in refs] == [("09STATE12345", "A"), ("09BAKU433", "B")]
    refs = parse_references(
        "A - STATE 12345 B - EMAIL FROM POLOFF 3/4/09 C. TELCON JONES/SMITH", 2009, []
    )
    assert [(r.id, r.label, r.kind) for r in refs] == [
        ("09STATE12345", "A", "cable"),
        ("", "B", "email"),
        ("", "C", "telcon"),
    ]
    assert [r.kind for r in parse_references("MEMO OF CONVERSATION, 3 MAY", 2009, [])] == ["memo"]


# -- 5. paragraphs in damaged renderings -------------------------------------------------


@pytest.mark.parametrize(
    "written, true",
    [
        ([11, 12, 13, 14, 15, 16, 17, 18, 19, 10, 11, 12, 13], list(range(1, 14))),  # the seed
        ([11, 12, 13, 14, 15, 16, 17, 18, 19, 110, 111], list(range(1, 12))),
        ([15, 16], [5, 6]),  # an extract: the damage shows in the first number alone
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], list(range(1, 13))),  # undamaged stays
        ([1, 2, 2, 3, 4, 6, 7], [1, 2, 2, 3, 4, 6, 7]),  # the writer's slips stay
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12], [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12]),
    ],
)
def test_paragraph_numbers_decoded_as_a_sequence(written, true):
    assert _decode_numbers(written) == true


def test_damaged_rendering_reads_like_the_raw_text():
    pages = read_pages(300)
    same = total = 0
    for name, data in pages:
        if not name.endswith(".html"):
            continue
        text = raw_text(data.decode())
        total += 1
        same += key(parse(text, hint="telegram")) == key(parse(damage(text, name), hint="telegram"))
    assert same >= 0.98 * total


BODY = "1. (C) The talks went on.\n\n{}\n"


def test_title_case_fragment_before_lower_case_is_a_broken_line():
    c = parse(
        cable(
            "1. (C) The talks went on.\n\nThe Minister Also Said That\n\nthe talks had stalled.\n\n2. (C) More."
        )
    )
    assert c.paragraphs[0].heading == "" and c.paragraphs[1].heading == ""
    assert "The Minister Also Said That the talks had stalled." in c.paragraphs[0].text


def test_sipdis_line_keeps_the_paragraphs_apart():
    c = parse(cable("1. (C) The talks went on.\n\nSIPDIS\n\n2. More text here.\n\n3. Yet more.\n"))
    assert [(p.number, p.text) for p in c.paragraphs] == [
        (1, "The talks went on."),
        (2, "More text here."),
        (3, "Yet more."),
    ]


def test_paragraph_glued_mid_line_is_split():
    c = parse(
        cable(
            "5. (SBU) The clinic ran out of anti-retrovirals. 6. (SBU) However the ministry did not.\n"
        )
    )
    assert [(p.number, p.marking, p.text) for p in c.paragraphs] == [
        (5, "SBU", "The clinic ran out of anti-retrovirals."),
        (6, "SBU", "However the ministry did not."),
    ]
    c = parse(cable("1. (C) Text, as in para 6. (C) above, stays.\n"))
    assert [p.number for p in c.paragraphs] == [1]


def test_paragraph_glued_onto_the_classified_by_line():
    c = parse(
        "CONFIDENTIAL\n\nSUBJECT: X Y\n\n"
        "Classified By: Amb X for reasons 1.4 (b) and (d). 1. (C) The minister said.\n\n2. (C) Two.\n"
    )
    assert c.classified_by is not None and c.classified_by.name == "Amb X"
    assert [(p.number, p.text) for p in c.paragraphs] == [(1, "The minister said."), (2, "Two.")]


def test_unnumbered_body_run_on_after_the_classified_by_reason():
    # 09CAIRO142 as released: the whole body on the Classified By line, after its reason.
    c = parse(
        "CONFIDENTIAL\n\nSUBJECT: AYMAN NOUR LETTER TO PRESIDENT OBAMA\n\n"
        "Classified By: Minister-Counselor William R. Stewart for reason 1.4 (b). (C) The wife"
        " of imprisoned Al Ghad Party leader Ayman Nour passed to us a handwritten letter.\n"
    )
    assert c.classified_by is not None and c.classified_by.name.endswith("Stewart")
    assert c.reasons == ["1.4(b)"]
    texts = [p.text for p in c.paragraphs]
    assert len(texts) == 1 and "handwritten letter" in texts[0]
    # A Classified By line whose reason ends the line, or is followed by no marking, is
    # left as it was.
    c = parse(
        "CONFIDENTIAL\n\nSUBJECT: X Y\n\nClassified By: Amb X for reasons 1.4 (b) and (d) "
        "(as amended).\n\n(C) The minister said.\n"
    )
    assert c.classified_by is not None and c.classified_by.name == "Amb X"
    assert [p.text for p in c.paragraphs] == ["(C) The minister said."]


def test_markings_nc_noforn_mixed_case_sbu_nf():
    c = parse(cable("1. (NC) Text one.\n\n2. (S/Noforn) Text two.\n\n3. (SBU/NF) Text three.\n"))
    assert [(p.number, p.marking) for p in c.paragraphs] == [
        (1, "NC"),
        (2, "S/NOFORN"),
        (3, "SBU/NF"),
    ]


def test_teaser_and_wrapped_see_para_are_not_paragraphs():
    c = parse(cable("1... the teaser of the archive\n\n1. (C) Text one.\n\n2. (C) Text two.\n"))
    assert [p.number for p in c.paragraphs] == [None, 1, 2]
    c = parse(
        cable(
            "1. (C) The details are as noted in para\n\n6. above, and more.\n\n2. (C) Text two.\n"
        )
    )
    assert [p.number for p in c.paragraphs] == [1, 2]
    assert c.paragraphs[0].text == "The details are as noted in para 6. above, and more."


# -- 6. display titles -------------------------------------------------------------------


@pytest.mark.parametrize(
    "subject, title",
    [
        (
            "AZERBAIJAN: DEFMIN TELLS EUCOM COMMANDER GOAJ WANTS U.S. HELP FOR NATO NAVAL BASE",
            "Azerbaijan: DEFMIN Tells EUCOM Commander GOAJ Wants U.S. Help for NATO Naval Base",
        ),
        ("SCENESETTER FOR PM ERDOGAN'S VISIT", "Scenesetter for PM Erdogan's Visit"),
        ("IRAN: FM MOTTAKI ON UNSCR 1737", "Iran: FM Mottaki on UNSCR 1737"),
        ("USUN: MIL-TO-MIL TALKS ON THE PKK", "USUN: Mil-To-Mil Talks on the PKK"),
        ("A subject already in mixed case", "A subject already in mixed case"),
    ],
)
def test_display_title(subject, title):
    assert display_title(subject) == title


def test_record_carries_the_title_and_keeps_the_subject():
    c = parse(cable("1. (C) Text.\n", subject="GOAJ WANTS A NATO NAVAL BASE"))
    assert c.subject == "GOAJ WANTS A NATO NAVAL BASE"
    assert c.title == "GOAJ Wants a NATO Naval Base"
