"""Lint: is a cable well formed under the classification and telegram rules?

``lint(cable)`` returns a list of :class:`Finding`, each naming a stable rule id
(``RULES``), a severity and where in the cable it applies. The rules and the orders they
come from are in docs/telegram.md. Lint judges the cable, not the rendering: whatever the
parser repaired or doubted is a ``Defect`` of the record, and a rule whose evidence a
defect puts in doubt (damaged paragraph numbers, an impossible DTG) stays silent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cablegram import reference
from cablegram.model import Cable
from cablegram.telegram.transmission import Transmission, read_transmission

__all__ = ["Finding", "RULES", "SEVERITIES", "lint", "errors"]

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    title: str
    source: str  # the order or marking rule it implements


# The rule ids are stable: they are stored in archives (lint_findings) and used as
# `lint:RULE` in queries. Add rules; never rename one.
_Add = Callable[[str, str, str], None]  # (rule, message, where)

_RULES = (
    Rule("portion-above-banner", "error",
         "a portion is marked above the banner (spillage)",
         "E.O. 13526 s.1.6(a)(1); 32 CFR 2001.21(c): the overall marking is the highest "
         "level of any portion"),
    Rule("banner-above-portions", "warning",
         "every portion is marked below the banner (over-classification candidate)",
         "32 CFR 2001.21(c); E.O. 13526 s.1.6(a)"),
    Rule("caveat-not-in-banner", "error",
         "a portion's caveat is missing from the banner",
         "32 CFR 2001.24: dissemination control markings of portions are carried to the "
         "banner"),
    Rule("missing-classified-by", "error",
         "a classified cable without a Classified By line",
         "E.O. 12958 s.1.6(a)(2) as amended; E.O. 13526 s.1.6(a)(2)"),
    Rule("missing-reason", "error",
         "a classified cable without a reason 1.4(a-h)",
         "E.O. 12958 s.1.4 and s.1.6(a)(5) as amended; E.O. 13526 s.1.4 and s.1.6(a)(5)"),
    Rule("missing-declassification", "error",
         "a classified cable without a declassification instruction",
         "E.O. 12958 s.1.6(a)(4) as amended; E.O. 13526 s.1.6(a)(4)"),
    Rule("declassify-before-date", "error",
         "the declassify-on date is before the cable's date",
         "E.O. 12958 s.1.5 as amended; E.O. 13526 s.1.5(a)"),
    Rule("declassify-too-far", "error",
         "the declassify-on date is further than the order allows (25 years), or OADR "
         "under an order that abolished it",
         "E.O. 12958 s.1.5(b) as amended (up to 25 years; s.1.6 of the 1995 text); "
         "E.O. 13526 s.1.5(b), (d): no information classified indefinitely"),
    Rule("classified-by-on-unclassified", "warning",
         "a Classified By line on an unclassified cable",
         "E.O. 13526 s.1.6(a); 32 CFR 2001.21(a): classification authority lines mark "
         "classified information only"),
    Rule("unknown-tag", "warning", "a TAGS code that is in no TAGS list",
         "the State Department TAGS handbook (reference/data/PROVENANCE.md)"),
    Rule("missing-subject", "warning", "no SUBJECT line", "5 FAH-1 telegram format: the "
         "subject line is required"),
    Rule("paragraph-skip", "warning", "paragraph numbers skip", "5 FAH-1: paragraphs are "
         "numbered consecutively"),
    Rule("paragraph-repeat", "warning", "a paragraph number repeats", "5 FAH-1: paragraphs "
         "are numbered consecutively"),
    Rule("section-mismatch", "error",
         "SECTION n OF m disagrees with the DE line (#0433/01), the page headers or the text",
         "ACP 127 message sections; the banner, DE line and page headers number the same "
         "sections"),
    Rule("dtg-filing-mismatch", "warning",
         "the DTG disagrees with the DE line's filing time",
         "ACP 121/127: the DTG is the time of filing, which the DE line repeats as Julian "
         "day and time"),
    Rule("unknown-precedence", "error", "a precedence that is not FLASH, IMMEDIATE, "
         "PRIORITY, ROUTINE or NIACT IMMEDIATE", "ACP 121: precedence prosigns Z, O, P, R"),
)  # fmt: skip
RULES: dict[str, Rule] = {r.id: r for r in _RULES}

_PRECEDENCES = {"FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE", "NIACT IMMEDIATE"}
_PROSIGNS = set(reference.PRECEDENCE)
# Caveats that are handling notes of the whole cable, never portion caveats to carry.
_NOT_PORTION = {"SIPDIS", "SBU", "SENSITIVE"}
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MAX_YEARS = 25
# A DTG is the time the message was released; the DE line's filing time is when the
# communications centre filed it, often minutes later. On the dev cables 2,167 of 2,307
# agree to the minute and 129 more are under an hour apart: only more is a finding.
FILING_TOLERANCE_MINUTES = 60


@dataclass(frozen=True)
class Finding:
    rule: str  # a key of RULES
    severity: str  # error | warning | info
    message: str
    where: str  # banner, paragraph 4, DE line, E.O. line, TAGS, header...

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "severity": self.severity, "message": self.message,
                "where": self.where}  # fmt: skip


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def lint(cable: Cable) -> list[Finding]:
    """The findings for one cable, in the order of ``RULES``."""
    out: list[Finding] = []

    def add(rule: str, message: str, where: str) -> None:
        out.append(Finding(rule, RULES[rule].severity, message, where))

    doubted = {d.code for d in cable.defects}
    t = read_transmission(cable)
    # An archive's partial extract leaves out paragraphs and preamble lines: the rules
    # that need the whole cable stay silent on it.
    whole = not t.partial
    # A banner the parser had to dig out of glued text leaves the preamble in doubt too.
    preamble = whole and "banner" not in doubted
    level = reference.classification_level(cable.classification) if cable.classification else -1
    banner_caveats = {reference.caveat_name(c) or c for c in cable.caveats}
    banner_caveats.update(t.preamble_caveats)  # a caveat line the parser did not keep
    if "SBU" in banner_caveats or "SENSITIVE" in banner_caveats:
        level = max(level, 2)  # UNCLAS SENSITIVE: the SBU portions are at the banner's level
    classified = level >= 3

    portions = [("subject", cable.subject_marking)] if cable.subject_marking else []
    portions += [(_para(p.number, i), p.marking) for i, p in enumerate(cable.paragraphs, 1)]
    marked = [(w, *reference.parse_marking(m)) for w, m in portions if m]
    if level >= 0:
        for where, plevel, _ in marked:
            if plevel > level:
                add("portion-above-banner",
                    f"marked {_level_name(plevel)}, above the banner's {cable.classification}",
                    where)  # fmt: skip
        top = max((lv for _, lv, _ in marked), default=-1)
        if classified and portions and len(marked) == len(portions) and top < level:
            add("banner-above-portions",
                f"banner {cable.classification}, highest portion {_level_name(top)}",
                "banner")  # fmt: skip
    for where, _, cavs in marked:
        for cav in cavs:
            name = reference.caveat_name(cav) or cav
            if name not in banner_caveats and name not in _NOT_PORTION:
                add("caveat-not-in-banner", f"portion caveat {name} is not in the banner", where)

    if classified:
        by = cable.classified_by
        if preamble and (by is None or not (by.name or by.title)):
            add(
                "missing-classified-by",
                f"{cable.classification} without Classified By",
                "Classified By line",
            )
        if preamble and not cable.reasons:
            add(
                "missing-reason",
                f"{cable.classification} without a classification reason",
                "Classified By line",
            )
        if not cable.declassify_on or cable.declassify_on.upper() in ("N/A", "NA"):
            add(
                "missing-declassification",
                f"{cable.classification} without a declassification instruction",
                "E.O. line",
            )
    elif (
        level >= 0
        and level < 3
        and cable.classified_by is not None
        and (cable.classified_by.name or cable.classified_by.title)
    ):
        add(
            "classified-by-on-unclassified",
            f"Classified By on a cable marked {cable.classification}",
            "Classified By line",
        )

    _declassification(cable, classified, add)

    for tg in cable.tags:
        if tg.kind == "unknown":
            add("unknown-tag", f"TAGS code {tg.code} is in no TAGS list", "TAGS")
    if preamble and not cable.subject.strip():
        add("missing-subject", "no SUBJECT line", "SUBJECT")
    # "paragraph-numbers" is a repair the record already carries (its numbers are the
    # true ones); any other paragraph defect puts the numbering itself in doubt.
    if whole and not any(c.startswith("paragraph") and c != "paragraph-numbers" for c in doubted):
        _numbering(cable, add)

    if whole:
        _sections(t, add)
    if "dtg" not in doubted:
        _filing_time(cable, t, add)
    _precedence(cable, t, add)
    order = {rid: i for i, rid in enumerate(RULES)}
    return sorted(out, key=lambda f: order[f.rule])


def _para(number: int | None, i: int) -> str:
    return f"paragraph {number}" if number is not None else f"unnumbered paragraph {i}"


def _level_name(level: int) -> str:
    names = reference.CLASSIFICATIONS
    return names[level] if 0 <= level < len(names) else "unmarked"


def _cable_day(cable: Cable) -> date | None:
    src = cable.dtg or (cable.archive.created if cable.archive else "")
    try:
        return date.fromisoformat(src[:10]) if src else None
    except ValueError:
        return None


def _declassification(cable: Cable, classified: bool, add: _Add) -> None:
    decl = cable.declassify_on.strip().upper()
    if not decl:
        return
    day = _cable_day(cable)
    if _ISO_DAY.match(decl):
        try:
            until = date.fromisoformat(decl)
        except ValueError:
            return
        if day is None:
            return
        if until < day:
            add("declassify-before-date",
                f"declassify on {until.isoformat()}, before the cable's date {day.isoformat()}",
                "E.O. line")  # fmt: skip
        elif classified and _years(day, until) > _MAX_YEARS:
            add("declassify-too-far",
                f"declassify on {until.isoformat()}, more than {_MAX_YEARS} years after "
                f"{day.isoformat()}", "E.O. line")  # fmt: skip
    elif classified and decl == "OADR" and cable.eo in ("12958", "13526"):
        # OADR was a marking of E.O. 12356; E.O. 12958 ended indefinite classification.
        add("declassify-too-far",
            f"DECL: OADR under E.O. {cable.eo}, which allows no indefinite classification",
            "E.O. line")  # fmt: skip


def _years(a: date, b: date) -> float:
    return (b - a).days / 365.2425


def _numbering(cable: Cable, add: _Add) -> None:
    numbers = [p.number for p in cable.paragraphs if p.number is not None]
    seen: set[int] = set()
    prev: int | None = None
    for n in numbers:
        if n in seen:
            add("paragraph-repeat", f"paragraph {n} appears again", f"paragraph {n}")
        elif prev is not None and n > prev + 1:
            gap = f"{prev + 1}" if n == prev + 2 else f"{prev + 1}-{n - 1}"
            add("paragraph-skip", f"paragraph {n} follows {prev} (no {gap})", f"paragraph {n}")
        seen.add(n)
        prev = n if prev is None else max(prev, n)


def _sections(t: Transmission, add: _Add) -> None:
    if t.banner_section is not None:
        n, m = t.banner_section
        if n < 1 or n > m:
            add("section-mismatch", f"SECTION {n} OF {m} is no section of the cable", "banner")
        if t.section is not None and t.section != n:
            add("section-mismatch",
                f"banner SECTION {n:02d} OF {m:02d}, DE line #{t.serial or 0:04d}/{t.section:02d}",
                "DE line")  # fmt: skip
        for page, of in t.pages:
            if of != m:
                add("section-mismatch",
                    f"page header {page:03d} OF {of:03d}, banner SECTION {n:02d} OF {m:02d}",
                    f"page {page}")  # fmt: skip
        pages = [p for p, _ in t.pages]
        if pages and pages != list(range(n + 1, n + 1 + len(pages))):
            add("section-mismatch", "page headers " + ", ".join(f"{p:03d}" for p in pages)
                + f" after SECTION {n:02d}", "page headers")  # fmt: skip
    elif t.pages:
        p, of = t.pages[0]
        add("section-mismatch", f"page header {p:03d} OF {of:03d} in a cable with no SECTION "
            "in its banner", f"page {p}")  # fmt: skip
    elif t.section is not None and t.section > 1:
        add(
            "section-mismatch",
            f"DE line section {t.section:02d} but no SECTION in the banner",
            "DE line",
        )


def _filing_time(cable: Cable, t: Transmission, add: _Add) -> None:
    if t.filing_day is None or not cable.dtg:
        return
    try:
        dtg = datetime.fromisoformat(cable.dtg[:16])
        hh, mm = int(t.filing_time[:2]), int(t.filing_time[2:])
    except ValueError:
        return
    julian = dtg.timetuple().tm_yday
    hhmm = cable.dtg[11:13] + cable.dtg[14:16]
    # The filing time is that of the year of the DTG, or of the next or last year when
    # one is filed across New Year.
    filed = [
        datetime(y, 1, 1) + timedelta(days=t.filing_day - 1, hours=hh, minutes=mm)
        for y in (dtg.year - 1, dtg.year, dtg.year + 1)
    ]
    apart = min(abs((f - dtg).total_seconds()) for f in filed) / 60
    if apart > FILING_TOLERANCE_MINUTES:
        add("dtg-filing-mismatch",
            f"DTG {cable.dtg[8:10]}{hhmm}Z is day {julian:03d} {hhmm}, the DE line files at "
            f"{t.filing_day:03d} {t.filing_time}", "DE line")  # fmt: skip


def _precedence(cable: Cable, t: Transmission, add: _Add) -> None:
    for p in t.prosigns:
        if p not in _PROSIGNS:
            add("unknown-precedence", f"precedence prosign {p}", "header")
    if cable.precedence and cable.precedence.upper() not in _PRECEDENCES:
        add("unknown-precedence", f"precedence {cable.precedence}", "header")
    for role, group in (("TO", cable.to), ("INFO", cable.info)):
        for a in group:
            if a.precedence and a.precedence.upper() not in _PRECEDENCES:
                add("unknown-precedence", f"{role} {a.name or a.routing}: precedence "
                    f"{a.precedence}", f"{role} line")  # fmt: skip
