"""The seed cable, 09BAKU433 as a Markdown archive page, parses to exactly what FORMAT.md says."""

from __future__ import annotations

from pathlib import Path

import pytest

from cablegram import parse
from cablegram.model import Cable

SEED = Path(__file__).resolve().parent.parent / "samples" / "09BAKU433.md"


@pytest.fixture(scope="module")
def seed() -> Cable:
    return parse(SEED.read_bytes())


def test_identity(seed: Cable) -> None:
    assert seed.rendering == "markdown"
    assert seed.id == "09BAKU433"
    assert (seed.origin.code, seed.origin.name, seed.origin.routing) == (
        "BAKU",
        "Embassy Baku",
        "RUEHKB",
    )
    assert seed.transmission_id == "VZCZCXRO6958"
    assert seed.dtg == "2009-06-01T03:35:00Z"
    assert seed.precedence == "IMMEDIATE"


def test_classification(seed: Cable) -> None:
    assert seed.security_line == "CONFIDENTIAL"
    assert seed.classification == "CONFIDENTIAL"
    assert seed.caveats == ["SIPDIS"]
    assert seed.sections == 3


def test_declassification(seed: Cable) -> None:
    assert seed.eo == "12958"
    assert seed.declassify_on == "2019-05-24"
    assert seed.reasons == ["1.4(b)", "1.4(d)"]
    assert seed.classified_by is not None
    assert (seed.classified_by.name, seed.classified_by.title) == ("Anne E. Derse", "Ambassador")


def test_tags(seed: Cable) -> None:
    assert [t.code for t in seed.tags] == [
        "PGOV",
        "KDEM",
        "ENRG",
        "ETRD",
        "PREL",
        "RS",
        "IZ",
        "TU",
        "AJ",
    ]
    kinds = {t.code: t.kind for t in seed.tags}
    assert all(kinds[c] == "subject" for c in ("PGOV", "KDEM", "ENRG", "ETRD", "PREL"))
    assert all(kinds[c] == "country" for c in ("RS", "IZ", "TU", "AJ"))
    names = {t.code: t.name for t in seed.tags}
    assert (names["RS"], names["IZ"], names["TU"], names["AJ"]) == (
        "Russia",
        "Iraq",
        "Turkey",
        "Azerbaijan",
    )
    assert names["PGOV"] == "Internal Governmental Affairs"


def test_subject(seed: Cable) -> None:
    assert (
        seed.subject == "AZERBAIJANI DEFENSE MINISTER: SEEKING STRONG RELATIONS, MORE U.S. SUPPORT"
    )


def test_addressees(seed: Cable) -> None:
    assert len(seed.to) == 1
    to = seed.to[0]
    assert (to.routing, to.name, to.precedence, to.serial) == (
        "RUEHC",
        "SECSTATE WASHDC",
        "IMMEDIATE",
        "1280",
    )
    assert [a.name for a in seed.info] == [
        "CIS COLLECTIVE",
        "AMEMBASSY ANKARA",
        "DIA WASHDC",
        "CIA WASHINGTON DC",
        "NSC WASHDC",
        "USMISSION USOSCE",
    ]
    serials = {a.name: a.serial for a in seed.info}
    assert serials["AMEMBASSY ANKARA"] == "3408"
    assert serials["USMISSION USOSCE"] == "1354"
    assert all(a.precedence == "IMMEDIATE" for a in seed.info)


def test_paragraphs(seed: Cable) -> None:
    assert [p.number for p in seed.paragraphs] == list(range(1, 14))
    assert all(p.marking == "C" for p in seed.paragraphs)
    headings = {p.number: p.heading for p in seed.paragraphs if p.heading}
    assert headings == {
        3: "SEEKING NATO STANDARDS",
        5: "AZERBAIJAN REMAINS UNDER PRESSURE",
        13: "COMMENT",
    }


def test_damage_repaired(seed: Cable) -> None:
    p5 = seed.paragraphs[4].text
    assert "has not been solved; seventeen years" in p5
    p7 = seed.paragraphs[6].text
    assert "largely due to Afghanistan. The U.S. appreciates Azerbaijan's contributions" in p7
    record = str(seed.to_dict())
    assert "00000433" not in record.replace(seed.body, "").replace(seed.header, "")
    assert "002 OF 003" not in seed.text()
    assert "\\$" not in record
    assert "$800 million" in seed.paragraphs[5].text
    assert "much less on Azerbaijan." in seed.paragraphs[9].text
    codes = seed.defect_codes()
    assert "paragraph-numbers" in codes
    msg = next(d.message for d in seed.defects if d.code == "paragraph-numbers")
    assert "11->1" in msg and "19->9" in msg


def test_summary_comment_signer(seed: Cable) -> None:
    assert seed.summary.startswith("On May 21, the Defense Minister told visiting EUCOM Commander")
    assert seed.summary.endswith("new naval base to NATO standards.")
    assert "END SUMMARY" not in seed.summary
    assert seed.comment == seed.paragraphs[12].text
    assert seed.signer == "DERSE"
    assert len(seed.septels) == 1
    assert "Septels report General Craddock's meetings" in seed.septels[0]


def test_roundtrip(seed: Cable) -> None:
    assert Cable.from_dict(seed.to_dict()) == seed
