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
from typing import Final

from cablegram import reference
from cablegram.model import Defect

# A header on a line of its own (line marks "\" and white space around it), with the
# blank lines before and after: opens with the literal line break, so the engine jumps
# from one line break to the next instead of trying every position.
_LINE_HEADER: Final = re.compile(
    r"\n(?:[ \t\\]*\n)*[ \t\\]*[A-Z][A-Z .'\-]{1,30}[ \t]+0{2,}\d{1,8}[ \t]+\d{3}(?:\.\d)?"
    r"[ \t]+OF[ \t]+\d{3}[ \t\\]*(?:\n[ \t\\]*)*(?=\n|$)"
)
# " OF \d{2}" is in every page header, old or new; in few other cables.
_PAGE_MARK: Final = re.compile(r"OF \d{2}")
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


def strip_page_headers(text: str, defects: list[Defect], origin: str = "", serial: str = "") -> str:
    """``text`` without its page headers. ``origin`` and ``serial`` are the banner's
    ("NEW DELHI", "9876"): with them, headers glued into a line go too."""
    n = 0

    def line_header(m: re.Match[str]) -> str:
        nonlocal n
        n += 1
        # One line break joins the lines around the header into one block (the page
        # break was mid-sentence); a numbered paragraph after it keeps its blank line.
        return "\n" if _PARA_NEXT.match(text, m.end()) else ""

    def old_header(m: re.Match[str]) -> str:
        nonlocal n
        n += 1
        return " "

    if _has_page_mark(text):
        text = _LINE_HEADER.sub(line_header, text)
        if "PAGE " in text:
            text = _OLD_PAGE.sub(old_header, text)
        if " OF " in text:
            text, k = _strip_glued(text, origin, serial)
            n += k
    if n:
        defects.append(Defect("page-header", f"removed {n} page header(s) inside the text"))
    return text


def _strip_glued(text: str, origin: str, serial: str) -> tuple[str, int]:
    """Headers glued into a line. The serial must be the cable's (when the banner gave
    one) or zero-padded like a header's; the post words before it go when they are the
    cable's post as printed (a prefix of it: headers cut it to ten letters) or, with no
    banner, a known post."""
    code = _NOT_LETTERS.sub("", origin.upper())
    want = int(serial) if serial.isdigit() else -1
    out: list[str] = []
    done = 0
    n = 0
    i = text.find(" OF ")
    while i >= 0:
        if not text[i - 1 : i].isdigit():  # "002 OF 003", "002.2 OF": a digit before " OF "
            i = text.find(" OF ", i + 4)
            continue
        head = _GLUED_HEAD.search(text, max(done, i - 24), i + 1)
        tail = _GLUED_TAIL.match(text, i + 1) if head else None
        i = text.find(" OF ", i + 4)
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
        if i >= 0 and i < done:
            i = text.find(" OF ", done)
    if not n:
        return text, 0
    out.append(text[done:])
    return "".join(out), n


def _has_page_mark(text: str) -> bool:
    m = _PAGE_MARK.search(text, 1)
    while m:
        if text[m.start() - 1] == " ":
            return True
        m = _PAGE_MARK.search(text, m.start() + 1)
    return False


# A page header anywhere in reader text (the bench and the tests look for what is left).
PAGE_HEADER_ANYWHERE: Final = re.compile(
    r"\b\d{5,8}[ \t]+\d{3}(?:\.\d)?[ \t]+OF[ \t]+\d{3}\b|"
    r"\bPAGE[ \t]+\d{2,3}[ \t]+[A-Z][A-Z ]{1,25}?[ \t]+\d{3,6}[ \t]+\d{2}[ \t]+OF[ \t]+\d{2}\b"
)
