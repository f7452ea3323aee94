"""From a ``Cable`` to the rows of the normalised tables, with no database in sight.

Ingest workers call :func:`flatten` so the parent process only executes SQL. Everything
here is backend-neutral: a PostgreSQL store writes the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from cablegram.model import Cable
from cablegram.reference import classification_level, parse_marking

# Packing of the completeness score: fields first, then paragraphs, then text length.
# The flattened columns of `cables` (besides id, version_id, n_versions) and the side
# tables rewritten with each shown version: one list for every backend's SQL.
CABLE_COLUMNS = (
    "origin_code", "origin_name", "origin_routing", "dtg", "date", "year", "month",
    "precedence", "classification", "class_level", "subject", "summary", "comment", "signer",
    "sections", "eo", "declassify_on", "classified_by_name", "classified_by_title",
    "transmission_id", "rendering", "created", "released", "n_paragraphs", "n_words",
)  # fmt: skip
# A cable has at most this many portions (subject, summary, paragraphs); later paragraphs
# are folded into the last portion. The SQLite store numbers portions key * this + position.
PORTIONS_PER_CABLE = 4096
CHILD_TABLES = ("caveats", "tags", "addressees", "refs", "reasons", "defects", "portions")
# A row of `portions`: kind, seq, number, marking, level, caveats, heading, text.
Portion = tuple[str, int, int | None, str, int, str, str, str]


def upsert_cable_sql(placeholder: str) -> str:
    """INSERT ... ON CONFLICT for `cables`, with the driver's placeholder (? or %s)."""
    marks = ", ".join([placeholder] * (3 + len(CABLE_COLUMNS)))
    return (
        f"INSERT INTO cables (id, version_id, n_versions, {', '.join(CABLE_COLUMNS)}) "
        f"VALUES ({marks}) "
        "ON CONFLICT (id) DO UPDATE SET version_id = excluded.version_id, "
        "n_versions = excluded.n_versions, "
        + ", ".join(f"{c} = excluded.{c}" for c in CABLE_COLUMNS)
    )


_FIELD_WEIGHT = 10**9
_PARA_WEIGHT = 10**6
_MAX_PARAS = 999
_MAX_TEXT = 10**6 - 1


@dataclass
class CableRows:
    """One cable version, ready to be written: its record and its flattened rows."""

    cable_id: str
    completeness: int
    rendering: str
    record: str  # Cable.to_dict() as JSON
    cable: dict[str, Any]  # cables columns (without id, version_id, n_versions)
    caveats: list[str] = field(default_factory=list)
    tags: list[tuple[str, str, str, int]] = field(default_factory=list)  # code, kind, name, seq
    addressees: list[tuple[str, int, str, str, str, str]] = field(default_factory=list)
    refs: list[tuple[int, str, str, int, str]] = field(default_factory=list)
    reasons: list[tuple[int, str]] = field(default_factory=list)
    defects: list[tuple[int, str, str]] = field(default_factory=list)
    # Other ids that resolve to this one. Kept from every version ever written (the table
    # `aliases`, written by Store.write), not only from the shown one.
    aliases: list[str] = field(default_factory=list)
    portions: list[Portion] = field(default_factory=list)


# The lists of a cable (every child table but portions): the table, its columns after the
# cable's key, and the rows from a CableRows. PostgreSQL keys them by cable_id, SQLite by
# the integer cables.key (docs/schema.md).
CHILD_ROWS: tuple[tuple[str, tuple[str, ...], Callable[[CableRows], list[tuple]]], ...] = (
    ("caveats", ("caveat",), lambda r: [(x,) for x in r.caveats]),
    ("tags", ("code", "kind", "name", "seq"), lambda r: r.tags),
    ("addressees", ("role", "seq", "routing", "name", "precedence", "serial"),
     lambda r: r.addressees),
    ("refs", ("seq", "ref_id", "text", "year_inferred", "label"), lambda r: r.refs),
    ("reasons", ("seq", "reason"), lambda r: r.reasons),
    ("defects", ("seq", "code", "message"), lambda r: r.defects),
)  # fmt: skip
assert [t for t, _, _ in CHILD_ROWS] == [t for t in CHILD_TABLES if t != "portions"]
PORTION_COLUMNS = ("kind", "seq", "number", "marking", "level", "caveats", "heading", "text")


def completeness(cable: Cable) -> int:
    """How complete a version is; the shown version of a cable has the highest score.

    Lexicographic, packed in one integer: the number of non-empty telegram fields
    (a rendering with the transmission header beats a partial extract), then the number of
    paragraphs with text, then the length of that text (each capped). Ties are broken by
    the smallest content hash, so the choice never depends on the order of ingestion.
    """
    c = cable
    fields: list[Any] = [
        c.id,
        c.origin.code,
        c.origin.name,
        c.origin.routing,
        c.transmission_id,
        c.dtg,
        c.precedence,
        c.security_line,
        c.classification,
        c.caveats,
        c.sections,
        c.eo,
        c.declassify_on,
        c.reasons,
        c.classified_by and (c.classified_by.name or c.classified_by.title),
        c.tags,
        c.subject,
        c.subject_marking,
        c.references,
        c.to,
        c.info,
        c.summary,
        c.comment,
        c.signer,
        c.septels,
    ]
    n_fields = sum(1 for v in fields if v not in (None, "", [], 0))
    texts = [p.text for p in c.paragraphs if p.text.strip()]
    text_len = sum(len(t) for t in texts)
    return (
        n_fields * _FIELD_WEIGHT
        + min(len(texts), _MAX_PARAS) * _PARA_WEIGHT
        + min(text_len, _MAX_TEXT)
    )


def level_of(classification: str) -> int:
    """The 0 (UNCLASSIFIED) .. 5 (TOP SECRET) level of an overall classification; 0 when
    it cannot be read (``cables.class_level``, for facets and ``class:``)."""
    return max(classification_level(classification), 0) if classification else 0


# An unmarked portion takes the overall classification; when that is missing or cannot
# be read (``SEKRET//NOFORN``) it fails closed: only the top clearance reads it, and the
# cable gets the defect UNREADABLE_CLASSIFICATION for an administrator to fix (issue 21,
# docs/access.md). ``cablegram access unreadable`` lists them.
UNKNOWN_LEVEL = 5
UNREADABLE_CLASSIFICATION = "classification-unreadable"


def portion_level(classification: str) -> int:
    """The level unmarked portions take from the overall ``classification``."""
    lvl = classification_level(classification) if classification else -1
    return lvl if lvl >= 0 else UNKNOWN_LEVEL


def marking_of(marking: str, default: tuple[int, list[str]]) -> tuple[int, list[str]]:
    """(level, caveats) of a portion marking; ``default`` when unmarked or unreadable."""
    if not marking.strip():
        return default
    lvl, caveats = parse_marking(marking)
    return (lvl, list(caveats)) if lvl >= 0 else default


def caveat_list(caveats: list[str]) -> str:
    """The space-separated form of ``portions.caveats``; a caveat's own spaces become '_'
    (REL TO USA, GBR -> REL_TO_USA,_GBR) so each stays one word."""
    return " ".join("_".join(c.split()) for c in caveats)


def alias_rows(items: list[Any]) -> list[tuple[str, str]]:
    """(alias, cable_id) of the parsed versions among a write's items."""
    return [(a, r.cable_id) for it in items if (r := getattr(it, "rows", None)) for a in r.aliases]


def _alias(cable_id: str) -> str:
    """An alias as looked up (Archive.get upper-cases and strips the id it is given)."""
    return "".join(cable_id.split()).upper()


def flatten(cable: Cable) -> CableRows:
    c = cable
    arch = c.archive
    overall = c.classification or (arch.classification if arch else "")
    level = level_of(overall)
    caveats = _unique(c.caveats)
    default = (portion_level(overall), caveats)

    date = _date(c.dtg) or _date(arch.created if arch else "")
    classified_by = c.classified_by
    texts = [p for p in c.paragraphs if p.text.strip() or p.heading.strip()]
    row = {
        "origin_code": c.origin.code,
        "origin_name": c.origin.name or (arch.origin if arch else ""),
        "origin_routing": c.origin.routing,
        "dtg": c.dtg or None,
        "date": date,
        "year": int(date[:4]) if date else c.year,
        "month": date[:7] if date else None,
        "precedence": c.precedence,
        "classification": c.classification or (arch.classification if arch else ""),
        "class_level": level,
        "subject": c.subject,
        "summary": c.summary,
        "comment": c.comment,
        "signer": c.signer,
        "sections": c.sections,
        "eo": c.eo,
        "declassify_on": c.declassify_on,
        "classified_by_name": classified_by.name if classified_by else "",
        "classified_by_title": classified_by.title if classified_by else "",
        "transmission_id": c.transmission_id,
        "rendering": c.rendering,
        "created": arch.created if arch else "",
        "released": arch.released if arch else "",
        "n_paragraphs": len(texts),
    }

    tags, seen = [], set()
    for i, t in enumerate(c.tags):
        if t.code and t.code not in seen:
            seen.add(t.code)
            tags.append((t.code, t.kind, t.name, i))
    addressees = [
        (role, i, a.routing, a.name, a.precedence, a.serial)
        for role, group in (("to", c.to), ("info", c.info))
        for i, a in enumerate(group)
    ]
    refs = [(i, r.id, r.text, int(r.year_inferred), r.label) for i, r in enumerate(c.references)]
    reasons = list(enumerate(_unique(c.reasons)))
    defects = [(i, d.code, d.message) for i, d in enumerate(c.defects)]
    if portion_level(overall) == UNKNOWN_LEVEL and classification_level(overall) != UNKNOWN_LEVEL:
        defects.append((len(defects), UNREADABLE_CLASSIFICATION,
                        f"overall classification {overall!r} cannot be read: unmarked portions "
                        "are shown at TOP SECRET only"))  # fmt: skip

    portions: list[Portion] = []
    if c.subject.strip():
        lvl, cav = marking_of(c.subject_marking, default)
        portions.append(
            ("subject", 0, None, c.subject_marking, lvl, caveat_list(cav), "", c.subject)
        )
    if c.summary.strip() and not _in_paragraphs(c.summary, c):
        # Usually the summary is cut from a paragraph, so its text is searchable there
        # already; otherwise (a record without its body) it gets its own portion.
        lvl, cav = default
        portions.append(("summary", 0, None, "", lvl, caveat_list(cav), "", c.summary))
    for seq, p in enumerate(texts, 1):
        lvl, cav = marking_of(p.marking, default)
        portions.append(
            ("para", seq, p.number, p.marking, lvl, caveat_list(cav), p.heading, p.text)
        )

    if len(portions) > PORTIONS_PER_CABLE:
        *head, last = portions[:PORTIONS_PER_CABLE]
        rest = "\n\n".join(p[7] for p in portions[PORTIONS_PER_CABLE - 1 :])
        portions = [*head, (*last[:7], rest)]
    row["n_words"] = sum(len(p[7].split()) + len(p[6].split()) for p in portions)

    return CableRows(
        cable_id=c.id,
        completeness=completeness(c),
        rendering=c.rendering,
        record=record_json(c),
        cable=row,
        caveats=caveats,
        tags=tags,
        addressees=addressees,
        refs=refs,
        reasons=reasons,
        defects=defects,
        aliases=[a for a in _unique([_alias(x) for x in c.aliases]) if a and a != c.id],
        portions=portions,
    )


def _fields(obj: Any) -> dict[str, Any]:
    names = getattr(obj, "__dataclass_fields__", None)
    if names is None:
        raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")
    return {name: getattr(obj, name) for name in names}


# The fallback encoder: json.dumps(cable.to_dict(), ensure_ascii=False, separators=(",",
# ":")), without building the dicts first (the encoder asks _fields for each dataclass).
_RECORD_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_fields)


def record_json(cable: Cable) -> str:
    """``Cable.to_dict()`` as compact JSON text (``versions.record``).

    orjson encodes the dataclasses directly, in field order, three times faster than the
    json module (0.06 instead of 0.17 ms a cable: a fifth of a worker's time per document
    went here). Text it refuses (a lone surrogate) goes through the json module, which
    gives the same form."""
    try:
        return orjson.dumps(cable).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError
        return _RECORD_ENCODER.encode(cable)


def _in_paragraphs(text: str, c: Cable) -> bool:
    probe = " ".join(text.split()[:12])
    return any(probe in " ".join(p.text.split()) for p in c.paragraphs)


def _date(s: str | None) -> str | None:
    if s and len(s) >= 10 and s[:4].isdigit() and s[4] == "-" and s[7] == "-":
        return s[:10]
    return None


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(x for x in items if x))
