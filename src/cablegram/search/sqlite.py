"""Run a parsed query against the SQLite store (``store/schema_sqlite.sql``).

How a search runs, and why:

1. Each distinct word/phrase is matched once in ``portions_fts``; its matching cables, with
   a score, go to a temp table. Booleans then work on cables, so ``A AND B`` matches A in
   one paragraph and B in another, while a phrase or a prefix must match inside one
   portion (that is what FTS5 does per row). The rarest word every match must contain is
   matched first and "drives" the query; a much commoner required word is then looked for
   only inside the driver's cables (one rowid-range seek per cable).
2. The whole query becomes one ``WHERE`` over ``cables`` (words as ``c.id IN (temp)``,
   filters as indexed columns or ``IN`` sub-selects), evaluated over the driver's cables
   (or all cables if there is none), and the matching set is written once to a temp table
   with the columns the page and the facets need. Total, page and facets are then scans of
   that table instead of re-running the query.
3. Snippets are fetched only for the page, with FTS5 ``highlight()``.

User text reaches SQL only as bound parameters; FTS5 MATCH strings are built from tokens,
each phrase quoted as an FTS5 string, so no input can produce an FTS5 syntax error.
Access control goes through ``Visibility.portion_clause`` and nowhere else.
"""

from __future__ import annotations

import html
import itertools
import math
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from cablegram.search.query import (
    And,
    CableId,
    Caveat,
    Classification,
    DateRange,
    Entity,
    Filter,
    Node,
    Not,
    Or,
    Origin,
    QueryError,
    Ref,
    Signer,
    Tag,
    Text,
    parse_query,
)
from cablegram.search.visibility import Visibility

__all__ = [
    "MAX_PER_PAGE",
    "SORTS",
    "Hit",
    "SearchResult",
    "Snippet",
    "Visibility",
    "iter_ids",
    "search",
    "search_ids",
]

MAX_PER_PAGE = 100
SORTS = ("relevance", "date", "date-asc")
SNIPPETS_PER_HIT = 3
SNIPPET_WIDTH = 240  # characters of context around the first highlight
# Ranking. bm25 costs ~4 us per matching portion (it reads each portion's length and term
# frequencies), so a word gets exact bm25 (best portion per cable) only while it matches at
# most RANK_BUDGET portions. A commoner word gets a cheap estimate on the same scale:
# idf * saturated count of matching portions, plus idf again when it is in the subject line.
RANK_BUDGET = 5_000
K1 = 1.2  # FTS5's bm25 k1
# A required word with more than RESTRICT_RATIO matching portions per cable of the rarest
# required word is matched only inside that word's cables (see _fill_leaves).
RESTRICT_RATIO = 40
FACETS = ("origin", "year", "month", "classification", "caveat", "tag", "signer")

_OPEN, _CLOSE = "\x02", "\x03"  # highlight() markers; control characters never in cable text
_ids = itertools.count(1)  # temp table names: unique per call even if a connection is shared


@dataclass
class Snippet:
    """A paragraph excerpt; ``highlights`` are ``(start, end)`` offsets into ``text``."""

    number: int | None
    marking: str
    text: str
    highlights: list[tuple[int, int]] = field(default_factory=list)

    def html(self) -> str:
        """The text HTML-escaped, each highlight wrapped in ``<mark>``."""
        out: list[str] = []
        at = 0
        for start, end in self.highlights:
            out.append(html.escape(self.text[at:start]))
            out.append("<mark>" + html.escape(self.text[start:end]) + "</mark>")
            at = end
        out.append(html.escape(self.text[at:]))
        return "".join(out)


@dataclass
class Hit:
    id: str
    score: float  # higher is better; 0 for filter-only queries
    subject: str
    date: str | None
    origin_code: str
    origin_name: str
    classification: str
    snippets: list[Snippet] = field(default_factory=list)


@dataclass
class SearchResult:
    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]
    page: int
    per_page: int
    sort: str
    # Display names for facet values where the value is a code: origin BAKU -> Embassy Baku,
    # tag PGOV -> its name.
    facet_labels: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# --------------------------------------------------------------------- compiler


@dataclass
class _Leaf:
    node: Text
    table: str
    match: str
    positive: bool = False  # occurs under an even number of NOTs: ranks and highlights
    negative: bool = False
    uses: int = 0  # occurrences in the query
    rank: str = "none"  # bm25 | estimate | none: how this leaf contributes to the score
    within: str = ""  # matched only inside the cables of this temp table (see _fill_leaves)
    exact: int = -1  # exact matching-portion count, when known
    cables: int = 0  # rows written to its table


def fts_match(node: Text) -> str:
    """The FTS5 MATCH string for one word/phrase: a single quoted FTS5 string."""
    body = " ".join(node.tokens).replace('"', '""')
    return f'"{body}"' + ("*" if node.prefix else "")


def _glob(prefix: str) -> str:
    # GLOB (case-sensitive, so it can use the BINARY indexes) with its wildcards escaped.
    return "".join(f"[{ch}]" if ch in "*?[" else ch for ch in prefix) + "*"


def _like(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class _Compiler:
    def __init__(self, conn: sqlite3.Connection, visible: Visibility | None, tag: int) -> None:
        self.conn = conn
        self.visible = visible
        self.tag = tag
        self.leaves: dict[tuple, _Leaf] = {}
        self.source = ""  # a candidate table to drive the final query from, if not a leaf
        self._entities_ok: bool | None = None

    def leaf(self, node: Text, negated: bool) -> _Leaf:
        key = (node.tokens, node.prefix, node.field)
        leaf = self.leaves.get(key)
        if leaf is None:
            table = f"temp.cg_leaf_{self.tag}_{len(self.leaves)}"
            leaf = self.leaves[key] = _Leaf(node, table, fts_match(node))
        leaf.uses += 1
        if negated:
            leaf.negative = True
        else:
            leaf.positive = True
        return leaf

    def where(self, node: Node, negated: bool = False) -> tuple[str, list[object]]:
        """A SQL condition on the ``cables`` row ``c`` that holds when ``node`` matches."""
        if isinstance(node, And | Or):
            parts = [self.where(item, negated) for item in node.items]
            op = " AND " if isinstance(node, And) else " OR "
            return "(" + op.join(s for s, _ in parts) + ")", [p for _, ps in parts for p in ps]
        if isinstance(node, Not):
            sql, params = self.where(node.item, not negated)
            return f"NOT {sql}", params
        if isinstance(node, Text):
            leaf = self.leaf(node, negated)
            return f"c.id IN (SELECT cable_id FROM {leaf.table})", []
        if isinstance(node, Origin):
            if node.by_name:
                if node.prefix:
                    return "c.origin_name LIKE ? ESCAPE '\\'", [_like(node.value)]
                return "c.origin_name = ? COLLATE NOCASE", [node.value]
            if node.prefix:
                return "c.origin_code GLOB ?", [_glob(node.value)]
            return "c.origin_code = ?", [node.value]
        if isinstance(node, Tag):
            cond = "code GLOB ?" if node.prefix else "code = ?"
            value = _glob(node.code) if node.prefix else node.code
            return f"c.id IN (SELECT cable_id FROM tags WHERE {cond})", [value]
        if isinstance(node, Classification):
            return f"c.class_level {node.op} ?", [node.level]
        if isinstance(node, Caveat):
            return "c.id IN (SELECT cable_id FROM caveats WHERE caveat = ?)", [node.name]
        if isinstance(node, DateRange):
            conds, params = [], []
            if node.start:
                conds.append("c.date >= ?")
                params.append(node.start)
            if node.end:
                # '~' sorts after digits and 'T', so a date with a time part still counts.
                conds.append("c.date <= ?")
                params.append(node.end + "~")
            return "(" + " AND ".join(conds) + ")", params
        if isinstance(node, CableId):
            if node.prefix:
                return "c.id GLOB ?", [_glob(node.id)]
            return "c.id = ?", [node.id]
        if isinstance(node, Ref):
            return "c.id IN (SELECT cable_id FROM refs WHERE ref_id = ?)", [node.id]
        if isinstance(node, Signer):
            if node.prefix:
                return "c.signer LIKE ? ESCAPE '\\'", [_like(node.name)]
            return "c.signer = ? COLLATE NOCASE", [node.name]
        if isinstance(node, Entity):
            return self.entity(node)
        raise TypeError(f"not a query node: {node!r}")

    def entity(self, node: Entity) -> tuple[str, list[object]]:
        # Contract with `cablegram enrich` (docs/search.md): entities(entity_id, kind, name)
        # and mentions(entity_id, cable_id[, portion_id]).
        if self._entities_ok is None:
            cols: dict[str, set[str]] = {}
            for table in ("entities", "mentions"):
                rows = self.conn.execute(
                    "SELECT name FROM pragma_table_info(?)", (table,)
                ).fetchall()
                cols[table] = {r[0] for r in rows}
            self._entities_ok = {"entity_id", "kind", "name"} <= cols["entities"] and {
                "entity_id",
                "cable_id",
            } <= cols["mentions"]
            self._mention_portions = "portion_id" in cols["mentions"]
        if not self._entities_ok:
            raise QueryError(
                f"{node.kind}: filters need entity tables; run `cablegram enrich` first", node.pos
            )
        sql = (
            "c.id IN (SELECT m.cable_id FROM mentions m JOIN entities e "
            "ON e.entity_id = m.entity_id"
        )
        params: list[object] = []
        if self.visible is not None:
            if not self._mention_portions:
                raise QueryError(
                    f"{node.kind}: filters cannot be restricted to visible text "
                    "(mentions lack portion_id); re-run `cablegram enrich`",
                    node.pos,
                )
            vis, params = self.visible.portion_clause("vp")
            sql += f" JOIN portions vp ON vp.portion_id = m.portion_id AND {vis}"
        # An entity answers to its name and to every form it is written in (aliases:
        # person:Abiyev finds Safar Abiyev), when the enrichment wrote entity_aliases.
        aliases = getattr(self, "_entity_aliases", None)
        if aliases is None:
            aliases = self._entity_aliases = bool(
                self.conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'entity_aliases'"
                ).fetchone()
            )
        if not aliases:
            sql += " WHERE e.kind = ? AND e.name = ? COLLATE NOCASE)"
            return sql, [*params, node.kind, node.value]
        sql += (
            " WHERE e.kind = ? AND (e.name = ? COLLATE NOCASE OR e.entity_id IN "
            "(SELECT a.entity_id FROM entity_aliases a WHERE a.alias = ? COLLATE NOCASE)))"
        )
        return sql, [*params, node.kind, node.value, node.value]


def _guarantees_visible(node: Node) -> bool:
    """True when every cable matching ``node`` matched some (visible) portion's text."""
    if isinstance(node, Text):
        return True
    if isinstance(node, And):
        return any(_guarantees_visible(item) for item in node.items)
    if isinstance(node, Or):
        return all(_guarantees_visible(item) for item in node.items)
    return False


# ----------------------------------------------------------------------- search


def search(
    conn: sqlite3.Connection,
    q: str,
    *,
    page: int = 1,
    per_page: int = 20,
    sort: str = "relevance",
    facets: bool = True,
    facet_limit: int = 20,
    visible: Visibility | None = None,
) -> SearchResult:
    """Search the cables. Raises ``QueryError`` for a malformed query, ``ValueError`` for
    bad paging or sort arguments. ``per_page`` is capped at ``MAX_PER_PAGE``."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    if page < 1 or per_page < 1:
        raise ValueError("page and per_page start at 1")
    per_page = min(per_page, MAX_PER_PAGE)
    with _matching(conn, q, visible) as m:
        total = conn.execute(f"SELECT count(*) FROM {m.table}").fetchone()[0]
        hits = _page(conn, m.table, sort if m.ranked else _date_sort(sort), page, per_page)
        if hits:
            _subjects(conn, hits, visible)
            _snippets(conn, hits, [leaf for leaf in m.ranked if leaf.node.field is None], visible)
        facet_values: dict[str, list[tuple[str, int]]] = {}
        labels: dict[str, dict[str, str]] = {}
        if facets and total:
            facet_values, labels = _facets(conn, m.table, facet_limit)
        elif facets:
            facet_values = {name: [] for name in FACETS}
    return SearchResult(q, total, hits, facet_values, page, per_page, sort, labels)


def search_ids(
    conn: sqlite3.Connection, q: str, *, visible: Visibility | None = None, sort: str = "date"
) -> list[str]:
    """Every matching cable id (no paging, no facets), for export and bulk work."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    with _matching(conn, q, visible) as m:
        order = _ORDER[sort if m.ranked else _date_sort(sort)]
        return [r[0] for r in conn.execute(f"SELECT id FROM {m.table} ORDER BY {order}")]


def iter_ids(
    conn: sqlite3.Connection, q: str, *, visible: Visibility | None = None
) -> Iterator[str]:
    """``search_ids`` newest first, as an iterator (the store's streaming entry point)."""
    yield from search_ids(conn, q, visible=visible)


@dataclass
class _Matched:
    table: str  # temp table of the matching cables (id, score and the facet columns)
    ranked: list[_Leaf]  # the words that rank and highlight


@contextmanager
def _matching(conn: sqlite3.Connection, q: str, visible: Visibility | None) -> Iterator[_Matched]:
    """Parse, compile and run ``q``; the matching set lives in a temp table for the body of
    the ``with``. Everything runs in one read transaction (one snapshot), and the temp
    tables are dropped however the body ends."""
    node = parse_query(q)
    comp = _Compiler(conn, visible, next(_ids))
    try:
        where, params = comp.where(node)
    except QueryError as e:
        e.query = q
        raise
    hits_table = f"temp.cg_hits_{comp.tag}"
    created: list[str] = []
    began = not conn.in_transaction
    if began:
        conn.execute("BEGIN")
    try:
        driver = _fill_leaves(conn, comp, node, visible, created)
        ranked = [leaf for leaf in comp.leaves.values() if leaf.positive]
        by_driver = driver is not None and not comp.source
        scores = [
            f"coalesce((SELECT score FROM {leaf.table} WHERE cable_id = c.id), 0)"
            for leaf in ranked
            if leaf.rank != "none" and not (by_driver and leaf is driver)
        ]
        if by_driver and driver is not None and driver.rank != "none":
            scores.insert(0, "d.score")
        cond = where
        if visible is not None and not _guarantees_visible(node):
            vis, vparams = visible.portion_clause("vp")
            cond += f" AND EXISTS (SELECT 1 FROM portions vp WHERE vp.cable_id = c.id AND {vis})"
            params = [*params, *vparams]
        # Driving from the rarest required word's cables (instead of testing every cable)
        # is what keeps a selective query cheap on a large archive.
        table = comp.source or (driver.table if driver is not None else "")
        source = f"{table} d CROSS JOIN cables c ON c.id = d.cable_id" if table else "cables c"
        created.append(hits_table)
        conn.execute(
            f"CREATE TEMP TABLE {hits_table.split('.', 1)[1]} ("
            "id TEXT, score REAL, date TEXT, origin_code TEXT, origin_name TEXT, "
            "year INTEGER, month TEXT, classification TEXT, signer TEXT)"
        )
        conn.execute(
            f"INSERT INTO {hits_table} SELECT c.id, {' + '.join(scores) or '0'}, c.date, "
            "c.origin_code, c.origin_name, c.year, c.month, c.classification, c.signer "
            f"FROM {source} WHERE {cond}",
            params,
        )
        yield _Matched(hits_table, ranked)
    finally:
        for table in reversed(created):
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        if began and conn.in_transaction:
            conn.execute("COMMIT")


def _date_sort(sort: str) -> str:
    # Without words to rank by, "relevance" means newest first.
    return "date" if sort == "relevance" else sort


def _required(node: Node) -> list[Node]:
    """The terms every match must satisfy: the root, or the root AND's items."""
    return list(node.items) if isinstance(node, And) else [node]


def _count(conn: sqlite3.Connection, match: str, cap: int | None = None) -> int:
    # Counting FTS rows without touching `portions` is ~25x cheaper than matching them; a
    # cap bounds it further when only "more than X?" matters.
    if cap is None:
        sql, args = "SELECT count(*) FROM portions_fts WHERE portions_fts MATCH ?", [match]
    else:
        sql = "SELECT count(*) FROM (SELECT 1 FROM portions_fts WHERE portions_fts MATCH ? LIMIT ?)"
        args = [match, cap]
    return conn.execute(sql, args).fetchone()[0]


def _idf(n: int, total: int) -> float:
    # As FTS5's bm25: log((N - n + 0.5) / (n + 0.5)), floored at 1e-6.
    return max(1e-6, math.log((total - n + 0.5) / (n + 0.5))) if total > n else 1e-6


def _fill_leaves(
    conn: sqlite3.Connection,
    comp: _Compiler,
    node: Node,
    visible: Visibility | None,
    created: list[str],
) -> _Leaf | None:
    """Write every leaf's matching cables to its temp table; return the driving leaf (the
    rarest word every match must contain), or None.

    Matching a word costs ~1 us per matching portion; seeking one cable's portions costs
    ~40 us. So a common word is matched only inside a candidate set when that set is more
    than RESTRICT_RATIO times smaller than the word's portion count: the cables of the
    required filters (``pipeline date:2009-01``: a facet drill-down) for the driver, the
    driver's cables for the other required words."""
    leaves = list(comp.leaves.values())
    counts = {id(leaf): _count(conn, leaf.match, RANK_BUDGET + 1) for leaf in leaves}
    required = _required(node)
    words = [comp.leaves[(t.tokens, t.prefix, t.field)] for t in required if isinstance(t, Text)]
    # Phrases are rarer than their words: prefer them among equally capped counts.
    words.sort(key=lambda leaf: (counts[id(leaf)], -len(leaf.node.tokens)))
    driver = words[0] if words else None
    total = 0

    def idf_of(leaf: _Leaf) -> float:
        nonlocal total
        total = total or conn.execute("SELECT max(portion_id) FROM portions").fetchone()[0] or 0
        return _idf(leaf.exact if leaf.exact >= 0 else _count(conn, leaf.match), total)

    filters = [t for t in required if isinstance(t, Filter)]
    if driver is not None and filters and counts[id(driver)] > RANK_BUDGET:
        driver.exact = _count(conn, driver.match)
        driver.within = _candidates(
            conn, comp, filters, driver.exact // max(RESTRICT_RATIO, 1), created
        )

    for leaf in ([driver] if driver else []) + [x for x in leaves if x is not driver]:
        n = counts[id(leaf)]
        if driver is not None and leaf is not driver and leaf in words and leaf.uses == 1:
            cap = RESTRICT_RATIO * driver.cables
            if (n > RANK_BUDGET or not driver.cables) and _count(conn, leaf.match, cap + 1) > cap:
                # Ranking it would need the full pass this avoids: it adds nothing to scores.
                leaf.within = driver.table
        if leaf.positive and not (leaf.within and leaf is not driver):
            leaf.rank = "bm25" if n <= RANK_BUDGET else "estimate"
        created.append(leaf.table)
        idf = idf_of(leaf) if leaf.rank == "estimate" else 0.0
        _fill_leaf(conn, leaf, visible, idf)
    if driver is not None and filters and not driver.within:
        # Filters far more selective than the rarest word (a drill-down on a common word):
        # test their few cables against the word instead of each of the word's cables.
        comp.source = _candidates(conn, comp, filters, driver.cables // 4, created)
    return driver


def _candidates(
    conn: sqlite3.Connection, comp: _Compiler, filters: list[Node], cap: int, created: list[str]
) -> str:
    """The cables passing every required filter, in a temp table, if there are at most
    ``cap`` of them (else ""). Counting first, capped, keeps a broad filter cheap."""
    parts = [comp.where(f) for f in filters]
    cond = " AND ".join(sql for sql, _ in parts)
    params = [p for _, ps in parts for p in ps]
    n = conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM cables c WHERE {cond} LIMIT ?)", [*params, cap + 1]
    ).fetchone()[0]
    if n > cap:
        return ""
    table = f"temp.cg_cand_{comp.tag}_{len(created)}"
    created.append(table)
    conn.execute(
        f"CREATE TEMP TABLE {table.split('.', 1)[1]} (cable_id TEXT PRIMARY KEY) WITHOUT ROWID"
    )
    conn.execute(f"INSERT INTO {table} SELECT c.id FROM cables c WHERE {cond}", params)
    return table


def _fill_leaf(
    conn: sqlite3.Connection, leaf: _Leaf, visible: Visibility | None, idf: float
) -> None:
    name = leaf.table.split(".", 1)[1]
    conn.execute(f"CREATE TEMP TABLE {name} (cable_id TEXT PRIMARY KEY, score REAL) WITHOUT ROWID")
    conds: list[str] = []
    params: list[object] = []
    if leaf.node.field == "subject":
        conds.append("p.kind = 'subject'")
    if visible is not None:
        vis, vparams = visible.portion_clause("p")
        conds.append(vis)
        params.extend(vparams)
    extra = "".join(f" AND {c}" for c in conds)
    before = conn.total_changes
    if leaf.within:
        # Each candidate cable's portions are a rowid range FTS5 can seek to (tight when
        # they were inserted together, as ingest does; correct either way).
        source = (
            "(SELECT cable_id, min(portion_id) AS lo, max(portion_id) AS hi FROM portions "
            f"WHERE cable_id IN (SELECT cable_id FROM {leaf.within}) GROUP BY cable_id) r "
            "CROSS JOIN portions_fts ON portions_fts MATCH ? "
            "AND portions_fts.rowid BETWEEN r.lo AND r.hi "
            "JOIN portions p ON p.portion_id = portions_fts.rowid AND p.cable_id = r.cable_id"
            + extra
        )
    else:
        source = (
            "portions_fts JOIN portions p ON p.portion_id = portions_fts.rowid "
            "WHERE portions_fts MATCH ?" + extra
        )
    if leaf.rank == "bm25" and not leaf.within:
        # bm25() is only allowed in the FTS query's own SELECT, so score portions in a
        # materialised CTE and keep each cable's best (bm25 is negative: lower is better).
        conn.execute(
            "WITH m AS MATERIALIZED (SELECT p.cable_id AS cable_id, bm25(portions_fts) AS s "
            f"FROM {source}) INSERT INTO {leaf.table} (cable_id, score) "
            "SELECT cable_id, -min(s) FROM m GROUP BY cable_id",
            [leaf.match, *params],
        )
    elif leaf.rank != "none":
        # The estimate (bm25 per seek would recount the word over the whole index).
        conn.execute(
            f"INSERT INTO {leaf.table} (cable_id, score) SELECT p.cable_id, "
            f"? * (count(*) * {K1 + 1} / (count(*) + {K1}) + max(p.kind = 'subject')) "
            f"FROM {source} GROUP BY p.cable_id",
            [idf, leaf.match, *params],
        )
    else:
        conn.execute(
            f"INSERT OR IGNORE INTO {leaf.table} (cable_id, score) SELECT p.cable_id, 0 "
            f"FROM {source}",
            [leaf.match, *params],
        )
    leaf.cables = conn.total_changes - before


_ORDER = {
    "relevance": "score DESC, date IS NULL, date DESC, id",
    "date": "date IS NULL, date DESC, score DESC, id",
    "date-asc": "date IS NULL, date ASC, score DESC, id",
}


def _page(conn: sqlite3.Connection, table: str, sort: str, page: int, per_page: int) -> list[Hit]:
    rows = conn.execute(
        f"SELECT id, score, date, origin_code, origin_name, classification FROM {table} "
        f"ORDER BY {_ORDER[sort]} LIMIT ? OFFSET ?",
        (per_page, (page - 1) * per_page),
    ).fetchall()
    return [
        Hit(
            id=r[0],
            score=r[1] or 0.0,
            subject="",
            date=r[2],
            origin_code=r[3] or "",
            origin_name=r[4] or "",
            classification=r[5] or "",
        )
        for r in rows
    ]


def _subjects(conn: sqlite3.Connection, hits: list[Hit], visible: Visibility | None) -> None:
    ids = [h.id for h in hits]
    marks = ",".join("?" * len(ids))
    if visible is None:
        rows = conn.execute(f"SELECT id, subject FROM cables WHERE id IN ({marks})", ids)
    else:
        # A subject line marked above the reader's clearance is withheld like any portion.
        vis, vparams = visible.portion_clause("p")
        rows = conn.execute(
            f"SELECT p.cable_id, p.text FROM portions p WHERE p.cable_id IN ({marks}) "
            f"AND p.kind = 'subject' AND {vis}",
            [*ids, *vparams],
        )
    subjects = dict(rows.fetchall())
    for h in hits:
        h.subject = subjects.get(h.id) or ""


def _snippets(
    conn: sqlite3.Connection, hits: list[Hit], leaves: list[_Leaf], visible: Visibility | None
) -> None:
    vis, vparams = visible.portion_clause("p") if visible is not None else ("1", [])
    match = " OR ".join(dict.fromkeys(leaf.match for leaf in leaves))
    paged: dict[str, list[tuple]] | None = None
    if match and len(hits) > 1 and any(leaf.node.prefix for leaf in leaves):
        # FTS5 expands a prefix term over the whole index on every MATCH, even one limited
        # to a rowid range (~0.5 s for `terror*` on 2M portions): expand it once for the
        # page, reading every match's cable from the narrow portions_search index.
        ids = [h.id for h in hits]
        marks = ",".join("?" * len(ids))
        paged = {}
        for cid, *row in conn.execute(
            "WITH m AS MATERIALIZED (SELECT portions_fts.rowid AS rid, "
            "highlight(portions_fts, 0, char(2), char(3)) AS hl "
            "FROM portions_fts CROSS JOIN portions p ON p.portion_id = portions_fts.rowid "
            f"WHERE portions_fts MATCH ? AND p.cable_id IN ({marks}) AND p.kind != 'subject' "
            f"AND {vis}) "
            "SELECT p.cable_id, p.seq, p.number, p.marking, m.hl "
            "FROM m JOIN portions p ON p.portion_id = m.rid",
            [match, *ids, *vparams],
        ):
            paged.setdefault(cid, []).append(tuple(row))
    for h in hits:
        rows: list[tuple] = []
        if paged is not None:
            found = paged.get(h.id, [])
            found.sort(key=lambda r: (-r[3].count(_OPEN), r[0]))
            rows = found[:SNIPPETS_PER_HIT]
        elif match:
            lo, hi = conn.execute(
                "SELECT min(portion_id), max(portion_id) FROM portions WHERE cable_id = ?", (h.id,)
            ).fetchone()
            if lo is not None:
                # The rowid range lets FTS5 seek straight to this cable's portions.
                # No bm25() here: each call would recount the words over the whole index.
                found = conn.execute(
                    "SELECT p.seq, p.number, p.marking, "
                    "highlight(portions_fts, 0, char(2), char(3)) "
                    "FROM portions_fts JOIN portions p ON p.portion_id = portions_fts.rowid "
                    "WHERE portions_fts MATCH ? AND portions_fts.rowid BETWEEN ? AND ? "
                    f"AND p.cable_id = ? AND p.kind != 'subject' AND {vis}",
                    [match, lo, hi, h.id, *vparams],
                ).fetchall()
                # The paragraphs with the most highlighted words, shown in document order.
                found.sort(key=lambda r: (-r[3].count(_OPEN), r[0]))
                rows = found[:SNIPPETS_PER_HIT]
        if not rows:
            # Nothing highlighted (a filter-only query, or a subject-only match): preview the
            # first visible paragraph instead.
            rows = conn.execute(
                "SELECT p.seq, p.number, p.marking, p.text FROM portions p "
                f"WHERE p.cable_id = ? AND p.kind != 'subject' AND {vis} ORDER BY p.seq LIMIT 1",
                [h.id, *vparams],
            ).fetchall()
        h.snippets = [_snippet(number, marking, text) for _, number, marking, text in sorted(rows)]


def _snippet(number: int | None, marking: str, marked: str) -> Snippet:
    """Cut a window around the first highlight out of ``highlight()`` output."""
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    start = None
    space = False
    for ch in marked or "":
        if ch == _OPEN:
            if space:
                plain.append(" ")
                space = False
            start = len(plain)
        elif ch == _CLOSE:
            if start is not None and len(plain) > start:
                spans.append((start, len(plain)))
            start = None
        elif ch.isspace():
            space = bool(plain)  # collapse runs of whitespace (cables wrap at 69 columns)
        else:
            if space:
                plain.append(" ")
                space = False
            plain.append(ch)
    text = "".join(plain)
    if len(text) <= SNIPPET_WIDTH:
        return Snippet(number, marking or "", text, spans)
    first = spans[0][0] if spans else 0
    lo = max(0, first - SNIPPET_WIDTH // 3)
    if lo > 0:
        cut = text.rfind(" ", 0, lo)
        lo = cut + 1 if cut >= 0 and lo - cut < 30 else lo
    hi = min(len(text), lo + SNIPPET_WIDTH)
    if hi < len(text):
        cut = text.find(" ", hi)
        hi = cut if 0 <= cut - hi < 30 else hi
    head = "… " if lo > 0 else ""
    tail = " …" if hi < len(text) else ""
    shift = len(head) - lo
    kept = [(max(a, lo) + shift, min(b, hi) + shift) for a, b in spans if b > lo and a < hi]
    return Snippet(number, marking or "", head + text[lo:hi] + tail, kept)


def _facets(
    conn: sqlite3.Connection, table: str, limit: int
) -> tuple[dict[str, list[tuple[str, int]]], dict[str, dict[str, str]]]:
    def top(sql: str) -> list[tuple[str, int]]:
        return [(str(v), n) for v, n in conn.execute(sql, (limit,)).fetchall()]

    out: dict[str, list[tuple[str, int]]] = {}
    labels: dict[str, dict[str, str]] = {"origin": {}, "tag": {}}
    origin_rows = conn.execute(
        f"SELECT origin_code, max(origin_name), count(*) FROM {table} WHERE origin_code != '' "
        "GROUP BY origin_code ORDER BY 3 DESC, 1 LIMIT ?",
        (limit,),
    ).fetchall()
    out["origin"] = [(code, n) for code, _, n in origin_rows]
    labels["origin"] = {code: name or "" for code, name, _ in origin_rows}
    # Time facets are a histogram: every bucket, in time order; years and months in one pass.
    years: dict[str, int] = {}
    months: list[tuple[str, int]] = []
    for year, month, n in conn.execute(
        f"SELECT year, month, count(*) FROM {table} WHERE year IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2"
    ):
        years[str(year)] = years.get(str(year), 0) + n
        if month:
            months.append((str(month), n))
    out["year"] = list(years.items())
    out["month"] = months
    out["classification"] = top(
        f"SELECT classification, count(*) FROM {table} WHERE classification != '' "
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?"
    )
    out["caveat"] = top(
        f"SELECT v.caveat, count(*) FROM {table} h CROSS JOIN caveats v ON v.cable_id = h.id "
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?"
    )
    # Count codes only (a narrow sort over every (hit, tag) pair), then name the top ones:
    # a code's name comes from the reference data, the same on every row.
    out["tag"] = top(
        f"SELECT t.code, count(*) FROM {table} h CROSS JOIN tags t ON t.cable_id = h.id "
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?"
    )
    for code, _ in out["tag"]:
        row = conn.execute("SELECT name FROM tags WHERE code = ? LIMIT 1", (code,)).fetchone()
        if row and row[0]:
            labels["tag"][code] = row[0]
    out["signer"] = top(
        f"SELECT signer, count(*) FROM {table} WHERE signer != '' "
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?"
    )
    return out, labels
