"""The round trip ``parse(compose(record))``: which fields come back as they were.

Used by the test over the dev cables and by ``bench/compose_roundtrip.py``. Paragraph
text is compared with runs of white space folded, as composing re-wraps the lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cablegram.model import Cable
from cablegram.parser import parse
from cablegram.telegram.compose import compose

__all__ = ["FIELDS", "Difference", "roundtrip"]

FIELDS = (
    "id", "dtg", "precedence", "origin", "addressees", "classification", "caveats",
    "declassify_on", "reasons", "tags", "subject", "references", "paragraphs", "signer",
)  # fmt: skip


@dataclass
class Difference:
    field: str
    before: Any
    after: Any


@dataclass
class RoundTrip:
    cable_id: str
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def _squash(text: str) -> str:
    return " ".join(text.split())


def view(c: Cable, name: str) -> Any:
    """The value of one compared field of a record."""
    if name == "origin":
        return c.origin.code
    if name == "addressees":
        return [
            (role, a.routing, _squash(a.name), a.precedence, a.serial)
            for role, group in (("to", c.to), ("info", c.info))
            for a in group
        ]
    if name == "caveats":
        return sorted(c.caveats)
    if name == "tags":
        return [t.code for t in c.tags]
    if name == "subject":
        return (c.subject_marking, _squash(c.subject))
    if name == "references":
        return [r.id for r in c.references]
    if name == "paragraphs":
        return [(p.number, p.marking, _squash(p.text)) for p in c.paragraphs]
    return getattr(c, name)


def roundtrip(cable: Cable) -> RoundTrip:
    back = parse(compose(cable).encode("utf-8"))
    out = RoundTrip(cable.id)
    for name in FIELDS:
        if name == "dtg" and not cable.dtg:
            continue  # composed with the archive's date (compose._archive_dtg): not compared
        a, b = view(cable, name), view(back, name)
        if a != b:
            out.differences.append(Difference(name, a, b))
    return out
