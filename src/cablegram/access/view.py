"""The access-checked view of an archive: ``archive.as_reader(reader)``.

``ReaderArchive`` has the read methods of ``Archive`` (get, versions, version, diff,
search, search_ids, present, references_of, cited_by, stats, export, entities, entity,
cable_entities, entity_facets, graphs, declassification) and applies the portion rules of
``cablegram.access.rules`` in each, with the reader's ``Visibility`` — the one
``search.Visibility.portion_clause`` choke point for SQL, its Python twin ``rules.allows``
for records. The web UI, the HTTP API and the reader-facing CLI use nothing else; raw
``Archive`` access is for administrators' commands.

A cable none of whose portions the reader may see does not exist for them: ``get`` is None,
``versions`` is empty, ``diff`` and ``references_of`` raise ``LookupError`` with the same
message as for an unknown id, it is never counted, cited, listed or exported.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from cablegram.access.rules import WITHHELD, Reader, Redaction, redact
from cablegram.errors import NotFound
from cablegram.model import Cable, Reference
from cablegram.search.visibility import Visibility
from cablegram.store import VersionInfo

__all__ = ["ReaderArchive", "Auditor"]

# (action, target, query, result) -> None
Auditor = Callable[[str, str, str, "int | None"], None]
_CHUNK = 500


def _norm(cable_id: str) -> str:
    return cable_id.strip().upper()


class ReaderArchive:
    """What ``reader`` may see of ``archive``. Cheap to make: one per request."""

    def __init__(self, archive: Any, reader: Reader, audit: Auditor | None = None) -> None:
        self._arc = archive
        self.reader = reader
        self.visible: Visibility | None = reader.visibility
        self._audit = audit

    # -- helpers ---------------------------------------------------------------------------
    @property
    def path(self) -> str:
        return self._arc.path

    @property
    def _conn(self) -> Any:
        return self._arc.store.conn

    def _log(
        self, action: str, target: str = "", query: str = "", result: int | None = None
    ) -> None:
        if self._audit is not None:
            self._audit(action, target, query, result)

    def _clause(self, alias: str) -> tuple[str, list[Any]]:
        assert self.visible is not None
        return self.visible.portion_clause(alias)

    def visible_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are cables with at least one portion the reader may see."""
        ids = [i for i in dict.fromkeys(ids) if i]
        if self.visible is None:
            return self._arc.store.present(ids)
        out: set[str] = set()
        clause, params = self._clause("p")
        for i in range(0, len(ids), _CHUNK):
            part = ids[i : i + _CHUNK]
            rows = self._conn.execute(
                f"SELECT DISTINCT p.cable_id FROM portions p WHERE p.cable_id IN "
                f"({','.join('?' * len(part))}) AND {clause}",
                [*part, *params],
            )
            out.update(r[0] for r in rows)
        return out

    def _all_visible_ids(self) -> Iterator[str]:
        """Every visible cable id, newest first (as ``search_ids``)."""
        clause, params = self._clause("p")
        rows = self._conn.execute(
            "SELECT c.id FROM cables c WHERE EXISTS (SELECT 1 FROM portions p "
            f"WHERE p.cable_id = c.id AND {clause}) ORDER BY c.date IS NULL, c.date DESC, c.id",
            params,
        )
        for r in rows:
            yield r[0]

    def redaction(self, cable_id: str) -> Redaction | None:
        """The shown version as the reader may see it, with what was withheld; None when
        the cable is unknown or has no visible portion."""
        cable = self._arc.store.get(_norm(cable_id))
        if cable is None:
            return None
        r = redact(cable, self.visible)
        if self.visible is not None and not r.any_visible:
            return None
        return r

    def _exists(self, cid: str) -> bool:
        return bool(self.visible_ids([cid]))

    # -- reading ---------------------------------------------------------------------------
    def get(self, cable_id: str) -> Cable | None:
        r = self.redaction(cable_id)
        self._log("read", _norm(cable_id), "", int(r is not None))
        return r.cable if r else None

    def __contains__(self, cable_id: object) -> bool:
        return isinstance(cable_id, str) and self._exists(_norm(cable_id))

    def __len__(self) -> int:
        return int(self.stats(audit=False)["cables"])

    def __iter__(self) -> Iterator[Cable]:
        ids = None if self.visible is None else list(self._all_visible_ids())
        for c in self._arc.store.iter_cables(ids):
            yield redact(c, self.visible).cable

    def versions(self, cable_id: str) -> list[VersionInfo]:
        cid = _norm(cable_id)
        if not self._exists(cid):
            return []
        return self._arc.versions(cid)

    def version(self, cable_id: str, ref: int | str) -> Cable | None:
        cid = _norm(cable_id)
        if not self._exists(cid):
            return None
        found = self._arc.version(cid, ref)
        self._log("read-version", cid, str(ref), int(found is not None))
        return redact(found, self.visible).cable if found is not None else None

    def diff(self, cable_id: str, a: int | str | None = None, b: int | str | None = None) -> Any:
        from cablegram import archive as A

        cid = _norm(cable_id)
        if not self._exists(cid):
            raise NotFound(f"no cable {cid}")
        d = self._arc.diff(cid, a, b)  # resolves the defaults and raises on bad versions
        self._log("diff", cid, f"{d.a.number}..{d.b.number}")
        if self.visible is None:
            return d
        va = self._arc.store.version(cid, d.a.number)
        vb = self._arc.store.version(cid, d.b.number)
        return A._diff(
            cid,
            (va[0], redact(va[1], self.visible).cable),
            (vb[0], redact(vb[1], self.visible).cable),
        )

    # -- search ----------------------------------------------------------------------------
    def search(self, q: str, *, page: int = 1, per_page: int = 20, sort: str = "relevance",
               facets: bool = True, visible: Any = None, audit: bool = True) -> Any:  # fmt: skip
        """``Archive.search`` restricted to the reader (``visible`` is ignored: the
        reader's rights decide)."""
        res = self._arc.search(q, page=page, per_page=per_page, sort=sort, facets=facets,
                               visible=self.visible)  # fmt: skip
        if audit:
            self._log("search", "", q, res.total)
        return res

    def search_ids(self, q: str, *, visible: Any = None) -> Iterator[str]:
        return self._arc.search_ids(q, visible=self.visible)

    # -- citations -------------------------------------------------------------------------
    def present(self, ids: Iterable[str]) -> set[str]:
        return self.visible_ids(_norm(i) for i in ids if i and i.strip())

    def references_of(self, cable_id: str) -> list[tuple[Reference, bool]]:
        cid = _norm(cable_id)
        if not self._exists(cid):
            raise NotFound(f"no cable {cid}")
        refs = self._arc.store.references_of(cid)
        have = self.visible_ids(r.id for r in refs if r.id)
        return [(r, bool(r.id) and r.id in have) for r in refs]

    def cited_by(self, cable_id: str) -> list[str]:
        cid = _norm(cable_id)
        if not self._exists(cid):
            return []
        ids = self._arc.cited_by(cid)
        have = self.visible_ids(ids)
        return [i for i in ids if i in have]

    # -- stats -----------------------------------------------------------------------------
    def stats(self, *, audit: bool = True) -> dict[str, Any]:
        if audit:
            self._log("stats")
        if self.visible is None:
            return self._arc.stats()
        clause, params = self._clause("p")
        c = self._conn
        c.execute("DROP TABLE IF EXISTS temp.cg_vis_ids")
        c.execute(
            "CREATE TEMP TABLE cg_vis_ids AS SELECT DISTINCT p.cable_id AS id FROM portions p "
            f"WHERE {clause}",
            params,
        )
        try:

            def one(q: str, args: list[Any] | None = None) -> int:
                return c.execute(q, args or []).fetchone()[0]

            def pairs(q: str) -> dict[Any, int]:
                return {k: n for k, n in c.execute(q)}

            vc = "cables c JOIN temp.cg_vis_ids v ON v.id = c.id"
            return {
                "cables": one("SELECT count(*) FROM temp.cg_vis_ids"),
                "versions": one(
                    "SELECT count(*) FROM versions x JOIN temp.cg_vis_ids v ON v.id = x.cable_id"
                ),
                "portions": one(f"SELECT count(*) FROM portions p WHERE {clause}", params),
                "errors": 0,
                "runs": 0,
                "years": pairs(
                    f"SELECT c.year, count(*) FROM {vc} GROUP BY c.year ORDER BY c.year"
                ),
                "origins": pairs(
                    "SELECT CASE WHEN c.origin_name != '' THEN c.origin_name ELSE c.origin_code "
                    f"END AS o, count(*) AS n FROM {vc} GROUP BY o ORDER BY n DESC, o"
                ),
                "classifications": pairs(
                    f"SELECT c.classification, count(*) AS n FROM {vc} GROUP BY c.classification "
                    "ORDER BY max(c.class_level), c.classification"
                ),
                "caveats": pairs(
                    "SELECT k.caveat, count(*) AS n FROM caveats k JOIN temp.cg_vis_ids v "
                    "ON v.id = k.cable_id GROUP BY k.caveat ORDER BY n DESC, k.caveat"
                ),
                "tags": pairs(
                    "SELECT t.code, count(*) AS n FROM tags t JOIN temp.cg_vis_ids v "
                    "ON v.id = t.cable_id GROUP BY t.code ORDER BY n DESC, t.code LIMIT 25"
                ),
                "error_codes": {},
            }
        finally:
            c.execute("DROP TABLE IF EXISTS temp.cg_vis_ids")

    def coverage(self, post: str | None = None, year: int | None = None) -> list[Any]:
        """``Archive.coverage`` from the cables the reader may see only, the highest
        serial included (a withheld cable's serial would say that it exists)."""
        from cablegram.telegram.coverage import coverage, post_ids, store_rows

        self._log("coverage", post or "", str(year or ""))
        if self.visible is None:
            return self._arc.coverage(post, year)
        ids = self.visible_ids(post_ids(self._arc.store, post)) if post else self.visible_ids_all()
        return coverage(store_rows(self._arc.store, ids), post, year)

    def anomalies(self) -> Any:
        """``Archive.anomalies`` over the cables the reader may see."""
        from cablegram.telegram.anomalies import anomalies

        self._log("anomalies")
        ids = None if self.visible is None else self.visible_ids_all()
        return anomalies(self._arc.store, ids)

    def errors(self, **kw: Any) -> list[Any]:
        if not self.reader.admin:
            raise PermissionError("ingest errors are for administrators")
        return self._arc.errors(**kw)

    def runs(self) -> list[Any]:
        if not self.reader.admin:
            raise PermissionError("ingest runs are for administrators")
        return self._arc.runs()

    # -- export ----------------------------------------------------------------------------
    def iter_cables(self, query: str | None = None, *, batch_size: int = 1000) -> Iterator[Cable]:
        """The redacted shown version of every visible cable (or those matching ``query``)."""
        if query:
            ids: list[str] | None = list(self.search_ids(query))
        elif self.visible is None:
            ids = None
        else:
            ids = list(self._all_visible_ids())
        for c in self._arc.store.iter_cables(ids, batch_size=batch_size):
            r = redact(c, self.visible)
            if self.visible is None or r.any_visible:
                yield r.cable

    def export(self, fmt: str, out: str | os.PathLike[str] | IO[Any], query: str | None = None,
               *, batch_size: int = 1000, partition_by: str | None = None) -> int:  # fmt: skip
        """``Archive.export`` of what the reader may see (withheld portions as
        placeholders)."""
        from cablegram import archive as A

        if self.visible is None:
            n = self._arc.export(fmt, out, query, batch_size=batch_size, partition_by=partition_by)
            self._log("export", fmt, query or "", n)
            return n
        if fmt not in A.EXPORT_FORMATS:
            raise ValueError(f"format must be one of {', '.join(A.EXPORT_FORMATS)}")
        cables = self.iter_cables(query, batch_size=batch_size)
        if partition_by is not None:
            if fmt != "parquet" or partition_by != "year":
                raise ValueError("partition_by='year' is for the parquet format only")
            n = A._export_parquet_dataset(cables, os.fspath(out), batch_size)  # type: ignore[arg-type]
        else:
            with A._open_out(out, fmt == "parquet") as fh:
                if fmt == "jsonl":
                    n = A._export_jsonl(
                        (json.dumps(c.to_dict(), ensure_ascii=False) for c in cables), fh
                    )
                elif fmt == "csv":
                    n = A._export_csv(cables, fh)
                else:
                    n = A._export_parquet(cables, fh, batch_size)
        self._log("export", fmt, query or "", n)
        return n

    # -- entities --------------------------------------------------------------------------
    def _opaque(self, entity_id: str) -> str:
        """The id a restricted reader sees: an entity id is made from its full name, which
        may be written only in a withheld paragraph."""
        if self.visible is None:
            return entity_id
        kind = entity_id.split(":", 1)[0]
        return f"{kind}:~" + hashlib.sha256(entity_id.encode()).hexdigest()[:16]

    def _resolve(self, ref: str) -> str | None:
        if self.visible is None:
            from cablegram.enrich.catalog import _find

            return _find(self._conn, ref)
        kind, sep, rest = ref.strip().partition(":~")
        if not sep:
            return None
        for (eid,) in self._conn.execute("SELECT entity_id FROM entities WHERE kind = ?", (kind,)):
            if self._opaque(eid) == ref.strip():
                return eid
        return None

    def _mentions(self, alias: str = "m") -> tuple[str, list[Any]]:
        clause, params = self._clause("vp")
        return f" JOIN portions vp ON vp.portion_id = {alias}.portion_id AND {clause}", params

    def entities(self, kind: str | None = None, *, query: str | None = None, sort: str = "cables",
                 limit: int = 50, offset: int = 0) -> list[Any]:  # fmt: skip
        """Entities with at least one visible mention; counts, dates and the name shown
        come from visible mentions only."""
        from cablegram.enrich.catalog import EntitySummary

        self._log("entities", kind or "", query or "")
        if self.visible is None:
            return self._arc.entities(kind, query=query, sort=sort, limit=limit, offset=offset)
        sorts = {
            "cables": "n_cables DESC, n_mentions DESC, name",
            "mentions": "n_mentions DESC, name",
            "name": "name COLLATE NOCASE, eid",
            "first": "first IS NULL, first, name",
            "last": "last IS NULL, last DESC, name",
        }
        if sort not in sorts:
            raise ValueError(f"sort must be one of {', '.join(sorts)}")
        vis, params = self._mentions()
        conds = ["m.entity_id IS NOT NULL"]
        if kind:
            conds.append("e.kind = ?")
            params.append(kind)
        having = ""
        hparams: list[Any] = []
        if query:
            q = query.strip()
            having = " HAVING max(m.text LIKE ? OR m.text LIKE ? OR m.text LIKE ?)"
            hparams = [f"{q}%", f"% {q}%", f"%-{q}%"]
        rows = self._conn.execute(
            "SELECT e.entity_id AS eid, e.kind, "
            "(SELECT m2.text FROM mentions m2"
            + vis.replace("vp", "vp2").replace("m.", "m2.")
            + " WHERE m2.entity_id = e.entity_id AND m2.text != '' "
            "ORDER BY length(m2.text) DESC, m2.text LIMIT 1) AS name, "
            "count(*) AS n_mentions, count(DISTINCT m.cable_id) AS n_cables, "
            "min(c.date) AS first, max(c.date) AS last "
            f"FROM mentions m{vis} JOIN entities e ON e.entity_id = m.entity_id "
            f"JOIN cables c ON c.id = m.cable_id WHERE {' AND '.join(conds)} "
            f"GROUP BY e.entity_id{having} ORDER BY {sorts[sort]} LIMIT ? OFFSET ?",
            [*self._clause("vp2")[1], *params, *hparams, limit, offset],
        ).fetchall()
        return [
            EntitySummary(self._opaque(r[0]), r[1], r[2] or "", r[3], r[4], r[5], r[6], False)
            for r in rows
        ]

    def entity(self, entity_id: str, *, limit: int = 100) -> Any:
        """An entity page from visible mentions only; None when unknown or when no visible
        portion mentions it (the same answer)."""
        from cablegram.enrich.catalog import EntityPage, get_entity

        if self.visible is None:
            page = get_entity(self._conn, entity_id, limit=limit)
            self._log("entity", entity_id, "", int(page is not None))
            return page
        eid = self._resolve(entity_id)
        self._log("entity", entity_id, "", int(eid is not None))
        if eid is None:
            return None
        summary = next(
            (s for s in self.entities(None, sort="cables", limit=1_000_000)
             if s.entity_id == self._opaque(eid)), None,
        )  # fmt: skip
        if summary is None:
            return None
        page = get_entity(self._conn, eid, visible=self.visible, limit=limit)
        vis, params = self._mentions()
        aliases = self._conn.execute(
            f"SELECT m.text, count(*) FROM mentions m{vis} WHERE m.entity_id = ? AND m.text != '' "
            "GROUP BY m.text ORDER BY count(*) DESC, m.text",
            [*params, eid],
        ).fetchall()
        titles = self._conn.execute(
            "SELECT m.title, count(*), min(c.date), max(c.date) FROM mentions m"
            f"{vis} JOIN cables c ON c.id = m.cable_id WHERE m.entity_id = ? AND m.title != '' "
            "GROUP BY m.title ORDER BY min(c.date) IS NULL, min(c.date)",
            [*params, eid],
        ).fetchall()
        out = EntityPage(summary)
        out.aliases = [tuple(a) for a in aliases]
        out.titles = [tuple(t) for t in titles]
        if page is not None:
            out.timeline, out.n_cables, out.cables = page.timeline, page.n_cables, page.cables
            names = {s.entity_id: s.name for s in self.entities(None, limit=1_000_000)}
            out.co_mentioned = [
                {**d, "entity_id": self._opaque(d["entity_id"]),
                 "name": names.get(self._opaque(d["entity_id"]), "")}
                for d in page.co_mentioned
                if self._opaque(d["entity_id"]) in names
            ]  # fmt: skip
        return out

    def cable_entities(self, cable_id: str) -> list[dict[str, Any]]:
        from cablegram.enrich.catalog import cable_entities

        cid = _norm(cable_id)
        if self.visible is not None and not self._exists(cid):
            return []
        rows = cable_entities(self._conn, cid, visible=self.visible)
        if self.visible is not None:
            for r in rows:
                r["entity_id"] = self._opaque(r["entity_id"]) if r["entity_id"] else None
                r["name"] = r["text"]  # the full name may be resolved from withheld text
        return rows

    def entity_facets(self, query: str, *, limit: int = 10) -> dict[str, Any]:
        from cablegram.enrich.catalog import entity_facets

        out = entity_facets(self._conn, self.search_ids(query), limit=limit, visible=self.visible)
        if self.visible is None:
            return out
        names = {s.entity_id: s.name for s in self.entities(None, limit=1_000_000)}
        return {
            k: [(self._opaque(e), names.get(self._opaque(e), ""), n) for e, _name, n in v]
            for k, v in out.items()
        }

    # -- graphs ----------------------------------------------------------------------------
    def comention_graph(self, **kw: Any) -> Any:
        """``graph.comention_graph`` over visible mentions, nodes named from them."""
        import networkx as nx

        from cablegram import graph

        kw.pop("visible", None)
        query = kw.pop("query", None)
        if self.visible is None:
            return graph.comention_graph(self._arc, query=query, **kw)
        src = _Source(self._arc.store, self.search_ids)  # matches restricted to the reader
        g = graph.comention_graph(src, query=query, visible=self.visible, **kw)
        names = {s.entity_id: s.name for s in self.entities(None, limit=1_000_000)}
        out = nx.Graph(name=g.graph.get("name", "co-mentions"))
        for n, d in g.nodes(data=True):
            o = self._opaque(n)
            out.add_node(o, kind=d.get("kind", ""), name=names.get(o, ""),
                         label=names.get(o, ""), cables=d.get("cables", 0))  # fmt: skip
        for a, b, d in g.edges(data=True):
            out.add_edge(self._opaque(a), self._opaque(b), weight=d.get("weight", 1))
        return out

    def has_entities(self) -> bool:
        """Whether the archive has been enriched (``cablegram enrich``)."""
        from cablegram.enrich import db

        return db.has_tables(self._conn)

    def ego_network(self, entity_id: str, *, limit: int = 40, min_weight: int = 1) -> Any:
        """The entities co-mentioned with one entity (radius 1) in visible portions, the
        ``limit`` strongest kept; nodes named from visible mentions. ``LookupError`` when the
        entity is unknown or no visible portion mentions it (the same message)."""
        import networkx as nx

        from cablegram import graph

        missing = NotFound(f"no entity {entity_id.strip()}")
        if not self.has_entities():
            raise missing
        eid = self._resolve(entity_id)
        self._log("ego", entity_id, "", int(eid is not None))
        if eid is None:
            raise missing
        names: dict[str, str] | None = None
        if self.visible is not None:
            vis, params = self._mentions()
            seen = self._conn.execute(
                f"SELECT 1 FROM mentions m{vis} WHERE m.entity_id = ? LIMIT 1", [*params, eid]
            ).fetchone()
            if seen is None:
                raise missing
            listed = self.entities(None, limit=1_000_000)
            names = {s.entity_id: s.name for s in listed}
            counts = {s.entity_id: s.n_cables for s in listed}
        g = graph.ego_network(self._arc, eid, min_weight=min_weight, visible=self.visible)
        keep = sorted(
            (n for n in g.neighbors(eid)),
            key=lambda n: (-g.edges[eid, n].get("weight", 1), str(g.nodes[n].get("name", ""))),
        )[:limit]
        out = nx.Graph(name=f"ego {self._opaque(eid)}")
        for n in [eid, *keep]:
            d = g.nodes[n]
            o = self._opaque(n)
            name = d.get("name", "") if names is None else names.get(o, "")
            out.add_node(o, kind=d.get("kind", n.split(":", 1)[0]), name=name, label=name,
                         cables=d.get("cables", 0), center=n == eid)  # fmt: skip
        for n in keep:
            out.add_edge(
                self._opaque(eid), self._opaque(n), weight=g.edges[eid, n].get("weight", 1)
            )
        if names is not None:  # counts from visible mentions
            for n, d in out.nodes(data=True):
                d["cables"] = counts.get(n, 0)
        return out

    def citation_graph(self, *, query: str | None = None) -> Any:
        """Citations by visible cables. Restricted readers get REF-block citations only
        (citations found in the text carry no portion); a cited cable the reader may not
        see is a node outside the archive, as if it were not there."""
        from cablegram import graph

        if self.visible is None:
            return graph.citation_graph(self._arc, query=query)
        g = graph.citation_graph(self._conn, kinds=("ref",))
        citing = set(self.search_ids(query)) if query else None
        sources = {a for a, _ in g.edges}
        ok = self.visible_ids(sources if citing is None else sources & citing)
        g.remove_edges_from([(a, b) for a, b in list(g.edges) if a not in ok])
        g.remove_nodes_from([n for n in list(g.nodes) if g.degree(n) == 0])
        nodes = list(g.nodes)
        have = self.visible_ids(nodes)
        subjects = self._subjects(have)
        for n in nodes:
            d = g.nodes[n]
            if n in have:
                d["subject"] = subjects.get(n, "")
            else:
                year, origin = graph._year_origin(n)
                d.update(in_archive=False, date=str(year or ""), origin=origin, subject="",
                         classification="")  # fmt: skip
        return g

    def _subjects(self, ids: Iterable[str]) -> dict[str, str]:
        clause, params = self._clause("p")
        ids = list(ids)
        out: dict[str, str] = {}
        for i in range(0, len(ids), _CHUNK):
            part = ids[i : i + _CHUNK]
            out.update(
                self._conn.execute(
                    f"SELECT p.cable_id, p.text FROM portions p WHERE p.kind = 'subject' AND "
                    f"p.cable_id IN ({','.join('?' * len(part))}) AND {clause}",
                    [*part, *params],
                ).fetchall()
            )
        return out

    # -- declassification review -----------------------------------------------------------
    def declassification(self, due: Any = None) -> Any:
        """Cables whose declassify-on date has passed by ``due`` (default today)."""
        from cablegram.access.declass import report

        ids = None if self.visible is None else self.visible_ids_all()
        rep = report(self._conn, due, ids=ids)
        self._log("declass", str(rep.due), "", len(rep.due_cables))
        return rep

    def visible_ids_all(self) -> set[str]:
        return set(self._all_visible_ids())


class _Source:
    """What ``cablegram.graph`` needs: a store, and the reader's ``search_ids``."""

    def __init__(self, store: Any, search_ids: Callable[..., Iterator[str]]) -> None:
        self.store = store
        self.search_ids = search_ids


def withheld_text(text: str) -> bool:
    return text == WITHHELD
