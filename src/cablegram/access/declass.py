"""Declassification review: which cables' declassify-on date has passed.

``DECL:`` lines hold a date (``2019-06-01``, ``06/01/2019``, ``DNG: CO 06/01/2019``,
``8 OCTOBER 2019``), a period from the cable's date (``TEN YEARS``, ``TWENTY YEARS``), or
something that is no date at all (``OADR``, ``X1``, ``25X1-HUMAN``, ``N/A``, ``MR``). The
report lists the cables due by ``due``, grouped by origin and classification, and the
non-date values separately with their counts.

For reviewers (``classify.is_reviewer``) with a trained model, ``rank`` puts each due
cable's predicted sensitivity beside it (``classify.sensitivity``: read only from the text
the reviewer may see), orders the list by it, and can keep only the cables that read
"likely releasable" (below the model's operating threshold). Everyone else gets the report
without a prediction, in due-date order.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

__all__ = ["SORTS", "DeclassReport", "DueCable", "declass_date", "rank", "report"]

# The orders of the due list: by due date; likely releasable (least sensitive) first; most
# sensitive first. The last two need predictions.
SORTS = ("due", "releasable", "sensitive")

_MONTHS = {m: i for i, m in enumerate(
    ("JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY", "AUGUST", "SEPTEMBER",
     "OCTOBER", "NOVEMBER", "DECEMBER"), 1)}  # fmt: skip
_ISO = re.compile(r"\b(\d{4})[-/](\d{1,2})[-/](\d{1,2})\b")
_US = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_DMY = re.compile(r"\b(\d{1,2})\s+([A-Z]{3,9})\.?,?\s+(\d{4})\b")
_MDY = re.compile(r"\b([A-Z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})\b")
_YEARS = {"TEN YEARS": 10, "10 YEARS": 10, "TWENTY YEARS": 20, "20 YEARS": 20,
          "TWENTY-FIVE YEARS": 25, "25 YEARS": 25}  # fmt: skip


def _month(name: str) -> int | None:
    for full, i in _MONTHS.items():
        if len(name) >= 3 and full.startswith(name):
            return i
    return None


def _mk(y: int, m: int | None, d: int) -> date | None:
    try:
        return date(y, m, d) if m else None
    except ValueError:
        return None


def declass_date(raw: str, cable_date: str | None = None) -> date | None:
    """The date a ``DECL:`` value names, or None when it names none."""
    s = " ".join((raw or "").upper().split())
    if not s:
        return None
    if s.startswith("DECLASSIFIED"):  # already declassified on that day: due
        pass
    m = _ISO.search(s)
    if m:
        return _mk(int(m[1]), int(m[2]), int(m[3]))
    m = _US.search(s)
    if m:
        return _mk(int(m[3]), int(m[1]), int(m[2]))
    m = _DMY.search(s)
    if m:
        return _mk(int(m[3]), _month(m[2]), int(m[1]))
    m = _MDY.search(s)
    if m:
        return _mk(int(m[3]), _month(m[1]), int(m[2]))
    if s in _YEARS and cable_date and len(cable_date) >= 10:
        y, mo, d = int(cable_date[:4]), int(cable_date[5:7]), int(cable_date[8:10])
        return _mk(y + _YEARS[s], mo, min(d, 28))
    return None


@dataclass
class DueCable:
    id: str
    date: str | None
    origin: str
    classification: str
    declassify_on: str
    when: datetime.date  # not ``date``: the field above shadows it here
    predicted: float | None = None  # probability it reads classified (reviewers only)


@dataclass
class DeclassReport:
    due: date
    due_cables: list[DueCable] = field(default_factory=list)  # oldest due date first
    by_origin: dict[str, int] = field(default_factory=dict)
    by_classification: dict[str, int] = field(default_factory=dict)
    by_origin_and_classification: dict[tuple[str, str], int] = field(default_factory=dict)
    not_yet: int = 0  # a date after ``due``
    no_date: dict[str, int] = field(default_factory=dict)  # value -> cables (OADR, X1 ...)
    no_date_cables: dict[str, list[str]] = field(default_factory=dict)
    missing: int = 0  # no DECL line at all
    # UNCLASSIFIED cables (class level 0): nothing to declassify, whatever their DECL line
    # says (a date copied from a template, N/A); never counted as due.
    unclassified: int = 0
    # Set by ``rank``: the order, whether only likely releasable cables are kept, and the
    # model's threshold below which a cable reads releasable (None: no predictions).
    sort: str = "due"
    releasable_only: bool = False
    threshold: float | None = None
    due_total: int = 0  # due cables before the "likely releasable" filter

    def to_dict(self) -> dict[str, Any]:
        return {
            "due": self.due.isoformat(),
            "due_cables": [
                {
                    "id": c.id,
                    "date": c.date,
                    "origin": c.origin,
                    "classification": c.classification,
                    "declassify_on": c.declassify_on,
                    "when": c.when.isoformat(),
                    **({} if self.threshold is None else {"predicted": (
                        None if c.predicted is None else round(c.predicted, 4))}),
                }
                for c in self.due_cables
            ],  # fmt: skip
            "by_origin": self.by_origin,
            "by_classification": self.by_classification,
            "by_origin_and_classification": [
                {"origin": o, "classification": k, "cables": n}
                for (o, k), n in self.by_origin_and_classification.items()
            ],
            "not_yet": self.not_yet,
            "no_date": self.no_date,
            "no_date_cables": self.no_date_cables,
            "missing": self.missing,
            "unclassified": self.unclassified,
            **({} if self.threshold is None else {
                "sort": self.sort, "releasable_only": self.releasable_only,
                "threshold": round(self.threshold, 4), "due_total": self.due_total}),
        }  # fmt: skip


def report(rows: Iterable[tuple], due: date | str | None = None) -> DeclassReport:
    """The review of the cables ``rows`` (``Store.declass_rows``: id, date, origin,
    classification, class level, declassify-on)."""
    if due is None:
        due = date.today()
    elif isinstance(due, str):
        due = date.fromisoformat(due)
    rep = DeclassReport(due)
    no_date: Counter[str] = Counter()
    for cid, cdate, origin, cls, level, raw in rows:
        if level == 0 or (cls or "").upper().startswith("UNCLASSIFIED"):
            rep.unclassified += 1
            continue
        raw = (raw or "").strip()
        if not raw:
            rep.missing += 1
            continue
        when = declass_date(raw, cdate)
        if when is None:
            key = " ".join(raw.upper().rstrip("\\ ").split())
            no_date[key] += 1
            rep.no_date_cables.setdefault(key, []).append(cid)
            continue
        if when > due:
            rep.not_yet += 1
            continue
        rep.due_cables.append(DueCable(cid, cdate, origin or "", cls or "", raw, when))
    rep.due_cables.sort(key=lambda c: (c.when, c.id))
    rep.due_total = len(rep.due_cables)
    _count(rep)
    rep.no_date = dict(no_date.most_common())
    for v in rep.no_date_cables.values():
        v.sort()
    return rep


def _count(rep: DeclassReport) -> None:
    """The due cables by origin, by classification and by both."""
    by_o: Counter[str] = Counter()
    by_c: Counter[str] = Counter()
    by_oc: Counter[tuple[str, str]] = Counter()
    for c in rep.due_cables:
        by_o[c.origin] += 1
        by_c[c.classification] += 1
        by_oc[(c.origin, c.classification)] += 1
    rep.by_origin = dict(by_o.most_common())
    rep.by_classification = dict(by_c.most_common())
    rep.by_origin_and_classification = dict(by_oc.most_common())


def rank(rep: DeclassReport, scores: Mapping[str, float], threshold: float, *,
         sort: str = "due", releasable_only: bool = False) -> DeclassReport:  # fmt: skip
    """Put ``scores`` (cable id -> probability it reads classified) beside the due cables,
    order them by ``sort`` (one of ``SORTS``; ties by due date) and, with
    ``releasable_only``, keep those scoring below ``threshold`` (the counts follow). A cable
    without a score is never "likely releasable" and sorts last."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    for c in rep.due_cables:
        c.predicted = scores.get(c.id)
    rep.due_total = len(rep.due_cables)
    if releasable_only:
        rep.due_cables = [
            c for c in rep.due_cables if c.predicted is not None and c.predicted < threshold
        ]
        _count(rep)
    if sort != "due":
        sign = 1.0 if sort == "releasable" else -1.0
        rep.due_cables.sort(key=lambda c: (
            c.predicted is None, sign * (c.predicted or 0.0), c.when, c.id))  # fmt: skip
    rep.sort, rep.releasable_only, rep.threshold = sort, releasable_only, threshold
    return rep
