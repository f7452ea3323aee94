"""Synthesise a large, realistic cable corpus from the real dev cables (docs/benchmarks.md).

The 2,679 cables of ``samples/cablegate-dev.tar.xz`` are parsed once into pools: their
transmission headers (FM/TO/INFO), banners (post as written), classification, caveats and
paragraph-marking patterns ("templates"), their subjects with the TAGS that go with them,
and every paragraph's text. Synthetic cable ``i`` is then written as **raw telegram text**
(what the real parser reads, so ingest measures the real parse):

- a template (header, post, classification, caveats, marking pattern, signer) drawn from
  the templates;
- a year drawn from the real cables' year histogram (1966-2010, skewed to 2006-2010 as the
  release is), a random day and time: the DTG;
- the id ``YY + post + serial``, with serial = i, so every id is unique;
- subject, TAGS and paragraphs (at most 60) of one real cable, the "topic" (so words
  co-occur as in real cables and document frequencies stay realistic), a quarter of the
  paragraphs swapped for random ones from the pool of all paragraphs, each marked as the
  template's paragraphs were (cyclically);
- a REF block citing 0-3 earlier synthetic cables by ``YY POST SERIAL``.

Everything is a function of ``(seed, i)``: the same seed gives the same corpus, cable by
cable, and generation streams (only the pools are in memory). Templates whose telegram
does not parse back to the intended id are dropped when the pools are built.

    python bench/synth.py --cables 1000 --out bench/out/synth-1000.tar
"""

from __future__ import annotations

import argparse
import bisect
import io
import json
import os
import pickle
import random
import re
import sys
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "cablegate-dev.tar.xz"
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
SPACED = {
    "UNCLASSIFIED": "UNCLAS",
    "UNCLASSIFIED//FOR OFFICIAL USE ONLY": "UNCLAS",
    "LIMITED OFFICIAL USE": "LIMITED OFFICIAL USE",
    "CONFIDENTIAL": "C O N F I D E N T I A L",
    "SECRET": "S E C R E T",
    "TOP SECRET": "T O P S E C R E T",
}
SWAP = 0.25  # share of a synthetic cable's paragraphs drawn from the whole pool
_DTG = re.compile(r"^\s*(?:(?:ZZ|OO|PP|RR|Z|O|P|R)\s+)*\d{6}Z\s+[A-Z]{3}\s+\d{2,4}\b.*$", re.M)
_BANNER_TAIL = re.compile(
    r"\s+(?:SECTION\s+\d+\s+OF\s+\d+\s+)?([A-Z][A-Z .'-]*?)\s+0*(\d{1,7})\s*$"
)


@dataclass
class Template:
    header_rest: str  # FM/TO/INFO lines of a real header (after its DTG line)
    precedence: str  # prosign(s) of the DTG line: "O", "P", "R R"
    cls_line: str  # classification as a banner writes it
    post: str  # post as the banner writes it ("SAN JOSE")
    code: str  # the origin code the parser derives ("SANJOSE")
    caveats: list[str]
    markings: list[str]  # the real paragraphs' markings, in order
    classified_by: str  # "Classified By: ..." line or ""
    signer: str


@dataclass
class Pools:
    templates: list[Template]
    # (subject, subject marking, "TAG TAG ...", first paragraph in the pool, paragraphs)
    topics: list[tuple[str, str, str, int, int]]
    paragraphs: list[str]
    years: list[int]  # cumulative weights over YEARS
    year_values: list[int]


def _template(c) -> Template | None:
    header = c.header or ""
    m = _DTG.search(header)
    if not m or not c.body or not c.id or not c.origin.code:
        return None
    prec = m.group(0).split()[0]
    if prec[0].isdigit():
        prec = "R"
    rest = header[m.end() :].strip("\n")
    if not rest.lstrip().startswith("FM"):
        return None
    cls_line = SPACED.get(c.classification)
    if cls_line is None:
        return None
    first = c.body.lstrip().split("\n", 1)[0]
    t = _BANNER_TAIL.search(first)
    if not t:
        return None
    post = t.group(1).strip()
    if post[:2].isdigit():
        return None
    cb = ""
    if c.classified_by and c.classified_by.name:
        cb = f"Classified By: {c.classified_by.name}"
        if c.classified_by.title:
            cb += f", {c.classified_by.title}"
        cb += ". Reasons: " + (", ".join(c.reasons) or "1.4 (b), (d)")
    markings = [p.marking for p in c.paragraphs if p.text.strip()] or [""]
    return Template(rest, prec, cls_line, post, c.origin.code, list(c.caveats), markings[:60],
                    cb, c.signer)  # fmt: skip


def build_pools(sample: Path = SAMPLE, cache: Path | None = None) -> Pools:
    """Parse the real cables once (about 15 s); cached next to ``cache`` if given."""
    key = f"{sample.stat().st_size}-{int(sample.stat().st_mtime)}-v2"
    if cache is not None and cache.exists():
        with open(cache, "rb") as fh:
            stored = pickle.load(fh)
        if stored[0] == key:
            t, rest = stored[1]
            return Pools([Template(*x) for x in t], *rest)
    sys.path.insert(0, str(ROOT / "src"))
    from cablegram.parser import parse
    from cablegram.sources import iter_documents

    templates: list[Template] = []
    topics: list[tuple[str, str, str, int, int]] = []
    paragraphs: list[str] = []
    year_counts: dict[int, int] = {}
    for doc in iter_documents([str(sample)]):
        if doc.error or not doc.data:
            continue
        c = parse(doc.data)
        if not c.id:
            continue
        if c.year and 1966 <= c.year <= 2010:
            year_counts[c.year] = year_counts.get(c.year, 0) + 1
        start = len(paragraphs)
        for p in c.paragraphs:
            text = p.text.strip()
            if 40 <= len(text) <= 4000 and "\n\n" not in text:
                paragraphs.append(text)
        if c.subject and c.tags and len(paragraphs) > start:
            topics.append((" ".join(c.subject.split()), c.subject_marking,
                           " ".join(t.code for t in c.tags), start, len(paragraphs) - start))  # fmt: skip
        t = _template(c)
        if t is not None:
            templates.append(t)
    values = sorted(year_counts)
    cum, acc = [], 0
    for y in values:
        acc += year_counts[y]
        cum.append(acc)
    pools = Pools(templates, topics, paragraphs, cum, values)
    # Keep only templates whose telegram parses back to the intended id and origin.
    gen = Generator(pools, seed=0)
    good = []
    for k, t in enumerate(pools.templates):
        text, cid = gen.render(k + 1, template=t, refs=False)
        c = parse(text.encode())
        if c.id == cid and c.origin.code == t.code:
            good.append(t)
    pools.templates = good
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with open(cache, "wb") as fh:
            # Plain tuples: loadable whichever module name this file runs under.
            t = [tuple(vars(x).values()) for x in pools.templates]
            rest = (pools.topics, pools.paragraphs, pools.years, pools.year_values)
            pickle.dump((key, (t, rest)), fh)
    return pools


class Generator:
    def __init__(self, pools: Pools, seed: int = 2010) -> None:
        self.p = pools
        self.seed = seed
        self.last_cited: list[int] = []  # the cables the last render cited

    def _rng(self, i: int) -> random.Random:
        return random.Random(self.seed * 1_000_003 + i)

    def skeleton(self, i: int) -> tuple[int, int]:
        """(template index, year) of cable i: what another cable needs to cite it."""
        r = self._rng(i)
        k = r.randrange(len(self.p.templates))
        y = self.p.year_values[bisect.bisect_right(self.p.years, r.randrange(self.p.years[-1]))]
        return k, y

    def cable_id(self, i: int) -> str:
        k, y = self.skeleton(i)
        return f"{y % 100:02d}{self.p.templates[k].code}{i}"

    def render(
        self, i: int, *, template: Template | None = None, refs: bool = True
    ) -> tuple[str, str]:
        """Telegram text of synthetic cable ``i`` and its id."""
        k, year = self.skeleton(i)
        r = self._rng(i)
        r.random()  # the skeleton's draws
        t = template or self.p.templates[k]
        month, day = r.randrange(12), r.randint(1, 28)
        hh, mm = r.randrange(24), r.randrange(60)
        dtg = f"{day:02d}{hh:02d}{mm:02d}Z {MONTHS[month]} {year % 100:02d}"
        subject, smark, tags, start, n = self.p.topics[r.randrange(len(self.p.topics))]
        # The topic cable's own paragraphs (so words co-occur as in real cables), a quarter
        # of them swapped for random paragraphs of the pool.
        pool = self.p.paragraphs
        paras = [pool[r.randrange(len(pool))] if r.random() < SWAP else pool[start + j]
                 for j in range(min(n, 60))]  # fmt: skip
        marks = [t.markings[j % len(t.markings)] for j in range(len(paras))]
        lines = [f"{t.precedence} {dtg}", t.header_rest, "",
                 f"{t.cls_line} {t.post} {i:06d}", ""]  # fmt: skip
        for cav in t.caveats:
            lines += [cav, ""]
        lines.append(f"E.O. 12958: DECL: {month + 1:02d}/{day:02d}/{year + 10}")
        lines.append(f"TAGS: {tags}")
        lines.append(f"SUBJECT: ({smark}) {subject}" if smark else f"SUBJECT: {subject}")
        lines.append("")
        if refs and i > 1:
            cited = sorted({r.randrange(1, i) for _ in range(r.choice((0, 0, 1, 1, 2, 3)))})
            self.last_cited = cited
            if cited:
                items = []
                for label, j in zip("ABC", cited, strict=False):
                    kj, yj = self.skeleton(j)
                    items.append(f"{label}. {yj % 100:02d} {self.p.templates[kj].post} {j}")
                lines += ["REF: " + " ".join(items), ""]
        if t.classified_by:
            lines += [t.classified_by, ""]
        for num, (mark, text) in enumerate(zip(marks, paras, strict=True), 1):
            lines += [f"\u00b6{num}. ({mark}) {text}" if mark else f"\u00b6{num}. {text}", ""]
        if t.signer:
            lines.append(t.signer)
        return "\n".join(lines) + "\n", f"{year % 100:02d}{t.code}{i}"

    def cables(self, n: int, start: int = 1) -> Iterator[tuple[str, str]]:
        for i in range(start, start + n):
            yield self.render(i)


def write_tar(path: Path, n: int, pools: Pools, seed: int = 2010) -> int:
    """Stream ``n`` synthetic telegrams into an uncompressed tar; returns their bytes."""
    gen = Generator(pools, seed)
    total = 0
    tmp = path.with_suffix(".part")
    with tarfile.open(tmp, "w", format=tarfile.USTAR_FORMAT) as tar:
        for text, cid in gen.cables(n):
            data = text.encode("utf-8")
            total += len(data)
            info = tarfile.TarInfo(f"cable/{cid}.txt")
            info.size = len(data)
            info.mtime = 1291161600  # 2010-12-01: deterministic archive bytes
            tar.addfile(info, io.BytesIO(data))
    os.replace(tmp, path)
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cables", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=2010)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "synth.tar")
    ap.add_argument("--check", type=int, default=0, help="parse the first N and check ids")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    pools = build_pools(cache=ROOT / "bench" / "out" / "pools.pickle")
    print(f"pools: {len(pools.templates)} templates, {len(pools.topics)} subjects, "
          f"{len(pools.paragraphs)} paragraphs ({time.perf_counter() - t0:.1f} s)")  # fmt: skip
    if args.check:
        from cablegram.parser import parse

        gen = Generator(pools, args.seed)
        bad = 0
        for text, cid in gen.cables(args.check):
            c = parse(text.encode())
            if c.id != cid:
                bad += 1
                print("mismatch", cid, c.id, file=sys.stderr)
        print(json.dumps({"checked": args.check, "id_mismatches": bad}))
    t0 = time.perf_counter()
    nbytes = write_tar(args.out, args.cables, pools, args.seed)
    print(f"{args.cables:,} cables, {nbytes / 1e6:,.1f} MB of telegram text -> {args.out} "
          f"({time.perf_counter() - t0:.1f} s)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
