"""The query fields, one ``FieldSpec`` each: the table every part of search reads.

The parser (``cablegram.search.query``) takes a field's name, aliases, example and whether
it allows ``*`` from here, and calls its ``build`` to make the node; both compilers
(``search.sqlite``, ``search.postgres``) filter with its ``sqlite`` / ``postgres`` function,
and the SQLite engine with its ``docvalues`` function where there is one (the in-memory
columns, ``search.docvalues``); ``unparse`` writes it back; the web's syntax help lists
its ``help`` line; a facet's filter link is its ``facet_filter``.

Adding a field is one ``FieldSpec`` in ``FIELDS`` (and tests): ``precedence:`` is an
example, built on the generic ``FieldFilter`` node. docs/architecture.md says more.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from cablegram.model import CLASSIFICATION_ABBREVIATIONS, CLASSIFICATION_LEVELS
from cablegram.reference import classification_level, precedence_name, tag
from cablegram.search.docvalues import NO_DATE
from cablegram.search.nodes import (
    CableId,
    Caveat,
    Classification,
    DateRange,
    Entity,
    FieldFilter,
    Node,
    Origin,
    QueryError,
    Ref,
    Signer,
    Tag,
    Text,
    tokenize_text,
)

if TYPE_CHECKING:
    from cablegram.search.visibility import Visibility

__all__ = [
    "CLASS_ABBR",
    "CLASS_LEVELS",
    "FIELDS",
    "SYNTAX",
    "UNKNOWN_TAG",
    "FieldSpec",
    "Value",
    "facet_filter",
    "facet_label",
    "facet_titles",
    "entity_mentions",
    "entity_tables",
    "field",
    "quote_value",
    "spec_for",
]

# --- shared pieces ------------------------------------------------------------------------

CLASS_ABBR = CLASSIFICATION_ABBREVIATIONS
UNKNOWN_TAG = "Unknown tag"  # the name shown for a TAGS code without one
# Classification names and abbreviations -> class_level (the cables.class_level scale).
CLASS_LEVELS: dict[str, int] = {
    **{abbr: level for level, abbr in enumerate(CLASSIFICATION_ABBREVIATIONS)},
    **{name: level for level, name in enumerate(CLASSIFICATION_LEVELS)},
}
# Common short forms of dissemination caveats; anything else is taken as written.
CAVEAT_ALIASES = {"NF": "NOFORN", "OC": "ORCON", "PR": "PROPIN"}
_BARE = re.compile(r"[A-Za-z0-9][\w.\-/]*")


def quote_value(value: str) -> str:
    """A filter value as the query language reads it: bare when simple, else quoted."""
    if _BARE.fullmatch(value) and value.upper() not in ("AND", "OR", "NOT"):
        return value
    return '"' + value.replace('"', "") + '"'


def _quote(text: str) -> str:
    return '"' + text.replace('"', "") + '"'


def glob(prefix: str) -> str:
    """A SQLite GLOB pattern for a prefix (case-sensitive, so it can use the BINARY
    indexes), its wildcards escaped."""
    return "".join(f"[{ch}]" if ch in "*?[" else ch for ch in prefix) + "*"


def like(prefix: str) -> str:
    """A LIKE pattern (ESCAPE '\\') for a prefix."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def nocase(s: str) -> str:
    """ASCII-only lower case: what SQLite's NOCASE compares, for PostgreSQL's lower()."""
    return s.translate(_ASCII_LOWER)


def _code(text: str) -> str:
    return "".join(text.split()).upper()


@dataclass(frozen=True)
class Value:
    """What the lexer read after ``name:``: the text (unquoted, ``*`` taken off), whether
    it ended in ``*``, where the term and its value start, and the whole query."""

    name: str
    text: str
    prefix: bool
    pos: int
    value_pos: int
    query: str

    def error(self, message: str, offset: int = 0) -> QueryError:
        return QueryError(message, self.value_pos + offset, self.query)


SQL = tuple[str, list[Any]]


@dataclass(frozen=True)
class FieldSpec:
    """One query field. ``sqlite(node, compiler)`` / ``postgres(node, compiler)`` give a
    condition on the ``cables`` row ``c`` (``?`` and ``%s`` placeholders), ``None`` for a
    field the compiler matches as text (``subject:``); ``docvalues(node, dv)`` a boolean
    mask over cable keys from the in-memory columns, or ``None`` to fall back to SQL."""

    name: str
    example: str
    build: Callable[[Value], Node]
    node: type
    sqlite: Callable[[Any, Any], SQL] | None
    postgres: Callable[[Any, Any], SQL] | None
    aliases: tuple[str, ...] = ()
    wildcard: bool = False
    docvalues: Callable[[Any, Any], Any] | None = None
    unparse: Callable[[Any], str] | None = None
    help: tuple[str, str] | None = None  # (what to type, what it finds) in the syntax help
    facet: str = ""  # the facet of this field's values ("" none)
    facet_title: str = ""  # the facet's heading on the search page ("" not listed)
    facet_filter: Callable[[str], str] | None = None  # a facet value -> this field's filter


# --- the builders and backends of each field ----------------------------------------------


def _origin(v: Value) -> Origin:
    value = v.text.strip()
    if any(ch.isspace() for ch in value):
        return Origin(" ".join(value.split()), by_name=True, prefix=v.prefix, pos=v.pos)
    return Origin(value.upper(), prefix=v.prefix, pos=v.pos)


def _origin_sqlite(n: Origin, _: Any) -> SQL:
    if n.by_name:
        if n.prefix:
            return "c.origin_name LIKE ? ESCAPE '\\'", [like(n.value)]
        return "c.origin_name = ? COLLATE NOCASE", [n.value]
    if n.prefix:
        return "c.origin_code GLOB ?", [glob(n.value)]
    return "c.origin_code = ?", [n.value]


def _origin_pg(n: Origin, _: Any) -> SQL:
    if n.by_name:
        if n.prefix:
            return "lower(c.origin_name) LIKE %s ESCAPE '\\'", [like(nocase(n.value))]
        return "lower(c.origin_name) = %s", [nocase(n.value)]
    if n.prefix:
        return "c.origin_code LIKE %s ESCAPE '\\'", [like(n.value)]
    return "c.origin_code = %s", [n.value]


def _origin_dv(n: Origin, dv: Any) -> Any:
    if n.by_name:
        return None
    if n.prefix:
        return np.isin(dv.origin.codes, dv.origin.matching(glob(n.value))) & dv.present
    return (dv.origin.codes == dv.origin.lookup(n.value)) & dv.present


def _tag_sqlite(n: Tag, _: Any) -> SQL:
    cond = "code GLOB ?" if n.prefix else "code = ?"
    value = glob(n.code) if n.prefix else n.code
    return f"c.key IN (SELECT cable_key FROM cable_tags WHERE {cond})", [value]


def _tag_pg(n: Tag, _: Any) -> SQL:
    if n.prefix:
        return ("c.id IN (SELECT cable_id FROM tags WHERE code LIKE %s ESCAPE '\\')",
                [like(n.code)])  # fmt: skip
    return "c.id IN (SELECT cable_id FROM tags WHERE code = %s)", [n.code]


def _tag_dv(n: Tag, dv: Any) -> Any:
    values = dv.tags
    codes = (
        values.matching(glob(n.code)) if n.prefix
        else np.array([values.lookup(n.code)], dtype=np.int32)
    )  # fmt: skip
    return values.mask(dv.n, codes) & dv.present


_CLASS_OP = re.compile(r"(>=|<=|=|>|<)?\s*(.*)", re.S)
_OPS = {"=", "<", "<=", ">", ">="}


def _class(v: Value) -> Classification:
    m = _CLASS_OP.fullmatch(v.text)
    assert m is not None
    op = m.group(1) or "="
    name = " ".join(m.group(2).upper().replace("_", " ").split())
    level = CLASS_LEVELS.get(name)
    if level is None:
        known = ", ".join(f"{a} ({n})" for a, n in zip(CLASS_ABBR, CLASSIFICATION_LEVELS))
        hint = " (for caveats use caveat:NOFORN)" if "/" in name else ""
        raise v.error(
            f"unknown classification '{m.group(2)}'; use one of {known}, "
            f"optionally after >=, >, <= or <{hint}",
            len(m.group(1)) if m.group(1) else 0,
        )
    return Classification(op, level, pos=v.pos)


def _class_sqlite(n: Classification, _: Any) -> SQL:
    return f"c.class_level {n.op} ?", [n.level]


def _class_pg(n: Classification, _: Any) -> SQL:
    if n.op not in _OPS:  # pragma: no cover - the parser only makes these
        raise QueryError(f"bad comparison {n.op!r}", n.pos)
    return f"c.class_level {n.op} %s", [n.level]


def _class_dv(n: Classification, dv: Any) -> Any:
    levels = dv.class_level.astype(np.int16)
    op = {"=": np.equal, ">=": np.greater_equal, "<=": np.less_equal,
          ">": np.greater, "<": np.less, "!=": np.not_equal}[n.op]  # fmt: skip
    return op(levels, n.level) & dv.present


def _class_facet(value: str) -> str:
    level = classification_level(value)
    if 0 <= level < len(CLASS_ABBR):
        return f"class:{CLASS_ABBR[level]}"
    return "class:" + quote_value(value)


def _caveat(v: Value) -> Caveat:
    code = _code(v.text)
    return Caveat(CAVEAT_ALIASES.get(code, code), pos=v.pos)


def _caveat_dv(n: Caveat, dv: Any) -> Any:
    codes = np.array([dv.caveats.lookup(n.name)], dtype=np.int32)
    return dv.caveats.mask(dv.n, codes) & dv.present


_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def _parse_date(text: str, pos: int, q: str, *, end: bool) -> str:
    """A year, month or day as the first (or, with ``end``, last) ISO day it covers."""
    m = _DATE.fullmatch(text)
    if not m:
        raise QueryError(f"bad date '{text}': use YYYY, YYYY-MM or YYYY-MM-DD", pos, q)
    year = int(m.group(1))
    if year < 1:
        raise QueryError(f"bad date '{text}': there is no year 0", pos, q)
    if m.group(2) is None:
        return f"{year:04d}-12-31" if end else f"{year:04d}-01-01"
    month = int(m.group(2))
    if not 1 <= month <= 12:
        raise QueryError(f"bad date '{text}': month must be 01 to 12", pos + 5, q)
    last = calendar.monthrange(year, month)[1]
    if m.group(3) is None:
        day = last if end else 1
    else:
        day = int(m.group(3))
        if not 1 <= day <= last:
            raise QueryError(
                f"bad date '{text}': day must be 01 to {last} in {year:04d}-{month:02d}",
                pos + 5 + len(m.group(2)) + 1,
                q,
            )
    return f"{year:04d}-{month:02d}-{day:02d}"


def _date(v: Value) -> DateRange:
    text, p, q = v.text.strip(), v.value_pos, v.query
    if v.name == "from":
        return DateRange(_parse_date(text, p, q, end=False), None, pos=v.pos)
    if v.name == "to":
        return DateRange(None, _parse_date(text, p, q, end=True), pos=v.pos)
    if v.name == "year":
        at = p
        for part in text.split("..", 1):
            if part and not re.fullmatch(r"\d{4}", part):
                raise QueryError(f"bad year '{part}': use four digits, as in year:2009", at, q)
            at += len(part) + 2
    if ".." in text:
        a, b = text.split("..", 1)
        if not a and not b:
            raise QueryError("a date range needs at least one end, as in date:2009-05..", p, q)
        start = _parse_date(a, p, q, end=False) if a else None
        stop = _parse_date(b, p + len(a) + 2, q, end=True) if b else None
        if start and stop and start > stop:
            raise QueryError(f"date range '{text}' ends before it starts", p, q)
        return DateRange(start, stop, pos=v.pos)
    return DateRange(_parse_date(text, p, q, end=False), _parse_date(text, p, q, end=True),
                     pos=v.pos)  # fmt: skip


def _date_sqlite(n: DateRange, _: Any) -> SQL:
    conds, params = ["c.date IS NOT NULL"], []
    if n.start:
        conds.append("c.date >= ?")
        params.append(n.start)
    if n.end:
        # '~' sorts after digits and 'T', so a date with a time part still counts.
        conds.append("c.date <= ?")
        params.append(n.end + "~")
    return "(" + " AND ".join(conds) + ")", params


def _date_pg(n: DateRange, _: Any) -> SQL:
    conds, params = [], []
    if n.start:
        conds.append("c.date >= %s")
        params.append(n.start)
    if n.end:
        conds.append("c.date <= %s")
        params.append(n.end + "~")
    return "(" + " AND ".join(conds) + ")", params


def _day(iso: str) -> int:
    digits = iso[:10].replace("-", "")
    return int(digits) if digits.isdigit() else NO_DATE


def _date_dv(n: DateRange, dv: Any) -> Any:
    out = dv.present & (dv.day != NO_DATE)
    if n.start:
        out &= dv.day >= _day(n.start)
    if n.end:
        out &= dv.day <= _day(n.end)
    return out


def _subject(v: Value) -> Text:
    tokens = tokenize_text(v.text.strip())
    if not tokens:
        raise v.error("subject: needs a word with letters or digits")
    return Text(tokens, prefix=v.prefix, field="subject", pos=v.pos)


# An alias (WikiLeaks' 09EFTOLONDON2239 for 09LONDON2239: table `aliases`) names the cable too.
def _id_sqlite(n: CableId, _: Any) -> SQL:
    if n.prefix:
        return "c.id GLOB ?", [glob(n.id)]
    return "c.id IN (?, (SELECT cable_id FROM aliases WHERE alias = ?))", [n.id, n.id]


def _id_pg(n: CableId, _: Any) -> SQL:
    if n.prefix:
        return "c.id LIKE %s ESCAPE '\\'", [like(n.id)]
    return "c.id IN (%s, (SELECT cable_id FROM aliases WHERE alias = %s))", [n.id, n.id]


def _signer_sqlite(n: Signer, _: Any) -> SQL:
    if n.prefix:
        return "c.signer LIKE ? ESCAPE '\\'", [like(n.name)]
    return "c.signer = ? COLLATE NOCASE", [n.name]


def _signer_pg(n: Signer, _: Any) -> SQL:
    if n.prefix:
        return "lower(c.signer) LIKE %s ESCAPE '\\'", [like(nocase(n.name))]
    return "lower(c.signer) = %s", [nocase(n.name)]


def _entity(v: Value) -> Entity:
    return Entity(v.name, " ".join(v.text.split()), pos=v.pos)


def _entity_sql(n: Entity, compiler: Any) -> SQL:
    return compiler.entity(n)  # the compiler knows whether the entity tables are there


def entity_tables(columns: Callable[[str], set[str]]) -> tuple[bool, bool]:
    """Whether the entity tables are there, and whether ``mentions`` has ``portion_id``,
    from ``columns(table)``: a table's column names, read from the backend's catalogue.
    The contract with `cablegram enrich` (docs/search.md): entities(entity_id, kind, name)
    and mentions(entity_id, cable_id[, portion_id])."""
    entities, mentions = columns("entities"), columns("mentions")
    ok = {"entity_id", "kind", "name"} <= entities and {"entity_id", "cable_id"} <= mentions
    return ok, "portion_id" in mentions


def entity_mentions(
    n: Entity,
    visible: Visibility | None,
    tables: tuple[bool, bool],
    placeholders: Callable[[str], str] = str,
) -> SQL:
    """The start of both engines' entity filter: the mentions of entities (joined to
    the reader's visible portions), for the engine to close with its name match.
    ``tables``: ``entity_tables``; ``placeholders`` turns the ``?`` of the visibility
    clause into the engine's."""
    ok, mention_portions = tables
    if not ok:
        raise QueryError(
            f"{n.kind}: filters need entity tables; run `cablegram enrich` first", n.pos
        )
    sql = "c.id IN (SELECT m.cable_id FROM mentions m JOIN entities e ON e.entity_id = m.entity_id"
    params: list[Any] = []
    if visible is not None:
        if not mention_portions:
            raise QueryError(
                f"{n.kind}: filters cannot be restricted to visible text "
                "(mentions lack portion_id); re-run `cablegram enrich`",
                n.pos,
            )
        vis, params = visible.portion_clause("vp")
        sql += f" JOIN portions vp ON vp.portion_id = m.portion_id AND {placeholders(vis)}"
    return sql, params


def _precedence(v: Value) -> FieldFilter:
    words = " ".join(v.text.upper().replace("_", " ").split())
    name = precedence_name(words)
    if not name or (words != name and " " in words):  # a name or a one-letter prosign
        raise v.error(
            f"unknown precedence '{v.text.strip()}'; use one of FLASH (Z), IMMEDIATE (O), "
            "NIACT IMMEDIATE (NIACT), PRIORITY (P), ROUTINE (R)"
        )
    return FieldFilter("precedence", name, pos=v.pos)


def _lint(v: Value) -> FieldFilter:
    from cablegram.telegram.lint import RULES

    rule = v.text.strip().lower()
    if rule not in RULES:
        raise v.error(f"lint: no rule {v.text.strip()}; the rules are {', '.join(RULES)}")
    return FieldFilter("lint", rule, pos=v.pos)


def _lint_sql(mark: str, pg: bool) -> Callable[[FieldFilter, Any], SQL]:
    # Contract with `cablegram lint --db` (cablegram.telegram.anomalies): lint_findings,
    # written by that command; without it the filter says what to run.
    def sql(n: FieldFilter, compiler: Any) -> SQL:
        from cablegram.telegram.anomalies import findings_table

        if not findings_table(compiler.conn, pg=pg):
            raise QueryError("lint: filters need lint findings; run `cablegram lint --db "
                             "ARCHIVE` first", n.pos)  # fmt: skip
        return f"c.id IN (SELECT cable_id FROM lint_findings WHERE rule = {mark})", [n.value]

    return sql


def _generic_unparse(n: FieldFilter) -> str:
    return f"{n.field}:" + _quote(n.value) + ("*" if n.prefix else "")


def _entity_spec(kind: str, example: str) -> FieldSpec:
    return FieldSpec(kind, example, _entity, Entity, _entity_sql, _entity_sql,
                     unparse=lambda n: f"{n.kind}:" + _quote(n.value))  # fmt: skip


def _date_spec(name: str, example: str, **kw: Any) -> FieldSpec:
    return FieldSpec(name, example, _date, DateRange, _date_sqlite, _date_pg,
                     docvalues=_date_dv,
                     unparse=lambda n: f"date:{n.start or ''}..{n.end or ''}", **kw)  # fmt: skip


def _similar(v: Value) -> FieldFilter:
    return FieldFilter("similar", _code(v.text), pos=v.pos)


def _topic(v: Value) -> FieldFilter:
    if not v.text.strip().isdigit():
        raise v.error("topic: takes a topic number, as in topic:3")
    return FieldFilter("topic", str(int(v.text.strip())), pos=v.pos)


def _predicted(v: Value) -> FieldFilter:
    value = v.text.strip().lower()
    if value not in ("classified", "unclassified"):
        raise v.error("predicted: is classified or unclassified")
    return FieldFilter("predicted", value, pos=v.pos)


def _classify_sqlite(n: FieldFilter, compiler: Any) -> SQL:
    from cablegram.classify.filters import where  # the tables `cablegram classify` writes

    return where(compiler.conn, n, compiler.visible)


def _classify_pg(n: FieldFilter, _: Any) -> SQL:
    raise QueryError(f"{n.field}: is not available on PostgreSQL yet", n.pos)


def _classify_spec(name: str, example: str, build: Callable[[Value], Node],
                   help: tuple[str, str] | None = None) -> FieldSpec:  # fmt: skip
    return FieldSpec(name, example, build, FieldFilter, _classify_sqlite, _classify_pg,
                     help=help)  # fmt: skip


# --- the table ----------------------------------------------------------------------------

FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "origin", "origin:BAKU", _origin, Origin, _origin_sqlite, _origin_pg, wildcard=True,
        docvalues=_origin_dv,
        unparse=lambda n: "origin:" + _quote(n.value) + ("*" if n.prefix else ""),
        help=("origin:BAKU", 'sending post (origin:"Embassy Baku" by name)'),
        facet="origin", facet_title="Origin",
    ),
    FieldSpec(
        "tag", "tag:PGOV", lambda v: Tag(_code(v.text), prefix=v.prefix, pos=v.pos), Tag,
        _tag_sqlite, _tag_pg, aliases=("tags",), wildcard=True, docvalues=_tag_dv,
        unparse=lambda n: "tag:" + _quote(n.code) + ("*" if n.prefix else ""),
        help=("tag:PGOV", "TAGS (subjects, countries, organisations)"),
        facet="tag", facet_title="Tags",
    ),
    FieldSpec(
        "class", "class:SECRET", _class, Classification, _class_sqlite, _class_pg,
        aliases=("classification",), docvalues=_class_dv,
        unparse=lambda n: f"class:{'' if n.op == '=' else n.op}{CLASS_ABBR[n.level]}",
        help=("class:C, class:>=S", "classification: U, LOU, SBU, C, S, TS"),
        facet="classification", facet_title="Classification", facet_filter=_class_facet,
    ),
    FieldSpec(
        "caveat", "caveat:NOFORN", _caveat, Caveat,
        lambda n, _: ("c.key IN (SELECT cable_key FROM cable_caveats WHERE caveat = ?)",
                      [n.name]),
        lambda n, _: ("c.id IN (SELECT cable_id FROM caveats WHERE caveat = %s)", [n.name]),
        aliases=("caveats",), docvalues=_caveat_dv,
        unparse=lambda n: "caveat:" + _quote(n.name),
        help=("caveat:NOFORN", "handling caveat"), facet="caveat", facet_title="Caveats",
    ),
    _date_spec("date", "date:2009-01..2009-06",
               help=("date:2009-06, year:2009, from:, to:", "dates; ranges with .."),
               facet="month", facet_filter=lambda v: f"date:{v}"),
    _date_spec("from", "from:2009-05-01"),
    _date_spec("to", "to:2009-06-30"),
    _date_spec("year", "year:2009", facet="year", facet_title="Year",
               facet_filter=lambda v: f"year:{v}"),
    FieldSpec(
        "id", "id:09BAKU433", lambda v: CableId(_code(v.text), prefix=v.prefix, pos=v.pos),
        CableId, _id_sqlite, _id_pg, wildcard=True,
        unparse=lambda n: "id:" + _quote(n.id) + ("*" if n.prefix else ""),
        help=("id:09BAKU433, ref:08BAKU123", "a cable; cables citing one"),
    ),
    FieldSpec(
        "ref", "ref:08BAKU123", lambda v: Ref(_code(v.text), pos=v.pos), Ref,
        lambda n, _: ("c.key IN (SELECT cable_key FROM cable_refs WHERE ref_id IN "
                      "(?, (SELECT cable_id FROM aliases WHERE alias = ?)))", [n.id, n.id]),
        lambda n, _: ("c.id IN (SELECT cable_id FROM refs WHERE ref_id IN "
                      "(%s, (SELECT cable_id FROM aliases WHERE alias = %s)))", [n.id, n.id]),
        unparse=lambda n: "ref:" + _quote(n.id),
    ),
    FieldSpec(
        "subject", 'subject:"naval base"', _subject, Text, None, None, wildcard=True,
        help=("subject:word, signer:DERSE", "subject line; who signed"),
    ),
    FieldSpec(
        "signer", "signer:DERSE",
        lambda v: Signer(" ".join(v.text.split()).upper(), prefix=v.prefix, pos=v.pos),
        Signer, _signer_sqlite, _signer_pg, wildcard=True,
        unparse=lambda n: "signer:" + _quote(n.name) + ("*" if n.prefix else ""),
        facet="signer", facet_title="Signer",
    ),
    _entity_spec("person", 'person:"Ilham Aliyev"'),
    _entity_spec("org", "org:SOCAR"),
    _entity_spec("place", "place:Nakhchivan"),
    FieldSpec(
        "precedence", "precedence:IMMEDIATE", _precedence, FieldFilter,
        lambda n, _: ("c.precedence = ?", [n.value]),
        lambda n, _: ("c.precedence = %s", [n.value]),
        aliases=("prec",),
        help=("precedence:IMMEDIATE", "FLASH, IMMEDIATE, PRIORITY, ROUTINE (or Z, O, P, R)"),
    ),
    # cablegram.classify (docs/classify.md): each reads only what the reader may see.
    _classify_spec("similar", "similar:09BAKU433", _similar,
                   help=("similar:09BAKU433", "the 50 cables most like one")),
    _classify_spec("topic", "topic:3", _topic, help=("topic:3", "a learnt topic")),
    _classify_spec("predicted", "predicted:classified", _predicted,
                   help=("predicted:unclassified", "reviewers: the model's reading")),
    FieldSpec(
        "lint", "lint:portion-above-banner", _lint, FieldFilter,
        _lint_sql("?", pg=False), _lint_sql("%s", pg=True),
        help=("lint:portion-above-banner", "cables breaking a lint rule (see Anomalies)"),
    ),
)  # fmt: skip

_BY_NAME: dict[str, FieldSpec] = {}
for _spec in FIELDS:
    for _name in (_spec.name, *_spec.aliases):
        _BY_NAME[_name] = _spec
# A node class answers to the first field that builds it (date, from, to and year build a
# DateRange, filtered alike); a FieldFilter to its own field.
_BY_NODE: dict[type, FieldSpec] = {}
for _spec in FIELDS:
    if _spec.node is not FieldFilter:
        _BY_NODE.setdefault(_spec.node, _spec)


def field(name: str) -> FieldSpec | None:
    """The field called ``name`` (or one of its aliases), lower-cased; None if none is."""
    return _BY_NAME.get(name.lower())


def spec_for(node: Node) -> FieldSpec:
    """The field a filter node came from, for the compilers."""
    if isinstance(node, FieldFilter):
        return _BY_NAME[node.field]
    if isinstance(node, Entity):
        return _BY_NAME[node.kind]
    spec = _BY_NODE.get(type(node))
    if spec is None:
        raise TypeError(f"not a query node: {node!r}")
    return spec


def unparse_filter(node: Node) -> str:
    write: Callable[[Any], str] = spec_for(node).unparse or _generic_unparse
    return write(node)


# --- what the pages show ------------------------------------------------------------------

SYNTAX: list[tuple[str, str]] = [
    ("word word", "both words, anywhere in the cable (AND is implied)"),
    ('"exact phrase"', "the words together, in one paragraph"),
    ("a OR b", "either; OR binds tighter than AND"),
    ("-word, NOT word", "without"),
    ("( )", "grouping"),
    ("kara*", "a prefix"),
    *(spec.help for spec in FIELDS if spec.help),
]


def facet_titles() -> dict[str, str]:
    """Facet name -> heading, for the facets the search page lists, classification first
    after origin (the order readers narrow a search in)."""
    listed = {s.facet: s.facet_title for s in FIELDS if s.facet and s.facet_title}
    order = ("origin", "classification")
    return {**{k: listed[k] for k in order if k in listed}, **listed}


def facet_filter(name: str, value: str) -> str:
    """The query filter selecting one facet value: ``tag:PGOV``, ``date:2009-06``..."""
    for spec in FIELDS:
        if spec.facet == name:
            if spec.facet_filter is not None:
                return spec.facet_filter(value)
            return f"{spec.name}:{quote_value(value)}"
    return f"{name}:{quote_value(value)}"


def facet_label(name: str, value: str, labels: dict[str, dict[str, str]]) -> str:
    label = labels.get(name, {}).get(value, "")
    if not label and name == "tag":
        # A code the reference data does not know (RU, an ISO code for FIPS RS) is said to
        # be unknown; the facet shows the code beside it.
        label = tag(value).name or UNKNOWN_TAG
    if name == "classification":
        label = value.title()
    return label or value
