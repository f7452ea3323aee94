"""What the record keeps only as text: the DE line, the banner line and the page headers.

The parser reads the header into record fields (DTG, precedence, addressees) but keeps the
station serial, the section of the DE line, the filing time and the banner's
``SECTION n OF m`` only in ``Cable.header`` and ``Cable.body``. Lint and coverage read
them here, from those two texts, so the parser and the stored record stay as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cablegram import reference
from cablegram.model import Cable

__all__ = ["Transmission", "read_transmission", "id_serial", "id_year"]

# DE RUEHKB #0433/01 1520335: station, serial, section, Julian day + HHMM of filing.
_DE = re.compile(
    r"(?m)^[ \t]*DE[ \t]+([A-Z]{4,7})[ \t]*#[ \t]*(\d{1,6})(?:/(\d{1,3}))?(?:[ \t]+(\d{3})(\d{4}))?"
)
# The precedence prosign(s) of the DTG line and of the routing line after VZCZC.
_DTG_LINE = re.compile(r"(?m)^[ \t]*([A-Z]{1,2})(?:[ \t]+([A-Z]{1,2}))?[ \t]+\d{6}Z[ \t]+[A-Z]{3}")
# The routing line is the one after VZCZC: "OO RUEHDBU".
_ROUTING_LINE = re.compile(r"(?m)^[ \t]*VZCZC\S*[ \t]*\n\s*([A-Z]{1,2})[ \t]+R[A-Z]{3,6}\b")
# C O N F I D E N T I A L SECTION 01 OF 03 BAKU 000433
_SECTION = re.compile(r"\bSECTION\s+(\d{1,3})\s+OF\s+(\d{1,3})\b")
_BANNER_TAIL = re.compile(r"\b([A-Z][A-Z ]*?[A-Z])\s+(\d{5,8})\s*$")
# BAKU 00000433 002 OF 003: a page header the archive rendering left in the text.
_PAGE = re.compile(
    r"(?m)^[ \t]*[A-Z][A-Z ]*?[ \t]+\d{5,8}[ \t]+(\d{3})[ \t]+OF[ \t]+(\d{3})[ \t]*$"
)
_NUMBERED = re.compile(r"^(?:¶\s*)?\d{1,3}\s*\.")
_ID = re.compile(r"^(\d{2})([A-Z][A-Z0-9]*?[A-Z])(\d+)$")


@dataclass
class Transmission:
    station: str = ""  # DE routing indicator: RUEHKB
    serial: int | None = None  # DE station serial: 433
    serial_digits: int = 0  # how many digits the DE line wrote (it may keep the low ones only)
    section: int | None = None  # DE section: 1 of #0433/01
    filing_day: int | None = None  # Julian day of the filing time: 152
    filing_time: str = ""  # HHMM: 0335
    prosigns: list[str] = field(default_factory=list)  # as written on routing and DTG lines
    banner: str = ""  # the banner line as written
    banner_section: tuple[int, int] | None = None  # SECTION 1 OF 3
    banner_serial: int | None = None  # BAKU 000433 -> 433
    pages: list[tuple[int, int]] = field(default_factory=list)  # page headers: (2, 3), (3, 3)
    partial: bool = False  # the archive says its text is a partial extract of the cable
    preamble_caveats: list[str] = field(default_factory=list)  # caveat lines before the text


def read_transmission(cable: Cable) -> Transmission:
    """The DE line, prosigns, banner and page headers of ``cable`` (empty where absent)."""
    t = Transmission()
    head = cable.header or ""
    m = _DE.search(head)
    if m:
        t.station, t.serial, t.serial_digits = m[1], int(m[2]), len(m[2])
        t.section = int(m[3]) if m[3] else None
        if m[4]:
            t.filing_day, t.filing_time = int(m[4]), m[5]
    for rx in (_ROUTING_LINE, _DTG_LINE):
        pm = rx.search(head)
        if pm:
            t.prosigns.extend(x for x in pm.groups() if x)
    t.partial = "partial extract" in head.lower()
    body = cable.body or ""
    first = next((line.strip() for line in body.split("\n") if line.strip()), "")
    if first and _banner_like(first):
        t.banner = first
        sm = _SECTION.search(first)
        if sm:
            t.banner_section = (int(sm[1]), int(sm[2]))
        tm = _BANNER_TAIL.search(first)
        if tm:
            t.banner_serial = int(tm[2])
    for line in body.split("\n")[1:]:
        s = line.strip().rstrip(".")
        if _NUMBERED.match(s):
            break
        name = reference.caveat_name(s) if s and len(s) < 40 else ""
        if name and name not in t.preamble_caveats:
            t.preamble_caveats.append(name)
    t.pages = [(int(a), int(b)) for a, b in _PAGE.findall(body)]
    return t


def _banner_like(line: str) -> bool:
    # The first line of the body is the banner when it holds the spaced classification,
    # UNCLAS, or a post and serial at its end.
    return bool(
        re.match(r"^(?:[A-Z] ){3,}[A-Z]|^UNCLAS|^LIMITED OFFICIAL USE|^SECRET|^CONFIDENTIAL", line)
        or _BANNER_TAIL.search(line)
    )


def id_serial(cable_id: str) -> int | None:
    """The serial of a reference id: 09BAKU433 -> 433."""
    m = _ID.match(cable_id or "")
    return int(m[3]) if m else None


def id_year(cable_id: str) -> int | None:
    """The year of a reference id: 09BAKU433 -> 2009, 75STATE12 -> 1975."""
    m = _ID.match(cable_id or "")
    if not m:
        return None
    yy = int(m[1])
    return 1900 + yy if yy >= 60 else 2000 + yy
