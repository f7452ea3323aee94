"""Banner, handling caveats, E.O. line, TAGS, SUBJECT, REF block and Classified By.

The archive renderings often lose the line breaks between these fields
(``...MISSING AMCITREF:``, ``SIPDISNOFORN SIPDISE.O. 12958``), so every field is found
by searching for its keyword, and each field ends where the next one starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

from cablegram import reference
from cablegram.model import Defect, Official, Reference
from cablegram.parser import scan

CLASS_NAMES: Final = {
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
_CAVEAT_GLUE: Final = ("SIPDIS", "NOFORN", "SENSITIVE")
_CAVEAT_WORD: Final = re.compile(
    "(" + "|".join(re.escape(s).replace(r"\ ", r"\s+") for s, _ in CAVEAT_SPELLINGS) + r")(?![a-z])"
)
_CAVEAT_RE: Final = re.compile(
    r"(?:(?<![A-Za-z])|" + "|".join(f"(?<={g})" for g in _CAVEAT_GLUE) + ")" + _CAVEAT_WORD.pattern
)
_CAVEAT_CODE: Final = {s: code for s, code in CAVEAT_SPELLINGS}
# Renderings that lower-case the text ("Sipdis", "Noforn" under "S e c r e t section 01
# of 02 kinshasa 000189") keep the caveat lines as lines: a line made only of caveat code
# words, which no prose sentence is, names them in any letter case. Only code words and
# the SENSITIVE BUT UNCLASSIFIED phrase: ordinary words ("Sensitive", "Roger") stay
# upper-case only.
_CAVEAT_CODE_WORDS: Final = (
    "SENSITIVE BUT UNCLASSIFIED",
    "NOFORN",
    "NOCONTRACT",
    "SIPDIS",
    "NODIS",
    "EXDIS",
    "LIMDIS",
    "STADIS",
    "ORCON",
    "PROPIN",
)
_CAVEAT_CODE_WORD: Final = "|".join(w.replace(" ", r"[ \t]+") for w in _CAVEAT_CODE_WORDS)
_CAVEAT_LINE: Final = re.compile(
    rf"(?i)[ \t]*(?:{_CAVEAT_CODE_WORD})(?:(?:[ \t]*[/,][ \t]*|[ \t]+)(?:{_CAVEAT_CODE_WORD}))*[ \t]*"
)
_CAVEAT_LINE_WORD: Final = re.compile(rf"(?i){_CAVEAT_CODE_WORD}")
# What a line's lower-cased text holds when it holds a code word: looked for with str.find.
_CAVEAT_LINE_PROBES: Final = tuple(w.split()[0].lower() for w in _CAVEAT_CODE_WORDS)


def find_caveats(zone: str) -> list[str]:
    """The caveats that ``_CAVEAT_RE.finditer(zone)`` finds and those of the lines made
    only of caveat code words in lower or mixed case (see _CAVEAT_CODE_WORDS), in order."""
    found = _find_caveats_upper(zone)
    # Upper-case lines were read above: only a zone with a lower-case letter can hold one
    # more (zone.isupper() is one C pass, and true for nearly every raw telegram).
    if zone and not zone.isupper():
        extra = _caveat_lines(zone, {code for _, code in found})
        if extra:
            found = sorted(found + extra)
    return [code for _, code in found]


def _caveat_lines(zone: str, have: set[str]) -> list[tuple[int, str]]:
    """(offset, code) of the caveats not in ``have`` that lines made only of caveat code
    words, in lower or mixed case ("Sipdis", "Noforn", "Nodis / Sipdis"), name. Only the
    lines where the lower-cased zone holds a code word are tried, each once, whole."""
    low = zone.lower()
    out: list[tuple[int, str]] = []
    tried: set[int] = set()
    for probe in _CAVEAT_LINE_PROBES:
        j = low.find(probe)
        while j >= 0:
            start = low.rfind("\n", 0, j) + 1
            end = low.find("\n", j)
            end = len(low) if end < 0 else end
            if start not in tried:
                tried.add(start)
                if _CAVEAT_LINE.fullmatch(zone, start, end):
                    for w in _CAVEAT_LINE_WORD.finditer(zone, start, end):
                        code = _CAVEAT_CODE[scan.squash_spaces(w[0].upper())]
                        if code not in have:
                            have.add(code)
                            out.append((w.start(), code))
            j = low.find(probe, end)
    return out


def _find_caveats_upper(zone: str) -> list[tuple[int, str]]:
    """(offset, code) of the first match of each code of ``_CAVEAT_RE.finditer(zone)``."""
    out: list[tuple[int, str]] = []
    seen: set[str] = set()
    # Its lookbehinds, tried at every position, make _CAVEAT_RE slow to search: search
    # for the spellings alone (the engine jumps to their first letters) and check what
    # stands before each here.
    m = _CAVEAT_WORD.search(zone)
    while m:
        i = m.start()
        if (
            i
            and zone[i - 1].isascii()
            and zone[i - 1].isalpha()
            and not zone.endswith(_CAVEAT_GLUE, 0, i)
        ):
            m = _CAVEAT_WORD.search(zone, i + 1)
            continue
        code = _CAVEAT_CODE[scan.squash_spaces(m[1])]
        if code not in seen:
            seen.add(code)
            out.append((i, code))
        m = _CAVEAT_WORD.search(zone, m.end())
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
_ORIGIN_SERIAL: Final = re.compile(r"([A-Z][A-Z.'\-]*(?: [A-Z][A-Z.'\-]*){0,4}) ?(\d{2,7})(?!\d)")
_SECTION: Final = re.compile(r"S?E?C?TION (\d{1,2}) OF ?(\d{1,2})")
_CLASS_WORD: Final = re.compile(
    r"(?:TOP ?SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED|UNCLAS|LIMITED ?OFFICIAL ?USE|"
    r"ECRET|ONFIDENTIAL|CONFIDENTIA|NCLASSIFIED|NCLAS)(?!ARY|ARIES|ARIAT|ITY|SIF)"
)


_SPACED: Final = re.compile(r"\b(?:[A-Z]{1,3} )+(?:[A-Z]{1,3})\b(?! ?\d)")


def _squeeze_letters(s: str) -> str:
    """Join letter-spaced words: 'C O N F I D E N T I A L SECTION' -> 'CONFIDENTIAL SECTION'."""
    return _SPACED.sub(lambda m: m[0].replace(" ", "") if _looks_spaced(m[0]) else m[0], s)


def _looks_spaced(s: str) -> bool:
    parts = s.split(" ")
    return len(parts) >= 3 and sum(len(p) == 1 for p in parts) >= len(parts) - 1


def find_banner(text: str, defects: list[Defect]) -> Banner | None:
    """Find the classification banner among the first lines of the telegram text.

    Archive pages sometimes put other class lines first (``UNCLASSIFIED//FOR OFFICIAL
    USE ONLY``, a partial extract's ``CONFIDENTIAL PTQ1859``): a line naming a known post
    and a serial wins over one that does not.
    """
    candidates: list[Banner] = []
    for offset, raw in _first_lines(text, 81):
        line = raw.strip()
        if line:
            b = _banner_line(line)
            if b:
                b.start = offset + raw.find(line[:1])
            else:
                b = _glued_banner(raw, offset)
            if b:
                b.end = b.start + b.end
                candidates.append(b)
                if b.serial and _known(b.origin_text):
                    break
    if not candidates:
        return None
    best = next((b for b in candidates if b.serial and _known(b.origin_text)), None) or next(
        (b for b in candidates if b.serial), candidates[0]
    )
    if best.damaged:
        defects.append(Defect("banner", "damaged banner repaired"))
    return best


def _glued_banner(raw: str, offset: int) -> Banner | None:
    """A banner glued to the header's last line after a field separator of a dump:
    a tab ("RUEHTRO/AMEMBASSY TRIPOLI 0005<tab>S E C R E T SECTION 01 OF 02 BERN 000351")
    or the end of a quoted cables.csv field, the header's, and the comma before the body's
    ('TO AMEMBASSY BUENOS AIRES 6649",S E C R E T STATE 049854'). The telegram text
    starts after the separator; ``b.start`` is set, ``b.end`` is relative to it."""
    cuts: list[tuple[int, bool]] = []
    if "\t" in raw:
        cuts.append((raw.rfind("\t") + 1, False))
    i = raw.find('",')
    while i >= 0:
        # (A quotation in prose may end with '",' too: there, only a whole banner, with
        # its origin and serial, is taken.)
        cuts.append((i + 2, True))
        i = raw.find('",', i + 2)
    for cut, need_serial in cuts:
        part = raw[cut:].strip()
        b = _banner_line(part) if part else None
        if b and (b.serial or not need_serial):
            b.start = offset + raw.find(part[:1], cut)
            return b
    return None


def _first_lines(text: str, limit: int) -> Iterator[tuple[int, str]]:
    """(offset, line) of the first ``limit`` lines, without splitting the whole text."""
    start = 0
    for _ in range(limit):
        end = text.find("\n", start)
        if end < 0:
            yield start, text[start:]
            return
        yield start, text[start:end]
        start = end + 1


_NOT_LETTERS: Final = re.compile(r"[^A-Z]")
_LINE_PREFIX: Final = re.compile(r"^(?:ID:\s*\d+\s*)?(?:Cable dated:\s*[\dT:\-]{19})?")
# Leading debris seen in archive pages: quotes, brackets, dots, stray digits.
_LEAD: Final = re.compile(r"^[\s\"'>\].,]*(?:ID:\s*\d+\s*)?(?:CABLE DATED:\s*[\dT:\-]{19})?\d{0,6}")
_CLASS_STUB: Final = re.compile(r"^([A-Z]{0,3})(ECRET|ONFIDENTIAL|NCLAS)")
_DIGIT_BEFORE_ORIGIN: Final = re.compile(r"^(\d)(?=[A-Z])")
_CAVEATS_THEN_ORIGIN: Final = re.compile(
    r"((?:[A-Z/]+ ){1,3}?)([A-Z][A-Z.'\-]*(?: [A-Z][A-Z.'\-]*){0,4}) ?(\d{2,7})(?!\d)"
)
_SECTION_LEFT: Final = re.compile(
    r"^(?:SECTION|SCTION|ECTION)\s*"
)  # "SECTION" left before the origin
_EFTO: Final = re.compile(r"E ?F ?T ?O")


@lru_cache(maxsize=4096)
def _known(origin_text: str) -> bool:
    """Whether the banner's origin ("SAN JOSE") is a known post (a reference look-up)."""
    code = _NOT_LETTERS.sub("", origin_text.upper())
    return code in reference.known_origins() or bool(reference.canonical_origin(code))


def _banner_line(line: str) -> Banner | None:
    first = _LINE_PREFIX.sub("", line.lstrip(" \"'>].,"))
    word = first.split(" ", 1)[0]
    # Prose ("Secretary Rice...") is not a banner: the first word is upper case or a
    # letter-spaced one ("S e c r e t state 0123" exists).
    if not word or not (word.isupper() or len(word) == 1 or word[:1].isdigit()):
        return None
    up = line.upper()
    lead = _LEAD.match(up)
    pos = lead.end() if lead else 0
    head = up[pos : pos + 120]
    # Every class word read below holds one of these once its spaces are gone: a line
    # with none of them is no banner, and need not be squeezed.
    unspaced = head.replace(" ", "")
    if not (
        "ECRET" in unspaced
        or "ONFIDENTIA" in unspaced
        or "NCLAS" in unspaced
        or "LIMITED" in unspaced
    ):
        return None
    squeezed = _squeeze_letters(head)
    m = _CLASS_WORD.match(squeezed.replace("SS ECRET", "SECRET"))
    cw = None
    if m:
        cw = m[0]
    else:
        m2 = _CLASS_STUB.match(squeezed.replace(" ", ""))
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
    b.damaged = word not in {
        "TOPSECRET",
        "SECRET",
        "CONFIDENTIAL",
        "UNCLASSIFIED",
        "UNCLAS",
        "LIMITEDOFFICIALUSE",
    }
    # Find where the class word ends in the squeezed head, then read the rest.
    rest = squeezed[squeezed.find(cw[:3]) + len(cw) :] if cw[:3] in squeezed else squeezed
    rest = rest.lstrip(" /")
    sm = _SECTION.search(rest[:40])
    tail = rest
    if sm:
        b.sections = int(sm[2])
        pre = rest[: sm.start()]
        tail = rest[sm.end() :]
        tail = _DIGIT_BEFORE_ORIGIN.sub("", tail)  # "OF 03QRIPOLI"
    else:
        pre = ""
    tail = tail.lstrip()
    om = _ORIGIN_SERIAL.match(tail)
    if not om:
        # Caveats may stand between the class and the origin: S E C R E T NOFORN STATE 1234
        om2 = _CAVEATS_THEN_ORIGIN.match(tail)
        if om2 and _CAVEAT_RE.search(om2[1]):
            pre += " " + om2[1]
            origin, serial, end_rest = om2[2], om2[3], tail[om2.end() :]
        else:
            origin, serial, end_rest = "", "", tail
    else:
        origin, serial, end_rest = om[1], om[2], tail[om.end() :]
    b.origin_text = _SECTION_LEFT.sub("", origin).strip()
    b.serial = serial.lstrip("0") or ("0" if serial else "")
    if sm is None and not serial:
        b.sections = None
    elif sm is None:
        b.sections = 1
    # Caveats written on the banner line itself ("S E C R E T NOFORN", "//NOFORN").
    for code in find_caveats(pre + " " + end_rest[:40]):
        if code not in b.caveats:
            b.caveats.append(code)
    if _EFTO.search(pre):
        b.caveats.append("EFTO") if "EFTO" not in b.caveats else None
    b.end = len(line) if not serial else min(len(line), pos + _approx_end(line[pos:], serial))
    return b


def _approx_end(s: str, serial: str) -> int:
    i = s.find(serial)
    return i + len(serial) if i >= 0 else len(s)


# -- the fields after the banner -------------------------------------------------------

_EO: Final = re.compile(
    r"E\s?\.?\s?O\.?\s*(\d{5})\s*[:;.,]?\s*(?:AS AMENDED\s*:?\s*)?"
    r"(?:(?:DECL(?:ASSIFY)?(?:\s+ON)?|DECLAS)\s*[:;.]?\s*)?"
    r"(?P<decl>[^\n]*?)(?=\s*(?:TAGS|SUBJECT|SUBJ\b|$|\n))",
    re.I,
)
_EO_NA: Final = re.compile(r"E\s?\.?\s?O\.?\s*(\d{5})\s*:?\s*N\s?/\s?A", re.I)
# Where _EO and _EO_NA can start, in the folded text. They open with a letter in any case,
# which the regex engine tries at every position; this opens with a literal it jumps to.
_EO_WHERE: Final = re.compile(r"e\s?\.?\s?o\.?\s*\d{5}")
_TAGS: Final = re.compile(r"\bTAGS\s*[:;.]?\s*(?P<tags>[^\n]*?)(?=\s*(?:SUBJECT|SUBJ\b|\n|$))")
_TAGS_LOOSE: Final = re.compile(
    r"(?im)^[ \t]*(?:TAGS?|TAS|TGS|TABS|TAGES)[ \t]*[:;][ \t]*(?P<tags>[^\n]*?)"
    r"(?=\s*(?:SUBJECT|SUBJ\b|\n|$))"
)
# A line of nothing but TAGS codes (a wrapped TAGS field's second line).
_TAG_LINE: Final = re.compile(
    r"[A-Z0-9]{2,8}(?:-[A-Z0-9]{1,4})?(?:\s*[,;]?\s*[A-Z0-9]{2,8}(?:-[A-Z0-9]{1,4})?)*"
)
_SUBJECT: Final = re.compile(r"\bSUBJ(?:ECT)?\s*[:;.]\s*", re.I)
# The keyword without its colon ("SUBJECT ROMANIA: ..."), or cut to "UBJECT:", at a line start.
_SUBJECT_LOOSE: Final = re.compile(r"(?m)^[ \t]*(?:SUBJECT[ \t]+(?=[A-Z(\"'])|UBJECT\s*:\s*)")
_SUBJECT_END: Final = re.compile(
    r"\n\s*\n|\bREFS?\s*[:;.]|\bREFTELS?\s*[:;.]|\bREFERENCES?\s*[:;]|"
    r"\n[ \t]*(?-i:REF(?:S|TELS?)?)[ \t]+(?=[A-Z(\[])|"
    r"(?<![A-Za-z])CLASSIFIED\s+BY\b|(?-i:Classified\s+By\b)|¶|"
    r"\n\s*(?:1\s?)?1\s?\.[\s(]|\n\s*\(?[A-Z]\)\s|\bSUMMARY\s*:|"
    r"\n[ \t]*-{3,}|\bThis\s+is\s+an\s+action\s+request",
    re.I,
)
# Where an alternative of _SUBJECT_END can start, in the folded text.
_SUBJECT_END_WHERE: Final = re.compile(r"\n|ref|classified|¶|summary|this")
_LINE_MARK: Final = re.compile(r"[ \t]*\\[ \t]*(?=\n|$)")
_REF: Final = re.compile(
    r"(?:^|\n|\s)(REFS?|REFTELS?|REFERENCES?|REF\s+[A-Z]|REFTEL)\s*[:;.]?\s", re.I
)
# (Glued to the word before it only in title case: "...GOVERNMENTClassified By:".)
_CLASSIFIED_BY: Final = re.compile(
    r"(?:(?<![A-Za-z])CLASSIFIED\s+BY|(?-i:Classified\s+By))\s*:?\s*", re.I
)
# The reasons: "Reasons: 1.4 (b, d)", "1.5 (B) AND (D)". Written as matched from the "1" on:
# the words and colon that may stand before it ("REASONS?|REASON FOR CLASSIFICATION",
# then \s*:?\s*) hold no "1", so they change no group and no match end, and a pattern
# opening with the literal 1 is not tried at every position.
_REASONS: Final = re.compile(
    r"(1\s?\.\s?[456])\s*(\(?\s*[A-H](?:\s*\)?\s*(?:,|AND|&|/|\+|OR)?\s*\(?\s*[A-H]\b)*\s*\)?)",
    re.I,
)
_TITLES: Final = [
    "Charge d'Affaires a.i.",
    "Charge d'Affaires, a.i.",
    "Charge d'Affaires",
    "Charge D'Affaires",
    "Deputy Chief of Mission",
    "Acting Deputy Chief of Mission",
    "Ambassador",
    "Ambassador-at-Large",
    "Consul General",
    "Acting Consul General",
    "Principal Officer",
    "Political Counselor",
    "Political-Military Counselor",
    "Acting Political Counselor",
    "Economic Counselor",
    "Political/Economic Counselor",
    "Political and Economic Counselor",
    "Pol/Econ Counselor",
    "Acting DCM",
    "A/DCM",
    "DCM",
    "CDA",
    "Charge",
    "PolCouns",
    "Polcouns",
    "POLCOUNS",
    "EconCouns",
    "Econ Counselor",
    "Pol Counselor",
    "Political Officer",
    "Political Chief",
    "Deputy Secretary",
    "Secretary",
    "Assistant Secretary",
    "Under Secretary",
    "Director",
    "Deputy Director",
    "Office Director",
    "Acting Director",
    "Counselor",
    "Minister Counselor",
    "Chief of Mission",
    "Consul",
    "Regional Security Officer",
    "RSO",
    "PolOff",
    "Poloff",
    "POLOFF",
    "Econoff",
]
_TITLE_RE: Final = re.compile(
    r"^(?:(?:Acting|Deputy|Assistant|Principal)\s+)?("
    + "|".join(re.escape(t) for t in sorted(_TITLES, key=len, reverse=True))
    + r")\b\.?\s*",
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
    # The fields are searched for before body_start, or in the first 3000 characters.
    folded = scan.fold(text[: max(body_start, 3000)])
    last = 0

    # (rx.search(zone) is rx.search(text, 0, body_start): the patterns look nowhere behind.)
    m = scan.search_where(_EO_NA, text, folded, _EO_WHERE, 0, body_start) or scan.search_where(
        _EO, text, folded, _EO_WHERE, 0, body_start
    )
    if m:
        p.eo = m[1]
        decl = m.groupdict().get("decl")
        p.declassify_on = _declassify(decl.strip(" .:;,") if decl else "N/A", defects)
        last = max(last, m.end())
    m = _search_tags(text, 0, body_start)
    if m:
        tags, end = _tags_text(text, m, body_start)
        p.tags = split_tags(tags)
        last = max(last, end)
    # Caveats: anywhere before the E.O./TAGS line, or between banner and subject.
    head = min(len(text), 3000)
    first_field = min(
        [
            x
            for x in (
                _pos(scan.search_where(_EO, text, folded, _EO_WHERE, 0, head)),
                _pos(_search_tags(text, 0, head)),
                _pos(_search_subject(text, folded, head)),
                _para_start(text, head),
            )
            if x >= 0
        ]
        or [min(head, 600)]
    )
    p.caveats = find_caveats(text[:first_field])
    m = _search_subject(text, folded, body_start)
    if m:
        # Searched in the text from the subject on, not in a copy of the rest: the \b and
        # the lookbehind of the pattern see the same there (the ":" or space before it).
        e = _search_subject_end(text, folded, m.end())
        end = e.start() - m.end() if e else min(len(text) - m.end(), 300)
        raw_subject = text[m.end() : m.end() + end]
        if "\\" in raw_subject:  # cablegate's line marks: "LIBYA \⏎SEEKS"
            raw_subject = _LINE_MARK.sub(" ", raw_subject)
        subject = scan.squash_spaces(raw_subject).strip(" .")
        mm = _SUBJECT_MARKING.match(subject)
        if mm and reference.parse_marking(mm[1])[0] >= 0:
            p.subject_marking = mm[1]
            subject = subject[mm.end() :]
        p.subject = subject
        last = max(last, m.end() + end)
    m = _search_ref(text, folded, max(0, last - 1), body_start)
    if m:
        ref_end = scan.search_ci(_CLASSIFIED_BY, text, folded, "classified", m.end(), body_start)
        block = zone[m.end() : ref_end.start() if ref_end else len(zone)]
        p.references = parse_references(block, cable_year, defects)
    seg_start = _classified_by_end(text, folded, body_start)
    if seg_start >= 0:
        seg = text[seg_start : seg_start + 300]
        stop = _SEGMENT_END.search(seg)
        seg = seg[: stop.start()] if stop else seg
        p.classified_by, p.reasons = parse_classified_by(seg, defects)
    p.end = _heading_before(text, body_start)
    return p


def _search_subject_end(text: str, folded: str | None, pos: int) -> re.Match[str] | None:
    """``_SUBJECT_END.search(text, pos)``. Its many alternatives, case-insensitive, are
    tried at every position by the regex engine; here only where one of them can start
    in the folded text, then past the folded part as usual."""
    if folded is not None:
        c = _SUBJECT_END_WHERE.search(folded, pos)
        while c:
            m = _SUBJECT_END.match(text, c.start())
            if m:
                return m
            c = _SUBJECT_END_WHERE.search(folded, c.start() + 1)
        # (Again from where a word cut by the end of the folded part may start.)
        pos = max(pos, len(folded) - len("classified") + 1)
    return _SUBJECT_END.search(text, pos)


def _search_subject(text: str, folded: str | None, endpos: int) -> re.Match[str] | None:
    """The SUBJECT keyword; else the keyword without its colon or cut to ``UBJECT:``."""
    m = scan.search_ci(_SUBJECT, text, folded, "subj", 0, endpos)
    return m or _SUBJECT_LOOSE.search(text, 0, endpos)


def _search_tags(text: str, pos: int, endpos: int) -> re.Match[str] | None:
    """The TAGS field: the first TAGS keyword that tags follow. The word in prose ("C O R
    R E C T E D COPY (text para 7 AND TAGS)") carries none; it is taken only when no
    later one does. Else a line opening with the keyword in another case or misspelt
    (``Tags:``, ``TAG:``, ``TAS:``, ``TGS:``, ``TABS:``, ``TAGES:``), with its colon."""
    first = m = scan.search(_TAGS, text, "TAGS", pos, endpos)
    while m and next(_tag_parts(m["tags"]), None) is None:
        m = scan.search(_TAGS, text, "TAGS", m.start() + 1, endpos)
    if m or first:
        return m or first
    return _TAGS_LOOSE.search(text, pos, endpos)


def _tags_text(text: str, m: re.Match[str], endpos: int) -> tuple[str, int]:
    """The TAGS field's text and where it ends: its line, and the next line when that
    holds only more codes (a field wrapped: "TAGS: PREL PGOV KDEM⏎ECON AF"); in upper
    case when written all in lower case ("tags: pgov prel")."""
    tags, end = m["tags"], m.end()
    nl = text.find("\n", end, endpos)
    if nl >= 0 and not text[end:nl].strip():
        nxt_end = text.find("\n", nl + 1, endpos)
        nxt = text[nl + 1 : nxt_end if nxt_end >= 0 else endpos].strip()
        if nxt and _TAG_LINE.fullmatch(nxt) and not nxt.startswith(("SUBJ", "REF", "E.O")):
            tags = f"{tags} {nxt}" if "," not in tags else f"{tags}, {nxt}"
            end = nl + 1 + len(text[nl + 1 :].split("\n", 1)[0])
    if tags.islower():
        tags = tags.upper()
    return tags, end


def _search_ref(text: str, folded: str | None, pos: int, endpos: int) -> re.Match[str] | None:
    """``_REF.search(text, pos, endpos)``. A match starts with the white space before the
    word REF (or at the start of the text, before it): only there is _REF tried, instead
    of at every position."""
    if folded is None:
        return _REF.search(text, pos, endpos)
    j = scan.find(folded, "ref", pos, endpos)
    while j >= 0:
        start = j - 1 if j else 0
        if start >= pos:
            m = _REF.match(text, start, endpos)
            if m:
                return m
        j = scan.find(folded, "ref", j + 1, endpos)
    return None


def _pos(m: re.Match[str] | None) -> int:
    return m.start() if m else -1


def _classified_by_end(text: str, folded: str | None, body_start: int) -> int:
    """Where the Classified By text starts: in the preamble, else early in the body."""
    m = scan.search_ci(_CLASSIFIED_BY, text, folded, "classified", 0, body_start)
    if m:
        return m.end()
    after = text[body_start : body_start + 600]  # a slice: the lookbehind must not see before it
    m = scan.search_ci(_CLASSIFIED_BY, after, scan.fold(after), "classified")
    return body_start + m.end() if m else -1


_PARA_START_REST: Final = r"\s*(?:¶\s*)?\d{1,3}\s?\.\s*(?:\(\s*[A-Z/ ]{1,12}\))?\s*\S"
_PARA_START: Final = re.compile(r"(?m)^" + _PARA_START_REST)
# The same after a line break: opening with a literal, it is searched many times faster.
_PARA_START_NL: Final = re.compile(r"\n" + _PARA_START_REST)
_BLANK_LINE: Final = re.compile(r"\n\s*\n")
_SEGMENT_END: Final = re.compile(r"\n\s*\n|¶|\n\s*\d\.\s")
_SUBJECT_MARKING: Final = re.compile(r"^\(([A-Z/]{1,8})\)\s*")


def _para_start(text: str, endpos: int) -> int:
    """Where ``_PARA_START.search(text, 0, endpos)`` matches, or -1."""
    if _PARA_START.match(text, 0, endpos):
        return 0
    m = _PARA_START_NL.search(text, 0, endpos)
    return m.start() + 1 if m else -1


_SECTION_WORD: Final = re.compile(
    r"(?i)(?:summary(?: and (?:comment|action request))?|background|introduction|overview)\W*"
)
_RULE_LINE: Final = re.compile(r"[-=_]{3,}[-=_ ]*")


def _heading_before(text: str, body_start: int) -> int:
    """Give the body back a heading that stands right above paragraph 1.

    ``Summary`` over a dashed rule belongs to paragraph 1, not to the preamble. Only a
    section word, or a short heading line over a rule, moves: page headers and stray class
    lines ("KABUL 00002862 001.2 OF 005", "CONFIDENTIAL") stay where they are.
    """
    # The last line before body_start (white space at its end cut), or the line above it
    # when it is a rule; found from the end, without splitting the whole preamble.
    pre = text[:body_start].rstrip()
    start = pre.rfind("\n") + 1
    cand = pre[start:].strip()
    ruled = bool(_RULE_LINE.fullmatch(cand))
    if ruled:
        if not start:
            return body_start
        end = start - 1
        start = pre.rfind("\n", 0, end) + 1
        cand = pre[start:end].strip()
    if cand[:3] == "---" and cand[-3:] == "---":  # "------- SUMMARY -------"
        cand = cand.strip("- ")
        ruled = True
    if not cand or len(cand) > 60 or _has_digit(cand):
        return body_start
    if cand.upper() in ("UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "NOFORN", "SIPDIS", "SENSITIVE"):
        return body_start
    if cand.endswith((".", ",", ";", ":")) or ":" in cand:
        return body_start
    if not (_SECTION_WORD.fullmatch(cand) or (ruled and len(cand.split()) <= 8)):
        return body_start
    return start


_ASCII_DIGIT: Final = re.compile(r"[0-9]")


def _has_digit(s: str) -> bool:
    """``any(ch.isdigit() for ch in s)``; in ASCII text the digits are 0-9."""
    if s.isascii():
        return _ASCII_DIGIT.search(s) is not None
    return any(ch.isdigit() for ch in s)


def _first_paragraph(text: str) -> int:
    """Where the numbered body starts; else after the Classified By or REF block."""
    start = _para_start(text, len(text))
    if start >= 0:
        return start
    folded = scan.fold(text)
    cb = scan.search_ci(_CLASSIFIED_BY, text, folded, "classified")
    if cb:
        end = _BLANK_LINE.search(text, cb.end())
        if end:
            return end.end()
    # Unnumbered cable: the body starts after the last preamble field.
    last = 0
    head = min(len(text), 3000)
    for mm in (
        scan.search_where(_EO, text, folded, _EO_WHERE, 0, head),
        _search_tags(text, 0, head),
        _search_subject(text, folded, head),
        scan.search_ci(_CLASSIFIED_BY, text, folded, "classified", 0, head),
        _search_ref(text, folded, 0, head),
    ):
        if mm:
            blank = _BLANK_LINE.search(text, mm.end())
            if blank:
                last = max(last, blank.end())
            else:  # no blank line after the field: it runs to the end of its line
                nl = text.find("\n", mm.end())
                last = max(last, len(text) if nl < 0 else nl + 1)
    return last


_TAG_SEP: Final = re.compile(r"[,;]\s*|\s+")
_TAG_SEP_COMMAS: Final = re.compile(r"\s*[,;]\s*")
_TAG_CODE: Final = re.compile(r"[A-Z0-9]{2,8}(?:-[A-Z0-9]{1,4})?")


def split_tags(s: str) -> list[str]:
    out: list[str] = []
    for part in _tag_parts(s):
        if part not in out:
            out.append(part)
    return out


def _tag_parts(s: str) -> Iterator[str]:
    """The tags of a TAGS field, repeats included. In a comma-separated field a person
    tag keeps its comma ("ZOELLICK, ROBERT"): an unknown word joined with the next part
    when together they read as a person's name."""
    s = s.strip().strip(".")
    commas = "," in s
    parts = _TAG_SEP_COMMAS.split(s) if commas else _TAG_SEP.split(s)
    i = 0
    while i < len(parts):
        part = parts[i].strip(" .")
        i += 1
        if not part or len(part) > 40:
            continue
        if not commas and not _TAG_CODE.fullmatch(part):
            continue
        if (
            commas
            and i < len(parts)
            and part.isalpha()
            and reference.tag_info(part)[1] == "unknown"
        ):
            joined = f"{part}, {parts[i].strip(' .')}"
            if reference.tag_info(joined)[1] == "person":
                part = joined
                i += 1
        yield part


_DATE_MDY: Final = re.compile(r"^(\d{1,2})\s?/\s?(\d{1,2})\s?/\s?(\d{2,4})$")
_DATE_YMD: Final = re.compile(r"^(\d{4})\s?[/-]\s?(\d{1,2})\s?[/-]\s?(\d{1,2})$")


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
    return scan.squash_spaces(d.upper())[:60]


# -- references ------------------------------------------------------------------------

# "A. 08 BAKU 123", "STATE 12345 (09)". Written for speed on long upper-case blocks, with
# the matches of the plain form:
# - it is tried only at a digit or at a letter after a non-letter: a match starting
#   inside a word would also match one letter earlier, where the search finds it first;
# - the origin's quantifiers are possessive: giving back a letter or a word of it can
#   never be followed by the white space and the serial that must come next.
_REF_ITEM: Final = re.compile(
    r"(?:(?<![A-Z])|(?=\d)|(?=\[))"
    r"(?:(?<![A-Z])(?:REF\s+(?P<label3>[A-Z])\s+(?=[A-Z\d(])|(?:REF\s+)?(?:\[(?P<label2>[A-Z])\]|"
    r"(?P<label>[A-Z])\s?(?:[.)]|\s-))\s*))?"
    r"(?:\(?(?P<y1>\d{2,4})\)?(?:\s+|-))?(?P<origin>[A-Z][A-Z]++(?:\s[A-Z]{2,}+){0,3}+)(?:\s+|-)"
    r"(?P<serial>\d{1,7})"
    # the year after the serial: "(08)", "4525-91", "07718 99" (at the end of the item)
    r"(?:\s*\((?P<y2>\d{2,4})\)|-(?P<y3>\d{2})\b|\s(?P<y4>\d{2})(?=\s*(?:$|[;,)]|\.(?:\s|$)|AND\b)))?",
)
# More serials of the same station and year: "STATE 41252 AND 44603", "STATE 123, 456".
_MORE_SERIALS: Final = re.compile(r"\s*(?:,|AND|&)\s*(\d{3,7})\b(?!\s*\(?\d)(?!\s*[A-Z]{3})")
# A lettered item of a REF block: "A. ", "B) ", "[C] ", "D - ".
_REF_LABEL: Final = re.compile(r"(?:^|(?<=\s))(?:\[([A-Z])\]|([A-Z])\s?(?:[.)]|\s-))\s")
_REF_KINDS: Final = (
    ("EMAIL", "email"),
    ("E-MAIL", "email"),
    ("MEMO", "memo"),
    ("TELCON", "telcon"),
    ("TELECON", "telcon"),
    ("REPORT", "report"),
    ("LETTER", "letter"),
    ("FAX", "fax"),
    ("MEETING", "meeting"),
)
_REF_ID: Final = re.compile(r"\b(\d{2})([A-Z]{3,}[A-Z]*?)(\d{1,7})\b")


def parse_references(block: str, cable_year: int | None, defects: list[Defect]) -> list[Reference]:
    out: list[Reference] = []
    text = scan.squash_spaces(block).strip()
    if not text:
        return out
    up = text.upper()
    spans: list[tuple[int, int]] = []
    for m in _REF_ITEM.finditer(up):
        code = _ref_origin(m["origin"])
        if not code:
            continue
        year = m["y1"] or m["y2"] or m["y3"] or (m["y4"] if int(m["serial"]) >= 100 else "")
        inferred = False
        if year:
            yy: int | None = int(year) % 100
        elif cable_year:
            yy = cable_year % 100
            inferred = True
        else:
            yy = None
        label = m["label"] or m["label2"] or m["label3"] or ""
        rid = f"{yy:02d}{code}{int(m['serial'])}" if yy is not None else ""
        out.append(
            Reference(
                id=rid, text=text[m.start() : m.end()].strip(), year_inferred=inferred,
                label=label, kind="cable",
            )
        )  # fmt: skip
        end = m.end()
        more = _MORE_SERIALS.match(up, end)
        while more and yy is not None:
            out.append(
                Reference(
                    id=f"{yy:02d}{code}{int(more[1])}", text=f"{code} {more[1]}",
                    year_inferred=inferred, label=label, kind="cable",
                )
            )  # fmt: skip
            end = more.end()
            more = _MORE_SERIALS.match(up, end)
        spans.append((m.start(), end))
    out.extend(_other_references(text, spans))
    if any(r.year_inferred for r in out):
        defects.append(
            Defect("reference-year", "a reference without a year: year taken from the cable")
        )
    return out


def _other_references(text: str, spans: list[tuple[int, int]]) -> list[Reference]:
    """What the REF block cites besides cables (an e-mail, a memo, a telcon, a report): the
    lettered items that hold no cable, or the whole block when it holds none."""
    labels = list(_REF_LABEL.finditer(text))
    items = (
        [(m[1] or m[2] or "", m.end(), labels[i + 1].start() if i + 1 < len(labels) else len(text))
         for i, m in enumerate(labels)]
        if len(labels) >= 2
        else [("", 0, len(text))]
    )  # fmt: skip
    out: list[Reference] = []
    for label, start, end in items:
        if any(a < end and b > start for a, b in spans):
            continue
        item = text[start:end].strip(" ;,")
        if not item:
            continue
        up = item.upper()
        kind = next((k for word, k in _REF_KINDS if word in up), "document")
        out.append(Reference(text=item[:300], label=label, kind=kind))
    return out


@lru_cache(maxsize=4096)
def _ref_origin(origin_text: str) -> str:
    """The origin code of a reference's origin words (a reference look-up), '' if none."""
    words = origin_text.split()
    # Strip words that are not part of a post name ("A. STATE", "REFTEL STATE").
    while (
        words
        and reference.origin_code(" ".join(words)) == ""
        and "".join(words) not in reference.known_origins()
        and len(words) > 1
    ):
        words = words[1:]
    code = "".join(words)
    return code if code in reference.known_origins() else reference.canonical_origin(code)


_OFFICIAL_END: Final = re.compile(
    r"[,.;]?\s*(?:\bFOR\s+REASONS?\b|\bREASONS?\b|\bFOR\s+REASON\b|\b1\s?\.\s?[456]\b|"
    r"\bE\.?O\.?\s*\d|\bUNDER\b|\bPER\b)",
    re.I,
)
_TRAILING_FOR: Final = re.compile(r"\s*\bfor\b\s*$", re.I)
_WHITESPACE: Final = re.compile(r"\s")
_REASON_LETTER: Final = re.compile(r"(?<![A-Z])([A-H])(?![A-Z])")


def parse_classified_by(seg: str, defects: list[Defect]) -> tuple[Official | None, list[str]]:
    s = scan.squash_spaces(seg).strip()
    reasons = parse_reasons(s)
    # The official is what stands before "for reasons"/"Reasons"/"1.4".
    cut = _OFFICIAL_END.search(s)
    who = (s[: cut.start()] if cut else s).strip(" ,.;:")
    who = _TRAILING_FOR.sub("", who)
    if not who:
        return None, reasons
    name, title = who, ""
    tm = _TITLE_RE.match(who)
    if tm:
        title = who[: tm.end()].strip(" ,.")
        name = who[tm.end() :].strip(" ,.")
    elif "," in who:
        name, title = (x.strip(" .") for x in who.split(",", 1))
    if not name and title:
        name, title = title, ""
    return Official(name=name, title=title), reasons


def parse_reasons(s: str) -> list[str]:
    out: list[str] = []
    for m in _REASONS.finditer(s):
        sec = _WHITESPACE.sub("", m[1])
        for letter in _REASON_LETTER.findall(m[2].upper()):
            r = f"{sec}({letter.lower()})"
            if r not in out:
                out.append(r)
    return out
