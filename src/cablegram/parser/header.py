"""The ACP-127 transmission header: VZCZC, routing, DE, ZNY, DTG, FM, TO, INFO."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from typing import Final

from cablegram import reference
from cablegram.model import Addressee, Defect
from cablegram.parser import scan

MONTHS: Final = {
    m: i
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}
_MONTH_DAYS: Final = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # calendar.mdays

_VZCZC: Final = re.compile(r"\b(VZCZC[A-Z0-9]{2,12})")
# The header lines are found with patterns that open with the line break before them,
# in the text with a line break put in front (_lines): the same as (?m)^ in the text,
# but a literal start, which the regex engine jumps to instead of trying every position.
_DE: Final = re.compile(r"\n\s*DE\s+([A-Z]{4,7})\s*#\s*(\d{1,5})(?:/(\d{1,3}))?(?:\s+(\d{7}))?")
_ZNY: Final = re.compile(r"\n\s*ZNY\s+([A-Z]{5})")
# Precedence + DTG: "O 010335Z JUN 09", "P R 281848Z DEC 66", "R 011234Z JUN 75".
_DTG_LINE: Final = re.compile(
    r"\n\s*(?:(ZZ|OO|PP|RR|Z|O|P|R)\s+(?:(?:ZZ|OO|PP|RR|Z|O|P|R)\s+)?)?"
    r"(\d{2})(\d{2})(\d{2})Z\s+([A-Z]{3})\s+(\d{2,4})\b"
)
_DTG_ANY: Final = re.compile(
    r"\b(\d{2})(\d{2})(\d{2})Z\s?(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\s?(\d{2,4})\b",
    re.I,
)
_PROSIGN: Final = re.compile(r"\n\s*(ZZ|OO|PP|RR|Z|O|P|R)\s+R[A-Z]{3,6}\b")
_FM: Final = re.compile(r"(?m)\n\s*FM\s+(.+?)\s*$")
# An addressee line: "RUEHC/SECSTATE WASHDC IMMEDIATE 4637" is
#   ^(?:(?P<ri>[A-Z]{4,7})\s*/\s*)?(?P<name>.+?)<_ADDR_TAIL>
# read in two steps (see _addressee), as one regex retries the tail after every
# character of the name.
_ADDR_RI: Final = re.compile(r"([A-Z]{4,7})\s*/\s*")
# The lookahead adds nothing to what matches, but fails fast where no tail can start.
_ADDR_TAIL: Final = re.compile(
    r"(?=\s|$)(?:\s+(?P<prec>NIACT\s+IMMEDIATE|IMMEDIATE|PRIORITY|ROUTINE|FLASH))?"
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
    xmt: list[Addressee] = field(default_factory=list)  # left out of a collective
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
    y = year4(yy)
    # (calendar.monthrange(y, month)[1], without the weekday it also works out)
    if d > _MONTH_DAYS[month] + (month == 2 and calendar.isleap(y)):
        defects.append(Defect("dtg", f"day {d} does not exist in {mon} {y}"))
        return None
    if h == 24:  # 2400Z is midnight at the end of the day; keep the day, clamp the hour
        h, m = 23, 59
        defects.append(Defect("dtg", "2400Z read as 2359Z"))
    return f"{y:04d}-{month:02d}-{d:02d}T{h:02d}:{m:02d}:00Z"


def find_dtg(text: str, defects: list[Defect]) -> tuple[str | None, str]:
    """The first DTG in ``text`` and the precedence prosign before it, if any."""
    m = _DTG_LINE.search(_lines(text))
    if m:
        return dtg_iso(m[2], m[3] + m[4], m[5], m[6], defects), m[1] or ""
    m = _DTG_ANY.search(text)
    if m:
        return dtg_iso(m[1], m[2] + m[3], m[4], m[5], defects), ""
    return None, ""


def parse_header(text: str, defects: list[Defect]) -> Header:
    """Parse a header block (``text`` holds only the header, or starts with it)."""
    h = Header()
    m = scan.search(_VZCZC, text, "VZCZC")
    if m:
        h.transmission_id = m[1]
    lines = _lines(text)
    m = _DE.search(lines)
    if m:
        h.routing, h.station_serial = m[1], m[2]
        h.section = int(m[3]) if m[3] else None
    m = _ZNY.search(lines)
    if m:
        code = m[1]
        h.security_line = reference.SECURITY_LINE.get(code, "")
        if not h.security_line:
            defects.append(Defect("security-line", f"unknown security line code {code}"))
    h.dtg, prosign = find_dtg(text, defects)
    if not prosign:
        pm = _PROSIGN.search(lines)
        prosign = pm[1] if pm else ""
    h.precedence = reference.precedence_name(prosign) if prosign else ""
    m = _FM.search(lines)
    if m:
        h.fm = m[1].strip()
    h.to, h.info, h.xmt = _addressees(text)
    return h


def _lines(text: str) -> str:
    return "\n" + text


_STOP: Final = re.compile(
    r"^\s*(?:BT|ZEN|ZFR|E\.?\s*O\.?|TAGS|SUBJECT|[A-Z](?: [A-Z]){4,})\b|^\s*(?:¶\s*)?\d{1,3}\s?\.\s"
)
# State's distribution codes and the lines around them, which old printouts keep among
# the addressees: "LOG-00 NP-00 AID-00 ...", "SAS-00 /012W", "------------A54E38 291401Z /38",
# and a second DTG line ("O P 090422Z APR").
# (Tried only on lines holding a "-" or "/" before a digit, or opening like a page or DTG
# line: a search of the whole header, opening with \b, would try every position.)
_NOT_ADDRESSEE: Final = re.compile(r"\b[A-Z]{1,5}-\d{2}\b|/\d{3}\s?[A-Z]\b")
_CODE_HINT: Final = re.compile(r"[-/]\d")  # in every match of _NOT_ADDRESSEE: a quick scan
_NOT_ADDRESSEE_START: Final = re.compile(
    r"PAGE\s+\d|-{5,}[A-Z0-9]*\s+\d{6}Z|(?:(?:ZZ|OO|PP|RR|Z|O|P|R)\s+){1,2}\d{6}Z"
)


_LABEL: Final = re.compile(r"[A-Z][A-Z ]{1,20}:")  # "DRAFTED BY:", "SOURCE:"


def _addressees(text: str) -> tuple[list[Addressee], list[Addressee], list[Addressee]]:
    to: list[Addressee] = []
    info: list[Addressee] = []
    xmt: list[Addressee] = []
    current: list[Addressee] | None = None
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("TO "):
            current, line = to, line[3:]
        elif line.startswith("INFO "):
            current, line = info, line[5:]
        elif line.startswith("XMT ") and current is not None:
            current, line = xmt, line[4:]  # addressees left out of a collective
        elif current is None:
            continue
        elif _STOP.match(line) or line.startswith(("FM ", "DE ", "ZNY")):
            if current is not None and to:
                break
            continue
        line = line.strip()
        if (
            not line.isupper()
            or (_CODE_HINT.search(line) is not None and _NOT_ADDRESSEE.search(line))
            or (
                (line[1:2] == " " or line[2:3] == " " or line[:1] in "P-")
                and _NOT_ADDRESSEE_START.match(line)
            )
            or (":" in line and _LABEL.match(line))
        ):
            continue  # distribution codes, "DRAFTED BY:", "SOURCE:" lines, prose
        a = _addressee(line)
        if a:
            current.append(a)
    return to, info, xmt


def _addressee(line: str) -> Addressee | None:
    s = line.strip()
    if not s:
        return None
    ri = _ADDR_RI.match(s)
    if not ri or ri.end() == len(s):  # the name takes at least one character
        ri = None
    start = ri.end() if ri else 0
    tail = _ADDR_TAIL.search(s, start + 1)  # the first: the name is as short as can be
    assert tail  # an empty tail matches at the end
    if "\n" in s[start : tail.start()]:
        return None  # the name (".+?") cannot cross a line break
    name = scan.squash_spaces(s[start : tail.start()]).strip(" ,")
    prec = scan.squash_spaces(tail["prec"] or "")
    return Addressee(
        routing=ri[1] if ri else "", name=name, precedence=prec, serial=tail["serial"] or ""
    )
