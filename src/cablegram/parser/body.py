"""The body: paragraphs in, with true numbers, markings and headings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Final

from cablegram import reference
from cablegram.model import Defect, Paragraph
from cablegram.parser import scan
from cablegram.reference.sentences import SEPTEL, septel_sentences

_RULE: Final = re.compile(r"^\s*[-=_*]{3,}[-=_* ]*$")
_PARA: Final = re.compile(
    r"^(?P<pil>¶\s*|P\s?)?(?P<num>\d{1,3})\s?\.(?![\d.])\s*"
    r"(?:\(\s*(?P<mark>[A-Z][A-Za-z/ ]{0,14}?)\s*\))?\s*(?P<rest>.*)$",
    re.S,
)
# A block that ends "see para" (a line wrapped before the number): the next block's
# number is part of the sentence, not a paragraph.
_PARA_WORD_END: Final = re.compile(r"(?i)\b(?:paras?|paragraphs?)$")
_PARA_WORD_TAILS: Final = frozenset(("para", "aras", "raph", "aphs"))
# The start of a list item ("-- ", "A. ", "(b) ", "o ", "* ", "3) ") after a line break
# between stripped lines; [^\S\n] is white space within that line. Lines are joined with
# one pass over a block instead of a regex call per line.
_LIST_ITEM_START: Final = r"(?:--?[^\S\n]|-[^\S\n]|[A-Z][^\S\n]?\.[^\S\n]|\(\w{1,3}\)[^\S\n]|o[^\S\n]|\*[^\S\n]|\d{1,2}\)[^\S\n])"
_LIST_ITEM_LINE: Final = re.compile(r"\n(?=" + _LIST_ITEM_START + ")")
_WRAPPED_LINE_BREAK: Final = re.compile(r"\n(?!" + _LIST_ITEM_START + ")")
_SUMMARY: Final = re.compile(
    r"\b(?:SUMMARY|Summary)(?:\s*(?:AND|and|/)\s*(?:COMMENT|[Cc]omment|ACTION REQUEST|"
    r"[Aa]ction [Rr]equest))?\s*[:.\-]\s*"
)
_END_SUMMARY: Final = re.compile(
    r"\bEND\s+(?:OF\s+)?SUMMARY(?:\s*(?:AND|/)\s*(?:COMMENT|ACTION\s+REQUEST))?\b\.?", re.I
)
# Where _END_SUMMARY and _END_COMMENT can start, in the folded text ("end" alone is found
# too often to try the pattern at each).
_END_SUMMARY_WHERE: Final = re.compile(r"end\s+(?:of\s+)?summary")
_END_COMMENT_WHERE: Final = re.compile(r"end\s+(?:of\s+)?comment")
_COMMENT: Final = re.compile(r"\b(?:COMMENT|Comment)\s*[:.\-]\s*")
_END_COMMENT: Final = re.compile(r"\bEND\s+(?:OF\s+)?COMMENT\b\.?", re.I)
_SIGNER: Final = re.compile(r"^[A-Z][A-Z'\-]+(?:[ /][A-Z][A-Z'\-]+){0,2}\.?\s*$")
# Lines that may follow the signer: a class line, end-of-message marks (NNNN, BT, #0433,
# ##, a lone "."), a rule, archive and release stamps ("=====CABLE ENDS=====",
# "End Cable Text", "2004CARACA02200 - CONFIDENTIAL").
_TRAILING_NOISE: Final = re.compile(
    r"(?i)(?:(?:TOP\s+)?SECRET|CONFIDENTIAL|UNCLASSIFIED|LIMITED\s+OFFICIAL\s+USE|"
    r"SENSITIVE(?:\s+BUT\s+UNCLASSIFIED)?|NOFORN|SIPDIS|NNNN|BT|#+\d*|\.|[-=_*]{3,}|"
    r"<<\s*END\s+OF\s+DOCUMENT\s*>>|END\s+OF\s+DOCUMENT|RELEASED\s+IN\s+(?:FULL|PART)|"
    r"(?:SECRET|CONFIDENTIAL|UNCLASSIFIED)\s+[A-Z]{3}\d{3,6}|"
    r"[-=_*]*\s*CABLE\s+ENDS\s*[-=_*]*|END\s+(?:OF\s+)?CABLE\s+TEXT|"
    r"\d{4}[A-Z]{3,}\d{3,}\s*-\s*(?:UNCLASSIFIED|CONFIDENTIAL|SECRET)\b.*)"
)
_NOT_SIGNER: Final = re.compile(r"(?:UNCLASSIFIED|CONFIDENTIAL|SECRET|NOFORN|SIPDIS|BT)")
_GLUED_SIGNER: Final = re.compile(r"[.!?)\"]\s+([A-Z][A-Z'\-]{2,}(?:/[A-Z]+)?)\s*$")
_COMMENT_OPENING: Final = re.compile(r"(?:COMMENT|Comment)\s*[:.\-]\s*")
_COMMENT_HEADING: Final = re.compile(r"(?i)comments?")
_SUMMARY_HEADING: Final = re.compile(r"(?i)summary(?: and comment)?")
_SLASH: Final = re.compile(r"\s*/\s*")


@dataclass
class Body:
    paragraphs: list[Paragraph] = field(default_factory=list)
    summary: str = ""
    comment: str = ""
    signer: str = ""
    septels: list[str] = field(default_factory=list)


def parse_body(text: str, defects: list[Defect]) -> Body:
    b = Body()
    flats, b.signer = _flat_blocks(text)
    paras: list[Paragraph] = []
    pending_heading = ""
    observed: list[int] = []
    flats = _join_broken_lines(flats)
    for flat in flats:
        m = _para(flat)
        if (
            m is not None
            and not m["mark"]
            and paras
            and paras[-1].text[-4:].lower() in _PARA_WORD_TAILS
            and _PARA_WORD_END.search(paras[-1].text, max(0, len(paras[-1].text) - 12))
        ):
            m = None  # "...as noted in para⏎⏎6. above": the sentence goes on
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
    if not b.summary and folded is not None and "summary" in folded:
        # An End Summary without a heading: the summary is what stands before it, when it
        # ends within the first paragraphs (the length of their text joined as in full).
        e = scan.search_where(_END_SUMMARY, full, folded, _END_SUMMARY_WHERE)
        if e and e.start() < _joined_length(b.paragraphs[:3]):
            b.summary = full[: e.start()].strip()
    b.septels = _septels(full, folded)
    return b


def _joined_length(paras: list[Paragraph]) -> int:
    """``len("\\n\\n".join(p.text for p in paras))``, without the join."""
    n = 2 * (len(paras) - 1) if paras else 0
    for p in paras:
        n += len(p.text)
    return n


def summary_in(text: str) -> str:
    """A summary the preamble holds (a SUMMARY block before paragraph 1)."""
    folded = scan.fold(text)
    return _between(text, folded, _SUMMARY, "summary", _END_SUMMARY, _END_SUMMARY_WHERE)


def _join_broken_lines(flats: list[str]) -> list[str]:
    """A block that would pass for a heading ("The Minister Also Said That") followed by
    one opening in lower case ("the talks had stalled.") is one sentence broken by a blank
    line, not a heading over a paragraph."""
    for k in range(1, len(flats)):
        if flats[k][:1].islower():
            break
    else:
        return flats  # (no block opens in lower case: nothing to join)
    out: list[str] = []
    for flat in flats:
        if (
            out
            and flat[:1].islower()
            and not out[-1].isupper()
            and not out[-1].rstrip().endswith((".", ":", "!", "?"))
            and _is_heading(out[-1])
        ):
            out[-1] = f"{out[-1]} {flat}"
        else:
            out.append(flat)
    return out


def _flat_blocks(text: str) -> tuple[list[str], str]:
    """The blocks of ``text``, each with its lines joined, and the signer taken off the
    last block."""
    lines = text.split("\n")
    stripped = list(map(str.strip, lines))
    end = len(lines)
    while end and (not stripped[end - 1] or _TRAILING_NOISE.fullmatch(stripped[end - 1])):
        end -= 1
    if end < len(lines) and any(stripped[end:]):
        # Noise after the last words: the signer is read above it ("DERSE⏎⏎CONFIDENTIAL").
        lines, stripped = lines[:end], stripped[:end]
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


def portion_marking(mark: str) -> str | None:
    """A paragraph's portion marking, normalised, or None when it is none."""
    return _marking(mark)


# The markings read, memoised (a dict: see title._word): a few dozen spellings.
_MARKINGS: Final[dict[str | None, str | None]] = {}


def _marking(mark: str | None) -> str | None:
    """A paragraph's portion marking, normalised ("s / nf" -> "S/NF"); "" when it has
    none, None when it is not a marking (so not a paragraph number either)."""
    if mark in _MARKINGS:
        return _MARKINGS[mark]
    read = _read_marking(mark)
    if len(_MARKINGS) >= 4096:
        _MARKINGS.clear()
    _MARKINGS[mark] = read
    return read


def _read_marking(mark: str | None) -> str | None:
    if not mark:
        return ""
    mark = mark.strip().upper()
    if "/" in mark:
        mark = _SLASH.sub("/", mark)
    level, caveats = reference.parse_marking(mark)
    # (A caveat alone marks a portion too: "(NC)".)
    return mark if level >= 0 or caveats else None


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
        return rest or None, cand.rstrip(".")
    # Re-flowed text: the signer is glued after the last sentence ("... END COMMENT. DERSE").
    m = _GLUED_SIGNER.search(block)
    if m and m[1] not in {"END", "COMMENT", "SUMMARY", "NOFORN", "SIPDIS"}:
        return block[: m.start(1)].rstrip(), m[1]
    return block, ""


def _readings(n: int) -> tuple[int, ...]:
    """What a paragraph number may stand for: itself, or, when a pilcrow became a "1" in
    front of it (``11.`` for 1, ``¶16.`` for 6, ``110.`` for 10), the rest."""
    w = str(n)
    if len(w) >= 2 and w[0] == "1" and w[1] != "0":
        return (n, int(w[1:]))
    if len(w) >= 3 and w[0] == "1":  # "110." is 10
        return (n, int(w[1:]))
    return (n,)


def _start_cost(r: int) -> float:
    return 0.0 if r == 1 else 1.0 + min(r, 30) / 5


def _step_cost(prev: int, r: int) -> float:
    d = r - prev
    if d == 1:
        return 0.0
    if d == 2:
        return 1.0  # one number skipped
    if d == 0:
        return 1.5  # a number repeated
    if 3 <= d <= 5:
        return 2.0
    return 3.0 if d > 0 else 4.0


# Reading a cable as damaged costs this much, once: the decoded sequence is taken only when
# it runs more smoothly than the written numbers by more than that. Each reading other than
# the written number costs a little too, so that on a tie the written number stands.
_DAMAGED_CABLE_COST: Final = 1.5
_DAMAGE_COST: Final = 0.01


def _decode_numbers(written: list[int], damaged: bool | None = None) -> list[int]:
    """The readings of ``written`` (each from ``_readings``) whose sequence runs most
    smoothly: a shortest path over the few readings of each number (Viterbi). On a tie the
    written number stands. ``damaged``: whether the rendering is known to be damaged
    (True), known not to be (False: the written numbers stand), or to be judged here."""
    if damaged is False or written == list(range(1, len(written) + 1)):
        return written  # (1, 2, 3... costs nothing: nothing to decode)
    options = [_readings(n) for n in written]
    # cost[j], back[i][j]: the cheapest sequence ending in reading j of number i.
    cost = [_start_cost(r) + (_DAMAGE_COST if j else 0.0) for j, r in enumerate(options[0])]
    back: list[list[int]] = [[0] * len(options[0])]
    for i in range(1, len(options)):
        prev = options[i - 1]
        new_cost: list[float] = []
        new_back: list[int] = []
        for j, r in enumerate(options[i]):
            best_k = 0
            best = cost[0] + _step_cost(prev[0], r)
            for k in range(1, len(prev)):
                c = cost[k] + _step_cost(prev[k], r)
                if c < best:
                    best, best_k = c, k
            new_cost.append(best + (_DAMAGE_COST if j else 0.0))
            new_back.append(best_k)
        cost = new_cost
        back.append(new_back)
    j = 0
    for k in range(1, len(cost)):
        if cost[k] < cost[j]:
            j = k
    out = [0] * len(options)
    for i in range(len(options) - 1, -1, -1):
        out[i] = options[i][j]
        j = back[i][j]
    smoother = _path_cost(out) + _DAMAGED_CABLE_COST < _path_cost(written)
    if damaged is None and out != written and not smoother:
        return written
    return out


def _path_cost(seq: list[int]) -> float:
    if not seq:
        return 0.0
    total = _start_cost(seq[0])
    for a, b in zip(seq, seq[1:], strict=False):
        total += _step_cost(a, b)
    return total


def _repair_numbers(paras: list[Paragraph], idx: list[int], defects: list[Defect]) -> None:
    """Recover true paragraph numbers from context: renderings that lost the pilcrow to a
    "1" write 1 as ``11.`` and 6 as ``¶16.``. Each number has one or two readings; the
    sequence that runs most smoothly is taken (``_decode_numbers``)."""
    written = [paras[i].number or 0 for i in idx]
    marked = [k for k, i in enumerate(idx) if paras[i].marking]
    if len(marked) >= 2 and len(marked) < len(idx):
        # The marked paragraphs are the cable's sequence; unmarked numbered blocks among
        # them are lists of their own (1, 2, 3 under paragraph 4). The main sequence tells
        # whether the rendering is damaged; each list is then read the same way.
        decoded = list(written)
        main = _decode_numbers([written[k] for k in marked])
        for k, r in zip(marked, main, strict=True):
            decoded[k] = r
        damaged = any(decoded[k] != written[k] for k in marked)
        run: list[int] = []
        for k in [*range(len(idx)), -1]:
            if k >= 0 and not paras[idx[k]].marking:
                run.append(k)
                continue
            if run:
                for q, r in zip(
                    run, _decode_numbers([written[q] for q in run], damaged), strict=True
                ):
                    decoded[q] = r
                run = []
    else:
        decoded = _decode_numbers(written)
    repaired: list[str] = []
    for i, n, r in zip(idx, written, decoded, strict=True):
        if r != n:
            repaired.append(f"{n}->{r}")
            paras[i].number = r
    disorder = any(b < a for a, b in zip(decoded, decoded[1:], strict=False))
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
    """The sentences that mention a septel (a separate telegram), in order, by the rule
    the enrichment matches them with (``reference.sentences``)."""
    if not scan.search_ci(SEPTEL, full, folded, "septel"):
        return []  # most cables: one scan of the folded text
    out: list[str] = []
    for _, _, sentence in septel_sentences(full):
        if sentence not in out:
            out.append(sentence)
    return out[:20]
