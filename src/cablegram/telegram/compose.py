"""Compose: write a record as a telegram in the layout of the seed cable.

``compose(cable)`` gives the text a communications centre sent: VZCZC line, precedence
and relay, DE line (station, serial, section, filing time), ZNY security line, DTG line,
FM/TO/INFO with routing indicators, precedences and channel serials, the spaced-letter
banner (``SECTION 01 OF 03`` when the text runs over pages), caveat lines, E.O. line,
TAGS, SUBJECT, REF, Classified By with reasons, numbered portion-marked paragraphs
(page headers at page breaks) and the signer. ``parse(compose(record))`` gives the
record's fields back (tests/test_telegram_compose.py, bench/compose_roundtrip.py).
"""

from __future__ import annotations

import re
import textwrap
from datetime import date

from cablegram import reference
from cablegram.model import Cable, Paragraph
from cablegram.telegram.transmission import id_serial

_NUMBERED = re.compile(r"^\d{1,3}\. ")

__all__ = ["compose", "PAGE_CHARS", "WIDTH", "banner_words", "page_count"]

WIDTH = 64  # the width of the wrapped preamble lines (SUBJECT, REF)
# A page (a section of the telegram) holds about this much text. Paragraphs are one line
# each, as in the seed: hard-wrapping would leave a last short line that reads as the
# signer, and dashes at a line's start that read as a heading's rule.
PAGE_CHARS = 3500
MIN_PART = 80
RELAY = "RUEHWEB"  # the relay of most released cables' routing line ("RR RUEHWEB")

_PROSIGN = {"FLASH": "Z", "IMMEDIATE": "O", "NIACT IMMEDIATE": "O", "PRIORITY": "P",
            "ROUTINE": "R"}  # fmt: skip
_ZNY = {0: "UUUUU", 1: "UUUUU", 2: "UUUUU", 3: "CCCCC", 4: "SSSSS", 5: "TTTTT"}
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_UNCLASSIFIED = ("UNCLASSIFIED", "")


def banner_words(cable: Cable) -> str:
    """The classification as the banner spells it: ``C O N F I D E N T I A L``, ``UNCLAS``."""
    cls = cable.classification.upper()
    if cls in _UNCLASSIFIED:
        return "UNCLAS"
    if cls in ("LIMITED OFFICIAL USE", "SENSITIVE BUT UNCLASSIFIED"):
        return cls if cls == "LIMITED OFFICIAL USE" else "UNCLAS SENSITIVE"
    return " ".join(cls.replace(" ", ""))


def compose(cable: Cable, *, relay: str = RELAY) -> str:
    """The telegram of ``cable``. Fields the record lacks are left out, never invented."""
    serial = id_serial(cable.id) or 0
    origin = cable.origin.code or ""
    pages = _paginate(_body(cable))
    n = len(pages)
    lines: list[str] = []
    lines += _header(cable, serial, n, relay)
    banner = [banner_words(cable)]
    if n > 1:
        banner.append(f"SECTION 01 OF {n:02d}")
    if origin:
        banner.append(f"{_post_words(cable)} {serial:06d}")
    lines += [" ".join(banner), ""]
    for i, page in enumerate(pages):
        if i:
            lines += ["", f"{_post_words(cable)} {serial:08d} {i + 1:03d} OF {n:03d}", ""]
        lines += page
    return "\n".join(lines).rstrip() + "\n"


def page_count(cable: Cable) -> int:
    """How many pages (sections) the telegram of ``cable`` runs over."""
    return len(_paginate(_body(cable)))


# --- header ---------------------------------------------------------------------------------


def _header(cable: Cable, serial: int, sections: int, relay: str) -> list[str]:
    prec = (cable.precedence or "").upper()
    sign = _PROSIGN.get(prec, prec[:1])  # no precedence in the record: none is written
    station = cable.origin.routing or reference.routing_indicator(cable.origin.code) or ""
    level = _level(cable)
    out = [cable.transmission_id or "VZCZCXYZ0000"]
    if sign:
        out.append(f"{sign}{sign} {relay}")
    out.append("")
    filed = _filing(cable.dtg or _archive_dtg(cable))
    if station:
        de = f"DE {station} #{serial % 10000:04d}"
        if sections > 1:
            de += "/01"
        out.append(de + (f" {filed}" if filed else ""))
    out.append(f"ZNY {_ZNY.get(level, 'UUUUU')} ZZH")
    dtg = cable.dtg or _archive_dtg(cable)
    if dtg:
        out.append(f"{sign} {_dtg(dtg)}".strip())
    fm = _fm(cable)
    if fm:
        out.append(f"FM {fm}")
    for role, group in (("TO", cable.to), ("INFO", cable.info)):
        for i, a in enumerate(group):
            text = f"{a.routing}/{a.name}" if a.routing else a.name
            text = " ".join(x for x in (text, a.precedence, a.serial) if x)
            out.append(f"{role} {text}" if i == 0 else text)
    out.append("BT")
    return out


def _level(cable: Cable) -> int:
    return max(0, reference.classification_level(cable.classification or "UNCLASSIFIED"))


def _archive_dtg(cable: Cable) -> str | None:
    # A rendering that lost the DTG line leaves the archive's date of the cable: the
    # system stamped every telegram, so the composed one gets that date as its DTG.
    created = cable.archive.created if cable.archive else ""
    if len(created) >= 16 and created[4] == "-" and created[10] in "T ":
        return f"{created[:10]}T{created[11:16]}:00Z"
    return None


def _dtg(dtg: str) -> str:
    # 2009-06-01T03:35:00Z -> 010335Z JUN 09
    return f"{dtg[8:10]}{dtg[11:13]}{dtg[14:16]}Z {_MONTHS[int(dtg[5:7]) - 1]} {dtg[2:4]}"


def _filing(dtg: str | None) -> str:
    # The filing time of the DE line: Julian day and HHMM (the DTG's, as a centre files
    # a message when it is released).
    if not dtg:
        return ""
    try:
        day = date.fromisoformat(dtg[:10])
    except ValueError:
        return ""
    return f"{day.timetuple().tm_yday:03d}{dtg[11:13]}{dtg[14:16]}"


def _fm(cable: Cable) -> str:
    if cable.origin.routing:
        name = reference.routing_name(cable.origin.routing)
        if name:
            return name
    name = cable.origin.name
    for prefix, fm in (("Embassy ", "AMEMBASSY "), ("Consulate ", "AMCONSUL "),
                       ("Mission ", "USMISSION ")):  # fmt: skip
        if name.startswith(prefix):
            return fm + name[len(prefix) :].upper()
    if cable.origin.code == "STATE":
        return "SECSTATE WASHDC"
    return name.upper() or cable.origin.code


def _post_words(cable: Cable) -> str:
    # The post as the banner writes it: BAKU, NEW DELHI, USUN NEW YORK (the id glues it).
    fm = _fm(cable)
    code = cable.origin.code
    for prefix in ("AMEMBASSY ", "AMCONSUL ", "USMISSION "):
        if fm.startswith(prefix) and fm[len(prefix) :].replace(" ", "") == code:
            return fm[len(prefix) :]
    return code


# --- text -----------------------------------------------------------------------------------


def _body(cable: Cable) -> list[list[str]]:
    """The text after the banner as blocks of lines: the preamble, then each paragraph
    with its heading, then the signer. Pages break between blocks where they can."""
    pre: list[str] = []
    for c in cable.caveats:
        pre += [c, ""]
    decl = _decl(cable)
    if cable.eo or decl:
        pre.append(f"E.O. {cable.eo or '12958'}: {decl or 'N/A'}")
    if cable.tags:
        # Spaces, as most cables; commas when a code has a space of its own (older
        # cables' personal-name TAGS). One line: the parser reads TAGS to the line's end.
        sep = ", " if any(" " in t.code for t in cable.tags) else " "
        pre.append("TAGS: " + sep.join(t.code for t in cable.tags))
    if cable.subject:
        subject = (
            f"({cable.subject_marking}) {cable.subject}"
            if cable.subject_marking
            else (cable.subject)
        )
        pre += _wrap_subject("SUBJECT: " + subject)
    if cable.references:
        # Lettered references one after another ("A. STATE 1 B. STATE 2"), others with a
        # semicolon: a year written after a serial ("(08) SAO PAULO 497") would read as
        # the year of the reference before it.
        refs = ""
        for r in cable.references:
            sep = ("; " if not r.label else " ") if refs else ""
            refs += sep + _ref(r.label, r.text, r.id)
        pre += [""] + _wrap("REF: " + refs)
    by = cable.classified_by
    if by is not None and (by.name or by.title):
        who = " ".join(x for x in (by.title, by.name) if x)
        reasons = _reasons(cable.reasons)
        # One line: a wrapped "Reasons" line would read as the first paragraph.
        pre += ["", f"Classified By: {who}." + (f" Reasons: {reasons}" if reasons else "")]
    blocks = [pre]
    for p in cable.paragraphs:
        block = [""]
        if p.heading:
            if p.heading.rstrip().endswith((".", ",", ";", '"')):
                # A heading ending like a sentence, a quotation or a cut ("AND...")
                # reads as the text before it when the rule stands on its own line;
                # released cables also write it on the heading's line, where it marks
                # a heading whatever its end (the line kept within the parser's
                # 90 characters for a heading).
                rule = "-" * max(3, min(len(p.heading), 89 - len(p.heading)))
                block += [f"{p.heading} {rule}", ""]
            else:
                block += [p.heading, "-" * min(len(p.heading), WIDTH), ""]
        block.append(_para_head(p) + p.text if p.text else _para_head(p).strip())
        if len(blocks) == 1 and _ruled_opening(p):
            block.append("-" * len(p.text))
        blocks.append(block)
    if cable.signer:
        blocks.append(["", cable.signer])
    return blocks


def _ruled_opening(p: Paragraph) -> bool:
    """An unnumbered line before paragraph 1 short enough to be a heading ("(U) Summary",
    "Summary and introduction"): released cables rule it, and the parser takes a line
    above paragraph 1 into the body only when it is ruled (else it stays preamble)."""
    t = p.text
    return (
        p.number is None
        and not p.marking
        and not p.heading
        and 0 < len(t) <= 60
        and len(t.split()) <= 8
        and "\n" not in t
        and not any(ch.isdigit() for ch in t)
        and ":" not in t
        and not t.endswith((".", ",", ";"))
    )


def _para_head(p: Paragraph) -> str:
    num = f"{p.number}. " if p.number is not None else ""
    mark = f"({p.marking}) " if p.marking else ""
    return num + mark


def _decl(cable: Cable) -> str:
    d = cable.declassify_on
    if not d:
        return ""
    if len(d) == 10 and d[4] == "-" and d[7] == "-":
        return f"DECL: {d[5:7]}/{d[8:10]}/{d[:4]}"
    return d if d.upper() in ("N/A", "NA") else f"DECL: {d}"


def _reasons(reasons: list[str]) -> str:
    # ['1.4(b)', '1.4(d)'] -> '1.4 (b, d)'; sections kept apart when they differ.
    groups: dict[str, list[str]] = {}
    for r in reasons:
        head, _, rest = r.partition("(")
        groups.setdefault(head, []).append(rest.rstrip(")").replace(")(", ")("))
    return ", ".join(f"{h} ({', '.join(ls)})" for h, ls in groups.items())


def _ref(label: str, text: str, rid: str) -> str:
    written = text or rid
    if label and not written.upper().startswith(f"{label.upper()}."):
        return f"{label}. {written}"
    return written


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, break_long_words=False, break_on_hyphens=False) or [""]


# A line start that ends the subject for the parser (a rule, a list letter "(d)", a
# paragraph number "1.", a REF line): a wrapped subject keeps such words on the line before.
_SUBJECT_BREAK = re.compile(r"-{3}|\(?[A-Za-z]\)(?:\s|$)|(?:1\s?)?1\s?\.[\s(]|REF|¶")


def _wrap_subject(text: str) -> list[str]:
    out: list[str] = []
    for line in _wrap(text):
        if out and _SUBJECT_BREAK.match(line):
            out[-1] += " " + line
        else:
            out.append(line)
    return out


def _paginate(blocks: list[list[str]]) -> list[list[str]]:
    """Pages of about ``PAGE_CHARS`` characters. As in the seed, a page breaks inside a
    paragraph, after a sentence (or a word) once the page is full; the page header then
    stands between two parts of that paragraph, which the parser joins again. A header
    before a heading or a numbered paragraph would read as text of the one before it."""
    pages: list[list[str]] = [[]]
    size = 0
    for b, block in enumerate(blocks):
        for line in block:
            while b > 0 and _NUMBERED.match(line) is None and size + len(line) > PAGE_CHARS:
                cut = _cut(line, max(PAGE_CHARS - size, MIN_PART))
                if cut is None:
                    break
                pages[-1].append(line[:cut].rstrip())
                pages.append([])
                line, size = line[cut:].lstrip(), 0
            while b > 0 and _NUMBERED.match(line) and size + len(line) > PAGE_CHARS:
                # The numbered line itself: break after its first part, keeping the number.
                cut = _cut(line, max(PAGE_CHARS - size, MIN_PART))
                if cut is None:
                    break
                pages[-1].append(line[:cut].rstrip())
                pages.append([])
                line, size = line[cut:].lstrip(), 0
            pages[-1].append(line)
            size += len(line) + 1
    return [p for p in pages if p] or [[]]


def _cut(line: str, at: int) -> int | None:
    """Where to break ``line`` near ``at``: after the last sentence before it, else after
    the last word; None when the line is too short to leave text on both sides."""
    if len(line) < at + MIN_PART or at < MIN_PART:
        return None
    i = max(line.rfind(". ", MIN_PART, at), line.rfind("? ", MIN_PART, at))
    if i > 0 and line[i + 2 : i + 3].isupper():
        return i + 2
    j = line.rfind(" ", MIN_PART, at)
    return j + 1 if j > 0 else None
