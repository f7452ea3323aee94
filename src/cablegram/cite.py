"""Citations of a cable a historian can paste: a Chicago note and bibliography entry, BibTeX
and CSL-JSON (what Zotero, Pandoc and citeproc read).

Each names the origin, the subject, the reference id, the date and where the text comes
from: the source collection of the version shown (Cablegate, a cables.csv dump, a file),
because two renderings of one cable can differ and a reader must find the same text.
The subject is kept as written (cables' subjects are upper case, acronyms and all).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from cablegram import present
from cablegram.model import Cable

__all__ = ["Citation", "bibtex", "chicago_bibliography", "chicago_note", "citation", "csl_json"]

# Collections known by the rendering their documents come in.
_COLLECTIONS = {
    "cablegate-html": "Cablegate (WikiLeaks, 2010\u20132011)",
    "csv-row": "cables.csv dump of the Cablegate release",
}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip


@dataclass
class Citation:
    """The facts every style is made from."""

    id: str
    origin: str
    recipient: str
    subject: str
    date: date | None
    collection: str  # the source collection of the version shown
    location: str  # where in it: the page of the release, the file
    url: str = ""  # this cable on this archive, when known


def _basename(path: str) -> str:
    return path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def citation(cable: Cable, version: Any = None, url: str = "") -> Citation:
    """The citation of ``cable`` as shown in ``version`` (a ``VersionInfo``; None: unknown)."""
    origin = cable.origin.name or cable.origin.code or cable.origin.routing or "Unknown origin"
    recipient = ""
    if cable.to:
        recipient = present.addressee_view(cable.to[0]).name
        if len(cable.to) > 1:
            recipient += " et al."
    day = None
    raw = cable.dtg or ""
    if len(raw) >= 10:
        try:
            day = date.fromisoformat(raw[:10])
        except ValueError:
            day = None
    collection = location = ""
    if version is not None:
        collection = _COLLECTIONS.get(version.rendering, "")
        location = version.member or _basename(version.source)
        if not collection:
            collection, location = _basename(version.source), version.member
    subject = " ".join((cable.subject or "").split()) or "(no subject)"
    return Citation(cable.id, origin, recipient, subject, day, collection, location, url)


def _day(d: date | None) -> str:
    return f"{_MONTHS[d.month - 1]} {d.day}, {d.year}" if d else "n.d."


def _where(c: Citation) -> str:
    return ", ".join(x for x in (c.collection, c.location) if x)


def chicago_note(c: Citation) -> str:
    """A Chicago-style note (17th ed., 14.232 for letters and the like)."""
    to = f" to {c.recipient}" if c.recipient else ""
    parts = [f"{c.origin}{to}", f"\u201c{c.subject},\u201d cable {c.id}", _day(c.date)]
    if _where(c):
        parts.append(_where(c))
    if c.url:
        parts.append(c.url)
    return ", ".join(parts) + "."


def chicago_bibliography(c: Citation) -> str:
    """A Chicago-style bibliography entry."""
    to = f" to {c.recipient}" if c.recipient else ""
    out = f"{c.origin}. \u201c{c.subject}.\u201d Cable {c.id}{to}, {_day(c.date)}."
    if _where(c):
        out += f" {_where(c)}."
    if c.url:
        out += f" {c.url}."
    return out


_BIB_SPECIAL = re.compile(r"([&%$#_{}])")


def _bib(text: str) -> str:
    text = text.replace("\\", r"\textbackslash{}").replace("~", r"\textasciitilde{}")
    text = text.replace("^", r"\textasciicircum{}")
    return _BIB_SPECIAL.sub(r"\\\1", text).replace("\u2013", "--")


def bibtex(c: Citation) -> str:
    """A BibTeX ``@misc`` entry keyed by the reference id (biblatex reads ``date`` too)."""
    fields = [
        ("author", "{" + _bib(c.origin) + "}"),  # a corporate author: braced, never split
        ("title", "{" + _bib(c.subject) + "}"),
        (
            "howpublished",
            _bib(f"Diplomatic cable {c.id}" + (f" to {c.recipient}" if c.recipient else "")),
        ),
        ("number", _bib(c.id)),
    ]
    if c.date:
        fields += [("date", c.date.isoformat()), ("year", str(c.date.year)),
                   ("month", _MONTHS[c.date.month - 1][:3].lower())]  # fmt: skip
    if _where(c):
        fields.append(("note", _bib(_where(c))))
    if c.url:
        fields.append(("url", c.url))
    key = re.sub(r"[^A-Za-z0-9]", "", c.id) or "cable"
    body = ",\n".join(f"  {k} = {v}" if k == "month" else f"  {k} = {{{v}}}" for k, v in fields)
    return f"@misc{{{key},\n{body}\n}}\n"


def csl_json(c: Citation) -> dict[str, Any]:
    """One CSL-JSON item (a list of these is what citeproc reads)."""
    item: dict[str, Any] = {
        "id": c.id,
        "type": "document",
        "genre": "Diplomatic cable",
        "title": c.subject,
        "author": [{"literal": c.origin}],
        "number": c.id,
    }
    if c.recipient:
        item["recipient"] = [{"literal": c.recipient}]
    if c.date:
        item["issued"] = {"date-parts": [[c.date.year, c.date.month, c.date.day]]}
    if c.collection:
        item["archive"] = c.collection
    if c.location:
        item["archive_location"] = c.location
    if c.url:
        item["URL"] = c.url
    return item
