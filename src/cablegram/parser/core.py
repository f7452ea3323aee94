"""Orchestration: rendering -> telegram text -> header, banner, preamble, body -> Cable.

Parsing is lenient in the manner of ``email.parser``: whatever cannot be read becomes a
``Defect`` on the record, and ``parse`` never raises.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Final

from cablegram import reference
from cablegram.model import ArchiveMeta, Cable, Defect, Origin, Reference, Tag
from cablegram.parser import body as body_mod
from cablegram.parser import scan
from cablegram.parser.decode import decode
from cablegram.parser.header import Header, find_dtg, parse_header, year4
from cablegram.parser.pages import strip_page_headers
from cablegram.parser.preamble import (
    CAVEAT_SPELLINGS,
    find_banner,
    parse_classified_by,
    parse_preamble,
    parse_references,
)
from cablegram.parser.render import Prepared, detect, prepare
from cablegram.parser.title import display_title

_HEADER_HINT: Final = re.compile(r"(?m)^\s*(?:VZCZC|ZNY |DE R[A-Z]{3,6} |FM |TO |INFO )")
# Without a banner to stop at, prose lines opening with "TO " or "FM " ("TO THE EXTENT
# that...", "FM Lavrov said") are no header: only the machine lines, or an FM line in
# capitals that names a sender, tell one.
_HEADER_HINT_STRONG: Final = re.compile(
    r"(?m)^[ \t]*(?:VZCZC|ZNY [A-Z]{5}|DE R[A-Z]{3,6} ?#|"
    r"FM (?:AMEMBASSY|AMCONSUL|AMCONGEN|SECSTATE|USMISSION|USDEL|USUN|USEU|USNATO|"
    r"[A-Z]{4,7}/)[A-Z /.'\-]*$)"
)
_MEDIA_DATE: Final = re.compile(
    r"^\s*(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{1,2}) "
    r"(January|February|March|April|May|June|July|August|September|October|November|December) "
    r"(\d{4}), (\d{2}):(\d{2})",
    re.M,
)
_CABLE_DATED: Final = re.compile(r"Cable dated:\s*(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})")
_ID: Final = re.compile(r"^(\d{2})([A-Z][A-Z0-9]*?[A-Z])(\d{1,7})$")
# Hyphenated posts (PORT-OF-SPAIN) and junk after the serial (09BAKU433-A, 09BAKU433(A)).
_ID_LOOSE: Final = re.compile(
    r"^(\d{2})-?([A-Z][A-Z0-9\-]*?[A-Z])-?(\d{1,7})(?![0-9])(?:[^0-9].*)?$"
)
_GLUED_MARK: Final = re.compile(r"\(([A-Za-z/ ]{1,14})\)[ \t]+[A-Z\"]")
# "6. (SBU)" after a space: each ". (" (a literal the regex engine jumps to) with one to
# three characters that are not white space before it (the digits, tested below) and a
# space or tab before them. Paragraphs on lines of their own fail the lookbehinds.
_NUMBER_MARK: Final = re.compile(
    r"\. \((?:(?<=[ \t]\S\. \()|(?<=[ \t]\S\S\. \()|(?<=[ \t]\S\S\S\. \())"
)


# The places of _NUMBER_MARK in C, when the build made it.
_NUMBER_MARKS: Final[Callable[[str], list[int]] | None] = scan.native("number_marks")
_SENTENCE_END: Final = ".!?\"')"
_PARA_WORD: Final = re.compile(r"(?i)\b(?:paras?|paragraphs?)\.?[ \t]*$")
_CLASSIFIED_BY_ANY: Final = re.compile(r"(?i)(?<![a-z])classified\s+by\s*:?\s*(.+)")
# The body run on after the Classified By line's reason, on the same line ("...for reason
# 1.4 (b). (C) The wife of ..."): a rendering that lost its line breaks. Only a portion
# marking after the E.O. reason is taken as the body's start (group 1 is the marking).
# The lookahead rejects at once the usual short line: the regex rarely runs further.
_CB_RUNON: Final = re.compile(
    r"(?i)classified(?=[^\n]{100})\s+by\b[^\n]{0,400}?\b1\s?\.\s?[4-6]\s*(?:\(\s*[a-h]\s*\)|[a-h]\b)"
    r"(?:\s*(?:,|and|&|/)\s*(?:\(\s*[a-h]\s*\)|[a-h]\b))*\s*[.;]?[ \t]+"
    r"(?=\(([A-Za-z/ ]{1,14})\)[ \t]+[A-Z\"])"
)
_ARCHIVE_CLASS_SPLIT: Final = re.compile(r"//|/(?=[A-Z]{4})")
_NOT_LETTERS: Final = re.compile(r"[^A-Z]")
_CAVEAT_CODES: Final = dict(CAVEAT_SPELLINGS)
_MAX_INPUT: Final = 20_000_000


def parse(data: str | bytes, *, hint: str | None = None, name: str | None = None) -> Cable:
    """Parse one cable in any rendering. Never raises: problems become ``defects``.
    ``name`` is the file or archive member it came from: a name shaped like an id
    (``09BAKU433.txt``) gives the id of a text that carries none, and is kept as an
    alias when it differs from the id the text gives."""
    defects: list[Defect] = []
    try:
        c = _parse(data, hint, defects)
        if name:
            _name_id(c, name)
        return c
    except Exception as exc:  # noqa: BLE001 - the contract is "never raises"
        return Cable(
            defects=[*defects, Defect("internal", f"parser failed: {type(exc).__name__}: {exc}")]
        )


def _parse(data: str | bytes, hint: str | None, defects: list[Defect]) -> Cable:
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        if not raw or raw.isspace():  # (not raw.strip(), without copying the input)
            defects.append(Defect("empty", "empty input"))
            return Cable(defects=defects)
        text = decode(raw, defects)
    elif isinstance(data, str):
        text = data
    else:
        defects.append(Defect("input", f"cannot parse a {type(data).__name__}"))
        return Cable(defects=defects)
    if not text or text.isspace():
        defects.append(Defect("empty", "empty input"))
        return Cable(defects=defects)
    if len(text) > _MAX_INPUT:
        defects.append(Defect("truncated", f"input of {len(text)} characters cut to {_MAX_INPUT}"))
        text = text[:_MAX_INPUT]
    rendering = detect(text, hint)
    if rendering == "json":
        try:
            cable = Cable.from_dict(json.loads(text))
            cable.rendering = cable.rendering or "json"
            return cable
        except (ValueError, TypeError, AttributeError) as exc:
            defects.append(Defect("json", f"not a cable record: {exc}"))
            rendering = "telegram"
    prep = prepare(text, rendering, defects)
    return build(prep, defects)


def build(prep: Prepared, defects: list[Defect]) -> Cable:
    c = Cable(rendering=prep.rendering, archive=prep.meta)
    text = prep.body
    header_text = prep.header
    banner = find_banner(text, defects)
    if not header_text:
        cut = banner.start if banner else len(text)
        hint = _HEADER_HINT if banner else _HEADER_HINT_STRONG
        if hint.search(text[:cut]):
            header_text, text = text[:cut], text[cut:]
            if banner:
                banner.end -= cut
                banner.start = 0
    c.header = header_text.strip("\n")
    h = parse_header(header_text, defects) if header_text.strip() else None

    # Leading lines some archives add: "Cable dated:...", a media-partner date line.
    extra_date = _leading_date(text)
    tele = text[banner.end :] if banner else text
    tele = strip_page_headers(
        tele, defects, banner.origin_text if banner else "", banner.serial if banner else ""
    )
    c.body = (text[banner.start : banner.end] + tele) if banner else tele

    if h:
        c.transmission_id = h.transmission_id
        c.precedence = h.precedence
        c.dtg = h.dtg
        c.security_line = h.security_line
        c.to, c.info, c.xmt = h.to, h.info, h.xmt
    if not c.dtg:
        # Partial extracts carry the DTG in their header block ("291359Z Nov 00").
        c.dtg, _ = find_dtg(header_text + "\n" + text[:600], defects)
    year = _year(c.dtg, prep.meta, extra_date)

    tele = _split_classified_by_runon(_split_glued_paragraphs(tele))
    pre = parse_preamble(tele, year, defects)
    c.eo, c.declassify_on, c.reasons = pre.eo, pre.declassify_on, pre.reasons
    c.classified_by = pre.classified_by
    c.subject, c.subject_marking = pre.subject, pre.subject_marking
    c.references = pre.references
    c.tags = [Tag(*reference.tag_info(t)) for t in pre.tags]  # (reference.tag, inline)
    body_text = _drop_sipdis_lines(tele[pre.end :])
    b = body_mod.parse_body(body_text, defects)
    c.paragraphs, c.summary, c.comment = b.paragraphs, b.summary, b.comment
    c.signer, c.septels = b.signer, b.septels
    if not c.summary and "umm" in tele[: pre.end].lower():
        c.summary = body_mod.summary_in(tele[: pre.end])  # a summary block before paragraph 1
    if not c.classified_by:
        # A fragment: only a "Classified By:" line.
        m = scan.search_ci(_CLASSIFIED_BY_ANY, text, scan.fold(text), "classified")
        if m:
            c.classified_by, c.reasons = parse_classified_by(m[1], defects)

    _classification(c, banner, pre.caveats, prep.meta, defects)
    _identity(c, banner, h, year, prep.meta, defects)
    if banner:
        c.sections = banner.sections
    if prep.csv_refs:
        _merge_csv_refs(c, prep.csv_refs)
    if prep.meta and not c.subject and prep.meta.title:
        c.subject = prep.meta.title
        defects.append(Defect("subject", "no SUBJECT line; subject taken from the archive title"))
    _check_dates(c, prep.meta, defects)
    c.title = display_title(c.subject)
    if not c.id and not c.paragraphs and not c.subject and not c.references and not c.classified_by:
        defects.append(Defect("no-cable", "no part of a cable was recognised"))
    c.defects = defects
    return c


def _name_id(c: Cable, name: str) -> None:
    stem = name.replace("\\", "/").rsplit("/", 1)[-1].split(".", 1)[0]
    rid = _canonical_id(stem) if stem[:2].isdigit() else ""
    if not rid:
        return
    if not c.id and not any(d.code in ("json", "no-cable") for d in c.defects):
        c.id = rid
        c.defects.append(
            Defect("id-from-name", f"no id in the text: id {rid} from the name {name}")
        )
        if not c.origin.code:
            m = _ID.match(rid)
            c.origin.code = m[2] if m else ""
            c.origin.name = c.origin.name or reference.post_name(c.origin.code)
    elif rid != c.id and rid not in c.aliases:
        c.aliases.append(rid)


def _drop_sipdis_lines(text: str) -> str:
    """Lines that hold only SIPDIS go, the line alone: the blank lines around it stay, so
    that the paragraphs on either side stay apart."""
    j = scan.find(text, "SIPDIS", 0, len(text))
    if j < 0:
        return text
    out: list[str] = []
    done = 0  # text[:done] is settled
    while j >= 0:
        start = text.rfind("\n", 0, j) + 1
        end = text.find("\n", j)
        end = len(text) if end < 0 else end
        if start >= done and not text[start:j].strip(" \t") and not text[j + 6 : end].strip(" \t"):
            out.append(text[done:start])
            done = min(end + 1, len(text))
        j = scan.find(text, "SIPDIS", max(end, j + 1), len(text))
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def _split_glued_paragraphs(text: str) -> str:
    """A numbered paragraph glued after a sentence ("...anti-retrovirals. 6. (SBU)
    However") or onto the Classified By line ("...(b) and (d). 1. (C) The") starts a
    block of its own. Only a number with a portion marking is taken, and not after
    "para" ("see para 6. (C)" is a citation). Tried from each ". (" that has a number
    after a space before it (_NUMBER_MARK, whose lookbehinds test what stands before it
    without a step per paragraph here; in C where the build made it)."""
    out: list[str] = []
    done = 0
    marks = (
        _NUMBER_MARKS(text)
        if _NUMBER_MARKS is not None
        else [m.start() for m in _NUMBER_MARK.finditer(text)]
    )
    for i in marks:
        k = i
        while k > i - 3 and k > 0 and text[k - 1].isdigit():
            k -= 1
        sp = k
        while sp > 0 and text[sp - 1] in " \t":
            sp -= 1
        mark = _GLUED_MARK.match(text, i + 2) if k < i and sp < k else None
        if (
            mark is not None
            and sp > done
            and text[sp - 1] in _SENTENCE_END
            and not _PARA_WORD.search(text, max(0, sp - 12), sp)
            and body_mod.portion_marking(mark[1]) is not None
        ):
            out.append(text[done:sp])
            out.append("\n\n")
            done = k
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def _split_classified_by_runon(text: str) -> str:
    """The body glued onto the Classified By line after its reason, unnumbered ("...for
    reason 1.4 (b). (C) The wife of imprisoned..."), starts a block of its own; without
    this the whole body is read as the Classified By line and lost."""
    if "lassified" not in text and "LASSIFIED" not in text:
        return text
    m = scan.search_ci(_CB_RUNON, text, scan.fold(text), "classified")
    if m is None or body_mod.portion_marking(m[1]) is None:
        return text
    return text[: m.end()].rstrip(" \t") + "\n\n" + text[m.end() :]


def _leading_date(text: str) -> str:
    head = text[:400]
    m = _CABLE_DATED.search(head)
    if m:
        return f"{m[1]}-{m[2]}-{m[3]}T{m[4]}:{m[5]}:00Z"
    m = _MEDIA_DATE.search(head) if "day, " in head else None
    if m:
        mon = datetime.strptime(m[2], "%B").month
        return f"{int(m[3]):04d}-{mon:02d}-{int(m[1]):02d}T{m[4]}:{m[5]}:00Z"
    return ""


def _year(dtg: str | None, meta: ArchiveMeta | None, extra: str) -> int | None:
    for src in (dtg, meta.created if meta else "", extra):
        if src and src[:4].isdigit():
            return int(src[:4])
    return None


def _split_archive_class(s: str) -> tuple[str, list[str]]:
    cls, cav = _archive_class(s)
    return cls, list(cav)


@lru_cache(maxsize=256)
def _archive_class(s: str) -> tuple[str, tuple[str, ...]]:
    """The archive table's classification ("SECRET//NOFORN"): a handful of values, read
    once each."""
    parts = [p.strip() for p in _ARCHIVE_CLASS_SPLIT.split(s.upper()) if p.strip()]
    if not parts:
        return "", ()
    cls = parts[0]
    cav: list[str] = []
    for extra in parts[1:] + ([w for w in cls.split() if w == "NOFORN"]):
        code = _CAVEAT_CODES.get(extra, extra)
        if code not in cav:
            cav.append(code)
    cls = cls.replace(" NOFORN", "").strip()
    return cls, tuple(cav)


def _classification(
    c: Cable, banner, caveats: list[str], meta: ArchiveMeta | None, defects: list[Defect]
) -> None:
    sources: list[tuple[str, str]] = []
    if banner and banner.classification:
        sources.append(("banner", banner.classification))
    if c.security_line:
        sources.append(("security line", c.security_line))
    meta_cls, meta_cav = _split_archive_class(meta.classification) if meta else ("", [])
    if meta_cls:
        sources.append(("archive", meta_cls))
    if sources:
        c.classification = sources[0][1]
        differing = {v for _, v in sources}
        if len(differing) > 1:
            defects.append(
                Defect(
                    "classification-disagreement",
                    "sources disagree: "
                    + ", ".join(f"{k} {v}" for k, v in sources)
                    + f"; kept {sources[0][0]}",
                )
            )
    cav = list(banner.caveats if banner else [])
    for x in caveats:
        if x not in cav:
            cav.append(x)
    if c.classification not in ("UNCLASSIFIED", "") and "SBU" in cav:
        # SENSITIVE on a classified cable is prose, not the SBU caveat.
        cav.remove("SBU")
    for x in _subject_caveats(c.subject_marking):
        if x not in cav:
            cav.append(x)
            defects.append(
                Defect(
                    "caveat-inferred",
                    f"caveat {x} inferred from the subject's portion marking ({c.subject_marking})",
                )
            )
    if c.classification == "UNCLASSIFIED" and "NOFORN" in cav and not {"SBU", "FOUO"} & set(cav):
        # Unclassified information is NOFORN only as SBU NOFORN (paragraphs "(SBU/NF)"):
        # "UNCLAS E F T O ... SIPDIS NOFORN" is an SBU cable whose SENSITIVE caption is
        # missing.
        cav.append("SBU")
        defects.append(
            Defect(
                "caveat-inferred",
                "caveat SBU inferred from NOFORN on an unclassified cable (SBU NOFORN)",
            )
        )
    for x in meta_cav:
        family = {"FOUO", "SBU"} if x in {"FOUO", "SBU"} else {x}
        if not family & set(cav):
            cav.append(x)
            defects.append(Defect("caveat", f"caveat {x} from the archive table only"))
    c.caveats = cav


def _subject_caveats(subject_marking: str) -> list[str]:
    """NOFORN when the subject's portion marking carries it ("SUBJECT: (C/NF) ..."). The
    subject is the cable's title, shown wherever the cable is listed: a title foreign
    nationals may not see is a cable they may not see. (A paragraph's NOFORN is not the
    cable's: the archive, like the banners, does not follow the paragraphs' markings.)"""
    if not subject_marking or "N" not in subject_marking.upper():
        return []
    return ["NOFORN"] if "NOFORN" in reference.parse_marking(subject_marking)[1] else []


def canonical_id(text: str) -> str:
    """The canonical reference id of an id as written, '' when it is none: ``09 BAKU 433``,
    ``09AMEMBASSYBAKU433``, ``09EFTOLONDON2239``, ``09PORT-OF-SPAIN123``, ``09RIO12``,
    ``09BAKU433-A`` (junk after the serial) give ``09BAKU433``, ``09LONDON2239``,
    ``09PORTOFSPAIN123``, ``09RIODEJANEIRO12``, ``09BAKU433``."""
    return _canonical_id(text)


def _canonical_id(rid: str) -> str:
    rid = "".join(rid.upper().split())  # (re.sub(r"\s+", "", ...), in one C call)
    m = _ID.match(rid)
    if not m:
        m = _ID_LOOSE.match(rid)
        if not m:
            return ""
    origin = m[2].replace("-", "")
    if origin not in reference.known_origins():
        # Strip known junk (NOFORN, SECTION 02 OF 02...) when a known post remains;
        # an origin we simply do not know is kept as written.
        origin = reference.canonical_origin(origin) or origin
    return f"{m[1]}{origin}{int(m[3])}"


@lru_cache(maxsize=4096)
def _banner_code(origin_text: str) -> str:
    """The origin code of the banner's origin ("SAN JOSE"): a reference look-up."""
    raw_code = _NOT_LETTERS.sub("", origin_text.upper())
    return (
        raw_code
        if raw_code in reference.known_origins()
        else (reference.canonical_origin(raw_code) or raw_code)
    )


def _identity(
    c: Cable,
    banner,
    h: Header | None,
    year: int | None,
    meta: ArchiveMeta | None,
    defects: list[Defect],
) -> None:
    fm = h.fm if h else ""
    routing = h.routing if h else ""
    text_id = ""
    code = ""
    if banner and banner.origin_text:
        code = _banner_code(banner.origin_text)
        if banner.serial and year:
            text_id = f"{year % 100:02d}{code}{int(banner.serial)}"
    if h and h.station_serial and year:
        text_id = _cross_check(c, text_id, code, banner, h, year, defects)
    meta_id = ""
    if meta and meta.reference_id:
        meta_id = _canonical_id(meta.reference_id)
        if meta_id != meta.reference_id.strip():
            defects.append(
                Defect(
                    "malformed-id", f"archive id {meta.reference_id!r} canonicalised to {meta_id!r}"
                )
            )
            c.aliases.append(meta.reference_id.strip())
    if text_id and meta_id and text_id != meta_id:
        defects.append(
            Defect(
                "id-disagreement", f"text gives {text_id}, archive gives {meta_id}; kept archive"
            )
        )
    c.id = meta_id or text_id
    if c.id:
        m = _ID.match(c.id)
        code = m[2] if m else code
    name = ""
    if meta and meta.origin:
        name = meta.origin
    elif fm:
        name = reference.post_name(fm)
    if not name and code:
        name = reference.post_name(code)
    if not name and routing:
        name = reference.post_name(reference.routing_name(routing))
    if not code and fm:
        code = reference.origin_code(fm)
    c.origin = Origin(code=code, name=name, routing=routing)


def _cross_check(
    c: Cable, text_id: str, code: str, banner, h: Header, year: int, defects: list[Defect]
) -> str:
    """The id the banner, the DE line and the DTG agree on. The DE line's station serial
    ("DE RUEHLP #0096/01 0231326") is the cable's serial modulo 10,000; the post comes
    from the banner when it names a known one, else from the FM line, else from the DE
    station. Where the banner and the header disagree (a serial cut short: "TRIPOLI
    00011" against "#0112"; a page holding another cable's text under this one's header)
    the header's reading is kept: it was written by the machine that sent the cable. A
    cut banner's reading stays as an alias, as archives published it."""
    de = int(h.station_serial)
    yy = f"{year % 100:02d}"
    fm_code = reference.origin_code(h.fm) if h.fm else ""
    if fm_code and fm_code not in reference.known_origins():
        fm_code = ""
    if code and code not in reference.known_origins() and fm_code:
        # "SECTION 02 OF 03QRIPOLI": the FM line names the post the banner garbled.
        defects.append(Defect("id-disagreement", f"banner post {code} read as {fm_code} (FM line)"))
        code = fm_code
        text_id = f"{yy}{code}{int(banner.serial)}" if banner and banner.serial else ""
    banner_serial = banner.serial if banner else ""
    post = code or fm_code
    if not post and h.routing:
        post = reference.origin_code(reference.routing_name(h.routing))
    if banner_serial:
        serial = int(banner_serial)
        if serial % 10000 == de % 10000 or serial >= 10000 or not (fm_code or code):
            return text_id
        header_post = fm_code or code
        fixed = f"{yy}{header_post}{de}"
        cut = str(de).startswith(banner_serial) and len(banner_serial) < len(str(de))
        defects.append(
            Defect(
                "id-disagreement",
                f"banner gives {text_id}, DE line #{h.station_serial} and FM give {fixed}"
                + ("; the banner serial was cut short" if cut else "")
                + "; kept the header's",
            )
        )
        if cut and text_id:
            c.aliases.append(text_id)  # archives published the cut reading
        return fixed
    if not post:
        return text_id
    rebuilt = f"{yy}{post}{de}"
    defects.append(
        Defect(
            "id-from-header",
            f"no serial in the banner: id {rebuilt} rebuilt from the DE line, DTG and post"
            " (serials of 10,000 and over lose their leading digits there)",
        )
    )
    return rebuilt


def _merge_csv_refs(c: Cable, refs: list[str]) -> None:
    have = {r.id for r in c.references if r.id}
    for r in refs:
        rid = _canonical_id(r) or ""
        if rid and rid not in have:
            c.references.append(Reference(id=rid, text=r))
            have.add(rid)


def _check_dates(c: Cable, meta: ArchiveMeta | None, defects: list[Defect]) -> None:
    if not (meta and meta.created and c.dtg):
        return
    if (
        c.dtg[:11] == meta.created[:11]
        and len(c.dtg) == len(meta.created) == 20
        and c.dtg[-1] == meta.created[-1] == "Z"
    ):
        # Both UTC and on the same day (YYYY-MM-DDTHH:MM:00Z, as header.dtg_iso and
        # render._iso_minutes write them): less than a day apart, if dates at all.
        return
    try:
        a = datetime.fromisoformat(c.dtg.replace("Z", "+00:00"))
        b = datetime.fromisoformat(meta.created.replace("Z", "+00:00"))
    except ValueError:
        return
    if abs((a - b).total_seconds()) > 86400:
        defects.append(
            Defect(
                "date-disagreement",
                f"DTG {c.dtg} and archive date {meta.created} differ by over a day",
            )
        )


__all__ = ["parse", "build", "parse_references", "Tag", "year4"]
