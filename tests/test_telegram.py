"""The telegram system: lint rules, compose and the round trip, send, coverage."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from cablegram.access.rules import Reader
from cablegram.archive import Archive
from cablegram.cli import main
from cablegram.model import Paragraph
from cablegram.parser import parse
from cablegram.telegram import RULES, lint
from cablegram.telegram.compose import compose
from cablegram.telegram.coverage import ordinal
from cablegram.telegram.draft import LintRefused, compose_draft, read_draft
from cablegram.telegram.roundtrip import roundtrip

ROOT = Path(__file__).resolve().parent.parent
SEED = (ROOT / "samples" / "09BAKU433.md").read_text(encoding="utf-8")
DEV = ROOT / "samples" / "cablegate-dev.tar.xz"


def rules_of(text: str) -> set[str]:
    return {f.rule for f in lint(parse(text.encode("utf-8")))}


def edited(*pairs: tuple[str, str]) -> str:
    text = SEED
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new)
    return text


# --- lint -----------------------------------------------------------------------------------


def test_seed_lints_without_findings():
    assert lint(parse(SEED.encode())) == []  # its damaged numbers are a defect, not a finding


@pytest.mark.parametrize(
    ("rule", "pairs"),
    [
        ("portion-above-banner", [("¶13. (C)", "¶13. (S)")]),
        ("caveat-not-in-banner", [("14. (C)", "14. (C/NF)")]),
        ("missing-reason", [(". Reasons: 1.4 (b, d)", ".")]),
        ("missing-classified-by", [("Classified By: Ambassador Anne E. Derse. Reasons: 1.4 (b, d)",
                                    "")]),
        ("missing-declassification", [("E.O. 12958: DECL: 05/24/2019", "E.O. 12958: N/A")]),
        ("declassify-before-date", [("DECL: 05/24/2019", "DECL: 05/24/2008")]),
        ("declassify-too-far", [("DECL: 05/24/2019", "DECL: 05/24/2049")]),
        ("unknown-tag", [("[AJ](#)", "[AJ](#) [QQXZ](#)")]),
        ("missing-subject", [("SUBJECT: AZERBAIJANI DEFENSE MINISTER: SEEKING STRONG  \n"
                              "RELATIONS, MORE U.S. SUPPORT", "")]),
        ("section-mismatch", [("#0433/01", "#0433/02")]),
        ("section-mismatch", [("SECTION 01 OF 03", "SECTION 04 OF 03")]),
        ("dtg-filing-mismatch", [("1520335", "1550335")]),
        ("unknown-precedence", [("OO RUEHDBU", "YY RUEHDBU")]),
    ],
)  # fmt: skip
def test_each_rule_fires_on_an_edited_seed(rule, pairs):
    assert rule not in rules_of(SEED)
    assert rule in rules_of(edited(*pairs))


def test_banner_above_every_portion():
    text = SEED.replace(". (C)", ". (U)")
    found = lint(parse(text.encode()))
    assert [f.rule for f in found] == ["banner-above-portions"]
    assert found[0].severity == "warning" and "CONFIDENTIAL" in found[0].message


def test_classified_by_on_an_unclassified_cable():
    text = edited(
        ("C O N F I D E N T I A L SECTION", "UNCLAS SECTION"),
        ("ZNY CCCCC", "ZNY UUUUU"),
        ("E.O. 12958: DECL: 05/24/2019", "E.O. 12958: N/A"),
    ).replace(". (C)", ". (U)")
    cable = parse(text.encode())
    assert cable.classification == "UNCLASSIFIED"
    assert "classified-by-on-unclassified" in {f.rule for f in lint(cable)}


def test_paragraph_numbers_that_skip_or_repeat():
    cable = parse(SEED.encode())
    skip = copy.deepcopy(cable)
    del skip.paragraphs[4]  # 1..4, 6..13
    found = [f for f in lint(skip) if f.rule.startswith("paragraph")]
    assert [(f.rule, f.where) for f in found] == [("paragraph-skip", "paragraph 6")]
    repeat = copy.deepcopy(cable)
    repeat.paragraphs.insert(3, Paragraph(number=3, marking="C", text="Again."))
    assert {f.rule for f in lint(repeat)} == {"paragraph-repeat"}


def test_rendering_damage_is_not_a_finding():
    # The same skip, but the record says the parser found the numbers damaged.
    cable = parse(SEED.encode())
    del cable.paragraphs[4]
    cable.defects.append(type(cable.defects[0])("paragraph-order", "numbers out of order"))
    assert not [f for f in lint(cable) if f.rule.startswith("paragraph")]


def test_rule_ids_are_stable_kebab_case():
    for rid, rule in RULES.items():
        assert rid == rid.lower() and " " not in rid and rule.severity in ("error", "warning")
        assert rule.source


def test_lint_cli_json_lines_and_exit_status(tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text(edited(("¶13. (C)", "¶13. (S)")), encoding="utf-8")
    res = CliRunner().invoke(main, ["lint", "--json", str(ROOT / "samples" / "09BAKU433.md"),
                                    str(bad)])  # fmt: skip
    assert res.exit_code == 1, res.output
    lines = [json.loads(x) for x in res.output.splitlines()]
    assert lines[0]["id"] == "09BAKU433" and lines[0]["findings"] == []
    assert lines[1]["findings"] == [
        {"rule": "portion-above-banner", "severity": "error", "where": "paragraph 13",
         "message": "marked SECRET, above the banner's CONFIDENTIAL"}
    ]  # fmt: skip


def test_lint_cli_over_an_archive(tmp_path):
    db = tmp_path / "a.db"
    with Archive(db) as arc:
        arc.store.add(parse(SEED.encode()))
        arc.store.add(parse(edited(("¶13. (C)", "¶13. (S)"), ("BAKU 000433", "BAKU 000434"),
                                   ("#0433/01", "#0434/01")).encode()))  # fmt: skip
    res = CliRunner().invoke(main, ["lint", "--db", str(db), "--json"])
    rows = {r["rule"]: r for r in map(json.loads, res.output.splitlines())}
    assert rows["portion-above-banner"]["cables"] == 1
    res = CliRunner().invoke(main, ["lint", "--db", str(db), "--rule", "portion-above-banner"])
    assert res.output.split() == ["09BAKU434"]


# --- compose and the round trip ------------------------------------------------------------


def test_compose_the_seed_in_its_layout():
    cable = parse(SEED.encode())
    text = compose(cable)
    lines = text.splitlines()
    assert lines[:2] == ["VZCZCXRO6958", "OO RUEHWEB"]
    assert "DE RUEHKB #0433/01 1520335" in lines
    assert "ZNY CCCCC ZZH" in lines and "O 010335Z JUN 09" in lines
    assert "TO RUEHC/SECSTATE WASHDC IMMEDIATE 1280" in lines
    assert "RUEHVEN/USMISSION USOSCE IMMEDIATE 1354" in lines
    assert any(x.startswith("C O N F I D E N T I A L SECTION 01 OF ") for x in lines)
    assert "E.O. 12958: DECL: 05/24/2019" in lines
    assert "Classified By: Ambassador Anne E. Derse. Reasons: 1.4 (b, d)" in lines
    assert lines[-1] == "DERSE"
    assert roundtrip(cable).ok
    assert lint(parse(text.encode())) == []


@pytest.mark.parametrize(
    "heading",
    [
        'MOD\'s "Budgetary Black Hole"',  # a quotation's end (dev cable 09LONDON2862)
        "INCREASED INVESTMENT IN RIO PORT AREA, AND...",  # cut off (09RIODEJANEIRO285)
        'Sanctions: "We Can Resist Indefinitely."',
        "Base Announcement a `Great Disappointment'",
        "BACKGROUND",
    ],
)
def test_headings_come_back_whatever_their_end(heading):
    cable = parse(SEED.encode())
    cable.paragraphs[3].heading = heading
    back = parse(compose(cable).encode())
    assert [p.heading for p in back.paragraphs] == [p.heading for p in cable.paragraphs]
    assert roundtrip(cable).ok


@pytest.mark.parametrize(
    "subject",
    [
        # words that would open a line of the wrapped subject and end it for the parser
        "OPPOSITION ASSERTS CRISIS IN BRAZIL'S FOREIGN POLICY SENSITIVE BUT UNCLASSIFIED - "
        "PLEASE PROTECT ACCORDINGLY SUMMARY -------",
        "IRAN POST-ELECTION: [Source removed] CALLS RESULTS A \u201cCOUP D\u2019ETAT;\u201d SAYS "
        "INTERNATIONAL COMMUNITY SHOULD DEMAND A RECOUNT Classfied By: Charge Richard Miles, "
        "reasons 1.4 (b) and (d)",
    ],
)
def test_a_wrapped_subject_comes_back_whole(subject):
    import textwrap

    from cablegram.telegram.compose import WIDTH

    # (dev cables 06SAOPAULO516, 09ASHGABAT757) plain wrapping starts a line with them
    plain = textwrap.wrap("SUBJECT: " + subject, WIDTH, break_long_words=False,
                          break_on_hyphens=False)  # fmt: skip
    assert any(line.startswith(("---", "(d)")) for line in plain)
    cable = parse(SEED.encode())
    cable.subject = subject
    assert parse(compose(cable).encode()).subject == subject


def test_unlettered_references_keep_their_years():
    # dev cable 09SAOPAULO619: "REF: BRASILIA 1210 (08) SAO PAULO 497" gave the year to
    # the reference before it
    from cablegram.parser.preamble import parse_references

    cable = parse(SEED.encode())
    cable.references = parse_references("BRASILIA 1210; (08) SAO PAULO 497", 2009, [])
    assert [r.id for r in cable.references] == ["09BRASILIA1210", "08SAOPAULO497"]
    assert roundtrip(cable).ok


@pytest.mark.parametrize("opening", ["(U) Summary", "Summary and introduction"])
def test_an_unnumbered_opening_line_stays_in_the_body(opening):
    cable = parse(SEED.encode())
    cable.paragraphs.insert(0, Paragraph(number=None, marking="", text=opening))
    assert roundtrip(cable).ok


def test_round_trip_over_the_dev_cables():
    from cablegram.sources import iter_documents

    n = whole = 0
    failed: list[str] = []
    for doc in iter_documents([str(DEV)]):
        cable = parse(doc.data)
        if not cable.id:
            continue
        n += 1
        r = roundtrip(cable)
        whole += r.ok
        if not r.ok:
            failed.append(f"{cable.id}: {[d.field for d in r.differences]}")
    assert n > 2500
    # Issue 18 asks for >= 99%; the cables that differ, and why, are listed in
    # docs/telegram.md ("The round trip") and by bench/compose_roundtrip.py.
    assert whole / n >= 0.99, (
        f"{whole} of {n} cables come back whole ({whole / n:.2%}); {len(failed)} differ:\n"
        + "\n".join(failed)
    )


# --- drafts and send ---------------------------------------------------------------------------

DRAFT = """\
from = "BAKU"
to = ["RUEHC/SECSTATE WASHDC"]
info = ["AMEMBASSY ANKARA"]
precedence = "PRIORITY"
classification = "C"
caveats = ["SIPDIS"]
reasons = ["1.4(b)", "1.4(d)"]
declassify_on = "2034-06-01"
tags = ["PGOV", "PREL", "AJ"]
subject = "DEFENSE MINISTER ASKS FOR A NAVAL BASE"
signer = "DERSE"
classified_by = { name = "Anne E. Derse", title = "Ambassador" }

[[paragraphs]]
marking = "C"
text = "Summary: The Minister asked for help to build a naval base. End summary."

[[paragraphs]]
marking = "U"
heading = "BACKGROUND"
text = "The Caspian Maritime Security program continues."
"""


def write_draft(tmp_path: Path, text: str = DRAFT, name: str = "draft.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_compose_a_draft_refuses_lint_errors(tmp_path):
    ok = read_draft(write_draft(tmp_path))
    cable = compose_draft(ok, when=datetime(2009, 6, 1, 3, 35, tzinfo=UTC))
    assert cable.id == "09BAKU1" and cable.dtg == "2009-06-01T03:35:00Z"
    bad = write_draft(tmp_path, DRAFT.replace('marking = "U"', 'marking = "S"'), "bad.toml")
    with pytest.raises(LintRefused, match="portion-above-banner"):
        compose_draft(read_draft(bad))
    res = CliRunner().invoke(main, ["compose", str(bad)])
    assert res.exit_code == 1 and "portion-above-banner" in res.output
    res = CliRunner().invoke(main, ["compose", str(write_draft(tmp_path, "from = 1", "x.toml"))])
    assert res.exit_code == 1 and "x.toml" in res.output


def test_send_takes_the_next_serials(tmp_path):
    db = tmp_path / "a.db"
    with Archive(db) as arc:
        arc.store.add(parse(SEED.encode()))
    d = write_draft(tmp_path)
    res = CliRunner().invoke(main, ["send", str(d), "--db", str(db), "--at", "2009-06-02T10:00Z"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("sent 09BAKU434 ")  # after the seed, the highest of 2009
    with Archive(db) as arc:
        c = arc.get("09BAKU434")
        assert c is not None and [p.marking for p in c.paragraphs] == ["C", "U"]
        assert arc.versions("09BAKU434")[0].source == "composed"
        assert [a.serial for a in c.to + c.info] == ["0001", "0001"]
        assert lint(c) == []


SENDER = """
import sys
from datetime import UTC, datetime
from cablegram.archive import Archive
from cablegram.telegram.draft import send
db, draft, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(n):
    with Archive(db) as arc:
        c = send(arc, draft, when=datetime(2009, 7, 1, tzinfo=UTC))
        print(c.id, flush=True)
"""


def test_two_senders_never_share_a_serial(tmp_path):
    db = tmp_path / "a.db"
    Archive(db).close()
    d = write_draft(tmp_path)
    n = 12
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SENDER, str(db), str(d), str(n)],
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(2)
    ]
    ids = [line for p in procs for line in p.communicate(timeout=300)[0].split()]
    assert all(p.returncode == 0 for p in procs)
    assert len(ids) == 2 * n and len(set(ids)) == 2 * n
    assert sorted(int(i[len("09BAKU") :]) for i in ids) == list(range(1, 2 * n + 1))
    with Archive(db) as arc:
        assert len(arc) == 2 * n


def test_a_sender_killed_mid_send_leaves_no_half_cable(tmp_path):
    db = tmp_path / "a.db"
    Archive(db).close()
    d = write_draft(tmp_path)
    for delay in (0.8, 1.3, 1.9):
        p = subprocess.Popen([sys.executable, "-c", SENDER, str(db), str(d), "1000"],
                             stdout=subprocess.PIPE, text=True)  # fmt: skip
        time.sleep(delay)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    with Archive(db) as arc:
        assert arc.store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = [c.id for c in arc]
        for c in arc:
            assert len(c.paragraphs) == 2 and c.signer == "DERSE"
            assert len(arc.versions(c.id)) == 1
        n_portions = arc.store.conn.execute("SELECT count(*) FROM portions").fetchone()[0]
        assert n_portions == 3 * len(ids)  # subject + 2 paragraphs each
        # A later sender continues after the highest serial any of them reached.
        c = __import__("cablegram.telegram.draft", fromlist=["send"]).send(
            arc, d, when=datetime(2009, 7, 1, tzinfo=UTC)
        )
        assert int(c.id[len("09BAKU") :]) > max((int(i[6:]) for i in ids), default=0)


# --- coverage -------------------------------------------------------------------------------


def _cable(serial: int, marking: str = "C"):
    text = SEED.replace("#0433/01", f"#{serial:04d}/01").replace(
        "BAKU 000433", f"BAKU {serial:06d}"
    )
    text = text.replace("BAKU 00000433", f"BAKU {serial:08d}").replace(". (C)", f". ({marking})")
    if marking == "S":
        text = text.replace("C O N F I D E N T I A L", "S E C R E T").replace("CCCCC", "SSSSS")
    return parse(text.encode())


def test_coverage_per_post_and_year(tmp_path):
    with Archive(tmp_path / "a.db") as arc:
        for s in (1, 2, 5, 9):
            arc.store.add(_cable(s))
        arc.store.add(_cable(12, "S"))
        (row,) = arc.coverage("BAKU", 2009)
        assert (row.post, row.year, row.held, row.highest_serial) == ("BAKU", 2009, 5, 12)
        assert row.coverage == pytest.approx(5 / 12)
        assert row.missing == [(3, 4), (6, 8), (10, 11)]
        # A reader cleared to CONFIDENTIAL does not see 09BAKU12, nor its serial.
        view = arc.as_reader(Reader("r", "user", 3))
        (seen,) = view.coverage("BAKU", 2009)
        assert (seen.held, seen.highest_serial, seen.missing) == (4, 9, [(3, 4), (6, 8)])
        assert arc.coverage("LONDON") == []
    res = CliRunner().invoke(main, ["coverage", "--db", str(tmp_path / "a.db"), "--gaps"])
    assert "missing 3-4, 6-8, 10-11" in res.output


def test_a_de_serial_disagreeing_with_the_id_counts_once(tmp_path):
    with Archive(tmp_path / "a.db") as arc:
        c = _cable(40)
        c.header = c.header.replace("#0040/01", "#0401/01")
        arc.store.add(c)
        (row,) = arc.coverage("BAKU")
        assert (row.held, row.highest_serial) == (1, 401)
        assert row.conflicts == [("09BAKU40", 401, 40)]


def test_ordinals():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 433)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "433rd"]  # fmt: skip
