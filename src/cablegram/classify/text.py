"""What the models read: a paragraph's words and a cable's metadata, with every marking cut.

The models must work on unmarked text (a draft, an OCR'd page, a FOIA release with the
markings cut), so training may not learn the markings themselves: ``scrub`` removes portion
markings (``(C)``, ``(S/NF)``), banner and caveat words (CONFIDENTIAL, NOFORN, SIPDIS...),
the ``Classified By: ... Reasons 1.4 (b, d)`` line and declassification instructions, and
the WikiLeaks redaction runs (``XXXXXXXXXXXX``: the release hid sources' names, mostly in
classified cables, so they would tell the model what the release did, not what the author
wrote). What is left is the author's prose and the cable's metadata (origin, TAGS, year).

Terms are hashed (``sklearn``'s ``FeatureHasher``, 2**20 slots): no vocabulary to hold in
memory at 250,000 cables, and a term's slot is recomputed from the term to explain a score.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import HashingVectorizer

__all__ = ["N_FEATURES", "CharHashed", "Hashed", "meta_terms", "scrub", "terms"]

N_FEATURES = 2**20

_MARK = r"(?:u|c|s|ts|sbu|lou|fouo|nf|ce|rel|orcon|propin|noforn|si|tk|hcs)"
# Every pattern runs on lower-cased text (one pass of lower() instead of IGNORECASE).
_PORTION = re.compile(rf"\(\s*{_MARK}(?:\s*[/,-]+\s*{_MARK}|\s+[a-z]{{3}})*\s*\)")
_CLASSIFIED_BY = re.compile(
    r"(?s)\b(?:classified|declassified|derived)\s+by\b.{0,300}?"
    r"(?:reasons?|1\.[45])\s*:?\s*(?:1\.[45]\s*)?(?:\(?\s*[a-h]\s*\)?(?:\s*(?:,|and|&)\s*\(?\s*[a-h]\s*\)?)*)?"
)
_DECL = re.compile(r"\b(?:decl(?:assify)?\s*(?:on)?\s*:\s*\S+|e\.?\s*o\.?\s*1[23]9\d\d\s*:?)")
# Marking words, dropped after tokenising (a set lookup per word, not a regex alternation).
_MARKING_WORDS = frozenset(
    [
        "secret",
        "confidential",
        "unclas",
        "unclassified",
        "noforn",
        "nofor",
        "sipdis",
        "nodis",
        "exdis",
        "limdis",
        "roger",
        "orcon",
        "propin",
        "fouo",
        "sbu",
        "classified",
        "classification",
        "declassified",
        "declassify",
        "declassification",
    ]
)
_PHRASES = re.compile(
    r"\b(?:limited official use|sensitive but unclassified|for official use only)\b"
)
_REDACTED = re.compile(r"x{4,}")
_TOKEN = re.compile(r"[a-z][a-z0-9'&.-]*[a-z0-9]|[0-9]{4}")
# Spaced banners: C O N F I D E N T I A L
_SPACED = re.compile(r"\b(?:[a-z] ){4,}[a-z]\b")


def _scrub_lower(t: str) -> str:
    # Each pattern only where its cheap marker is present: ingest-sized corpora go through
    # here once per paragraph.
    if " by" in t:
        t = _CLASSIFIED_BY.sub(" ", t)
    if "decl" in t or "o." in t or "o 1" in t:
        t = _DECL.sub(" ", t)
    if "(" in t:
        t = _PORTION.sub(" ", t)
    if "xxxx" in t:
        t = _REDACTED.sub(" ", t)
    if " official " in t or " but " in t:
        t = _PHRASES.sub(" ", t)
    return _SPACED.sub(" ", t)


def scrub(text: str) -> str:
    """``text`` (lower-cased) without markings, banners, classification lines or
    redaction runs: what the models read."""
    words = _TOKEN.findall(_scrub_lower(text.lower()))
    return " ".join(w for w in words if w not in _MARKING_WORDS)


def terms(text: str) -> list[str]:
    """Lower-cased words of a scrubbed text and their bigrams (the model's text features)."""
    words = [w for w in _TOKEN.findall(_scrub_lower(text.lower())) if w not in _MARKING_WORDS]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def meta_terms(origin: str = "", tags: Iterable[str] = (), date: str = "") -> list[str]:
    """The metadata as terms of their own namespace (``@origin=BAKU``, ``@tag=PGOV``)."""
    out = [f"@origin={origin.upper()}"] if origin else []
    out += [f"@tag={t.upper()}" for t in tags if t]
    if date[:4].isdigit():
        year = int(date[:4])
        out += [f"@year={year}", f"@period={year // 5 * 5}"]
    return out


class Hashed:
    """TF-IDF over hashed terms: sublinear term frequency, smoothed idf, l2 rows.

    ``fit`` learns the idf from document frequencies; metadata terms are appended with a
    fixed weight (``meta_weight``) after the text part is normalised.
    """

    def __init__(self, idf: np.ndarray | None = None, meta_weight: float = 0.0) -> None:
        self.hasher = FeatureHasher(N_FEATURES, input_type="string", alternate_sign=False)
        self.idf = idf
        self.meta_weight = meta_weight

    def counts(self, docs: Iterable[Sequence[str]]) -> sparse.csr_matrix:
        return self.hasher.transform(docs).tocsr()

    def fit(self, docs: Sequence[Sequence[str]]) -> Hashed:
        return self.fit_counts(self.counts(docs))

    def fit_counts(self, x: sparse.csr_matrix) -> Hashed:
        """``fit`` from term counts already hashed (``counts``)."""
        df = np.bincount(x.indices, minlength=N_FEATURES).astype(np.float64)
        self.idf = (np.log((1 + x.shape[0]) / (1 + df)) + 1).astype(np.float32)
        return self

    def weigh(self, x: sparse.csr_matrix, block: int = 16384) -> sparse.csr_matrix:
        """Term counts (``counts``) to l2-normalised sublinear TF-IDF rows, in place, a block
        of rows at a time (the temporaries stay small at 250,000 cables)."""
        assert self.idf is not None, "fit first"
        x = sparse.csr_matrix(x, dtype=np.float32)
        for r0 in range(0, x.shape[0], block):
            r1 = min(r0 + block, x.shape[0])
            s, e = x.indptr[r0], x.indptr[r1]
            d = x.data[s:e]  # a view: changed in place
            np.log(d, out=d)
            d += 1
            d *= self.idf[x.indices[s:e]]
            owner = np.repeat(np.arange(r1 - r0), np.diff(x.indptr[r0 : r1 + 1]))
            norms = np.sqrt(np.bincount(owner, weights=d * d, minlength=r1 - r0))
            norms[norms == 0] = 1
            d /= norms[owner].astype(np.float32)
        return x

    def transform(
        self, docs: Sequence[Sequence[str]], metas: Sequence[Sequence[str]] | None = None
    ) -> sparse.csr_matrix:
        x = self.weigh(self.counts(docs))
        if metas is not None and self.meta_weight:
            m = self.counts(metas).astype(np.float32)
            m.data[:] = self.meta_weight
            x = x + m
        return sparse.csr_matrix(x, dtype=np.float32)

    def slots(self, items: Sequence[str]) -> np.ndarray:
        """The slot of each term (one row per term)."""
        if not items:
            return np.zeros(0, dtype=np.int64)
        return self.counts([[t] for t in items]).indices.astype(np.int64)


class CharHashed(Hashed):
    """The same TF-IDF over hashed character 3-5-grams of the scrubbed words (``char_wb``:
    n-grams inside word boundaries). They catch what whole words miss: inflections, names
    and acronyms seen in other forms, OCR-like damage. Documents are texts, not term lists."""

    def __init__(self, idf: np.ndarray | None = None) -> None:
        super().__init__(idf)
        self.chars = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5),
                                       n_features=N_FEATURES, alternate_sign=False,
                                       norm=None, lowercase=False, dtype=np.float32)  # fmt: skip

    def counts(self, docs: Iterable[Sequence[str]]) -> sparse.csr_matrix:
        return self.chars.transform([scrub(t) for t in docs]).tocsr()  # type: ignore[arg-type]
