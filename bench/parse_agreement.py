"""How well does the parser agree with the archive's own metadata on the dev pages?

For every cablegate page in the dev set, parse it twice: as shipped (HTML with its
metadata table) and as raw text (the two <pre> blocks with the HTML and the table
removed, which is how raw telegrams arrive). Compare with the page's table and title:

- id (table Reference ID, canonicalised), origin.name (table Origin),
- classification + NOFORN/FOUO caveats (table Classification); a page whose table shows
  a caveat its text nowhere carries (the site derived it) is counted apart; the table's
  six values have no UNCLASSIFIED//NOFORN, so NOFORN on an unclassified cable, which the
  table cannot show, is left out of the comparison (the count prints),
- subject (the <h3> title, which the site truncates: a prefix match counts),
- dtg within 24 h of Created.

It also prints the reader-text figures of issue 15: the share of cables whose reader text
(paragraphs, headings, subject, summary, comment) still holds a page header, and, in raw
mode on the pages whose text carries a transmission header, the id agreement over all of
them and over those whose id the parser rebuilt from the header (no banner serial).

"Where the text carries them": a field counts in the denominator when the page's text
holds it (e.g. a raw page whose banner was lost cannot give an id). Both figures print.

    python bench/parse_agreement.py [samples/cablegate-dev.tar.xz] [--list N]
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import time
from datetime import datetime
from pathlib import Path

from cablegram import parse
from cablegram.parser.core import _canonical_id
from cablegram.parser.pages import PAGE_HEADER_ANYWHERE
from cablegram.parser.render import _PRE, _cablegate
from cablegram.sources import iter_documents

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("id", "origin.name", "classification", "subject", "dtg")


def raw_text(page: str) -> str:
    """The page's <pre> blocks as plain text: no table, no title, no HTML."""
    blocks = [html.unescape(re.sub(r"<[^>]+>", "", b)) for b in _PRE.findall(page)]
    return "\n\n".join(blocks)


def norm_subject(s: str) -> str:
    # The site's titles drop the "(" of a subject's portion marking: "S) TITLE".
    s = re.sub(r"^\s*\(?(?:[A-Z]{1,4}(?:/[A-Z]{1,4})?)\)\s*", "", s.strip())
    return re.sub(r"[^A-Z0-9]+", "", s.upper())


def truth(page: str) -> dict[str, str]:
    prep = _cablegate(page, [])
    m = prep.meta
    assert m is not None
    cls, _, cav = m.classification.upper().partition("//")
    cavs = set()
    if "NOFORN" in cav or "NOFORN" in cls:
        cavs.add("NOFORN")
    if "OFFICIAL USE" in cav:
        cavs.add("FOUO")
    return {
        "id": _canonical_id(m.reference_id) or m.reference_id,
        "origin.name": m.origin,
        "classification": cls.replace(" NOFORN", "").strip()
        + "".join(f"//{c}" for c in sorted(cavs)),
        "subject": m.title,
        "dtg": m.created,
    }


def unshowable_noforn(c) -> bool:
    """NOFORN on an unclassified cable, which no table value can show: the site's six
    classifications (its "Browse by classification" list) are UNCLASSIFIED,
    UNCLASSIFIED//FOR OFFICIAL USE ONLY, CONFIDENTIAL, CONFIDENTIAL//NOFORN, SECRET and
    SECRET//NOFORN."""
    return c.classification == "UNCLASSIFIED" and "NOFORN" in c.caveats


def got(c) -> dict[str, str]:
    cavs = set()
    if "NOFORN" in c.caveats and not unshowable_noforn(c):
        cavs.add("NOFORN")
    if {"FOUO", "SBU"} & set(c.caveats):
        cavs.add("FOUO")
    return {
        "id": c.id,
        "origin.name": c.origin.name,
        "classification": (c.classification + "".join(f"//{x}" for x in sorted(cavs)))
        if c.classification
        else "",
        "subject": c.subject,
        "dtg": c.dtg or "",
    }


def agree(field: str, t: str, g: str) -> bool:
    if field == "subject":
        a, b = norm_subject(t), norm_subject(g)
        return bool(a) and bool(b) and (b.startswith(a) or a.startswith(b))
    if field == "dtg":
        try:
            x = datetime.fromisoformat(t.replace("Z", "+00:00"))
            y = datetime.fromisoformat(g.replace("Z", "+00:00"))
        except ValueError:
            return False
        return abs((x - y).total_seconds()) <= 86400
    if field == "origin.name":
        return t.lower().replace(" ", "") == g.lower().replace(" ", "")
    return t == g


def reader_text(c) -> str:
    """What a reader reads: subject, summary, comment, paragraphs and their headings."""
    parts = [c.subject, c.summary, c.comment]
    for p in c.paragraphs:
        parts += [p.heading, p.text]
    return "\n".join(parts)


def holds_page_header(c) -> bool:
    return PAGE_HEADER_ANYWHERE.search(reader_text(c)) is not None


_DE_LINE = re.compile(r"(?m)^\s*DE\s+R[A-Z]{3,6}\s*#\s*\d")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("archive", nargs="?", default=str(ROOT / "samples" / "cablegate-dev.tar.xz"))
    ap.add_argument("--list", type=int, default=15, help="disagreements to list per field")
    args = ap.parse_args()
    stats = {
        mode: {f: [0, 0, 0] for f in FIELDS} for mode in ("html", "raw")
    }  # agree, carried, total
    misses: dict[tuple[str, str], list[str]] = {}
    table_only_pages = {"html": 0, "raw": 0}
    unshowable = {"html": 0, "raw": 0}
    n = 0
    with_header = {"html": [0, 0], "raw": [0, 0]}  # pages whose reader text holds one
    header_ids = [0, 0]  # raw pages carrying a transmission header: id agrees, pages
    rebuilt = [0, 0]  # of those, ids rebuilt from the header: agree, rebuilt
    t0 = time.perf_counter()
    for doc in iter_documents([args.archive]):
        if not doc.member.endswith(".html"):
            continue
        page = doc.data.decode("utf-8", errors="replace")
        n += 1
        tr = truth(page)
        text = raw_text(page).upper()
        # A caveat the table shows but the text nowhere carries (the site derived it) is
        # not something a parser of the text can agree with: such pages are counted apart.
        carried_cav = {"NOFORN"} if ("NOFORN" in text or "NF)" in text) else set()
        if any(w in text for w in ("SENSITIVE", "SBU", "FOUO", "OFFICIAL USE")):
            carried_cav.add("FOUO")
        table_cav = set(tr["classification"].split("//")[1:])
        table_only = table_cav - carried_cav
        for mode, c in (("html", parse(page)), ("raw", parse(raw_text(page), hint="telegram"))):
            g = got(c)
            unshowable[mode] += unshowable_noforn(c)
            with_header[mode][1] += 1
            if holds_page_header(c):
                with_header[mode][0] += 1
                misses.setdefault((mode, "page header in reader text"), []).append(
                    doc.member.rsplit("/", 1)[-1]
                )
            if mode == "raw" and _DE_LINE.search(c.header or ""):
                # The table's id may be a damaged banner's reading the parser corrected:
                # it is then one of the cable's aliases, which resolve to it.
                ok = g["id"] == tr["id"] or tr["id"] in c.aliases
                header_ids[0] += ok
                header_ids[1] += 1
                if any(d.code == "id-from-header" for d in c.defects):
                    rebuilt[0] += ok
                    rebuilt[1] += 1
                if not ok:
                    misses.setdefault((mode, "id on header pages"), []).append(
                        f"{doc.member.rsplit('/', 1)[-1]}: table {tr['id']!r} vs parsed {g['id']!r}"
                    )
            for f in FIELDS:
                s = stats[mode][f]
                s[2] += 1
                if not g[f] or not tr[f]:
                    continue  # the text does not carry it, or the page has no ground truth
                if f == "classification" and table_only:
                    table_only_pages[mode] += 1
                    continue
                s[1] += 1
                if agree(f, tr[f], g[f]):
                    s[0] += 1
                else:
                    misses.setdefault((mode, f), []).append(
                        f"{doc.member.rsplit('/', 1)[-1]}: table {tr[f]!r} vs parsed {g[f]!r}"
                    )
    dt = time.perf_counter() - t0
    print(f"{n} dev pages, parsed twice each in {dt:.1f} s\n")
    print(
        f"{'mode':5} {'field':15} {'agree':>6} {'carried':>8} {'pages':>6} {'of carried':>11} {'of all':>8}"
    )
    for mode in ("html", "raw"):
        for f in FIELDS:
            a, c, t = stats[mode][f]
            print(
                f"{mode:5} {f:15} {a:6d} {c:8d} {t:6d} {100 * a / max(c, 1):10.2f}% {100 * a / max(t, 1):7.2f}%"
            )
    print(
        f"\nclassification: {table_only_pages['raw']} pages whose table shows a caveat "
        "(NOFORN, FOUO) that their text nowhere carries are left out of 'carried';"
        f"\n{unshowable['html']} (html) / {unshowable['raw']} (raw) parsed unclassified cables carry"
        " NOFORN, which none of the table's six values can show: compared without it"
    )
    for mode in ("html", "raw"):
        a, t = with_header[mode]
        print(
            f"{mode}: reader text holding a page header: {a} / {t} cables"
            f" ({100 * a / max(t, 1):.2f}%; target <= 0.2%)"
        )
    a, t = header_ids
    print(
        f"raw: id agreement on pages carrying a transmission header: {a} / {t}"
        f" ({100 * a / max(t, 1):.2f}%; target >= 99.7%)"
    )
    a, t = rebuilt
    print(f"raw: ids rebuilt from the header (no banner serial): {a} of {t} agree with the table")
    for (mode, f), rows in sorted(misses.items()):
        print(f"\n## {mode} {f}: {len(rows)} disagreements")
        for r in rows[: args.list]:
            print("  " + r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
