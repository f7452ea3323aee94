"""Resolution inside one cable: short forms join the full name their cable gives (by
title, then by the person the cable speaks of most), initials a cable defines name their
person or organisation, titles used alone join the one person holding them."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from cablegram.enrich import lexicon as lx
from cablegram.enrich.mentions import KINDS, Candidate, Mention
from cablegram.enrich.patterns import entity_key


def _person_initials(
    defs: list[tuple[int, int, int, str]], chosen: list[Candidate], *, nicknames: bool = False
) -> dict[str, str]:
    """Acronyms a cable defines for a person: ``Ahmed Wali Karzai (AWK)`` -> {AWK: name};
    with ``nicknames``, the nickname in brackets after a full name: ``Carlos Mario Jimenez
    ("Macaco")``, ``Diego Murillo's (Don Berna)`` (not a place, not an English word)."""
    out: dict[str, str] = {}
    for seq, start, _end, acr in defs:
        near = 5 if nicknames else 2  # "Murillo's (Don Berna)"
        before = [x for x in chosen if x.seq == seq and x.end <= start and start - x.end <= near]
        if not before:
            continue
        x = max(before, key=lambda x: x.end)
        if x.kind != "person" or " " not in x.name:
            continue
        if nicknames:
            words = acr.split()
            if (acr in lx.place_names() or acr in x.name
                    or any(_english(w.lower()) for w in words[-1:])):  # fmt: skip
                continue
            out[acr] = x.name
        elif acr.isupper() and acr in (lx.initials(x.name), lx.initials(x.name.replace("-", " "))):
            out[acr] = x.name
    return out


def _english(low: str) -> bool:
    from cablegram.enrich.truecase import _is_english

    return _is_english(low)


def _definitions(
    defs: list[tuple[int, int, int, str]], chosen: list[Candidate]
) -> list[tuple[str, str, str]]:
    """``Office of Defense Cooperation (ODC)``: link the acronym's key to the name's."""
    links: list[tuple[str, str, str]] = []
    by_seq: dict[int, list[Candidate]] = defaultdict(list)
    for x in chosen:
        by_seq[x.seq].append(x)
    for seq, start, _end, acr in defs:
        before = [x for x in by_seq[seq] if x.end <= start and start - x.end <= 2]
        if not before:
            continue
        x = max(before, key=lambda x: x.end)
        if x.kind not in ("org", "place") or " " not in x.name:
            continue
        if lx.initials(x.name).replace("&", "")[: len(acr)] != acr.upper().replace(
            "&", ""
        ) and not (acr[0].upper() == x.name[0].upper() and len(acr) >= 2):
            continue
        a, b = entity_key(x.kind, acr), entity_key(x.kind, x.name)
        if a and b and a != b:
            links.append((x.kind, a, b))
    return list(dict.fromkeys(links))


# --- resolution inside one cable --------------------------------------------------------


def _resolve_cable(mentions: list[Mention]) -> None:
    """Give each mention its key and display name: short forms join the one full name
    they can belong to; titles used alone join the one person holding that title."""
    for m in mentions:
        if m.kind in KINDS and m.name:
            m.key = entity_key(m.kind, m.name)
    persons = [m for m in mentions if m.kind == "person" and m.key]
    names: dict[str, Counter[str]] = defaultdict(Counter)
    for m in persons:
        names[m.key][m.name] += 1
    keys = list(names)
    full = [k for k in keys if " " in k]

    def contains(short: list[str], long: list[str]) -> bool:
        if len(short) >= len(long):
            return False
        if long[-len(short) :] == short:
            return True
        if len(short) == 1:
            # A given name, or a family name written first ("Kim" of "Kim Jong-il") or
            # before a second surname ("Garcia" of "Daniel Garcia Pena").
            return short[0] in long[:-1] and len(short[0]) > 2
        return short[0] == long[0] and short[-1] == long[-1]

    # Each full name's titles and weight in the cable (mentions, first position).
    titles: dict[str, set[str]] = defaultdict(set)
    weight: Counter[str] = Counter()
    first: dict[str, int] = {}
    for i, m in enumerate(persons):
        if m.title:
            titles[m.key].update(_title_norm(m.title).split())
        weight[m.key] += 1
        first.setdefault(m.key, i)
    maximal_of: dict[str, list[str]] = {}
    for k in keys:
        toks = k.split()
        cands = [f for f in full if contains(toks, f.split())]
        # Keep only the longest forms: "abiyev" in "safar abiyev" and "s abiyev"? -> longest.
        maximal_of[k] = [
            f for f in cands if not any(g != f and contains(f.split(), g.split()) for g in cands)
        ]

    def fitting(m: Mention) -> list[str]:
        fits = maximal_of.get(m.key) or []
        if m.title:
            # "President Bush" is not "Laura Bush" (First Lady): a title sharing no word
            # with the titles the full name holds in this cable rules it out.
            words = set(_title_norm(m.title).split())
            same = [f for f in fits if words & titles[f]]
            fits = same or [f for f in fits if not titles[f]]
        elif m.key in other_person:
            # "President Uribe" beside "former Senator Mario Uribe": the cable speaks of
            # another Uribe too, so a bare "Uribe" is not Mario for that reason alone
            # (the archive decides, by the title and date: db._in_context).
            fits = [f for f in fits if f not in other_person[m.key]]
        return fits

    # Short forms whose title rules out a full name they would fit: a second person of
    # that name is in the cable.
    other_person: dict[str, set[str]] = defaultdict(set)
    for m in persons:
        if m.title and " " not in m.key:
            fits = maximal_of.get(m.key) or []
            words = set(_title_norm(m.title).split())
            if fits and not any(words & titles[f] or not titles[f] for f in fits):
                other_person[m.key].update(fits)

    # Short forms that fit one full name (by their title, too) count for it when
    # weighing the ambiguous ones.
    resolved: dict[int, str] = {}
    for i, m in enumerate(persons):
        fits = fitting(m)
        if len(fits) == 1:
            resolved[i] = fits[0]
            weight[fits[0]] += 1
    for i, m in enumerate(persons):
        if i in resolved:
            m.key = resolved[i]
            continue
        fits = sorted(fitting(m), key=lambda f: (-weight[f], first[f]))
        # Several people share the short form ("Kim" with Kim Sung-hwan and Kim Jong-il):
        # the one the cable speaks of most; on a tie the archive decides (db.resolve).
        if len(fits) == 1 or len(fits) > 1 and weight[fits[0]] > weight[fits[1]]:
            m.key = fits[0]
    display = {k: _best_name(c) for k, c in names.items()}
    for m in persons:
        m.name = display.get(m.key, m.name)
    # Titles used alone.
    holders: dict[str, set[str]] = defaultdict(set)
    heads: dict[str, set[str]] = defaultdict(set)
    for m in persons:
        if m.title:
            t = _title_norm(m.title)
            holders[t].add(m.key)
            heads[t.split()[-1]].add(m.key)
    for m in mentions:
        if m.role != "title":
            continue
        t = _title_norm(m.title)
        who = holders.get(t) or (heads.get(t) if len(t.split()) == 1 else None) or set()
        if len(who) == 1:
            m.key = next(iter(who))
            m.name = display.get(m.key, m.key)


def title_head(t: str) -> str:
    """A title's head word, normalised: "EAP Assistant Secretary" -> "secretary",
    "Secretary of State" -> "secretary"."""
    words = _title_norm(t).split(" of ")[0].split()
    return words[-1] if words else ""


_TITLE_ABBR = {"a/s": "assistant secretary", "das": "deputy assistant secretary",
               "u/s": "under secretary", "d/s": "deputy secretary"}  # fmt: skip


def _title_norm(t: str) -> str:
    t = re.sub(r"(?i)\b[adu]/s\b", lambda m: _TITLE_ABBR[m.group().lower()], t)
    t = lx.norm(t)
    t = re.sub(r"\b(?:acting|former|the|then|visiting)\b", " ", t)
    repl = {"fm": "foreign minister", "pm": "prime minister", "amb": "ambassador",
            "gen": "general", "adm": "admiral", "defmin": "defense minister",
            "nsa": "national security adviser", "advisor": "adviser",
            "vfm": "vice foreign minister", "das": "deputy assistant secretary",
            "defence": "defense", "sen": "senator"}  # fmt: skip
    return " ".join(repl.get(w, w) for w in t.split())


def _best_name(c: Counter[str]) -> str:
    """The display form of a key: the most frequent, preferring mixed case."""
    return max(c.items(), key=lambda kv: (not kv[0].isupper(), kv[1], len(kv[0])))[0]
