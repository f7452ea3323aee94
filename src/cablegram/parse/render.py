"""Detect the rendering of a cable and undo its damage, down to plain telegram text.

Renderings: ``cablegate-html`` (the 2010 cablegate site: metadata table and two
``<code><pre>`` blocks), ``html`` (any other archive page), ``markdown`` (archive pages
converted to Markdown, like the seed), ``csv-row`` (one row of the 2011 ``cables.csv``),
``json`` (a record written by ``Cable.to_dict``) and ``telegram`` (raw text).
"""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass, field

from cablegram.model import ArchiveMeta, Defect

RENDERINGS = ("cablegate-html", "html", "markdown", "csv-row", "json", "telegram")


@dataclass
class Prepared:
    rendering: str
    header: str = ""  # transmission header, when the rendering keeps it apart
    body: str = ""  # the telegram text (with the header when it is not apart)
    meta: ArchiveMeta | None = None
    csv_refs: list[str] = field(default_factory=list)


_CSV_ROW = re.compile(r'^"?\d+"?,"?\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}"?,')
_CABLEGATE = re.compile(r"<table class=['\"]cable['\"]|<code><pre>", re.I)
_HTML = re.compile(r"<(?:html|body|pre|p|div|br|table)\b", re.I)
_MD_LINK = re.compile(r"\[([^\]\n]{1,80})\]\((?:#[^)\s]*|[^)\s]*)\)")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!$<>|~\"'])")


def detect(text: str, hint: str | None = None) -> str:
    if hint in RENDERINGS:
        return hint
    head = text[:4096]
    stripped = head.lstrip()
    if stripped.startswith("{") and '"id"' in head:
        return "json"
    if _CSV_ROW.match(stripped):
        return "csv-row"
    if _CABLEGATE.search(text[:200000]):
        return "cablegate-html"
    if _HTML.search(head):
        return "html"
    if _MD_LINK.search(text) or "\\$" in text or re.search(r"(?m)^#{1,6} ", head):
        return "markdown"
    return "telegram"


def prepare(text: str, rendering: str, defects: list[Defect]) -> Prepared:
    if rendering == "cablegate-html":
        return _cablegate(text, defects)
    if rendering == "html":
        return Prepared("html", body=_html_to_text(text))
    if rendering == "markdown":
        return Prepared("markdown", body=_markdown_to_text(text))
    if rendering == "csv-row":
        return _csv_row(text, defects)
    return Prepared("telegram", body=_clean_text(text))


# -- text clean-up shared by every rendering -------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    # Trailing spaces carry no meaning in telegrams (Markdown used them for <br>).
    return "\n".join(line.rstrip() for line in text.split("\n"))


def _html_to_text(fragment: str) -> str:
    s = re.sub(r"(?is)<(script|style)\b.*?</\1>", "", fragment)
    s = re.sub(r"(?i)<br\s*/?>", "\n", s)
    s = re.sub(r"(?i)</(p|div|tr|h\d|li|pre)>", "\n", s)
    s = re.sub(r"<[^>]+>", "", s)
    return _clean_text(html.unescape(s))


def _markdown_to_text(text: str) -> str:
    s = _MD_LINK.sub(r"\1", text)
    s = re.sub(r"<a\b[^>]*>(.*?)</a>", r"\1", s, flags=re.I | re.S)
    s = _MD_ESCAPE.sub(r"\1", s)
    s = re.sub(r"&#x000A;|&#10;", "\n", s)
    s = html.unescape(s) if "&" in s else s
    return _clean_text(s)


# -- cablegate pages -------------------------------------------------------------------

_TD_LINK = re.compile(r"<td>\s*<a\s[^>]*>([^<]*)</a>\s*</td>", re.I)
_PRE = re.compile(r"<code><pre>(.*?)</pre></code>", re.I | re.S)
_TITLE = re.compile(r"<h3>\s*Viewing cable\s+[^,<]*,\s*(.*?)</h3>", re.I | re.S)


def _cablegate(text: str, defects: list[Defect]) -> Prepared:
    meta = ArchiveMeta()
    tds = _TD_LINK.findall(text[: text.find("<code><pre>") if "<code><pre>" in text else None])
    if len(tds) >= 5:
        ref, created, released, cls, origin = (html.unescape(x).strip() for x in tds[:5])
        meta = ArchiveMeta(
            reference_id=ref,
            created=_iso_minutes(created),
            released=_iso_minutes(released),
            classification=cls,
            origin=origin,
        )
    else:
        defects.append(Defect("archive-table", "cablegate page without its metadata table"))
    m = _TITLE.search(text)
    if m:
        meta.title = html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip()
    blocks = [_html_to_text(b) for b in _PRE.findall(text)]
    if not blocks:
        defects.append(Defect("no-text", "cablegate page without <pre> blocks"))
        return Prepared("cablegate-html", meta=meta)
    header, body = ("", blocks[0]) if len(blocks) == 1 else (blocks[0], "\n".join(blocks[1:]))
    return Prepared("cablegate-html", header=header, body=body, meta=meta)


def _iso_minutes(s: str) -> str:
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})", s)
    return f"{m[1]}-{m[2]}-{m[3]}T{m[4]}:{m[5]}:00Z" if m else ""


# -- cables.csv rows -------------------------------------------------------------------


def _csv_row(text: str, defects: list[Defect]) -> Prepared:
    # cables.csv escapes quotes with a backslash (\" and \') and never doubles them:
    # a default csv reader splits such rows in the wrong places.
    rows = list(csv.reader(io.StringIO(text, newline=""), escapechar="\\", doublequote=False))
    row = rows[0] if rows else []
    if len(rows) > 1 and any(any(c.strip() for c in r) for r in rows[1:]):
        defects.append(Defect("csv", f"{len(rows)} csv rows given; only the first was read"))
    if len(row) < 8:
        defects.append(Defect("csv", f"csv row has {len(row)} columns, expected 8"))
        row = row + [""] * (8 - len(row))
    elif len(row) > 8:
        # An unescaped quote or comma in a body: keep header and body together.
        defects.append(Defect("csv", f"csv row has {len(row)} columns, expected 8; joined"))
        row = row[:6] + [row[6], ",".join(row[7:])]
    _seq, created, ref, origin, cls, refs, header, body = row[:8]
    meta = ArchiveMeta(
        reference_id=ref.strip(),
        created=_csv_date(created),
        classification=cls.strip(),
        origin=origin.strip(),
    )
    refs_list = [r.strip() for r in refs.split("|") if r.strip()]
    return Prepared(
        "csv-row", header=_clean_text(header), body=_clean_text(body), meta=meta, csv_refs=refs_list
    )


def _csv_date(s: str) -> str:
    m = re.match(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})", s)
    if not m:
        return ""
    mo, d, y, hh, mm = (int(x) for x in m.groups())
    return f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mm:02d}:00Z"
