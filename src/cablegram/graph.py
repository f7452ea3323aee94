"""Graphs of an archive: which cable cites which, and who is mentioned with whom.

    from cablegram.archive import Archive
    from cablegram import graph

    with Archive("cables.db") as arc:
        g = graph.citation_graph(arc)                 # networkx.DiGraph, citing -> cited
        graph.missing_citations(arc)[:10]             # cited, but not in the archive
        graph.most_cited(arc, 20)
        graph.cited_by(arc, "09BAKU433")
        c = graph.comention_graph(arc, min_weight=3)  # networkx.Graph of entities
        e = graph.ego_network(arc, "person:safar-abiyev", radius=1)
        graph.export(g, "gexf", "citations.gexf")     # gexf | graphml | json

Citations come from three sources, each edge keeps its ``kind``: ``ref`` (the REF block,
resolved to ids by the parser: the ``refs`` table), ``text`` (a cable id written in a
paragraph, found by ``cablegram enrich``) and ``septel`` (a "septel" sentence matched to an
archive cable of the same post and days by the people and organisations it names; a
heuristic with a ``score``). Cited cables missing from the archive are nodes too, with
``in_archive`` false. Co-mentions join two entities mentioned in one cable; the edge
``weight`` is the number of such cables.

Every function takes an ``Archive`` or a ``sqlite3.Connection``.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import IO, Any

import networkx as nx

from cablegram.errors import NotFound

__all__ = [
    "Citation",
    "MissingCable",
    "cited_by",
    "cites",
    "citation_graph",
    "comention_graph",
    "ego_network",
    "export",
    "load",
    "missing_citations",
    "most_cited",
    "GRAPH_FORMATS",
]

GRAPH_FORMATS = ("gexf", "graphml", "json")


@dataclass
class Citation:
    citing: str
    cited: str
    kind: str  # ref | text | septel
    text: str = ""
    score: float = 1.0
    in_archive: bool = True  # the cited (or citing) cable is in the archive


@dataclass
class MissingCable:
    """A cable cited by archive cables but not in the archive itself."""

    id: str
    n_citing: int
    citing: list[str] = field(default_factory=list)
    first_cited: str | None = None  # date of the earliest citing cable
    last_cited: str | None = None
    origin: str = ""  # the origin code read from the id
    year: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _conn(src: Any) -> sqlite3.Connection:
    if isinstance(src, sqlite3.Connection):
        return src
    store = getattr(src, "store", src)
    conn = getattr(store, "conn", None)
    if not isinstance(conn, sqlite3.Connection):
        raise TypeError("graphs need an Archive or a sqlite3.Connection on a SQLite store")
    return conn


def _has(conn: sqlite3.Connection, table: str) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        is not None
    )


def _edges_sql(conn: sqlite3.Connection, kinds: Iterable[str]) -> str:
    """A SELECT of (citing, cited, kind, text, score) over the chosen sources."""
    parts = []
    kinds = set(kinds)
    if "ref" in kinds:
        parts.append(
            "SELECT cable_id, ref_id, 'ref', min(text), 1.0 FROM refs WHERE ref_id != '' "
            "AND ref_id != cable_id GROUP BY cable_id, ref_id"
        )
    if _has(conn, "citations"):
        picked = [k for k in ("text", "septel") if k in kinds]
        if picked:
            parts.append(
                "SELECT cable_id, cited_id, kind, text, score FROM citations "
                f"WHERE kind IN ({','.join(repr(k) for k in picked)})"
            )
    return " UNION ALL ".join(parts) if parts else "SELECT NULL, NULL, NULL, NULL, NULL WHERE 0"


def _cte(conn: sqlite3.Connection, kinds: Iterable[str]) -> str:
    return f"WITH e(citing, cited, kind, text, score) AS ({_edges_sql(conn, kinds)})"


def _year_origin(cable_id: str) -> tuple[int | None, str]:
    import re

    m = re.match(r"^(\d{2})([A-Z]+?)(\d+)$", cable_id)
    if not m:
        return None, ""
    yy = int(m.group(1))
    return (1900 + yy if yy >= 50 else 2000 + yy), m.group(2)


def _ids_table(conn: sqlite3.Connection, src: Any, query: str | None) -> str | None:
    """A temp table of the cable ids matching ``query`` (None: all cables)."""
    if not query:
        return None
    if hasattr(src, "search_ids"):
        ids = src.search_ids(query)
    else:
        from cablegram.search import sqlite as engine

        ids = engine.iter_ids(conn, query) if hasattr(engine, "iter_ids") else _all_ids(conn, query)
    conn.execute("DROP TABLE IF EXISTS temp.cg_graph_ids")
    conn.execute("CREATE TEMP TABLE cg_graph_ids (id TEXT PRIMARY KEY) WITHOUT ROWID")
    conn.executemany("INSERT OR IGNORE INTO temp.cg_graph_ids VALUES (?)", ((i,) for i in ids))
    return "temp.cg_graph_ids"


def _all_ids(conn: sqlite3.Connection, query: str) -> Iterable[str]:
    from cablegram.search.results import MAX_PER_PAGE
    from cablegram.search.sqlite import search

    page = 1
    while True:
        res = search(conn, query, page=page, per_page=MAX_PER_PAGE, sort="date", facets=False)
        yield from (h.id for h in res.hits)
        if page * MAX_PER_PAGE >= res.total or not res.hits:
            return
        page += 1


# --- citations ---------------------------------------------------------------------------


def citation_graph(src: Any, *, query: str | None = None,
                   kinds: Iterable[str] = ("ref", "text", "septel")) -> nx.DiGraph:  # fmt: skip
    """Cables as nodes, citations as edges (citing -> cited). With ``query``, only the
    citations made by the matching cables. Node attributes: ``in_archive``, ``date``,
    ``origin``, ``subject``, ``classification``; edge attributes: ``kind``, ``text``,
    ``score``, ``kinds`` (all kinds when several sources give one edge)."""
    conn = _conn(src)
    ids = _ids_table(conn, src, query)
    g = nx.DiGraph(name="citations")
    where = f" WHERE e.citing IN (SELECT id FROM {ids})" if ids else ""
    rows = conn.execute(
        f"{_cte(conn, kinds)} SELECT e.citing, e.cited, e.kind, e.text, e.score FROM e{where}"
    ).fetchall()
    for citing, cited, kind, text, score in rows:
        if g.has_edge(citing, cited):
            d = g.edges[citing, cited]
            d["kinds"] = ",".join(sorted(set(d["kinds"].split(",")) | {kind}))
            if kind == "ref":
                d["kind"] = "ref"
            continue
        g.add_edge(citing, cited, kind=kind, kinds=kind, text=text or "", score=float(score or 1))
    _annotate(conn, g)
    if ids:
        conn.execute(f"DROP TABLE IF EXISTS {ids}")
    return g


def _annotate(conn: sqlite3.Connection, g: nx.DiGraph) -> None:
    nodes = list(g.nodes)
    for i in range(0, len(nodes), 500):
        part = nodes[i : i + 500]
        found = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT id, date, origin_code, subject, classification FROM cables "
                f"WHERE id IN ({','.join('?' * len(part))})",
                part,
            )
        }
        for n in part:
            year, origin = _year_origin(n)
            if n in found:
                date, origin_code, subject, cls = found[n]
                g.nodes[n].update(in_archive=True, date=date or "", origin=origin_code or origin,
                                  subject=subject or "", classification=cls or "", label=n)  # fmt: skip
            else:
                g.nodes[n].update(in_archive=False, date=str(year or ""), origin=origin,
                                  subject="", classification="", label=n)  # fmt: skip


def cites(src: Any, cable_id: str) -> list[Citation]:
    """The cables ``cable_id`` cites."""
    conn = _conn(src)
    cid = cable_id.strip().upper()
    rows = conn.execute(
        f"{_cte(conn, ('ref', 'text', 'septel'))} SELECT e.cited, e.kind, e.text, e.score, "
        "EXISTS (SELECT 1 FROM cables WHERE id = e.cited) FROM e "
        "WHERE e.citing = ? ORDER BY e.kind, e.cited",
        (cid,),
    ).fetchall()
    return [Citation(cid, c, k, t or "", float(s or 1), bool(a)) for c, k, t, s, a in rows]


def cited_by(src: Any, cable_id: str) -> list[Citation]:
    """The archive cables that cite ``cable_id`` (which need not be in the archive)."""
    conn = _conn(src)
    cid = cable_id.strip().upper()
    rows = conn.execute(
        f"{_cte(conn, ('ref', 'text', 'septel'))} SELECT e.citing, e.kind, e.text, e.score FROM e "
        "LEFT JOIN cables c ON c.id = e.citing "
        "WHERE e.cited = ? ORDER BY c.date, e.citing",
        (cid,),
    ).fetchall()
    return [Citation(c, cid, k, t or "", float(s or 1), True) for c, k, t, s in rows]


def most_cited(src: Any, limit: int = 20, *, in_archive: bool | None = None,
               kinds: Iterable[str] = ("ref", "text")) -> list[tuple[str, int, bool]]:  # fmt: skip
    """(cable id, citing cables, in the archive) by number of citing cables. Septel
    matches are left out by default (they are guesses); ``in_archive`` filters."""
    conn = _conn(src)
    having = ""
    if in_archive is True:
        having = "HAVING present = 1"
    elif in_archive is False:
        having = "HAVING present = 0"
    rows = conn.execute(
        f"{_cte(conn, kinds)} SELECT e.cited, count(DISTINCT e.citing) AS n, "
        "EXISTS (SELECT 1 FROM cables WHERE id = e.cited) AS present FROM e "
        f"GROUP BY e.cited {having} ORDER BY n DESC, e.cited LIMIT ?",
        (limit,),
    ).fetchall()
    return [(c, n, bool(p)) for c, n, p in rows]


def missing_citations(src: Any, limit: int | None = None, *,
                      kinds: Iterable[str] = ("ref", "text")) -> list[MissingCable]:  # fmt: skip
    """Cables cited in the archive but missing from it, most cited first: the list of
    what a partial release leaves out."""
    conn = _conn(src)
    rows = conn.execute(
        f"{_cte(conn, kinds)} SELECT e.cited, count(DISTINCT e.citing), group_concat(DISTINCT e.citing), "
        "min(c.date), max(c.date) FROM e LEFT JOIN cables c ON c.id = e.citing "
        "WHERE e.cited NOT IN (SELECT id FROM cables) "
        "GROUP BY e.cited ORDER BY 2 DESC, 1" + (" LIMIT ?" if limit else ""),
        (limit,) if limit else (),
    ).fetchall()
    out = []
    for cid, n, citing, first, last in rows:
        year, origin = _year_origin(cid)
        out.append(
            MissingCable(cid, n, sorted((citing or "").split(",")), first, last, origin, year)
        )
    return out


# --- co-mentions -------------------------------------------------------------------------


def comention_graph(src: Any, *, kinds: Iterable[str] = ("person", "org", "place"),
                    min_weight: int = 2, top: int | None = 500, query: str | None = None,
                    visible: Any = None) -> nx.Graph:  # fmt: skip
    """Entities as nodes (``kind``, ``name``, ``cables``), an edge between two entities
    mentioned in the same cables, ``weight`` = how many. ``top`` keeps the entities in
    most cables (None: all), ``min_weight`` drops rarer pairs, ``query`` restricts to the
    cables matching a search."""
    conn = _conn(src)
    kinds = [k for k in kinds]
    ids = _ids_table(conn, src, query)
    g = nx.Graph(name="co-mentions")
    if not _has(conn, "entities"):
        return g
    marks = ",".join("?" * len(kinds))
    vis, vparams = "", []
    if visible is not None:
        clause, vparams = visible.portion_clause("vp")
        vis = f" JOIN portions vp ON vp.portion_id = m.portion_id AND {clause}"
    scope = f" AND m.cable_id IN (SELECT id FROM {ids})" if ids else ""
    conn.execute("DROP TABLE IF EXISTS temp.cg_em")
    conn.execute(
        "CREATE TEMP TABLE cg_em AS SELECT DISTINCT m.entity_id AS e, m.cable_id AS c "
        f"FROM mentions m{vis} JOIN entities x ON x.entity_id = m.entity_id "
        f"WHERE x.kind IN ({marks}){scope}",
        [*vparams, *kinds],
    )
    if top:
        conn.execute(
            "DELETE FROM temp.cg_em WHERE e NOT IN (SELECT e FROM temp.cg_em GROUP BY e "
            "ORDER BY count(*) DESC, e LIMIT ?)",
            (top,),
        )
    conn.execute("CREATE INDEX temp.cg_em_c ON cg_em(c, e)")
    for eid, kind, name, n in conn.execute(
        "SELECT t.e, x.kind, x.name, count(*) FROM temp.cg_em t JOIN entities x ON x.entity_id = t.e "
        "GROUP BY t.e"
    ):
        g.add_node(eid, kind=kind, name=name, label=name, cables=n)
    for a, b, w in conn.execute(
        "SELECT a.e, b.e, count(*) AS w FROM temp.cg_em a JOIN temp.cg_em b ON a.c = b.c AND a.e < b.e "
        "GROUP BY a.e, b.e HAVING w >= ?",
        (min_weight,),
    ):
        g.add_edge(a, b, weight=w)
    conn.execute("DROP TABLE IF EXISTS temp.cg_em")
    if ids:
        conn.execute(f"DROP TABLE IF EXISTS {ids}")
    return g


def ego_network(src: Any, center: str, *, radius: int = 1, min_weight: int = 1,
                visible: Any = None) -> nx.Graph:  # fmt: skip
    """The network around one entity (``person:...``) or one cable (``09BAKU433``):
    for an entity, the entities co-mentioned with it within ``radius`` steps; for a cable,
    the cables it cites and that cite it within ``radius`` steps."""
    conn = _conn(src)
    if ":" in center:
        from cablegram.enrich.catalog import _find

        eid = _find(conn, center) if _has(conn, "entities") else None
        if eid is None:
            raise NotFound(f"no entity {center}")
        frontier, seen = {eid}, {eid}
        g = nx.Graph(name=f"ego {eid}")
        for _ in range(radius):
            nxt: set[str] = set()
            for e in frontier:
                for other, w in _neighbours(conn, e, visible):
                    if w < min_weight:
                        continue
                    g.add_edge(e, other, weight=w)
                    if other not in seen:
                        nxt.add(other)
            seen |= nxt
            frontier = nxt
        g.add_node(eid)
        for n in g.nodes:
            row = conn.execute(
                "SELECT kind, name, n_cables FROM entities WHERE entity_id = ?", (n,)
            ).fetchone()
            if row:
                g.nodes[n].update(
                    kind=row[0], name=row[1], label=row[1], cables=row[2], center=n == eid
                )
        return g
    cid = center.strip().upper()
    full = citation_graph(conn)
    full.add_node(cid)
    nodes = set(nx.ego_graph(full.to_undirected(as_view=True), cid, radius=radius).nodes)
    sub = full.subgraph(nodes).copy()
    _annotate(conn, sub)
    for n in sub.nodes:
        sub.nodes[n]["center"] = n == cid
    return sub


def _neighbours(conn: sqlite3.Connection, eid: str, visible: Any) -> list[tuple[str, int]]:
    vis, vparams = "", []
    vis2 = ""
    if visible is not None:
        clause, vparams = visible.portion_clause("vp")
        vis = f" JOIN portions vp ON vp.portion_id = m.portion_id AND {clause}"
        clause2, vparams2 = visible.portion_clause("vq")
        vis2 = f" JOIN portions vq ON vq.portion_id = o.portion_id AND {clause2}"
        vparams = [*vparams, *vparams2]
    rows = conn.execute(
        f"SELECT o.entity_id, count(DISTINCT o.cable_id) FROM mentions m{vis} "
        f"JOIN mentions o ON o.cable_id = m.cable_id{vis2} "
        "WHERE m.entity_id = ? AND o.entity_id IS NOT NULL AND o.entity_id != ? "
        "GROUP BY o.entity_id",
        [*vparams, eid, eid],
    ).fetchall()
    return [(o, n) for o, n in rows]


# --- files ---------------------------------------------------------------------------------


def _scalar_graph(g: nx.Graph) -> nx.Graph:
    """A copy whose attribute values GEXF and GraphML can hold (no None, no lists)."""
    h = g.copy()

    def fix(d: dict[str, Any]) -> None:
        for k, v in list(d.items()):
            if v is None:
                d[k] = ""
            elif isinstance(v, list | tuple | set):
                d[k] = ",".join(map(str, v))
            elif not isinstance(v, str | int | float | bool):
                d[k] = str(v)

    for _, d in h.nodes(data=True):
        fix(d)
    for *_, d in h.edges(data=True):
        fix(d)
    fix(h.graph)
    return h


def export(g: nx.Graph, fmt: str, out: str | os.PathLike[str] | IO[Any]) -> None:
    """Write ``g`` as GEXF, GraphML or JSON (networkx node-link data, edges as ``links``)."""
    if fmt not in GRAPH_FORMATS:
        raise ValueError(f"format must be one of {', '.join(GRAPH_FORMATS)}")
    h = _scalar_graph(g)
    if fmt == "json":
        data = nx.node_link_data(h, edges="links")
        text = json.dumps(data, ensure_ascii=False, indent=1, default=str)
        if isinstance(out, str | os.PathLike):
            with open(out, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
        else:
            out.write(text + "\n")
        return
    writer = nx.write_gexf if fmt == "gexf" else nx.write_graphml
    if isinstance(out, str | os.PathLike):
        writer(h, os.fspath(out))
    else:
        import io

        buf = io.BytesIO()
        writer(h, buf)
        data = buf.getvalue()
        try:
            out.write(data)
        except TypeError:
            out.write(data.decode("utf-8"))


def load(fmt: str, path: str | os.PathLike[str]) -> nx.Graph:
    """Read back a graph written by :func:`export`."""
    if fmt == "gexf":
        return nx.read_gexf(os.fspath(path))
    if fmt == "graphml":
        return nx.read_graphml(os.fspath(path))
    if fmt == "json":
        with open(path, encoding="utf-8") as fh:
            return nx.node_link_graph(json.load(fh), edges="links")
    raise ValueError(f"format must be one of {', '.join(GRAPH_FORMATS)}")
