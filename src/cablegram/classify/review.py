"""The review assistant: the model kept in the archive, predictions for every cable, and a
cable's predictions for a reviewer, computed only from the text that reviewer may see.

Who is a reviewer: an administrator, or a principal holding the ``REVIEWER`` right (kept
beside its caveat rights: ``cablegram access add-user NAME --caveats REVIEWER``), so the
right needs no change to the access tables. Everyone else gets no prediction at all.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cablegram.classify.data import CableDoc, connection, read_docs
from cablegram.classify.model import CLASSIFIED, Model

__all__ = [
    "FLAG_HIGH",
    "FLAG_LOW",
    "REVIEWER",
    "CablePrediction",
    "ParagraphPrediction",
    "is_reviewer",
    "load_model",
    "model_info",
    "predict_cable",
    "score_docs",
    "sensitivity",
    "store_model",
]

REVIEWER = "REVIEWER"
# A paragraph marked unclassified that reads at or above FLAG_HIGH, or marked classified
# that reads at or below FLAG_LOW, is flagged as a disagreement.
FLAG_HIGH = 0.7
FLAG_LOW = 0.3

_DDL = """
CREATE TABLE IF NOT EXISTS classify_models (
    name TEXT PRIMARY KEY,
    generation INTEGER NOT NULL,           -- meta.generation of the archive it learnt from
    trained_at TEXT NOT NULL,
    info TEXT NOT NULL,                    -- JSON: sizes, seed, threshold, timings
    data BLOB NOT NULL                     -- Model.to_bytes(): numpy arrays, no pickle
);
-- Predictions from the whole text, written with the model: the search filter
-- predicted: and the declassification review read them.
CREATE TABLE IF NOT EXISTS classify_cables (
    cable_key INTEGER PRIMARY KEY,
    classified REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS classify_paragraphs (
    portion_id INTEGER PRIMARY KEY,
    classified REAL NOT NULL
);
"""


def is_reviewer(reader: Any) -> bool:
    """May ``reader`` see predictions? (``None``: the archive's owner, unrestricted.)"""
    if reader is None:
        return True
    return bool(getattr(reader, "admin", False)) or REVIEWER in getattr(reader, "caveats", ())


def score_docs(model: Model, docs: list[CableDoc]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Probabilities for many cables at once: per cable, and per paragraph of each."""
    return model.score_docs(docs)


def store_model(archive: Any, model: Model, *, name: str = "default",
                predictions: bool = True) -> int:  # fmt: skip
    """Keep ``model`` in the archive and (re)write every cable's predictions; returns the
    number of cables scored."""
    conn = connection(archive)
    conn.executescript(_DDL)
    n = 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "INSERT OR REPLACE INTO classify_models VALUES (?, ?, ?, ?, ?)",
            (name, int(model.info.get("generation", 0)), model.info.get("trained_at", ""),
             json.dumps(model.info), model.to_bytes()),
        )  # fmt: skip
        if predictions:
            conn.execute("DELETE FROM classify_cables")
            conn.execute("DELETE FROM classify_paragraphs")
            batch: list[CableDoc] = []
            for doc in read_docs(conn):
                batch.append(doc)
                if len(batch) >= 1000:
                    n += _write_predictions(conn, model, batch)
                    batch = []
            n += _write_predictions(conn, model, batch)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    with _LOCK:
        _MODELS.clear()
    return n


def _write_predictions(conn: sqlite3.Connection, model: Model, docs: list[CableDoc]) -> int:
    cable, paras = score_docs(model, docs)
    conn.executemany("INSERT INTO classify_cables VALUES (?, ?)",
                     [(d.key, float(p)) for d, p in zip(docs, cable)])  # fmt: skip
    conn.executemany(
        "INSERT INTO classify_paragraphs VALUES (?, ?)",
        [(p.portion_id, float(s)) for d, ps in zip(docs, paras)
         for p, s in zip(d.paragraphs, ps.tolist())],
    )  # fmt: skip
    return len(docs)


_MODELS: dict[tuple, Model] = {}
_LOCK = threading.Lock()


def model_info(archive: Any, name: str = "default") -> dict[str, Any] | None:
    """The stored model's record (generation, trained_at, sizes), with ``stale`` true when the
    archive changed since; ``None`` when no model was trained."""
    from cablegram.search.docvalues import generation

    conn = connection(archive)
    if not _has_models(conn):
        return None
    row = conn.execute("SELECT generation, trained_at, info FROM classify_models WHERE name = ?",
                       (name,)).fetchone()  # fmt: skip
    if row is None:
        return None
    info = json.loads(row[2])
    info.update(generation=row[0], trained_at=row[1], stale=row[0] != generation(conn))
    return info


def _has_models(conn: sqlite3.Connection) -> bool:
    return bool(
        conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'classify_models'").fetchone()
    )


def load_model(archive: Any, name: str = "default") -> Model | None:
    """The model stored in the archive (cached per database and training time)."""
    conn = connection(archive)
    if not _has_models(conn):
        return None
    head = conn.execute("SELECT trained_at, generation FROM classify_models WHERE name = ?",
                        (name,)).fetchone()  # fmt: skip
    if head is None:
        return None
    db = conn.execute("PRAGMA database_list").fetchone()[2]
    key = (db, name, *head)
    with _LOCK:
        m = _MODELS.get(key)
    if m is None:
        (data,) = conn.execute(
            "SELECT data FROM classify_models WHERE name = ?", (name,)
        ).fetchone()
        m = Model.from_bytes(data)
        with _LOCK:
            _MODELS[key] = m
    return m


@dataclass
class ParagraphPrediction:
    portion_id: int
    number: int | None
    marking: str
    marked_level: int
    classified: float
    flag: str = ""  # '' | reads-classified | reads-unclassified
    terms: list[tuple[str, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "marking": self.marking,
                "classified": round(self.classified, 4), "flag": self.flag,
                "terms": [[t, round(w, 4)] for t, w in self.terms]}  # fmt: skip


@dataclass
class CablePrediction:
    cable_id: str
    classified: float
    level: str
    marked_level: int
    paragraphs: list[ParagraphPrediction]
    withheld: int  # paragraphs left out because the reader may not see them

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.cable_id, "classified": round(self.classified, 4),
                "level": self.level, "withheld_paragraphs": self.withheld,
                "paragraphs": [p.to_dict() for p in self.paragraphs]}  # fmt: skip


def _reviewer_model(archive: Any, reader: Any) -> tuple[sqlite3.Connection, Model] | None:
    """The archive's connection and stored model for a reviewer; ``None`` for anyone else
    or when no model was trained."""
    if not is_reviewer(reader):
        return None
    model = load_model(archive)
    return None if model is None else (connection(archive), model)


def predict_cable(archive: Any, cable_id: str, *, reader: Any = None,
                  explain: int = 8) -> CablePrediction | None:  # fmt: skip
    """The stored model's reading of an archived cable for ``reader``: ``None`` when the
    reader is not a reviewer or no model was trained; ``LookupError`` when the reader may
    not see the cable. Only portions the reader may see are read."""
    found = _reviewer_model(archive, reader)
    if found is None:
        return None
    conn, model = found
    row = conn.execute(
        "SELECT key FROM cables WHERE id = ?", (cable_id.strip().upper(),)
    ).fetchone()
    if row is None:
        raise LookupError(f"no cable {cable_id}")
    doc = next(read_docs(conn, [row[0]]))
    visible = getattr(reader, "visibility", None)
    shown = [p for p in doc.portions if visible is None or visible.allows(p.level, p.caveats)]
    withheld = sum(1 for p in doc.paragraphs if p not in shown)
    if not shown:
        raise LookupError(f"no cable {cable_id}")
    doc.portions = shown
    pred = model.predict_doc(doc, explain=explain)
    out = []
    for p, prob, top in zip(
        doc.paragraphs, pred.paragraphs, pred.terms or [[]] * len(doc.paragraphs)
    ):
        flag = ""
        if p.marking and p.level < CLASSIFIED and prob >= FLAG_HIGH:
            flag = "reads-classified"
        elif p.marking and p.level >= CLASSIFIED and prob <= FLAG_LOW:
            flag = "reads-unclassified"
        out.append(ParagraphPrediction(p.portion_id, p.number, p.marking, p.level, prob, flag, top))
    return CablePrediction(doc.id, pred.classified, pred.level, doc.level, out, withheld)


def sensitivity(
    archive: Any, cable_ids: list[str], *, reader: Any = None
) -> dict[str, float] | None:
    """The stored model's probability that each of ``cable_ids`` reads classified, for
    ``reader``: ``None`` when the reader is not a reviewer or no model was trained.

    A cable the reader sees whole (and which was scored when the model was stored) keeps
    its stored prediction; any other, one with withheld portions or ingested since, is
    scored now from the portions the reader may see, so withheld text never moves the
    number. Cables with no visible portion are left out."""
    found = _reviewer_model(archive, reader)
    if found is None:
        return None
    conn, model = found
    visible = getattr(reader, "visibility", None)
    keys: dict[int, str] = {}
    stored: dict[int, float] = {}
    partial: set[int] = set()
    ids = list(dict.fromkeys(cable_ids))
    for i in range(0, len(ids), 900):
        part = ids[i : i + 900]
        marks = ",".join("?" * len(part))
        got = dict(conn.execute(f"SELECT key, id FROM cables WHERE id IN ({marks})", part))
        keys.update(got)
        kmarks = ",".join("?" * len(got))
        stored.update(conn.execute(
            f"SELECT cable_key, classified FROM classify_cables WHERE cable_key IN ({kmarks})",
            list(got)))  # fmt: skip
        if visible is not None and got:
            vis, params = visible.portion_clause("p")
            key_of = {cid: k for k, cid in got.items()}
            partial.update(key_of[cid] for (cid,) in conn.execute(
                f"SELECT DISTINCT p.cable_id FROM portions p "
                f"WHERE p.cable_id IN ({marks}) AND NOT {vis}",
                [*part, *params]) if cid in key_of)  # fmt: skip
    out = {keys[k]: float(p) for k, p in stored.items() if k not in partial}
    live = sorted(k for k in keys if k not in stored or k in partial)
    for i in range(0, len(live), 500):
        docs = []
        for doc in read_docs(conn, live[i : i + 500]):
            if visible is not None:
                doc.portions = [p for p in doc.portions if visible.allows(p.level, p.caveats)]
            if doc.portions:
                docs.append(doc)
        cable, _ = score_docs(model, docs)
        out.update((d.id, float(p)) for d, p in zip(docs, cable.tolist()))
    return out
