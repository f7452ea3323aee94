"""Banner, handling caveats, E.O. line, TAGS, SUBJECT, REF block and Classified By.

The archive renderings often lose the line breaks between these fields
(``...MISSING AMCITREF:``, ``SIPDISNOFORN SIPDISE.O. 12958``), so every field is found
by searching for its keyword, and each field ends where the next one starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cablegram import reference
from cablegram.model import Defect, Official, Reference

CLASS_NAMES = {
    "TS": "TOP SECRET",
    "S": "SECRET",
    "C": "CONFIDENTIAL",
    "LOU": "LIMITED OFFICIAL USE",
    "SBU": "SENSITIVE BUT UNCLASSIFIED",
    "U": "UNCLASSIFIED",
}

# Caveat spellings -> canonical codes. SENSITIVE on an UNCLAS cable is SBU, which the
# archives publish as UNCLASSIFIED//FOR OFFICIAL USE ONLY.
CAVEAT_SPELLINGS: list[tuple[str, str]] = [
    ("SENSITIVE BUT UNCLASSIFIED", "SBU"),
    ("FOR OFFICIAL USE ONLY", "FOUO"),
    ("ROGER CHANNEL", "ROGER CHANNEL"),
    ("NOFORN", "NOFORN"),
    ("NOCONTRACT", "NOCONTRACT"),
    ("SIPDIS", "SIPDIS"),
    ("NODIS", "NODIS"),
    ("EXDIS", "EXDIS"),
    ("LIMDIS", "LIMDIS"),
    ("STADIS", "STADIS"),
    ("ORCON", "ORCON"),
    ("PROPIN", "PROPIN"),
    ("SENSITIVE", "SBU"),
    ("FOUO", "FOUO"),
    ("EFTO", "EFTO"),
    ("SBU", "SBU"),
]
# Archive renderings glue fields together ("SIPDISSIPDISNOFORNE.O. 12958"): a caveat
# may follow a non-letter, a digit or another caveat, and be followed by anything but a
# lower-case letter.
_CAVEAT_RE = re.compile(
    r"(?:(?<![A-Za-z])|(?<=SIPDIS)|(?<=NOFORN)|(?<=SENSITIVE))("
    + "|".join(re.escape(s).replace(r"\ ", r"\s+") for s, _ in CAVEAT_SPELLINGS)
    + r")(?![a-z])"
)
_CAVEAT_CODE = {s: code for s, code in CAVEAT_SPELLINGS}


def find_caveats(zone: str) -> list[str]:
    out: list[str] = []
    for m in _CAVEAT_RE.finditer(zone):
        code = _CAVEAT_CODE[re.sub(r"\s+", " ", m[1])]
        if code not in out:
            out.append(code)
    return out


@dataclass
class Banner:
    classification: str = ""
    caveats: list[str] = field(default_factory=list)
    sections: int | None = None
    origin_text: str = ""  # as written: SAN JOSE
    serial: str = ""  # without leading zeros
    start: int = 0
    end: int = 0
    damaged: bool = False


# Origin words then the serial: "SAN JOSE 000707", "USUN NEW YORK 000123".
_ORIGIN_SERIAL = re.compile(r"([A-Z][A-Z.'\-]*(?: [A-Z][A-Z.'\-]*){0,4}) ?(\d{2,7})(?!\d)")
_SECTION = re.compile(r"S?E?C?TION (\d{1,2}) OF ?(\d{1,2})")
_CLASS_WORD = re.compile(
    r"(?:TOP ?SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED|UNCLAS|LIMITED ?OFFICIAL ?USE|"
    r"ECRET|ONFIDENTIAL|CONFIDENTIA|NCLASSIFIED|NCLAS)(?!ARY|ARIES|ARIAT|ITY|SIF)"
)


def _squeeze_letters(s: str) -> str:
    """Join letter-spaced words: 'C O N F I D E N T I A L SECTION' -> 'CONFIDENTIAL SECTION'."""
    return re.sub(r"\b(?:[A-Z]{1,3} )+(?:[A-Z]{1,3})\b(?! ?\d)", lambda m: m[0].replace(" ", "")
                  if _looks_spaced(m[0]) else m[0], s)


def _looks_spaced(s: str) -> bool:
    parts = s.split(" ")
    return len(parts) >= 3 and sum(len(p) == 1 for p in parts) >= len(parts) - 1


def find_banner(text: str, defects: list[Defect]) -> Banner | None:
    """Find the classification banner among the first lines of the telegram text.

    Archive pages sometimes put other class lines first (``UNCLASSIFIED//FOR OFFICIAL
    USE ONLY``, a partial extract's ``CONFIDENTIAL PTQ1859``): a line naming a known post
    and a serial wins over one that does not.
    """
    offset = 0
    candidates: list[Banner] = []
    for n, raw in enumerate(text.split("\n")):
        if n > 80:
            break
        line = raw.strip()
        if line:
            b = _banner_line(line)
            if b:
                b.start = offset + raw.find(line[:1])
                b.end = b.start + b.end
                candidates.append(b)
                if b.serial and _known(b.origin_text):
                    break
        offset += len(raw) + 1
    if not candidates:
        return None
    best = next((b for b in candidates if b.serial and _known(b.origin_text)), None) or next(
        (b for b in candidates if b.serial), candidates[0])
    if best.damaged:
        defects.append(Defect("banner", "damaged banner repaired"))
    return best


def _known(origin_text: str) -> bool:
    code = re.sub(r"[^A-Z]", "", origin_text.upper())
    return code in reference.known_origins() or bool(reference.canonical_origin(code))


def _banner_line(line: str) -> Banner | None:
    first = re.sub(r"^(?:ID:\s*\d+\s*)?(?:Cable dated:\s*[\dT:\-]{19})?", "", line.lstrip(" \"'>].,"))
    word = first.split(" ", 1)[0]
    # Prose ("Secretary Rice...") is not a banner: the first word is upper case or a
    # letter-spaced one ("S e c r e t state 0123" exists).
    if not word or not (word.isupper() or len(word) == 1 or word[:1].isdigit()):
        return None
    up = line.upper()
    # Leading debris seen in archive pages: quotes, brackets, dots, stray digits.
    lead = re.match(
        r"^[\s\"'>\].,]*(?:ID:\s*\d+\s*)?(?:CABLE DATED:\s*[\dT:\-]{19})?\d{0,6}", up)
    pos = lead.end() if lead else 0
    head = up[pos : pos + 120]
    squeezed = _squeeze_letters(head)
    m = _CLASS_WORD.match(squeezed.replace("SS ECRET", "SECRET"))
    cw = None
    if m:
        cw = m[0]
    else:
        m2 = re.match(r"^([A-Z]{0,3})(ECRET|ONFIDENTIAL|NCLAS)", squeezed.replace(" ", ""))
        if not m2:
            return None
        cw = m2[2]
    b = Banner()
    word = cw.replace(" ", "")
    if "TOPSECRET" in word:
        b.classification = "TOP SECRET"
    elif word.endswith("ECRET"):
        b.classification = "SECRET"
    elif "ONFIDENTIA" in word:
        b.classification = "CONFIDENTIAL"
    elif "NCLAS" in word:
        b.classification = "UNCLASSIFIED"
    elif word.startswith("LIMITED"):
        b.classification = "LIMITED OFFICIAL USE"
    b.damaged = word not in {"TOPSECRET", "SECRET", "CONFIDENTIAL", "UNCLASSIFIED", "UNCLAS",
                             "LIMITEDOFFICIALUSE"}
    # Find where the class word ends in the squeezed head, then read the rest.
    rest = squeezed[squeezed.find(cw[:3]) + len(cw):] if cw[:3] in squeezed else squeezed
    rest = rest.lstrip(" /")
    sm = _SECTION.search(rest[:40])
    tail = rest
    if sm:
        b.sections = int(sm[2])
        pre = rest[: sm.start()]
        tail = rest[sm.end():]
        tail = re.sub(r"^(\d)(?=[A-Z])", "", tail)  # "OF 03QRIPOLI"
    else:
        pre = ""
    tail = tail.lstrip()
    om = _ORIGIN_SERIAL.match(tail)
    if not om:
        # Caveats may stand between the class and the origin: S E C R E T NOFORN STATE 1234
        om2 = re.match(r"((?:[A-Z/]+ ){1,3}?)([A-Z][A-Z.'\-]*(?: [A-Z][A-Z.'\-]*){0,4}) ?(\d{2,7})(?!\d)",
                       tail)
        if om2 and _CAVEAT_RE.search(om2[1]):
            pre += " " + om2[1]
            origin, serial, end_rest = om2[2], om2[3], tail[om2.end():]
        else:
            origin, serial, end_rest = "", "", tail
    else:
        origin, serial, end_rest = om[1], om[2], tail[om.end():]
    b.origin_text = re.sub(r"^(?:SECTION|SCTION|ECTION)\s*", "", origin).strip()
    b.serial = serial.lstrip("0") or ("0" if serial else "")
    if sm is None and not serial:
        b.sections = None
    elif sm is None:
        b.sections = 1
    # Caveats written on the banner line itself ("S E C R E T NOFORN", "//NOFORN").
    for code in find_caveats(pre + " " + end_rest[:40]):
        if code not in b.caveats:
            b.caveats.append(code)
    if re.search(r"E ?F ?T ?O", pre):
        b.caveats.append("EFTO") if "EFTO" not in b.caveats else None
    b.end = len(line) if not serial else min(len(line), pos + _approx_end(line[pos:], serial))
    return b


def _approx_end(s: str, serial: str) -> int:
    i = s.find(serial)
    return i + len(serial) if i >= 0 else len(s)


# -- the fields after the banner -------------------------------------------------------

_EO = re.compile(
    r"E\s?\.?\s?O\.?\s*(\d{5})\s*[:;.,]?\s*(?:AS AMENDED\s*:?\s*)?"
    r"(?:(?:DECL(?:ASSIFY)?(?:\s+ON)?|DECLAS)\s*[:;.]?\s*)?"
    r"(?P<decl>[^\n]*?)(?=\s*(?:TAGS|SUBJECT|SUBJ\b|$|\n))",
    re.I,
)
_EO_NA = re.compile(r"E\s?\.?\s?O\.?\s*(\d{5})\s*:?\s*N\s?/\s?A", re.I)
_TAGS = re.compile(r"\bTAGS\s*[:;.]?\s*(?P<tags>[^\n]*?)(?=\s*(?:SUBJECT|SUBJ\b|\n|$))")
_SUBJECT = re.compile(r"\bSUBJ(?:ECT)?\s*[:;.]\s*", re.I)
_SUBJECT_END = re.compile(
    r"\n\s*\n|\bREFS?\s*[:;.]|\bREFTELS?\s*[:;.]|\bREFERENCES?\s*[:;]|"
    r"(?<![A-Za-z])CLASSIFIED\s+BY\b|¶|\n\s*1\s?\.\s|\n\s*\(?[A-Z]\)\s|\bSUMMARY\s*:",
    re.I,
)
_REF = re.compile(r"(?:^|\n|\s)(REFS?|REFTELS?|REFERENCES?|REF\s+[A-Z]|REFTEL)\s*[:;.]?\s", re.I)
_CLASSIFIED_BY = re.compile(r"(?<![A-Za-z])CLASSIFIED\s+BY\s*:?\s*", re.I)
_REASONS = re.compile(
    r"(?:REASONS?|REASON\s+FOR\s+CLASSIFICATION)?\s*:?\s*"
    r"(1\s?\.\s?[456])\s*(\(?\s*[A-H](?:\s*\)?\s*(?:,|AND|&|/|\+|OR)?\s*\(?\s*[A-H]\b)*\s*\)?)",
    re.I,
)
_TITLES = [
    "Charge d'Affaires a.i.", "Charge d'Affaires, a.i.", "Charge d'Affaires", "Charge D'Affaires",
    "Deputy Chief of Mission", "Acting Deputy Chief of Mission", "Ambassador", "Ambassador-at-Large",
    "Consul General", "Acting Consul General", "Principal Officer", "Political Counselor",
    "Political-Military Counselor", "Acting Political Counselor", "Economic Counselor",
    "Political/Economic Counselor", "Political and Economic Counselor", "Pol/Econ Counselor",
    "Acting DCM", "A/DCM", "DCM", "CDA", "Charge", "PolCouns", "Polcouns", "POLCOUNS", "EconCouns",
    "Econ Counselor", "Pol Counselor", "Political Officer", "Political Chief", "Deputy Secretary",
    "Secretary", "Assistant Secretary", "Under Secretary", "Director", "Deputy Director",
    "Office Director", "Acting Director", "Counselor", "Minister Counselor", "Chief of Mission",
    "Consul", "Regional Security Officer", "RSO", "PolOff", "Poloff", "POLOFF", "Econoff",
]
_TITLE_RE = re.compile(
    r"^(?:(?:Acting|Deputy|Assistant|Principal)\s+)?(" + "|".join(
        re.escape(t) for t in sorted(_TITLES, key=len, reverse=True)) + r")\b\.?\s*",
    re.I,
)


@dataclass
class Preamble:
    caveats: list[str] = field(default_factory=list)
    eo: str = ""
    declassify_on: str = ""
    tags: list[str] = field(default_factory=list)
    subject: str = ""
    subject_marking: str = ""
    references: list[Reference] = field(default_factory=list)
    classified_by: Official | None = None
    reasons: list[str] = field(default_factory=list)
    end: int = 0  # offset where the body (first paragraph) starts


def parse_preamble(text: str, cable_year: int | None, defects: list[Defect]) -> Preamble:
    """``text`` starts right after the banner and runs to the end of the cable."""
    p = Preamble()
    body_start = _first_paragraph(text)
    zone = text[:body_start]
    last = 0

    m = _EO_NA.search(zone) or _EO.search(zone)
    if m:
        p.eo = m[1]
        decl = m.groupdict().get("decl")
        p.declassify_on = _declassify(decl.strip(" .:;,") if decl else "N/A", defects)
        last = max(last, m.end())
    m = _TAGS.search(zone)
    if m:
        p.tags = split_tags(m["tags"])
        last = max(last, m.end())
    # Caveats: anywhere before the E.O./TAGS line, or between banner and subject.
    head = text[:3000]
    first_field = min(
        [x for x in (_pos(_EO, head), _pos(_TAGS, head), _pos(_SUBJECT, head), _pos(_PARA_START, head))
         if x >= 0] or [min(len(head), 600)]
    )
    p.caveats = find_caveats(head[:first_field])
    m = _SUBJECT.search(zone)
    if m:
        rest = text[m.end():]
        e = _SUBJECT_END.search(rest)
        end = e.start() if e else min(len(rest), 300)
        subject = re.sub(r"\s+", " ", rest[:end]).strip(" .")
        mm = re.match(r"^\(([A-Z/]{1,8})\)\s*", subject)
        if mm and reference.parse_marking(mm[1])[0] >= 0:
            p.subject_marking = mm[1]
            subject = subject[mm.end():]
        p.subject = subject
        last = max(last, m.end() + end)
    m = _REF.search(zone, max(0, last - 1))
    if m:
        ref_end = _CLASSIFIED_BY.search(zone, m.end())
        block = zone[m.end(): ref_end.start() if ref_end else len(zone)]
        p.references = parse_references(block, cable_year, defects)
    m = _CLASSIFIED_BY.search(zone) or _CLASSIFIED_BY.search(text[body_start: body_start + 600])
    if m:
        seg_start = m.end() if m.string is zone else body_start + m.end()
        seg = text[seg_start: seg_start + 300]
        stop = re.search(r"\n\s*\n|¶|\n\s*\d\.\s", seg)
        seg = seg[: stop.start()] if stop else seg
        p.classified_by, p.reasons = parse_classified_by(seg, defects)
    p.end = body_start
    return p


def _pos(rx: re.Pattern[str], s: str) -> int:
    m = rx.search(s)
    return m.start() if m else -1


_PARA_START = re.compile(r"(?m)^\s*(?:¶\s*)?\d{1,3}\s?\.\s*(?:\(\s*[A-Z/ ]{1,12}\))?\s*\S")


def _first_paragraph(text: str) -> int:
    """Where the numbered body starts; else after the Classified By or REF block."""
    m = _PARA_START.search(text)
    limit = m.start() if m else len(text)
    cb = _CLASSIFIED_BY.search(text, 0, limit)
    if cb:
        end = re.search(r"\n\s*\n", text[cb.end():limit])
        if end and not m:
            return cb.end() + end.end()
    if m:
        return m.start()
    # Unnumbered cable: the body starts after the last preamble field.
    last = 0
    for rx in (_EO, _TAGS, _SUBJECT, _CLASSIFIED_BY, _REF):
        mm = rx.search(text[:3000])
        if mm:
            blank = re.search(r"\n\s*\n", text[mm.end():])
            if blank:
                last = max(last, mm.end() + blank.end())
            else:  # no blank line after the field: it runs to the end of its line
                nl = text.find("\n", mm.end())
                last = max(last, len(text) if nl < 0 else nl + 1)
    return last


def split_tags(s: str) -> list[str]:
    s = s.strip().strip(".")
    parts = re.split(r"[,;]\s*|\s+", s) if "," not in s else re.split(r"\s*[,;]\s*", s)
    out: list[str] = []
    for part in parts:
        part = part.strip(" .")
        if not part or len(part) > 40:
            continue
        if "," not in s and not re.fullmatch(r"[A-Z0-9]{2,8}", part):
            continue
        if part not in out:
            out.append(part)
    return out


_DATE_MDY = re.compile(r"^(\d{1,2})\s?/\s?(\d{1,2})\s?/\s?(\d{2,4})$")
_DATE_YMD = re.compile(r"^(\d{4})\s?[/-]\s?(\d{1,2})\s?[/-]\s?(\d{1,2})$")


def _declassify(decl: str, defects: list[Defect]) -> str:
    d = decl.strip()
    if not d:
        return ""
    m = _DATE_MDY.match(d)
    if m:
        mo, day, y = int(m[1]), int(m[2]), int(m[3])
        if y < 100:
            y += 2000 if y < 60 else 1900
        if 1 <= mo <= 12 and 1 <= day <= 31:
            return f"{y:04d}-{mo:02d}-{day:02d}"
    m = _DATE_YMD.match(d)
    if m:
        y, mo, day = int(m[1]), int(m[2]), int(m[3])
        if 1 <= mo <= 12 and 1 <= day <= 31:
            return f"{y:04d}-{mo:02d}-{day:02d}"
    # Non-date values (OADR, 1.6X1, N/A, X1...) are kept as written.
    return re.sub(r"\s+", " ", d.upper())[:60]


# -- references ------------------------------------------------------------------------

_REF_ITEM = re.compile(
    r"(?:(?<![A-Z])(?P<label>[A-Z])\s?[.)]\s*)?"
    r"(?:(?P<y1>\d{2,4})\s+)?(?P<origin>[A-Z][A-Z]+(?:\s[A-Z]{2,}){0,3})\s+(?P<serial>\d{1,7})"
    r"(?:\s*\((?P<y2>\d{2,4})\))?",
)
_REF_ID = re.compile(r"\b(\d{2})([A-Z]{3,}[A-Z]*?)(\d{1,7})\b")


def parse_references(block: str, cable_year: int | None, defects: list[Defect]) -> list[Reference]:
    out: list[Reference] = []
    text = re.sub(r"\s+", " ", block).strip()
    if not text:
        return out
    for m in _REF_ITEM.finditer(text.upper()):
        origin_text = m["origin"]
        words = origin_text.split()
        # Strip words that are not part of a post name ("A. STATE", "REFTEL STATE").
        while words and reference.origin_code(" ".join(words)) == "" and \
                "".join(words) not in reference.known_origins() and len(words) > 1:
            words = words[1:]
        code = "".join(words)
        code = code if code in reference.known_origins() else reference.canonical_origin(code)
        if not code:
            continue
        year = m["y1"] or m["y2"]
        inferred = False
        if year:
            yy = int(year) % 100
        elif cable_year:
            yy = cable_year % 100
            inferred = True
        else:
            yy = None
        rid = f"{yy:02d}{code}{int(m['serial'])}" if yy is not None else ""
        out.append(Reference(id=rid, text=m[0].strip(), year_inferred=inferred,
                             label=m["label"] or ""))
    if not out and text:
        # An e-mail, a document title, a meeting: kept as text, no id.
        out.append(Reference(text=text[:300]))
    if any(r.year_inferred for r in out):
        defects.append(Defect("reference-year", "a reference without a year: year taken from the cable"))
    return out


def parse_classified_by(seg: str, defects: list[Defect]) -> tuple[Official | None, list[str]]:
    s = re.sub(r"\s+", " ", seg).strip()
    reasons = parse_reasons(s)
    # The official is what stands before "for reasons"/"Reasons"/"1.4".
    cut = re.search(r"[,.;]?\s*(?:\bFOR\s+REASONS?\b|\bREASONS?\b|\bFOR\s+REASON\b|\b1\s?\.\s?[456]\b|"
                    r"\bE\.?O\.?\s*\d|\bUNDER\b|\bPER\b)", s, re.I)
    who = (s[: cut.start()] if cut else s).strip(" ,.;:")
    who = re.sub(r"\s*\bfor\b\s*$", "", who, flags=re.I)
    if not who:
        return None, reasons
    name, title = who, ""
    tm = _TITLE_RE.match(who)
    if tm:
        title = who[: tm.end()].strip(" ,.")
        name = who[tm.end():].strip(" ,.")
    elif "," in who:
        name, title = (x.strip(" .") for x in who.split(",", 1))
    if not name and title:
        name, title = title, ""
    return Official(name=name, title=title), reasons


def parse_reasons(s: str) -> list[str]:
    out: list[str] = []
    for m in _REASONS.finditer(s):
        sec = re.sub(r"\s", "", m[1])
        for letter in re.findall(r"(?<![A-Z])([A-H])(?![A-Z])", m[2].upper()):
            r = f"{sec}({letter.lower()})"
            if r not in out:
                out.append(r)
    return out
