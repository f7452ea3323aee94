"""Drafts and sending: a drafter's TOML file becomes a cable of an archive.

A draft holds what a drafter writes (docs/telegram.md, "Drafts"); the system assigns the
rest when the cable is sent: the DTG (now), the station serial (the post's next serial of
the year), the channel serial of each addressee (the next message number on the channel
from the post to that addressee) and the sections. The counters live in the archive
(``telegram_counters``) and advance in one statement each
(``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``), so two senders never get one
serial; the cable is then stored in one transaction, so a sender killed at any point
leaves no half cable (at worst a serial that no cable took, as a cancelled telegram did).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cablegram import reference
from cablegram.model import Addressee, Cable, Official, Origin, Paragraph, Reference, Tag
from cablegram.parser import parse
from cablegram.telegram.compose import compose, page_count
from cablegram.telegram.lint import Finding, errors, lint

__all__ = ["Draft", "DraftError", "LintRefused", "read_draft", "draft_cable", "send"]

_FIELDS = {"from", "to", "info", "precedence", "classification", "caveats", "reasons",
           "declassify_on", "tags", "subject", "references", "paragraphs", "signer",
           "classified_by", "eo"}  # fmt: skip
_LEVELS = {"U": "UNCLASSIFIED", "LOU": "LIMITED OFFICIAL USE",
           "SBU": "SENSITIVE BUT UNCLASSIFIED", "C": "CONFIDENTIAL", "S": "SECRET",
           "TS": "TOP SECRET"}  # fmt: skip


class DraftError(ValueError):
    """A draft that cannot be read; the message names the file and the problem."""


class LintRefused(ValueError):
    """A draft lint finds errors in; ``findings`` are those errors."""

    def __init__(self, path: str, findings: list[Finding]) -> None:
        self.findings = findings
        rules = ", ".join(dict.fromkeys(f.rule for f in findings))
        super().__init__(f"{path}: lint finds errors ({rules}): "
                         + "; ".join(f"{f.rule}: {f.message}" for f in findings))  # fmt: skip


@dataclass
class Draft:
    path: str
    post: str  # origin code: BAKU
    to: list[str]
    info: list[str] = field(default_factory=list)
    precedence: str = "ROUTINE"
    classification: str = "UNCLASSIFIED"
    caveats: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    declassify_on: str = ""
    eo: str = "13526"
    tags: list[str] = field(default_factory=list)
    subject: str = ""
    references: list[str] = field(default_factory=list)
    paragraphs: list[tuple[str, str, str]] = field(default_factory=list)  # marking, heading, text
    signer: str = ""
    classified_by: tuple[str, str] | None = None  # name, title


def read_draft(path: str | Path) -> Draft:
    """Read a draft file; ``DraftError`` names the file and what is wrong."""
    p = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DraftError(f"{p}: no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DraftError(f"{p}: not a TOML file: {exc}") from None
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise DraftError(f"{p}: unknown field(s) {', '.join(unknown)}; a draft has "
                         f"{', '.join(sorted(_FIELDS))}")  # fmt: skip

    def text(key: str, default: str = "") -> str:
        v = data.get(key, default)
        if not isinstance(v, str):
            raise DraftError(f"{p}: {key} must be a string")
        return v.strip()

    def texts(key: str) -> list[str]:
        v = data.get(key, [])
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise DraftError(f"{p}: {key} must be a list of strings")
        return [x.strip() for x in v if x.strip()]

    post = text("from").upper().replace(" ", "")
    if not post:
        raise DraftError(f'{p}: from (the sending post, e.g. "BAKU") is missing')
    to = texts("to")
    if not to:
        raise DraftError(f"{p}: to (at least one addressee) is missing")
    paras = data.get("paragraphs", [])
    if not isinstance(paras, list) or not paras:
        raise DraftError(f"{p}: paragraphs ([[paragraphs]] with marking and text) are missing")
    out_paras: list[tuple[str, str, str]] = []
    for i, para in enumerate(paras, 1):
        if not isinstance(para, dict) or not isinstance(para.get("text"), str):
            raise DraftError(f"{p}: paragraph {i} needs a text")
        out_paras.append((str(para.get("marking", "")).strip().upper(),
                          str(para.get("heading", "")).strip(),
                          " ".join(para["text"].split())))  # fmt: skip
    cls = text("classification", "UNCLASSIFIED").upper()
    cls = _LEVELS.get(cls, cls)
    by = data.get("classified_by")
    official = None
    if isinstance(by, dict):
        official = (str(by.get("name", "")).strip(), str(by.get("title", "")).strip())
    elif isinstance(by, str) and by.strip():
        official = (by.strip(), "")
    return Draft(
        path=p, post=post, to=to, info=texts("info"),
        precedence=text("precedence", "ROUTINE").upper(), classification=cls,
        caveats=[c.upper() for c in texts("caveats")],
        reasons=[reference.eo_reasons(r)[0] if reference.eo_reasons(r) else r
                 for r in texts("reasons")],
        declassify_on=text("declassify_on"), eo=text("eo", "13526"),
        tags=[t.upper() for t in texts("tags")], subject=text("subject"),
        references=[r.upper() for r in texts("references")], paragraphs=out_paras,
        signer=text("signer").upper(), classified_by=official,
    )  # fmt: skip


def _addressee(text: str, precedence: str) -> Addressee:
    # "RUEHC/SECSTATE WASHDC" or "SECSTATE WASHDC"; the routing indicator is looked up.
    ri, sep, name = text.partition("/")
    if not sep:
        ri, name = "", text
    name = " ".join(name.upper().split())
    if not ri:
        ri = _routing_of(name)
    return Addressee(routing=ri.strip().upper(), name=name, precedence=precedence)


def _routing_of(name: str) -> str:
    """The routing indicator of an addressee as cables write it: SECSTATE WASHDC ->
    RUEHC, AMEMBASSY ANKARA -> RUEHAK (through the post), else the routing table."""
    if name in ("SECSTATE WASHDC", "SECSTATE"):
        return "RUEHC"
    if name.startswith(("AMEMBASSY ", "AMCONSUL ", "USMISSION ")):
        ri = reference.routing_indicator(reference.origin_code(name))
        if ri:
            return ri
    from cablegram.reference import _data

    for ri, n in _data.route_table().items():
        if n.upper() == name:
            return ri
    return ""


def draft_cable(d: Draft, *, serial: int, when: datetime,
                channel: dict[str, int] | None = None) -> Cable:  # fmt: skip
    """The record of a draft with what the system assigned: serial, DTG, channel serials."""
    year = when.year
    origin = Origin(code=d.post, name=reference.post_name(d.post),
                    routing=reference.routing_indicator(d.post))  # fmt: skip
    to = [_addressee(a, d.precedence) for a in d.to]
    info = [_addressee(a, d.precedence) for a in d.info]
    for a in to + info:
        key = a.routing or a.name
        if channel and key in channel:
            a.serial = f"{channel[key]:04d}"
    c = Cable(
        id=f"{year % 100:02d}{d.post}{serial}",
        origin=origin,
        dtg=when.strftime("%Y-%m-%dT%H:%M:00Z"),
        precedence=d.precedence,
        classification=d.classification,
        caveats=list(d.caveats),
        eo=d.eo if d.classification not in ("UNCLASSIFIED",) else (d.eo or ""),
        declassify_on=d.declassify_on,
        reasons=list(d.reasons),
        classified_by=Official(*d.classified_by) if d.classified_by else None,
        tags=[reference.tag(t) for t in d.tags] if d.tags else [],
        subject=d.subject,
        references=[Reference(text=r) for r in d.references],
        to=to,
        info=info,
        paragraphs=[
            Paragraph(number=i, marking=m, heading=h, text=t)
            for i, (m, h, t) in enumerate(d.paragraphs, 1)
        ],  # fmt: skip
        signer=d.signer,
    )
    c.tags = [Tag(t.code, t.kind, t.name) for t in c.tags]
    c.sections = page_count(c)
    return c


def check(d: Draft) -> list[Finding]:
    """Lint a draft as it would be sent (serials and DTG filled with placeholders)."""
    c = draft_cable(d, serial=1, when=datetime.now(UTC))
    return lint(parse(compose(c).encode("utf-8")))


def compose_draft(d: Draft, counters: Any = None, *, when: datetime | None = None) -> Cable:
    """The draft as a cable: refused (``LintRefused``) when lint finds an error. With
    ``counters`` (a :class:`cablegram.telegram.counters.Counters`) the serials are the
    archive's next ones; without, serial 1 and no channel serials (a preview)."""
    bad = errors(check(d))
    if bad:
        raise LintRefused(d.path, bad)
    when = when or datetime.now(UTC)
    if counters is None:
        return draft_cable(d, serial=1, when=when)
    serial = counters.next_serial(d.post, when.year)
    channel = {}
    for a in d.to + d.info:
        ad = _addressee(a, d.precedence)
        key = ad.routing or ad.name
        channel[key] = counters.next_channel(d.post, when.year, key)
    return draft_cable(d, serial=serial, when=when, channel=channel)


def send(archive: Any, path: str | Path, *, when: datetime | None = None) -> Cable:
    """Compose the draft at ``path`` with the archive's counters and store it as a new
    cable of ``archive`` (source ``composed``). Returns the stored record."""
    from cablegram.telegram.counters import Counters

    d = read_draft(path)
    cable = compose_draft(d, Counters(archive.store), when=when)
    text = compose(cable)
    stored = parse(text.encode("utf-8"))
    archive.store.add(stored, source="composed", member=str(path))
    from cablegram.telegram.anomalies import has_tables, refresh

    if has_tables(archive.store):  # keep lint:RULE current where the archive is linted
        refresh(archive.store)
    return stored
