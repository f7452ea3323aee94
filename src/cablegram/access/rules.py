"""Portion rules: who may see which part of a cable (docs/access.md).

A ``Reader`` is a principal (a user, a token, or anonymous) with rights: a clearance and a
set of caveats. Its ``visibility`` is the ``search.Visibility`` every query takes, or
``None`` for unrestricted reading (an administrator, or an archive published as is).

``redact(cable, visibility)`` applies the same rules to a record in Python. It decides
each portion's (level, caveats) exactly as the store does when it writes ``portions``
(``cablegram.store.rows``), and tests compare the two over the whole sample corpus.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from cablegram.model import CLASSIFICATION_ABBREVIATIONS, Cable
from cablegram.reference import caveat_name
from cablegram.search.visibility import Visibility
from cablegram.store.rows import _in_paragraphs, caveat_list, marking_of, portion_level

__all__ = [
    "ANONYMOUS_POLICIES",
    "CLEARANCES",
    "IMPLICIT_CAVEATS",
    "WITHHELD",
    "Reader",
    "allows",
    "clearance_level",
    "normalize_caveats",
    "portion_rights",
    "redact",
]

# Clearances a principal can hold, and the highest portion level each reads.
# LOU and SBU are one tier: both are controlled unclassified information (levels 1 and 2).
# A clearance per abbreviation of the one scale (model.CLASSIFICATION_ABBREVIATIONS), at
# its level, except that LOU and SBU are one clearance: the SBU level (docs/access.md).
CLEARANCES: dict[str, int] = {
    abbr: max(level, 2) if abbr in ("LOU", "SBU") else level
    for level, abbr in enumerate(CLASSIFICATION_ABBREVIATIONS)
}
CLEARANCE_NAMES = {"U": "UNCLASSIFIED", "LOU": "LOU/SBU", "SBU": "LOU/SBU", "C": "CONFIDENTIAL",
                   "S": "SECRET", "TS": "TOP SECRET"}  # fmt: skip
# What an archive may give anonymous readers: a clearance, nothing, or everything.
ANONYMOUS_POLICIES = ("none", *CLEARANCES, "as-published")

# Caveats that are distribution or transmission indicators, not limits on who may read:
# held by every reader. SIPDIS (distribution on SIPRNet) and EFTO (encrypted for
# transmission only) mark unclassified cables too.
IMPLICIT_CAVEATS = frozenset({"SIPDIS", "EFTO"})
# Caveats that come with a clearance: FOUO with LOU/SBU and above, SBU/SENSITIVE likewise.
_CLEARANCE_CAVEATS = {2: frozenset({"FOUO", "SBU", "SENSITIVE"})}

WITHHELD = "[withheld]"


def clearance_level(name: str) -> int:
    """``S`` -> 4; raises ``ValueError`` for an unknown clearance."""
    key = name.strip().upper()
    if key == "UNCLASSIFIED":
        key = "U"
    if key not in CLEARANCES:
        raise ValueError(f"unknown clearance {name!r}; use one of {', '.join(CLEARANCES)}")
    return CLEARANCES[key]


def normalize_caveats(names: str | Iterable[object] | None) -> frozenset[str]:
    """Caveat rights as ``portions.caveats`` spells them: ``NF`` -> ``NOFORN``,
    ``REL NATO`` -> ``REL_NATO``. Unknown names are kept (upper case)."""
    if isinstance(names, str):
        names = [x for x in re.split(r"[,\n]+", names)]
    out = set()
    for n in names or ():
        s = " ".join(str(n).replace("_", " ").upper().split())
        if s:
            out.add("_".join((caveat_name(s) or s).split()))
    return frozenset(out)


@dataclass(frozen=True)
class Reader:
    """Who is reading, resolved once per request.

    ``level`` is None for unrestricted reading (``visibility`` is then None as well).
    ``name`` is '' for anonymous readers; ``kind`` is user, token, anonymous or admin.
    """

    name: str = ""
    kind: str = "anonymous"
    level: int | None = 0
    caveats: frozenset[str] = field(default_factory=frozenset)
    admin: bool = False

    @classmethod
    def unrestricted(cls, name: str = "admin", kind: str = "admin") -> Reader:
        return cls(name, kind, None, frozenset(), True)

    @classmethod
    def anonymous(cls, policy: str = "U") -> Reader:
        """The reader without credentials under an archive's anonymous policy."""
        if policy == "as-published":
            return cls("", "anonymous", None)
        if policy == "none":
            return cls("", "anonymous", -1)
        return cls("", "anonymous", clearance_level(policy))

    @property
    def authenticated(self) -> bool:
        return self.kind != "anonymous"

    @property
    def visibility(self) -> Visibility | None:
        if self.level is None:
            return None
        return ReaderVisibility(self.level, portion_rights(self.level, self.caveats))

    @property
    def key(self) -> tuple:
        """What results depend on: equal keys see equal results (cache keys)."""
        v = self.visibility
        return ("all",) if v is None else (v.max_level, tuple(sorted(v.caveats)))

    def widen(self, other: Reader) -> Reader:
        """These rights or ``other``'s, whichever reads more (a user never reads less than
        an anonymous reader of the same archive)."""
        if self.level is None or other.level is None:
            return Reader(self.name, self.kind, None, self.caveats, self.admin)
        if other.level > self.level or (other.level == self.level and other.caveats > self.caveats):
            return Reader(self.name, self.kind, other.level, self.caveats | other.caveats,
                          self.admin)  # fmt: skip
        return self

    def describe(self) -> str:
        if self.level is None:
            return "everything"
        if self.level < 0:
            return "nothing"
        name = next((CLEARANCE_NAMES[k] for k, v in CLEARANCES.items() if v == self.level),
                    str(self.level))  # fmt: skip
        return " // ".join([name, *sorted(self.caveats)])


class ReaderVisibility(Visibility):
    """``Visibility`` whose clause is one opaque term: SQLite's planner then keeps driving
    a full-text query from the FTS index (snippets) instead of scanning the cable's
    portions and re-running the MATCH for each one (2-4x slower, bench/access.py). The
    same rows are visible: it is ``Visibility.portion_clause``, wrapped. TRUE and FALSE,
    not 1 and 0: PostgreSQL wants a boolean where SQLite takes either."""

    def portion_clause(self, alias: str = "p") -> tuple[str, list[object]]:
        sql, params = super().portion_clause(alias)
        return f"(CASE WHEN {sql} THEN TRUE ELSE FALSE END)", params


def portion_rights(level: int, caveats: frozenset[str]) -> frozenset[str]:
    """The caveats a reader of ``level`` holding ``caveats`` may read."""
    out = set(caveats) | IMPLICIT_CAVEATS
    for lvl, extra in _CLEARANCE_CAVEATS.items():
        if level >= lvl:
            out |= extra
    return frozenset(out)


def allows(visible: Visibility | None, level: int, caveats: str) -> bool:
    """Python twin of ``Visibility.portion_clause``: level within, every caveat held."""
    return visible is None or visible.allows(level, caveats)


def _norm(text: str) -> str:
    return " ".join(text.split())


def _sources(text: str, paras: list[tuple[str, bool]]) -> list[bool] | None:
    """Visibility of the paragraphs a derived text (summary, comment) comes from; None
    when it is found in no paragraph."""
    t = _norm(text)
    if not t:
        return []
    probe = " ".join(t.split()[:12])
    found = []
    for pt, ok in paras:
        if not pt:
            continue
        head = " ".join(pt.split()[:12])
        if probe in pt or head in t:
            found.append(ok)
    return found or None


@dataclass
class Redaction:
    """A record as a reader may see it."""

    cable: Cable
    visible: int  # portions shown
    withheld: list[tuple[int | None, str]]  # (paragraph number, marking) of withheld ones
    subject_withheld: bool = False

    @property
    def any_visible(self) -> bool:
        return self.visible > 0


def redact(cable: Cable, visible: Visibility | None) -> Redaction:
    """``cable`` with every portion ``visible`` does not allow replaced by a placeholder.

    A withheld paragraph keeps its number and marking, its heading and text become
    ``WITHHELD``; a withheld subject (and the archive page's title, which repeats it)
    becomes ``WITHHELD``; the summary and comment are kept only when every paragraph they
    come from is visible (or, when they are in no paragraph, when the cable's overall
    marking is); septels (sentences of the text) only when found in a visible paragraph;
    the raw telegram text (``body``) is replaced by nothing when anything is withheld.
    Header metadata stays. ``Redaction.visible`` counts the visible portions as the
    ``portions`` table has them: when it is 0 the reader must not learn the cable exists.
    """
    c = cable
    arch = c.archive
    default_level = portion_level(c.classification or (arch.classification if arch else ""))
    default = (default_level, [x for x in dict.fromkeys(c.caveats) if x])
    if visible is None:
        n = sum(1 for p in c.paragraphs if p.text.strip() or p.heading.strip())
        n += 1 if c.subject.strip() else 0
        return Redaction(c, n or (1 if c.summary.strip() else 0), [])

    def ok(marking: str) -> bool:
        lvl, cav = marking_of(marking, default)
        return allows(visible, lvl, caveat_list(cav))

    # Copies of what may change (the record itself stays untouched).
    out = dataclasses.replace(
        c,
        paragraphs=[dataclasses.replace(p) for p in c.paragraphs],
        archive=dataclasses.replace(c.archive) if c.archive is not None else None,
        septels=list(c.septels),
    )
    n_visible = 0
    withheld: list[tuple[int | None, str]] = []
    paras: list[tuple[str, bool]] = []
    any_withheld = False
    for p in out.paragraphs:
        has_text = bool(p.text.strip() or p.heading.strip())
        good = ok(p.marking)
        paras.append((_norm(p.text), good))
        if not has_text:
            continue
        if good:
            n_visible += 1
        else:
            any_withheld = True
            withheld.append((p.number, p.marking))
            p.text = WITHHELD
            p.heading = WITHHELD if p.heading else ""
    subject_withheld = False
    if c.subject.strip():
        if ok(c.subject_marking):
            n_visible += 1
        else:
            subject_withheld = any_withheld = True
            out.subject = WITHHELD
            out.title = WITHHELD if out.title else ""
            if out.archive is not None:
                out.archive.title = WITHHELD
    elif out.archive is not None and out.archive.title and not ok(""):
        out.archive.title = WITHHELD
    default_ok = allows(visible, default[0], caveat_list(default[1]))
    if c.summary.strip() and not _in_paragraphs(c.summary, c) and default_ok:
        n_visible += 1  # a summary found in no paragraph is a portion of its own
    for name in ("summary", "comment"):
        text = getattr(c, name)
        if not text.strip():
            continue
        src = _sources(text, paras)
        shown = default_ok if src is None else all(src)
        if name == "summary" and not _in_paragraphs(text, c):
            shown = shown and default_ok
        if not shown:
            any_withheld = True
            setattr(out, name, WITHHELD)
    if out.septels:
        seen = [t for t, good in paras if good]
        out.septels = [s for s in out.septels if any(_norm(s) in t for t in seen)]
    if any_withheld:
        out.body = ""
        out.header = _header_only(c.header)
    return Redaction(out, n_visible, withheld, subject_withheld)


def _header_only(header: str) -> str:
    """The transmission header up to (not including) a SUBJECT line, if it has one."""
    m = re.search(r"(?im)^\s*SUBJ(?:ECT)?\s*:", header)
    return header[: m.start()].rstrip() if m else header
