"""Facet counts of PostgreSQL searches from per-cable columns held by the serving process.

Counting seven facets in SQL (``GROUP BY`` over the matching set, joined to ``tags`` and
``caveats``) was most of a PostgreSQL search's time: the server aggregated the same rows
for every query. As the SQLite engine does (``search.docvalues``), the process keeps each
cable's facet values as dictionary-encoded numpy arrays, loaded once per database
generation (``Store.generation``: a counter every write transaction raises, read inside
the search's snapshot), and a search only sends back the ids it matched; counting them is
a few ``bincount`` calls. The rows given to ``search.postgres._facets`` are those the SQL
gave, so the facets are the same (the parity suite compares them with SQLite's).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["FacetValues", "facet_rows", "facet_values"]


@dataclass
class _Column:
    codes: np.ndarray  # int32 per cable (or per row of a list table); -1: no value
    values: list[Any]  # the code's value


def _encode(values: list[Any], skip: Any = "") -> _Column:
    index: dict[Any, int] = {}
    codes = np.full(len(values), -1, dtype=np.int32)
    for i, v in enumerate(values):
        if v is None or v == skip:
            continue
        c = index.get(v)
        if c is None:
            c = index[v] = len(index)
        codes[i] = c
    return _Column(codes, list(index))


@dataclass
class FacetValues:
    """The facet columns of every cable of one database generation."""

    generation: int
    index: dict[str, int]  # cable id -> row
    origin: _Column  # (origin_code, origin_name) pairs
    when: _Column  # (year, month) pairs, for dated cables
    classification: _Column
    signer: _Column
    caveat_rows: np.ndarray  # the cable row of each caveats row
    caveat: _Column
    tag_rows: np.ndarray
    tag: _Column

    def rows(self, ids: list[str]) -> list[tuple]:
        """``search.postgres``'s facet rows (part, 0, value, label, ..., count) for the
        cables ``ids``: what the SQL ``GROUP BY`` over them returned."""
        index = self.index
        keys = np.fromiter((index[i] for i in ids if i in index), dtype=np.int64)
        n = len(index)
        matched = np.zeros(n, dtype=bool)
        matched[keys] = True
        out: list[tuple] = []

        def counted(col: _Column, sel: np.ndarray) -> list[tuple[Any, int]]:
            codes = col.codes[sel]
            codes = codes[codes >= 0]
            counts = np.bincount(codes, minlength=len(col.values))
            return [(col.values[c], int(counts[c])) for c in np.flatnonzero(counts)]

        names: dict[str, tuple[str, int]] = {}
        for (code, name), k in counted(self.origin, keys):
            have = names.get(code)
            names[code] = (max(have[0], name), have[1] + k) if have else (name, k)
        out += [(2, 0, code, name, None, None, None, k, None) for code, (name, k) in names.items()]
        out += [
            (3, 0, str(y), m, None, None, None, k, None) for (y, m), k in counted(self.when, keys)
        ]
        out += [(4, 0, v, None, None, None, None, k, None)
                for v, k in counted(self.classification, keys)]  # fmt: skip
        out += [(5, 0, v, None, None, None, None, k, None)
                for v, k in counted(self.caveat, matched[self.caveat_rows])]  # fmt: skip
        out += [(6, 0, v, None, None, None, None, k, None)
                for v, k in counted(self.tag, matched[self.tag_rows])]  # fmt: skip
        out += [(7, 0, v, None, None, None, None, k, None) for v, k in counted(self.signer, keys)]
        return out


_CACHE: dict[tuple, FacetValues] = {}
_LOCK = threading.Lock()


def facet_values(conn: Any, generation: int) -> FacetValues:
    """The facet columns of the database ``conn`` reads at ``generation`` (read in the
    caller's snapshot when not held yet; the previous generation's are dropped)."""
    info = conn.info
    key = (info.host, info.port, info.dbname)
    with _LOCK:
        fv = _CACHE.get(key)
        if fv is not None and fv.generation == generation:
            return fv
    fv = load(conn, generation)
    with _LOCK:
        _CACHE[key] = fv
    return fv


def load(conn: Any, generation: int) -> FacetValues:
    rows = conn.execute(
        "SELECT id, origin_code, origin_name, year, month, classification, signer FROM cables"
    ).fetchall()
    index = {r[0]: i for i, r in enumerate(rows)}
    origin = _encode([(r[1], r[2]) if r[1] != "" else None for r in rows])
    when = _encode([(r[3], r[4]) if r[3] is not None else None for r in rows])

    def table(sql: str) -> tuple[np.ndarray, _Column]:
        pairs = conn.execute(sql).fetchall()
        cable = np.fromiter((index.get(c, -1) for c, _ in pairs), dtype=np.int64, count=len(pairs))
        col = _encode([v for _, v in pairs], skip=None)
        keep = cable >= 0
        return cable[keep], _Column(col.codes[keep], col.values)

    caveat_rows, caveat = table("SELECT cable_id, caveat FROM caveats")
    tag_rows, tag = table("SELECT cable_id, code FROM tags")
    return FacetValues(
        generation, index, origin, when, _encode([r[5] for r in rows]),
        _encode([r[6] for r in rows]), caveat_rows, caveat, tag_rows, tag,
    )  # fmt: skip


def facet_rows(conn: Any, generation: int, ids: list[str]) -> list[tuple]:
    """The facet rows of the cables ``ids`` (``FacetValues.rows``)."""
    return facet_values(conn, generation).rows(ids)
