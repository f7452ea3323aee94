"""Run a parsed query against the PostgreSQL store (``store/migrations``).

The same query language as SQLite (``search.query.parse_query``; no second parser) and
the same semantics (docs/search.md): a word, phrase or prefix matches a *portion*;
``AND``/``OR``/``NOT`` combine *cables*; filters select cables by their metadata; every
clearance check goes through ``Visibility.portion_clause``.

How the tree becomes SQL:

* each distinct word/phrase becomes a ``tsquery`` (``'naval' <-> 'base'``, ``'pipe':*``)
  and a materialised CTE of (cable, term frequency: its matching visible portions, the
  subject line counting SUBJECT_WEIGHT), found through the GIN index on ``portions.tsv``;
  scores are the SQLite engine's BM25 over cables, in SQL (the same numbers);
* the tree becomes one ``WHERE`` over ``cables c`` (words as ``c.id IN (cte)``, filters as
  indexed columns or ``IN`` sub-selects); the matching set is one more materialised CTE,
  from which a single statement returns the page, the total and every facet;
* snippets: the page's matching paragraphs are read back and highlighted here, with the
  same tokenizer that built the ``tsvector`` (offsets into the plain text, as SQLite's
  ``highlight()`` gives them), cut by the same windowing code as the SQLite engine.

Tokens: ``portions.tsv`` is not built by ``to_tsvector`` (whose parser splits ``T-72``,
e-mail addresses and URLs its own way, and stems or drops stop words depending on the
configuration) but from :func:`lexemes`, which splits and folds text like SQLite's
``unicode61 remove_diacritics 2``, so both backends find the same portions. User text
reaches SQL only as bound parameters; tsquery strings are built from quoted lexemes.
"""

from __future__ import annotations

import functools
import re
import struct
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cablegram.search.fields import entity_mentions, entity_tables, spec_for
from cablegram.search.nodes import guarantees_visible
from cablegram.search.query import (
    And,
    Entity,
    Node,
    Not,
    Or,
    QueryError,
    Text,
    parse_query,
)
from cablegram.search.results import (
    CLOSE,
    FACETS,
    K1,
    MAX_PER_PAGE,
    OPEN,
    SNIPPETS_PER_HIT,
    SORTS,
    SUBJECT_WEIGHT,
    B,
    Hit,
    SearchResult,
    Snippet,
    check_paging,
    marked_snippet,
)
from cablegram.search.visibility import Visibility

__all__ = [
    "MAX_PER_PAGE",
    "Hit",
    "SearchResult",
    "Snippet",
    "Visibility",
    "iter_ids",
    "lexemes",
    "search",
    "search_ids",
    "tsquery_of",
    "tsvector_literal",
]

_TOKEN = re.compile(r"[^\W_]+")  # letters and digits (unicode61's token characters)
MAX_POS = 16383  # tsvector positions stop there
MAX_POSITIONS = 255  # per lexeme and portion
MAX_LEXEME = 2046  # bytes
HEADING_GAP = 2  # heading positions follow the text's after a gap: no phrase spans both


# ------------------------------------------------------------------------- tokens


@functools.lru_cache(maxsize=200_000)
def fold(token: str) -> str:
    """Lower-case and strip diacritics (Café -> cafe), as unicode61 remove_diacritics 2."""
    if token.isascii():
        return token.lower()
    s = unicodedata.normalize("NFD", token)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", s).lower()


_ASCII_TOKEN = re.compile(r"[A-Za-z0-9]+")  # _TOKEN on ASCII text, where fold() is lower()


def lexemes(text: str) -> list[tuple[str, int, int]]:
    """(lexeme, start, end) of each token of ``text``; start/end are character offsets."""
    if text.isascii():  # the usual case: one regular expression, lower() is the fold
        out = [(m.group(), m.start(), m.end()) for m in _ASCII_TOKEN.finditer(text.lower())]
        if out and max(e - s for _, s, e in out) > MAX_LEXEME:
            out = [t for t in out if t[2] - t[1] <= MAX_LEXEME]
        return out
    out = []
    for m in _TOKEN.finditer(text):
        lex = fold(m.group())
        if lex and len(lex.encode("utf-8")) <= MAX_LEXEME:
            out.append((lex, m.start(), m.end()))
    return out


def _quote(lex: str) -> str:
    return "'" + lex.replace("\\", "\\\\").replace("'", "''") + "'"


def lexeme_list(text: str) -> list[str]:
    """The lexemes of ``text`` in order: ``[lex for lex, _, _ in lexemes(text)]``, faster
    (pure-ASCII text, the usual case, is split by one regular expression)."""
    if text.isascii():
        out = _ASCII_TOKEN.findall(text.lower())
        if out and max(map(len, out)) > MAX_LEXEME:
            out = [x for x in out if len(x) <= MAX_LEXEME]
        return out
    return [lex for lex in map(fold, _TOKEN.findall(text))
            if lex and len(lex.encode("utf-8")) <= MAX_LEXEME]  # fmt: skip


def positions(text: str, heading: str = "") -> dict[str, list[int]]:
    """Each lexeme of one portion and its positions, as ``portions.tsv`` holds them: the
    text's lexemes at 1..n, then the heading's after a gap; positions stop at 16,383 and
    a lexeme keeps its first 255."""
    lexs = lexeme_list(text)
    head = lexeme_list(heading) if heading else []
    out: dict[str, list[int]] = {}
    get = out.get
    for pos, lex in enumerate(lexs, 1):
        ps = get(lex)
        if ps is None:
            out[lex] = [pos]
        else:
            ps.append(pos)
    last = len(lexs) + (HEADING_GAP if heading else 0)
    for pos, lex in enumerate(head, last + 1):
        ps = get(lex)
        if ps is None:
            out[lex] = [pos]
        else:
            ps.append(pos)
    if out and (last + len(head) > MAX_POS or max(map(len, out.values())) > MAX_POSITIONS):
        # Rare (a paragraph of over 16,383 words, or a word 256 times in one): clamp the
        # positions, merge the duplicates that makes, keep the first 255 of each lexeme.
        out = {lex: sorted({min(p, MAX_POS) for p in ps})[:MAX_POSITIONS]
               for lex, ps in out.items()}  # fmt: skip
    return out


def tsvector_literal(text: str, heading: str = "") -> str:
    """The ``tsvector`` input string for one portion (see :func:`positions`)."""
    pos = positions(text, heading)
    if text.isascii() and heading.isascii():  # no quote or backslash in an ASCII token
        return " ".join(f"'{lex}':{','.join(map(str, ps))}" for lex, ps in pos.items())
    return " ".join(_quote(lex) + ":" + ",".join(map(str, ps)) for lex, ps in pos.items())


def tsvector_binary(text: str, heading: str = "") -> bytes:
    """The same ``tsvector`` in PostgreSQL's binary format (``tsvectorsend``: the number
    of lexemes, then each lexeme NUL-terminated, its number of positions and the positions,
    big-endian), for COPY ... (FORMAT BINARY): the server reads it without parsing."""
    pos = positions(text, heading)
    out = [len(pos).to_bytes(4, "big")]
    add = out.append
    for lex, ps in pos.items():
        if len(ps) == 1:  # most lexemes of a paragraph (~80%)
            add(lex.encode() + _ONCE[ps[0]])
        else:
            n = len(ps)
            add(lex.encode() + b"\0" + _uint16s[n](n, *ps))
    return b"".join(out)


class _Uint16s(dict):
    def __missing__(self, n: int) -> Any:
        fn = self[n] = struct.Struct(f">{n + 1}H").pack
        return fn


_uint16s = _Uint16s()
# The tail of a lexeme found once, at position p: NUL, one position, p.
_ONCE = tuple(b"\0\0\x01" + p.to_bytes(2, "big") for p in range(MAX_POS + 1))


def _leaf_lexemes(node: Text) -> list[str]:
    return [lex for tok in node.tokens for lex, _, _ in lexemes(tok)]


def tsquery_of(node: Text) -> str | None:
    """The tsquery input string of a word/phrase (None when it has no letters or digits)."""
    lex = _leaf_lexemes(node)
    if not lex:
        return None
    parts = [_quote(x) for x in lex]
    if node.prefix:
        parts[-1] += ":*"
    return " <-> ".join(parts)


# ------------------------------------------------------------------------ compiler


def _ph(sql: str) -> str:
    """Visibility.portion_clause writes '?' placeholders (sqlite3); psycopg wants %s."""
    return sql.replace("?", "%s")


@dataclass
class _Leaf:
    node: Text
    name: str
    query: str | None
    positive: bool = False


class _Compiler:
    def __init__(self, conn: Any, visible: Visibility | None) -> None:
        self.conn = conn
        self.visible = visible
        self.leaves: dict[tuple, _Leaf] = {}
        self._entity_tables: tuple[bool, bool] | None = None  # fields.entity_tables

    def leaf(self, node: Text, negated: bool) -> _Leaf:
        key = (node.tokens, node.prefix, node.field)
        leaf = self.leaves.get(key)
        if leaf is None:
            leaf = self.leaves[key] = _Leaf(node, f"l{len(self.leaves)}", tsquery_of(node))
        if not negated:
            leaf.positive = True
        return leaf

    def where(self, node: Node, negated: bool = False) -> tuple[str, list[Any]]:
        if isinstance(node, And | Or):
            parts = [self.where(item, negated) for item in node.items]
            op = " AND " if isinstance(node, And) else " OR "
            return "(" + op.join(s for s, _ in parts) + ")", [p for _, ps in parts for p in ps]
        if isinstance(node, Not):
            sql, params = self.where(node.item, not negated)
            return f"NOT {sql}", params
        if isinstance(node, Text):
            leaf = self.leaf(node, negated)
            return f"c.id IN (SELECT cable_id FROM {leaf.name})", []
        postgres = spec_for(node).postgres
        if postgres is None:
            raise TypeError(f"not a filter: {node!r}")
        return postgres(node, self)

    def entity(self, node: Entity) -> tuple[str, list[Any]]:
        if self._entity_tables is None:
            self._entity_tables = entity_tables(
                lambda t: {r[0] for r in self.conn.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = %s", (t,))}
            )  # fmt: skip
        sql, params = entity_mentions(node, self.visible, self._entity_tables, _ph)
        # person:ENTITY-ID and person:SURNAME as on SQLite (search/sqlite.py).
        surname = node.kind == "person" and " " not in node.value.strip()
        sql += (" WHERE e.kind = %s AND (lower(e.name) = lower(%s) OR e.entity_id = %s"
                " OR %s AND lower(e.name) LIKE lower(%s))")  # fmt: skip
        ref = f"{node.kind}:{node.value.strip().lower()}"
        pattern = "% " + node.value.strip().replace("%", r"\%").replace("_", r"\_")
        params = [*params, node.kind, node.value, ref, surname, pattern]
        if self.visible is not None:
            # Only a name the reader can see written in a visible portion that mentions
            # the entity (issue 21; the SQLite twin says why).
            wvis, wparams = self.visible.portion_clause("wp")
            sql += (
                " AND EXISTS (SELECT 1 FROM mentions mw JOIN portions wp ON wp.portion_id = "
                f"mw.portion_id AND {_ph(wvis)} WHERE mw.entity_id = e.entity_id AND strpos("
                "replace(lower(wp.heading || ' ' || wp.text), chr(10), ' '), lower(%s)) > 0)"
            )
            params += [*wparams, node.value]
        return sql + ")", params

    def leaf_cte(self, leaf: _Leaf) -> tuple[str, list[Any]]:
        """The cables a word matched, with its term frequency there: matching visible
        portions, the subject line counting SUBJECT_WEIGHT (the SQLite engine's BM25 input,
        docs/search.md). Counting rows reads no ``tsv``, unlike ``ts_rank_cd``."""
        if leaf.query is None:
            return (f"{leaf.name} AS (SELECT NULL::text AS cable_id, 0.0::float8 AS tf "
                    "WHERE false)", [])  # fmt: skip
        conds = ["p.tsv @@ %s::tsquery"]
        params: list[Any] = [leaf.query]
        if leaf.node.field == "subject":
            conds.append("p.kind = 'subject'")
        if self.visible is not None:
            vis, vparams = self.visible.portion_clause("p")
            conds.append(_ph(vis))
            params.extend(vparams)
        return (
            f"{leaf.name} AS MATERIALIZED (SELECT p.cable_id, (count(*) + "
            f"{SUBJECT_WEIGHT - 1} * bool_or(p.kind = 'subject')::int)::float8 AS tf "
            f"FROM portions p WHERE {' AND '.join(conds)} GROUP BY p.cable_id)",
            params,
        )


def _bm25(leaf: _Leaf) -> str:
    """The SQLite engine's score for one word (search/sqlite.py ``scores``), in SQL."""
    df = f"(SELECT count(*) FROM {leaf.name})::float8"
    idf = f"ln(1.0 + (st.n - {df} + 0.5) / ({df} + 0.5))"
    norm = f"{K1} * (1.0 - {B} + {B} * c.n_words / st.avg_words)"
    tf = f"{leaf.name}.tf"
    return f"coalesce({idf} * {tf} * {K1 + 1.0} / ({tf} + {norm}), 0)"


def _required(node: Node) -> list[Node]:
    return list(node.items) if isinstance(node, And) else [node]


# A search's transaction: one snapshot, read-only, and no JIT compilation (on a large
# archive the plans pass jit_above_cost, and compiling costs more than it saves).
# (database, generation) -> (N, mean words per cable): BM25's corpus figures, as
# Store.generation says when they change (a counter every write transaction raises).
_CORPUS: dict[tuple, tuple[float, float]] = {}
_CORPUS_LOCK = threading.Lock()


def corpus_stats(conn: Any) -> tuple[float, float]:
    """(N, mean words per cable) of the archive ``conn`` reads, in its snapshot: read
    from every cable once per database generation, then remembered by the process."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    info = conn.info
    key = (info.host, info.port, info.dbname, int(row[0]) if row else 0)
    found = _CORPUS.get(key)
    if found is None:
        n, avg = conn.execute(
            "SELECT greatest(count(*), 1)::float8, "
            "greatest(coalesce(sum(n_words)::float8 / nullif(count(*), 0), 1.0), 1.0) "
            "FROM cables"
        ).fetchone()
        found = (float(n), float(avg))
        with _CORPUS_LOCK:
            if len(_CORPUS) > 64:  # old generations
                _CORPUS.clear()
            _CORPUS[key] = found
    return found


_READ_TXN = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET LOCAL jit = off"

_ORDER = {
    "relevance": "score DESC, date IS NULL, date DESC, id",
    "date": "date IS NULL, date DESC, score DESC, id",
    "date-asc": "date IS NULL, date ASC, score DESC, id",
}


@dataclass
class _Matching:
    sql: str  # "WITH ... m AS MATERIALIZED (...)" : the CTEs, ending with the matching set m
    params: list[Any]
    ranked: list[_Leaf]


def _compile(conn: Any, q: str, visible: Visibility | None) -> _Matching:
    node = parse_query(q)
    comp = _Compiler(conn, visible)
    try:
        where, wparams = comp.where(node)
    except QueryError as e:
        e.query = q
        raise
    ctes: list[str] = []
    params: list[Any] = []
    for leaf in comp.leaves.values():
        sql, ps = comp.leaf_cte(leaf)
        ctes.append(sql)
        params.extend(ps)
    ranked = [leaf for leaf in comp.leaves.values() if leaf.positive]
    # Drive from a word every match must contain: the join starts from its cables.
    required = [
        comp.leaves[(t.tokens, t.prefix, t.field)] for t in _required(node) if isinstance(t, Text)
    ]
    driver = required[0] if required else None
    joins = []
    for leaf in ranked:
        if leaf is not driver:
            joins.append(f" LEFT JOIN {leaf.name} ON {leaf.name}.cable_id = c.id")
    score = " + ".join(_bm25(leaf) for leaf in ranked) or "0"
    source = (
        f"{driver.name} JOIN cables c ON c.id = {driver.name}.cable_id"
        if driver is not None
        else "cables c"
    )
    if ranked:
        # N and the mean length of BM25, as the doc values have them: remembered per
        # database generation (a scan of every cable otherwise, in every ranked query).
        ctes.append("st AS (SELECT %s::float8 AS n, %s::float8 AS avg_words)")
        params.extend(corpus_stats(conn))
        source += " CROSS JOIN st"
    # Every row of the join satisfies the driver's own condition: drop it from the WHERE,
    # where it would make the planner scan all of `cables` for the IN (...).
    cond = where
    if driver is not None:
        cond = cond.replace(f"c.id IN (SELECT cable_id FROM {driver.name})", "true")
    if visible is not None and not guarantees_visible(node):
        vis, vparams = visible.portion_clause("vp")
        cond += f" AND EXISTS (SELECT 1 FROM portions vp WHERE vp.cable_id = c.id AND {_ph(vis)})"
        wparams = [*wparams, *vparams]
    ctes.append(
        f"m AS MATERIALIZED (SELECT c.id, ({score})::float8 AS score, c.date, c.origin_code, "
        "c.origin_name, c.year, c.month, c.classification, c.signer "
        f"FROM {source}{''.join(joins)} WHERE {cond})"
    )
    return _Matching("WITH " + ",\n".join(ctes), [*params, *wparams], ranked)


# -------------------------------------------------------------------------- search


def search(
    conn: Any,
    q: str,
    *,
    page: int = 1,
    per_page: int = 20,
    sort: str = "relevance",
    facets: bool = True,
    facet_limit: int = 20,
    visible: Visibility | None = None,
) -> SearchResult:
    """Search the cables (a psycopg connection in autocommit mode). Same arguments, result
    and errors as ``cablegram.search.sqlite.search``."""
    per_page = check_paging(sort, page, per_page)
    with conn.transaction():
        conn.execute(_READ_TXN)
        m = _compile(conn, q, visible)
        order = _ORDER[sort if m.ranked else ("date" if sort == "relevance" else sort)]
        parts = [
            f"SELECT 0 AS part, row_number() OVER (ORDER BY {order}) AS ord, id AS a, date AS b, "
            "origin_code AS c, origin_name AS d, classification AS e, NULL::bigint AS n, "
            "score FROM (SELECT * FROM m ORDER BY " + order + " LIMIT %s OFFSET %s) pg",
            "SELECT 1, 0, NULL, NULL, NULL, NULL, NULL, count(*), NULL FROM m",
        ]
        params = [*m.params, per_page, (page - 1) * per_page]
        if facets:
            parts += [
                "SELECT 2, 0, origin_code, max(origin_name), NULL, NULL, NULL, count(*), NULL "
                "FROM m WHERE origin_code != '' GROUP BY origin_code",
                "SELECT 3, 0, year::text, month, NULL, NULL, NULL, count(*), NULL "
                "FROM m WHERE year IS NOT NULL GROUP BY year, month",
                "SELECT 4, 0, classification, NULL, NULL, NULL, NULL, count(*), NULL "
                "FROM m WHERE classification != '' GROUP BY classification",
                "SELECT 5, 0, v.caveat, NULL, NULL, NULL, NULL, count(*), NULL "
                "FROM m JOIN caveats v ON v.cable_id = m.id GROUP BY v.caveat",
                'SELECT 6, 0, t.code, max(t.name COLLATE "C"), NULL, NULL, NULL, count(*), NULL '
                "FROM m JOIN tags t ON t.cable_id = m.id GROUP BY t.code",
                "SELECT 7, 0, signer, NULL, NULL, NULL, NULL, count(*), NULL "
                "FROM m WHERE signer != '' GROUP BY signer",
            ]
        sql = m.sql + "\n" + "\nUNION ALL ".join(parts)
        rows = conn.execute(sql, params).fetchall()
        rows.sort(key=lambda r: (r[0], r[1]))
        hits = [
            Hit(id=r[2], score=r[8] or 0.0, subject="", date=r[3], origin_code=r[4] or "",
                origin_name=r[5] or "", classification=r[6] or "")
            for r in rows if r[0] == 0
        ]  # fmt: skip
        total = next(r[7] for r in rows if r[0] == 1)
        if hits:
            _subjects(conn, hits, visible)
            _snippets(conn, hits, [x for x in m.ranked if x.node.field is None], visible)
        facet_values: dict[str, list[tuple[str, int]]] = {}
        labels: dict[str, dict[str, str]] = {}
        if facets:
            facet_values, labels = _facets([r for r in rows if r[0] >= 2], facet_limit)
            _tag_labels(conn, facet_values, labels)
            if not total:
                facet_values, labels = {name: [] for name in FACETS}, {}
    return SearchResult(q, total, hits, facet_values, page, per_page, sort, labels)


def search_ids(
    conn: Any, q: str, *, visible: Visibility | None = None, sort: str = "date"
) -> list[str]:
    return list(iter_ids(conn, q, visible=visible, sort=sort))


def iter_ids(
    conn: Any, q: str, *, visible: Visibility | None = None, sort: str = "date"
) -> Iterator[str]:
    """Every matching id, newest first, streamed through a server-side cursor."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    with conn.transaction():
        conn.execute(_READ_TXN)
        m = _compile(conn, q, visible)
        order = _ORDER[sort if m.ranked else ("date" if sort == "relevance" else sort)]
        with conn.cursor(name="cablegram_ids") as cur:
            cur.itersize = 2000
            cur.execute(m.sql + f"\nSELECT id FROM m ORDER BY {order}", m.params)
            for (cid,) in cur:
                yield cid


def _subjects(conn: Any, hits: list[Hit], visible: Visibility | None) -> None:
    ids = [h.id for h in hits]
    if visible is None:
        rows = conn.execute("SELECT id, subject FROM cables WHERE id = ANY(%s)", (ids,))
    else:
        vis, vparams = visible.portion_clause("p")
        rows = conn.execute(
            "SELECT p.cable_id, p.text FROM portions p WHERE p.cable_id = ANY(%s) "
            f"AND p.kind = 'subject' AND {_ph(vis)}",
            [ids, *vparams],
        )
    subjects = dict(rows.fetchall())
    for h in hits:
        h.subject = subjects.get(h.id) or ""


def highlight(text: str, leaves: list[_Leaf]) -> str:
    """``text`` with each match of the leaves wrapped in \\x02...\\x03, as FTS5's
    ``highlight()`` does: an instance spans a phrase's tokens; overlapping instances merge."""
    toks = lexemes(text)
    words = [t[0] for t in toks]
    spans: list[tuple[int, int]] = []
    for leaf in leaves:
        want = _leaf_lexemes(leaf.node)
        if not want:
            continue
        k = len(want)
        for i in range(len(words) - k + 1):
            if words[i : i + k - 1] != want[:-1]:
                continue
            last = words[i + k - 1]
            if last == want[-1] or (leaf.node.prefix and last.startswith(want[-1])):
                spans.append((i, i + k - 1))
    if not spans:
        return text
    spans.sort()
    merged = [list(spans[0])]
    for a, b in spans[1:]:
        if a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out: list[str] = []
    at = 0
    for a, b in merged:
        start, end = toks[a][1], toks[b][2]
        out += [text[at:start], OPEN, text[start:end], CLOSE]
        at = end
    out.append(text[at:])
    return "".join(out)


def _snippets(conn: Any, hits: list[Hit], leaves: list[_Leaf], visible: Visibility | None) -> None:
    """As the SQLite engine: up to SNIPPETS_PER_HIT paragraphs per hit, those matching the
    most of the query's words (then the earliest), in document order; else the first
    visible paragraph."""
    vis, vparams = visible.portion_clause("p") if visible is not None else ("true", [])
    vis = _ph(vis)
    queries = list(dict.fromkeys(leaf.query for leaf in leaves if leaf.query))
    ids = [h.id for h in hits]
    found: dict[str, list[tuple]] = {}
    if queries:
        tsq = " || ".join(["%s::tsquery"] * len(queries))
        words = " + ".join(["(p.tsv @@ %s::tsquery)::int"] * len(queries))
        for cid, seq, number, marking, text, n in conn.execute(
            f"SELECT p.cable_id, p.seq, p.number, p.marking, p.text, {words} "
            f"FROM portions p WHERE p.cable_id = ANY(%s) AND p.kind != 'subject' "
            f"AND p.tsv @@ ({tsq}) AND {vis}",
            [*queries, ids, *queries, *vparams],
        ):
            found.setdefault(cid, []).append((seq, number, marking, text, n))
    for h in hits:
        rows = found.get(h.id, [])
        rows.sort(key=lambda r: (-r[4], r[0]))
        found[h.id] = [(seq, number, marking, highlight(text, leaves))
                       for seq, number, marking, text, _ in rows[:SNIPPETS_PER_HIT]]  # fmt: skip
    missing = [h.id for h in hits if not found.get(h.id)]
    if missing:
        for cid, seq, number, marking, text in conn.execute(
            "SELECT DISTINCT ON (p.cable_id) p.cable_id, p.seq, p.number, p.marking, p.text "
            f"FROM portions p WHERE p.cable_id = ANY(%s) AND p.kind != 'subject' AND {vis} "
            "ORDER BY p.cable_id, p.seq",
            [missing, *vparams],
        ):
            found[cid] = [(seq, number, marking, text)]
    for h in hits:
        rows = found.get(h.id, [])
        h.snippets = [
            marked_snippet(number, marking, text) for _, number, marking, text in sorted(rows)
        ]


def _tag_labels(
    conn: Any, values: dict[str, list[tuple[str, int]]], labels: dict[str, dict[str, str]]
) -> None:
    """A tag code's name, as the SQLite engine takes it: from the code's first row in
    ``tags`` (the same reference name on every row)."""
    codes = [code for code, _ in values.get("tag", [])]
    labels["tag"] = {}
    if not codes:
        return
    # One probe of the (code, cable_id) index per code, not every row of each code.
    rows = conn.execute(
        "SELECT u.code, (SELECT t.name FROM tags t WHERE t.code = u.code "
        "ORDER BY t.cable_id LIMIT 1) FROM unnest(%s::text[]) AS u (code)",
        (codes,),
    ).fetchall()
    labels["tag"] = {code: name for code, name in rows if name}


def _facets(
    rows: list[tuple], limit: int
) -> tuple[dict[str, list[tuple[str, int]]], dict[str, dict[str, str]]]:
    by: dict[int, list[tuple]] = {}
    for r in rows:
        by.setdefault(r[0], []).append(r)

    def top(part: int) -> list[tuple]:
        got = sorted(by.get(part, []), key=lambda r: (-r[7], r[2]))
        return got[:limit]

    out: dict[str, list[tuple[str, int]]] = {}
    labels: dict[str, dict[str, str]] = {"origin": {}, "tag": {}}
    origin = top(2)
    out["origin"] = [(r[2], r[7]) for r in origin]
    labels["origin"] = {r[2]: r[3] or "" for r in origin}
    years: dict[str, int] = {}
    months: list[tuple[str, int]] = []
    for r in sorted(by.get(3, []), key=lambda r: (int(r[2]), r[3] is not None, r[3] or "")):
        years[r[2]] = years.get(r[2], 0) + r[7]
        if r[3]:
            months.append((r[3], r[7]))
    out["year"] = list(years.items())
    out["month"] = months
    out["classification"] = [(r[2], r[7]) for r in top(4)]
    out["caveat"] = [(r[2], r[7]) for r in top(5)]
    tags = top(6)
    out["tag"] = [(r[2], r[7]) for r in tags]
    labels["tag"] = {r[2]: r[3] for r in tags if r[3]}
    out["signer"] = [(r[2], r[7]) for r in top(7)]
    return out, labels
