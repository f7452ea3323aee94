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
TAGS, plus ``CITE_WEIGHT`` when one cable cites the other. The dense dot product over all
cables is one matrix-vector product (250,000 x 96 floats: a few milliseconds).
"""

from __future__ import annotations

import random
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from cablegram.classify.cache import ReaderCache, visible_clause
from cablegram.classify.data import connection
from cablegram.classify.text import Hashed, terms

__all__ = ["DIMS", "SimilarCable", "SimilarIndex", "build_index", "has_index", "similar"]

DIMS = 96
FIT_SAMPLE = 150_000  # portions the SVD is fitted on
TAG_WEIGHT = 0.15
CITE_WEIGHT = 0.25
CANDIDATES = 200

_DDL = """
CREATE TABLE IF NOT EXISTS classify_vectors (
    portion_id INTEGER PRIMARY KEY,
    vec BLOB NOT NULL                      -- DIMS float16, the portion's LSA vector
);
"""


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


def build_index(archive: Any, *, seed: int = 0, dims: int = DIMS) -> int:
    """(Re)build the portion vectors of an archive; returns the number of portions."""
    from sklearn.decomposition import TruncatedSVD

    conn = connection(archive)
    ids = [i for (i,) in conn.execute("SELECT portion_id FROM portions ORDER BY portion_id")]
    if not ids:
        raise ValueError("the archive has no portions to index")
    rng = random.Random(seed)
    fit_ids = set(rng.sample(ids, min(FIT_SAMPLE, len(ids))))
    sample: list[list[str]] = []
    for rows in _portion_texts(conn):
        sample += [terms(t) for pid, t in rows if pid in fit_ids]
    vec = Hashed().fit(sample)
    dims = max(2, min(dims, len(sample) - 1))
    svd = TruncatedSVD(dims, algorithm="randomized", n_iter=5, random_state=seed)
    svd.fit(vec.transform(sample))
    del sample
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
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    _CACHE.clear()
    return len(ids)


class SimilarIndex:
    """Cable vectors for one reader (one visibility), in memory."""

    def __init__(self, conn: sqlite3.Connection, visible: Any) -> None:
        if not has_index(conn):
            raise LookupError("no similar-cable index; run `cablegram classify index` first")
        vis, params = visible_clause(visible)
        rows = conn.execute(
            "SELECT v.portion_id, v.vec FROM classify_vectors v JOIN portions p "
            f"ON p.portion_id = v.portion_id WHERE {vis} ORDER BY v.portion_id",
            params,
        ).fetchall()
        keys = np.array([pid // 4096 for pid, _ in rows], dtype=np.int64)
        vecs = (
            np.frombuffer(b"".join(v for _, v in rows), dtype=np.float16)
            .reshape(len(rows), -1)
            .astype(np.float32)
            if rows
            else np.zeros((0, DIMS), dtype=np.float32)
        )
        if len(keys):
            starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
            self.keys = keys[starts]
            m = np.add.reduceat(vecs, starts, axis=0)
        else:
            self.keys = keys
            m = vecs
        norms = np.linalg.norm(m, axis=1)
        norms[norms == 0] = 1
        self.matrix = (m / norms[:, None]).astype(np.float32)
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

    def query(self, cable_id: str, k: int = 10,
              allowed: np.ndarray | None = None) -> list[tuple[int, float, list[str], bool]]:  # fmt: skip
        """(row, score, shared tags, cites) of the ``k`` most similar cables; ``allowed``
        is a boolean mask over rows (a search's other filters)."""
        i = self.by_id.get(cable_id)
        if i is None:
            return []
        sims = self.matrix @ self.matrix[i]
        sims[i] = -np.inf
        if allowed is not None:
            sims[~allowed] = -np.inf
        n = min(CANDIDATES, len(sims) - 1)
        if n <= 0:
            return []
        cand = np.argpartition(-sims, n - 1)[:n] if n < len(sims) else np.arange(len(sims))
        mine = self.tags.get(i, set())
        near = self.cites.get(i, set())
        out = []
        for j in cand.tolist():
            if not np.isfinite(sims[j]):
                continue
            theirs = self.tags.get(j, set())
            union = mine | theirs
            shared = sorted(mine & theirs)
            score = float(sims[j]) + (TAG_WEIGHT * len(shared) / len(union) if union else 0.0)
            cites = j in near
            if cites:
                score += CITE_WEIGHT
            out.append((j, score, shared, cites))
        out.sort(key=lambda r: (-r[1], self.ids[r[0]]))
        return out[:k]


def _n_vectors(conn: sqlite3.Connection) -> int:
    if not has_index(conn):
        return 0
    return int(conn.execute("SELECT count(*) FROM classify_vectors").fetchone()[0])


_CACHE = ReaderCache(SimilarIndex, _n_vectors)


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
