"""Topics learnt from the archive's paragraphs (docs/classify.md).

NMF on paragraph TF-IDF, not LDA: on short texts (a cable paragraph is ~80 words) NMF's
topics are sharper and their top words read as labels; it is deterministic with the NNDSVD
start (no sampling: the same archive gives the same topics, which the tests rely on), and it
fits 100,000 paragraphs in a minute or two on two cores where LDA's variational passes take
several times longer. Each paragraph is assigned its strongest topic when that topic carries
at least ``MIN_SHARE`` of its weight; a cable is "about" every topic one of its paragraphs
is assigned, so a topic count for a restricted reader counts only visible paragraphs.
"""

from __future__ import annotations

import random
import re
import sqlite3
from dataclasses import dataclass
from typing import Any

import numpy as np

from cablegram.classify.cache import ReaderCache, visible_clause
from cablegram.classify.data import connection
from cablegram.classify.text import scrub

__all__ = ["Topic", "build_topics", "has_topics", "list_topics", "topic_counts"]

N_TOPICS = 40
FIT_SAMPLE = 100_000
MIN_SHARE = 0.3
_DDL = """
CREATE TABLE IF NOT EXISTS classify_topics (
    topic INTEGER PRIMARY KEY,
    label TEXT NOT NULL,                   -- its top words, joined by ' '
    weight REAL NOT NULL DEFAULT 0        -- share of the fitted paragraphs' weight
);
CREATE TABLE IF NOT EXISTS classify_portion_topics (
    portion_id INTEGER PRIMARY KEY,
    topic INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS classify_portion_topics_topic ON classify_portion_topics(topic);
"""
_STOP_EXTRA = {"said", "also", "would", "will", "one", "two", "post", "embassy", "comment",
               "end", "summary", "ref", "reftel", "septel", "para", "paras", "mr", "ms",
               "dr", "th", "s", "s'", "amb", "ambassador", "gov", "govt", "government"}  # fmt: skip


@dataclass
class Topic:
    topic: int
    label: str  # top words
    cables: int = 0  # cables with a paragraph of this topic (for the reader asking)


def has_topics(conn: sqlite3.Connection) -> bool:
    return bool(
        conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'classify_topics'").fetchone()
    )


def _clean(text: str) -> str:
    return re.sub(r"\d+", " ", scrub(text))


def build_topics(archive: Any, *, n_topics: int = N_TOPICS, seed: int = 0,
                 top_words: int = 6) -> list[Topic]:  # fmt: skip
    """Fit the topics and assign every paragraph; returns the topics."""
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

    conn = connection(archive)
    ids = [i for (i,) in conn.execute("SELECT portion_id FROM portions WHERE kind = 'para' "
                                      "ORDER BY portion_id")]  # fmt: skip
    if len(ids) < n_topics * 5:
        raise ValueError(f"too few paragraphs ({len(ids)}) for {n_topics} topics")
    fit_ids = sorted(random.Random(seed).sample(ids, min(FIT_SAMPLE, len(ids))))
    texts = _texts(conn, fit_ids)
    vec = TfidfVectorizer(
        preprocessor=lambda t: _clean(t).lower(), stop_words=sorted(ENGLISH_STOP_WORDS | _STOP_EXTRA),
        token_pattern=r"(?u)\b[a-z][a-z'-]+[a-z]\b", min_df=3, max_df=0.3,
        max_features=30_000, sublinear_tf=True, dtype=np.float32,
    )  # fmt: skip
    x = vec.fit_transform(texts)
    nmf = NMF(n_topics, init="nndsvd", random_state=seed, max_iter=200, alpha_W=0.0)
    w = nmf.fit_transform(x)
    words = vec.get_feature_names_out()
    labels = [" ".join(words[j] for j in np.argsort(-h)[:top_words]) for h in nmf.components_]
    share = w.sum(axis=0) / max(w.sum(), 1e-9)
    conn.executescript(_DDL)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DELETE FROM classify_topics")
        conn.execute("DELETE FROM classify_portion_topics")
        conn.executemany("INSERT INTO classify_topics VALUES (?, ?, ?)",
                         [(i + 1, lab, float(s)) for i, (lab, s) in enumerate(zip(labels, share))])  # fmt: skip
        for i in range(0, len(ids), 20_000):
            part = ids[i : i + 20_000]
            wt = nmf.transform(vec.transform(_texts(conn, part)))
            tot = wt.sum(axis=1)
            best = wt.argmax(axis=1)
            ok = (tot > 0) & (wt[np.arange(len(part)), best] >= MIN_SHARE * np.maximum(tot, 1e-9))
            conn.executemany(
                "INSERT INTO classify_portion_topics VALUES (?, ?)",
                [(pid, int(best[j]) + 1) for j, pid in enumerate(part) if ok[j]],
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    _CACHE.clear()
    return [Topic(i + 1, lab) for i, lab in enumerate(labels)]


def _texts(conn: sqlite3.Connection, ids: list[int]) -> list[str]:
    out: dict[int, str] = {}
    for i in range(0, len(ids), 900):
        part = ids[i : i + 900]
        out.update(conn.execute(
            f"SELECT portion_id, text FROM portions WHERE portion_id IN ({','.join('?' * len(part))})",
            part,
        ).fetchall())  # fmt: skip
    return [out.get(i, "") for i in ids]


class _Assigned:
    """(cable key, topic) pairs of the portions one reader may see, deduplicated."""

    def __init__(self, conn: sqlite3.Connection, visible: Any) -> None:
        vis, params = visible_clause(visible)
        rows = conn.execute(
            "SELECT DISTINCT t.portion_id / 4096, t.topic FROM classify_portion_topics t "
            f"JOIN portions p ON p.portion_id = t.portion_id WHERE {vis}",
            params,
        ).fetchall()
        arr = np.array(rows, dtype=np.int64).reshape(-1, 2)
        self.keys, self.topics = arr[:, 0], arr[:, 1]


def _n_assigned(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM classify_portion_topics").fetchone()[0])


_CACHE = ReaderCache(_Assigned, _n_assigned)


def _assigned(conn: sqlite3.Connection, visible: Any) -> _Assigned:
    return _CACHE.get(conn, visible)


def list_topics(archive: Any, *, visible: Any = None) -> list[Topic]:
    """Every topic with the number of cables the reader sees a paragraph of it in."""
    conn = connection(archive)
    if not has_topics(conn):
        return []
    a = _assigned(conn, visible)
    counts = np.bincount(a.topics, minlength=1) if len(a.topics) else np.zeros(1, dtype=np.int64)
    out = []
    for topic, label in conn.execute("SELECT topic, label FROM classify_topics ORDER BY topic"):
        out.append(Topic(topic, label, int(counts[topic]) if topic < len(counts) else 0))
    return out


def topic_counts(archive: Any, cable_ids: list[str], *, visible: Any = None,
                 limit: int = 10) -> list[Topic]:  # fmt: skip
    """ "Topics in these results": the topics of the cables ``cable_ids``, most cables first,
    counting only paragraphs the reader may see."""
    conn = connection(archive)
    if not has_topics(conn) or not cable_ids:
        return []
    a = _assigned(conn, visible)
    keys = _keys(conn, cable_ids)
    mask = np.isin(a.keys, keys)
    counts = np.bincount(a.topics[mask], minlength=1)
    labels = dict(conn.execute("SELECT topic, label FROM classify_topics"))
    order = [int(t) for t in np.argsort(-counts, kind="stable") if counts[t] > 0][:limit]
    return [Topic(t, labels.get(t, ""), int(counts[t])) for t in order]


def _keys(conn: sqlite3.Connection, ids: list[str]) -> np.ndarray:
    out: list[int] = []
    for i in range(0, len(ids), 900):
        part = ids[i : i + 900]
        out += [k for (k,) in conn.execute(
            f"SELECT key FROM cables WHERE id IN ({','.join('?' * len(part))})", part)]  # fmt: skip
    return np.array(out, dtype=np.int64)
