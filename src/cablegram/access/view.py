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

import dataclasses
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any

from cablegram.access.entity_ids import PublicIds
from cablegram.access.rules import WITHHELD, Reader, Redaction, redact
from cablegram.diff import CableDiff, _diff, diff_versions
from cablegram.errors import NotFound
from cablegram.export import EXPORT_BATCH, check_export, write_export
from cablegram.model import Cable, Reference
from cablegram.search.visibility import Visibility
from cablegram.store import ErrorInfo, RunInfo, Store, VersionInfo

if TYPE_CHECKING:
    from cablegram.search import SearchResult

__all__ = ["ReaderArchive", "Auditor"]

# (action, target, query, result) -> None
Auditor = Callable[[str, str, str, "int | None"], None]


_CHUNK = 500  # entity ids per IN (...) list


def _norm(cable_id: str) -> str:
    return cable_id.strip().upper()


class ReaderArchive:
    """What ``reader`` may see of an archive's ``store`` (``Archive.as_reader``). Cheap to
    make: one per request. Every read is a ``Store`` method given ``self.visible``."""

    def __init__(self, store: Store, reader: Reader, audit: Auditor | None = None, *,
                 path: str = "") -> None:  # fmt: skip
        self.store = store
        self.reader = reader
        self.visible: Visibility | None = reader.visibility
        self._audit = audit
        self.path = path or getattr(store, "url", "")
        self._ids: PublicIds | None = None

    # -- helpers ---------------------------------------------------------------------------

    def _log(
        self, action: str, target: str = "", query: str = "", result: int | None = None
    ) -> None:
        if self._audit is not None:
            self._audit(action, target, query, result)

    def visible_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are cables with at least one portion the reader may see."""
        return self.store.present(ids, self.visible)

    def _all_visible_ids(self) -> list[str]:
        """Every visible cable id, newest first (as ``search_ids``)."""
        return self.store.cable_ids(self.visible)

    def redaction(self, cable_id: str) -> Redaction | None:
        """The shown version as the reader may see it, with what was withheld; None when
        the cable is unknown or has no visible portion."""
        cid = self.store.resolve(_norm(cable_id))  # (an alias names the cable too)
        # Visibility first, from the portions index: a withheld cable is answered as fast
        # as an unknown one, not after loading and redacting its record (issue 21).
        if self.visible is not None and not self._exists(cid):
            return None
        cable = self.store.get(cid)
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
        ids = None if self.visible is None else self._all_visible_ids()
        for c in self.store.iter_cables(ids):
            yield redact(c, self.visible).cable

    def _reader_versions(self, cid: str) -> list[tuple[VersionInfo, Cable]]:
        """Each version as a restricted reader sees it: completeness and content hash of
        the redacted record (the full one's differ by withheld text), the source without
        the server's folders (issue 21)."""
        from cablegram.store.rows import completeness, record_json

        out = []
        for v in self.store.versions(cid):
            found = self.store.version(cid, v.number)
            if found is None:
                continue
            cable = redact(found[1], self.visible).cable
            info = dataclasses.replace(
                v,
                content_hash=hashlib.sha256(record_json(cable).encode()).hexdigest(),
                source=os.path.basename(v.source.rstrip("/")),
                completeness=completeness(cable),
            )
            out.append((info, cable))
        return out

    def _pick(
        self, cid: str, ref: int | str, got: list[tuple[VersionInfo, Cable]] | None = None
    ) -> tuple[VersionInfo, Cable] | None:
        """A version by number or by a prefix of the hash the reader was shown."""
        got = self._reader_versions(cid) if got is None else got
        s = str(ref).strip().lower()
        if s.isdigit() and len(s) < 6:
            k = int(s)
            return next((x for x in got if x[0].number == k), None)
        hits = [x for x in got if s and x[0].content_hash.startswith(s)]
        return hits[0] if len(hits) == 1 else None

    def versions(self, cable_id: str) -> list[VersionInfo]:
        cid = _norm(cable_id)
        if not self._exists(cid):
            return []
        if self.visible is None:
            return self.store.versions(cid)
        return [info for info, _ in self._reader_versions(cid)]

    def version(self, cable_id: str, ref: int | str) -> Cable | None:
        cid = _norm(cable_id)
        if not self._exists(cid):
            return None
        if self.visible is None:
            got = self.store.version(cid, ref)
            found = got[1] if got is not None else None
        else:
            picked = self._pick(cid, ref)
            found = picked[1] if picked else None
        self._log("read-version", cid, str(ref), int(found is not None))
        return found

    def diff(
        self, cable_id: str, a: int | str | None = None, b: int | str | None = None
    ) -> CableDiff:
        """``Archive.diff`` of the two versions as the reader may see them."""
        cid = _norm(cable_id)
        if not self._exists(cid):
            raise NotFound(f"no cable {cid}")
        if self.visible is None:
            d = diff_versions(self.store, cid, a, b)
            self._log("diff", cid, f"{d.a.number}..{d.b.number}")
            return d
        # Hash prefixes are of the hashes this reader was shown, and the versions compared
        # carry the redacted record's hash and completeness (``_reader_versions``).
        got = self._reader_versions(cid)
        if not got:
            raise NotFound(f"no cable {cid}")
        va, vb = (None if ref is None else self._pick(cid, ref, got) for ref in (a, b))
        for ref, v in ((a, va), (b, vb)):
            if ref is not None and v is None:
                raise NotFound(f"{cid} has no version {ref}")
        # The defaults of ``diff_versions``: the shown version, and the latest other one.
        if vb is None:
            vb = next((x for x in got if x[0].shown), got[-1])
        if va is None:
            others = [x for x in got if x[0].number != vb[0].number]
            va = others[-1] if others else vb
        self._log("diff", cid, f"{va[0].number}..{vb[0].number}")
        return _diff(cid, va, vb)

    # -- search ----------------------------------------------------------------------------
    def search(self, q: str, *, page: int = 1, per_page: int = 20, sort: str = "relevance",
               facets: bool = True, visible: Any = None, audit: bool = True) -> SearchResult:  # fmt: skip
        """``Archive.search`` restricted to the reader (``visible`` is ignored: the
        reader's rights decide)."""
        res: SearchResult = self.store.search(q, page=page, per_page=per_page, sort=sort,
                                              facets=facets, visible=self.visible)  # fmt: skip
        if self.visible is not None:
            # Scores use archive-wide statistics (the archive's size, withheld text's
            # length): a restricted reader gets the rank alone, as 1/rank (issue 21).
            first = (page - 1) * per_page
            for i, h in enumerate(res.hits):
                h.score = round(1.0 / (first + i + 1), 6) if h.score else 0.0
        if audit:
            self._log("search", "", q, res.total)
        return res

    def search_ids(self, q: str, *, visible: Any = None) -> Iterator[str]:
        return self.store.search_ids(q, visible=self.visible)

    # -- citations -------------------------------------------------------------------------
    def present(self, ids: Iterable[str]) -> set[str]:
        return self.visible_ids(_norm(i) for i in ids if i and i.strip())

    def references_of(self, cable_id: str) -> list[tuple[Reference, bool]]:
        cid = _norm(cable_id)
        if not self._exists(cid):
            raise NotFound(f"no cable {cid}")
        refs = self.store.references_of(cid)
        have = self.visible_ids(r.id for r in refs if r.id)
        return [(r, bool(r.id) and r.id in have) for r in refs]

    def cited_by(self, cable_id: str) -> list[str]:
        cid = _norm(cable_id)
        if not self._exists(cid):
            return []
        ids = self.store.cited_by(cid)
        have = self.visible_ids(ids)
        return [i for i in ids if i in have]

    # -- stats -----------------------------------------------------------------------------
    def stats(self, *, audit: bool = True) -> dict[str, Any]:
        if audit:
            self._log("stats")
        return self.store.stats(self.visible)

    def coverage(self, post: str | None = None, year: int | None = None) -> list[Any]:
        """``Archive.coverage`` from the cables the reader may see only, the highest
        serial included (a withheld cable's serial would say that it exists)."""
        from cablegram.telegram.coverage import coverage, post_ids, store_rows

        self._log("coverage", post or "", str(year or ""))
        ids: Iterable[str] | None
        if post:
            ids = post_ids(self.store, post)
            if self.visible is not None:
                ids = self.visible_ids(ids)
        else:
            ids = None if self.visible is None else self._all_visible_ids()
        return coverage(store_rows(self.store, ids), post, year)

    def anomalies(self) -> Any:
        """``Archive.anomalies`` over the cables the reader may see."""
        from cablegram.telegram.anomalies import anomalies

        self._log("anomalies")
        return anomalies(self.store, None if self.visible is None else self._all_visible_ids())

    def errors(self, *, run_id: int | None = None, limit: int | None = None) -> list[ErrorInfo]:
        if not self.reader.admin:
            raise PermissionError("ingest errors are for administrators")
        return self.store.errors(run_id=run_id, limit=limit)

    def runs(self) -> list[RunInfo]:
        if not self.reader.admin:
            raise PermissionError("ingest runs are for administrators")
        return self.store.runs()

    # -- export ----------------------------------------------------------------------------
    def iter_cables(
        self, query: str | None = None, *, batch_size: int = EXPORT_BATCH
    ) -> Iterator[Cable]:
        """The redacted shown version of every visible cable (or those matching ``query``)."""
        if query:
            ids: list[str] | None = list(self.search_ids(query))
        elif self.visible is None:
            ids = None
        else:
            ids = self._all_visible_ids()
        for c in self.store.iter_cables(ids, batch_size=batch_size):
            r = redact(c, self.visible)
            if self.visible is None or r.any_visible:
                yield r.cable

    def export(self, fmt: str, out: str | os.PathLike[str] | IO[Any], query: str | None = None,
               *, batch_size: int = EXPORT_BATCH, partition_by: str | None = None) -> int:  # fmt: skip
        """``Archive.export`` of what the reader may see (withheld portions as
        placeholders)."""
        check_export(fmt, out, partition_by)
        records = None
        if self.visible is None and fmt == "jsonl":  # the stored records, as Archive.export
            ids = list(self.search_ids(query)) if query else None
            records = self.store.iter_records(ids, batch_size=batch_size)
        n = write_export(fmt, out, self.iter_cables(query, batch_size=batch_size),
                         records=records, batch_size=batch_size, partition_by=partition_by)  # fmt: skip
        self._log("export", fmt, query or "", n)
        return n

    # -- entities --------------------------------------------------------------------------
    def _opaque(self, entity_id: str) -> str:
        """The id a restricted reader sees: an entity id is made from its full name, which
        may be written only in a withheld paragraph; this one is keyed by the archive's
        secret (``access.entity_ids``)."""
        if self.visible is None:
            return entity_id
        if self._ids is None:
            self._ids = self.store.public_entity_ids()
        return self._ids.public(entity_id)

    def _resolve(self, ref: str) -> str | None:
        if self.visible is None:
            return self.store.find_entity(ref)
        # A dict lookup, whatever the id: no listing that takes longer when it exists.
        return self.store.entity_by_public_id(ref)

    def _summaries(self, eids: Iterable[str]) -> dict[str, Any]:
        """public id -> visible summary (name, counts) of these entities only: pages list
        a few entities, never every visible one (issue 21)."""
        ids = list(dict.fromkeys(eids))
        out: dict[str, Any] = {}
        for i in range(0, len(ids), _CHUNK):
            part = ids[i : i + _CHUNK]
            out.update((s.entity_id, s) for s in self.entities(None, limit=len(part), _only=part))
        return out

    def _names(self, eids: Iterable[str]) -> dict[str, str]:
        return {k: s.name for k, s in self._summaries(eids).items()}

    def entities(self, kind: str | None = None, *, query: str | None = None, sort: str = "cables",
                 limit: int = 50, offset: int = 0, _only: list[str] | None = None) -> list[Any]:  # fmt: skip
        """Entities with at least one visible mention; counts, dates and the name shown
        come from visible mentions only. (``_only``: these entity ids alone, unaudited.)"""
        if _only is None:
            self._log("entities", kind or "", query or "")
        found = self.store.entities(self.visible, kind, query=query, sort=sort, limit=limit,
                                    offset=offset, only=_only)  # fmt: skip
        if self.visible is not None:
            for e in found:
                e.entity_id = self._opaque(e.entity_id)
        return found

    def entity(self, entity_id: str, *, limit: int = 100) -> Any:
        """An entity page from visible mentions only; None when unknown or when no visible
        portion mentions it (the same answer)."""
        from cablegram.enrich.catalog import EntityPage

        if self.visible is None:
            page = self.store.entity(entity_id, limit=limit)
            self._log("entity", entity_id, "", int(page is not None))
            return page
        eid = self._resolve(entity_id)
        # The same indexed query for an unknown id as for a known one: whether an entity
        # exists only in withheld text must not show in the time taken (issue 21).
        found = self.entities(None, limit=1, _only=[eid or ""])
        self._log("entity", entity_id, "", int(eid is not None and bool(found)))
        if eid is None or not found:
            return None
        summary = found[0]
        page = self.store.entity(eid, self.visible, limit=limit)
        out = EntityPage(summary)
        out.aliases, out.titles = self.store.entity_names(eid, self.visible)
        if page is not None:
            out.timeline, out.n_cables, out.cables = page.timeline, page.n_cables, page.cables
            names = self._names(d["entity_id"] for d in page.co_mentioned)
            out.co_mentioned = [
                {**d, "entity_id": self._opaque(d["entity_id"]),
                 "name": names.get(self._opaque(d["entity_id"]), "")}
                for d in page.co_mentioned
                if self._opaque(d["entity_id"]) in names
            ]  # fmt: skip
        return out

    def cable_entities(self, cable_id: str) -> list[dict[str, Any]]:
        cid = _norm(cable_id)
        if self.visible is not None and not self._exists(cid):
            return []
        rows = self.store.cable_entities(cid, self.visible)
        if self.visible is not None:
            for r in rows:
                r["entity_id"] = self._opaque(r["entity_id"]) if r["entity_id"] else None
                r["name"] = r["text"]  # the full name may be resolved from withheld text
        return rows

    def entity_facets(self, query: str, *, limit: int = 10) -> dict[str, Any]:
        out = self.store.entity_facets(self.search_ids(query), self.visible, limit=limit)
        if self.visible is None:
            return out
        names = self._names(e for v in out.values() for e, _name, _n in v)
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
            return graph.comention_graph(self._source(), query=query, **kw)
        # (matches restricted to the reader)
        g = graph.comention_graph(self._source(), query=query, visible=self.visible, **kw)
        names = self._names(g.nodes)
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
        return self.store.has_entities()

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
        if self.visible is not None and not self.store.entity_seen(eid, self.visible):
            raise missing
        g = graph.ego_network(self._source(), eid, min_weight=min_weight, visible=self.visible)
        keep = sorted(
            (n for n in g.neighbors(eid)),
            key=lambda n: (-g.edges[eid, n].get("weight", 1), str(g.nodes[n].get("name", ""))),
        )[:limit]
        counts: dict[str, int] = {}
        if self.visible is not None:  # names and counts of these entities only
            listed = self._summaries([eid, *keep]).values()
            names = {s.entity_id: s.name for s in listed}
            counts = {s.entity_id: s.n_cables for s in listed}
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
            return graph.citation_graph(self._source(), query=query)
        g = graph.citation_graph(self._source(), kinds=("ref",))
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
        return self.store.subjects(ids, self.visible)

    def _source(self) -> _Source:
        """What ``cablegram.graph`` reads: the store, and the reader's ``search_ids``."""
        return _Source(self.store, self.search_ids)

    # -- declassification review -----------------------------------------------------------
    def declassification(self, due: Any = None, *, sort: str = "due",
                         releasable_only: bool = False) -> Any:  # fmt: skip
        """Cables whose declassify-on date has passed by ``due`` (default today). For a
        reviewer, with predicted sensitivity from the visible text (when the archive has a
        model), ordered by ``sort`` and kept to the likely releasable ones on request; for
        anyone else ``sort`` other than "due" or ``releasable_only`` is a PermissionError."""
        from cablegram.access.declass import SORTS, rank, report

        if sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
        ranked = sort != "due" or releasable_only
        if ranked and not _reviewer(self.reader):
            raise PermissionError("predicted sensitivity is for reviewers (REVIEWER) only")
        ids = None if self.visible is None else self._all_visible_ids()
        rep = report(self.store.declass_rows(ids), due)
        if _reviewer(self.reader):
            scores, threshold = _sensitivity(self, [c.id for c in rep.due_cables], ranked)
            if scores is not None:
                rank(rep, scores, threshold, sort=sort, releasable_only=releasable_only)
        self._log("declass", str(rep.due), "", len(rep.due_cables))
        return rep

    def visible_ids_all(self) -> set[str]:
        return set(self._all_visible_ids())


def _reviewer(reader: Reader) -> bool:
    from cablegram.classify.review import is_reviewer

    return is_reviewer(reader)


def _sensitivity(arc: ReaderArchive, ids: list[str],
                 needed: bool) -> tuple[dict[str, float] | None, float]:  # fmt: skip
    """The reviewer's predictions for ``ids`` and the model's threshold; ``(None, 0)`` when
    the archive has no model (a LookupError when the caller asked to rank by them)."""
    from cablegram.classify.review import load_model, sensitivity

    try:
        model = load_model(arc)
    except NotImplementedError as e:  # PostgreSQL: no model is kept there yet
        if needed:
            raise LookupError(str(e)) from None
        return None, 0.0
    if model is None:
        if needed:
            raise LookupError("no classification model; run `cablegram classify train` first")
        return None, 0.0
    return sensitivity(arc, ids, reader=arc.reader), model.threshold


class _Source:
    """What ``cablegram.graph`` needs: a store, and the reader's ``search_ids``."""

    def __init__(self, store: Any, search_ids: Callable[..., Iterator[str]]) -> None:
        self.store = store
        self.search_ids = search_ids


def withheld_text(text: str) -> bool:
    return text == WITHHELD
