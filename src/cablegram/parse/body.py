"""The body: page headers out, paragraphs in, with true numbers, markings and headings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cablegram import reference
from cablegram.model import Defect, Paragraph

# "BAKU 00000433 002 OF 003" (cablegate continuation page header).
_PAGE_HEADER = re.compile(
    r"(?:\n[ \t]*)*\n[ \t]*[A-Z][A-Z .'\-]{1,30} 0{2,}\d{1,8} +\d{3} OF \d{3}[ \t]*(?:\n[ \t]*)*(?=\n|$)"
)
# Old printouts: "PAGE 02 HARARE 06677 01 OF 03 291400Z" with the class line above it.
_OLD_PAGE = re.compile(
    r"(?:\b(?:UNCLASSIFIED|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)[ \t]*\n)?"
    r"[ \t]*PAGE \d{2,3}\s+[A-Z][A-Z ]{1,25}?\s+\d{3,6}\s+\d{2} OF \d{2}\s+\d{6}Z[ \t]*\n?"
)
_RULE = re.compile(r"^\s*[-=_*]{3,}[-=_* ]*$")
_PARA = re.compile(
    r"^(?P<pil>¶\s*|P\s?)?(?P<num>\d{1,3})\s?\.(?!\d)\s*"
    r"(?:\(\s*(?P<mark>[A-Z][A-Z/ ]{0,14}?)\s*\))?\s*(?P<rest>.*)$",
    re.S,
)
_LIST_ITEM = re.compile(r"^\s*(?:--?\s|-\s|[A-Z]\s?\.\s|\(\w{1,3}\)\s|o\s|\*\s|\d{1,2}\)\s)")
_SUMMARY = re.compile(r"\b(?:SUMMARY(?: AND (?:COMMENT|ACTION REQUEST))?|Summary(?: and (?:comment|Comment))?)\s*[:.\-]\s*")
_END_SUMMARY = re.compile(r"\bEND\s+(?:OF\s+)?SUMMARY(?:\s+AND\s+(?:COMMENT|ACTION REQUEST))?\b\.?", re.I)
_COMMENT = re.compile(r"\b(?:COMMENT|Comment)\s*[:.\-]\s*")
_END_COMMENT = re.compile(r"\bEND\s+(?:OF\s+)?COMMENT\b\.?", re.I)
_SEPTEL = re.compile(r"\bSEPTELS?\b", re.I)
_SENTENCE_END = re.compile(r"[.!?\n]")
_SIGNER = re.compile(r"^[A-Z][A-Z'\-]+(?:[ /][A-Z][A-Z'\-]+){0,2}\s*$")


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
    # Cheap literal checks first: most cables have no old-style page headers at all.
    if " OF " in text:
        text = _PAGE_HEADER.sub(count, text)
    if "PAGE " in text:
        text = _OLD_PAGE.sub(lambda m: count(m) + " ", text)
    if n:
        defects.append(Defect("page-header", f"removed {n} page header(s) inside the text"))
    return text


def parse_body(text: str, defects: list[Defect]) -> Body:
    b = Body()
    blocks = _blocks(text)
    blocks, b.signer = _take_signer(blocks)
    paras: list[Paragraph] = []
    pending_heading = ""
    observed: list[int] = []
    for block in blocks:
        flat = _join_lines(block)
        m = _PARA.match(flat)
        if m and _valid_marking(m["mark"]):
            mark = _norm_marking(m["mark"] or "")
            paras.append(Paragraph(number=int(m["num"]), marking=mark,
                                   heading=pending_heading, text=m["rest"].strip()))
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
        paras.append(Paragraph(number=None, marking="", heading=pending_heading, text=flat.strip()))
        pending_heading = ""
    _repair_numbers(paras, observed, defects)
    b.paragraphs = [p for p in paras if p.text or p.number is not None]
    full = "\n\n".join(p.text for p in b.paragraphs)
    b.summary = _between(full, _SUMMARY, _END_SUMMARY)
    b.comment = _between(full, _COMMENT, _END_COMMENT)
    if not b.comment:
        # Older cables: a paragraph opening "COMMENT." with no END COMMENT.
        for p in b.paragraphs:
            m = re.match(r"(?:COMMENT|Comment)\s*[:.\-]\s*", p.text)
            if m:
                b.comment = p.text[m.end():].strip()
                break
    if not b.comment:
        under = [p.text for p in b.paragraphs if re.fullmatch(r"(?i)comments?", p.heading or "")]
        if under:
            idx = next(i for i, p in enumerate(b.paragraphs) if p.text == under[0])
            texts = [b.paragraphs[idx].text]
            for p in b.paragraphs[idx + 1:]:
                if p.heading:
                    break
                texts.append(p.text)
            b.comment = "\n\n".join(texts)
    if not b.summary:
        for i, p in enumerate(b.paragraphs):
            if re.fullmatch(r"(?i)summary(?: and comment)?", p.heading or ""):
                texts = [p.text]
                for q in b.paragraphs[i + 1:]:
                    if q.heading:
                        break
                    texts.append(q.text)
                joined = "\n\n".join(texts)
                e = _END_SUMMARY.search(joined)
                b.summary = joined[: e.start()].strip() if e else p.text
                break
    b.septels = _septels(full)
    return b


def _blocks(text: str) -> list[str]:
    lines = text.split("\n")
    blocks: list[list[str]] = []
    cur: list[str] = []
    for line in lines:
        if not line.strip() or _RULE.match(line):
            if cur:
                blocks.append(cur)
                cur = []
            continue
        # A numbered paragraph starting on a line of its own begins a new block even
        # without a blank line before it (re-flowed renderings).
        if cur and _PARA.match(line.strip()) and _looks_para_start(line.strip()):
            blocks.append(cur)
            cur = []
        cur.append(line)
    if cur:
        blocks.append(cur)
    return ["\n".join(b) for b in blocks]


def _looks_para_start(line: str) -> bool:
    m = _PARA.match(line)
    return bool(m and (m["pil"] or m["mark"]) and _valid_marking(m["mark"]))


def _join_lines(block: str) -> str:
    """Undo hard wrapping, but keep list items on lines of their own."""
    out: list[str] = []
    for line in block.split("\n"):
        s = line.strip()
        if not s:
            continue
        if out and not _LIST_ITEM.match(s):
            out[-1] = _glue(out[-1], s)
        else:
            out.append(s)
    return "\n".join(out)


def _glue(a: str, b: str) -> str:
    # Words split at a line end with a hyphen ("JURIS-\nDICTION") keep the hyphen: we
    # cannot tell a broken word from a compound, and never delete text.
    return f"{a} {b}" if a and b else a or b


def _valid_marking(mark: str | None) -> bool:
    if not mark:
        return True
    level, _ = reference.parse_marking(_norm_marking(mark))
    return level >= 0


def _norm_marking(mark: str) -> str:
    return re.sub(r"\s*/\s*", "/", mark.strip().upper())


def _is_heading(s: str) -> bool:
    if "\n" in s or len(s) > 90 or len(s) < 3:
        return False
    if s.rstrip().endswith((".", ",", ";", '"')) and not s.isupper():
        return False
    if s.rstrip().endswith(("." ,",", ";")) and len(s.split()) > 6:
        return False
    words = s.split()
    if len(words) > 12:
        return False
    letters = [c for c in s if c.isalpha()]
    if not letters:
        return False
    upper = sum(c.isupper() for c in letters) / len(letters)
    if upper > 0.8:
        return True
    # Title Case Headings: most words capitalised.
    caps = sum(w[:1].isupper() for w in words if w[:1].isalpha())
    return caps >= max(1, len(words) * 0.6) and not s.endswith(".")


def _continues(prev: str, nxt: str) -> bool:
    if not prev:
        return False
    if _PARA.match(nxt) and _looks_para_start(nxt):
        return False
    end = prev.rstrip()[-1:]
    return end not in ".!?:\")'" or nxt[:1].islower()


def _take_signer(blocks: list[str]) -> tuple[list[str], str]:
    if not blocks:
        return blocks, ""
    last = blocks[-1].strip().split("\n")
    cand = last[-1].strip()
    if _SIGNER.match(cand) and cand not in {"END", "BT", "NNNN"} and len(cand) <= 40 \
            and not re.fullmatch(r"(?:UNCLASSIFIED|CONFIDENTIAL|SECRET|NOFORN|SIPDIS|BT)", cand):
        rest = "\n".join(last[:-1]).strip()
        return (blocks[:-1] + [rest]) if rest else blocks[:-1], cand
    # Re-flowed text: the signer is glued after the last sentence ("... END COMMENT. DERSE").
    m = re.search(r"[.!?)\"]\s+([A-Z][A-Z'\-]{2,}(?:/[A-Z]+)?)\s*$", blocks[-1])
    if m and m[1] not in {"END", "COMMENT", "SUMMARY", "NOFORN", "SIPDIS"}:
        return blocks[:-1] + [blocks[-1][: m.start(1)].rstrip()], m[1]
    return blocks, ""


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
        defects.append(Defect(
            "paragraph-numbers",
            "paragraph numbers damaged by the rendering (pilcrow read as 1) repaired: "
            + ", ".join(repaired),
        ))
    if disorder:
        defects.append(Defect("paragraph-order", "paragraph numbers go backwards"))


def _between(full: str, start: re.Pattern[str], end: re.Pattern[str]) -> str:
    m = start.search(full)
    if not m:
        return ""
    e = end.search(full, m.end())
    if not e:
        return ""
    return full[m.end(): e.start()].strip()


def _septels(full: str) -> list[str]:
    """The sentences that mention a septel (a separate telegram), in order."""
    out: list[str] = []
    for m in _SEPTEL.finditer(full):
        start = max(full.rfind(c, 0, m.start()) for c in ".!?\n") + 1
        e = _SENTENCE_END.search(full, m.end())
        end = e.end() if e else len(full)
        sentence = _balanced(re.sub(r"\s+", " ", full[start:end]).strip())
        if sentence and sentence not in out:
            out.append(sentence)
    return out[:20]


def _balanced(s: str) -> str:
    s = s.lstrip("( ")
    return s[:-1] if s.endswith(")") and s.count("(") < s.count(")") else s
