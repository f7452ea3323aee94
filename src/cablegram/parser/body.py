"""The body: page headers out, paragraphs in, with true numbers, markings and headings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import Final

from cablegram import reference
from cablegram.model import Defect, Paragraph
from cablegram.parser import scan

# "BAKU 00000433 002 OF 003" (cablegate continuation page header), with the blank lines
# before it. Written "\n(?:[ \t]*\n)*" rather than the equal "(?:\n[ \t]*)*\n" so that the
# pattern opens with a literal, which the regex engine jumps to instead of trying every
# position.
_PAGE_HEADER: Final = re.compile(
    r"\n(?:[ \t]*\n)*[ \t]*[A-Z][A-Z .'\-]{1,30} 0{2,}\d{1,8} +\d{3} OF \d{3}[ \t]*(?:\n[ \t]*)*(?=\n|$)"
)
# " OF \d{2}" is in every page header, old or new; in few other cables. Searched for as
# "OF \d{2}" after a space: a pattern opening with a space stops at every word.
_PAGE_MARK: Final = re.compile(r"OF \d{2}")
# Old printouts: "PAGE 02 HARARE 06677 01 OF 03 291400Z" with the class line above it.
_OLD_PAGE: Final = re.compile(
    r"(?:\b(?:UNCLASSIFIED|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)[ \t]*\n)?"
    r"[ \t]*PAGE \d{2,3}\s+[A-Z][A-Z ]{1,25}?\s+\d{3,6}\s+\d{2} OF \d{2}\s+\d{6}Z[ \t]*\n?"
)
_RULE: Final = re.compile(r"^\s*[-=_*]{3,}[-=_* ]*$")
_PARA: Final = re.compile(
    r"^(?P<pil>¶\s*|P\s?)?(?P<num>\d{1,3})\s?\.(?!\d)\s*"
    r"(?:\(\s*(?P<mark>[A-Z][A-Z/ ]{0,14}?)\s*\))?\s*(?P<rest>.*)$",
    re.S,
)
# The start of a list item ("-- ", "A. ", "(b) ", "o ", "* ", "3) ") after a line break
# between stripped lines; [^\S\n] is white space within that line. Lines are joined with
# one pass over a block instead of a regex call per line.
_LIST_ITEM_START: Final = r"(?:--?[^\S\n]|-[^\S\n]|[A-Z][^\S\n]?\.[^\S\n]|\(\w{1,3}\)[^\S\n]|o[^\S\n]|\*[^\S\n]|\d{1,2}\)[^\S\n])"
_LIST_ITEM_LINE: Final = re.compile(r"\n(?=" + _LIST_ITEM_START + ")")
_WRAPPED_LINE_BREAK: Final = re.compile(r"\n(?!" + _LIST_ITEM_START + ")")
_SUMMARY: Final = re.compile(
    r"\b(?:SUMMARY(?: AND (?:COMMENT|ACTION REQUEST))?|Summary(?: and (?:comment|Comment))?)\s*[:.\-]\s*"
)
_END_SUMMARY: Final = re.compile(
    r"\bEND\s+(?:OF\s+)?SUMMARY(?:\s+AND\s+(?:COMMENT|ACTION REQUEST))?\b\.?", re.I
)
# Where _END_SUMMARY and _END_COMMENT can start, in the folded text ("end" alone is found
# too often to try the pattern at each).
_END_SUMMARY_WHERE: Final = re.compile(r"end\s+(?:of\s+)?summary")
_END_COMMENT_WHERE: Final = re.compile(r"end\s+(?:of\s+)?comment")
_COMMENT: Final = re.compile(r"\b(?:COMMENT|Comment)\s*[:.\-]\s*")
_END_COMMENT: Final = re.compile(r"\bEND\s+(?:OF\s+)?COMMENT\b\.?", re.I)
_SEPTEL: Final = re.compile(r"\bSEPTELS?\b", re.I)
_SENTENCE_END: Final = re.compile(r"[.!?\n]")
_SIGNER: Final = re.compile(r"^[A-Z][A-Z'\-]+(?:[ /][A-Z][A-Z'\-]+){0,2}\s*$")
_NOT_SIGNER: Final = re.compile(r"(?:UNCLASSIFIED|CONFIDENTIAL|SECRET|NOFORN|SIPDIS|BT)")
_GLUED_SIGNER: Final = re.compile(r"[.!?)\"]\s+([A-Z][A-Z'\-]{2,}(?:/[A-Z]+)?)\s*$")
_COMMENT_OPENING: Final = re.compile(r"(?:COMMENT|Comment)\s*[:.\-]\s*")
_COMMENT_HEADING: Final = re.compile(r"(?i)comments?")
_SUMMARY_HEADING: Final = re.compile(r"(?i)summary(?: and comment)?")
_SLASH: Final = re.compile(r"\s*/\s*")
_SPACES: Final = re.compile(r"\s+")


@dataclass
class Body:
    paragraphs: list[Paragraph] = field(default_factory=list)
    summary: str = ""
    comment: str = ""
    signer: str = ""
    septels: list[str] = field(default_factory=list)


def strip_page_headers(text: str, defects: list[Defect]) -> str:
    n = 0

    def count(_m: re.Match[str]) -> str:
        nonlocal n
        n += 1
        return ""

    # The header and the blank lines around it go, leaving one line break: a paragraph
    # cut by a page break reads on as one block.
    # Cheap checks first: most cables have no page headers, and few old-style ones.
    if _has_page_mark(text):
        text = _PAGE_HEADER.sub(count, text)
        if "PAGE " in text:
            text = _OLD_PAGE.sub(lambda m: count(m) + " ", text)
    if n:
        defects.append(Defect("page-header", f"removed {n} page header(s) inside the text"))
    return text


def _has_page_mark(text: str) -> bool:
    m = _PAGE_MARK.search(text, 1)
    while m:
        if text[m.start() - 1] == " ":
            return True
        m = _PAGE_MARK.search(text, m.start() + 1)
    return False


def parse_body(text: str, defects: list[Defect]) -> Body:
    b = Body()
    flats, b.signer = _flat_blocks(text)
    paras: list[Paragraph] = []
    pending_heading = ""
    observed: list[int] = []
    for flat in flats:
        m = _para(flat)
        mark = _marking(m["mark"]) if m else None
        if m is not None and mark is not None:
            paras.append(Paragraph(int(m["num"]), mark, pending_heading, m["rest"].strip()))
            observed.append(len(paras) - 1)
            pending_heading = ""
            continue
        if _is_heading(flat):
            pending_heading = flat.strip(" :-")
            continue
        if paras and pending_heading == "" and _continues(paras[-1].text, flat):
            # A blank line inside a sentence: join, keep the words.
            paras[-1].text = _glue(paras[-1].text, flat)
            continue
        if observed and pending_heading == "" and paras:
            # In a numbered cable an unnumbered block belongs to the paragraph above it
            # (sub-paragraphs, lists, quotations).
            paras[-1].text = f"{paras[-1].text}\n\n{flat}" if paras[-1].text else flat
            continue
        paras.append(Paragraph(None, "", pending_heading, flat.strip()))
        pending_heading = ""
    _repair_numbers(paras, observed, defects)
    b.paragraphs = [p for p in paras if p.text or p.number is not None]
    full = "\n\n".join(p.text for p in b.paragraphs)
    folded = scan.fold(full)
    b.summary = _between(full, folded, _SUMMARY, "summary", _END_SUMMARY, _END_SUMMARY_WHERE)
    b.comment = _between(full, folded, _COMMENT, "comment", _END_COMMENT, _END_COMMENT_WHERE)
    if not b.comment:
        # Older cables: a paragraph opening "COMMENT." with no END COMMENT.
        for p in b.paragraphs:
            m = (
                _COMMENT_OPENING.match(p.text)
                if p.text.startswith(("COMMENT", "Comment"))
                else None
            )
            if m:
                b.comment = p.text[m.end() :].strip()
                break
    if not b.comment:
        under = [
            p.text for p in b.paragraphs if p.heading and _COMMENT_HEADING.fullmatch(p.heading)
        ]
        if under:
            idx = next(i for i, p in enumerate(b.paragraphs) if p.text == under[0])
            texts = [b.paragraphs[idx].text]
            for p in b.paragraphs[idx + 1 :]:
                if p.heading:
                    break
                texts.append(p.text)
            b.comment = "\n\n".join(texts)
    if not b.summary:
        for i, p in enumerate(b.paragraphs):
            if p.heading and _SUMMARY_HEADING.fullmatch(p.heading):
                texts = [p.text]
                for q in b.paragraphs[i + 1 :]:
                    if q.heading:
                        break
                    texts.append(q.text)
                joined = "\n\n".join(texts)
                e = _END_SUMMARY.search(joined)
                b.summary = joined[: e.start()].strip() if e else p.text
                break
    b.septels = _septels(full, folded)
    return b


def _flat_blocks(text: str) -> tuple[list[str], str]:
    """The blocks of ``text``, each with its lines joined, and the signer taken off the
    last block."""
    lines = text.split("\n")
    stripped = list(map(str.strip, lines))
    spans = _block_spans(lines, stripped)
    flats = [_join_stripped(stripped[a:z]) for a, z in spans]
    signer = ""
    if spans:
        a, z = spans[-1]
        last, signer = _take_signer("\n".join(lines[a:z]))
        if signer:
            flats[-1:] = [] if last is None else [_join_lines(last)]
    return flats, signer


def _block_spans(lines: list[str], stripped: list[str]) -> list[tuple[int, int]]:
    """The line ranges of the blocks: text between blank lines and rules. A numbered
    paragraph starting on a line of its own begins a new block even without a blank line
    before it (re-flowed renderings)."""
    # Only blank lines and lines opening with a rule character, a pilcrow, "P" or a digit
    # can end a block; the lines between are kept as they come.
    marks = [i for i, s in enumerate(stripped) if not s or s[0] in "-=_*¶P" or s[0].isdecimal()]
    spans: list[tuple[int, int]] = []
    start = 0  # the first line of the current block
    for i in marks:
        s = stripped[i]
        if not s or (s[0] in "-=_*" and _RULE.match(lines[i])):
            if start < i:
                spans.append((start, i))
            start = i + 1
        elif start < i and _looks_para_start(_para(s)):
            spans.append((start, i))
            start = i
    if start < len(lines):
        spans.append((start, len(lines)))
    return spans


def _para(s: str) -> re.Match[str] | None:
    """``_PARA.match(s)``; most lines fail on their first character, without the regex."""
    c = s[:1]
    return _PARA.match(s) if c == "¶" or c == "P" or c.isdecimal() else None


def _looks_para_start(m: re.Match[str] | None) -> bool:
    return bool(m and (m["pil"] or m["mark"]) and _marking(m["mark"]) is not None)


def _join_lines(block: str) -> str:
    """Undo hard wrapping, but keep list items on lines of their own."""
    return _join_stripped([s for s in map(str.strip, block.split("\n")) if s])


def _join_stripped(lines: list[str]) -> str:
    """``_join_lines`` of the block of these stripped lines (none empty)."""
    if len(lines) == 1:
        return lines[0]
    joined = "\n".join(lines)
    if _LIST_ITEM_LINE.search(joined):
        return _WRAPPED_LINE_BREAK.sub(" ", joined)
    return " ".join(lines)


def _glue(a: str, b: str) -> str:
    # Words split at a line end with a hyphen ("JURIS-\nDICTION") keep the hyphen: we
    # cannot tell a broken word from a compound, and never delete text.
    return f"{a} {b}" if a and b else a or b


@lru_cache(maxsize=1024)
def _marking(mark: str | None) -> str | None:
    """A paragraph's portion marking, normalised ("s / nf" -> "S/NF"); "" when it has
    none, None when it is not a marking (so not a paragraph number either)."""
    if not mark:
        return ""
    mark = mark.strip().upper()
    if "/" in mark:
        mark = _SLASH.sub("/", mark)
    return mark if reference.parse_marking(mark)[0] >= 0 else None


# Not headings: E.O. reasons wrapped off the Classified By line ("1.4(B), (D)"), REF items
# ("B) STATE 137429", "¶B. SAN JOSE 2713"), page-header debris and cut-off text ("R...").
# That is r"\d\.\d|^¶|^[A-Z]\)\s|\d{3} OF \d|\.\.\.$|\\" searched in the line; its
# digit-free parts are tested with str methods, as the whole pattern, which opens with no
# literal, is tried at every position of every candidate line.
_NOT_HEADING_DIGITS: Final = re.compile(r"\d(?:\.\d|\d\d OF \d)")
_NOT_HEADING_ITEM: Final = re.compile(r"[A-Z]\)\s")
# ASCII bytes that are not letters, and not upper-case letters: deleting them with
# bytes.translate counts the letters of an ASCII line in one C call each.
_ASCII_NOT_ALPHA: Final = bytes(c for c in range(128) if not chr(c).isalpha())
_ASCII_NOT_UPPER: Final = bytes(c for c in range(128) if not chr(c).isupper())


def _is_heading(s: str) -> bool:
    # s holds no line break past the first test, so "$" can only match at its end.
    if "\n" in s or len(s) > 90 or len(s) < 3:
        return False
    if (
        s[0] == "¶"
        or s.endswith("...")
        or "\\" in s
        or _NOT_HEADING_ITEM.match(s)
        or _NOT_HEADING_DIGITS.search(s)
    ):
        return False
    end = s.rstrip()
    words = s.split()
    if end.endswith((".", ",", ";", '"')) and not s.isupper():
        return False
    if end.endswith((".", ",", ";")) and len(words) > 6:
        return False
    if len(words) > 12:
        return False
    ascii_only = s.isascii()
    if ascii_only:
        b = s.encode("ascii")
        n_letters = len(b.translate(None, _ASCII_NOT_ALPHA))
        n_upper = len(b.translate(None, _ASCII_NOT_UPPER))
    else:
        letters = "".join(filter(str.isalpha, s))
        n_letters, n_upper = len(letters), sum(map(str.isupper, letters))
    if not n_letters:
        return False
    upper = n_upper / n_letters
    if upper > 0.8:
        return True
    # Title Case Headings: most words capitalised. (An ASCII upper-case letter is a
    # letter: the words' first characters need only the one test.)
    if ascii_only:
        caps = sum(map(str.isupper, map(itemgetter(0), words)))
    else:
        caps = sum(w[:1].isupper() for w in words if w[:1].isalpha())
    return caps >= max(1, len(words) * 0.6) and not s.endswith(".")


def _continues(prev: str, nxt: str) -> bool:
    """Whether ``nxt`` goes on with the sentence ``prev`` leaves open. ``nxt`` does not
    start a paragraph (parse_body has ruled that out: a numbered block with a marking is a
    paragraph, and one without is not a paragraph start either)."""
    if not prev:
        return False
    end = prev.rstrip()[-1:]
    return end not in ".!?:\")'" or nxt[:1].islower()


def _take_signer(block: str) -> tuple[str | None, str]:
    """(the last block without its signer, or None when nothing else is left; the signer),
    or (the block, "") when it ends with no signer."""
    last = block.strip().split("\n")
    cand = last[-1].strip()
    if (
        _SIGNER.match(cand)
        and cand not in {"END", "BT", "NNNN"}
        and len(cand) <= 40
        and not _NOT_SIGNER.fullmatch(cand)
    ):
        rest = "\n".join(last[:-1]).strip()
        return rest or None, cand
    # Re-flowed text: the signer is glued after the last sentence ("... END COMMENT. DERSE").
    m = _GLUED_SIGNER.search(block)
    if m and m[1] not in {"END", "COMMENT", "SUMMARY", "NOFORN", "SIPDIS"}:
        return block[: m.start(1)].rstrip(), m[1]
    return block, ""


def _repair_numbers(paras: list[Paragraph], idx: list[int], defects: list[Defect]) -> None:
    """Recover true paragraph numbers from context (pilcrows rendered as '1')."""
    expected = 1
    repaired: list[str] = []
    disorder = False
    for i in idx:
        n = paras[i].number
        assert n is not None
        if n != expected and str(n) == f"1{expected}" and n > expected:
            repaired.append(f"{n}->{expected}")
            paras[i].number = expected
        elif n != expected:
            if n < expected:
                disorder = True
            expected = n
        expected += 1
    if repaired:
        defects.append(
            Defect(
                "paragraph-numbers",
                "paragraph numbers damaged by the rendering (pilcrow read as 1) repaired: "
                + ", ".join(repaired),
            )
        )
    if disorder:
        defects.append(Defect("paragraph-order", "paragraph numbers go backwards"))


def _between(
    full: str,
    folded: str | None,
    start: re.Pattern[str],
    word: str,
    end: re.Pattern[str],
    end_where: re.Pattern[str],
) -> str:
    m = scan.search_ci(start, full, folded, word)
    if not m:
        return ""
    e = scan.search_where(end, full, folded, end_where, m.end())
    if not e:
        return ""
    return full[m.end() : e.start()].strip()


def _septels(full: str, folded: str | None) -> list[str]:
    """The sentences that mention a septel (a separate telegram), in order."""
    out: list[str] = []
    for m in scan.finditer_ci(_SEPTEL, full, folded, "septel"):
        start = max(full.rfind(c, 0, m.start()) for c in ".!?\n") + 1
        e = _SENTENCE_END.search(full, m.end())
        end = e.end() if e else len(full)
        sentence = _balanced(_SPACES.sub(" ", full[start:end]).strip())
        if sentence and sentence not in out:
            out.append(sentence)
    return out[:20]


def _balanced(s: str) -> str:
    s = s.lstrip("( ")
    return s[:-1] if s.endswith(")") and s.count("(") < s.count(")") else s
