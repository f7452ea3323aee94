"""Case restoration for ALL-CAPS cables, before named-entity recognition.

Older cables (and many 2000s ones) are entirely upper case; a statistical NER model
trained on mixed-case English finds little in them. ``restore_case`` rewrites such text
word by word with the casing each word most often has inside sentences of mixed-case
cables (``data/casing.tsv.gz``): ``AZERBAIJAN`` -> ``Azerbaijan``, ``NATO`` stays,
``THE`` -> ``the``. A word the table does not know is a name (``Title``) unless it is an
English word (the model's WordNet lemma index) standing outside a run of names. The result
has exactly the length of the input, so offsets found in it hold for the original.

The table is built from an archive by ``python -m cablegram.enrich.truecase build``
(see ``build_table``) and ships with the extractor: changing it changes
``EXTRACTOR_VERSION``.
"""

from __future__ import annotations

import gzip
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources


def _w(text: str) -> list[str]:
    """The words of ``text`` (word lists are written as text)."""
    return text.split()


__all__ = ["build_table", "casing_table", "is_upper_text", "restore_case"]

_WORD = re.compile(r"[A-Za-z]+")
_LOWER = str.maketrans("", "", "abcdefghijklmnopqrstuvwxyz")
_UPPER = str.maketrans("", "", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def is_upper_text(text: str, threshold: float = 0.85) -> bool:
    """True when at least ``threshold`` of the (ASCII) letters are capitals."""
    n = len(text)
    low = n - len(text.translate(_LOWER))
    up = n - len(text.translate(_UPPER))
    return up + low >= 8 and up >= threshold * (up + low)


@lru_cache(maxsize=1)
def casing_table() -> dict[str, tuple[str, float]]:
    """lowercase word -> (usual form, share of its occurrences that are capitalised)."""
    data = resources.files("cablegram.enrich").joinpath("data/casing.tsv.gz").read_bytes()
    table: dict[str, tuple[str, float]] = {}
    for line in gzip.decompress(data).decode("utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        form = parts[1] if len(parts) > 1 and parts[1] else parts[0]
        share = float(parts[2]) if len(parts) > 2 else (0.0 if form.islower() else 1.0)
        table[parts[0]] = (form, share)
    return table


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Lower-case English words (the WordNet lemma index shipped with the spaCy model)."""
    import importlib.util
    from pathlib import Path

    from cablegram.enrich.nlp import MODEL_PACKAGES

    for name in MODEL_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        for root in spec.submodule_search_locations:
            for path in Path(root).glob("*/lemmatizer/lookups"):
                from spacy.lookups import Lookups

                index = Lookups().from_disk(path).get_table("lemma_index")
                words: set[str] = set()
                for _, lst in index.items():
                    words.update(w for w in lst if w.isalpha())
                return frozenset(words)
    return frozenset()


def _is_english(low: str) -> bool:
    words = english_words()
    if low in words:
        return True
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"),
                         ("ing", ""), ("ing", "e"), ("ly", ""), ("er", ""), ("ers", "")):  # fmt: skip
        if (
            low.endswith(suffix)
            and len(low) - len(suffix) >= 3
            and low[: len(low) - len(suffix)] + repl in words
        ):
            return True
    return False


# Words after which the next capitalised word is a name when it sometimes is one
# ("CODEL YOUNG", "SECRETARY RICE", "PRESIDENT BUSH").
_NAME_AFTER = frozenset(
    _w(
        "president minister ambassador amb secretary senator sen general gen admiral adm "
        "codel mr mrs ms dr governor king queen prince sheikh shaykh sheik imam ayatollah "
        "colonel col ltg mg bg pm fm dcm charge chairman director commander mayor judge speaker "
        "congressman congresswoman rep deputy polad"
    )
)
_FUNCTION = frozenset(_w("a an and as at by for from in into of on or the to with without"))
_BREAK = re.compile(r"[.!?:]\s|[.!?:][\"')\]]+\s|^\s*[-*]+\s")
_APOS = "'\u2019"
_TAILS = frozenset(("s", "t", "d", "ll", "re", "ve", "m"))


def restore_case(text: str, table: dict[str, tuple[str, float]] | None = None) -> str:
    """``text`` with each upper-case word given its usual casing; same length as ``text``."""
    table = casing_table() if table is None else table
    out: list[str] = []
    at = 0
    sentence_start = True
    prev_low = ""
    prev_name = False  # the previous word became a name
    for m in _WORD.finditer(text):
        start, end = m.span()
        gap = text[at:start]
        if at and (_BREAK.search(gap) or "\n\n" in gap):
            sentence_start = True
        if gap.strip() and gap.strip() not in ("-", "'", ".") and not gap.strip().endswith("."):
            prev_name = False  # a comma or bracket ends a run of names
        out.append(gap)
        word = m.group()
        low = word.lower()
        new = word
        name = False
        if word.isupper() and start >= 1 and text[start - 1] in _APOS and low in _TAILS:
            new = low  # VEDRINE'S -> Vedrine's
        elif word.isupper() and len(word) > 1:
            entry = table.get(low)
            if entry is None:
                if _is_english(low) and not prev_name and prev_low not in _NAME_AFTER:
                    new = low
                else:
                    new, name = word.capitalize(), True
            else:
                form, share = entry
                if (
                    form.islower()
                    and prev_low in _NAME_AFTER
                    and share >= 0.05
                    and low not in _FUNCTION
                ):
                    new, name = word.capitalize(), True
                else:
                    new = form
                    name = not form.islower()
            if sentence_start and new.islower():
                new = new.capitalize()
            if len(new) != len(word):
                new = word
        elif word == "A" and not sentence_start:
            new = "a"
        out.append(new)
        prev_low = low
        prev_name = name
        sentence_start = False
        at = end
    out.append(text[at:])
    return _institutions(text, "".join(out), table)


# Head words of institution names. In ALL-CAPS text the words before them lose their
# capitals to the table ("the national electoral council"): a mixed-case cable would have
# written the whole name capitalised.
_INST_HEADS = frozenset(
    _w(
        "ministry council commission committee court agency office bank university institute "
        "party government assembly parliament senate police foundation society association "
        "federation front movement authority directorate service corporation company embassy "
        "consulate alliance division brigade battalion regiment army navy guard corps union "
        "organization organisation congress"
    )
)
_INST_LINK = frozenset(_w("of for on"))
_ACRONYM_DEF = re.compile(r"\(([A-Z]{3,6})\)")
_INST_WORD = re.compile(r"[A-Za-z](?:[A-Za-z\-]|\.(?=[A-Za-z]))*\.?")


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def _institutions(orig: str, text: str, table: dict[str, tuple[str, float]]) -> str:
    """Capitalise institution names in restored ALL-CAPS text: a head word (``COUNCIL``)
    with the words before it that mixed-case cables sometimes capitalise (``NATIONAL
    ELECTORAL``), after ``THE`` or a name, and ``of/for/on (the) ...`` complements made of
    such words (``INSTITUTE FOR COOPERATIVE EDUCATION``). A word mixed-case cables never
    capitalise (``DEFUNCT``) ends the name; a head word with only a nationality or
    nothing before it (``THE FRENCH GOVERNMENT``, ``THE PARTY``) stays as it was."""
    words = list(_INST_WORD.finditer(text))
    if not words:
        return text
    chars = list(text)

    def capable(i: int) -> bool:
        w = words[i].group()
        low = w.lower().strip(".")
        if (len(low) < 2 or not orig[words[i].start() : words[i].end()].isupper()
                or low in _FUNCTION or low in _stop_words()):  # fmt: skip
            return False
        e = table.get(low)
        return e is None or e[1] >= 0.02 or not e[0].islower()

    def joined(i: int, j: int) -> bool:
        gap = text[words[i].end() : words[j].start()]
        w = words[i].group()
        return gap in (" ", "  ", "-") and (not w.endswith(".") or "." in w[:-1])

    def cap(i: int) -> None:
        a = words[i].start()
        if chars[a].islower():
            chars[a] = chars[a].upper()

    # A name its acronym follows: "MOVEMENT FOR DEMOCRATIC CHANGE (MDC)".
    for d in _ACRONYM_DEF.finditer(orig):
        acr = d.group(1)
        end = next((i for i, w in enumerate(words) if w.start() >= d.start()), len(words))
        picked: list[int] = []
        k = end - 1
        while k >= 0 and len(picked) < len(acr) and end - k <= len(acr) + 3:
            if words[k].group().lower() not in _FUNCTION:
                picked.append(k)
            k -= 1
        picked.reverse()
        if (len(picked) == len(acr) and "".join(words[x].group()[0] for x in picked).upper() == acr
                and all(orig[words[x].start() : words[x].end()].isupper() for x in picked)):  # fmt: skip
            for x in picked:
                cap(x)
            chars[d.start(1) : d.end(1)] = list(acr)  # the acronym stays one
    for i, m in enumerate(words):
        if (
            m.group().lower().rstrip(".") not in _INST_HEADS
            or not orig[m.start() : m.end()].isupper()
        ):
            continue
        j = i
        while j > 0 and i - j < 4 and joined(j - 1, j) and capable(j - 1):
            j -= 1
        # The name starts after a boundary: punctuation, a function word or a word cables
        # never capitalise ("the", "defunct"); not after another name ("NAVATT STATES
        # ARGENTINE NAVY").
        while j < i and j > 0 and joined(j - 1, j) and capable(j - 1):
            j += 1
        before = [words[k].group() for k in range(j, i)]
        if not before or (len(before) == 1 and m.group().lower() == "government"
                          and before[0].upper() not in ("U.S.", "US")):  # fmt: skip
            continue
        if len(before) < 2 and not any(table.get(w.lower(), ("", 0.0))[1] >= 0.3 or
                                       w.lower() not in table for w in before):  # fmt: skip
            continue  # "the local police", "the new government"
        for k in range(j, i + 1):
            cap(k)
        # Complements: "of the Republic of Iraq", "for Cooperative Education".
        k = i + 1
        while k + 1 < len(words) and words[k].group().lower() in _INST_LINK and joined(k - 1, k):
            n = k + 1
            if words[n].group().lower() == "the" and n + 1 < len(words) and joined(k, n):
                n += 1
            run: list[int] = []
            while n < len(words) and joined(n - 1, n) and capable(n) and len(run) < 4:
                run.append(n)
                n += 1
            if not run:
                break
            for r in run:
                cap(r)
            k = n
    return "".join(chars)


def build_table(paragraphs: Iterable[str], *, min_count: int = 2) -> dict[str, tuple[str, float]]:
    """Learn the usual casing of words from mixed-case text.

    Only words inside sentences count (not the first word of a sentence), and only in
    paragraphs that are not mostly capitals. A word's form is its most frequent spelling;
    a word seen only in lower case is kept from one occurrence, a capitalised one from
    ``min_count``.
    """
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for text in paragraphs:
        if not text or is_upper_text(text, 0.5):
            continue
        prev_end = 0
        for m in _WORD.finditer(text):
            word = m.group()
            before = text[prev_end : m.start()]
            prev_end = m.end()
            if m.start() == 0 or re.search(r"[.!?:;]\s*[\"'(]*\s*$", before) or "\n" in before:
                continue  # sentence-initial: its capital says nothing
            if m.start() >= 1 and text[m.start() - 1] in _APOS:
                continue
            counts[word.lower()][word] += 1
    table: dict[str, tuple[str, float]] = {}
    for low, c in counts.items():
        total = sum(c.values())
        form, _ = c.most_common(1)[0]
        if total < min_count and not form.islower():
            continue
        caps = sum(n for w, n in c.items() if not w.islower())
        table[low] = (form, round(caps / total, 2))
    return table


def write_table(table: dict[str, tuple[str, float]], path: str) -> None:
    lines = ["# lowercase<TAB>usual form<TAB>capitalised share; built by cablegram.enrich.truecase"]
    lines += [f"{k}\t{f}\t{s:g}" for k, (f, s) in sorted(table.items())]
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as fh:
        fh.write("\n".join(lines) + "\n")


def _main(argv: list[str] | None = None) -> None:  # pragma: no cover - a maintenance tool
    import argparse
    import json
    import sqlite3

    ap = argparse.ArgumentParser(description="Build the casing table from an archive")
    ap.add_argument("command", choices=["build"])
    ap.add_argument("--db", required=True)
    ap.add_argument("--exclude", help="JSON Lines whose 'id' fields are left out (a gold set)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    skip: set[str] = set()
    if args.exclude:
        with open(args.exclude, encoding="utf-8") as fh:
            skip = {json.loads(line)["id"] for line in fh if line.strip()}
    conn = sqlite3.connect(args.db)
    rows = conn.execute("SELECT cable_id, text FROM portions WHERE kind = 'para'")
    table = build_table(t for cid, t in rows if cid not in skip)
    write_table(table, args.out)
    print(f"{len(table)} words -> {args.out}")


if __name__ == "__main__":  # pragma: no cover
    _main()
