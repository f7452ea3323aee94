"""Run a parsed query against the SQLite store (``store/schema_sqlite.sql``).

How a search runs, and why (docs/search.md has the long form):

1. Each distinct word/phrase is matched once in ``portions_fts`` (paragraph granularity,
   so a phrase or prefix must match inside one portion, and a reader's clearance can be
   applied per portion). Its matching portion ids come back in one string
   (``group_concat``) and become a numpy array. A portion id is ``cables.key * 4096 +
   position``, so the cables are ``ids >> 12``: no join.
2. Booleans and filters then work on cables, as boolean masks over cable keys: a word is
   the cables with a (visible) matching portion; origin, date, classification, caveat and
   TAG filters read in-memory per-cable columns (``cablegram.search.docvalues``); the rarer
   filters (id, ref, signer, origin name, entities) run as SQL returning keys.
   ``A AND B`` therefore matches A in one paragraph and B in another.
3. Ranking is BM25 over cables, with a paragraph-level term frequency: for each word, the
   number of the cable's portions that contain it (the subject line counts
   ``SUBJECT_WEIGHT`` times), saturated by k1 and normalised by the cable's length in
   words. Computing it is a few array operations over the matches, where FTS5's
   ``bm25()`` costs ~2 us per matching row (so ~150 ms for a word in 60,000 cables).
4. The page is chosen by partial sorting; facets are ``bincount``s over the matching keys;
   the page's rows, subjects and snippets are the only per-hit SQL. Snippets are
   highlighted in Python from the portions the words matched (``_found``), with the
   tokenizer rules of the index, so a prefix never costs a second index scan.

User text reaches SQL only as bound parameters; FTS5 MATCH strings are built from tokens,
each phrase quoted as an FTS5 string, so no input can produce an FTS5 syntax error.
Access control goes through ``Visibility.portion_clause`` and nowhere else.
"""

from __future__ import annotations

import math
import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from cablegram.search.docvalues import NO_DATE, DocValues, Postings, doc_values
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
    FACETS,
    K1,
    MAX_PER_PAGE,
    SNIPPETS_PER_HIT,
    SORTS,
    SUBJECT_WEIGHT,
    B,
    Hit,
    SearchResult,
    Snippet,
    check_paging,
    window,
)
from cablegram.search.visibility import Visibility
from cablegram.store.rows import PORTIONS_PER_CABLE

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

SHIFT = PORTIONS_PER_CABLE.bit_length() - 1  # portion id >> SHIFT = cable key
# Filters on origin code, TAG, caveat, classification and date, and a restricted reader's
# portion clearances, read the doc values; False runs them as SQL instead (the tests
# compare the two).
DOC_VALUE_FILTERS = True


# --------------------------------------------------------------------- matching


def fts_match(node: Text) -> str:
    """The FTS5 MATCH string for one word/phrase: a single quoted FTS5 string."""
    body = " ".join(node.tokens).replace('"', '""')
    return f'"{body}"' + ("*" if node.prefix else "")


def _ints(conn: sqlite3.Connection, sql: str, params: list[object]) -> np.ndarray:
    """The integers one ``group_concat`` query returns, as an int64 array."""
    text = conn.execute(sql, params).fetchone()[0]
    if not text:
        return np.zeros(0, dtype=np.int64)
    return np.fromstring(text, dtype=np.int64, sep=",")  # C speed; text mode is not deprecated


@dataclass
class _Leaf:
    """One distinct word/phrase of the query and the portions it matched."""

    node: Text
    positive: bool = False  # occurs under an even number of NOTs: ranks and highlights
    pids: np.ndarray | None = None  # matching (visible) portion ids, ascending
    keys: np.ndarray | None = None  # their cables, ascending, unique
    counts: np.ndarray | None = None  # matching portions per cable in ``keys``
    subject: np.ndarray | None = None  # bool per cable in ``keys``: matched its subject line
    postings: Postings | None = None  # where the four arrays above come from


class _Matcher:
    """Evaluates a query tree to a boolean mask over cable keys."""

    def __init__(self, conn: sqlite3.Connection, dv: DocValues, visible: Visibility | None):
        self.conn = conn
        self.dv = dv
        self.visible = visible
        self.leaves: dict[tuple, _Leaf] = {}
        self._entity_tables: tuple[bool, bool] | None = None  # fields.entity_tables
        self._entity_aliases: bool | None = None

    # -- the tree ------------------------------------------------------------------------
    def mask(self, node: Node, negated: bool = False) -> np.ndarray:
        if isinstance(node, And):
            out = self.mask(node.items[0], negated)
            for item in node.items[1:]:
                out = out & self.mask(item, negated)
            return out
        if isinstance(node, Or):
            out = self.mask(node.items[0], negated)
            for item in node.items[1:]:
                out = out | self.mask(item, negated)
            return out
        if isinstance(node, Not):
            return self.dv.present & ~self.mask(node.item, not negated)
        if isinstance(node, Text):
            keys = self.leaf(node, negated).keys
            assert keys is not None  # leaf() matched it
            return self._keys_mask(keys)
        return self.filter(node)

    def _keys_mask(self, keys: np.ndarray) -> np.ndarray:
        out = np.zeros(self.dv.n, dtype=bool)
        out[keys[keys < self.dv.n]] = True
        return out & self.dv.present

    # -- words ---------------------------------------------------------------------------
    def leaf(self, node: Text, negated: bool) -> _Leaf:
        key = (node.tokens, node.prefix, node.field)
        leaf = self.leaves.get(key)
        if leaf is None:
            leaf = self.leaves[key] = _Leaf(node)
            self._match(leaf)
        if not negated:
            leaf.positive = True
        return leaf

    def _match(self, leaf: _Leaf) -> None:
        match = fts_match(leaf.node)
        cache_key = (match, leaf.node.field, self.visible, DOC_VALUE_FILTERS)
        got = self.dv.postings.get(cache_key)
        if got is None:
            got = self._read(match, leaf.node.field)
            self.dv.postings.put(cache_key, got)
        leaf.pids, leaf.keys, leaf.counts, leaf.subject = (
            got.pids,
            got.keys,
            got.counts,
            got.subject,
        )
        leaf.postings = got

    def _read(self, match: str, field: str | None) -> Postings:
        """A word's visible portions, read from FTS5, and their cables."""
        if self.visible is None or DOC_VALUE_FILTERS:
            pids = _ints(
                self.conn,
                "SELECT group_concat(rowid) FROM portions_fts WHERE portions_fts MATCH ?",
                [match],
            )
            if self.visible is not None:  # keep the portions the reader may see
                pids = pids[self.dv.portions(self.conn).allowed(pids, self.visible)]
        else:
            vis, vparams = self.visible.portion_clause("p")
            pids = _ints(
                self.conn,
                "SELECT group_concat(p.portion_id) FROM portions_fts "
                "CROSS JOIN portions p ON p.portion_id = portions_fts.rowid "
                f"WHERE portions_fts MATCH ? AND {vis}",
                [match, *vparams],
            )
        if len(pids) > 1 and np.any(pids[1:] < pids[:-1]):
            pids.sort()
        keys_all = pids >> SHIFT
        in_range = keys_all < self.dv.n
        pids, keys_all = pids[in_range], keys_all[in_range]
        is_subject = ((pids & (PORTIONS_PER_CABLE - 1)) == 0) & self.dv.has_subject[keys_all]
        return Postings.grouped(pids, keys_all, is_subject, field)

    # -- filters -------------------------------------------------------------------------
    def filter(self, node: Node) -> np.ndarray:
        """A filter's cables: from the doc values where its field reads them, else SQL."""
        if DOC_VALUE_FILTERS:
            docvalues = spec_for(node).docvalues
            mask = docvalues(node, self.dv) if docvalues is not None else None
            if mask is not None:
                return mask
        return self._sql_filter(node)

    def _sql_filter(self, node: Node) -> np.ndarray:
        sql, params = self.where(node)
        return self._keys_mask(
            _ints(self.conn, f"SELECT group_concat(c.key) FROM cables c WHERE {sql}", params)
        )

    def where(self, node: Node) -> tuple[str, list[object]]:
        """SQL on the ``cables`` row ``c`` for a filter: how the rarer filters run, and
        the reference the doc-value filters are tested against."""
        sqlite = spec_for(node).sqlite
        if sqlite is None:
            raise TypeError(f"not a filter: {node!r}")
        return sqlite(node, self)

    def entity(self, node: Entity) -> tuple[str, list[object]]:
        if self._entity_tables is None:
            self._entity_tables = entity_tables(
                lambda t: {
                    r[0] for r in self.conn.execute("SELECT name FROM pragma_table_info(?)", (t,))
                }
            )
        sql, params = entity_mentions(node, self.visible, self._entity_tables)
        # An entity answers to its name and to every form it is written in (aliases:
        # person:Abiyev finds Safar Abiyev), when the enrichment wrote entity_aliases.
        if self._entity_aliases is None:
            self._entity_aliases = bool(
                self.conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'entity_aliases'"
                ).fetchone()
            )
        written, wparams = self._written(node)
        if not self._entity_aliases:
            sql += f" WHERE e.kind = ? AND e.name = ? COLLATE NOCASE{written})"
            return sql, [*params, node.kind, node.value, *wparams]
        # person:ENTITY-ID names one entity; person:SURNAME finds every person of that
        # surname ("person:Zoellick" finds Robert Zoellick when no cable writes Zoellick
        # alone), docs/entities.md.
        surname = node.kind == "person" and " " not in node.value.strip()
        sql += (
            " WHERE e.kind = ? AND (e.name = ? COLLATE NOCASE OR e.entity_id = ? OR e.entity_id IN "
            "(SELECT a.entity_id FROM entity_aliases a WHERE a.alias = ? COLLATE NOCASE "
            f"OR ? AND a.alias LIKE ? ESCAPE '\\')){written})"
        )
        return sql, [*params, node.kind, node.value, _entity_ref(node), node.value,
                     surname, "% " + _like_escape(node.value.strip()), *wparams]  # fmt: skip

    def _written(self, node: Entity) -> tuple[str, list[object]]:
        """For a restricted reader, the name asked for must be written in a visible portion
        that mentions the entity: a name or alias standing only in withheld text (the full
        name behind a visible "the Minister") finds nothing (issue 21)."""
        if self.visible is None:
            return "", []
        vis, params = self.visible.portion_clause("wp")
        return (
            " AND EXISTS (SELECT 1 FROM mentions mw JOIN portions wp ON wp.portion_id = "
            f"mw.portion_id AND {vis} WHERE mw.entity_id = e.entity_id AND instr("
            "replace(lower(wp.heading || ' ' || wp.text), char(10), ' '), lower(?)) > 0)",
            [*params, node.value],
        )

    # -- ranking -------------------------------------------------------------------------
    def scores(self, mask: np.ndarray) -> np.ndarray:
        """BM25 per cable (the module docstring), over the positive words' matches."""
        dv = self.dv
        score = np.zeros(dv.n, dtype=np.float64)
        n = max(dv.cables, 1)
        for leaf in self.leaves.values():
            if not leaf.positive or leaf.keys is None or not len(leaf.keys):
                continue
            keys = leaf.keys
            # A word's weights depend on its postings and the archive's statistics only:
            # computed once per postings (a cached common word: once per generation).
            memo = leaf.postings.derived if leaf.postings is not None else {}
            weight = memo.get("bm25")
            if weight is None:
                assert leaf.counts is not None and leaf.subject is not None  # matched
                df = len(keys)
                idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
                tf = leaf.counts + (SUBJECT_WEIGHT - 1) * leaf.subject
                norm = K1 * (1.0 - B + B * dv.words[keys] / dv.avg_words)
                weight = idf * tf * (K1 + 1.0) / (tf + norm)
                weight.flags.writeable = False
                memo["bm25"] = weight
            score[keys] += weight
        return score

    def ranked(self) -> list[_Leaf]:
        return [leaf for leaf in self.leaves.values() if leaf.positive]


def _visible_cables(conn: sqlite3.Connection, dv: DocValues, visible: Visibility) -> np.ndarray:
    """Cables with at least one portion the reader may see (cached with the doc values)."""
    cache = dv.visible_cables
    mask = cache.get((visible, DOC_VALUE_FILTERS))
    if mask is None and DOC_VALUE_FILTERS:
        pv = dv.portions(conn)
        keys = pv.pids[pv.visible(visible)] >> SHIFT
        mask = np.zeros(dv.n, dtype=bool)
        mask[keys[keys < dv.n]] = True
        cache[(visible, True)] = mask
    elif mask is None:
        vis, vparams = visible.portion_clause("p")
        keys = _ints(
            conn,
            f"SELECT group_concat(k) FROM (SELECT DISTINCT p.portion_id >> {SHIFT} AS k "
            f"FROM portions p WHERE {vis})",
            vparams,
        )
        mask = np.zeros(dv.n, dtype=bool)
        mask[keys[keys < dv.n]] = True
        cache[(visible, False)] = mask
    return mask


# ----------------------------------------------------------------------- search


@dataclass
class _Matched:
    keys: np.ndarray  # matching cable keys, ascending
    score: np.ndarray  # per key of the archive (0 for filter-only queries)
    ranked: list[_Leaf]  # the words that rank and highlight
    dv: DocValues


def _run(conn: sqlite3.Connection, q: str, visible: Visibility | None) -> _Matched:
    """Parse and evaluate ``q``. Call inside a read transaction (one snapshot)."""
    node = parse_query(q)
    dv = doc_values(conn)
    m = _Matcher(conn, dv, visible)
    try:
        mask = m.mask(node)
    except QueryError as e:
        e.query = q
        raise
    if visible is not None and not guarantees_visible(node):
        mask &= _visible_cables(conn, dv, visible)
    keys = np.flatnonzero(mask)
    ranked = m.ranked()
    score = m.scores(mask) if ranked else np.zeros(dv.n, dtype=np.float64)
    return _Matched(keys, score, ranked, dv)


class _Snapshot:
    """One read transaction around a search, unless the caller already has one open."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.began = False

    def __enter__(self) -> _Snapshot:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN")
            self.began = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self.began and self.conn.in_transaction:
            self.conn.execute("COMMIT")


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
    per_page = check_paging(sort, page, per_page)
    with _Snapshot(conn):
        m = _run(conn, q, visible)
        total = int(len(m.keys))
        order = _order(m, sort if m.ranked else _date_sort(sort), (page - 1) * per_page + per_page)
        keys = order[(page - 1) * per_page :]
        hits = _page(conn, m, keys)
        if hits:
            words = [leaf for leaf in m.ranked if leaf.node.field is None]
            _subjects(conn, hits, visible)
            _snippets(conn, hits, [int(k) for k in keys], words, visible)
        facet_values: dict[str, list[tuple[str, int]]] = {}
        labels: dict[str, dict[str, str]] = {}
        if facets and total:
            facet_values, labels = _facets(conn, m, facet_limit)
        elif facets:
            facet_values = {name: [] for name in FACETS}
    return SearchResult(q, total, hits, facet_values, page, per_page, sort, labels)


def search_ids(
    conn: sqlite3.Connection, q: str, *, visible: Visibility | None = None, sort: str = "date"
) -> list[str]:
    """Every matching cable id (no paging, no facets), for export and bulk work."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    with _Snapshot(conn):
        m = _run(conn, q, visible)
        order = _order(m, sort if m.ranked else _date_sort(sort), None)
        ids: dict[int, str] = {}
        for i in range(0, len(order), 500):
            part = [int(k) for k in order[i : i + 500]]
            ids.update(
                conn.execute(
                    f"SELECT key, id FROM cables WHERE key IN ({','.join('?' * len(part))})", part
                ).fetchall()
            )
        return [ids[int(k)] for k in order if int(k) in ids]


def iter_ids(
    conn: sqlite3.Connection, q: str, *, visible: Visibility | None = None
) -> Iterator[str]:
    """``search_ids`` newest first, as an iterator (the store's streaming entry point)."""
    yield from search_ids(conn, q, visible=visible)


def _date_sort(sort: str) -> str:
    # Without words to rank by, "relevance" means newest first.
    return "date" if sort == "relevance" else sort


def _order(m: _Matched, sort: str, first: int | None) -> np.ndarray:
    """The matching keys in ``sort`` order (just the ``first`` ones when given): score or
    day first, the other next, then the id. Undated cables come last either way."""
    keys, dv = m.keys, m.dv
    if not len(keys):
        return keys
    day = dv.day[keys].astype(np.int64)
    neg_score = -m.score[keys]
    # Newest first (undated last), unless date-asc (undated last already).
    by_day = day if sort == "date-asc" else np.where(day == NO_DATE, NO_DATE, -day)
    primary, secondary = (neg_score, by_day) if sort == "relevance" else (by_day, neg_score)
    if first is not None and first < len(keys) // 4:
        # Only the rows that can reach the first ``first`` places need a full sort.
        cut = np.partition(primary, first - 1)[first - 1]
        keep = primary <= cut
        keys, primary, secondary = keys[keep], primary[keep], secondary[keep]
    idx = np.lexsort((dv.id_rank[keys], secondary, primary))
    out = keys[idx]
    return out if first is None else out[:first]


def _page(conn: sqlite3.Connection, m: _Matched, keys: np.ndarray) -> list[Hit]:
    if not len(keys):
        return []
    ks = [int(k) for k in keys]
    rows = {
        r[0]: r
        for r in conn.execute(
            "SELECT key, id, date, origin_code, origin_name, classification FROM cables "
            f"WHERE key IN ({','.join('?' * len(ks))})",
            ks,
        )
    }
    hits = []
    for k in ks:
        r = rows.get(k)
        if r is None:  # pragma: no cover - the snapshot holds every key it listed
            continue
        hits.append(Hit(id=r[1], score=float(m.score[k]), subject="", date=r[2],
                        origin_code=r[3] or "", origin_name=r[4] or "",
                        classification=r[5] or ""))  # fmt: skip
    return hits


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


# --------------------------------------------------------------------- snippets

_TOKEN = re.compile(r"[^\W_]+")


def _fold(token: str) -> str:
    # As the index's tokenizer (unicode61, remove_diacritics 2): lower case, no accents.
    low = token.lower()
    if low.isascii():
        return low
    return "".join(ch for ch in unicodedata.normalize("NFKD", low) if not unicodedata.combining(ch))


class _Words:
    """Finds the query's words and phrases in a paragraph: a phrase's tokens separated by
    anything that is not a token character, whole tokens only (a prefix's last token may
    run on), case and accents ignored."""

    def __init__(self, phrases: list[tuple[list[str], bool]]) -> None:
        def group(lower: bool) -> str:
            alts = []
            for tokens, prefix in phrases:
                toks = [t.lower() if lower else t for t in tokens]
                tail = r"[^\W_]*" if prefix else ""
                alts.append(r"[\W_]+".join(re.escape(t) for t in toks) + tail)
            return "|".join(alts)

        self.exact = re.compile(rf"(?<![^\W_])(?:{group(False)})(?![^\W_])", re.IGNORECASE)
        # The same without the token-boundary checks, on lower-cased text: the regex
        # engine then scans for the words' letters instead of trying a lookbehind at every
        # position (4-6x faster); candidates are checked, and the rare one inside a longer
        # word ("ministers") is re-tried with ``exact`` at that position.
        self.fast = re.compile(group(True))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """[start, end) of every match in ``text`` (accent-folded already), left to right."""
        if not text.isascii():  # lower() keeps ASCII offsets; not every other character's
            return [mt.span() for mt in self.exact.finditer(text)]
        low = text.lower()
        n = len(low)
        out: list[tuple[int, int]] = []
        pos = 0
        while (mt := self.fast.search(low, pos)) is not None:
            a, b = mt.span()
            if (a == 0 or not low[a - 1].isalnum()) and (b == n or not low[b].isalnum()):
                out.append((a, b))
                pos = b if b > a else a + 1
            elif (ex := self.exact.match(text, a)) is not None:
                out.append(ex.span())
                pos = ex.end() if ex.end() > a else a + 1
            else:
                pos = a + 1
        return out


def _pattern(leaves: list[_Leaf]) -> _Words | None:
    """The matcher of every word/phrase of ``leaves`` (None when none has tokens)."""
    phrases = [(list(leaf.node.tokens), leaf.node.prefix) for leaf in leaves if leaf.node.tokens]
    return _Words(phrases) if phrases else None


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching spans as one, in order."""
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def _accent_table() -> dict[int, str]:
    """A str.translate table taking each accented Latin letter to its base letter (é -> e),
    as the index's remove_diacritics does, one character for one."""
    table = {}
    for code in range(0xC0, 0x250):
        base = "".join(
            c for c in unicodedata.normalize("NFKD", chr(code)) if not unicodedata.combining(c)
        )
        if len(base) == 1 and base != chr(code):
            table[code] = base
    return table


_ACCENTS = _accent_table()
_ACCENT_CHARS = frozenset(chr(code) for code in _ACCENTS)


def _fold_accents(text: str) -> str:
    """``text.translate(_ACCENTS)``, faster: a dict-driven translate looks up every
    character (milliseconds on a long paragraph), while most non-ASCII text holds only
    curly quotes and dashes, or a handful of distinct accented letters."""
    for ch in _ACCENT_CHARS.intersection(text):
        text = text.replace(ch, _ACCENTS[ord(ch)])
    return text


def _token_spans(text: str, leaves: list[_Leaf]) -> list[tuple[int, int]]:
    # Accented text (or words): compare folded tokens, as the index does.
    toks = [(mt.start(), mt.end(), _fold(mt.group())) for mt in _TOKEN.finditer(text)]
    spans: list[tuple[int, int]] = []
    for leaf in leaves:
        want = [_fold(t) for t in leaf.node.tokens]
        if not want:
            continue
        n = len(want)
        for i in range(len(toks) - n + 1):
            ok = all(toks[i + j][2] == want[j] for j in range(n - 1))
            last = toks[i + n - 1][2]
            if ok and (last.startswith(want[-1]) if leaf.node.prefix else last == want[-1]):
                spans.append((toks[i][0], toks[i + n - 1][1]))
    return spans


def _snippets(
    conn: sqlite3.Connection,
    hits: list[Hit],
    keys: list[int],
    leaves: list[_Leaf],
    visible: Visibility | None,
) -> None:
    """Up to SNIPPETS_PER_HIT paragraphs per hit: the ones matching the most of the query's
    words (then the earliest), shown in document order; else the first visible paragraph.
    Which paragraphs matched is known from matching, so only the chosen ones are read."""
    vis, vparams = visible.portion_clause("p") if visible is not None else ("1", [])
    chosen: dict[int, list[int]] = {}
    for key in keys:
        lo, hi = key << SHIFT, (key + 1) << SHIFT
        words: dict[int, int] = {}  # portion id -> how many of the words it matched
        for leaf in leaves:
            if leaf.pids is None:
                continue
            a, b = np.searchsorted(leaf.pids, [lo, hi])
            for p in leaf.pids[a:b].tolist():
                words[p] = words.get(p, 0) + 1
        best = sorted(words, key=lambda p: (-words[p], p))
        chosen[key] = best[: SNIPPETS_PER_HIT + 1]  # one spare: the subject line is skipped
    every = sorted(p for ps in chosen.values() for p in ps)
    texts: dict[int, tuple] = {}
    for i in range(0, len(every), 500):
        part = every[i : i + 500]
        for pid, *row in conn.execute(
            "SELECT p.portion_id, p.seq, p.number, p.marking, p.text FROM portions p "
            f"WHERE p.portion_id IN ({','.join('?' * len(part))}) AND p.kind != 'subject'",
            part,
        ):
            texts[pid] = tuple(row)
    ascii_words = all("".join(leaf.node.tokens).isascii() for leaf in leaves)
    pattern = _pattern(leaves) if ascii_words else None
    for h, key in zip(hits, keys, strict=True):
        picked = [texts[p] for p in chosen[key] if p in texts][:SNIPPETS_PER_HIT]
        if picked:
            h.snippets = [_found(number, marking, text, leaves, pattern)
                          for _, number, marking, text in sorted(picked)]  # fmt: skip
            continue
        # Nothing matched in a paragraph (a filter-only query, or a subject-only match):
        # preview the first visible paragraph instead.
        rows = conn.execute(
            "SELECT p.seq, p.number, p.marking, p.text FROM portions p "
            f"WHERE p.cable_id = ? AND p.kind != 'subject' AND {vis} ORDER BY p.seq LIMIT 1",
            [h.id, *vparams],
        ).fetchall()
        h.snippets = [window(number, marking, " ".join((text or "").split()), [])
                      for _, number, marking, text in rows]  # fmt: skip


def _found(number: int | None, marking: str, text: str, leaves: list[_Leaf],
           pattern: _Words | None) -> Snippet:  # fmt: skip
    """A matching paragraph's snippet: whitespace collapsed (cables wrap at 69 columns),
    the query's words found in that, a window cut around the first."""
    flat = " ".join((text or "").split())
    if pattern is not None:
        # Accents folded one character for one, so the spans fit the text.
        spans = pattern.spans(flat if flat.isascii() else _fold_accents(flat))
    else:
        spans = _token_spans(flat, leaves)
    return window(number, marking, flat, _merge(spans))


# ----------------------------------------------------------------------- facets


def _histogram(values: np.ndarray) -> tuple[list[int], list[int]]:
    """The distinct ``values`` (small non-negative integers of a narrow range: years,
    month numbers) ascending, and how often each occurs: counted, not sorted."""
    if not len(values):
        return [], []
    lo = int(values.min())
    counts = np.bincount(values - lo)
    present = np.flatnonzero(counts)
    return (present + lo).tolist(), counts[present].tolist()


def _facets(
    conn: sqlite3.Connection, m: _Matched, limit: int
) -> tuple[dict[str, list[tuple[str, int]]], dict[str, dict[str, str]]]:
    dv, keys = m.dv, m.keys

    def top(values: list[str], counts: np.ndarray) -> list[tuple[str, int]]:
        if limit <= 0:
            return []
        nz = np.flatnonzero(counts)
        if len(nz) > limit:
            # Only values counted at least as often as the limit-th can be shown (a signer
            # facet has thousands): sort those, ties and all, in Python.
            c = counts[nz]
            nz = nz[c >= np.partition(c, len(c) - limit)[len(c) - limit]]
        pairs = sorted(((values[i], int(counts[i])) for i in nz), key=lambda p: (-p[1], p[0]))
        return pairs[:limit]

    def coded(col: Any) -> list[tuple[str, int]]:
        c = col.codes[keys]
        return top(col.values, np.bincount(c[c >= 0], minlength=len(col.values)))

    out: dict[str, list[tuple[str, int]]] = {}
    out["origin"] = coded(dv.origin)
    labels: dict[str, dict[str, str]] = {
        "origin": {code: dv.label(conn, "origin", code) for code, _ in out["origin"]},
        "tag": {},
    }
    # Time facets are a histogram: every bucket, in time order.
    months = dv.month[keys]
    months = months[months > 0]
    mv, mc = _histogram(months // 100 * 12 + months % 100 - 1)  # months since year 0
    out["month"] = [(f"{v // 12:04d}-{v % 12 + 1:02d}", n) for v, n in zip(mv, mc, strict=True)]
    years = dv.year[keys]
    out["year"] = [(str(v), n) for v, n in zip(*_histogram(years[years > 0]), strict=True)]
    out["classification"] = coded(dv.classification)
    out["caveat"] = top(dv.caveats.values, dv.caveats.count(keys))
    out["tag"] = top(dv.tags.values, dv.tags.count(keys))
    tag_names = {code: dv.label(conn, "tag", code) for code, _ in out["tag"]}
    labels["tag"] = {code: name for code, name in tag_names.items() if name}
    out["signer"] = coded(dv.signer)
    return out, labels


def _entity_ref(node: Entity) -> str:
    """``person:safar-abiyev`` as an entity id (``person:Safar-Abiyev`` too)."""
    return f"{node.kind}:{node.value.strip().lower()}"


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
