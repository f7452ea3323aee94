"""What a reader is shown of a cable, on the web page and by `cablegram show`: codes decoded
into words.

Pure functions of a ``Cable`` (and today's date), so they are easy to test and reuse.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from cablegram.model import Addressee, Cable
from cablegram.reference import (
    CLASSIFICATIONS,
    EXECUTIVE_ORDERS,
    caveat_name,
    classification_level,
    eo_reason,
    parse_marking,
    post_name,
    precedence_name,
    routing_name,
    tag,
)

__all__ = [
    "LEVEL_CLASSES",
    "AddresseeView",
    "Declass",
    "ParagraphView",
    "addressee_view",
    "date_words",
    "declassification",
    "dtg_telegraphic",
    "dtg_words",
    "level_class",
    "marking_view",
    "paragraphs_view",
    "reasons_view",
]

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip
# CSS class per classification level (-1: unmarked/unknown), in banner colours.
LEVEL_CLASSES = {-1: "lvl-none", 0: "lvl-u", 1: "lvl-lou", 2: "lvl-sbu", 3: "lvl-c",
                 4: "lvl-s", 5: "lvl-ts"}  # fmt: skip
PRECEDENCE_NOTES = {
    "FLASH": "the highest precedence: handle at once, ahead of all other traffic",
    "NIACT IMMEDIATE": "night action: the addressee is woken to act on it",
    "IMMEDIATE": "handle as fast as possible, ahead of priority and routine traffic",
    "PRIORITY": "handle before routine traffic",
    "ROUTINE": "handle in the normal order",
}
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?")


def _parts(iso: str | None) -> tuple[int, int, int, int | None, int | None] | None:
    m = _ISO.match(iso or "")
    if not m:
        return None
    y, mo, d = int(m[1]), int(m[2]), int(m[3])
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return y, mo, d, (int(m[4]) if m[4] else None), (int(m[5]) if m[5] else None)


def date_words(iso: str | None) -> str:
    """``2009-06-01`` -> ``1 June 2009``; '' when not a date."""
    p = _parts(iso)
    return f"{p[2]} {MONTHS[p[1] - 1]} {p[0]}" if p else ""


def dtg_words(dtg: str | None) -> str:
    """``2009-06-01T03:35:00Z`` -> ``1 June 2009, 03:35 UTC``."""
    p = _parts(dtg)
    if not p:
        return ""
    out = f"{p[2]} {MONTHS[p[1] - 1]} {p[0]}"
    if p[3] is not None:
        out += f", {p[3]:02d}:{p[4] or 0:02d} UTC"
    return out


def dtg_telegraphic(dtg: str | None) -> str:
    """``2009-06-01T03:35:00Z`` -> ``010335Z JUN 09`` (the date-time group as sent)."""
    p = _parts(dtg)
    if not p or p[3] is None:
        return ""
    return f"{p[2]:02d}{p[3]:02d}{p[4] or 0:02d}Z {MONTHS[p[1] - 1][:3].upper()} {p[0] % 100:02d}"


def level_class(level: int) -> str:
    return LEVEL_CLASSES.get(level, "lvl-none")


@dataclass
class MarkingView:
    text: str  # as written: S/NF
    level: int
    css: str
    title: str  # SECRET, NOFORN


def marking_view(marking: str) -> MarkingView:
    level, caveats = parse_marking(marking or "")
    words = [CLASSIFICATIONS[level]] if 0 <= level < len(CLASSIFICATIONS) else []
    words += list(caveats)
    return MarkingView(marking or "", level, level_class(level), ", ".join(words) or marking)


@dataclass
class Declass:
    text: str  # 24 May 2019 | OADR
    meaning: str  # what a literal value means
    status: str  # passed | pending | unknown
    note: str  # "passed 6 years ago" / "in 3 years"


_DECL_LITERALS = {
    "OADR": "Originating Agency's Determination Required: no date was set; the sending "
    "agency decides",
    "N/A": "not applicable (the cable is not classified)",
    "NA": "not applicable (the cable is not classified)",
}


def _years_between(a: date, b: date) -> int:
    return b.year - a.year - ((b.month, b.day) < (a.month, a.day))


def declassification(c: Cable, today: date | None = None) -> Declass | None:
    """The declassification instruction, in words, and whether its date has passed."""
    raw = (c.declassify_on or "").strip()
    if not raw:
        return None
    today = today or date.today()
    p = _parts(raw)
    when: date | None = None
    meaning = ""
    if p:
        try:
            when = date(p[0], p[1], p[2])
        except ValueError:
            when = None
        text = date_words(raw)
    else:
        text = raw
        up = raw.upper()
        if up in _DECL_LITERALS:
            meaning = _DECL_LITERALS[up]
        elif re.fullmatch(r"(?:1\.6\s*)?X\s*[1-8]|1\.6X\d", up.replace(" ", "")):
            meaning = ("exempt from declassification at 10 years (E.O. 12958, section "
                       "1.6(d)): to be reviewed at 25 years")  # fmt: skip
        elif re.fullmatch(r"25X\d", up.replace(" ", "")):
            meaning = "exempt from automatic declassification at 25 years (section 3.3(b))"
        elif up in ("TWENTY YEARS", "20 YEARS") and c.year:
            start = _parts(c.dtg or "")
            if start:
                try:
                    when = date(start[0] + 20, start[1], min(start[2], 28))
                except ValueError:
                    when = None
            meaning = "twenty years after the date of the cable"
        elif up in ("TEN YEARS", "10 YEARS") and c.year:
            start = _parts(c.dtg or "")
            if start:
                when = date(start[0] + 10, start[1], min(start[2], 28))
            meaning = "ten years after the date of the cable"
    if when is None:
        return Declass(text, meaning, "unknown", "")
    if when <= today:
        years = _years_between(when, today)
        ago = "today" if when == today else (
            f"{years} year{'s' if years != 1 else ''} ago" if years else "this year"
        )  # fmt: skip
        return Declass(text, meaning, "passed", f"passed ({ago})")
    years = _years_between(today, when)
    ahead = f"in {years} year{'s' if years != 1 else ''}" if years else "within a year"
    return Declass(text, meaning, "pending", f"not yet ({ahead})")


@dataclass
class AddresseeView:
    name: str  # for people: Secretary of State
    as_written: str  # SECSTATE WASHDC
    routing: str  # RUEHC
    routing_name: str  # DEPT OF STATE WASHINGTON DC
    precedence: str
    serial: str


def _nice_name(text: str) -> str:
    """``DEPT OF STATE WASHINGTON DC`` -> ``Dept of State Washington DC`` (a readable case)."""
    small = {"OF", "AND", "THE", "FOR", "TO", "IN", "ON", "AT"}
    out = []
    text = re.sub(r"\bWASHDC\b", "WASHINGTON DC", text.upper())
    for i, w in enumerate(text.split()):
        if w in small and i:
            out.append(w.lower())
        elif len(w) <= 3 and w.isalpha() and w not in ("WAR", "SEA", "AIR"):
            out.append(w)  # acronyms: DC, CIA, NSC, USUN
        else:
            out.append(w.capitalize())
    return " ".join(out)


def addressee_view(a: Addressee) -> AddresseeView:
    rname = routing_name(a.routing) if a.routing else ""
    name = (post_name(a.name) if a.name else "") or (post_name(rname) if rname else "")
    if not name:
        name = _nice_name(a.name or rname) if (a.name or rname) else a.routing
    return AddresseeView(
        name=name,
        as_written=a.name,
        routing=a.routing,
        routing_name=rname,
        precedence=precedence_name(a.precedence) or a.precedence,
        serial=a.serial,
    )


def origin_view(c: Cable) -> AddresseeView:
    rname = routing_name(c.origin.routing) if c.origin.routing else ""
    name = c.origin.name or post_name(c.origin.code) or (post_name(rname) if rname else "")
    return AddresseeView(
        name=name or c.origin.code,
        as_written=c.origin.code,
        routing=c.origin.routing,
        routing_name=rname,
        precedence="",
        serial="",
    )


def eo_view(eo: str) -> str:
    """``12958`` -> ``E.O. 12958 (1995, amended 2003)``."""
    eo = (eo or "").strip()
    if not eo:
        return ""
    return EXECUTIVE_ORDERS.get(eo, f"E.O. {eo}")


def reasons_view(c: Cable) -> list[tuple[str, str]]:
    """``[('1.4(b)', 'foreign government information'), ...]`` in the wording of the
    cable's executive order where it is known."""
    order = (c.eo or "").strip()
    out = []
    for r in c.reasons:
        text = ""
        if order == "12958" and r.startswith("1.5"):
            text = eo_reason(r, "12958-1995")
        elif order in ("13526", "12958", "12356"):
            text = eo_reason(r, order)
        out.append((r, text or eo_reason(r)))
    return out


def tags_view(c: Cable) -> list[tuple[str, str, str]]:
    """``[(code, name, kind)]``: names from the record, else from the reference data."""
    out = []
    for t in c.tags:
        ref = tag(t.code)
        out.append((t.code, t.name or ref.name, t.kind or ref.kind))
    return out


def classification_view(c: Cable) -> MarkingView:
    level = classification_level(c.classification) if c.classification else -1
    caveats = [caveat_name(x) or x for x in c.caveats]
    words = " // ".join(x for x in (c.classification, *caveats) if x)
    return MarkingView(words, level, level_class(level), words)


@dataclass
class ParagraphView:
    number: int | None
    marking: MarkingView | None
    heading: str  # a new heading starting at this paragraph ('' otherwise)
    text: str
    kind: str = ""  # summary | comment | ''
    anchor: str = ""
    label: str = ""  # Summary / Comment, when the text does not say so itself
    # The text cut at the entity mentions, when asked: (text, entity href or '', kind).
    segments: list[tuple[str, str, str]] = field(default_factory=list)


def _segments(text: str, mentions: list[dict[str, Any]],
              href: Callable[[str], str] | None) -> list[tuple[str, str, str]]:  # fmt: skip
    """``text`` as (piece, entity href or '', kind) runs; a mention whose offsets do not
    hold in this text (another rendering) is left out rather than misplaced."""
    if not mentions:
        return []
    out: list[tuple[str, str, str]] = []
    at = 0
    for m in sorted(mentions, key=lambda m: (m["start"], -m["end"])):
        s, e = m["start"], m["end"]
        if s < at or text[s:e] != m["text"]:
            continue
        if s > at:
            out.append((text[at:s], "", ""))
        out.append((text[s:e], href(m["entity_id"]) if href else "", m["kind"]))
        at = e
    if at < len(text):
        out.append((text[at:], "", ""))
    return out


_BLOCK_START = re.compile(r"^\s*(?:BEGIN\s+)?(SUMMARY|COMMENT)\b(?:\s+AND\s+\w+)?\s*[:.\-]", re.I)


def paragraphs_view(c: Cable, mentions: list[dict[str, Any]] | None = None,
                    href: Callable[[str], str] | None = None) -> list[ParagraphView]:  # fmt: skip
    """Paragraphs with their marking decoded, new headings, and the summary and comment
    blocks (``SUMMARY: ... END SUMMARY``, ``COMMENT: ... END COMMENT``) recognised; with
    ``mentions`` (``Archive.cable_entities``), each paragraph's text cut at the mentions
    for highlighting (portion seq n is the n-th paragraph)."""
    by_seq: dict[int, list[dict[str, Any]]] = {}
    for mention in mentions or ():
        if (
            mention["seq"]
            and mention["entity_id"]
            and mention["kind"] in ("person", "org", "place")
        ):
            by_seq.setdefault(mention["seq"], []).append(mention)
    out: list[ParagraphView] = []
    heading = ""
    block = ""
    whole = c.text().upper()
    for i, p in enumerate(c.paragraphs):
        kind = ""
        upper = p.text.upper()
        m = _BLOCK_START.match(p.text)
        if not block and m:
            block = m[1].lower()
        if block:
            kind = block
            if f"END {block.upper()}" in upper or (
                block == "summary" and "END SUMMARY" not in whole
            ):
                block = ""
        elif re.match(r"^\W*(SUMMARY|COMMENT)\b", p.heading.upper()):
            kind = p.heading.upper().strip(" .:-").split()[0].lower()  # a heading "COMMENT"
        elif c.summary and len(c.summary) > 40 and c.summary[:80] in p.text:
            kind = "summary"
        elif c.comment and len(c.comment) > 40 and c.comment[:80] in p.text:
            kind = "comment"
        new_heading = p.heading if p.heading and p.heading != heading else ""
        heading = p.heading or heading
        anchor = f"p{p.number}" if p.number is not None else f"t{i + 1}"
        said = re.sub(r"^\W*(BEGIN\s+)?", "", upper).startswith(kind.upper())
        label = kind.capitalize() if kind and not said else ""
        out.append(
            ParagraphView(
                number=p.number,
                marking=marking_view(p.marking) if p.marking else None,
                heading=new_heading,
                text=p.text,
                kind=kind,
                anchor=anchor,
                label=label,
                segments=_segments(p.text, by_seq.get(i + 1, []), href),
            )
        )
    # Unique anchors even when numbering repeats.
    seen: set[str] = set()
    for pv in out:
        a, k = pv.anchor, 2
        while pv.anchor in seen:
            pv.anchor = f"{a}-{k}"
            k += 1
        seen.add(pv.anchor)
    return out


def now_utc_date() -> date:
    return datetime.now().date()
