"""Per-cable columns held in memory as numpy arrays ("doc values"), for search.

Filtering on origin, date, classification, caveat or TAG, counting facets and ordering a
page are then array operations over the matching cables' integer keys (``cables.key``)
instead of SQL joins over every match: microseconds per thousand cables instead of
milliseconds. This is what search engines do (Lucene's doc values); docs/search.md
explains the trade-off.

The arrays are loaded once per database and reused by every connection of the process.
A counter in ``meta`` (``generation``, bumped by triggers on ``cables``) says when they are
stale: a search reads it (one indexed row) and reloads after any change.
"""

from __future__ import annotations

import fnmatch
import os
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from cablegram.search.visibility import Visibility
from cablegram.settings import settings
from cablegram.store.rows import PORTIONS_PER_CABLE

SHIFT = PORTIONS_PER_CABLE.bit_length() - 1  # portion id >> SHIFT = cable key

__all__ = ["Codes", "DocValues", "Postings", "PostingsCache", "doc_values", "generation", "preload"]

NO_DATE = np.iinfo(np.int32).max  # sorts after every real day: "undated last"


class _Dictionary:
    """Lookups in a ``values`` list (the dictionary of an encoded column)."""

    values: list[str]

    def lookup(self, value: str) -> int:
        return self._index().get(value, -2)

    def matching(self, pattern: str) -> np.ndarray:
        """Codes whose value matches a GLOB ``pattern`` (case-sensitive, as SQLite's)."""
        return np.array(
            [i for i, v in enumerate(self.values) if fnmatch.fnmatchcase(v, pattern)],
            dtype=np.int32,
        )

    def _index(self) -> dict[str, int]:
        idx = getattr(self, "_idx", None)
        if idx is None:
            idx = self._idx = {v: i for i, v in enumerate(self.values)}
        return idx


@dataclass
class Codes(_Dictionary):
    """A dictionary-encoded column: ``values[codes[key]]``; code -1 is empty/NULL."""

    values: list[str]
    codes: np.ndarray  # int32 per key


@dataclass
class Pairs(_Dictionary):
    """A many-valued column (tags, caveats) as parallel arrays: cable ``keys[i]`` has
    ``values[codes[i]]``."""

    values: list[str]
    keys: np.ndarray  # int64, ascending
    codes: np.ndarray  # int32
    starts: np.ndarray  # int64 per key + 1: key k's pairs are [starts[k], starts[k + 1])

    @classmethod
    def build(cls, keys: np.ndarray, raw: list[str], n: int) -> Pairs:
        """From parallel (cable key ascending, value) lists over ``n`` cables (both
        backends' loaders end here)."""
        values = sorted(set(raw))
        index = {v: i for i, v in enumerate(values)}
        enc = np.array([index[v] for v in raw], dtype=np.int32)
        starts = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(keys, minlength=n), out=starts[1:])
        out = cls(values, keys, enc, starts)
        if len(values) <= 8:
            out._bits()  # now, not in a first search
        return out

    def mask(self, n: int, codes: np.ndarray) -> np.ndarray:
        """Cables having any of ``codes``, as a boolean mask over keys."""
        out = np.zeros(n, dtype=bool)
        by_code, bounds = self._by_code()
        for code in codes.tolist():
            if 0 <= code < len(self.values):
                out[by_code[bounds[code] : bounds[code + 1]]] = True
        return out

    def _bits(self) -> tuple[np.ndarray, np.ndarray]:
        # Per cable, bit c set when it has code c; and per byte value, which bits it has.
        got = getattr(self, "_bitset", None)
        if got is None:
            bits = np.zeros(len(self.starts) - 1, dtype=np.uint8)
            np.bitwise_or.at(bits, self.keys, (1 << self.codes).astype(np.uint8))
            has_bit = (np.arange(256)[:, None] >> np.arange(len(self.values))) & 1
            got = self._bitset = (bits, has_bit.astype(np.int64))
        return got

    def _by_code(self) -> tuple[np.ndarray, np.ndarray]:
        # The inverted lists: the keys having code c are by_code[bounds[c]:bounds[c + 1]].
        got = getattr(self, "_inverted", None)
        if got is None:
            order = np.argsort(self.codes, kind="stable")
            bounds = np.zeros(len(self.values) + 1, dtype=np.int64)
            np.cumsum(np.bincount(self.codes, minlength=len(self.values)), out=bounds[1:])
            got = self._inverted = (self.keys[order], bounds)
        return got

    def count(self, keys: np.ndarray) -> np.ndarray:
        """Per code, how many of the cables ``keys`` (ascending, unique) have it."""
        if len(self.values) <= 8:  # caveats: one byte per cable, a 256-bin histogram
            bits, has_bit = self._bits()
            return np.bincount(bits[keys], minlength=256) @ has_bit
        first, last = self.starts[keys], self.starts[keys + 1]
        lens = last - first
        total = int(lens.sum())
        if total > len(self.codes) // 2:  # most pairs: one pass over all of them is cheaper
            mask = np.zeros(len(self.starts) - 1, dtype=bool)
            mask[keys] = True
            picked = self.codes[mask[self.keys]]
        else:  # gather just these cables' pairs (CSR rows), without a Python loop
            offsets = np.repeat(first - (np.cumsum(lens) - lens), lens)
            picked = self.codes[offsets + np.arange(total)]
        return np.bincount(picked, minlength=len(self.values))


@dataclass(frozen=True)
class Postings:
    """One word's (or phrase's) matches as a reader may see them: portion ids ascending,
    their cables (unique, ascending), matching portions per cable, and whether the cable's
    subject line matched. Read-only: shared by every search of the process."""

    pids: np.ndarray
    keys: np.ndarray
    counts: np.ndarray
    subject: np.ndarray
    # Values derived from these postings alone, computed once (the ranking's per-cable
    # weights: search/sqlite.py), so a cached word costs its scoring once too.
    derived: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def grouped(cls, pids: np.ndarray, keys: np.ndarray, subject: np.ndarray,
                field: str | None) -> Postings:  # fmt: skip
        """From matching portions, their cable keys (ascending) and whether each is its
        cable's subject line: kept to subject lines for a ``subject:`` word, grouped by
        cable. Both engines build their postings here."""
        if field == "subject":
            pids, keys, subject = pids[subject], keys[subject], subject[subject]
        if not len(keys):
            empty = np.zeros(0, dtype=np.int64)
            return cls(pids, empty, empty, np.zeros(0, dtype=bool))
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        return cls(
            pids,
            keys[starts],
            np.diff(np.append(starts, len(keys))),
            np.logical_or.reduceat(subject, starts),
        )

    @property
    def nbytes(self) -> int:
        # The derived ranking weights: one float64 per cable, as big as ``keys``.
        return (self.pids.nbytes + 2 * self.keys.nbytes + self.counts.nbytes
                + self.subject.nbytes)  # fmt: skip


def _cache_bytes() -> int:
    return int(settings().postings_cache_mb * 1024 * 1024)


class PostingsCache:
    """The postings of common words, least recently used first out, within ``max_bytes``.

    Reading a word that fills 100,000 paragraphs out of FTS5 costs tens of milliseconds
    every time, and a server's queries share their words ("minister", "embassy"). Only
    postings of at least ``min_pids`` portions are kept: rare words read in well under a
    millisecond. The cache lives on the DocValues of one generation, so any write to the
    archive drops it with them.
    """

    def __init__(self, max_bytes: int | None = None, min_pids: int = 2048) -> None:
        self.max_bytes = _cache_bytes() if max_bytes is None else max_bytes
        self.min_pids = min_pids
        self.nbytes = 0
        self.hits = self.misses = 0
        self._items: OrderedDict[tuple, Postings] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Postings | None:
        with self._lock:
            got = self._items.get(key)
            if got is None:
                self.misses += 1
                return None
            self.hits += 1
            self._items.move_to_end(key)
            return got

    def put(self, key: tuple, postings: Postings) -> None:
        size = postings.nbytes
        if len(postings.pids) < self.min_pids or size > self.max_bytes // 4:
            return
        for a in (postings.pids, postings.keys, postings.counts, postings.subject):
            a.flags.writeable = False  # shared between threads: nobody may sort it in place
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.nbytes -= old.nbytes
            self._items[key] = postings
            self.nbytes += size
            while self.nbytes > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self.nbytes -= dropped.nbytes

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class DocValues:
    generation: int
    n: int  # max key + 1: every array is indexed by cables.key
    present: np.ndarray  # bool: a cable has this key
    cables: int
    day: np.ndarray  # int32 YYYYMMDD; NO_DATE when undated
    year: np.ndarray  # int32 (cables.year); 0 when unknown
    month: np.ndarray  # int32 YYYYMM (cables.month); 0 when unknown
    class_level: np.ndarray  # int8
    classification: Codes
    origin: Codes
    signer: Codes
    words: np.ndarray  # float64: n_words (ranking's document length)
    has_subject: np.ndarray  # bool: portion position 0 is the subject line
    id_rank: np.ndarray  # int32: position of the cable's id in id order (tie-breaks)
    tags: Pairs
    caveats: Pairs
    avg_words: float = 1.0
    _portions: PortionValues | None = field(default=None, repr=False)
    _labels: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    # Per (reader's visibility, how computed): cables with a portion the reader may see.
    visible_cables: dict[tuple, np.ndarray] = field(default_factory=dict, repr=False)
    # Per (FTS5 match, field, reader's visibility): common words' postings.
    postings: PostingsCache = field(default_factory=PostingsCache, repr=False)

    def portions(self, conn: sqlite3.Connection) -> PortionValues:
        """The per-portion clearances, loaded on first use (only restricted readers need
        them). Call inside the same snapshot as the doc values."""
        if self._portions is None:
            with _lock:
                if self._portions is None:
                    self._portions = load_portions(conn)
        return self._portions

    def label(self, conn: sqlite3.Connection, facet: str, value: str) -> str:
        """A facet value's display name, read on first use: an origin code's post name, a
        TAG's expansion (the same on every row of the value; '' when none)."""
        got = self._labels.get((facet, value))
        if got is None:
            sql = {
                "origin": "SELECT origin_name FROM cables WHERE origin_code = ? "
                "AND origin_name != '' LIMIT 1",
                "tag": "SELECT name FROM tags WHERE code = ? AND name != '' LIMIT 1",
            }[facet]
            row = conn.execute(sql, (value,)).fetchone()
            got = self._labels[(facet, value)] = row[0] if row else ""
        return got

    @property
    def nbytes(self) -> int:
        arrays = [self.present, self.day, self.year, self.month, self.class_level,
                  self.classification.codes, self.origin.codes, self.signer.codes, self.words,
                  self.has_subject, self.id_rank, self.tags.keys, self.tags.codes,
                  self.caveats.keys, self.caveats.codes, self.tags.starts,
                  self.caveats.starts]  # fmt: skip
        return sum(a.nbytes for a in arrays)


@dataclass
class PortionValues:
    """Every portion's clearance, for readers who may not see everything: portion ids
    ascending, with their level and caveat set (as codes into ``caveat_sets``)."""

    pids: np.ndarray  # int64, ascending
    level: np.ndarray  # int8
    caveat_code: np.ndarray  # int32
    caveat_sets: list[str]
    _visible: dict = field(default_factory=dict, repr=False)

    def visible(self, visible: Visibility) -> np.ndarray:
        """Per portion (in ``pids`` order), may the reader see it."""
        got = self._visible.get(visible)
        if got is None:
            ok = np.array([visible.allows(0, c) for c in self.caveat_sets], dtype=bool)
            got = (self.level <= visible.max_level) & ok[self.caveat_code]
            self._visible[visible] = got
        return got

    def allowed(self, pids: np.ndarray, visible: Visibility) -> np.ndarray:
        """Which of ``pids`` the reader may see. A cable's portions are consecutive in
        ``pids`` (positions 0, 1, ...), so a portion's index is its cable's first index
        plus its position: a gather, no search."""
        if not len(pids) or not len(self.pids):
            return np.zeros(len(pids), dtype=bool)
        first = self._first()
        keys = pids >> SHIFT
        keys = np.minimum(keys, len(first) - 1)
        at = first[keys] + (pids & (PORTIONS_PER_CABLE - 1))
        at = np.minimum(at, len(self.pids) - 1)
        return self.visible(visible)[at] & (self.pids[at] == pids)

    def _first(self) -> np.ndarray:
        got = getattr(self, "_first_index", None)
        if got is None:
            last_key = int(self.pids[-1] >> SHIFT) + 1 if len(self.pids) else 1
            starts = np.arange(last_key + 1, dtype=np.int64) << SHIFT
            got = self._first_index = np.searchsorted(self.pids, starts)
        return got


def load_portions(conn: sqlite3.Connection) -> PortionValues:
    # The narrow covering index (portion_id, cable_id, kind, level, caveats), in id order,
    # instead of the portions rows with their text.
    pids = _ints(
        conn,
        "SELECT group_concat(portion_id) FROM (SELECT portion_id FROM portions "
        "INDEXED BY portions_search ORDER BY portion_id)",
    )
    level = _ints(
        conn,
        "SELECT group_concat(level) FROM (SELECT level FROM portions "
        "INDEXED BY portions_search ORDER BY portion_id)",
    ).astype(np.int8)
    text = conn.execute(
        "SELECT group_concat(caveats, char(31)) FROM (SELECT caveats FROM portions "
        "INDEXED BY portions_search ORDER BY portion_id)"
    ).fetchone()[0]
    raw = text.split("\x1f") if text is not None else []
    sets = sorted(set(raw))
    index = {v: i for i, v in enumerate(sets)}
    codes = np.array([index[v] for v in raw], dtype=np.int32)
    return PortionValues(pids, level, codes, sets)


def generation(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    return int(row[0]) if row else 0


_cache: dict[tuple, DocValues] = {}
_lock = threading.Lock()


def _db_identity(conn: sqlite3.Connection) -> tuple:
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    if not path:  # :memory: or a temp database: one per connection
        return ("conn", id(conn))
    st = os.stat(path)
    return (path, st.st_dev, st.st_ino)


def preload(conn: sqlite3.Connection, *, portions: bool = True) -> DocValues:
    """Load the doc values (and, with ``portions``, the per-portion clearances restricted
    readers need) now, in one snapshot: a server does it before its first request."""
    conn.execute("BEGIN")
    try:
        dv = doc_values(conn)
        if portions:
            dv.portions(conn)
    finally:
        conn.execute("COMMIT")
    return dv


def doc_values(conn: sqlite3.Connection) -> DocValues:
    """The doc values of ``conn``'s database, loaded or reloaded when stale. Call inside the
    read transaction the search runs in, so arrays and tables are one snapshot."""
    ident = _db_identity(conn)
    gen = generation(conn)
    dv = _cache.get(ident)
    if dv is not None and dv.generation == gen:
        return dv
    with _lock:
        dv = _cache.get(ident)
        if dv is None or dv.generation != gen:
            dv = _cache[ident] = load(conn, gen)
    return dv


def _ints(conn: sqlite3.Connection, sql: str, params: tuple = ()) -> np.ndarray:
    # group_concat + one parse is ~5x faster than fetching a Python row per value.
    row = conn.execute(sql, params).fetchone()
    text = row[0] if row else None
    if not text:
        return np.zeros(0, dtype=np.int64)
    return np.fromstring(text, dtype=np.int64, sep=",")


def load(conn: sqlite3.Connection, gen: int | None = None) -> DocValues:
    """Read the doc values. Every column comes back from SQLite as one ``group_concat``
    string (or one per distinct value) parsed by numpy, so no Python object is made per
    cable: ~1 s for 250,000 cables."""
    gen = generation(conn) if gen is None else gen
    # ORDER BY key everywhere: the planner may otherwise scan an index in its own order.
    keys = _ints(conn, "SELECT group_concat(key) FROM (SELECT key FROM cables ORDER BY key)")
    n = int(keys.max()) + 1 if len(keys) else 1
    present = np.zeros(n, dtype=bool)
    present[keys] = True

    def numbers(expr: str, dtype: type, fill: int) -> np.ndarray:
        out: np.ndarray = np.full(n, fill, dtype=dtype)
        out[keys] = _ints(
            conn, f"SELECT group_concat(v) FROM (SELECT {expr} AS v FROM cables ORDER BY key)"
        )
        return out

    # Days as YYYYMMDD integers (the store writes dates as YYYY-MM-DD or NULL).
    day = numbers(
        f"coalesce(CAST(replace(substr(date, 1, 10), '-', '') AS INTEGER), {NO_DATE})",
        np.int32,
        NO_DATE,
    )
    year = numbers("coalesce(year, 0)", np.int32, 0)
    month = numbers(
        "coalesce(CAST(replace(substr(month, 1, 7), '-', '') AS INTEGER), 0)", np.int32, 0
    )

    def codes(column: str) -> Codes:
        # One row per distinct value with its cables: the dictionary and the codes at once.
        out = np.full(n, -1, dtype=np.int32)
        values: list[str] = []
        for value, ks in conn.execute(
            f"SELECT {column}, group_concat(key) FROM cables WHERE {column} != '' GROUP BY {column}"
        ):
            out[np.fromstring(ks, dtype=np.int64, sep=",")] = len(values)
            values.append(value)
        return Codes(values, out)

    origin = codes("origin_code")
    words = numbers("coalesce(n_words, 0)", np.float64, 0)
    has_subject = numbers("trim(subject) != ''", np.int8, 0).astype(bool)
    by_id = _ints(conn, "SELECT group_concat(key) FROM (SELECT key FROM cables ORDER BY id)")
    id_rank = np.zeros(n, dtype=np.int32)
    id_rank[by_id] = np.arange(len(by_id), dtype=np.int32)

    def pairs(table: str, column: str) -> Pairs:
        # One walk of the table in its primary key order (cable key, value): no join.
        ks, text = conn.execute(
            f"SELECT group_concat(cable_key), group_concat(v, char(31)) FROM "
            f"(SELECT cable_key, {column} AS v FROM {table} ORDER BY cable_key, {column})"
        ).fetchone()
        raw = text.split("\x1f") if text else []
        pkeys = np.fromstring(ks, dtype=np.int64, sep=",") if ks else np.zeros(0, np.int64)
        return Pairs.build(pkeys, raw, n)

    tags = pairs("cable_tags", "code")
    caveats = pairs("cable_caveats", "caveat")
    total_words = float(words[present].sum()) if len(keys) else 0.0
    return DocValues(
        generation=gen,
        n=n,
        present=present,
        cables=len(keys),
        day=day,
        year=year,
        month=month,
        class_level=numbers("coalesce(class_level, 0)", np.int8, 0),
        classification=codes("classification"),
        origin=origin,
        signer=codes("signer"),
        words=words,
        has_subject=has_subject,
        id_rank=id_rank,
        tags=tags,
        caveats=caveats,
        avg_words=max(total_words / max(len(keys), 1), 1.0),
    )
