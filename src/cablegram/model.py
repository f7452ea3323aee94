"""The cable record: plain dataclasses, no parsing logic.

Like ``email.message``, the model only holds data. The parser (``cablegram.parse``)
fills it; the store and the API read it. ``Cable.to_dict()`` gives plain JSON-ready
data and ``Cable.from_dict()`` reads it back, so a record survives any round trip
through JSON Lines, the database or the HTTP API unchanged.

Conventions:
- A field the rendering lacks stays empty ("" / None / []); nothing is guessed.
- Dates are ISO 8601 strings: ``dtg`` is ``YYYY-MM-DDTHH:MM:00Z`` (UTC),
  ``declassify_on`` is ``YYYY-MM-DD`` or the literal text (``OADR``, ``1.6X1``...).
- Everything the parser repaired or could not read is a ``Defect``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# The classification scale, the one copy: a level is an index (cables.class_level), lowest
# first; LOU and SBU sit between U and C. Names and their abbreviations, level for level.
CLASSIFICATION_LEVELS: tuple[str, ...] = (
    "UNCLASSIFIED",
    "LIMITED OFFICIAL USE",
    "SENSITIVE BUT UNCLASSIFIED",
    "CONFIDENTIAL",
    "SECRET",
    "TOP SECRET",
)
CLASSIFICATION_ABBREVIATIONS: tuple[str, ...] = ("U", "LOU", "SBU", "C", "S", "TS")


@dataclass
class Defect:
    """Something the parser repaired, doubted or could not read; ``code`` is one of
    ``DefectCode`` (kept a ``str``: records round-trip through JSON as they are)."""

    code: str
    message: str


class DefectCode(StrEnum):
    """Every code a ``Defect`` may carry: the one list (docs/parsing.md, "Defect codes", is
    tested against it, and so are the parser's sources)."""

    EMPTY = "empty"
    INPUT = "input"
    INTERNAL = "internal"
    TRUNCATED = "truncated"
    BINARY = "binary"
    ENCODING = "encoding"
    NO_TEXT = "no-text"
    ARCHIVE_TABLE = "archive-table"
    CSV = "csv"
    JSON = "json"
    NO_CABLE = "no-cable"
    DTG = "dtg"
    SECURITY_LINE = "security-line"
    BANNER = "banner"
    SUBJECT = "subject"
    REFERENCE_YEAR = "reference-year"
    PAGE_HEADER = "page-header"
    PARAGRAPH_NUMBERS = "paragraph-numbers"
    PARAGRAPH_ORDER = "paragraph-order"
    CAVEAT = "caveat"
    CAVEAT_INFERRED = "caveat-inferred"
    CLASSIFICATION_DISAGREEMENT = "classification-disagreement"
    ID_DISAGREEMENT = "id-disagreement"
    DATE_DISAGREEMENT = "date-disagreement"
    MALFORMED_ID = "malformed-id"
    ID_FROM_HEADER = "id-from-header"
    ID_FROM_NAME = "id-from-name"


@dataclass
class Origin:
    code: str = ""  # as in the reference id: BAKU, USUNNEWYORK, STATE
    name: str = ""  # archive style: Embassy Baku, Secretary of State
    routing: str = ""  # routing indicator of the sending station: RUEHKB


@dataclass
class Official:
    """The classifying official of ``Classified By:``."""

    name: str = ""
    title: str = ""


@dataclass
class Tag:
    code: str
    kind: str = ""  # subject | country | organisation | programme | person | unknown
    name: str = ""


@dataclass
class Reference:
    """A cable cited in the REF block (or in the csv's reference column)."""

    id: str = ""  # canonical reference id (09STATE12345); "" when unresolvable
    text: str = ""  # as written: "B. 08 BAKU 123"
    year_inferred: bool = False  # the year was not written and was taken from the cable
    label: str = ""  # A, B, C... when the block is lettered
    kind: str = ""  # cable, or what else is cited: email, memo, report, telcon, letter...


@dataclass
class Addressee:
    routing: str = ""  # RUEHC
    name: str = ""  # as written: SECSTATE WASHDC
    precedence: str = ""  # IMMEDIATE, PRIORITY, ROUTINE, FLASH, NIACT IMMEDIATE
    serial: str = ""  # message control number: 1280


@dataclass
class Paragraph:
    number: int | None = None  # true number after repair; None for unnumbered text
    marking: str = ""  # portion marking as written, normalised: C, S/NF, SBU, U
    heading: str = ""  # the heading that stands above this paragraph
    text: str = ""


@dataclass
class ArchiveMeta:
    """What an archive rendering says about the cable outside the telegram itself."""

    reference_id: str = ""
    created: str = ""  # ISO 8601, archive time
    released: str = ""
    classification: str = ""  # as shown: SECRET//NOFORN
    origin: str = ""  # Embassy Baku
    title: str = ""  # the page title (the subject, often truncated)


@dataclass
class Cable:
    id: str = ""
    # Other ids the cable is published or cited under (WikiLeaks' malformed ones such as
    # 09EFTOLONDON2239, a file named for another id): each resolves to this cable.
    aliases: list[str] = field(default_factory=list)
    origin: Origin = field(default_factory=Origin)
    transmission_id: str = ""
    dtg: str | None = None
    precedence: str = ""
    security_line: str = ""
    classification: str = ""
    caveats: list[str] = field(default_factory=list)
    sections: int | None = None
    eo: str = ""
    declassify_on: str = ""
    reasons: list[str] = field(default_factory=list)
    classified_by: Official | None = None
    tags: list[Tag] = field(default_factory=list)
    subject: str = ""
    subject_marking: str = ""
    # The subject for display: title case, acronyms and codes kept as written.
    title: str = ""
    references: list[Reference] = field(default_factory=list)
    to: list[Addressee] = field(default_factory=list)
    info: list[Addressee] = field(default_factory=list)
    xmt: list[Addressee] = field(default_factory=list)  # XMT: left out of a collective
    paragraphs: list[Paragraph] = field(default_factory=list)
    summary: str = ""
    comment: str = ""
    signer: str = ""
    septels: list[str] = field(default_factory=list)
    defects: list[Defect] = field(default_factory=list)
    # Provenance: which rendering it came from and what the archive page said.
    rendering: str = ""
    archive: ArchiveMeta | None = None
    header: str = ""  # normalised transmission header text
    body: str = ""  # normalised telegram text from the banner on

    def to_dict(self) -> dict[str, Any]:
        # Same result as dataclasses.asdict, without its deep copies: ingest calls this
        # for every cable, and asdict was a fifth of a worker's time.
        return _plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cable:
        """Read back what ``to_dict`` wrote; unknown keys are ignored."""
        d = dict(data)

        def many(key: str, kind: type) -> list:
            return [kind(**_known(kind, x)) for x in d.get(key) or []]

        def one(key: str, kind: type):
            v = d.get(key)
            return kind(**_known(kind, v)) if isinstance(v, dict) else None

        simple = {f.name for f in dataclasses.fields(cls)} - _NESTED
        kwargs: dict[str, Any] = {k: d[k] for k in simple if k in d}
        kwargs["origin"] = one("origin", Origin) or Origin()
        kwargs["classified_by"] = one("classified_by", Official)
        kwargs["archive"] = one("archive", ArchiveMeta)
        kwargs["tags"] = many("tags", Tag)
        kwargs["references"] = many("references", Reference)
        kwargs["to"] = many("to", Addressee)
        kwargs["info"] = many("info", Addressee)
        kwargs["xmt"] = many("xmt", Addressee)
        kwargs["paragraphs"] = many("paragraphs", Paragraph)
        kwargs["defects"] = many("defects", Defect)
        for key in ("aliases", "caveats", "reasons", "septels"):
            kwargs[key] = list(d.get(key) or [])
        return cls(**kwargs)

    # Convenience views used by the store, the CLI and the web UI.
    @property
    def year(self) -> int | None:
        src = self.dtg or (self.archive.created if self.archive else "")
        return int(src[:4]) if src and src[:4].isdigit() else None

    def defect_codes(self) -> list[str]:
        return [d.code for d in self.defects]

    def text(self) -> str:
        """The paragraphs as plain text, one per block (for search and display)."""
        return "\n\n".join(p.text for p in self.paragraphs)


_NESTED = {
    "origin",
    "classified_by",
    "archive",
    "tags",
    "references",
    "to",
    "info",
    "xmt",
    "paragraphs",
    "defects",
    "aliases",
    "caveats",
    "reasons",
    "septels",
}


def _plain(value: Any) -> Any:
    fields = getattr(value, "__dataclass_fields__", None)
    if fields is not None:
        return {name: _plain(getattr(value, name)) for name in fields}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _known(kind: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(kind)}
    return {k: v for k, v in data.items() if k in names}
