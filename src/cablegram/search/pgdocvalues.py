"""The SQLite engine's doc values (``search.docvalues``), loaded from PostgreSQL.

PostgreSQL has no integer cable key, so a cable's key here is its rank in id order
(``COLLATE "C"``, SQLite's order too): ``id_rank`` is then the key itself, and ``ids[key]``
turns a page of keys back into cable ids without a query. Portion ids are PostgreSQL's
(an identity), so the portions are held as dense arrays indexed by portion id: its cable's
key (-1: no such portion, e.g. one deleted by an update, whose id the postings may still
hold), whether it is the subject line, its level and its caveat set. Restricted readers'
rights are applied to those arrays with ``Visibility.allows``, as in the SQLite engine.

Everything is loaded in the search's snapshot once per database generation (the counter
every write transaction raises, ``Store.generation``), so a write by any process or
machine is seen by the next search, and kept by the process for every later search of
that generation.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cablegram.search.docvalues import NO_DATE, Codes, DocValues, Pairs
from cablegram.search.visibility import Visibility

__all__ = ["PgDocValues", "PortionMap", "doc_values"]


@dataclass
class PortionMap:
    """Every live portion, as arrays indexed by portion id."""

    key: np.ndarray  # int32: the portion's cable key; -1 when there is no such portion
    subject: np.ndarray  # bool: the cable's subject line
    seq: np.ndarray  # int32: the portion's position in its cable (snippets' order)
    level: np.ndarray  # int8
    caveat_code: np.ndarray  # int16: index into ``caveat_sets``
    caveat_sets: list[str]
    _visible: dict = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def visible(self, visible: Visibility) -> np.ndarray:
        """Per portion id, may the reader see it (False for ids of no portion)."""
        got = self._visible.get(visible)
        if got is None:
            ok = np.array([visible.allows(0, c) for c in self.caveat_sets], dtype=bool)
            got = (self.key >= 0) & (self.level <= visible.max_level) & ok[self.caveat_code]
            with self._lock:
                self._visible[visible] = got
        return got

    def live(self, pids: np.ndarray) -> np.ndarray:
        """Which of ``pids`` are portions stored now."""
        inside = pids < len(self.key)
        out = np.zeros(len(pids), dtype=bool)
        out[inside] = self.key[pids[inside]] >= 0
        return out


@dataclass
class PgDocValues(DocValues):
    """``DocValues`` with the cable ids by key and the portions by id."""

    ids: list[str] = field(default_factory=list, repr=False)
    pmap: PortionMap | None = field(default=None, repr=False)
    _key_of: dict[str, int] | None = field(default=None, repr=False)

    def key_of(self, cable_id: str) -> int:
        """A cable id's key (-1 when it is not stored)."""
        if self._key_of is None:
            self._key_of = {cid: i for i, cid in enumerate(self.ids)}
        return self._key_of.get(cable_id, -1)

    def label(self, conn: Any, facet: str, value: str) -> str:
        got = self._labels.get((facet, value))
        if got is None:
            sql = {
                "origin": "SELECT origin_name FROM cables WHERE origin_code = %s "
                "AND origin_name != '' ORDER BY id LIMIT 1",
                "tag": "SELECT name FROM tags WHERE code = %s AND name != '' "
                "ORDER BY cable_id LIMIT 1",
            }[facet]
            row = conn.execute(sql, (value,)).fetchone()
            got = self._labels[(facet, value)] = row[0] if row else ""
        return got


_LEADING_INT = re.compile(r"\s*([+-]?\d+)")


def _sqlite_int(text: str | None, fill: int) -> int:
    """SQLite's ``CAST(text AS INTEGER)``: the leading integer, 0 when none; ``fill`` for
    NULL (the SQLite doc values' ``coalesce``)."""
    if text is None:
        return fill
    m = _LEADING_INT.match(text)
    return int(m.group(1)) if m else 0


def _codes(values: list[str | None], n: int) -> Codes:
    """A dictionary-encoded column: '' and NULL are -1; the dictionary in the order the
    SQLite loader's ``GROUP BY`` gives (byte order)."""
    distinct = sorted({v for v in values if v}, key=lambda v: v.encode())
    index = {v: i for i, v in enumerate(distinct)}
    codes = np.full(n, -1, dtype=np.int32)
    codes[: len(values)] = [index.get(v, -1) if v else -1 for v in values]
    return Codes(distinct, codes)


def _pairs(keys: list[int], values: list[str], n: int) -> Pairs:
    return Pairs.build(np.array(keys, dtype=np.int64), values, n)


# The cables in id order, numbered: the key of each.
_KEYS = "(SELECT id, (row_number() OVER (ORDER BY id) - 1)::int4 AS key FROM cables)"


def load(conn: Any, gen: int) -> PgDocValues:
    """Read the doc values and the portion map (inside the caller's snapshot)."""
    cur = conn.cursor(binary=True)
    row = cur.execute(
        "SELECT array_agg(id ORDER BY id), array_agg(date ORDER BY id), "
        "array_agg(coalesce(year, 0) ORDER BY id), array_agg(month ORDER BY id), "
        "array_agg(class_level ORDER BY id), array_agg(classification ORDER BY id), "
        "array_agg(origin_code ORDER BY id), array_agg(signer ORDER BY id), "
        "array_agg(n_words ORDER BY id), array_agg(trim(subject) != '' ORDER BY id) "
        "FROM cables"
    ).fetchone()
    ids: list[str] = row[0] or []
    n = max(len(ids), 1)
    cables = len(ids)
    present = np.zeros(n, dtype=bool)
    present[:cables] = True

    def ints(values: list | None, dtype: type, fill: int) -> np.ndarray:
        out: np.ndarray = np.full(n, fill, dtype=dtype)
        if values:
            out[:cables] = np.array(values, dtype=dtype)
        return out

    dates = row[1] or []
    day = ints([_sqlite_int(d[:10].replace("-", "") if d is not None else None, NO_DATE)
                for d in dates], np.int32, NO_DATE)  # fmt: skip
    months = row[3] or []
    month = ints([_sqlite_int(m[:7].replace("-", "") if m is not None else None, 0)
                  for m in months], np.int32, 0)  # fmt: skip
    words = ints(row[8], np.float64, 0)
    tag_rows = cur.execute(
        f"SELECT array_agg(k.key ORDER BY k.key, t.code), array_agg(t.code ORDER BY k.key, t.code) "
        f"FROM tags t JOIN {_KEYS} k ON k.id = t.cable_id"
    ).fetchone()
    cav_rows = cur.execute(
        f"SELECT array_agg(k.key ORDER BY k.key, v.caveat), "
        f"array_agg(v.caveat ORDER BY k.key, v.caveat) "
        f"FROM caveats v JOIN {_KEYS} k ON k.id = v.cable_id"
    ).fetchone()
    total_words = float(words[:cables].sum())
    return PgDocValues(
        generation=gen,
        n=n,
        present=present,
        cables=cables,
        day=day,
        year=ints(row[2], np.int32, 0),
        month=month,
        class_level=ints(row[4], np.int8, 0),
        classification=_codes(row[5] or [], n),
        origin=_codes(row[6] or [], n),
        signer=_codes(row[7] or [], n),
        words=words,
        has_subject=ints(row[9], np.int8, 0).astype(bool),
        id_rank=np.arange(n, dtype=np.int32),
        tags=_pairs(tag_rows[0] or [], tag_rows[1] or [], n),
        caveats=_pairs(cav_rows[0] or [], cav_rows[1] or [], n),
        avg_words=max(total_words / max(cables, 1), 1.0),
        ids=ids,
        pmap=load_portions(conn),
    )


# COPY's binary rows of (portion id int8, key int4, subject bool, seq int4, level int2,
# caveat set int2): a fixed width, so numpy reads them as records without a Python object
# per portion (2.25 million portions at 250,000 cables).
_ROW = np.dtype([("nf", ">i2"), ("l0", ">i4"), ("pid", ">i8"), ("l1", ">i4"), ("key", ">i4"),
                 ("l2", ">i4"), ("subject", "?"), ("l3", ">i4"), ("seq", ">i4"),
                 ("l4", ">i4"), ("level", ">i2"), ("l5", ">i4"), ("caveats", ">i2")])  # fmt: skip
_HEADER = 19  # PGCOPY signature (11), flags (4), header extension length (4, zero)


def load_portions(conn: Any) -> PortionMap:
    sets: list[str] = conn.execute(
        "SELECT coalesce(array_agg(caveats ORDER BY caveats), '{}') "
        "FROM (SELECT DISTINCT caveats FROM portions) s"
    ).fetchone()[0]
    sql = (
        "COPY (SELECT p.portion_id, k.key, p.kind = 'subject', p.seq, "
        "least(greatest(p.level, -128), 127)::int2, "
        "(array_position(%s::text[], p.caveats::text) - 1)::int2 "
        f"FROM portions p JOIN {_KEYS} k ON k.id = p.cable_id) TO STDOUT (FORMAT BINARY)"
    )
    with conn.cursor() as cur, cur.copy(sql, (sets,)) as cp:
        data = b"".join(bytes(block) for block in cp)
    rows = np.frombuffer(
        data, dtype=_ROW, offset=_HEADER, count=(len(data) - _HEADER - 2) // _ROW.itemsize
    )
    pids = rows["pid"].astype(np.int64)
    size = int(pids.max()) + 1 if len(pids) else 1
    key = np.full(size, -1, dtype=np.int32)
    key[pids] = rows["key"]
    subject = np.zeros(size, dtype=bool)
    subject[pids] = rows["subject"]
    seq = np.zeros(size, dtype=np.int32)
    seq[pids] = rows["seq"]
    level = np.zeros(size, dtype=np.int8)
    level[pids] = rows["level"]
    caveat_code = np.zeros(size, dtype=np.int16)
    caveat_code[pids] = rows["caveats"]
    return PortionMap(key, subject, seq, level, caveat_code, list(sets))


_cache: dict[tuple, PgDocValues] = {}
_lock = threading.Lock()


# (and no JIT compiling for the search's statements: on a large archive a phrase's plan
# passes jit_above_cost, and compiling costs more than it saves)
GENERATION_SQL = (
    "SELECT (SELECT oid FROM pg_database WHERE datname = current_database())::int8, "
    "(SELECT value FROM meta WHERE key = 'generation'), set_config('jit', 'off', true)"
)


def stamp(row: tuple) -> tuple[int, int]:
    return int(row[0]), int(row[1]) if row[1] is not None else 0


def generation(conn: Any) -> tuple[int, int]:
    """(the database's oid, its generation): a database dropped and made again under the
    same name is another database."""
    return stamp(conn.execute(GENERATION_SQL).fetchone())


def doc_values(conn: Any, at: tuple[int, int] | None = None) -> PgDocValues:
    """The doc values of ``conn``'s database at the generation its snapshot sees (``at``,
    when the caller read it already), loaded or reloaded when stale. Call inside the
    search's transaction."""
    info = conn.info
    oid, gen = generation(conn) if at is None else at
    ident = (info.host, info.port, info.dbname, oid)
    dv = _cache.get(ident)
    if dv is not None and dv.generation == gen:
        return dv
    with _lock:
        dv = _cache.get(ident)
        if dv is None or dv.generation != gen:
            dv = load(conn, gen)
            # A slower search still in an older snapshot must not replace a newer load.
            old = _cache.get(ident)
            if old is None or old.generation < gen:
                _cache[ident] = dv
    return dv
