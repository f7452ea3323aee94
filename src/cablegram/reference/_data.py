"""Loading of the packaged data files (``reference/data/``), each read once.

Every loader is wrapped in :func:`functools.cache`: the first call reads the file, later
calls return the same (read-only by convention) object. Nothing is read at import time.
See ``data/PROVENANCE.md`` for where each file comes from.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources


def _text(name: str) -> str:
    return resources.files("cablegram.reference").joinpath("data", name).read_text("utf-8")


def _rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_text(name))))


@cache
def route_table() -> dict[str, str]:
    """Routing indicator -> station name as written in ``route2name.csv`` (first row wins)."""
    out: dict[str, str] = {}
    for row in csv.reader(io.StringIO(_text("route2name.csv"))):
        if len(row) >= 2 and row[0].strip():
            out.setdefault(row[0].strip().upper(), row[1].strip())
    return out


@cache
def post_rows() -> tuple[tuple[str, str, str], ...]:
    """(code, archive name, FM text) of ``posts.csv`` (the archive's own names)."""
    return tuple((r["code"], r["name"], r["fm_text"]) for r in _rows("posts.csv"))


@cache
def extra_post_rows() -> tuple[tuple[str, str, str], ...]:
    """(code, name, FM text) of ``extra-posts.csv`` (posts written out by rule)."""
    return tuple((r["code"], r["name"], r["fm_text"]) for r in _rows("extra-posts.csv"))


@cache
def fips_table() -> dict[str, str]:
    """FIPS 10-4 code -> country name (current, historical and TAGS-only codes)."""
    return {r["code"]: r["name"] for r in _rows("fips10-4.csv")}


@cache
def subject_table() -> dict[str, tuple[str, str, str]]:
    """Subject/programme TAGS code -> (kind, expansion, source)."""
    return {r["code"]: (r["kind"], r["name"], r["source"]) for r in _rows("subject-tags.csv")}


@cache
def cablemap_subjects() -> frozenset[str]:
    """Subject TAGS codes listed by the cablemap project (no expansions)."""
    return frozenset(x.strip().upper() for x in _text("subject-tags.txt").split() if x.strip())


@cache
def organisation_table() -> dict[str, str]:
    """Organisation TAGS (upper-cased) -> name ('' when only the code is known)."""
    out = {
        line.strip().upper(): ""
        for line in _text("organization-tags.txt").splitlines()
        if line.strip()
    }
    for r in _rows("organisation-names.csv"):
        out[r["code"].strip().upper()] = r["name"]
    return out
