"""Similar cables ("more like this"): text vectors per portion, summed over what a reader
may see, with shared TAGS and citations weighed in (docs/classify.md).

Each portion's text becomes a dense LSA vector (hashed TF-IDF reduced by a truncated SVD
to ``DIMS`` dimensions, fitted on a seeded sample of portions). A cable's vector for a
reader is the sum of the vectors of the portions that reader may see, normalised; so a
restricted reader's similarities come only from visible text of both cables. Why portions
and not cables: the vectors must be re-summed per clearance, and summing stays linear
(the sum of portion vectors is the vector of the visible text, up to the TF-IDF's
per-document normalisation).

Scoring: cosine of the text vectors, plus ``TAG_WEIGHT`` times the Jaccard overlap of the
TAGS, plus ``ENTITY_WEIGHT`` times the IDF-weighted Jaccard overlap of the entities named
(``cablegram enrich``: resolved people, organisations and places, from the mentions in
portions the reader may see), plus ``CITE_WEIGHT`` when one cable cites the other. Entities
are weighed by IDF over the reader's cables so that a name in every other cable (the host
country, the Department) counts for little and a rare shared one for much. The dense dot
product over all cables is one matrix-vector product (250,000 x 96 floats: a few
milliseconds); the other terms re-rank the ``CANDIDATES`` best by text.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
from scipy import sparse

from cablegram.classify.cache import ReaderCache, visible_clause
from cablegram.classify.data import connection
from cablegram.classify.text import Hashed, terms

__all__ = [
    "DIMS",
    "SimilarCable",
    "SimilarIndex",
    "Weights",
    "build_index",
    "has_index",
    "scores",
    "similar",
]

DIMS = 96
FIT_SAMPLE = 150_000  # portions the SVD is fitted on
TAG_WEIGHT = 0.15
ENTITY_WEIGHT = 0.8
CITE_WEIGHT = 0.25
CANDIDATES = 200

_DDL = """
CREATE TABLE IF NOT EXISTS classify_vectors (
    portion_id INTEGER PRIMARY KEY,
    vec BLOB NOT NULL                      -- DIMS float16, the portion's LSA vector
);
-- One row: when the vectors were (re)built (part of the in-memory index's cache key).
CREATE TABLE IF NOT EXISTS classify_index_info (
    one INTEGER PRIMARY KEY CHECK (one = 0),
    built_at REAL NOT NULL,
    portions INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class Weights:
    """What the non-text terms of the score weigh (the bench compares settings)."""

    tags: float = TAG_WEIGHT
    entities: float = ENTITY_WEIGHT
    cites: float = CITE_WEIGHT


@dataclass
class SimilarCable:
    id: str
    score: float
    subject: str = ""
    date: str = ""
    shared_tags: list[str] | None = None
    cites: bool = False  # one cites the other


def has_index(conn: sqlite3.Connection) -> bool:
    return bool(
        conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'classify_vectors'").fetchone()
        and conn.execute("SELECT 1 FROM classify_vectors LIMIT 1").fetchone()
    )


def _portion_texts(conn: sqlite3.Connection, batch: int = 20_000):
    last = -1
    while True:
        rows = conn.execute(
            "SELECT portion_id, heading || ' ' || text FROM portions WHERE portion_id > ? "
            "ORDER BY portion_id LIMIT ?",
            (last, batch),
        ).fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


class _Terms(Sequence[list[str]]):
    """The terms of each text, made when read: the SVD's sample is hashed twice (fit, then
    transform) without holding every portion's term list (gigabytes at 150,000 portions)."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts

    def __len__(self) -> int:
        return len(self.texts)

    @overload
    def __getitem__(self, i: int) -> list[str]: ...
    @overload
    def __getitem__(self, i: slice) -> list[list[str]]: ...
    def __getitem__(self, i: int | slice) -> list[str] | list[list[str]]:
        if isinstance(i, slice):
            return [terms(t) for t in self.texts[i]]
        return terms(self.texts[i])


def build_index(archive: Any, *, seed: int = 0, dims: int = DIMS) -> int:
    """(Re)build the portion vectors of an archive; returns the number of portions."""
    from sklearn.decomposition import TruncatedSVD

    conn = connection(archive)
    ids = [i for (i,) in conn.execute("SELECT portion_id FROM portions ORDER BY portion_id")]
    if not ids:
        raise ValueError("the archive has no portions to index")
    rng = random.Random(seed)
    fit_ids = set(rng.sample(ids, min(FIT_SAMPLE, len(ids))))
    texts: list[str] = []
    for rows in _portion_texts(conn):
        texts += [t for pid, t in rows if pid in fit_ids]
    sample = _Terms(texts)
    vec = Hashed().fit(sample)
    dims = max(2, min(dims, len(sample) - 1))
    svd = TruncatedSVD(dims, algorithm="randomized", n_iter=5, random_state=seed)
    svd.fit(vec.transform(sample))
    del sample, texts
    comps = svd.components_.T.astype(np.float32)  # features x dims
    conn.executescript(_DDL)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DELETE FROM classify_vectors")
        for rows in _portion_texts(conn):
            x = vec.transform([terms(t) for _, t in rows])
            v = np.asarray(sparse.csr_matrix(x) @ comps, dtype=np.float16)
            conn.executemany(
                "INSERT INTO classify_vectors VALUES (?, ?)",
                [(pid, v[i].tobytes()) for i, (pid, _) in enumerate(rows)],
            )
        conn.execute("INSERT OR REPLACE INTO classify_index_info VALUES (0, ?, ?)",
                     (time.time(), len(ids)))  # fmt: skip
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    _CACHE.clear()
    return len(ids)


def _cable_vectors(conn: sqlite3.Connection, visible: Any,
                   span: int = 20_000) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Cable keys and their normalised vectors (the sum of the visible portions' vectors),
    read ``span`` cables at a time (a cable's portions are one range of portion ids), so
    memory holds one span's portion vectors beside the result, not every portion's."""
    vis, params = visible_clause(visible)
    (top,) = conn.execute("SELECT COALESCE(max(key), -1) FROM cables").fetchone()
    keys: list[np.ndarray] = []
    sums: list[np.ndarray] = []
    for lo in range(0, top + 1, span):
        pids, blob = [], []
        for pid, vec in conn.execute(
            "SELECT v.portion_id, v.vec FROM classify_vectors v JOIN portions p "
            f"ON p.portion_id = v.portion_id WHERE v.portion_id >= ? AND v.portion_id < ? "
            f"AND {vis} ORDER BY v.portion_id",
            [lo * 4096, (lo + span) * 4096, *params],
        ):
            pids.append(pid)
            blob.append(vec)
        if not pids:
            continue
        k = np.array(pids, dtype=np.int64) // 4096
        v = np.frombuffer(b"".join(blob), dtype=np.float16).reshape(len(pids), -1)
        starts = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
        keys.append(k[starts])
        sums.append(np.add.reduceat(v.astype(np.float32), starts, axis=0))
    if not keys:
        return np.zeros(0, dtype=np.int64), np.zeros((0, DIMS), dtype=np.float32)
    m = np.concatenate(sums)
    norms = np.linalg.norm(m, axis=1)
    norms[norms == 0] = 1
    m /= norms[:, None]
    return np.concatenate(keys), m


def scores(matrix: np.ndarray, i: int) -> np.ndarray:
    """Cosine of row ``i`` with every row (the rows are normalised). ``einsum`` runs the
    product on one core without BLAS: a matrix-vector product is bound by memory, and
    OpenBLAS's threads only add their start and spin time (at 250,000 x 96: CPU 4.2 ms
    against 8.0 alone, wall p95 7.1 against 8.7 ms idle; no wait for a second core on a busy
    server; bench/similar.py)."""
    return np.einsum("ij,j->i", matrix, matrix[i])


class SimilarIndex:
    """Cable vectors for one reader (one visibility), in memory."""

    def __init__(self, conn: sqlite3.Connection, visible: Any) -> None:
        if not has_index(conn):
            raise LookupError("no similar-cable index; run `cablegram classify index` first")
        self.keys, self.matrix = _cable_vectors(conn, visible)
        self.row = {int(k): i for i, k in enumerate(self.keys)}
        key_id = dict(conn.execute("SELECT key, id FROM cables"))
        self.ids = [key_id.get(int(k), "") for k in self.keys]
        self.by_id = {cid: i for i, cid in enumerate(self.ids)}
        self.tags: dict[int, set[str]] = defaultdict(set)
        for key, code in conn.execute("SELECT cable_key, code FROM cable_tags"):
            if key in self.row:
                self.tags[self.row[key]].add(code)
        self.cites: dict[int, set[int]] = defaultdict(set)
        for key, ref in conn.execute(
            "SELECT r.cable_key, c.key FROM cable_refs r JOIN cables c ON c.id = r.ref_id"
        ):
            a, b = self.row.get(key), self.row.get(ref)
            if a is not None and b is not None and a != b:
                self.cites[a].add(b)
                self.cites[b].add(a)
        self._entities(conn, visible)

    def _entities(self, conn: sqlite3.Connection, visible: Any) -> None:
        """``self.entities``: cables x entities (CSR, IDF weights) from the mentions in
        portions the reader may see; ``self.entity_total``: each row's sum. Empty when the
        archive was never enriched."""
        n = len(self.keys)
        rows: list[int] = []
        cols: list[int] = []
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'mentions'").fetchone():
            if visible is None:
                sql = ("SELECT DISTINCT m.portion_id / 4096, m.entity_id FROM mentions m "
                       "WHERE m.entity_id IS NOT NULL AND m.portion_id IS NOT NULL")  # fmt: skip
                params: list[object] = []
            else:
                vis, params = visible.portion_clause("p")
                sql = ("SELECT DISTINCT m.portion_id / 4096, m.entity_id FROM mentions m "
                       "JOIN portions p ON p.portion_id = m.portion_id "
                       f"WHERE m.entity_id IS NOT NULL AND {vis}")  # fmt: skip
            ids: dict[str, int] = {}
            for key, ent in conn.execute(sql, params):
                r = self.row.get(key)
                if r is not None:
                    rows.append(r)
                    cols.append(ids.setdefault(ent, len(ids)))
        m = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)),
            shape=(n, max(1, len(set(cols)))),
        )
        df = np.asarray(m.sum(axis=0)).ravel()
        # IDF; an entity of one cable cannot be shared and weighs nothing in the overlap.
        idf = np.where(df > 1, np.log((1 + n) / (1 + df)), 0.0).astype(np.float32)
        self.entities = sparse.csr_matrix(m.multiply(idf[None, :]))
        self.entity_total = np.asarray(self.entities.sum(axis=1)).ravel()

    def entity_overlap(self, i: int, rows: np.ndarray) -> np.ndarray:
        """The IDF-weighted Jaccard overlap of row ``i``'s entities with each of ``rows``."""
        if not self.entity_total[i]:
            return np.zeros(len(rows), dtype=np.float32)
        mine = np.zeros(self.entities.shape[1], dtype=np.float32)
        mine[self.entities[i].indices] = 1.0
        shared = np.asarray(self.entities[rows] @ mine).ravel()
        union = self.entity_total[i] + self.entity_total[rows] - shared
        return np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)

    def query(self, cable_id: str, k: int = 10, allowed: np.ndarray | None = None,
              weights: Weights | None = None) -> list[tuple[int, float, list[str], bool]]:  # fmt: skip
        """(row, score, shared tags, cites) of the ``k`` most similar cables; ``allowed``
        is a boolean mask over rows (a search's other filters)."""
        i = self.by_id.get(cable_id)
        if i is None:
            return []
        sims = scores(self.matrix, i)
        sims[i] = -np.inf
        if allowed is not None:
            np.putmask(sims, ~allowed, -np.inf)
        n = min(CANDIDATES, len(sims) - 1)
        if n <= 0:
            return []
        # The n largest without negating a copy of the whole score vector.
        cand = np.argpartition(sims, len(sims) - n)[len(sims) - n :]
        cand = cand[np.isfinite(sims[cand])]
        weights = weights or Weights()
        mine = self.tags.get(i, set())
        near = self.cites.get(i, set())
        ents = self.entity_overlap(i, cand) if weights.entities else np.zeros(len(cand))
        out = []
        for j, e in zip(cand.tolist(), ents.tolist()):
            theirs = self.tags.get(j, set())
            union = mine | theirs
            shared = sorted(mine & theirs)
            score = float(sims[j]) + weights.entities * e
            if union:
                score += weights.tags * len(shared) / len(union)
            cites = j in near
            if cites:
                score += weights.cites
            out.append((j, score, shared, cites))
        out.sort(key=lambda r: (-r[1], self.ids[r[0]]))
        return out[:k]


def _stamp(conn: sqlite3.Connection) -> int:
    """What the reader's index depends on besides the generation, cheap at any size (no
    count over the vectors): when the vectors were built, and the last mention written by
    `cablegram enrich` (entities weigh in the score)."""
    built = (conn.execute("SELECT built_at FROM classify_index_info").fetchone()
             if _table(conn, "classify_index_info") else None)  # fmt: skip
    mentions = (conn.execute("SELECT max(mention_id) FROM mentions").fetchone()
                if _table(conn, "mentions") else None)  # fmt: skip
    return hash((built, mentions, has_index(conn)))


def _table(conn: sqlite3.Connection, name: str) -> bool:
    return bool(conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone())


_CACHE = ReaderCache(SimilarIndex, _stamp)


def index_for(conn: sqlite3.Connection, visible: Any) -> SimilarIndex:
    """The reader's index, cached per database, generation and visibility."""
    return _CACHE.get(conn, visible)


def similar(archive: Any, cable_id: str, *, k: int = 10, visible: Any = None) -> list[SimilarCable]:
    """The ``k`` cables most like ``cable_id`` for a reader of ``visible`` (``None``: all text).
    Raises ``LookupError`` when the cable is not visible or the index is missing."""
    conn = connection(archive)
    idx = index_for(conn, visible)
    cid = cable_id.strip().upper()
    if cid not in idx.by_id:
        raise LookupError(f"no cable {cid}")
    hits = idx.query(cid, k)
    out = [SimilarCable(idx.ids[j], round(s, 4), shared_tags=t, cites=c) for j, s, t, c in hits]
    _describe(conn, out, visible)
    return out


def _describe(conn: sqlite3.Connection, out: list[SimilarCable], visible: Any) -> None:
    """Subject (only when the reader may see it) and date of each hit."""
    if not out:
        return
    marks = ",".join("?" * len(out))
    vis, params = visible_clause(visible)
    rows = conn.execute(
        f"SELECT c.id, c.date, (SELECT p.text FROM portions p WHERE p.cable_id = c.id "
        f"AND p.kind = 'subject' AND {vis}) FROM cables c WHERE c.id IN ({marks})",
        [*params, *(s.id for s in out)],
    ).fetchall()
    info = {cid: (date or "", subj or "") for cid, date, subj in rows}
    for s in out:
        s.date, s.subject = info.get(s.id, ("", ""))
