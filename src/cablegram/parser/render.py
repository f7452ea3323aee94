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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Final

from cablegram.model import ArchiveMeta, Defect
from cablegram.parser import scan

RENDERINGS: Final = ("cablegate-html", "html", "markdown", "csv-row", "json", "telegram")


@dataclass
class Prepared:
    rendering: str
    header: str = ""  # transmission header, when the rendering keeps it apart
    body: str = ""  # the telegram text (with the header when it is not apart)
    meta: ArchiveMeta | None = None
    csv_refs: list[str] = field(default_factory=list)


_CSV_ROW: Final = re.compile(r'^"?\d+"?,"?\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}"?,')
_CABLEGATE: Final = re.compile(r"<table class=['\"]cable['\"]|<code><pre>", re.I)
_HTML: Final = re.compile(r"<(?:html|body|pre|p|div|br|table)\b", re.I)
_MD_LINK: Final = re.compile(r"\[([^\]\n]{1,80})\]\((?:#[^)\s]*|[^)\s]*)\)")
_MD_ESCAPE: Final = re.compile(r"\\([\\`*_{}\[\]()#+\-.!$<>|~\"'])")
_MD_HEADING: Final = re.compile(r"(?m)^#{1,6} ")
_CABLEGATE_SPAN: Final = 200000  # how far into a page its cablegate markers are looked for


def detect(text: str, hint: str | None = None) -> str:
    if hint in RENDERINGS:
        return hint
    head = text[:4096]
    stripped = head.lstrip()
    if stripped.startswith("{") and '"id"' in head:
        return "json"
    if _CSV_ROW.match(stripped):
        return "csv-row"
    if _is_cablegate(text):
        return "cablegate-html"
    if _HTML.search(head):
        return "html"
    if _MD_LINK.search(text) or "\\$" in text or _MD_HEADING.search(head):
        return "markdown"
    return "telegram"


def _is_cablegate(text: str) -> bool:
    # The <pre> blocks close a cablegate page: looking for them from the end finds them
    # after a few KB instead of scanning the whole page with the case-insensitive pattern.
    return text.rfind("<code><pre>", 0, _CABLEGATE_SPAN) >= 0 or bool(
        _CABLEGATE.search(text, 0, _CABLEGATE_SPAN)
    )


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

# The control characters dropped: [\x00-\x08\x0b\x0c\x0e-\x1f\x7f].
_CONTROL_BYTES: Final = bytes(range(0x20)).translate(None, b"\t\n\r") + b"\x7f"
_SCRIPT: Final = re.compile(r"(?is)<(script|style)\b.*?</\1>")
_BR: Final = re.compile(r"(?i)<br\s*/?>")
_CLOSE: Final = re.compile(r"(?i)</(p|div|tr|h\d|li|pre)>")
# Where _SCRIPT, _BR or _CLOSE can match: one search tells the (common) fragments that
# need none of them.
_SCRIPT_OR_BREAK: Final = re.compile(
    r"(?i)<(?:script|style)\b|<br\s*/?>|</(?:p|div|tr|h\d|li|pre)>"
)
_TAG: Final = re.compile(r"<[^>]+>")


# _html_to_text in C for the common case, when the build made it.
_PRE_TEXT: Final[Callable[[str], str | None] | None] = scan.native("pre_text")


def _clean_text(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _drop_controls(text)
    # Trailing spaces carry no meaning in telegrams (Markdown used them for <br>).
    return _rstrip_lines(text)


def _drop_controls(text: str) -> str:
    # bytes.translate deletes in one C pass, several times faster than the regex. Text
    # within Latin-1 (nearly all) round-trips byte for byte; other text goes as UTF-8,
    # where a control character is one byte and no byte of any other character ("surrogatepass"
    # lets the lone surrogates str input may hold round-trip too).
    try:
        raw, codec = text.encode("latin-1"), "latin-1"
    except UnicodeEncodeError:
        raw, codec = text.encode("utf-8", "surrogatepass"), "utf-8"
    kept = raw.translate(None, _CONTROL_BYTES)
    return text if len(kept) == len(raw) else kept.decode(codec, "surrogatepass")


# A line break with white space before it (opens with a literal: a quick search).
_SPACE_BEFORE_BREAK: Final = re.compile(r"\n(?<=[^\S\n]\n)")


def _rstrip_lines(text: str) -> str:
    """Every line right-stripped; most texts (cablegate ones, see _unescape) need nothing."""
    if _SPACE_BEFORE_BREAK.search(text) or (text[-1:].isspace() and text[-1:] != "\n"):
        return "\n".join(map(str.rstrip, text.split("\n")))
    return text


def _html_to_text(fragment: str) -> str:
    if _PRE_TEXT is not None:
        # The same in C for a fragment that needs none of the rarer steps (a <pre> block
        # nearly always): two passes instead of eight (_pagescan.c, pre_text).
        text = _PRE_TEXT(fragment)
        if text is not None:
            return text
    return _html_to_text_py(fragment)


def _html_to_text_py(fragment: str) -> str:
    """``_html_to_text`` in Python: every fragment, and the twin of ``_PRE_TEXT``."""
    s = fragment
    if _SCRIPT_OR_BREAK.search(s):
        s = _SCRIPT.sub("", s)
        s = _BR.sub("\n", s)
        s = _CLOSE.sub("\n", s)
    s = _TAG.sub("", s)
    return _clean_text(_unescape(s))


def _unescape(s: str) -> str:
    # Cablegate pages write every line break as "&#x000A;", most as " &#x000A;":
    # replacing those literals first leaves html.unescape (one Python call per entity)
    # little or nothing to do. The space can go with it, as _clean_text strips it at the
    # end of its line anyway, unless a carriage return (which may come of a "&#13;")
    # stands before it and makes a line break of its own.
    text = s.replace(" &#x000A;", "\n").replace("&#x000A;", "\n")
    if "\r" in text or ("&" in text and "&#" in text):  # (a one-character "in" is quicker)
        text = s.replace("&#x000A;", "\n")
    return html.unescape(text)


_MD_HTML_LINK: Final = re.compile(r"<a\b[^>]*>(.*?)</a>", re.I | re.S)
_MD_LINE_BREAK: Final = re.compile(r"&#x000A;|&#10;")


def _markdown_to_text(text: str) -> str:
    s = _MD_LINK.sub(r"\1", text)
    s = _MD_HTML_LINK.sub(r"\1", s)
    s = _MD_ESCAPE.sub(r"\1", s)
    s = _MD_LINE_BREAK.sub("\n", s)
    s = html.unescape(s) if "&" in s else s
    return _clean_text(s)


# -- cablegate pages -------------------------------------------------------------------

_TD_LINK: Final = re.compile(r"<td>\s*<a\s[^>]*>([^<]*)</a>\s*</td>", re.I)
_PRE: Final = re.compile(r"<code><pre>(.*?)</pre></code>", re.I | re.S)
_TITLE: Final = re.compile(r"<h3>\s*Viewing cable\s+[^,<]*,\s*(.*?)</h3>", re.I | re.S)


def _cablegate(text: str, defects: list[Defect]) -> Prepared:
    tags = _page_tags(text)
    meta = _archive_table(text, tags, defects)
    for i in tags["h3"]:
        # (The page's other <h3> headings fail _TITLE at their first letter: tested here.)
        c = text[i + 4 : i + 5]
        m = _TITLE.match(text, i) if c == "V" or c == "v" or c.isspace() else None
        if m:
            meta.title = html.unescape(_TAG.sub("", m.group(1))).strip()
            break
    blocks = [_html_to_text(b) for b in _pre_blocks(text, tags["pre"])]
    if not blocks:
        defects.append(Defect("no-text", "cablegate page without <pre> blocks"))
        return Prepared("cablegate-html", meta=meta)
    header, body = ("", blocks[0]) if len(blocks) == 1 else (blocks[0], "\n".join(blocks[1:]))
    return Prepared("cablegate-html", header=header, body=body, meta=meta)


# Every match of _TD_LINK, _TITLE and _PRE starts with <td>, <h3> or <code><pre>, in any
# case (the patterns are case-insensitive). One quick scan for their first two letters
# (a dozen hits on a page) locates them all, and each pattern is then tried only where its
# tag stands: searching the page for each would scan ~60 KB of page furniture each time.
_TAG_START: Final = re.compile(r"<[cChHtT][dDoO3]")
_PAGE_TAG: Final = re.compile(r"<(?:(?P<td>td)|(?P<h3>h3)|(?P<pre>code><pre))>", re.I)
_PRE_END: Final = re.compile(r"</pre></code>", re.I)


# The same scan in C (16 characters at a time), when the build made it.
_TAG_STARTS: Final[Callable[[str], list[int]] | None] = scan.native("tag_starts")


def _page_tags(text: str) -> dict[str, list[int]]:
    tags: dict[str, list[int]] = {"td": [], "h3": [], "pre": []}
    starts: Iterable[int] = (
        _TAG_STARTS(text)
        if _TAG_STARTS is not None
        else (m.start() for m in _TAG_START.finditer(text))
    )
    for i in starts:
        m = _PAGE_TAG.match(text, i)
        if m:
            tags[m.lastgroup or ""].append(m.start())
    return tags


def _archive_table(text: str, tags: dict[str, list[int]], defects: list[Defect]) -> ArchiveMeta:
    # The table is read only before the first <code><pre> (written in lower case).
    end = next((i for i in tags["pre"] if text.startswith("<code><pre>", i)), len(text))
    tds = [m[1] for m in (_TD_LINK.match(text, i, end) for i in tags["td"] if i < end) if m]
    if len(tds) < 5:
        defects.append(Defect("archive-table", "cablegate page without its metadata table"))
        return ArchiveMeta()
    ref, created, released, cls, origin = (html.unescape(x).strip() for x in tds[:5])
    return ArchiveMeta(
        reference_id=ref,
        created=_iso_minutes(created),
        released=_iso_minutes(released),
        classification=cls,
        origin=origin,
    )


def _pre_blocks(text: str, starts: list[int]) -> list[str]:
    """What ``_PRE.findall(text)`` gives, given where the <code><pre> tags start."""
    blocks: list[str] = []
    done = 0
    for i in starts:
        if i < done:
            continue  # inside the block before
        # The lazy (.*?) of _PRE, without its per-character steps.
        end = _PRE_END.search(text, i + len("<code><pre>"))
        if not end:
            break
        blocks.append(text[i + len("<code><pre>") : end.start()])
        done = end.end()
    return blocks


_ISO_MINUTES: Final = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})")
_CSV_DATE: Final = re.compile(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})")


def _iso_minutes(s: str) -> str:
    m = _ISO_MINUTES.match(s)
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
    m = _CSV_DATE.match(s)
    if not m:
        return ""
    mo, d, y, hh, mm = (int(x) for x in m.groups())
    return f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mm:02d}:00Z"
