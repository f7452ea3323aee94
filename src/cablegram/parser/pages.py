"""Page headers out of the telegram text, with the sentence they split joined again.

A telegram repeats a page header at every page break: ``BAKU 00001234 002 OF 003``,
``NEW DELHI 00009876  002.2 OF 005`` (the ``00N.M`` form of 2006-2010), in printouts
``PAGE 02 HARARE 06677 01 OF 03 291400Z`` under a class line. Cablegate marks line ends
with ``\\`` in some pages, and renderings that lost the line breaks glue the header into
the line ("if the US or Israel BAKU 00001234 002.2 OF 003 increase the pressure").

The cable's own origin and serial are known (the banner), so a header glued into a line
is removed only when it names them; a header on a line of its own is removed by its
shape alone (zero-padded serial, ``NNN OF NNN``), which prose does not take.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from cablegram import reference
from cablegram.model import Defect
from cablegram.parser import scan

# A header on a line of its own (line marks "\" and white space around it), with the
# blank lines before and after: opens with the literal line break, so the engine jumps
# from one line break to the next instead of trying every position.
_LINE_HEADER: Final = re.compile(
    r"\n(?:[ \t\\]*\n)*[ \t\\]*[A-Z][A-Z .'\-]{1,30}[ \t]+0{2,}\d{1,8}[ \t]+\d{3}(?:\.\d)?"
    r"[ \t]+OF[ \t]+\d{3}[ \t\\]*(?:\n[ \t\\]*)*(?=\n|$)"
)
# Old printouts: "PAGE 02 HARARE 06677 01 OF 03 291400Z", the class line above it (or
# glued at the end of the line before: "...A  CONFIDENTIAL\nPAGE 04 ...").
_OLD_PAGE: Final = re.compile(
    r"(?:[ \t]*\b(?:UNCLASSIFIED|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)[ \t]*"
    r"(?:[A-Z]{3}\d{3,5}[ \t]*)?\n)?"
    r"[ \t]*PAGE[ \t]+\d{2,3}[ \t]+[A-Z][A-Z ]{1,25}?[ \t]+\d{3,6}[ \t]+\d{2}[ \t]+OF[ \t]+\d{2}"
    r"[ \t]+\d{6}Z[ \t]*\n?"
)
# The next block opens a numbered paragraph: the page break was a paragraph break.
_PARA_NEXT: Final = re.compile(r"\s*(?:¶\s*)?\d{1,3}\s?\.\s")
# A header's serial and page number before " OF ": "00001234 002.2" (searched for back from
# each " OF ", with the end of the search as "$"), and the page count after it.
_GLUED_HEAD: Final = re.compile(r"(?<![\d.])(\d{3,8})[ \t]+(\d{3})(?:\.\d)?[ \t]*$")
_GLUED_TAIL: Final = re.compile(r"OF[ \t]+\d{3}\b[ \t\\]*")
# The words before it that may name the post, as printed (cut to ten letters: "RIO DE JAN").
_WORDS_BEFORE: Final = re.compile(r"(?:[A-Z][A-Z.'\-]*[ \t]+){1,4}$")
_NOT_LETTERS: Final = re.compile(r"[^A-Z]")


# What every page header holds, new or old form ("OF 003", "OF 03"): the headers are tried
# only from where it stands, instead of at every line or position. Found once a text,
# with one pass of the regex engine, which jumps to the literal (quicker than str.find of
# " OF ", whose skip table stalls on the spaces of the text); its matches cannot overlap
# (none holds an "O" after its first letter), so they are every place it matches.
_OF_COUNT: Final = re.compile(r"OF[ \t]+\d{2}")
# The same with a three-digit page count: the new form's.
_OF_PAGES: Final = re.compile(r"OF[ \t]+\d{3}")
# " OF NN": a text without it has no page header to remove.
_PAGE_MARK: Final = re.compile(r"OF \d{2}")


# The places of _OF_COUNT in C ("OF" found 16 places at a time), when the build made it.
_OF_MARKS: Final[Callable[[str], list[int]] | None] = scan.native("of_marks")


def strip_page_headers(text: str, defects: list[Defect], origin: str = "", serial: str = "") -> str:
    """``text`` without its page headers. ``origin`` and ``serial`` are the banner's
    ("NEW DELHI", "9876"): with them, headers glued into a line go too."""
    n = 0
    marks = (
        _OF_MARKS(text) if _OF_MARKS is not None else [m.start() for m in _OF_COUNT.finditer(text)]
    )
    if _has_page_mark(text, marks):
        # The places of "OF NNN", kept up to date as headers go (see _strip_line_headers).
        pages = [i for i in marks if _OF_PAGES.match(text, i)]
        old_form = _page_before(text, marks)
        text, n, pages = _strip_line_headers(text, pages)
        if old_form and "PAGE " in text:
            text, k = _strip_old_pages(text)
            n += k
            if k:
                pages = [m.start() for m in _OF_PAGES.finditer(text)]
        text, k = _strip_glued(text, origin, serial, pages)
        n += k
    if n:
        defects.append(Defect("page-header", f"removed {n} page header(s) inside the text"))
    return text


def _page_before(text: str, marks: list[int]) -> bool:
    """Whether "PAGE" stands before one of ``marks`` on its line, as in every old-form
    header (_OLD_PAGE: "PAGE 02 HARARE 06677 01 OF 03", all on one line). Removing the
    headers of the new form takes whole lines: the lines left were all in ``text``."""
    return any(text.rfind("PAGE", text.rfind("\n", 0, i) + 1, i) >= 0 for i in marks)


def _has_page_mark(text: str, marks: list[int]) -> bool:
    """Whether " OF NN" stands in the text (each of its matches is one of ``marks``)."""
    return any(i and text[i - 1] == " " and _PAGE_MARK.match(text, i) for i in marks)


def _strip_line_headers(text: str, pages: list[int]) -> tuple[str, int, list[int]]:
    """Headers on a line of their own: what ``_LINE_HEADER.sub`` removes, each header and
    the blank lines around it leaving one line break (the page break was mid-sentence;
    joined into one block), or two before a numbered paragraph. Tried from each "OF NNN"
    (``pages``, where _OF_PAGES matches) at the line break that opens the blank lines
    above its line, where a match holding it starts (the leftmost such break after the
    last header removed). Also gives where _OF_PAGES matches in the text it returns: the
    headers go with their whole lines, which no match crosses, so the others only move."""
    out: list[str] = []
    done = 0
    n = 0
    kept: list[int] = []
    shift = 0  # how much shorter the text before done has become
    for at in pages:
        if at < done:
            continue  # in a header removed
        s = text.rfind("\n", done, at)  # (the header text holds no line break)
        if s < 0:
            kept.append(at - shift)
            continue
        while True:  # up over the blank lines (line marks "\" and white space only)
            p = text.rfind("\n", done, s)
            if p < 0 or text[p + 1 : s].strip(" \t\\"):
                break
            s = p
        h = _LINE_HEADER.match(text, s)
        if h is None:
            kept.append(at - shift)
            continue
        n += 1
        out.append(text[done:s])
        sep = "\n" if _PARA_NEXT.match(text, h.end()) else ""
        out.append(sep)
        shift += h.end() - s - len(sep)
        done = h.end()
    if not n:
        return text, 0, pages
    out.append(text[done:])
    return "".join(out), n, kept


def _strip_old_pages(text: str) -> tuple[str, int]:
    """``_OLD_PAGE.sub(" ", text)``: the pattern, which opens with no literal, is tried
    only from the line above each "PAGE" to the end of its line (a match holds the class
    line above the PAGE line at most)."""
    out: list[str] = []
    done = 0
    n = 0
    p = text.find("PAGE")
    while p >= 0:
        above = text.rfind("\n", 0, p)
        lo = max(done, text.rfind("\n", 0, above) + 1 if above > 0 else 0)
        hi = text.find("\n", p)
        m = _OLD_PAGE.search(text, lo, len(text) if hi < 0 else hi + 1)
        if m is None:
            p = text.find("PAGE", p + 1)
            continue
        n += 1
        out.append(text[done : m.start()])
        out.append(" ")
        done = m.end()
        p = text.find("PAGE", done)
    if not n:
        return text, 0
    out.append(text[done:])
    return "".join(out), n


def _strip_glued(text: str, origin: str, serial: str, pages: list[int]) -> tuple[str, int]:
    """Headers glued into a line. The serial must be the cable's (when the banner gave
    one) or zero-padded like a header's; the post words before it go when they are the
    cable's post as printed (a prefix of it: headers cut it to ten letters) or, with no
    banner, a known post."""
    code = _NOT_LETTERS.sub("", origin.upper())
    want = int(serial) if serial.isdigit() else -1
    out: list[str] = []
    done = 0
    n = 0
    # Each " OF " with a digit before it and a page count after it ("002 OF 003",
    # "002.2 OF  005"), found from "OF NNN" (``pages``: where _OF_PAGES matches).
    for at in pages:
        i = at - 1
        if i < max(done, 1) or text[i] != " " or text[i + 3] != " " or not text[i - 1].isdigit():
            continue
        head = _GLUED_HEAD.search(text, max(done, i - 24), i + 1)
        tail = _GLUED_TAIL.match(text, i + 1) if head else None
        if head is None or tail is None:
            continue
        digits = head[1]
        if want >= 0 and int(digits) != want:
            continue
        if want < 0 and not (digits.startswith("00") and len(digits) >= 5):
            continue
        start = head.start()
        line_start = text.rfind("\n", 0, start) + 1
        before = _WORDS_BEFORE.search(text, max(line_start, start - 60), start)
        if before:
            words = before[0].split()
            for k in range(len(words)):
                squashed = "".join(words[k:])
                if (code and len(squashed) >= 3 and code.startswith(squashed)) or (
                    not code and reference.canonical_origin(squashed)
                ):
                    start = before.start() + before[0].find(words[k])
                    break
            else:
                if not digits.startswith("00"):
                    continue  # a number in prose: "1234 100 OF 200" names no post
        elif not digits.startswith("00"):
            continue
        n += 1
        end = tail.end()
        kept = text[done:start].rstrip(" \t\\")
        rest_nl = end < len(text) and text[end] == "\n"
        if head[2] == "001" or _PARA_NEXT.match(text, end):
            sep = "\n\n"  # page 1's header closes the preamble; or a paragraph follows
        elif not kept or kept.endswith("\n") or rest_nl:
            sep = ""
        else:
            sep = " "
        out.append(kept + sep)
        done = end
    if not n:
        return text, 0
    out.append(text[done:])
    return "".join(out), n


# A page header anywhere in reader text (the bench and the tests look for what is left).
PAGE_HEADER_ANYWHERE: Final = re.compile(
    r"\b\d{5,8}[ \t]+\d{3}(?:\.\d)?[ \t]+OF[ \t]+\d{3}\b|"
    r"\bPAGE[ \t]+\d{2,3}[ \t]+[A-Z][A-Z ]{1,25}?[ \t]+\d{3,6}[ \t]+\d{2}[ \t]+OF[ \t]+\d{2}\b"
)
