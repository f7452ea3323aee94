"""The Python API: an archive of cables in a store, mirroring the command line.

from cablegram.archive import Archive

with Archive("cables.db") as arc:
    report = arc.ingest(["cablegate.tar.xz"], workers=4)
    result = arc.search("tag:PGOV baku", per_page=10)
    cable = arc.get("09BAKU433")
    print(arc.diff("09BAKU433"))
    arc.export("parquet", "out.parquet", query="origin:BAKU")
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any

from cablegram.diff import CableDiff, FieldChange, diff_versions, render_text
from cablegram.errors import NotFound, Unsupported
from cablegram.export import EXPORT_BATCH, EXPORT_FORMATS, check_export, write_export
from cablegram.ingest import CHUNK_DOCS, IngestReport, ingest
from cablegram.model import Cable, Reference
from cablegram.store import ErrorInfo, RunInfo, Store, VersionInfo, open_store

if TYPE_CHECKING:
    from cablegram.access.rules import Reader
    from cablegram.access.view import Auditor, ReaderArchive
    from cablegram.graph import Citation, MissingCable
    from cablegram.search import SearchResult, Visibility

# (CableDiff, FieldChange, EXPORT_FORMATS and render_text are also importable from here,
# where they lived before cablegram.diff and cablegram.export.)
__all__ = ["Archive", "CableDiff", "FieldChange", "EXPORT_FORMATS", "render_text"]


class Archive:
    """A collection of cables in a store (a SQLite file by default)."""

    def __init__(self, path: str | os.PathLike[str] = "cablegram.db", *, create: bool = True):
        self.path = os.fspath(path)
        self.store: Store = open_store(self.path, create=create)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return self.store.count()

    def __contains__(self, cable_id: object) -> bool:
        return isinstance(cable_id, str) and self.get(cable_id) is not None

    def __iter__(self) -> Iterator[Cable]:
        return self.store.iter_cables()

    def as_reader(self, reader: Reader, *, audit: Auditor | None = None) -> ReaderArchive:
        """The access-checked view of this archive for ``reader`` (``cablegram.access``):
        the same read methods, each showing only the portions the reader may see."""
        from cablegram.access.view import ReaderArchive

        return ReaderArchive(self.store, reader, audit, path=self.path)

    # -- writing ---------------------------------------------------------------------------
    def ingest(
        self,
        paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        *,
        workers: int | None = None,
        progress: bool = False,
        force: bool = False,
        chunk_size: int = CHUNK_DOCS,
        engine: str = "local",
        scheduler: str | None = None,
    ) -> IngestReport:
        """Ingest files, folders, archives, cables.csv or JSON Lines; see docs/ingest.md.
        ``engine="dask"`` parses on a Dask cluster (``scheduler`` address, or a local one):
        docs/scaling.md."""
        if isinstance(paths, str | os.PathLike):
            paths = [paths]
        return ingest(
            self.store, paths, workers=workers, progress=progress, force=force,
            chunk_docs=chunk_size, engine=engine, scheduler=scheduler,
        )  # fmt: skip

    # -- reading ---------------------------------------------------------------------------
    def get(self, cable_id: str) -> Cable | None:
        """The shown (most complete) version of a cable."""
        return self.store.get(self.resolve(cable_id))

    def resolve(self, cable_id: str) -> str:
        """The id of the cable that ``cable_id`` names: itself, or the cable it is an alias
        of (an id WikiLeaks published malformed, such as 09EFTOLONDON2239)."""
        return self.store.resolve(_norm(cable_id))

    def versions(self, cable_id: str) -> list[VersionInfo]:
        return self.store.versions(self.resolve(cable_id))

    def version(self, cable_id: str, ref: int | str) -> Cable | None:
        """One version by number (1-based, in ingest order) or content-hash prefix."""
        found = self.store.version(self.resolve(cable_id), ref)
        return found[1] if found else None

    def diff(
        self, cable_id: str, a: int | str | None = None, b: int | str | None = None
    ) -> CableDiff:
        """What changed between two versions of a cable: field changes and a unified diff
        of the rendered text. ``b`` defaults to the shown version, ``a`` to the latest
        other one. Raises ``LookupError`` for an unknown cable or version."""
        return diff_versions(self.store, self.resolve(cable_id), a, b)

    def search(
        self,
        q: str,
        *,
        page: int = 1,
        per_page: int = 20,
        sort: str = "relevance",
        facets: bool = True,
        visible: Visibility | None = None,
    ) -> SearchResult:
        """Search (``cablegram.search``): a ``SearchResult`` with hits, snippets, facets."""
        return self.store.search(
            q, page=page, per_page=per_page, sort=sort, facets=facets, visible=visible
        )

    def search_ids(self, q: str, *, visible: Visibility | None = None) -> Iterator[str]:
        """Every matching cable id (no cap), newest first."""
        return self.store.search_ids(q, visible=visible)

    # -- citations (used by the web UI and the HTTP API) -------------------------------------
    def present(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` (canonical cable ids) are cables in the archive."""
        return self.store.present(_norm(i) for i in ids if i and i.strip())

    def references_of(self, cable_id: str) -> list[tuple[Reference, bool]]:
        """The REF block of a cable's shown version, each reference with whether the cable
        it cites is in the archive (``False`` too when the reference could not be resolved
        to an id). Raises ``LookupError`` for an unknown cable."""
        cid = _norm(cable_id)
        if not self.store.present([cid]):
            raise NotFound(f"no cable {cid}")
        refs = self.store.references_of(cid)
        have = self.store.present(r.id for r in refs if r.id)
        return [(r, bool(r.id) and r.id in have) for r in refs]

    def cited_by(self, cable_id: str) -> list[str]:
        """Ids of the other cables whose REF block cites ``cable_id``, newest first."""
        return self.store.cited_by(_norm(cable_id))

    def coverage(self, post: str | None = None, year: int | None = None) -> list[Any]:
        """How much of each post's traffic per year the archive holds, from station
        serials (``cablegram.telegram.coverage``): a ``CoverageRow`` per post and year."""
        from cablegram.telegram.coverage import coverage, post_ids, store_rows

        ids = post_ids(self.store, post) if post else None
        return coverage(store_rows(self.store, ids), post, year)

    def lint(self) -> int:
        """Lint the cables changed since the last run and keep their findings (for
        ``lint:RULE`` and ``anomalies``); returns how many were linted."""
        from cablegram.telegram.anomalies import refresh

        return refresh(self.store)

    def anomalies(self) -> Any:
        """Lint findings over the archive: cables per rule, per rule and year or origin."""
        from cablegram.telegram.anomalies import anomalies

        return anomalies(self.store)

    def stats(self) -> dict[str, Any]:
        """Counts: cables, versions, errors; per year, origin, classification, caveat; top
        tags; errors by code."""
        return self.store.stats()

    def errors(self, *, run_id: int | None = None, limit: int | None = None) -> list[ErrorInfo]:
        return self.store.errors(run_id=run_id, limit=limit)

    def runs(self) -> list[RunInfo]:
        return self.store.runs()

    # -- export ----------------------------------------------------------------------------
    def export(
        self,
        fmt: str,
        out: str | os.PathLike[str] | IO[Any],
        query: str | None = None,
        *,
        batch_size: int = EXPORT_BATCH,
        partition_by: str | None = None,
    ) -> int:
        """Stream the shown version of every cable (or of those matching ``query``) to
        ``out`` (a path, '-' for standard output, or an open file) as ``jsonl``, ``csv``
        or ``parquet``. Returns the number of cables written.

        ``partition_by="year"`` (parquet only): ``out`` is a directory, written as a
        Hive-partitioned Parquet dataset (``year=2009/part-0.parquet``; undated cables in
        ``year=__HIVE_DEFAULT_PARTITION__``) that Dask, Spark, DuckDB or pyarrow read as one
        table."""
        check_export(fmt, out, partition_by)
        ids = list(self.search_ids(query)) if query else None
        records = None
        if fmt == "jsonl":  # the stored records are that JSON already
            records = self.store.iter_records(ids, batch_size=batch_size)
        return write_export(
            fmt, out, self.store.iter_cables(ids, batch_size=batch_size), records=records,
            batch_size=batch_size, partition_by=partition_by,
        )  # fmt: skip

    # -- entities: people, organisations, places (cablegram.enrich, docs/entities.md) -----
    def enrich(
        self,
        *,
        workers: int | None = None,
        force: bool = False,
        ids: Iterable[str] | None = None,
        progress: Any = None,
        engine: str = "local",
        scheduler: str | None = None,
    ) -> Any:
        """Extract and resolve entities in the cables that need it (new or changed text,
        or a new extractor); ``force`` redoes all. ``engine="dask"`` extracts on a Dask
        cluster (``scheduler``, or a local one of ``workers`` processes). Returns an
        ``EnrichReport``."""
        from cablegram.enrich.catalog import connection
        from cablegram.enrich.run import enrich

        if ids is not None:
            ids = [_norm(i) for i in ids]
        return enrich(connection(self.store), workers=workers, force=force, ids=ids,
                      progress=progress, engine=engine, scheduler=scheduler)  # fmt: skip

    def entities(
        self, kind: str | None = None, *, query: str | None = None, sort: str = "cables",
        limit: int = 50, offset: int = 0,
    ) -> list[Any]:  # fmt: skip
        """Entities (``EntitySummary``), most cited first; ``kind``: person, org, place."""
        from cablegram.enrich.catalog import connection, list_entities

        return list_entities(
            connection(self.store), kind, query=query, sort=sort, limit=limit, offset=offset
        )

    def entity(self, entity_id: str, *, visible: Any = None, limit: int = 100) -> Any:
        """An entity page (``EntityPage``: aliases, titles over time, cables, co-mentioned
        entities), by id (``person:safar-abiyev``) or ``kind:Name``; None if unknown."""
        from cablegram.enrich.catalog import connection, get_entity

        return get_entity(connection(self.store), entity_id, visible=visible, limit=limit)

    def cable_entities(self, cable_id: str, *, visible: Any = None) -> list[dict[str, Any]]:
        """The entity mentions of one cable, in reading order."""
        from cablegram.enrich.catalog import cable_entities, connection

        return cable_entities(connection(self.store), cable_id, visible=visible)

    def merge_entities(self, source: str, into: str, *, note: str = "") -> Any:
        """Merge ``source`` into ``into``; kept across re-enrichment."""
        from cablegram.enrich.catalog import connection, merge_entities

        return merge_entities(connection(self.store), source, into, note=note)

    def split_entity(self, entity_id: str, name: str, **scope: Any) -> Any:
        """Split mentions off ``entity_id`` into a new entity ``name``: ``cables=[...]``,
        ``before="YYYY-MM-DD"``, ``after=...`` or ``aliases=[...]``."""
        from cablegram.enrich.catalog import connection, split_entity

        return split_entity(connection(self.store), entity_id, name, **scope)

    def rename_entity(self, entity_id: str, name: str, *, note: str = "") -> Any:
        from cablegram.enrich.catalog import connection, rename_entity

        return rename_entity(connection(self.store), entity_id, name, note=note)

    def delete_entity(self, entity_id: str, *, note: str = "") -> Any:
        """Mark an entity as no entity (a false positive); kept across re-enrichment."""
        from cablegram.enrich.catalog import connection, delete_entity

        return delete_entity(connection(self.store), entity_id, note=note)

    def corrections(self) -> list[Any]:
        """The users' entity decisions, in the order they are applied."""
        from cablegram.enrich.catalog import connection, corrections

        return corrections(connection(self.store))

    def migrations(self) -> list[tuple[int, str, str]]:
        """The applied schema migrations (version, name, when) of a PostgreSQL archive."""
        applied = getattr(self.store, "applied_migrations", None)
        if applied is None:
            raise Unsupported("migrations are for postgresql:// databases")
        return applied()

    def entity_facets(self, query: str, *, limit: int = 10, visible: Any = None) -> dict[str, Any]:
        """Top people, organisations and places among the cables matching ``query``."""
        from cablegram.enrich.catalog import connection, entity_facets

        ids = self.search_ids(query, visible=visible)
        return entity_facets(connection(self.store), ids, limit=limit, visible=visible)

    def unreadable(self) -> list[tuple[str, str]]:
        """(id, classification) of the cables whose overall classification cannot be read
        (their unmarked portions are shown at TOP SECRET only)."""
        from cablegram.access.unreadable import unreadable

        return unreadable(self.store)

    # -- graphs (cablegram.graph; SQLite stores) --------------------------------------------
    def citation_graph(self, *, query: str | None = None) -> Any:
        """Cables as nodes, citations as edges (a ``networkx.DiGraph``); with ``query``,
        only the citations the matching cables make."""
        from cablegram import graph

        return graph.citation_graph(self, query=query)

    def comention_graph(
        self,
        *,
        kinds: Iterable[str] = ("person", "org", "place"),
        min_weight: int = 2,
        top: int | None = 500,
        query: str | None = None,
    ) -> Any:
        """Entities as nodes, an edge between two mentioned in the same cables."""
        from cablegram import graph

        return graph.comention_graph(self, kinds=kinds, min_weight=min_weight, top=top,
                                     query=query)  # fmt: skip

    def ego_network(self, center: str, *, radius: int = 1, min_weight: int = 1) -> Any:
        """The network around one entity (``person:...``) or one cable."""
        from cablegram import graph

        return graph.ego_network(self, center, radius=radius, min_weight=min_weight)

    def cites(self, cable_id: str) -> list[Citation]:
        """The cables ``cable_id`` cites (REF lines, ids in the text, septels)."""
        from cablegram import graph

        return graph.cites(self, cable_id)

    def citing(self, cable_id: str) -> list[Citation]:
        """The citations of ``cable_id`` made by archive cables (it need not be here)."""
        from cablegram import graph

        return graph.cited_by(self, cable_id)

    def most_cited(self, limit: int = 20) -> list[tuple[str, int, bool]]:
        """(cable id, citing cables, in the archive), most cited first."""
        from cablegram import graph

        return graph.most_cited(self, limit)

    def missing_citations(self, limit: int | None = None) -> list[MissingCable]:
        """Cables cited in the archive but missing from it, most cited first."""
        from cablegram import graph

        return graph.missing_citations(self, limit)


def _norm(cable_id: str) -> str:
    return cable_id.strip().upper()
