"""What changed between two versions of a cable: field changes and a unified diff of a
plain-text rendering (:func:`render_text`, also the web page's and the API's text view).

:func:`diff_versions` resolves which versions to compare from a store's version list;
``Archive.diff`` compares stored versions, ``ReaderArchive.diff`` the same versions as the
reader may see them (``transform`` redacts each before comparing).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cablegram.errors import NotFound
from cablegram.model import Cable
from cablegram.store import Store, VersionInfo

__all__ = ["CableDiff", "FieldChange", "diff_versions", "render_text"]

# Fields shown by the text diff rather than the field list.
_TEXT_FIELDS = {"paragraphs", "header", "body"}


@dataclass
class FieldChange:
    field: str  # dotted for nested fields: origin.name, archive.released
    old: Any
    new: Any


@dataclass
class CableDiff:
    cable_id: str
    a: VersionInfo
    b: VersionInfo
    fields: list[FieldChange] = field(default_factory=list)
    text: list[str] = field(default_factory=list)  # unified diff of render_text()

    @property
    def changed(self) -> bool:
        return bool(self.fields or self.text)

    def __str__(self) -> str:
        out = [
            f"{self.cable_id}: version {self.a.number} ({self.a.content_hash[:12]}) -> "
            f"version {self.b.number} ({self.b.content_hash[:12]})"
        ]
        for ch in self.fields:
            out.append(f"  {ch.field}: {_show(ch.old)} -> {_show(ch.new)}")
        out.extend(line.rstrip("\n") for line in self.text)
        return "\n".join(out)


def render_text(c: Cable) -> str:
    """A plain-text rendering of a record: header fields, then the paragraphs."""
    lines: list[str] = []

    def put(label: str, value: Any) -> None:
        if value not in (None, "", []):
            lines.append(f"{label}: {value}")

    put("ID", c.id)
    put("DTG", c.dtg)
    put("PRECEDENCE", c.precedence)
    put("FROM", " ".join(x for x in (c.origin.routing, c.origin.name or c.origin.code) if x))
    for role, group in (("TO", c.to), ("INFO", c.info)):
        for a in group:
            put(role, " ".join(x for x in (a.routing, a.name, a.precedence, a.serial) if x))
    put("CLASSIFICATION", " // ".join(x for x in (c.classification, *c.caveats) if x))
    put("SECTIONS", c.sections)
    put(
        "E.O.",
        " ".join(x for x in (c.eo, f"DECL: {c.declassify_on}" if c.declassify_on else "") if x),
    )
    put("TAGS", " ".join(t.code for t in c.tags))
    put("SUBJECT", f"({c.subject_marking}) {c.subject}" if c.subject_marking else c.subject)
    for r in c.references:
        put(
            "REF", " ".join(x for x in (r.label, r.id or "?", f"({r.text})" if r.text else "") if x)
        )
    if c.classified_by:
        put(
            "CLASSIFIED BY",
            ", ".join(x for x in (c.classified_by.name, c.classified_by.title) if x),
        )
    put("REASONS", ", ".join(c.reasons))
    lines.append("")
    heading = ""
    for p in c.paragraphs:
        if p.heading and p.heading != heading:
            lines += [p.heading, ""]
            heading = p.heading
        head = " ".join(x for x in (f"{p.number}." if p.number is not None else "",
                                    f"({p.marking})" if p.marking else "") if x)  # fmt: skip
        lines += [f"{head} {p.text}".strip(), ""]
    put("SIGNED", c.signer)
    return "\n".join(lines).rstrip() + "\n"


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if not prefix and k in _TEXT_FIELDS:
            continue
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _diff(cid: str, va: tuple[VersionInfo, Cable], vb: tuple[VersionInfo, Cable]) -> CableDiff:
    (ia, ca), (ib, cb) = va, vb
    fa, fb = _flat(ca.to_dict()), _flat(cb.to_dict())
    changes = [
        FieldChange(k, fa.get(k), fb.get(k))
        for k in dict.fromkeys([*fa, *fb])
        if fa.get(k) != fb.get(k)
    ]
    text = list(
        difflib.unified_diff(
            render_text(ca).splitlines(keepends=True),
            render_text(cb).splitlines(keepends=True),
            fromfile=f"{cid} v{ia.number} {ia.content_hash[:12]}",
            tofile=f"{cid} v{ib.number} {ib.content_hash[:12]}",
        )
    )
    return CableDiff(cid, ia, ib, changes, text)


def _show(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_show(x)}" for k, x in v.items() if x) + "}"
    s = repr(v) if isinstance(v, str) else str(v)
    return s if len(s) <= 80 else s[:77] + "..."


def diff_versions(
    store: Store,
    cid: str,
    a: int | str | None = None,
    b: int | str | None = None,
    *,
    transform: Callable[[Cable], Cable] | None = None,
) -> CableDiff:
    """Versions ``a`` and ``b`` of cable ``cid`` compared (``b`` defaults to the shown
    version, ``a`` to the latest other one), each passed through ``transform`` first.
    Raises ``NotFound`` (a ``LookupError``) for an unknown cable or version."""
    infos = store.versions(cid)
    if not infos:
        raise NotFound(f"no cable {cid}")
    if b is None:
        b = next((v.number for v in infos if v.shown), len(infos))
    vb = store.version(cid, b)
    if vb is None:
        raise NotFound(f"{cid} has no version {b}")
    if a is None:
        others = [v.number for v in infos if v.number != vb[0].number]
        a = others[-1] if others else vb[0].number
    va = store.version(cid, a)
    if va is None:
        raise NotFound(f"{cid} has no version {a}")
    if transform is not None:
        va, vb = (va[0], transform(va[1])), (vb[0], transform(vb[1]))
    return _diff(cid, va, vb)
