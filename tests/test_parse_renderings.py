"""Every rendering the parser meets: cablegate HTML, raw text, cables.csv rows, fragments, bytes."""

from __future__ import annotations

import html
import json
import re
import tarfile
from pathlib import Path

import pytest

from cablegram import parse
from cablegram.model import Cable
from cablegram.parser.render import detect
from cablegram.sources import iter_documents

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
DEV = SAMPLES / "cablegate-dev.tar.xz"


def dev_page(member_suffix: str) -> str:
    with tarfile.open(DEV) as tar:
        for info in tar:
            if info.name.endswith(member_suffix):
                f = tar.extractfile(info)
                assert f is not None
                return f.read().decode("utf-8")
    raise KeyError(member_suffix)


@pytest.fixture(scope="module")
def sanjose() -> str:
    return dev_page("/06SANJOSE707.html")


def test_cablegate_page(sanjose: str) -> None:
    c = parse(sanjose)
    assert c.rendering == "cablegate-html"
    assert c.id == "06SANJOSE707"
    assert c.origin.name == "Embassy San Jose"
    assert c.origin.routing == "RUEHSJ"
    assert c.dtg == "2006-03-30T23:18:00Z"
    assert c.precedence == "PRIORITY"
    assert c.classification == "CONFIDENTIAL"
    assert c.caveats == ["SIPDIS"]
    assert c.subject == 'FUTURE PUSC DEPUTIES STRESS IMPORTANCE OF "SOCIAL AGENDA" TO PASS CAFTA-DR'
    assert [t.code for t in c.tags] == ["PGOV", "ETRD", "CS"]
    assert c.tags[2].name == "Costa Rica"
    assert c.classified_by is not None and c.classified_by.name == "Mark Langdale"
    assert c.classified_by.title == "Ambassador"
    assert c.reasons == ["1.4(b)", "1.4(d)"]
    assert c.declassify_on == "2016-03-29"
    assert c.paragraphs[0].number == 1 and c.paragraphs[0].marking == "C"
    assert c.paragraphs[0].heading == "Summary"
    assert c.summary.startswith("On May 29, Ambassador hosted")
    assert c.paragraphs[1].heading == "PUSC Puts on a Brave Face"
    assert c.archive is not None and c.archive.created == "2006-03-30T23:11:00Z"
    assert c.to[0].name == "SECSTATE WASHDC" and c.to[0].serial == "4637"
    # No HTML and no entity survives in the record's text.
    assert "&#x" not in c.text() and "<a" not in c.text()


def test_raw_text_of_the_same_page(sanjose: str) -> None:
    blocks = re.findall(r"<code><pre>(.*?)</pre></code>", sanjose, re.S)
    raw = "\n\n".join(html.unescape(re.sub(r"<[^>]+>", "", b)) for b in blocks)
    assert detect(raw) == "telegram"
    c = parse(raw)
    from_html = parse(sanjose)
    assert c.archive is None
    for field in ("id", "dtg", "classification", "subject", "caveats", "signer", "summary"):
        assert getattr(c, field) == getattr(from_html, field), field
    assert c.origin.name == "Embassy San Jose"
    assert [p.number for p in c.paragraphs] == [p.number for p in from_html.paragraphs]


def test_csv_rows_and_the_escaping_trap() -> None:
    docs = list(iter_documents([SAMPLES / "cables-csv-sample.csv"]))
    assert [d.member for d in docs] == ["row 1", "row 2"]
    first, second = (parse(d.data, hint=d.hint) for d in docs)
    assert first.rendering == "csv-row"
    assert first.id == "66BUENOSAIRES2481"
    assert first.origin.name == "Embassy Buenos Aires"
    assert first.dtg == "1966-12-28T18:48:00Z"
    assert first.subject == "EXTENDED NATIONAL JURISDICTIONS OVER HIGH SEAS"
    assert [t.code for t in first.tags] == ["EFIS", "PBTS", "AR"]
    assert "66STATE106206" in [r.id for r in first.references]
    # The trap: \" inside a field is a quote, not the end of the field.
    assert 'ZONE OF "PREFERENTIAL JURISDICTION" FOR FISHING' in first.text()
    assert "\\" not in first.text()
    assert first.classified_by is None  # "DECLASSIFIED BY NARA" is not a classifying official
    assert second.id == "72TEHRAN1164"
    assert second.subject == "ACCELERATION OF F-4ES FOR IRAN"
    assert "72MOSCOW1603" in [r.id for r in second.references]
    assert second.comment.startswith("SHAH IS DEEPLY CONCERN")
    # A default csv reader falls into the trap: the two rows come out as dozens.
    import csv
    import io

    raw = (SAMPLES / "cables-csv-sample.csv").read_text()
    assert len(list(csv.reader(io.StringIO(raw)))) > 2


def test_fragment_classified_by_only() -> None:
    c = parse("Classified By: Ambassador Anne E. Derse. Reasons: 1.4 (b, d)")
    assert c.classified_by is not None
    assert (c.classified_by.name, c.classified_by.title) == ("Anne E. Derse", "Ambassador")
    assert c.reasons == ["1.4(b)", "1.4(d)"]
    assert c.id == "" and c.dtg is None and c.paragraphs == []


def test_fragment_ref_block_only() -> None:
    c = parse("REF: A. STATE 12345 B. 08 BAKU 123 C. BAKU 456")
    ids = [r.id for r in c.references]
    assert ids[:2] == ["", "08BAKU123"] or "08BAKU123" in ids
    refs = {r.text: r for r in c.references}
    assert any(r.id == "08BAKU123" and not r.year_inferred for r in refs.values())
    # Without a cable year, a reference without a year cannot be resolved: kept, flagged.
    assert any(r.text.endswith("STATE 12345") and r.id == "" for r in c.references)


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Classified by: DCM Jeffrey Levine for reasons 1.4(b) and (d).",
            ("Jeffrey Levine", "DCM", ["1.4(b)", "1.4(d)"]),
        ),
        (
            "CLASSIFIED BY AMBASSADOR TOM MCDONALD FOR REASONS 1.5 (B) AND (D).",
            ("TOM MCDONALD", "AMBASSADOR", ["1.5(b)", "1.5(d)"]),
        ),
        (
            "Classified By: Political Counselor Mark J. Smith, Reasons 1.4 (b), (c), (d)",
            ("Mark J. Smith", "Political Counselor", ["1.4(b)", "1.4(c)", "1.4(d)"]),
        ),
    ],
)
def test_classified_by_spellings(text: str, expected: tuple[str, str, list[str]]) -> None:
    c = parse(text)
    assert c.classified_by is not None
    assert (c.classified_by.name, c.classified_by.title, c.reasons) == expected


def test_invalid_utf8_is_decoded_with_a_defect() -> None:
    data = (
        "C O N F I D E N T I A L BAKU 000433\n\nSUBJECT: CAF\u00c9 TALKS\n\n1. (C) Text.\n".encode(
            "cp1252"
        )
    )
    c = parse(data)
    assert "encoding" in c.defect_codes()
    assert c.subject == "CAF\u00c9 TALKS"


def test_empty_and_binary_inputs() -> None:
    assert parse(b"").defect_codes() == ["empty"]
    assert parse("   \n").defect_codes() == ["empty"]
    c = parse(bytes(range(256)) * 4)
    assert "binary" in c.defect_codes()
    assert c.id == ""


def test_json_record_rendering() -> None:
    c = parse(SAMPLES.joinpath("09BAKU433.md").read_bytes())
    again = parse(json.dumps(c.to_dict()))
    assert again == c


def test_disagreement_is_recorded() -> None:
    # Security line says CONFIDENTIAL, banner says SECRET: keep the banner, record it.
    text = (
        "VZCZCXYZ0001\nOO RUEHC\nDE RUEHKB #0001 0010000\nZNY CCCCC ZZH\nO 010000Z JAN 09\n"
        "FM AMEMBASSY BAKU\nTO RUEHC/SECSTATE WASHDC IMMEDIATE 0001\nBT\n"
        "S E C R E T BAKU 000001\n\nE.O. 12958: DECL: 01/01/2019\nTAGS: PREL AJ\n"
        "SUBJECT: TEST\n\n1. (S) Text.\n\nDERSE\n"
    )
    c = parse(text)
    assert c.classification == "SECRET"
    assert c.security_line == "CONFIDENTIAL"
    assert "classification-disagreement" in c.defect_codes()
    assert c.id == "09BAKU1"


def test_portion_markings_and_noforn() -> None:
    text = (
        "S E C R E T SECTION 01 OF 02 STATE 012345\n\nNOFORN\nSIPDIS\n\nE.O. 12958: DECL: 01/01/2019\n"
        "TAGS: PREL\nSUBJECT: (C) MARKED SUBJECT\n\nClassified By: EAP A/S Kurt Campbell, reasons 1.4 (b) and (d)\n\n"
        "1. (S/NF) Secret para.\n\n2. (U) Open para.\n\n3. (SBU) Sensitive para.\n\n4.(C) Tight marking.\n\nCLINTON\n"
    )
    c = parse(text)
    assert c.id == ""  # no DTG and no archive date: the year is unknown, so no id is guessed
    assert c.caveats == ["NOFORN", "SIPDIS"]
    assert c.subject == "MARKED SUBJECT" and c.subject_marking == "C"
    assert [(p.number, p.marking) for p in c.paragraphs] == [
        (1, "S/NF"),
        (2, "U"),
        (3, "SBU"),
        (4, "C"),
    ]
    assert c.signer == "CLINTON"
    assert c.sections == 2


def test_roundtrip_on_real_pages() -> None:
    for n, doc in enumerate(iter_documents([DEV])):
        if n >= 40:
            break
        c = parse(doc.data)
        assert c.id, doc.member
        assert Cable.from_dict(json.loads(json.dumps(c.to_dict()))) == c


def test_banner_glued_after_a_tab() -> None:
    # Tab-separated dumps glue the banner to the header's last line: the telegram text
    # starts after the tab, and the rest of the line is the header's.
    text = (
        "VZCZCXRO9303\nPP RUEHTRO\nDE RUEHSW #0351/01 2360553\nZNY SSSSS ZZH\nP 240553Z AUG 09\n"
        "FM AMEMBASSY BERN\nTO RUEHC/SECSTATE WASHDC PRIORITY 6017\n"
        "INFO RUEHTRO/AMEMBASSY TRIPOLI 0005\tS E C R E T SECTION 01 OF 02 BERN 000351\n\n"
        "NOFORN\nSIPDIS\n\nE.O. 12958: DECL: 08/24/2019\nTAGS: PREL LY SZ\nSUBJECT: TEST\n\n"
        "1. (S/NF) Text.\n\nBEYER\n"
    )
    c = parse(text, hint="telegram")
    assert c.id == "09BERN351"
    assert c.body.startswith("S E C R E T SECTION 01 OF 02 BERN 000351")
    assert c.header.endswith("AMEMBASSY TRIPOLI 0005\t")
    assert (c.classification, c.caveats, c.sections) == ("SECRET", ["NOFORN", "SIPDIS"], 2)
    assert [t.code for t in c.tags] == ["PREL", "LY", "SZ"]
    assert "no-cable" not in c.defect_codes()


def test_tags_word_in_prose_is_not_the_tags_field() -> None:
    # "(text para 7 AND TAGS)" names the field without being it: the TAGS line below is,
    # and the caveat lines between the two belong to the preamble.
    text = (
        "UNCLAS SECTION 01 OF 02 REYKJAVIK 000001\n\nSIPDIS\n\n"
        "C O R R E C T E D  C O P Y (text para 7 AND TAGS)\n\nSENSITIVE\n\nSIPDIS\n\n"
        "E.O. 12958: N/A\nTAGS: MARR PREL PTER NATO DK IC NO\nSUBJECT: ICELAND: DEFENSE\n\n"
        "1. (SBU) Text.\n"
    )
    c = parse(text)
    assert [t.code for t in c.tags] == ["MARR", "PREL", "PTER", "NATO", "DK", "IC", "NO"]
    assert c.caveats == ["SIPDIS", "SBU"]


def test_lower_cased_caveat_lines() -> None:
    # A rendering that lower-cased the text after the banner keeps the caveat lines as
    # lines: a line made only of caveat code words is read in any letter case.
    text = (
        "VZCZCXRO4862\nOO RUEHDU\nDE RUEHKI #0189/01 0531446\nZNY SSSSS ZZH\nO 221446Z FEB 08\n"
        "FM AMEMBASSY KINSHASA\nTO RUEHC/SECSTATE WASHDC IMMEDIATE 7579\n\n"
        "S e c r e t section 01 of 02 kinshasa 000189\n\nSipdis\n\nNoforn\nsipdis\n\n"
        "Department for isn/ness\naf/c\n\nE.o. 12958: decl: 02/22/2018\n"
        "Tags: emin, enrg, pgov\nSubject: congolese uranium\n\n"
        "Classified By: Acting DCM Craig Cloud for reasons 1.4 (b), (c), and (f)\n\n"
        "1. (S/NF) Summary: text. End Summary.\n\n2. (U) More text.\n"
    )
    c = parse(text, hint="telegram")
    assert c.id == "08KINSHASA189"
    assert (c.classification, c.caveats) == ("SECRET", ["SIPDIS", "NOFORN"])
    assert "caveat-inferred" not in c.defect_codes()


def test_lower_case_caveat_words_need_a_line_of_their_own() -> None:
    from cablegram.parser.preamble import find_caveats

    assert find_caveats("\nSipdis\n\nNoforn\n") == ["SIPDIS", "NOFORN"]
    assert find_caveats("\nNodis / Sipdis\nSensitive but unclassified\n") == [
        "NODIS",
        "SIPDIS",
        "SBU",
    ]
    # Ordinary words stay upper-case only, and a code word in a sentence is prose.
    assert find_caveats("\nSensitive\nRoger channel\nnoforn material follows\nNofornSipdis\n") == []
    # Upper-case text reads as before: glued caveats, caveats in a line.
    assert find_caveats("SIPDISNOFORN E.O. 12958") == ["SIPDIS", "NOFORN"]
    assert find_caveats("\nSENSITIVE\nSIPDIS\n\nDEPT FOR EUR") == ["SBU", "SIPDIS"]


def test_banner_glued_after_a_csv_field() -> None:
    # A cables.csv row given as text (after the header, as an archive page shows it): the
    # row's header field ends with a quote, and its body field (the banner first) follows
    # the comma on the header's last line.
    text = (
        "VZCZCXYZ0002\nRR RUEHWEB\n\nDE RUEHC #9854 1351421\nZNY SSSSS ZZH\nR 151409Z MAY 09\n"
        "FM SECSTATE WASHDC\nTO AMEMBASSY BUENOS AIRES 6649\n\n"
        "09STATE49854,Secretary of State,SECRET NOFORN,09 BUENOSAIRES490,"
        'VZCZCXYZ0002"RR RUEHWE DE RUEHC #9854 1351421ZNY SSSSS ZZH\n'
        'R 151409Z MAY 09FM SECSTATE WASHDCTO AMEMBASSY BUENOS AIRES 6649",'
        'S E C R E T STATE 049854 "NOFORN \nSIPDIS E.O. 12958: DECL: 05/15/2034 "TAGS: PINR AR\n\n'
        "SUBJECT: (S/NF)  KUDOS TO EMBASSY BUENOS AIRES\n\n"
        "Classified By: SUZANNE MCCORMICK, DIR., INR/OPS.  REASON:  1.4(C).\n\n"
        "1.  (S/NF)  INR/B OFFICERS GREATLY APPRECIATE POST'S REPORTING.\n\nCLINTON\n"
    )
    c = parse(text, hint="telegram")
    assert "no-cable" not in c.defect_codes()
    assert c.id == "09STATE49854"
    assert c.header.endswith('BUENOS AIRES 6649",')
    assert c.body.startswith("S E C R E T STATE 049854")
    assert (c.classification, c.caveats) == ("SECRET", ["NOFORN", "SIPDIS"])
    assert c.subject == "KUDOS TO EMBASSY BUENOS AIRES" and c.subject_marking == "S/NF"
    assert [t.code for t in c.tags] == ["PINR", "AR"]


def test_quotation_ending_before_a_class_word_is_no_banner() -> None:
    # '",' closes quotations in prose too: there only a whole banner (origin and serial)
    # is taken, and a cable whose banner stands on its own line keeps it.
    text = (
        'He said "we are done", SECRET talks would follow.\n\n'
        "C O N F I D E N T I A L BAKU 000433\n\nSIPDIS\n\nE.O. 12958: DECL: 05/24/2019\n"
        "TAGS: PGOV AJ\nSUBJECT: TEST\n\n1. (C) Text.\n"
    )
    c = parse(text, hint="telegram")
    assert c.classification == "CONFIDENTIAL"
    assert c.body.startswith("C O N F I D E N T I A L BAKU 000433")


def _cable(banner: str, caveat_lines: str, subject: str, marks: list[str]) -> str:
    paras = "".join(f"{i}. ({m}) Paragraph {i}.\n\n" for i, m in enumerate(marks, 1))
    return (
        f"{banner}\n\n{caveat_lines}\n\nE.O. 12958: DECL: 07/31/2018\nTAGS: PGOV UK\n"
        f"SUBJECT: {subject}\n\nClassified By: Ambassador Robert H. Tuttle, reasons 1.4 b, d.\n\n"
        f"{paras}TUTTLE\n"
    )


def test_noforn_subject_marking_makes_the_cable_noforn() -> None:
    # The subject is the cable's title: marked (C/NF), the cable is NOFORN even when its
    # caveat line is missing; the inference is recorded.
    c = parse(
        _cable(
            "C O N F I D E N T I A L SECTION 01 OF 05 LONDON 001991",
            "SIPDIS",
            "(C/NF) WHO WOULD REPLACE GORDON BROWN",
            ["C/NF", "C/NF", "C/NF"],
        )
    )
    assert c.subject_marking == "C/NF"
    assert c.caveats == ["SIPDIS", "NOFORN"]
    assert [d.code for d in c.defects if "NOFORN" in d.message] == ["caveat-inferred"]


def test_paragraph_markings_do_not_make_the_cable_noforn() -> None:
    # Paragraphs marked NOFORN, the subject not: the cable's caveats are its caveat lines'
    # (the archive does not follow the paragraphs' markings either).
    c = parse(
        _cable(
            "S E C R E T SECTION 01 OF 02 RIYADH 000102",
            "SIPDIS",
            "SAUDI VIEWS",
            ["S/NF", "S/NF", "S/NF"],
        )
    )
    assert c.caveats == ["SIPDIS"]
    assert "caveat-inferred" not in c.defect_codes()
    # An ordinary cable with its NOFORN caveat line infers nothing.
    c = parse(
        _cable(
            "S E C R E T SECTION 01 OF 02 RIYADH 000102",
            "NOFORN\nSIPDIS",
            "(S/NF) SAUDI VIEWS",
            ["S/NF", "U"],
        )
    )
    assert c.caveats == ["NOFORN", "SIPDIS"]
    assert "caveat-inferred" not in c.defect_codes()


def test_noforn_on_an_unclassified_cable_is_sbu_noforn() -> None:
    # Unclassified information is NOFORN only as SBU NOFORN: the SENSITIVE caption lost,
    # "UNCLAS E F T O ... SIPDIS NOFORN" is an SBU cable.
    c = parse(
        _cable(
            "UNCLAS E F T O SECTION 01 OF 02 LONDON 000021",
            "SIPDIS NOFORN",
            "UK - UNHAPPY WITH ICELANDIC PRESIDENT'S DECISION",
            ["SBU/NF", "U", "SBU/NF"],
        )
    )
    assert c.classification == "UNCLASSIFIED"
    assert c.caveats == ["EFTO", "SIPDIS", "NOFORN", "SBU"]
    assert "caveat-inferred" in c.defect_codes()
    # With its SENSITIVE caption, nothing is inferred; without NOFORN, no SBU.
    c = parse(
        _cable("UNCLAS E F T O LONDON 002239", "SENSITIVE NOFORN\nSIPDIS", "FUNDING", ["SBU/NF"])
    )
    assert c.caveats == ["SBU", "NOFORN", "SIPDIS"] and "caveat-inferred" not in c.defect_codes()
    c = parse(_cable("UNCLAS SECTION 01 OF 02 LONDON 000021", "SIPDIS", "FUNDING", ["SBU", "U"]))
    assert c.caveats == ["SIPDIS"] and "caveat-inferred" not in c.defect_codes()
