"""Entity extraction from one cable: spaCy NER plus the rules cables need.

Input is a :class:`CableText` (the paragraphs, signer, classifying official and country
TAGS of a cable); output a :class:`CableEntities`: every mention of a person,
organisation or place with its offsets in the paragraph text, the redacted sources, the
acronym definitions, the cables cited in the text and the septel sentences.

How a paragraph is read:

1. An ALL-CAPS paragraph is case-restored first (``truecase``); offsets do not move.
2. Candidates come from rules (title + name, posts, government acronyms such as GOAJ,
   organisation acronyms, country names) and from the spaCy model. Where they overlap the
   rules win; a title before a name (``EUCOM Commander General``) is kept as the
   person's title and nothing inside it becomes an entity except known acronyms.
3. Jargon (``SEPTEL``, ``REFTEL``, ``EMBOFF``), classification banners and TAGS codes are
   dropped; ``XXXXXXXXXXXX`` redactions are kept as redacted sources, never as people.

Then, over the whole cable: one kind per name (a name the rules call a person is a
person everywhere in the cable), further occurrences of names already found, titles used
alone (``the Defense Minister``) when exactly one person in the cable holds that title,
and the joining of short forms to full ones (``Abiyev`` -> ``Safar Abiyev``).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from cablegram import reference
from cablegram.enrich import lexicon as lx
from cablegram.enrich.citations import _CITE, _citation, _septels
from cablegram.enrich.incable import (
    _definitions,
    _person_initials,
    _resolve_cable,
)
from cablegram.enrich.mentions import CableEntities, CableText, Candidate, Mention
from cablegram.enrich.patterns import (  # the rules' expressions and word tests
    _ACRONYM_TOKEN,
    _DEFINITION,
    _HYPHEN_LEFT,
    _HYPHEN_RIGHT,
    _INST_HEAD,
    _INST_SPLIT,
    _INSTITUTION,
    _KNOWN_ORGS_RE,
    _NAME_NEXT,
    _NOT_NAME,
    _OFFICE,
    _ORG_TAIL,
    _ORGISH,
    _PERSON_RULE,
    _POST,
    _REDACTED,
    _SPEECH,
    _STRIP,
    _THE_TITLE,
    _TITLE_BEFORE,
    _TITLE_HEAD,
    _TITLE_MOD,
    _US_POSTS,
    _alt,
    _common_word,
    _form,
    _form_known,
    _good_name,
    _is_english_word,
    _is_jargon,
    _title_words,
    clean_name,
    entity_key,
    smart_case,
)
from cablegram.enrich.truecase import is_upper_text, restore_case

__all__ = [
    "EXTRACTOR_VERSION",
    "CableEntities",
    "CableText",
    "Extractor",
    "Mention",
    "entity_key",
]

# Bump when rules, word lists or the casing table change: enrichment redoes every cable
# whose stored extractor version differs.
EXTRACTOR_VERSION = "2"


# --- where the model needs to look ------------------------------------------------------

WINDOW = 3  # words of context each side of a word that may start a name
REPEAT = 3  # occurrences of one such word in a cable that the model reads
_TOKEN = re.compile(r"\S+")
_COVERED: frozenset[str] | None = None


def _covered() -> frozenset[str]:
    """Capitalised words the rules handle alone: known places, acronyms, titles, months."""
    global _COVERED
    if _COVERED is None:
        from spacy.lang.en.stop_words import STOP_WORDS

        words = {n for n in lx.place_names() if " " not in n}
        words |= set(lx.FIXED_ORGS) | set(lx.org_acronyms())
        words |= {w.capitalize() for w in _title_words()} | {w.upper() for w in _title_words()}
        words |= {w.capitalize() for w in _NOT_NAME} | {"U.S.", "US", "I", "U.S", "UK", "EU", "UN"}
        words |= {w.upper() for w in lx.JARGON} | {w.capitalize() for w in lx.JARGON}
        words |= {w.capitalize() for w in STOP_WORDS}
        words |= set(lx.DEMONYMS)
        _COVERED = frozenset(words)
    return _COVERED


def name_windows(text: str, width: int = WINDOW, *, skip: Iterable[tuple[int, int]] = (),
                 known: Iterable[str] = (), seen: Counter[str] | None = None,
                 repeat: int = REPEAT) -> list[tuple[int, int]]:  # fmt: skip
    """Character spans of ``text`` around the words that may be (part of) a name the
    rules do not already know, ``width`` words each side, merged when they touch. Words in
    ``skip`` spans (found by the rules) and words in ``known`` (names found already) do not
    count; with ``seen`` (shared by a cable's paragraphs), a word counts only its first
    ``repeat`` times: the names it is part of are found again over the whole cable."""
    covered = _covered()
    known = set(known)
    mask = bytearray(len(text) + 1)
    for a, b in skip:
        mask[a:b] = b"\x01" * (b - a)
    toks = list(_TOKEN.finditer(text))
    spans: list[list[int]] = []
    for i, t in enumerate(toks):
        if mask[t.start()]:
            continue
        w = t.group().strip(_QUOTES)
        if w.endswith(("'s", "\u2019s")):
            w = w[:-2]
        if not w or (not w[0].isupper() and not _PARTICLE_NAME.match(w)):
            continue
        if w in covered or w in known or _REDACTED.fullmatch(w):
            continue
        if seen is not None:
            seen[w] += 1
            if seen[w] > repeat:
                continue
        a, b = max(0, i - width), min(len(toks) - 1, i + width)
        if spans and a <= spans[-1][1] + 1:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    return [(toks[a].start(), toks[b].end()) for a, b in spans]


_QUOTES = ".,;:()[]\"'\u2018\u2019\u201c\u201d"
_PARTICLE_NAME = re.compile(r"(?:al|el|bin|de|van|von)[-\s]?[A-Z]")


# --- the extractor ----------------------------------------------------------------------


class Extractor:
    """Extract entities from cables, batching paragraphs through ``nlp.pipe``."""

    def __init__(self, nlp: Any = None, *, batch_size: int = 64) -> None:
        if nlp is None:
            from cablegram.enrich.nlp import load_nlp

            nlp = load_nlp()
        self.nlp = nlp
        self.batch_size = batch_size

    # -- public -----------------------------------------------------------------------
    def extract(self, cables: Iterable[CableText]) -> Iterator[CableEntities]:
        """Entities of each cable, in input order."""
        cables = list(cables)
        paras: list[list[list[Any]]] = []  # per cable: [seq, orig, work, rule cands, reds, ents]
        pieces: list[tuple[int, int, int, str]] = []  # (cable, paragraph, offset, text)
        for ci, c in enumerate(cables):
            countries = [n for n in c.countries if n]
            rows: list[list[Any]] = []
            for seq, text in c.paragraphs:
                work = restore_case(text) if is_upper_text(text) else text
                cands, reds = self._rules(seq, text, work, countries)
                rows.append([seq, text, work, cands, reds, []])
            # The model reads only windows around words that may start a name the rules did
            # not find: its context is a few words wide, and elsewhere it has nothing to add.
            known = {w for r in rows for x in r[3] if x.kind == "person" for w in x.name.split()}
            seen: Counter[str] = Counter()
            for pi, r in enumerate(rows):
                spans = [(x.start, x.end) for x in r[3] if x.kind != "title"]
                for a, b in name_windows(r[2], skip=spans, known=known, seen=seen):
                    pieces.append((ci, pi, a, r[2][a:b]))
            paras.append(rows)
        docs = self.nlp.pipe((p[3] for p in pieces), batch_size=self.batch_size)
        for (ci, pi, a, _), doc in zip(pieces, docs, strict=True):
            paras[ci][pi][5].extend((a + e.start_char, a + e.end_char, e.label_) for e in doc.ents)
        for c, rows in zip(cables, paras, strict=True):
            yield self._cable(c, rows)

    def extract_one(self, cable: CableText) -> CableEntities:
        return next(self.extract([cable]))

    # -- one cable --------------------------------------------------------------------
    def _cable(self, c: CableText, rows: list[list[Any]]) -> CableEntities:
        out = CableEntities(c.id)
        chosen: list[Candidate] = []
        redacted: list[Mention] = []
        defs: list[tuple[int, int, int, str]] = []  # (seq, start of '(', end, acronym)
        nicks: list[tuple[int, int, int, str]] = []  # (seq, start of '(', end, nickname)
        paras = [(seq, orig, work, ents) for seq, orig, work, _, _, ents in rows]
        for seq, orig, work, rule_cands, reds, ents in rows:
            cands = self._model(seq, orig, work, ents, rule_cands)
            redacted.extend(reds)
            chosen.extend(_select(cands))
            for m in _DEFINITION.finditer(work):
                defs.append((seq, m.start(), m.end(), m["acr"]))
            for m in _NICKNAME.finditer(work):
                nicks.append((seq, m.start(), m.end(), m["q"] or m["u"]))
            for m in _CITE.finditer(orig.upper() if not is_upper_text(orig) else orig):
                cid = _citation(m, c.year)
                if cid and cid != c.id:
                    out.citations.append((cid, seq, m.group()))
        titles = [x for x in chosen if x.kind == "title"]
        chosen = [x for x in chosen if x.kind != "title"]
        initials = _person_initials(defs, chosen)
        initials.update(_person_initials(nicks, chosen, nicknames=True))
        chosen = self._consistent(chosen, paras, initials)
        mentions = [Mention(x.kind, x.name, x.text, x.seq, x.start, x.end, x.title) for x in chosen]
        mentions += self._header_people(c)
        mentions += [
            Mention("person", "", x.text, x.seq, x.start, x.end, x.title, "title") for x in titles
        ]
        _resolve_cable(mentions)
        out.links = _definitions(defs, chosen)
        out.mentions = sorted(
            [m for m in mentions if m.key] + redacted,
            key=lambda m: (m.seq if m.seq is not None else 1 << 30, m.start, m.end),
        )
        out.septels = _septels(paras, out.mentions)
        return out

    def _rules(self, seq: int, orig: str, work: str, countries: list[str]
               ) -> tuple[list[Candidate], list[Mention]]:  # fmt: skip
        cands: list[Candidate] = []
        reds: list[Mention] = []
        for m in _REDACTED.finditer(orig):
            title = ""
            before = work[max(0, m.start() - 60) : m.start()]
            tm = _TITLE_BEFORE.search(before)
            if tm:
                title = " ".join(tm.group(1).split())
            reds.append(
                Mention("redacted", "", m.group(), seq, m.start(), m.end(), title, "redacted")
            )
            cands.append(Candidate(m.start(), m.end(), "block", "", 1000, seq=seq))
        # Title + name: the (slow) rule runs only around title words.
        for m in _person_matches(work):
            name, ns, ne = _trim_name(work, m.start("name"), m.end("name"))
            if not name:
                continue
            title = " ".join(m["title"].split())
            if title.lower() in ("may", "will") or _is_jargon(name) or _common_word(name):
                continue
            if title.endswith(".") and len(title.split()[-1]) > 5:
                continue  # "... to damage the president. Castillo claimed": a sentence end
            rn = _REGNAL.match(work, ne)
            if rn:  # "King Abdullah II" is not any Abdullah
                name, ne = f"{name} {rn.group(1)}", rn.end()
            if name.lower() in lx.TITLE_OF_WORDS or name in lx.NOT_ENTITIES:
                continue  # "president of the Assembly"
            cands.append(Candidate(ns, ne, "person", name, 100, title, seq))
            cands.append(Candidate(m.start("title"), m.end("title"), "block", "", 50, seq=seq))
        # Titles used alone ("the Defense Minister"): resolved over the cable later.
        for m in _THE_TITLE.finditer(work):
            title = " ".join(m["title"].split())
            cands.append(Candidate(m.start(), m.end(), "title", "", 60, title, seq))
        # US posts: Embassy Baku, AmEmbassy Ankara, USNATO.
        for m in _POST.finditer(work):
            before = work[max(0, m.start() - 12) : m.start()]
            if re.search(
                r"(?:[A-Z][a-z]+(?:ish|ian|an|ese|i|ch)|\b(?:UK|EU|UN|GO[A-Z]{1,3}))\s+$", before
            ):
                continue  # the British Embassy: not a US post
            city = m["city"]
            code = reference.origin_code(f"AMEMBASSY {city.upper()}") or reference.canonical_origin(
                city.upper().replace(" ", "")
            )
            post = reference.post_name(code) if code else ""
            if post:
                end = m.start("city") + len(city)
                cands.append(Candidate(m.start(), end, "org", post, 90, seq=seq))
        for m in _US_POSTS.finditer(work):
            post = reference.post_name(m.group().replace(" ", "")) or m.group()
            cands.append(Candidate(m.start(), m.end(), "org", post, 90, seq=seq))
        # Acronyms: GOAJ, USG, NATO...
        acronyms = lx.org_acronyms()
        for m in _ACRONYM_TOKEN.finditer(work):
            tok = m.group()
            up = tok.upper()
            name = ""
            if up in lx.FIXED_ORGS:
                name = lx.FIXED_ORGS[up]
            elif re.fullmatch(r"GO[A-Z]{1,3}", up) and (tok.isupper() or tok[:2] == "Go"):
                name = _government(up[2:], countries) or up
                if up in ("GOT", "GOD", "GOOD"):
                    name = name if tok == up and name != up else ""
            elif (
                up in acronyms
                and tok.isupper()
                and up not in lx.subject_tags()
                and up not in lx.NOT_ORGS
            ):
                name = up
            if name:
                cands.append(Candidate(m.start(), m.end(), "org", name, 80, seq=seq))
        # Place names: countries, post cities, regions.
        for pm in _place_matches(work):
            if _ORG_TAIL.match(work, pm.end()):
                continue  # "Minsk Group", "Baku Stock Exchange": the model's organisation
            canon = lx.place_canon().get(lx.norm(pm.group()), pm.group())
            cands.append(Candidate(pm.start(), pm.end(), "place", canon, 70, seq=seq))
            # Hyphenated neighbours: Baku-Tbilisi-Ceyhan, Turkey-Armenia.
            for rx, at in ((_HYPHEN_RIGHT, pm.end()), (_HYPHEN_LEFT, pm.start())):
                while True:
                    h = (
                        rx.match(work, at)
                        if rx is _HYPHEN_RIGHT
                        else rx.search(work, max(0, at - 40), at)
                    )
                    if not h or h.group(1) in lx.DEMONYMS or h.group(1) in lx.NOT_ENTITIES:
                        break
                    name = lx.place_canon().get(lx.norm(h.group(1)), h.group(1))
                    cands.append(Candidate(h.start(1), h.end(1), "place", name, 65, seq=seq))
                    at = h.end() if rx is _HYPHEN_RIGHT else h.start()
        # Institutions named in capitals: "Ministry of Foreign Affairs", "Finance Ministry",
        # "Council of Ministers", "Supreme National Security Council".
        upper = is_upper_text(orig)
        for m in _INSTITUTION.finditer(work):
            pieces = [(m.start(), m.group())]
            # "Finance Ministry and Central Bank", "Commission of the National Electoral
            # Council": two institutions.
            sp = _INST_SPLIT.search(m.group()) or _INST_AND.search(m.group())
            if sp:
                a, b = sp.span("sep") if "sep" in sp.re.groupindex else sp.span()
                pieces = [(m.start(), m.group()[:a]), (m.start() + b, m.group()[b:])]
            for start, text in pieces:
                first = text.split(" ", 1)[0]
                # A capitalised common word starts a sentence in mixed-case text; in
                # restored ALL-CAPS text the casing pass has decided already. A
                # nationality stays before a government, embassy or army ("Israeli
                # Government", "British Embassy") and goes elsewhere.
                while " " in text and (
                    (
                        _common_word(first, 0.2)
                        and not upper
                        and _SENTENCE_START.search(work, max(0, start - 4), start)
                    )
                    or (first in lx.DEMONYMS and not _NATIONAL_HEAD.search(text))
                    or first.lower() in ("the", "a", "an", "ngo", "ngos")
                    or first.upper() in lx.FIXED_ORGS
                    or re.fullmatch(r"G[Oo][A-Z]{1,3}", first)
                    or (first.endswith("ing") and _is_english_word(first.lower()))
                ):
                    cut = text.index(" ") + 1
                    start += cut
                    text = text[cut:]
                    first = text.split(" ", 1)[0]
                if _UNIT.search(text):  # "42nd Parachute Brigade", "112 Mechanized ..."
                    o = _ORDINAL_BEFORE.search(work, max(0, start - 8), start)
                    if o:
                        text = work[o.start() : start + len(text)]
                        start = o.start()
                if " " in text and not _is_jargon(text):
                    # Above a place it contains ("University of Bahrain", "Colombia-Venezuela
                    # Border Commission"), below acronyms, posts and people.
                    cands.append(
                        Candidate(start, start + len(text), "org", clean_name(text), 72, seq=seq)
                    )
        # Organisations named inside a title ("Chief of National Police", "EGIS Director",
        # "Colombian Army Second Division Commander") are organisations all the same.
        blocks = [(c.start, c.end) for c in cands if c.kind == "block" and c.prio == 50]
        if blocks:
            for c in cands:
                if (
                    c.kind == "org"
                    and c.prio in (10, 72)
                    and any(a <= c.start and c.end <= b for a, b in blocks)
                ):
                    c.prio = max(c.prio, 55)
            if not upper:
                for a, b in blocks:
                    for m in _ACRONYM_IN_TITLE.finditer(work, a, b):
                        w = m.group()
                        if (w.lower() in _title_words() or _is_jargon(w) or w in lx.FIXED_ORGS
                                or w in lx.countries() or w in lx.NOT_ORGS
                                or w in lx.subject_tags() or re.fullmatch(r"GO[A-Z]{1,3}", w)):  # fmt: skip
                            continue
                        cands.append(Candidate(m.start(), m.end(), "org", w, 55, seq=seq))
        # State Department offices: INR/B.
        for m in _OFFICE.finditer(work):
            cands.append(Candidate(m.start(), m.end(), "org", m.group(), 85, seq=seq))
        # Organisations the model does not know well.
        for m in _KNOWN_ORGS_RE.finditer(work):
            cands.append(
                Candidate(m.start(), m.end(), "org", lx.KNOWN_ORGS[m.group()], 75, seq=seq)
            )
        for c in cands:
            c.text = orig[c.start : c.end]
        return cands, reds

    def _model(self, seq: int, orig: str, work: str, ents: list[tuple[int, int, str]],
               rules: list[Candidate]) -> list[Candidate]:  # fmt: skip
        """The rule candidates of a paragraph with the model's added."""
        persons = [(a, b) for a, b, lab in ents if lab == "PERSON"]
        cands = [
            c for c in rules
            # "Santiago Mourao": a person whose first name is a city.
            if not (c.prio == 70 and any(a <= c.start and c.end < b for a, b in persons)
                    and _NAME_NEXT.match(work, c.end))
        ]  # fmt: skip
        acr = [c for c in cands if c.prio == 80]
        upper = is_upper_text(orig)
        for ent in ents:
            for c in _from_spacy(ent, work):
                if upper and c.kind == "org" and " " not in c.name and not c.name.isupper():
                    continue  # restored ALL-CAPS: a lone name the model calls an organisation
                c.seq = seq
                c.text = orig[c.start : c.end]
                if c.kind == "org":
                    _around_acronym(c, acr, work)
                    c.text = orig[c.start : c.end]
                cands.append(c)
        return cands

    def _consistent(
        self, chosen: list[Candidate], paras: list[tuple[int, str, str, Any]],
        initials: dict[str, str] | None = None,
    ) -> list[Candidate]:  # fmt: skip
        """One kind per name in a cable; find further occurrences of the names found.

        ``initials``: acronyms the cable defines for a person ("Ahmed Wali Karzai (AWK)"),
        which name that person wherever they occur in the cable."""
        initials = initials or {}
        votes: dict[str, Counter[str]] = defaultdict(Counter)
        works = {seq: work for seq, _, work, _ in paras}
        # The surname of a person the cable names in full is that person wherever it
        # stands alone ("Mashabane" after "Maite Nkoana-Mashabane", "Uribe" after "Alvaro
        # Uribe"), whatever the model called it there; not a country or a post city.
        # A titled one-word name ("President Uribe") is one too, and so is the given name of
        # a full name when it is no English word ("Nawaz" after "Nawaz Sharif").
        surnames: dict[str, Candidate] = {}
        for x in chosen:
            words = x.name.split()
            if x.kind != "person" or x.prio < 10 or (len(words) == 1 and x.prio < 100):
                continue
            last = words[-1]
            parts = {last, *(last.split("-")[1:] if "-" in last else ())}
            if len(words) > 1 and len(words[0]) >= 4 and not _is_english_word(words[0].lower()):
                parts.add(words[0])
            for part in parts:
                if len(part) >= 3 and part not in lx.place_names() and not _common_word(part):
                    surnames.setdefault(part, x)
        for x in chosen:
            if x.name in initials:
                x.kind, x.name = "person", initials[x.name]
            votes[lx.norm(x.name)][x.kind] += x.prio
            if (x.prio < 70 and x.kind != "person"
                    and (_SPEECH.match(works[x.seq], x.end) or _AS_TITLE.match(works[x.seq], x.end))
                    and not (set(lx.norm(x.name).split()) & _ORGISH) and not x.name.isupper()):  # fmt: skip
                votes[lx.norm(x.name)]["person"] += 30  # "Hamikus said"
            if x.kind == "person" and x.prio >= 100 and " " in x.name:
                # The surname of a titled person: "Abiyev" is a person in this cable.
                votes[lx.norm(x.name.split()[-1])]["person"] += x.prio
        best = {k: v.most_common(1)[0][0] for k, v in votes.items()}
        for k in {lx.norm(w) for w in surnames} & best.keys():
            best[k] = "person"
        for x in chosen:
            x.kind = best[lx.norm(x.name)]
            if x.kind == "place" and x.prio < 70:
                x.name = lx.place_canon().get(lx.norm(x.name), x.name)
        # Names worth looking for again: persons, and anything at least 4 letters long.
        names: dict[str, Candidate] = {}
        for x in chosen:
            surface = clean_name(x.text) if x.kind == "person" else ""
            for s in {x.name, surface}:
                if (
                    s
                    and len(s) >= (3 if x.kind == "person" else 4)
                    and s[0].isupper()
                    and " " not in s.strip()
                    or (s and len(s) >= 6 and s[0].isupper())
                ):
                    names.setdefault(s, x)
        # Initials and nicknames the cable defines for a person are looked for too.
        people = {x.name: x for x in chosen if x.kind == "person"}
        for short, full in initials.items():
            if full in people and len(short) >= 2:
                names.setdefault(short, people[full])
        for w, x in surnames.items():
            names.setdefault(w, x)
            if x.text.isupper():  # ALL-CAPS text is matched as written
                names.setdefault(w.upper(), x)
        if not names:
            return chosen
        rx = re.compile(r"(?<![\w-])(?:" + _alt(re.escape(n) for n in names) + r")(?![\w-])")
        taken: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for x in chosen:
            taken[x.seq].append((x.start, x.end))
        extra: list[Candidate] = []
        for seq, orig, work, _ in paras:
            spans = sorted(taken[seq])
            for m in rx.finditer(work):
                if any(a < m.end() and m.start() < b for a, b in spans):
                    continue
                src = names[m.group()]
                name = src.name if m.group() in (src.name,) else clean_name(m.group())
                name = initials.get(m.group(), name)
                extra.append(
                    Candidate(
                        m.start(), m.end(), src.kind, name, 5, "", seq, orig[m.start() : m.end()]
                    )
                )
                spans.append((m.start(), m.end()))
        return chosen + extra

    def _header_people(self, c: CableText) -> list[Mention]:
        out: list[Mention] = []
        name, title = c.classified_by
        if name:
            n, t = split_official(name, title)
            if n:
                out.append(Mention("person", n, name, None, title=t, role="classifier"))
        s = (c.signer or "").strip()
        if s and not _REDACTED.search(s) and re.search(r"[A-Za-z]{3}", s) and not _is_jargon(s):
            out.append(Mention("person", smart_case(clean_name(s)), s, None, role="signer"))
        # The signer left at the end of the last paragraph ("... End comment. DUDDY").
        elif c.paragraphs:
            seq, text = c.paragraphs[-1]
            tail = re.sub(r"[=*\s]*(?:CABLE ENDS)?[=*\s]*$", "", text)
            m = re.search(r"[.!?\"')]\s+([A-Z][A-Za-z'\-]{2,})\s*$", tail)
            if m and not _is_jargon(m.group(1)) and m.group(1).lower() not in _NOT_NAME:
                w = m.group(1)
                if w.isupper() or _form(w.lower()) in (w, ""):
                    out.append(
                        Mention(
                            "person", smart_case(w), w, seq, m.start(1), m.end(1), role="signer"
                        )
                    )
        return out


_HEAD_WORDS: frozenset[str] | None = None
_WORDS_RE = re.compile(r"[A-Za-z][A-Za-z'/\-]*")


def _person_matches(work: str) -> list[re.Match[str]]:
    """``_PERSON_RULE`` matches, searched only in stretches around title words."""
    global _HEAD_WORDS
    if _HEAD_WORDS is None:
        heads: set[str] = set()
        for t in lx.TITLE_HEADS:
            heads.update(w.lower() for w in re.split(r"[_\s\-]+", t) if w)
            heads.add(t.replace("_", " ").lower())
        _HEAD_WORDS = frozenset(heads)
    regions: list[list[int]] = []
    for m in _WORDS_RE.finditer(work):
        w = m.group().lower()
        if w in _HEAD_WORDS or w.split("-")[-1] in _HEAD_WORDS or w.rstrip(".") in _HEAD_WORDS:
            a, b = max(0, m.start() - 80), min(len(work), m.end() + 90)
            if regions and a <= regions[-1][1]:
                regions[-1][1] = b
            else:
                regions.append([a, b])
    out: list[re.Match[str]] = []
    last = -1
    for a, b in regions:
        # Start at a word boundary so no match begins inside a word.
        while a > 0 and not work[a - 1].isspace():
            a -= 1
        for m in _PERSON_RULE.finditer(work, a, b):
            if m.start() >= last:
                out.append(m)
                last = m.end()
    return out


_PLACE_INDEX: dict[str, list[str]] | None = None
_CAP_RE = re.compile(r"(?<![\w.])[A-Z][A-Za-z.'\-]*")
_SPECIAL_PLACES = re.compile(
    r"U\.S\.A?(?=[\s,;:)'\u2019-])|USA(?!\w)|US(?=[\s-]+[A-Z]|-)|UK(?!\w)|U\.K\.|DPRK(?!\w)|PRC(?!\w)|"
    r"UAE(?!\w)|ROK(?!\w)|USSR(?!\w)"
)


_FIRST_SPLIT = re.compile(r"[\s\-'\u2019.,]")


class _Match:
    """A light match object for gazetteer hits (start, end, group)."""

    __slots__ = ("_s", "_e", "_t")

    def __init__(self, s: int, e: int, t: str) -> None:
        self._s, self._e, self._t = s, e, t

    def start(self) -> int:
        return self._s

    def end(self) -> int:
        return self._e

    def group(self) -> str:
        return self._t


def _place_matches(work: str) -> list[_Match]:
    """Gazetteer places in ``work``, longest first at each capitalised word."""
    global _PLACE_INDEX
    if _PLACE_INDEX is None:
        idx: dict[str, list[str]] = defaultdict(list)
        for n in lx.place_names():
            idx[_FIRST_SPLIT.split(n, maxsplit=1)[0]].append(n)
        _PLACE_INDEX = {k: sorted(v, key=len, reverse=True) for k, v in idx.items()}
    out: list[_Match] = []
    end = 0
    for m in _CAP_RE.finditer(work):
        if m.start() < end:
            continue
        s = m.start()
        sp = _SPECIAL_PLACES.match(work, s)
        if sp:
            out.append(_Match(s, sp.end(), sp.group()))
            end = sp.end()
            continue
        first = _FIRST_SPLIT.split(m.group(), maxsplit=1)[0]
        for name in _PLACE_INDEX.get(first, ()):
            e = s + len(name)
            if work.startswith(name, s) and (e == len(work) or not work[e].isalnum()):
                out.append(_Match(s, e, name))
                end = e
                break
    return out


def _around_acronym(c: Candidate, acr: list[Candidate], work: str) -> None:
    """A model organisation that starts with a known acronym: "EU Council" stays whole (it
    outranks the acronym), "GoH Ministry of Foreign Affairs" loses the acronym."""
    for a in acr:
        if a.start == c.start and a.end < c.end:
            rest = clean_name(work[a.end : c.end])
            if " " not in rest:
                c.prio = 85
            elif _good_name(rest, "org"):
                c.start = a.end + (len(work[a.end : c.end]) - len(work[a.end : c.end].lstrip()))
                c.name = rest
            return


def _trim_name(work: str, s: int, e: int) -> tuple[str, int, int]:
    """Cut words off a rule-matched name that are not part of it."""
    toks = list(re.finditer(r"\S+", work[s:e]))
    keep: list[re.Match[str]] = []
    for t in toks:
        w = t.group().strip(".,")
        lw = w.lower()
        if lw in _NOT_NAME or (lw in _title_words() and not keep):
            break
        if keep and lw in _title_words() and lw not in ("mac",):
            break
        if keep and _form(lw).islower() and len(w) > 3 and lw not in lx.PARTICLES:
            break  # a common word capitalised (a heading, a sentence start)
        keep.append(t)
    while keep and keep[-1].group().lower().strip(".") in lx.PARTICLES:
        keep.pop()
    if not keep:
        return "", s, e
    ns, ne = s + keep[0].start(), s + keep[-1].end()
    name = clean_name(work[ns:ne])
    if not name or not name[0].isupper():
        return "", s, e
    ne = ns + len(work[ns:ne].rstrip(_STRIP))
    return name, ns, ne


def _from_spacy(ent: tuple[int, int, str], work: str) -> list[Candidate]:
    s, e, label = ent
    if label == "PERSON":
        kind = "person"
    elif label == "ORG":
        kind = "org"
    elif label in ("GPE", "LOC", "FAC"):
        kind = "place"
    elif label in ("WORK_OF_ART", "PRODUCT") and _looks_personal(work[s:e].strip(_STRIP)):
        kind = "person"  # the small model's "Salam Fayyad" (WORK_OF_ART)
    else:
        return []
    parts = _compound_places(work, s, e)
    if parts:
        return parts
    # One span, several names: "Saoul and Jones", "Foreign Ministry's Disarmament
    # Division", "Rehabilitation, Government of Tamil Nadu".
    seps = r",\s+|(?:'s|\u2019s)\s+(?=[A-Z])|\s+-+\s+" + (r"|\s+and\s+" if kind == "person" else "")
    out: list[Candidate] = []
    at = s
    for m in list(re.finditer(seps, work[s:e])) + [None]:
        end = s + m.start() if m else e
        c = _one_spacy(at, end, kind, work)
        if c is not None:
            out.append(c)
        if m:
            at = s + m.end()
    return out


# A nickname a cable gives a person: 'Carlos Mario Jimenez ("Macaco")', 'Diego Murillo's
# (Don Berna)' (quoted, or two capitalised words).
_NICKNAME = re.compile(
    r"\(\s*(?:[\"\u201c]+(?P<q>[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)[\"\u201d]+|"
    r"(?P<u>[A-Z][a-z]+\s[A-Z][a-z]+))\s*\)"
)
_REGNAL = re.compile(r"\s+(II|III|IV|VI{0,3}|IX|XI{0,3})(?![\w'\u2019-])")
# "... of Salam Fayyad as Prime Minister": a person.
_AS_TITLE = re.compile(
    rf"\s+as\s+(?:the\s+)?(?:(?:new|acting|interim|next)\s+)?(?i:(?:{_TITLE_MOD}\s+)?{_TITLE_HEAD})"
)
_INITIALS = re.compile(r"(?:[A-Z]\.){2,3},?")  # "A.Q.", not a list letter "H."
_NATIONAL_HEAD = re.compile(r"^\S+\s+(?:\S+\s+)?(?:Government|Embassy|Army|Police|Navy)\b")
_INST_AND = re.compile(rf"(?<![\w-]){_INST_HEAD}(?P<sep>\s+and\s+)(?=[A-Z])")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"\u201c(]\s*|\n\s*|--\s*)$")
_ACRONYM_IN_TITLE = re.compile(r"(?<![\w/\-])[A-Z]{2,6}(?![\w/\-])")
_EVENT_TAIL = re.compile(
    r"(?i)\s+(?:summit|conference|meeting|talks|agreement|treaty|accords?|declaration|"
    r"initiative|process|ministerial|plenary|elections?|visit)$"
)
_UNIT = re.compile(
    r"(?i)\b(?:brigade|battalion|division|regiment|corps|fleet|squadron|wing|army)\b"
)
_ORDINAL_BEFORE = re.compile(r"(?:\b\d+(?:st|nd|rd|th)?|\b[IVX]{1,4})\s+$")


def _one_spacy(s: int, e: int, kind: str, work: str) -> Candidate | None:
    text = work[s:e]
    title = ""
    # Leading "the", titles (for persons), trailing possessives and punctuation.
    m = re.match(r"(?i)the\s+", text)
    if m:
        s += m.end()
        text = work[s:e]
    if kind == "person":
        words = list(re.finditer(r"\S+", text))
        cut = 0
        for wm in words[:-1]:
            lw = wm.group().lower().strip(".,")
            if (
                lw in _title_words()
                or lw in lx.JARGON
                or (
                    wm.group().isupper()
                    and len(wm.group()) > 1
                    and lw not in lx.PARTICLES
                    and not _INITIALS.fullmatch(wm.group())
                )  # "A.Q. Khan": initials
            ):
                cut = wm.end()
            else:
                break
        if cut:
            title = " ".join(text[:cut].split())
            s += len(text[:cut]) + (len(text[cut:]) - len(text[cut:].lstrip()))
            text = work[s:e]
    if kind == "org":
        # A sentence-initial verb or a generic word before the name: "Echoing Icelandic
        # Central Bank", "NGO Sea Shepherd".
        while True:
            m = re.match(r"(\S+)\s+(?=\S)", text)
            if not m:
                break
            w = m.group(1)
            if (
                w.upper() in ("NGO", "NGOS")
                or (_common_word(w, 0.2) and w.lower() not in ("national", "central"))
                or (
                    w.endswith("ing")
                    and w.lower() not in _form_known()
                    and _is_english_word(w.lower())
                )
            ):
                s += m.end()
                text = work[s:e]
            else:
                break
        # "Minsk Group Co-chair": the title word is not part of the organisation.
        m = re.search(r"(?i)\s+(?:co-chairs?|chairman|spokesman|officials?|delegation)$", text)
        if m:
            e = s + m.start()
            text = work[s:e]
        m = _EVENT_TAIL.search(text)
        if m:
            e = s + m.start()
            text = work[s:e]
            if text in lx.place_names():
                kind = "place"
        if _UNIT.search(text):
            m = _ORDINAL_BEFORE.search(work, max(0, s - 8), s)
            if m:
                s = m.start()
                text = work[s:e]
    stripped = text.rstrip(_STRIP)
    stripped = re.sub(r"(?:'s|\u2019s)$", "", stripped).rstrip(_STRIP)
    e = s + len(stripped)
    lead = len(stripped) - len(stripped.lstrip(_STRIP))
    s += lead
    name = clean_name(work[s:e]).replace('"', "")
    if re.fullmatch(r"(?i)(?:refs?|paras?|paragraphs?|tab)\s+\w{1,3}", name):
        return None
    if not _good_name(name, kind):
        return None
    if kind == "person" and (name.lower() in _title_words() or _common_word(name, 0.2)):
        return None
    if kind == "person" and " " not in name and name.isupper():
        return None  # an acronym, not a person (ALL-CAPS text is case-restored first)
    if kind == "person" and name in lx.country_names():
        kind = "place"
    if kind == "place":
        name = lx.place_canon().get(lx.norm(name), name)
    if kind == "org" and name in lx.country_names():
        kind = "place"
    if name in lx.NOT_ORGS or name.upper() in lx.NOT_ORGS:
        return None
    if kind == "org":
        if _EVENT_WORD.fullmatch(name) or _is_jargon(name):
            return None  # "the Summit", "NL PREL" (TAGS)
        parts = re.split(r"[\s\-]+", name)
        if len(parts) > 1 and parts[-1].lower() in _title_words():
            return None  # "Cabinet Advisor": a title, not an organisation
        if all(w in lx.DEMONYMS for w in parts):
            return None  # "Lithuanian-French"
        if _PLACE_UNIT.search(name):
            kind = "place"  # "Apure Department"
        elif name.split()[0].lower() in _PLACE_FIRST and " " in name:
            kind = "place"  # "Rio de Oro", "Bab al Mandab"
        elif _looks_personal(name):
            kind = "person"  # "Eli Cara", "Peter de Gooijer": the model's organisation
    return Candidate(s, e, kind, name, 10, title)


_EVENT_WORD = re.compile(r"(?i)summit|conference|meeting|ministerial|plenary|talks")
_PLACE_UNIT = re.compile(r"\s(?:Department|Province|Governorate|Oblast|District|Municipality)$")


def _looks_personal(name: str) -> bool:
    """Two to four capitalised words that read as a person's name: none an organisation
    word, none an English word unless it is written capitalised in cables (a given name:
    ``Peter``), the last no English word, no place."""
    words = name.split()
    if not 2 <= len(words) <= 4 or name in lx.place_names():
        return False
    low = [w.lower() for w in words]
    if set(low) & _ORGISH or any(w.isupper() and len(w) > 1 for w in words if not name.isupper()):
        return False
    names = [w for w, lw in zip(words, low, strict=True) if lw not in lx.PARTICLES]
    if len(names) < 2 or low[0] in _PLACE_FIRST or "of" in low:
        return False  # "Rio de Oro", "Bab al Mandab"
    if any(w in lx.place_names() or w in lx.DEMONYMS or w.capitalize() in lx.DEMONYMS
           for w in names):  # fmt: skip
        return False
    for w in names:
        lw = w.lower()
        if not re.fullmatch(r"[A-Za-z\u00c0-\u00ff][a-z\u00e0-\u00ff'\-]+", w.capitalize()):
            return False
        if _is_english_word(lw) or lw in _INST_WORDS:
            e = _form_known().get(lw)
            if w is names[-1] or not e or not e[0][:1].isupper() or e[1] < 0.9:
                return False
    return True


_PLACE_FIRST = frozenset(
    [
        "rio",
        "bab",
        "norte",
        "sur",
        "puerto",
        "porto",
        "san",
        "santa",
        "santo",
        "sao",
        "port",
        "fort",
        "fuerte",
        "mount",
        "lake",
        "cape",
        "wadi",
        "jebel",
        "jabal",
        "ras",
        "sharm",
        "ciudad",
        "villa",
        "nueva",
        "nuevo",
        "bahia",
        "isla",
        "islas",
        "cerro",
        "lago",
        "monte",
    ]
)
_INST_WORDS = frozenset(_INST_HEAD.strip("(?:)").lower().split("|"))


def _compound_places(work: str, s: int, e: int) -> list[Candidate]:
    """``Baku-Tbilisi-Ceyhan`` (a pipeline): one place per part, when a part is a known place."""
    text = work[s:e]
    if "-" not in text or text in lx.place_names():
        return []
    parts = list(re.finditer(r"[A-Z][a-z]+(?: [A-Z][a-z]+)?", text))
    if len(parts) < 2 or not re.fullmatch(
        r"[A-Z][a-z]+(?: [A-Z][a-z]+)?(?:-[A-Z][a-z]+(?: [A-Z][a-z]+)?)+", text
    ):
        return []
    if not any(p.group() in lx.place_names() for p in parts):
        return []
    return [
        Candidate(
            s + p.start(),
            s + p.end(),
            "place",
            lx.place_canon().get(lx.norm(p.group()), p.group()),
            10,
        )
        for p in parts
        if p.group() not in lx.DEMONYMS
    ]


def _select(cands: list[Candidate]) -> list[Candidate]:
    """Non-overlapping candidates, highest priority (then longest) first. Blocks occupy
    their span without becoming mentions."""
    occupied: list[tuple[int, int]] = []
    out: list[Candidate] = []
    for c in sorted(cands, key=lambda c: (-c.prio, -(c.end - c.start), c.start)):
        if c.end <= c.start:
            continue
        if c.kind == "block":
            occupied.append((c.start, c.end))
            continue
        if any(a < c.end and c.start < b for a, b in occupied):
            continue
        occupied.append((c.start, c.end))
        out.append(c)
    return out


def _government(suffix: str, countries: Sequence[str]) -> str:
    """``AJ`` -> Government of Azerbaijan (GOAJ), ``P`` -> Pakistan when the cable's
    country TAGS hold one country starting with P."""

    def initials(n: str) -> str:
        return "".join(w[0] for w in re.split(r"[\s\-]+", n) if w and w[0].isupper())

    if len(suffix) == 1:
        hits = [n for n in countries if n.upper().startswith(suffix)]
    else:
        hits = [n for n in countries if initials(n) == suffix]
        if not hits:
            fips = lx.countries().get(suffix)
            hits = (
                [fips]
                if fips
                else [n for n in lx.country_names() if initials(n) == suffix and " " in n]
            )
    hits = list(dict.fromkeys(hits))
    return f"Government of {hits[0]}" if len(hits) == 1 else ""


def split_official(name: str, title: str = "") -> tuple[str, str]:
    """("CLASSIFIED BY POLITICAL MINISTER COUNSELOR SHARON WIENER", "") ->
    ("Sharon Wiener", "Political Minister Counselor")."""
    s = re.sub(r"(?i)^\s*classified\s+by\s*:?\s*", "", " ".join(name.split()))
    s = re.sub(r"(?i),?\s*(?:jr|sr)\.?$", "", s).strip(" ,.;:")
    words = s.split()
    keep: list[str] = []
    for w in reversed(words):
        lw = w.lower().strip(".,")
        if (
            lw in _title_words()
            or lw in lx.TITLE_OF_WORDS
            or lw in ("for", "of", "and")
            or "/" in w
        ):
            break
        form = _form(lw)
        if keep and form and form.islower() and len(lw) > 3:
            break
        if not re.fullmatch(r"[A-Za-z][A-Za-z.'\-]*", w):
            break
        keep.append(w)
        if len(keep) == 4:
            break
    keep.reverse()
    if not keep or _REDACTED.search(" ".join(keep)):
        return "", title
    person = smart_case(" ".join(keep))
    rest = " ".join(words[: len(words) - len(keep)]).strip(" ,")
    t = " ".join(x for x in (smart_case(rest), title.strip()) if x)
    return person, t
