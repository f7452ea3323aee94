"""The classification model: classified (CONFIDENTIAL and above) or not, per paragraph and per
cable, from words and metadata only (docs/classify.md).

Four linear models over hashed TF-IDF features (``cablegram.classify.text``):

- paragraphs: each explicitly marked paragraph, and every paragraph of an unclassified
  cable, labelled by its portion marking; an unmarked paragraph of a classified cable is
  left out (its level is only the cable's default, not its author's judgement);
- cables: the cable's subject and paragraphs as one document, labelled by its overall
  classification; its score is then blended with the strongest paragraph scores (a cable is
  as classified as its most sensitive paragraph, and the paragraph model saw ten times more
  examples);
- level: SECRET and above against CONFIDENTIAL, on the classified cables.
- characters: the cable's scrubbed words as character 3-5-grams (hashed TF-IDF), a third
  input of the cable blend (it catches word forms the word model never saw).

A model is plain arrays (coefficients, idf), saved with ``numpy.savez`` (no pickle: a model
file cannot run code when loaded). Training is deterministic for a given archive and seed.
"""

from __future__ import annotations

import io
import json
import math
import os
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from cablegram.classify.data import CableDoc, connection, read_docs, sample_keys
from cablegram.classify.text import N_FEATURES, CharHashed, Hashed, meta_terms, terms

__all__ = ["LEVELS", "Model", "Prediction", "TrainReport", "train", "train_docs"]

LEVELS = ("UNCLASSIFIED", "CONFIDENTIAL", "SECRET")
CLASSIFIED = 3  # class_level of CONFIDENTIAL
SECRET = 4
# Limits that keep training on 250,000 cables under 2 GB and 15 minutes on two cores (a
# seeded sample when larger; bench/classify.py --train-only measures both, docs/classify.md).
MAX_CABLES = 15_000
MAX_PARAGRAPHS = 150_000
# Cables the character model learns from: a cable holds about 4,300 distinct character
# 3-5-grams against 1,300 words and bigrams, so its matrix is capped on its own (every
# calibration cable, then a seeded sample of the rest up to this many).
MAX_CHAR_CABLES = 5_000
FORMAT = 3
# Metadata terms (origin, TAGS, year) beside the words: bench/classify.py measured weights
# 0.2 and 0.5 against none and both lowered recall at 10% FPR (0.79 and 0.74 against 0.80 on
# a 75/25 split of the dev cables): post and subject are already in the words, and the
# metadata mostly taught the model which posts send unclassified traffic.
META_WEIGHT = 0.0


@dataclass
class Prediction:
    classified: float  # probability the cable is CONFIDENTIAL or above
    level: str  # UNCLASSIFIED, CONFIDENTIAL or SECRET
    paragraphs: list[float]  # probability per paragraph, in the order given
    terms: list[list[tuple[str, float]]] = field(default_factory=list)  # top terms per paragraph

    def to_dict(self) -> dict[str, Any]:
        return {
            "classified": round(self.classified, 4),
            "level": self.level,
            "paragraphs": [round(p, 4) for p in self.paragraphs],
            "terms": [[[t, round(w, 4)] for t, w in ts] for ts in self.terms],
        }


@dataclass
class TrainReport:
    cables: int
    paragraphs: int
    classified_cables: int
    seconds: float


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(z, -30, 30)))


def _fit(x: sparse.csr_matrix, y: np.ndarray, c: float, seed: int) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    if len(set(y.tolist())) < 2:
        raise ValueError("training needs both classified and unclassified examples")
    # Fit on the hashed slots that occur (liblinear's cost grows with the width of the
    # matrix: 2**20 slots, most empty on a small archive), then put the weights back.
    # Not when most slots are used (a large archive): the column copy would cost memory.
    cols = np.unique(x.indices)
    narrow = len(cols) < x.shape[1] // 2
    lr = LogisticRegression(C=c, solver="liblinear", class_weight="balanced", random_state=seed)
    lr.fit(x[:, cols] if narrow else x, y)
    if not narrow:
        return lr.coef_.ravel().astype(np.float32), float(lr.intercept_[0])
    coef = np.zeros(x.shape[1], dtype=np.float32)
    coef[cols] = lr.coef_.ravel()
    return coef, float(lr.intercept_[0])


class Model:
    """A trained model: ``predict`` reads a cable's words and metadata, never its markings."""

    def __init__(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        self.arrays = arrays
        self.info = info
        self.vec = Hashed(arrays["idf"], meta_weight=info.get("meta_weight", META_WEIGHT))
        self.cvec = CharHashed(arrays["char_idf"])

    # -- persistence -------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez_compressed(buf, info=np.array(json.dumps(self.info)), **self.arrays)  # type: ignore[arg-type]
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Model:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            info = json.loads(str(z["info"]))
            if info.get("format") != FORMAT:
                raise ValueError(f"model format {info.get('format')} is not {FORMAT}; retrain")
            arrays = {k: z[k] for k in z.files if k != "info"}
        return cls(arrays, info)

    def save(self, path: str | os.PathLike[str]) -> None:
        with open(path, "wb") as f:
            f.write(self.to_bytes())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        try:
            with open(path, "rb") as f:
                return cls.from_bytes(f.read())
        except (OSError, ValueError, KeyError) as e:
            raise ValueError(f"{os.fspath(path)}: not a Cablegram model ({e})") from e

    # -- scoring -----------------------------------------------------------------------------
    def _score(self, name: str, x: sparse.csr_matrix) -> np.ndarray:
        return np.asarray(x @ self.arrays[f"{name}_coef"]).ravel() + float(
            self.info[f"{name}_intercept"]
        )

    def paragraph_scores(self, texts: Sequence[str], meta: Sequence[str]) -> np.ndarray:
        """Log-odds that each paragraph is classified."""
        if not texts:
            return np.zeros(0)
        x = self.vec.transform([terms(t) for t in texts], [meta] * len(texts))
        return self._score("para", x)

    def cable_score(self, text: str, meta: Sequence[str], para_scores: np.ndarray) -> float:
        """Log-odds that the cable is classified: the word and character cable models blended
        with its paragraphs' strongest scores (weights learnt at training, ``info["blend"]``)."""
        x = self.vec.transform([terms(text)], [meta])
        chars = self._score("char", self.cvec.transform([text]))
        return float(self._blend(self._score("cable", x), [para_scores], chars)[0])

    def _blend(self, cable: np.ndarray, paras: Sequence[np.ndarray],
               chars: np.ndarray) -> np.ndarray:  # fmt: skip
        w = np.array(self.info["blend"])
        return _blend_features(cable, paras, chars) @ w[:-1] + w[-1]

    def score_docs(self, docs: Sequence[CableDoc]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Probabilities for many cables at once: per cable, and per paragraph of each."""
        if not docs:
            return np.zeros(0), []
        metas = [_meta(d) for d in docs]
        texts, owner = [], []
        for i, d in enumerate(docs):
            for p in d.paragraphs:
                texts.append(terms(p.text))
                owner.append(i)
        xp = self.vec.transform(texts, [metas[i] for i in owner]) if texts else None
        ps = self._score("para", xp) if xp is not None else np.zeros(0)
        per = _group_scores(ps, np.array(owner, dtype=np.int64), len(docs))
        xc = self.vec.transform([terms(_cable_text(d)) for d in docs], metas)
        chars = self._score("char", self.cvec.transform([_cable_text(d) for d in docs]))
        z = self._blend(self._score("cable", xc), per, chars)
        return _sigmoid(z), [_sigmoid(p) for p in per]

    def predict(self, subject: str = "", paragraphs: Sequence[str] = (),
                tags: Iterable[str] = (), origin: str = "", date: str = "",
                *, explain: int = 8) -> Prediction:  # fmt: skip
        """How classified a cable reads: ``.classified`` (probability of CONFIDENTIAL or above),
        ``.level`` and a probability per paragraph, with each paragraph's ``explain``
        strongest terms. Markings, banners and classification lines in the text are ignored."""
        paragraphs = [p for p in paragraphs]
        tags = list(tags)
        meta = meta_terms(origin, tags, date)
        ps = self.paragraph_scores(paragraphs, meta)
        text = "\n\n".join([subject, *paragraphs])
        z = self.cable_score(text, meta, ps)
        p = float(_sigmoid(np.array([z]))[0])
        if p < self.info["threshold"]:
            level = "UNCLASSIFIED"
        else:
            xs = self.vec.transform([terms(text)], [meta])
            level = "SECRET" if self._score("level", xs)[0] > 0 else "CONFIDENTIAL"
        probs = [float(v) for v in _sigmoid(ps)]
        top = [self.explain(t, meta, n=explain) for t in paragraphs] if explain else []
        return Prediction(p, level, probs, top)

    def explain(self, text: str, meta: Sequence[str] = (), n: int = 8) -> list[tuple[str, float]]:
        """The terms that pushed a paragraph's score most towards classified (positive) or
        unclassified (negative): each term's TF-IDF weight times its coefficient."""
        ts = terms(text)
        if not ts:
            return []
        x = self.vec.transform([ts])
        weights = dict(zip(x.indices.tolist(), x.data.tolist()))
        uniq = list(dict.fromkeys(ts))
        slots = self.vec.slots(uniq)
        coef = self.arrays["para_coef"]
        scored = [(t, float(weights.get(int(s), 0.0) * coef[s])) for t, s in zip(uniq, slots)]
        scored.sort(key=lambda tw: -abs(tw[1]))
        return scored[:n]

    def predict_doc(self, doc: CableDoc, *, explain: int = 0) -> Prediction:
        """``predict`` on an archived cable's (possibly redacted) portions."""
        return self.predict(doc.subject, [p.text for p in doc.paragraphs], doc.tags,
                            doc.origin, doc.date, explain=explain)  # fmt: skip

    @property
    def threshold(self) -> float:
        return float(self.info["threshold"])


def _top_mean(scores: np.ndarray, k: int = 2) -> float:
    if len(scores) == 0:
        return 0.0
    return float(np.mean(np.sort(scores)[-k:]))


def _cable_text(doc: CableDoc) -> str:
    return "\n\n".join(p.text for p in doc.portions)


def _meta(doc: CableDoc) -> list[str]:
    return meta_terms(doc.origin, doc.tags, doc.date)


def _para_examples(doc: CableDoc) -> Iterable[tuple[str, int]]:
    for p in doc.paragraphs:
        if not p.text.strip():
            continue
        if p.marking or doc.level < CLASSIFIED:
            yield p.text, int(p.level >= CLASSIFIED)


# -- training material: hashed counts built while streaming cables ------------------------------


@dataclass
class _Corpus:
    """What training reads, as TF-IDF rows: the labelled paragraphs (a seeded sample), every
    cable, and every paragraph of the calibration cables (``held``), with labels and owners.
    Built once while the cables stream past, so the text is never all in memory."""

    vec: Hashed
    para: sparse.csr_matrix
    para_y: np.ndarray
    para_cable: np.ndarray
    cable: sparse.csr_matrix
    cable_y: np.ndarray
    secret: np.ndarray
    held: np.ndarray  # bool per cable: the calibration fifth
    held_para: sparse.csr_matrix
    held_owner: np.ndarray
    cvec: CharHashed
    chars: sparse.csr_matrix  # character TF-IDF rows of the cables with char_row >= 0
    char_row: np.ndarray  # per cable: its row in ``chars``, -1 when not kept


def _corpus(docs: Iterable[CableDoc], *, seed: int, para_rate: float, held_share: float,
            char_rate: float = 1.0, chunk: int = 1000) -> _Corpus:  # fmt: skip
    vec = Hashed(meta_weight=META_WEIGHT)
    cvec = CharHashed()
    rng = random.Random(seed)
    held_rng = random.Random(seed + 1)
    char_rng = random.Random(seed + 2)
    char_c: list[sparse.csr_matrix] = []
    char_row: list[int] = []
    buf_x: list[str] = []
    n_chars = 0
    para_c: list[sparse.csr_matrix] = []
    cable_c: list[sparse.csr_matrix] = []
    held_c: list[sparse.csr_matrix] = []
    para_y: list[int] = []
    para_cable: list[int] = []
    held_owner: list[int] = []
    cable_y: list[int] = []
    secret: list[int] = []
    held: list[bool] = []
    buf_p: list[list[str]] = []
    buf_c: list[list[str]] = []
    buf_h: list[list[str]] = []

    def flush() -> None:
        for buf, out in ((buf_p, para_c), (buf_c, cable_c), (buf_h, held_c)):
            if buf:
                out.append(sparse.csr_matrix(vec.counts(buf), dtype=np.float32))
                buf.clear()
        if buf_x:
            char_c.append(cvec.counts(buf_x))
            buf_x.clear()

    for i, d in enumerate(docs):
        h = held_rng.random() < held_share
        held.append(h)
        cable_y.append(int(d.level >= CLASSIFIED))
        secret.append(int(d.level >= SECRET))
        for text, label in _para_examples(d):
            if para_rate >= 1 or rng.random() < para_rate:
                buf_p.append(terms(text))
                para_y.append(label)
                para_cable.append(i)
        if h:
            for p in d.paragraphs:
                buf_h.append(terms(p.text))
                held_owner.append(i)
        buf_c.append(terms(_cable_text(d)))
        keep = char_rng.random() < char_rate  # drawn for every cable: the same sample
        if h or keep:
            buf_x.append(_cable_text(d))
            char_row.append(n_chars)
            n_chars += 1
        else:
            char_row.append(-1)
        if len(buf_c) >= chunk:
            flush()
    flush()
    if not para_y:
        raise ValueError("no marked paragraphs to learn from")

    def stack(parts: list[sparse.csr_matrix]) -> sparse.csr_matrix:
        if not parts:
            return sparse.csr_matrix((0, N_FEATURES), dtype=np.float32)
        x = sparse.vstack(parts, format="csr") if len(parts) > 1 else parts[0]
        parts.clear()
        return x

    para = stack(para_c)
    vec.fit_counts(para)
    chars = stack(char_c)
    cvec.fit_counts(chars)
    return _Corpus(
        vec, vec.weigh(para), np.array(para_y), np.array(para_cable, dtype=np.int64),
        vec.weigh(stack(cable_c)), np.array(cable_y), np.array(secret),
        np.array(held, dtype=bool), vec.weigh(stack(held_c)),
        np.array(held_owner, dtype=np.int64), cvec, cvec.weigh(chars),
        np.array(char_row, dtype=np.int64),
    )  # fmt: skip


def _group_scores(scores: np.ndarray, owner: np.ndarray, n: int) -> list[np.ndarray]:
    per: list[list[float]] = [[] for _ in range(n)]
    for i, s in zip(owner.tolist(), scores.tolist()):
        per[i].append(s)
    return [np.array(p) for p in per]


def _blend_features(cable: np.ndarray, paras: Sequence[np.ndarray],
                    chars: np.ndarray) -> np.ndarray:  # fmt: skip
    """Per cable: the word model's log-odds, the mean of its two strongest paragraphs and
    the character model's log-odds. (A richer blend, adding the strongest and mean paragraph
    and post/TAG priors, gained nothing; the character model gained 1.5-2 points of recall
    at 10% FPR on three and on five folds; docs/classify.md.)"""
    return np.column_stack([cable, np.array([_top_mean(p) for p in paras]), chars])


def _fit_models(c: _Corpus, rows: np.ndarray, c_para: float, c_cable: float,
                seed: int) -> dict[str, Any]:  # fmt: skip
    """The paragraph, cable and level models on the cables ``rows`` selects (bool mask)."""
    pmask = rows[c.para_cable]
    para_coef, para_b = _fit(c.para[pmask] if not pmask.all() else c.para, c.para_y[pmask],
                             c_para, seed)  # fmt: skip
    xc = c.cable[rows] if not rows.all() else c.cable
    yc = c.cable_y[rows]
    cable_coef, cable_b = _fit(xc, yc, c_cable, seed)
    crows = rows & (c.char_row >= 0)
    char_coef, char_b = _fit(c.chars[c.char_row[crows]], c.cable_y[crows], c_cable, seed)
    classified = np.flatnonzero(yc)
    ys = c.secret[rows][classified]
    if len(set(ys.tolist())) == 2:
        level_coef, level_b = _fit(xc[classified], ys, 1.0, seed)
    else:  # one level only: always that level
        level_coef = np.zeros(N_FEATURES, dtype=np.float32)
        level_b = 1.0 if ys.size and ys[0] else -1.0
    return {"para": (para_coef, para_b), "cable": (cable_coef, cable_b),
            "level": (level_coef, level_b), "char": (char_coef, char_b)}  # fmt: skip


def train_docs(docs: Iterable[CableDoc], *, seed: int = 0, c_para: float = 4.0,
               c_cable: float = 16.0, max_paragraphs: int | None = None,
               paragraphs_hint: int | None = None, target_fpr: float = 0.10,
               calibrate: bool = True, max_char_cables: int = MAX_CHAR_CABLES,
               cables_hint: int | None = None) -> Model:  # fmt: skip
    """A model from cables (``CableDoc``s with their portions and levels), read once.

    ``max_paragraphs`` bounds the labelled paragraphs kept (a seeded sample at the rate
    ``max_paragraphs / paragraphs_hint``, the hint being how many the cables hold), and
    ``max_char_cables`` the cables the character model reads (``cables_hint`` of them)."""
    rate = 1.0
    if max_paragraphs and paragraphs_hint and paragraphs_hint > max_paragraphs:
        rate = max_paragraphs / paragraphs_hint
    held_share = 0.2 if calibrate else 0.0
    char_rate = 1.0
    if cables_hint and cables_hint > max_char_cables:
        # Every calibration cable, then the rest at the rate that fills the cap.
        others = cables_hint * (1 - held_share)
        char_rate = max(0.0, max_char_cables - cables_hint * held_share) / others
    c = _corpus(docs, seed=seed, para_rate=rate, held_share=held_share, char_rate=char_rate)
    n = len(c.cable_y)
    if len(set(c.cable_y.tolist())) < 2 or len(set(c.para_y.tolist())) < 2:
        raise ValueError("training needs both classified and unclassified examples")
    blend = [1.0, 0.0, 0.0, 0.0]
    threshold = 0.5
    rest = ~c.held
    if (
        calibrate
        and n >= 50
        and len(set(c.cable_y[c.held].tolist())) == 2
        and len(set(c.cable_y[rest].tolist())) == 2
        and len(set(c.para_y[rest[c.para_cable]].tolist())) == 2
    ):
        # The blend of cable and paragraph scores, and the operating threshold, from
        # the held-out fifth scored by models trained on the other four fifths.
        blend, threshold = _calibrate(c, rest, c_para, c_cable, seed, target_fpr)
    m = _fit_models(c, np.ones(n, dtype=bool), c_para, c_cable, seed)
    assert c.vec.idf is not None and c.cvec.idf is not None
    arrays = {"idf": c.vec.idf, "para_coef": m["para"][0], "cable_coef": m["cable"][0],
              "level_coef": m["level"][0], "char_idf": c.cvec.idf,
              "char_coef": m["char"][0]}  # fmt: skip
    info: dict[str, Any] = {
        "format": FORMAT, "seed": seed, "meta_weight": c.vec.meta_weight,
        "para_intercept": m["para"][1], "cable_intercept": m["cable"][1],
        "level_intercept": m["level"][1], "char_intercept": m["char"][1],
        "char_cables": int((c.char_row >= 0).sum()),
        "blend": blend, "threshold": threshold,
        "cables": n, "paragraphs": len(c.para_y), "classified_cables": int(c.cable_y.sum()),
    }  # fmt: skip
    return Model(arrays, info)


def _calibrate(c: _Corpus, rest: np.ndarray, c_para: float, c_cable: float, seed: int,
               target_fpr: float) -> tuple[list[float], float]:  # fmt: skip
    from sklearn.linear_model import LogisticRegression

    m = _fit_models(c, rest, c_para, c_cable, seed)
    held = np.flatnonzero(c.held)
    cable = np.asarray(c.cable[held] @ m["cable"][0]).ravel() + m["cable"][1]
    ps = np.asarray(c.held_para @ m["para"][0]).ravel() + m["para"][1]
    pos = {int(k): j for j, k in enumerate(held)}
    paras = _group_scores(ps, np.array([pos[int(o)] for o in c.held_owner], dtype=np.int64),
                          len(held))  # fmt: skip
    chars = np.asarray(c.chars[c.char_row[held]] @ m["char"][0]).ravel() + m["char"][1]
    feats = _blend_features(cable, paras, chars)
    y = c.cable_y[held]
    lr = LogisticRegression(C=1.0, random_state=seed).fit(feats, y)
    w = [*(float(v) for v in lr.coef_[0]), float(lr.intercept_[0])]
    z = feats @ np.array(w[:-1]) + w[-1]
    neg = np.sort(z[y == 0])
    # The score above which target_fpr of the held-out unclassified cables fall.
    t = neg[min(len(neg) - 1, int(math.ceil((1 - target_fpr) * len(neg))) - 1)]
    return w, float(_sigmoid(np.array([t]))[0])


def paragraph_count(conn: Any, keys: Sequence[int]) -> int:
    """How many paragraphs the cables ``keys`` hold (a bound on the labelled ones)."""
    total = conn.execute("SELECT count(*) FROM portions WHERE kind != 'subject'").fetchone()[0]
    cables = conn.execute("SELECT count(*) FROM cables").fetchone()[0] or 1
    return int(total * len(keys) / cables)


def train(archive: Any, *, seed: int = 0, max_cables: int | None = MAX_CABLES,
          max_paragraphs: int = MAX_PARAGRAPHS) -> Model:  # fmt: skip
    """Learn from an archive's marked portions and cables (a seeded sample of at most
    ``max_cables`` cables when larger), streaming them: the text is read once and kept only
    as hashed counts. ``archive`` is an ``Archive`` or a SQLite connection to one. The model
    records the archive generation."""
    conn = connection(archive)
    started = time.perf_counter()
    keys = sample_keys(conn, max_cables, seed)
    model = train_docs(read_docs(conn, keys), seed=seed, max_paragraphs=max_paragraphs,
                       paragraphs_hint=paragraph_count(conn, keys),
                       cables_hint=len(keys))  # fmt: skip
    from cablegram.search.docvalues import generation

    model.info["generation"] = generation(conn)
    model.info["archive_cables"] = conn.execute("SELECT count(*) FROM cables").fetchone()[0]
    model.info["seconds"] = round(time.perf_counter() - started, 2)
    model.info["trained_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return model
