"""Orchestration: rendering -> telegram text -> header, banner, preamble, body -> Cable.

Parsing is lenient in the manner of ``email.parser``: whatever cannot be read becomes a
``Defect`` on the record, and ``parse`` never raises.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import lru_cache
from typing import Final

from cablegram import reference
from cablegram.model import ArchiveMeta, Cable, Defect, Origin, Reference, Tag
from cablegram.parser import body as body_mod
from cablegram.parser import scan
from cablegram.parser.decode import decode
from cablegram.parser.header import find_dtg, parse_header, year4
from cablegram.parser.preamble import (
    CAVEAT_SPELLINGS,
    find_banner,
    parse_classified_by,
    parse_preamble,
    parse_references,
)
from cablegram.parser.render import Prepared, detect, prepare

_HEADER_HINT: Final = re.compile(r"(?m)^\s*(?:VZCZC|ZNY |DE R[A-Z]{3,6} |FM |TO |INFO )")
_MEDIA_DATE: Final = re.compile(
    r"^\s*(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{1,2}) "
    r"(January|February|March|April|May|June|July|August|September|October|November|December) "
    r"(\d{4}), (\d{2}):(\d{2})",
    re.M,
)
_CABLE_DATED: Final = re.compile(r"Cable dated:\s*(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})")
_ID: Final = re.compile(r"^(\d{2})([A-Z][A-Z0-9]*?[A-Z])(\d{1,7})$")
_SIPDIS_LINE: Final = re.compile(r"(?m)^\s*SIPDIS\s*$\n?")
_CLASSIFIED_BY_ANY: Final = re.compile(r"(?i)(?<![a-z])classified\s+by\s*:?\s*(.+)")
_ARCHIVE_CLASS_SPLIT: Final = re.compile(r"//|/(?=[A-Z]{4})")
_NOT_LETTERS: Final = re.compile(r"[^A-Z]")
_CAVEAT_CODES: Final = dict(CAVEAT_SPELLINGS)
_MAX_INPUT: Final = 20_000_000


def parse(data: str | bytes, *, hint: str | None = None) -> Cable:
    """Parse one cable in any rendering. Never raises: problems become ``defects``."""
    defects: list[Defect] = []
    try:
        return _parse(data, hint, defects)
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
        if _HEADER_HINT.search(text[:cut]):
            header_text, text = text[:cut], text[cut:]
            if banner:
                banner.end -= cut
                banner.start = 0
    c.header = header_text.strip("\n")
    h = parse_header(header_text, defects) if header_text.strip() else None

    # Leading lines some archives add: "Cable dated:...", a media-partner date line.
    extra_date = _leading_date(text)
    tele = text[banner.end :] if banner else text
    tele = body_mod.strip_page_headers(tele, defects)
    c.body = (text[banner.start : banner.end] + tele) if banner else tele

    if h:
        c.transmission_id = h.transmission_id
        c.precedence = h.precedence
        c.dtg = h.dtg
        c.security_line = h.security_line
        c.to, c.info = h.to, h.info
    if not c.dtg:
        # Partial extracts carry the DTG in their header block ("291359Z Nov 00").
        c.dtg, _ = find_dtg(header_text + "\n" + text[:600], defects)
    year = _year(c.dtg, prep.meta, extra_date)

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
    if not c.classified_by:
        # A fragment: only a "Classified By:" line.
        m = scan.search_ci(_CLASSIFIED_BY_ANY, text, scan.fold(text), "classified")
        if m:
            c.classified_by, c.reasons = parse_classified_by(m[1], defects)

    _classification(c, banner, pre.caveats, prep.meta, defects)
    _identity(c, banner, h.fm if h else "", h.routing if h else "", year, prep.meta, defects)
    if banner:
        c.sections = banner.sections
    if prep.csv_refs:
        _merge_csv_refs(c, prep.csv_refs)
    if prep.meta and not c.subject and prep.meta.title:
        c.subject = prep.meta.title
        defects.append(Defect("subject", "no SUBJECT line; subject taken from the archive title"))
    _check_dates(c, prep.meta, defects)
    if not c.id and not c.paragraphs and not c.subject and not c.references and not c.classified_by:
        defects.append(Defect("no-cable", "no part of a cable was recognised"))
    c.defects = defects
    return c


def _drop_sipdis_lines(text: str) -> str:
    """``_SIPDIS_LINE.sub("", text)``. Opening with ``^\\s*``, the pattern is tried at
    every position of the text; here only at the line start that opens the white space
    before each SIPDIS (the one place a match holding it can start)."""
    j = text.find("SIPDIS")
    if j < 0:
        return text
    out: list[str] = []
    done = 0  # text[:done] is settled
    while j >= 0:
        start = j
        while start > done and text[start - 1].isspace():
            start -= 1
        if start and text[start - 1] != "\n":
            nl = text.find("\n", start, j)
            start = nl + 1 if nl >= 0 else -1
        m = _SIPDIS_LINE.match(text, start) if start >= 0 else None
        if m:
            out.append(text[done:start])
            done = m.end()
            j = text.find("SIPDIS", done)
        else:
            j = text.find("SIPDIS", j + 1)
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


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


def _canonical_id(rid: str) -> str:
    rid = "".join(rid.upper().split())  # (re.sub(r"\s+", "", ...), in one C call)
    m = _ID.match(rid)
    if not m:
        return ""
    origin = m[2]
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
    fm: str,
    routing: str,
    year: int | None,
    meta: ArchiveMeta | None,
    defects: list[Defect],
) -> None:
    text_id = ""
    code = ""
    if banner and banner.origin_text:
        code = _banner_code(banner.origin_text)
        if banner.serial and year:
            text_id = f"{year % 100:02d}{code}{int(banner.serial)}"
    meta_id = ""
    if meta and meta.reference_id:
        meta_id = _canonical_id(meta.reference_id)
        if meta_id != meta.reference_id.strip():
            defects.append(
                Defect(
                    "malformed-id", f"archive id {meta.reference_id!r} canonicalised to {meta_id!r}"
                )
            )
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
