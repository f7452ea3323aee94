"""The ACP-127 transmission header: VZCZC, routing, DE, ZNY, DTG, FM, TO, INFO."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cablegram import reference
from cablegram.model import Addressee, Defect

MONTHS = {m: i for i, m in enumerate(
    "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}

_VZCZC = re.compile(r"\b(VZCZC[A-Z0-9]{2,12})")
_DE = re.compile(r"(?m)^\s*DE\s+([A-Z]{4,7})\s*#\s*(\d{1,5})(?:/(\d{1,3}))?(?:\s+(\d{7}))?")
_ZNY = re.compile(r"(?m)^\s*ZNY\s+([A-Z]{5})")
# Precedence + DTG: "O 010335Z JUN 09", "P R 281848Z DEC 66", "R 011234Z JUN 75".
_DTG_LINE = re.compile(
    r"(?m)^\s*(?:(ZZ|OO|PP|RR|Z|O|P|R)\s+(?:(?:ZZ|OO|PP|RR|Z|O|P|R)\s+)?)?"
    r"(\d{2})(\d{2})(\d{2})Z\s+([A-Z]{3})\s+(\d{2,4})\b"
)
_DTG_ANY = re.compile(r"\b(\d{2})(\d{2})(\d{2})Z\s?(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\s?(\d{2,4})\b", re.I)
_PROSIGN = re.compile(r"(?m)^\s*(ZZ|OO|PP|RR|Z|O|P|R)\s+R[A-Z]{3,6}\b")
_FM = re.compile(r"(?m)^\s*FM\s+(.+?)\s*$")
_ADDR = re.compile(
    r"^(?:(?P<ri>[A-Z]{4,7})\s*/\s*)?(?P<name>.+?)"
    r"(?:\s+(?P<prec>NIACT\s+IMMEDIATE|IMMEDIATE|PRIORITY|ROUTINE|FLASH))?"
    r"(?:\s+(?P<serial>\d{1,5}))?\s*$"
)


@dataclass
class Header:
    transmission_id: str = ""
    routing: str = ""  # DE station
    station_serial: str = ""
    section: int | None = None
    security_line: str = ""
    precedence: str = ""
    dtg: str | None = None
    fm: str = ""
    to: list[Addressee] = field(default_factory=list)
    info: list[Addressee] = field(default_factory=list)
    end: int = 0  # offset in the text where the header ends


def year4(yy: str) -> int:
    y = int(yy)
    if len(yy) == 4:
        return y
    return 1900 + y if y >= 60 else 2000 + y


def dtg_iso(day: str, hhmm: str, mon: str, yy: str, defects: list[Defect]) -> str | None:
    month = MONTHS.get(mon.upper())
    d, h, m = int(day), int(hhmm[:2]), int(hhmm[2:])
    if not month or not (1 <= d <= 31 and h <= 24 and m <= 59):
        defects.append(Defect("dtg", f"impossible date-time group {day}{hhmm}Z {mon} {yy}"))
        return None
    import calendar

    y = year4(yy)
    if d > calendar.monthrange(y, month)[1]:
        defects.append(Defect("dtg", f"day {d} does not exist in {mon} {y}"))
        return None
    if h == 24:  # 2400Z is midnight at the end of the day; keep the day, clamp the hour
        h, m = 23, 59
        defects.append(Defect("dtg", "2400Z read as 2359Z"))
    return f"{y:04d}-{month:02d}-{d:02d}T{h:02d}:{m:02d}:00Z"


def find_dtg(text: str, defects: list[Defect]) -> tuple[str | None, str]:
    """The first DTG in ``text`` and the precedence prosign before it, if any."""
    m = _DTG_LINE.search(text)
    if m:
        return dtg_iso(m[2], m[3] + m[4], m[5], m[6], defects), m[1] or ""
    m = _DTG_ANY.search(text)
    if m:
        return dtg_iso(m[1], m[2] + m[3], m[4], m[5], defects), ""
    return None, ""


def parse_header(text: str, defects: list[Defect]) -> Header:
    """Parse a header block (``text`` holds only the header, or starts with it)."""
    h = Header()
    m = _VZCZC.search(text)
    if m:
        h.transmission_id = m[1]
    m = _DE.search(text)
    if m:
        h.routing, h.station_serial = m[1], m[2]
        h.section = int(m[3]) if m[3] else None
    m = _ZNY.search(text)
    if m:
        code = m[1]
        h.security_line = reference.SECURITY_LINE.get(code, "")
        if not h.security_line:
            defects.append(Defect("security-line", f"unknown security line code {code}"))
    h.dtg, prosign = find_dtg(text, defects)
    if not prosign:
        pm = _PROSIGN.search(text)
        prosign = pm[1] if pm else ""
    h.precedence = reference.precedence_name(prosign) if prosign else ""
    m = _FM.search(text)
    if m:
        h.fm = m[1].strip()
    h.to, h.info = _addressees(text)
    return h


_STOP = re.compile(r"^\s*(?:BT|XMT|ZEN|ZFR|E\.?\s*O\.?|TAGS|SUBJECT|[A-Z](?: [A-Z]){4,})\b")


def _addressees(text: str) -> tuple[list[Addressee], list[Addressee]]:
    to: list[Addressee] = []
    info: list[Addressee] = []
    current: list[Addressee] | None = None
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("TO "):
            current, line = to, line[3:]
        elif line.startswith("INFO "):
            current, line = info, line[5:]
        elif current is None:
            continue
        elif _STOP.match(line) or line.startswith(("FM ", "DE ", "ZNY")):
            if current is not None and to:
                break
            continue
        a = _addressee(line)
        if a:
            current.append(a)
    return to, info


def _addressee(line: str) -> Addressee | None:
    m = _ADDR.match(line.strip())
    if not m or not m["name"]:
        return None
    name = re.sub(r"\s+", " ", m["name"]).strip(" ,")
    prec = re.sub(r"\s+", " ", m["prec"] or "")
    return Addressee(routing=m["ri"] or "", name=name, precedence=prec, serial=m["serial"] or "")
