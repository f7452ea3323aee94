"""PostgreSQL search run as the SQLite engine runs: over arrays in the serving process.

``search.sqlite`` answers from per-cable arrays in memory (doc values) and a word's
portion ids; the SQL engine of ``search.postgres`` did everything in one statement on the
server (a GIN lookup, a heap visit per matching portion to count it per cable, then seven
``GROUP BY`` facets over the matching set), 40x slower on the same archive. Here
PostgreSQL hands over rows and the process does the rest with the SQLite engine's code:

1. The doc values and the portion map (``search.pgdocvalues``) are loaded once per
   database generation, inside the search's snapshot.
2. A word's portions are its rows of ``term_postings`` (migration 0007: a few segments of
   portion ids as bytes), dead ids dropped by the portion map; a prefix reads every term
   with it; a phrase reads its words' positions too (migration 0008) and checks the
   order in the process (``_phrase``: PostgreSQL's ``<->`` on the same positions).
3. Booleans, doc-value filters, a restricted reader's rights (``Visibility.allows`` over
   the portion map), BM25, the page order and the facets are ``search.sqlite``'s
   matcher, scoring, ordering and facet code, unchanged: the same numbers by construction.
   The rarer filters (ids, refs, signers, names, entities) run as SQL on ``cables``.
4. The page's rows, subjects and snippet paragraphs are read by id, highlighted as
   before (``search.postgres.highlight``).

One REPEATABLE READ, READ ONLY transaction per search, as before (``_snapshot``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from psycopg import pq

from cablegram.search import pgdocvalues
from cablegram.search import sqlite as engine
from cablegram.search.docvalues import Postings
from cablegram.search.fields import entity_mentions, entity_tables, spec_for
from cablegram.search.nodes import guarantees_visible
from cablegram.search.pgdocvalues import PgDocValues, doc_values
from cablegram.search.postgres import leaf_lexemes, ph
from cablegram.search.query import Entity, Node, QueryError, Text, parse_query
from cablegram.search.results import (
    FACETS,
    SNIPPETS_PER_HIT,
    SORTS,
    Hit,
    SearchResult,
    check_paging,
    window,
)
from cablegram.search.visibility import Visibility

__all__ = ["Occurrences", "iter_ids", "search", "search_ids", "term_pids", "term_positions"]

_EMPTY = np.zeros(0, dtype=np.int64)
# Bits of a phrase key below the portion id: room for a position (14 bits) shifted by
# the word's place in the phrase (the key is ``pid << 32 | pos - place + _SHIFT``).
_SHIFT = 1 << 30


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def term_pids(conn: Any, term: str, prefix: bool = False) -> np.ndarray:
    """The portion ids of a term (every term starting with it, for a prefix), ascending,
    live or not."""
    if prefix:
        rows = conn.execute(
            "SELECT pids FROM term_postings WHERE term LIKE %s ESCAPE '\\' ORDER BY term, seg",
            (_like_prefix(term),),
            binary=True,  # bytes as they are, not as hex text
        ).fetchall()
    else:
        rows = conn.execute(
            "SELECT pids FROM term_postings WHERE term = %s ORDER BY seg", (term,), binary=True
        ).fetchall()
    if prefix and len(rows) > 1:
        return np.unique(_decode([r[0] for r in rows]))
    return _decode([r[0] for r in rows])


def _decode(parts: list[bytes]) -> np.ndarray:
    """A term's segments (in ``seg`` order) as one ascending array of portion ids."""
    if not parts:
        return _EMPTY
    pids = np.frombuffer(parts[0] if len(parts) == 1 else b"".join(parts), dtype=">i8")
    pids = pids.astype(np.int64)
    if len(pids) > 1 and np.any(pids[1:] < pids[:-1]):
        pids.sort()
    return pids


@dataclass
class Occurrences:
    """Every position of a term (or of the terms with a prefix) in the portions that hold
    it: portion ``pids[i]`` holds the term at word ``positions[i]``."""

    pids: np.ndarray
    positions: np.ndarray


def _occurrences(rows: list[tuple[bytes, bytes]]) -> Occurrences:
    """Segments of ``term_postings`` (``pids``, ``pos``) as occurrences. Concatenated in
    any order they stay aligned: each segment holds as many first positions (bit 15
    set) as ids."""
    if not rows:
        return Occurrences(_EMPTY, _EMPTY)
    pids = np.frombuffer(b"".join(r[0] for r in rows), dtype=">i8").astype(np.int64)
    raw = np.frombuffer(b"".join(r[1] for r in rows), dtype=">u2")
    first = raw >= 0x8000
    if int(np.count_nonzero(first)) != len(pids) or (len(raw) and not first[0]):
        raise RuntimeError("term_postings: ids and positions do not match (migration 0008)")
    group = np.cumsum(first) - 1
    return Occurrences(pids[group], (raw & 0x7FFF).astype(np.int64))


def term_positions(conn: Any, lexemes: list[str], prefix: bool = False) -> list[Occurrences]:
    """The occurrences of each word of a phrase (the last one a prefix when ``prefix``),
    live portions or not, read in one round trip."""
    exact = sorted(set(lexemes[:-1] if prefix else lexemes))
    got: dict[str, list[tuple[bytes, bytes]]] = {t: [] for t in exact}
    with conn.pipeline():
        cur = conn.execute(
            "SELECT term, pids, pos FROM term_postings WHERE term = ANY(%s) ORDER BY term, seg",
            (exact,),
            binary=True,
        )
        pcur = prefix and conn.execute(
            "SELECT pids, pos FROM term_postings WHERE term LIKE %s ESCAPE '\\' ORDER BY term, seg",
            (_like_prefix(lexemes[-1]),),
            binary=True,
        )
    for term, pids, pos in cur.fetchall():
        got[term].append((pids, pos))
    occ = {t: _occurrences(rows) for t, rows in got.items()}
    out = [occ[lex] for lex in (lexemes[:-1] if prefix else lexemes)]
    if pcur:
        out.append(_occurrences([(r[0], r[1]) for r in pcur.fetchall()]))
    return out


def _keys(w: Occurrences, place: int) -> np.ndarray:
    """The word's occurrences as sorted phrase keys: portion id, then its position minus
    its place in the phrase (the position the phrase would start at)."""
    k = (w.pids << 32) + (w.positions + (_SHIFT - place))
    # Already in order when the segments hold ascending ids (a merged or rebuilt term, or
    # segments written in id order): positions are ascending within a portion.
    if len(k) > 1 and not bool(np.all(k[1:] > k[:-1])):
        k = np.unique(k)
    return k


def _phrase(words: list[Occurrences], live: Any) -> np.ndarray:
    """The live portions holding the words at consecutive positions: PostgreSQL's
    ``'a' <-> 'b' <-> 'c'`` (a at p, b at p + 1, c at p + 2, for some p), on the
    positions its tsvectors hold. ``live`` filters portion ids."""
    keys: np.ndarray | None = None
    # From the rarest word: each other word keeps the starts it also has (binary search).
    for place, w in sorted(enumerate(words), key=lambda pw: len(pw[1].pids)):
        k = _keys(w, place)
        if keys is None:
            keys = k
        elif len(k):
            at = np.minimum(np.searchsorted(k, keys), len(k) - 1)
            keys = keys[k[at] == keys]
        else:
            return _EMPTY
        if not len(keys):
            return _EMPTY
    assert keys is not None
    pids = keys >> 32
    pids = pids[np.concatenate(([True], pids[1:] != pids[:-1]))]  # sorted: each once
    return pids[live(pids)]


class _Matcher(engine._Matcher):
    """The SQLite engine's matcher, reading postings and rare filters from PostgreSQL."""

    conn: Any  # a psycopg connection (the base class reads SQLite)
    dv: PgDocValues
    _terms: dict[str, np.ndarray] | None = None
    _entity_tables: tuple[bool, bool] | None = None  # fields.entity_tables

    def read_terms(self, terms: list[str]) -> None:
        """Read the postings of these terms in one statement (a boolean query's words)."""
        if len(terms) < 2:
            return
        got: dict[str, list[bytes]] = {t: [] for t in terms}
        for term, data in self.conn.execute(
            "SELECT term, pids FROM term_postings WHERE term = ANY(%s) ORDER BY term, seg",
            (sorted(set(terms)),),
            binary=True,
        ):
            got[term].append(data)
        self._terms = {t: _decode(parts) for t, parts in got.items()}

    def _term(self, term: str, prefix: bool) -> np.ndarray:
        if not prefix and self._terms is not None and term in self._terms:
            return self._terms[term]
        return term_pids(self.conn, term, prefix)

    def _match(self, leaf: engine._Leaf) -> None:
        node = leaf.node
        cache_key = ("pg", node.tokens, node.prefix, node.field, self.visible)
        got = self.dv.postings.get(cache_key)
        if got is None:
            got = self._postings(node)
            self.dv.postings.put(cache_key, got)
        leaf.pids, leaf.keys, leaf.counts, leaf.subject = (
            got.pids,
            got.keys,
            got.counts,
            got.subject,
        )
        leaf.postings = got

    def _portions(self, node: Text) -> np.ndarray:
        """The live portions holding the word, phrase or prefix ``node``."""
        lexemes = leaf_lexemes(node)
        pmap = self.dv.pmap
        assert pmap is not None
        if not lexemes:
            return _EMPTY
        if len(lexemes) == 1:
            pids = self._term(lexemes[0], node.prefix)
            return pids[pmap.live(pids)]
        # A phrase: the portions holding every word, then the word order checked from
        # the positions stored with the postings (migration 0008), in the process.
        return _phrase(term_positions(self.conn, lexemes, node.prefix), pmap.live)

    def _postings(self, node: Text) -> Postings:
        pmap = self.dv.pmap
        assert pmap is not None
        pids = self._portions(node)
        if self.visible is not None and len(pids):
            pids = pids[pmap.visible(self.visible)[pids]]
        keys_all = pmap.key[pids].astype(np.int64)
        is_subject = pmap.subject[pids]
        # By cable (a cable's portions need not have consecutive ids): sorted by key, the
        # portion ids staying ascending as the engine reads them.
        order = np.argsort(keys_all, kind="stable")
        grouped = Postings.grouped(pids[order], keys_all[order], is_subject[order], node.field)
        kept = pids[is_subject] if node.field == "subject" else pids
        return Postings(kept, grouped.keys, grouped.counts, grouped.subject)

    def _sql_filter(self, node: Node) -> np.ndarray:
        sql, params = self.where(node)
        ids = self.conn.execute(
            f"SELECT coalesce(array_agg(c.id), '{{}}') FROM cables c WHERE {sql}", params
        ).fetchone()[0]
        keys = np.array([k for k in map(self.dv.key_of, ids) if k >= 0], dtype=np.int64)
        return self._keys_mask(keys)

    def where(self, node: Node) -> tuple[str, list[object]]:
        postgres = spec_for(node).postgres
        if postgres is None:
            raise TypeError(f"not a filter: {node!r}")
        return postgres(node, self)

    def entity(self, node: Entity) -> tuple[str, list[Any]]:  # type: ignore[override]
        """An entity filter's SQL on ``cables c`` (search/sqlite.py's twin says why)."""
        if self._entity_tables is None:
            self._entity_tables = entity_tables(
                lambda t: {r[0] for r in self.conn.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = %s", (t,))}
            )  # fmt: skip
        sql, params = entity_mentions(node, self.visible, self._entity_tables, ph)
        # person:ENTITY-ID and person:SURNAME as on SQLite.
        surname = node.kind == "person" and " " not in node.value.strip()
        sql += (" WHERE e.kind = %s AND (lower(e.name) = lower(%s) OR e.entity_id = %s"
                " OR %s AND lower(e.name) LIKE lower(%s))")  # fmt: skip
        ref = f"{node.kind}:{node.value.strip().lower()}"
        pattern = "% " + node.value.strip().replace("%", r"\%").replace("_", r"\_")
        params = [*params, node.kind, node.value, ref, surname, pattern]
        if self.visible is not None:
            # Only a name the reader can see written in a visible portion that mentions
            # the entity (issue 21).
            wvis, wparams = self.visible.portion_clause("wp")
            sql += (
                " AND EXISTS (SELECT 1 FROM mentions mw JOIN portions wp ON wp.portion_id = "
                f"mw.portion_id AND {ph(wvis)} WHERE mw.entity_id = e.entity_id AND strpos("
                "replace(lower(wp.heading || ' ' || wp.text), chr(10), ' '), lower(%s)) > 0)"
            )
            params += [*wparams, node.value]
        return sql + ")", params


def _visible_cables(dv: PgDocValues, visible: Visibility) -> np.ndarray:
    """Cables with at least one portion the reader may see (kept with the doc values)."""
    cache_key = ("pg", visible)
    mask = dv.visible_cables.get(cache_key)
    if mask is None:
        assert dv.pmap is not None
        keys = dv.pmap.key[dv.pmap.visible(visible)]
        mask = np.zeros(dv.n, dtype=bool)
        mask[keys] = True
        dv.visible_cables[cache_key] = mask
    return mask


@contextmanager
def _snapshot(conn: Any) -> Iterator[tuple[int, int]]:
    """One REPEATABLE READ, READ ONLY transaction (one snapshot: the doc values' generation,
    the postings and the rows agree), begun by hand on the autocommit connection and
    sent with the generation's read in one round trip; yields ``generation(conn)``."""
    with conn.pipeline():
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cur = conn.execute(pgdocvalues.GENERATION_SQL)
    try:
        yield pgdocvalues.stamp(cur.fetchone())
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    if conn.info.transaction_status != pq.TransactionStatus.IDLE:  # not committed yet
        conn.execute("COMMIT")


def _single_terms(node: Node) -> list[str]:
    """The one-lexeme words of a query (no prefix): their postings are read together."""
    if isinstance(node, Text):
        lex = leaf_lexemes(node)
        return lex if len(lex) == 1 and not node.prefix else []
    items = getattr(node, "items", None) or ([node.item] if hasattr(node, "item") else [])
    return [t for item in items for t in _single_terms(item)]


def _run(conn: Any, q: str, visible: Visibility | None, stamp: tuple[int, int]) -> engine._Matched:
    """Parse and evaluate ``q`` (inside the search's transaction)."""
    node = parse_query(q)
    dv = doc_values(conn, stamp)
    m = _Matcher(conn, dv, visible)
    m.read_terms(_single_terms(node))
    try:
        mask = m.mask(node)
    except QueryError as e:
        e.query = q
        raise
    if visible is not None and not guarantees_visible(node):
        mask &= _visible_cables(dv, visible)
    keys = np.flatnonzero(mask)
    ranked = m.ranked()
    score = m.scores(mask) if ranked else np.zeros(dv.n, dtype=np.float64)
    return engine._Matched(keys, score, ranked, dv)


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
    with _snapshot(conn) as stamp:
        m = _run(conn, q, visible, stamp)
        total = int(len(m.keys))
        sort_by = sort if m.ranked else engine._date_sort(sort)
        order = engine._order(m, sort_by, (page - 1) * per_page + per_page)
        keys = [int(k) for k in order[(page - 1) * per_page :]]
        facet_values: dict[str, list[tuple[str, int]]] = {}
        labels: dict[str, dict[str, str]] = {}
        if facets and total:
            facet_values, labels = engine._facets(conn, m, facet_limit)
        elif facets:
            facet_values = {name: [] for name in FACETS}
        hits = _page(conn, m, keys, visible)  # last: it commits
    return SearchResult(q, total, hits, facet_values, page, per_page, sort, labels)


def search_ids(
    conn: Any, q: str, *, visible: Visibility | None = None, sort: str = "date"
) -> list[str]:
    """Every matching cable id (no paging, no facets), for export and bulk work."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    with _snapshot(conn) as stamp:
        m = _run(conn, q, visible, stamp)
        order = engine._order(m, sort if m.ranked else engine._date_sort(sort), None)
        ids = m.dv.ids  # type: ignore[attr-defined]
        return [ids[int(k)] for k in order]


def iter_ids(
    conn: Any, q: str, *, visible: Visibility | None = None, sort: str = "date"
) -> Iterator[str]:
    yield from search_ids(conn, q, visible=visible, sort=sort)


def _page(conn: Any, m: engine._Matched, keys: list[int], visible: Visibility | None) -> list[Hit]:
    """The page's hits: their rows and subject lines (a subject line marked above the
    reader's clearance is withheld like any portion) and their snippets, read in one
    round trip with the transaction's COMMIT (a pipeline)."""
    if not keys:
        return []
    dv: PgDocValues = m.dv  # type: ignore[assignment]
    words = [leaf for leaf in m.ranked if leaf.node.field is None]
    chosen = _chosen(dv, keys, words)
    ids = [dv.ids[k] for k in keys]
    vis, vparams = visible.portion_clause("p") if visible is not None else ("true", [])
    params: list[Any]
    if visible is None:
        subject, params = "c.subject", [ids]
    else:
        subject = ("(SELECT p.text FROM portions p WHERE p.cable_id = c.id AND "
                   f"p.kind = 'subject' AND {ph(vis)} LIMIT 1)")  # fmt: skip
        params = [*vparams, ids]
    every = [p for ps in chosen.values() for p in ps]
    missing = [dv.ids[k] for k in keys if not chosen.get(k)]
    with conn.pipeline():
        page_rows = conn.execute(
            f"SELECT c.id, c.date, c.origin_code, c.origin_name, c.classification, {subject} "
            "FROM cables c WHERE c.id = ANY(%s)",
            params,
        )
        text_rows = every and conn.execute(
            "SELECT portion_id, seq, number, marking, text FROM portions "
            "WHERE portion_id = ANY(%s)",
            (every,),
        )
        # Nothing matched in a paragraph (a filter-only query, or a subject-only match):
        # the first visible paragraph instead.
        first_rows = missing and conn.execute(
            "SELECT DISTINCT ON (p.cable_id) p.cable_id, p.seq, p.number, p.marking, p.text "
            f"FROM portions p WHERE p.cable_id = ANY(%s) AND p.kind != 'subject' "
            f"AND {ph(vis)} ORDER BY p.cable_id, p.seq",
            [missing, *vparams],
        )
        conn.execute("COMMIT")
    rows = {r[0]: r for r in page_rows.fetchall()}
    texts = {r[0]: tuple(r[1:]) for r in text_rows.fetchall()} if text_rows else {}
    first = {r[0]: tuple(r[1:]) for r in first_rows.fetchall()} if first_rows else {}
    # Highlighted by the SQLite engine's code (regular expressions over the words, the
    # same tokenizer rules), 5-10x faster than tokenizing every paragraph.
    ascii_words = all("".join(leaf.node.tokens).isascii() for leaf in words)
    pattern = engine._pattern(words) if ascii_words else None
    hits = []
    for k, cid in zip(keys, ids, strict=True):
        r = rows.get(cid)
        if r is None:  # pragma: no cover - the snapshot holds every cable it listed
            continue
        hit = Hit(id=cid, score=float(m.score[k]), subject=r[5] or "", date=r[1],
                  origin_code=r[2] or "", origin_name=r[3] or "",
                  classification=r[4] or "")  # fmt: skip
        picked = sorted(texts[p] for p in chosen.get(k, []) if p in texts)
        if picked:
            hit.snippets = [engine._found(number, marking, text, words, pattern)
                            for _, number, marking, text in picked]  # fmt: skip
        elif cid in first:
            _, number, marking, text = first[cid]
            hit.snippets = [window(number, marking, " ".join((text or "").split()), [])]
        hits.append(hit)
    return hits


def _chosen(dv: PgDocValues, keys: list[int], leaves: list[engine._Leaf]) -> dict[int, list[int]]:
    """As the SQLite engine: per page cable, the SNIPPETS_PER_HIT paragraphs matching the
    most of the query's words (then the earliest). Known from matching: no query."""
    pmap = dv.pmap
    assert pmap is not None
    page = np.array(sorted(keys), dtype=np.int64)
    words: dict[int, int] = {}  # portion id -> how many of the words it matched
    for leaf in leaves:
        if leaf.pids is None or not len(leaf.pids):
            continue
        on_page = leaf.pids[np.isin(pmap.key[leaf.pids], page)]
        for p in on_page[~pmap.subject[on_page]].tolist():
            words[p] = words.get(p, 0) + 1
    chosen: dict[int, list[int]] = {}
    for p in sorted(words, key=lambda p: (-words[p], int(pmap.seq[p]))):
        got = chosen.setdefault(int(pmap.key[p]), [])
        if len(got) < SNIPPETS_PER_HIT:
            got.append(p)
    return chosen
