"""The entity tables in SQLite: reading cables to enrich, writing extractions, resolving
entities across the archive and applying the users' corrections.

Everything takes a ``sqlite3.Connection`` on a Cablegram database (the store's own
connection: ``Archive.store.conn``), in autocommit mode like the store's.
"""

from __future__ import annotations

import bisect
import functools
import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from cablegram.enrich.incable import title_head
from cablegram.enrich.lexicon import norm, org_acronyms
from cablegram.enrich.mentions import KINDS, CableEntities, CableText
from cablegram.enrich.patterns import _common_word, clean_name, smart_case

__all__ = [
    "ensure_schema",
    "has_tables",
    "pending",
    "read_cables",
    "resolve",
    "slug",
    "write_extractions",
]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ensure_schema(conn: sqlite3.Connection) -> None:
    ddl = resources.files("cablegram.store").joinpath("entities_sqlite.sql").read_text("utf-8")
    if conn.in_transaction:
        conn.executescript(ddl)
    else:
        conn.executescript(f"BEGIN IMMEDIATE;\n{ddl}\nCOMMIT;")


def has_tables(conn: sqlite3.Connection) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'entity_corrections'"
        ).fetchone()
        is not None
    )


def slug(key: str) -> str:
    return key.replace(" ", "-")


def entity_id(kind: str, key: str) -> str:
    return f"{kind}:{slug(key)}"


# --- what to enrich --------------------------------------------------------------------


def pending(conn: sqlite3.Connection, extractor: str, *, force: bool = False,
            ids: Iterable[str] | None = None) -> list[tuple[str, int]]:  # fmt: skip
    """(cable id, version id) of the cables to (re-)enrich, by id."""
    if ids is not None:
        wanted = list(dict.fromkeys(ids))
        out = []
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            q = (
                "SELECT c.id, c.version_id FROM cables c LEFT JOIN enriched e ON e.cable_id = c.id "
                f"WHERE c.id IN ({','.join('?' * len(part))})"
            )
            if not force:
                q += " AND (e.cable_id IS NULL OR e.version_id != c.version_id OR e.extractor != ?)"
            out += conn.execute(q, [*part, *([] if force else [extractor])]).fetchall()
        return sorted(out)
    if force:
        return conn.execute("SELECT id, version_id FROM cables ORDER BY id").fetchall()
    return conn.execute(
        "SELECT c.id, c.version_id FROM cables c LEFT JOIN enriched e ON e.cable_id = c.id "
        "WHERE e.cable_id IS NULL OR e.version_id != c.version_id OR e.extractor != ? "
        "ORDER BY c.id",
        (extractor,),
    ).fetchall()


def read_cables(
    conn: sqlite3.Connection, ids: list[str]
) -> list[tuple[CableText, int, dict[int, int]]]:
    """The input of extraction for ``ids``: (CableText, version id, seq -> portion id)."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    head = {
        r[0]: r[1:]
        for r in conn.execute(
            f"SELECT id, version_id, signer, classified_by_name, classified_by_title, year "
            f"FROM cables WHERE id IN ({marks})",
            ids,
        )
    }
    paras: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for cid, pid, seq, text in conn.execute(
        f"SELECT cable_id, portion_id, seq, text FROM portions WHERE cable_id IN ({marks}) "
        "AND kind IN ('para', 'summary') ORDER BY cable_id, seq, kind",
        ids,
    ):
        paras[cid].append((pid, seq, text))
    countries: dict[str, list[str]] = defaultdict(list)
    for cid, name in conn.execute(
        f"SELECT cable_id, name FROM tags WHERE cable_id IN ({marks}) AND kind = 'country' "
        "ORDER BY cable_id, seq",
        ids,
    ):
        countries[cid].append(name)
    out = []
    for cid in ids:
        if cid not in head:
            continue
        vid, signer, cb_name, cb_title, year = head[cid]
        # A summary portion (seq 0) and paragraphs (seq 1..n): give each its own seq key.
        seqmap: dict[int, int] = {}
        plist = []
        for pid, seq, text in paras[cid]:
            s = seq if seq not in seqmap else -1 - len(seqmap)
            seqmap[s] = pid
            plist.append((s, text))
        ct = CableText(
            cid, plist, signer or "", (cb_name or "", cb_title or ""), countries[cid], year
        )
        out.append((ct, vid, seqmap))
    return out


# --- writing extractions ---------------------------------------------------------------


class KeyCache:
    """kind/key -> key_id, inserting new keys."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.ids: dict[tuple[str, str], int] = {}

    def get(self, kind: str, key: str) -> int:
        k = (kind, key)
        kid = self.ids.get(k)
        if kid is None:
            self.conn.execute("INSERT OR IGNORE INTO entity_keys (kind, key) VALUES (?, ?)", k)
            kid = self.conn.execute(
                "SELECT key_id FROM entity_keys WHERE kind = ? AND key = ?", k
            ).fetchone()[0]
            self.ids[k] = kid
        return kid


def write_extractions(conn: sqlite3.Connection, results: list[tuple[CableEntities, int, dict[int, int]]],
                      extractor: str, keys: KeyCache) -> int:  # fmt: skip
    """Replace the extraction of each cable (one transaction). A cable whose version
    changed since it was read is left for the next run. Returns cables written."""
    now = _now()
    written = 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        for ce, vid, seqmap in results:
            cur = conn.execute("SELECT version_id FROM cables WHERE id = ?", (ce.id,)).fetchone()
            if cur is None or cur[0] != vid:
                continue
            if not _portions_ok(conn, ce.id, list(seqmap.values())):
                continue  # re-parsed in place since it was read: next run
            for table in ("mentions", "entity_links", "septels"):
                conn.execute(f"DELETE FROM {table} WHERE cable_id = ?", (ce.id,))
            conn.execute("DELETE FROM citations WHERE cable_id = ? AND kind = 'text'", (ce.id,))
            rows = []
            for m in ce.mentions:
                pid = seqmap.get(m.seq) if m.seq is not None else None
                kid = keys.get(m.kind, m.key) if m.kind in KINDS and m.key else None
                rows.append(
                    (ce.id, pid, m.start, m.end, m.kind, kid, m.text, m.name, m.title, m.role)
                )
            conn.executemany(
                "INSERT INTO mentions (cable_id, portion_id, start_char, end_char, kind, key_id, "
                "text, name, title, role) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.executemany(
                "INSERT OR IGNORE INTO entity_links (cable_id, kind, key, other) VALUES (?, ?, ?, ?)",
                [(ce.id, *x) for x in ce.links],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO citations (cable_id, cited_id, kind, seq, text) "
                "VALUES (?, ?, 'text', ?, ?)",
                [(ce.id, cid, seq, text) for cid, seq, text in ce.citations],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO septels (cable_id, seq, start_char, text, keys) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (ce.id, seq, start, text, json.dumps(ks))
                    for seq, start, _e, text, ks in ce.septels
                ],
            )
            conn.execute(
                "INSERT INTO enriched (cable_id, version_id, extractor, enriched_at, n_mentions) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (cable_id) DO UPDATE SET "
                "version_id = excluded.version_id, extractor = excluded.extractor, "
                "enriched_at = excluded.enriched_at, n_mentions = excluded.n_mentions",
                (ce.id, vid, extractor, now, len(rows)),
            )
            written += 1
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return written


def _portions_ok(conn: sqlite3.Connection, cable_id: str, pids: list[int]) -> bool:
    if not pids:
        return True
    n = conn.execute(
        f"SELECT count(*) FROM portions WHERE cable_id = ? AND portion_id IN ({','.join('?' * len(pids))})",
        [cable_id, *pids],
    ).fetchone()[0]
    return n == len(pids)


# --- resolution --------------------------------------------------------------------------


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, x: Any) -> Any:
        p = self.parent.setdefault(x, x)
        if p != x:
            p = self.parent[x] = self.find(p)
        return p

    def union(self, a: Any, b: Any) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _anchor(keys: list[str]) -> str:
    """The key that names a cluster's id: the longest (most words), then the first; a key
    with words glued to the name (``lula looking``) only when there is no other."""
    return min(keys, key=lambda k: (_without_glued_words(k) != k, -len(k.split()), -len(k), k))


def resolve(conn: sqlite3.Connection) -> dict[str, int]:
    """Cluster keys into entities over the whole archive, apply the corrections, rebuild
    ``entities``, ``entity_aliases``, ``entity_titles`` and the septel citations."""
    keys: dict[int, tuple[str, str]] = {
        r[0]: (r[1], r[2]) for r in conn.execute(
            "SELECT key_id, kind, key FROM entity_keys "
            "WHERE key_id IN (SELECT DISTINCT key_id FROM mentions WHERE key_id IS NOT NULL)"
        )
    }  # fmt: skip
    by_kk = {v: k for k, v in keys.items()}
    uf = _UnionFind()
    for kid in keys:
        uf.find(kid)
    # Acronym definitions seen in cables ("Office of Defense Cooperation (ODC)"), when an
    # acronym has one expansion in the whole archive and the reference tables do not give
    # it another ("Unidad Nacional (UN)" does not make the UN a Colombian party).
    known = {(("org", norm(a))): norm(f) for a, f in org_acronyms().items()}
    expansions: dict[tuple[str, str], set[str]] = defaultdict(set)
    for kind, a, b in conn.execute("SELECT DISTINCT kind, key, other FROM entity_links"):
        expansions[(kind, a)].add(b)
    for (kind, a), bs in expansions.items():
        if len(bs) != 1 or known.get((kind, a), next(iter(bs))) != next(iter(bs)):
            continue
        ka, kb = by_kk.get((kind, a)), by_kk.get((kind, next(iter(bs))))
        if ka is not None and kb is not None:
            uf.union(ka, kb)
    for acr, full in org_acronyms().items():
        ka, kb = by_kk.get(("org", norm(acr))), by_kk.get(("org", norm(full)))
        if ka is not None and kb is not None:
            uf.union(ka, kb)
    # People: a short form joins the one longer name it can belong to ("abiyev" ->
    # "safar abiyev"; not "aliyev" when both "ilham aliyev" and "heydar aliyev" exist).
    # A lone word may also be the first of a name written family name first ("kim" in
    # "kim jong-il"): such names count as candidates too, so "kim" fits many people.
    by_last: dict[str, list[str]] = defaultdict(list)
    by_first: dict[str, list[str]] = defaultdict(list)
    for kid, (kind, key) in keys.items():
        if kind == "person" and " " in key:
            core = _without_glued_words(key)
            if core != key:
                # "betting obama", "obama prague": a word the model glued to a name; the
                # mention is of the name ("obama"), not of a person of its own.
                other = by_kk.get(("person", core))
                if other is not None:
                    uf.union(kid, other)
                continue
            by_last[key.split()[-1]].append(key)
            by_first[key.split()[0]].append(key)
    ambiguous: dict[int, list[int]] = {}
    singles: dict[int, int] = {}
    for kid, (kind, key) in keys.items():
        if kind != "person":
            continue
        toks = key.split()
        cands = [f for f in by_last.get(toks[-1], ()) if f != key and _suffix(toks, f.split())]
        if len(toks) == 1:
            cands += [f for f in by_first.get(toks[0], ()) if f not in cands]
        maximal = [
            f for f in cands if not any(g != f and _suffix(f.split(), g.split()) for g in cands)
        ]
        if len(maximal) == 1:
            singles[kid] = by_kk[("person", maximal[0])]
        elif len(maximal) > 1:
            ambiguous[kid] = [by_kk[("person", f)] for f in maximal]
    # One longer name fits: the short form is that person, unless they are years apart
    # ("Azimi" in 1972 is not the Azimi written in full in 2008): then only the cables
    # near the full name's years join it.
    late = _far_apart(conn, singles)
    for kid, one in singles.items():
        if kid not in late:
            uf.union(kid, one)
    clusters: dict[int, list[int]] = defaultdict(list)
    for kid in keys:
        clusters[uf.find(kid)].append(kid)
    keymap: list[tuple[int, str]] = []
    for members in clusters.values():
        kind = keys[members[0]][0]
        anchor = _anchor([keys[k][1] for k in members])
        eid = entity_id(kind, anchor)
        keymap += [(k, eid) for k in members]

    began = not conn.in_transaction
    if began:
        conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DROP TABLE IF EXISTS temp.cg_keymap")
        conn.execute("CREATE TEMP TABLE cg_keymap (key_id INTEGER PRIMARY KEY, entity_id TEXT)")
        conn.executemany("INSERT INTO temp.cg_keymap VALUES (?, ?)", keymap)
        conn.execute(
            "UPDATE mentions SET entity_id = km.entity_id FROM temp.cg_keymap km "
            "WHERE mentions.key_id = km.key_id AND mentions.entity_id IS NOT km.entity_id"
        )
        conn.execute(
            "UPDATE mentions SET entity_id = NULL WHERE key_id IS NULL AND entity_id IS NOT NULL"
        )
        eid_of = dict(keymap)

        def late_picks(late: dict[int, tuple[int, list[tuple[str, int]]]]) -> list:
            return [(cid, kid, full) for kid, (full, near) in late.items() for cid, _ in near]

        picks = _in_context(conn, ambiguous) + late_picks(late)
        conn.executemany(
            "UPDATE mentions SET entity_id = ? WHERE cable_id = ? AND key_id = ?",
            [(eid_of[full], cid, kid) for cid, kid, full in picks],
        )
        names, curated = _apply_corrections(conn)
        counts = _rebuild(conn, names, curated)
        counts["septel_citations"] = _match_septels(conn)
        conn.execute("DROP TABLE IF EXISTS temp.cg_keymap")
        conn.execute(
            "INSERT INTO enrich_meta (key, value) VALUES ('resolved_at', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (_now(),),
        )
        if began:
            conn.execute("COMMIT")
    except BaseException:
        if began:
            conn.execute("ROLLBACK")
        raise
    return counts


APART_YEARS = 10  # a short form this far from every year of its one full name is not it
CONTEXT_YEARS = 1  # a title held this many years either side of a cable's year counts
DOMINANT = 3  # a candidate this many times as present as the next, at the time, wins
DOMINANT_YEARS = 1  # "at the time": this many years either side of the cable's year


@functools.cache
def _glue_words() -> tuple[frozenset[str], frozenset[str]]:
    """Places and plural titles, normalised (the gazetteers load once)."""
    from cablegram.enrich.lexicon import TITLE_HEADS, place_names

    plurals = frozenset(t + "s" for t in TITLE_HEADS if "_" not in t)
    return frozenset(norm(p) for p in place_names()), plurals


def _without_glued_words(key: str) -> str:
    """A person key without the ordinary words, places and plural titles the model glued
    to its ends ("comparing chavez", "presidents chavez", "obama prague" -> the name).
    Only words that cannot be a given name are cut: -ing, -ed, -ize, -s verb forms and
    plurals that are ordinary lower-case words, country and post-city names."""
    places, plurals = _glue_words()

    def glued(w: str) -> bool:
        if w in places or w in plurals:
            return True
        return len(w) > 4 and w.endswith(("ing", "ed", "ize", "ise", "s")) and _common_word(w)

    words = key.split()
    while len(words) > 1 and glued(words[0]):
        words = words[1:]
    while len(words) > 1 and glued(words[-1]):
        words = words[:-1]
    return " ".join(words)


def _in_context(conn: sqlite3.Connection, ambiguous: dict[int, list[int]]
                ) -> list[tuple[str, int, int]]:  # fmt: skip
    """Where a cable writes only a short form several people share ("Rice", "Castro"),
    choose by the cable's context: the candidate who holds the title it is given there
    around the cable's date (Secretary Rice in 2007: Condoleezza; Ambassador Rice in
    2010: Susan), else the one the archive speaks of far more at that time. Returns
    (cable id, short key id, chosen full key id) for the cables where one candidate wins;
    elsewhere the short form stays an entity of its own."""
    if not ambiguous:
        return []
    wanted = set(ambiguous) | {k for ks in ambiguous.values() for k in ks}
    years: dict[int, Counter[int]] = defaultdict(Counter)  # key -> year -> cables
    held: dict[int, dict[str, Counter[int]]] = defaultdict(lambda: defaultdict(Counter))
    groups: dict[tuple[str, int], tuple[int | None, set[str]]] = {}
    seen: set[tuple[str, int]] = set()
    titled_in: set[tuple[str, int, str]] = set()
    conn.execute("DROP TABLE IF EXISTS temp.cg_wanted")
    conn.execute("CREATE TEMP TABLE cg_wanted (key_id INTEGER PRIMARY KEY)")
    conn.executemany("INSERT INTO temp.cg_wanted VALUES (?)", [(k,) for k in wanted])
    rows = conn.execute(
        "SELECT m.key_id, m.cable_id, c.year, m.title FROM mentions m "
        "JOIN temp.cg_wanted w ON w.key_id = m.key_id JOIN cables c ON c.id = m.cable_id "
        "WHERE m.kind = 'person'"
    )
    for kid, cid, year, title in rows:
        head = title_head(title) if title else ""
        if kid in ambiguous:
            _, heads = groups.setdefault((cid, kid), (year, set()))
            if head:
                heads.add(head)
            continue
        if (cid, kid) not in seen and year is not None:
            seen.add((cid, kid))
            years[kid][year] += 1
        if head and year is not None and (cid, kid, head) not in titled_in:
            titled_in.add((cid, kid, head))
            held[kid][head][year] += 1  # cables
    conn.execute("DROP TABLE temp.cg_wanted")
    out = []
    span = range(-CONTEXT_YEARS, CONTEXT_YEARS + 1)
    for (cid, kid), (year, heads) in groups.items():
        if year is None:
            continue
        cands = ambiguous[kid]
        strength = {c: sum(held[c][h][year + d] for h in heads for d in span) for c in cands}
        titled = sorted((c for c in cands if strength[c]), key=lambda c: -strength[c])
        # The one who holds the title then, or holds it far more often than the others
        # ("President Arias" in 2008: Oscar, not his brother Rodrigo now and then).
        if len(titled) == 1 or (
            len(titled) > 1
            and strength[titled[0]] >= DOMINANT
            and strength[titled[0]] >= DOMINANT * strength[titled[1]]
        ):
            out.append((cid, kid, titled[0]))
            continue
        pool = titled or cands
        wide = range(-DOMINANT_YEARS, DOMINANT_YEARS + 1)
        near = sorted(((sum(years[c][year + d] for d in wide), c) for c in pool), reverse=True)
        if near[0][0] >= DOMINANT and near[0][0] >= DOMINANT * (near[1][0] if len(near) > 1 else 0):
            out.append((cid, kid, near[0][1]))
    return out


def _far_apart(conn: sqlite3.Connection, singles: dict[int, int]
               ) -> dict[int, tuple[int, list[tuple[str, int]]]]:  # fmt: skip
    """The short keys of ``singles`` (short key id -> its one full key id) written in some
    cable more than ``APART_YEARS`` from every year of the full name: short key id ->
    (full key id, [(cable id, year) of the cables near enough to join it])."""
    if not singles:
        return {}
    wanted = set(singles) | set(singles.values())
    conn.execute("DROP TABLE IF EXISTS temp.cg_wanted")
    conn.execute("CREATE TEMP TABLE cg_wanted (key_id INTEGER PRIMARY KEY)")
    conn.executemany("INSERT INTO temp.cg_wanted VALUES (?)", [(k,) for k in wanted])
    cables: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for kid, cid, year in conn.execute(
        "SELECT DISTINCT m.key_id, m.cable_id, c.year FROM mentions m "
        "JOIN temp.cg_wanted w ON w.key_id = m.key_id JOIN cables c ON c.id = m.cable_id "
        "WHERE m.kind = 'person' AND c.year IS NOT NULL"
    ):
        cables[kid].add((cid, year))
    conn.execute("DROP TABLE temp.cg_wanted")
    out: dict[int, tuple[int, list[tuple[str, int]]]] = {}
    for kid, full in singles.items():
        years = sorted({y for _, y in cables.get(full, ())})
        if not years:
            continue

        mine = cables.get(kid, set())
        if all(_near(years, y) for _, y in mine):
            continue
        out[kid] = (full, sorted((c, y) for c, y in mine if _near(years, y)))
    return out


def _near(years: list[int], y: int) -> bool:
    """``y`` within ``APART_YEARS`` of one of the sorted ``years``."""
    i = bisect.bisect_left(years, y)
    return any(abs(years[j] - y) <= APART_YEARS for j in (i - 1, i) if 0 <= j < len(years))


def _suffix(short: list[str], long: list[str]) -> bool:
    return len(short) < len(long) and long[-len(short) :] == short


def current_entity(conn: sqlite3.Connection, ref: str) -> str | None:
    """The entity a user's reference names now: an entity id, an id made from any key of
    it (``org:nato`` for the entity anchored at ``org:north-atlantic-treaty-organization``),
    or ``kind:Name``."""
    ref = ref.strip()
    if conn.execute("SELECT 1 FROM mentions WHERE entity_id = ? LIMIT 1", (ref,)).fetchone():
        return ref
    kind, _, rest = ref.partition(":")
    if kind not in KINDS or not rest:
        return None
    for k in (norm(rest),):
        row = conn.execute(
            "SELECT m.entity_id FROM entity_keys k JOIN mentions m ON m.key_id = k.key_id "
            "WHERE k.kind = ? AND k.key = ? AND m.entity_id IS NOT NULL "
            "GROUP BY m.entity_id ORDER BY count(*) DESC LIMIT 1",
            (kind, k),
        ).fetchone()
        if row:
            return row[0]
    return None


class _Corrections:
    """Applies the users' decisions in order; remembers renames, merges and deletions."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.names: dict[str, str] = {}
        self.curated: set[str] = set()
        self.redirect: dict[str, str] = {}

    def follow(self, e: str) -> str:
        seen = set()
        while e in self.redirect and e not in seen:
            seen.add(e)
            e = self.redirect[e]
        return e

    def apply(self, row: tuple, *, sql: bool = True) -> set[str]:
        """Apply one decision; ``sql=False`` only replays its bookkeeping (for a decision
        already applied). Returns the entity ids it touched."""
        conn = self.conn
        _cid, action, ref, target, name, scope_json = row
        eid = self.follow(ref)
        if (
            sql
            and not conn.execute(
                "SELECT 1 FROM mentions WHERE entity_id = ? LIMIT 1", (eid,)
            ).fetchone()
        ):
            found = current_entity(conn, eid)
            if found is None:
                return set()  # nothing left to apply it to (a dormant decision)
            eid = found
        if action == "rename":
            self.names[eid] = name
            self.curated.add(eid)
            return {eid}
        if action == "delete":
            if sql:
                conn.execute("UPDATE mentions SET entity_id = NULL WHERE entity_id = ?", (eid,))
            self.redirect[eid] = ""
            return {eid}
        if action == "merge":
            into = self.follow(target)
            if sql:
                into = current_entity(conn, into) or into
            if not into or into == eid or into.split(":")[0] != eid.split(":")[0]:
                return set()
            if sql:
                conn.execute("UPDATE mentions SET entity_id = ? WHERE entity_id = ?", (into, eid))
            self.redirect[eid] = into
            self.curated.add(into)
            return {eid, into}
        if action == "split":
            cond, params = _scope_sql(conn, json.loads(scope_json or "{}"))
            if not cond:
                return set()
            if sql:
                conn.execute(
                    f"UPDATE mentions SET entity_id = ? WHERE entity_id = ? AND {cond}",
                    [target, eid, *params],
                )
            self.names[target] = name
            self.curated.update((eid, target))
            return {eid, target}
        return set()


def _decisions(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute(
        "SELECT correction_id, action, entity_id, target, name, scope FROM entity_corrections "
        "ORDER BY correction_id"
    ).fetchall()


def _apply_corrections(conn: sqlite3.Connection) -> tuple[dict[str, str], set[str]]:
    c = _Corrections(conn)
    for row in _decisions(conn):
        c.apply(row)
    return c.names, c.curated


def apply_latest_correction(conn: sqlite3.Connection) -> set[str]:
    """Apply the newest decision on top of the current resolution (the earlier ones are
    in effect already) and rebuild only the entities it touches: curation stays quick on a
    big archive. Run inside the caller's transaction."""
    rows = _decisions(conn)
    if not rows:
        return set()
    c = _Corrections(conn)
    for row in rows[:-1]:
        c.apply(row, sql=False)
    touched = c.apply(rows[-1])
    if touched:
        _rebuild(conn, c.names, c.curated, only=touched)
    return touched


def _scope_sql(conn: sqlite3.Connection, scope: dict[str, Any]) -> tuple[str, list[Any]]:
    conds: list[str] = []
    params: list[Any] = []
    if scope.get("cables"):
        ids = [str(x).strip().upper() for x in scope["cables"]]
        conds.append(f"cable_id IN ({','.join('?' * len(ids))})")
        params += ids
    if scope.get("before"):
        conds.append("cable_id IN (SELECT id FROM cables WHERE date < ?)")
        params.append(scope["before"])
    if scope.get("after"):
        conds.append("cable_id IN (SELECT id FROM cables WHERE date >= ?)")
        params.append(scope["after"])
    if scope.get("aliases"):
        al = [norm(a) for a in scope["aliases"]]
        conds.append(
            "(key_id IN (SELECT key_id FROM entity_keys WHERE key IN "
            f"({','.join('?' * len(al))})) OR lower(text) IN ({','.join('?' * len(al))}))"
        )
        params += al + [a.lower() for a in scope["aliases"]]
    return " AND ".join(conds), params


def _alias(text: str, kind: str) -> str:
    a = clean_name(text)
    if kind == "person" and a.isupper():
        a = smart_case(a)
    return a


def _rebuild(conn: sqlite3.Connection, names: dict[str, str], curated: set[str], *,
             only: set[str] | None = None) -> dict[str, int]:  # fmt: skip
    """Recompute entities, aliases and titles from the mentions (all, or ``only`` these)."""
    flt, fparams = "", []
    if only is not None:
        ids = sorted(only)
        flt = f" AND m.entity_id IN ({','.join('?' * len(ids))})"
        fparams = ids
        for table in ("entity_aliases", "entity_titles", "entities"):
            conn.execute(
                f"DELETE FROM {table} WHERE entity_id IN ({','.join('?' * len(ids))})", ids
            )
    else:
        for table in ("entity_aliases", "entity_titles", "entities"):
            conn.execute(f"DELETE FROM {table}")
    stats = conn.execute(
        "SELECT m.entity_id, min(m.kind), count(*), count(DISTINCT m.cable_id), min(c.date), "
        "max(c.date) FROM mentions m JOIN cables c ON c.id = m.cable_id "
        f"WHERE m.entity_id IS NOT NULL{flt} GROUP BY m.entity_id",
        fparams,
    ).fetchall()
    name_counts: dict[str, Counter[str]] = defaultdict(Counter)
    alias_counts: dict[str, Counter[str]] = defaultdict(Counter)
    kinds = {r[0]: r[1] for r in stats}
    for eid, name, text, role, n in conn.execute(
        "SELECT m.entity_id, m.name, m.text, m.role, count(*) FROM mentions m "
        f"WHERE m.entity_id IS NOT NULL{flt} GROUP BY m.entity_id, m.name, m.text, m.role",
        fparams,
    ):
        if name:
            name_counts[eid][name] += n if role != "title" else 0
        if role != "title":
            a = _alias(text, kinds.get(eid, ""))
            if a:
                alias_counts[eid][a] += n
    rows = []
    for eid, kind, n, nc, first, last in stats:
        name = (
            names.get(eid)
            or _display(name_counts[eid], kind)
            or eid.split(":", 1)[1].replace("-", " ")
        )
        rows.append((eid, kind, name, n, nc, first, last, int(eid in curated)))
    conn.executemany(
        "INSERT INTO entities (entity_id, kind, name, n_mentions, n_cables, first_seen, last_seen, "
        "curated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    alias_rows = [
        (eid, a, n) for eid, c in alias_counts.items() if eid in kinds for a, n in c.items()
    ]
    # An entity answers to its display name too (a rename, a split's new name).
    alias_rows += [(eid, r[2], 0) for r in rows for eid in (r[0],)]
    conn.executemany(
        "INSERT INTO entity_aliases (entity_id, alias, n) VALUES (?, ?, ?) "
        "ON CONFLICT (entity_id, alias) DO UPDATE SET n = n + excluded.n",
        alias_rows,
    )
    conn.execute(
        "INSERT INTO entity_titles (entity_id, title, n, first_seen, last_seen) "
        "SELECT m.entity_id, m.title, count(*), min(c.date), max(c.date) FROM mentions m "
        "JOIN cables c ON c.id = m.cable_id WHERE m.entity_id IS NOT NULL AND m.title != ''"
        f"{flt} GROUP BY m.entity_id, m.title",
        fparams,
    )
    return {"entities": len(rows), "aliases": len(alias_rows)}


def _display(c: Counter[str], kind: str = "") -> str:
    if not c:
        return ""
    if kind == "person":
        # A person is shown by full name ("George Bush", not "Bush") when one is known.
        full = Counter({k: v for k, v in c.items() if " " in k and v > 0})
        if full:
            c = full
    return max(
        c.items(), key=lambda kv: (kv[1], not kv[0].isupper() or len(kv[0]) <= 6, len(kv[0]), kv[0])
    )[0]


# --- septels -------------------------------------------------------------------------------

SEPTEL_DAYS_BEFORE = 3
SEPTEL_DAYS_AFTER = 14


def _match_septels(conn: sqlite3.Connection) -> int:
    """Match each septel sentence to the archive cables it most likely names: same post,
    sent from a few days before to two weeks after, sharing the people and organisations
    the sentence names. Heuristic: kind 'septel', score = entities shared."""
    conn.execute("DELETE FROM citations WHERE kind = 'septel'")
    rows = conn.execute(
        "SELECT s.cable_id, s.seq, s.text, s.keys, c.origin_code, c.date FROM septels s "
        "JOIN cables c ON c.id = s.cable_id WHERE s.keys != '[]' AND c.date IS NOT NULL"
    ).fetchall()
    n = 0
    for cid, seq, text, keys_json, origin, date in rows:
        keys = [k.split(":", 1) for k in json.loads(keys_json)]
        keys = [(k, v) for k, v in keys if k in ("person", "org")]
        if not keys or not origin:
            continue
        ents = set()
        for kind, key in keys:
            for (eid,) in conn.execute(
                "SELECT DISTINCT m.entity_id FROM mentions m JOIN entity_keys k ON k.key_id = m.key_id "
                "WHERE m.cable_id = ? AND k.kind = ? AND k.key = ? AND m.entity_id IS NOT NULL",
                (cid, kind, key),
            ):
                ents.add(eid)
        if not ents:
            continue
        marks = ",".join("?" * len(ents))
        cands = conn.execute(
            "SELECT m.cable_id, count(DISTINCT m.entity_id), "
            "count(DISTINCT CASE WHEN m.entity_id LIKE 'person:%' THEN m.entity_id END) "
            f"FROM mentions m JOIN cables c ON c.id = m.cable_id WHERE m.entity_id IN ({marks}) "
            "AND c.origin_code = ? AND c.id != ? AND c.date BETWEEN date(?, ?) AND date(?, ?) "
            "GROUP BY m.cable_id ORDER BY 2 DESC, 3 DESC, 1 LIMIT 3",
            [
                *ents,
                origin,
                cid,
                date,
                f"-{SEPTEL_DAYS_BEFORE} days",
                date,
                f"+{SEPTEL_DAYS_AFTER} days",
            ],
        ).fetchall()
        for other, score, people in cands:
            if not people and score < 2:
                continue  # one organisation in common is too little
            conn.execute(
                "INSERT OR IGNORE INTO citations (cable_id, cited_id, kind, seq, text, score) "
                "VALUES (?, ?, 'septel', ?, ?, ?)",
                (cid, other, seq, text[:300], float(score)),
            )
            n += 1
    return n


# --- queries for pages ------------------------------------------------------------------------


def iter_mentions(conn: sqlite3.Connection, cable_id: str) -> Iterator[dict[str, Any]]:
    for row in conn.execute(
        "SELECT m.entity_id, m.kind, m.text, m.name, m.title, m.role, p.seq, m.start_char, "
        "m.end_char FROM mentions m LEFT JOIN portions p ON p.portion_id = m.portion_id "
        "WHERE m.cable_id = ? ORDER BY p.seq IS NULL, p.seq, m.start_char",
        (cable_id,),
    ):
        yield dict(zip(("entity_id", "kind", "text", "name", "title", "role", "seq", "start", "end"),
                       row, strict=True))  # fmt: skip
