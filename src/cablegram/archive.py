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

import csv
import difflib
import io
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from cablegram.errors import NotFound, Unsupported
from cablegram.ingest import CHUNK_DOCS, IngestReport, ingest
from cablegram.model import Cable, Reference
from cablegram.store import ErrorInfo, RunInfo, Store, VersionInfo, open_store

__all__ = ["Archive", "CableDiff", "FieldChange", "EXPORT_FORMATS", "render_text"]

EXPORT_FORMATS = ("jsonl", "csv", "parquet")
EXPORT_BATCH = 1000
# Fields shown by the text diff rather than the field list.
_TEXT_FIELDS = {"paragraphs", "header", "body"}


@dataclass
class FieldChange:
    field: str  # dotted for nested fields: origin.name, archive.released
    old: Any
    new: Any


@dataclass
class CableDiff:
    cable_id: str
    a: VersionInfo
    b: VersionInfo
    fields: list[FieldChange] = field(default_factory=list)
    text: list[str] = field(default_factory=list)  # unified diff of render_text()

    @property
    def changed(self) -> bool:
        return bool(self.fields or self.text)

    def __str__(self) -> str:
        out = [
            f"{self.cable_id}: version {self.a.number} ({self.a.content_hash[:12]}) -> "
            f"version {self.b.number} ({self.b.content_hash[:12]})"
        ]
        for ch in self.fields:
            out.append(f"  {ch.field}: {_show(ch.old)} -> {_show(ch.new)}")
        out.extend(line.rstrip("\n") for line in self.text)
        return "\n".join(out)


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

    def as_reader(self, reader: Any, *, audit: Any = None) -> Any:
        """The access-checked view of this archive for ``reader`` (``cablegram.access``):
        the same read methods, each showing only the portions the reader may see."""
        from cablegram.access.view import ReaderArchive

        return ReaderArchive(self, reader, audit)

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
        return self.store.get(_norm(cable_id))

    def versions(self, cable_id: str) -> list[VersionInfo]:
        return self.store.versions(_norm(cable_id))

    def version(self, cable_id: str, ref: int | str) -> Cable | None:
        """One version by number (1-based, in ingest order) or content-hash prefix."""
        found = self.store.version(_norm(cable_id), ref)
        return found[1] if found else None

    def diff(
        self, cable_id: str, a: int | str | None = None, b: int | str | None = None
    ) -> CableDiff:
        """What changed between two versions of a cable: field changes and a unified diff
        of the rendered text. ``b`` defaults to the shown version, ``a`` to the latest
        other one. Raises ``LookupError`` for an unknown cable or version."""
        cid = _norm(cable_id)
        infos = self.store.versions(cid)
        if not infos:
            raise NotFound(f"no cable {cid}")
        if b is None:
            b = (
                next(v.number for v in infos if v.shown)
                if any(v.shown for v in infos)
                else len(infos)
            )
        vb = self.store.version(cid, b)
        if vb is None:
            raise NotFound(f"{cid} has no version {b}")
        if a is None:
            others = [v.number for v in infos if v.number != vb[0].number]
            a = others[-1] if others else vb[0].number
        va = self.store.version(cid, a)
        if va is None:
            raise NotFound(f"{cid} has no version {a}")
        return _diff(cid, va, vb)

    def search(
        self,
        q: str,
        *,
        page: int = 1,
        per_page: int = 20,
        sort: str = "relevance",
        facets: bool = True,
        visible: Any = None,
    ) -> Any:
        """Search (``cablegram.search``): a ``SearchResult`` with hits, snippets, facets."""
        return self.store.search(
            q, page=page, per_page=per_page, sort=sort, facets=facets, visible=visible
        )

    def search_ids(self, q: str, *, visible: Any = None) -> Iterator[str]:
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
        if fmt not in EXPORT_FORMATS:
            raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}")
        if partition_by is not None:
            if fmt != "parquet" or partition_by != "year":
                raise ValueError("partition_by='year' is for the parquet format only")
            if not isinstance(out, str | os.PathLike) or os.fspath(out) == "-":
                raise ValueError("a partitioned parquet export needs a directory path")
            ids = self.search_ids(query) if query else None
            return _export_parquet_dataset(
                self.store.iter_cables(ids, batch_size=batch_size), os.fspath(out), batch_size
            )
        ids = self.search_ids(query) if query else None
        binary = fmt == "parquet"
        with _open_out(out, binary) as fh:
            if fmt == "jsonl":  # the stored records are that JSON already
                return _export_jsonl(self.store.iter_records(ids, batch_size=batch_size), fh)
            cables = self.store.iter_cables(ids, batch_size=batch_size)
            if fmt == "csv":
                return _export_csv(cables, fh)
            return _export_parquet(cables, fh, batch_size)

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


def _norm(cable_id: str) -> str:
    return cable_id.strip().upper()


# --- rendering & diff ---------------------------------------------------------------------


def render_text(c: Cable) -> str:
    """A plain-text rendering of a record: header fields, then the paragraphs."""
    lines: list[str] = []

    def put(label: str, value: Any) -> None:
        if value not in (None, "", []):
            lines.append(f"{label}: {value}")

    put("ID", c.id)
    put("DTG", c.dtg)
    put("PRECEDENCE", c.precedence)
    put("FROM", " ".join(x for x in (c.origin.routing, c.origin.name or c.origin.code) if x))
    for role, group in (("TO", c.to), ("INFO", c.info)):
        for a in group:
            put(role, " ".join(x for x in (a.routing, a.name, a.precedence, a.serial) if x))
    put("CLASSIFICATION", " // ".join(x for x in (c.classification, *c.caveats) if x))
    put("SECTIONS", c.sections)
    put(
        "E.O.",
        " ".join(x for x in (c.eo, f"DECL: {c.declassify_on}" if c.declassify_on else "") if x),
    )
    put("TAGS", " ".join(t.code for t in c.tags))
    put("SUBJECT", f"({c.subject_marking}) {c.subject}" if c.subject_marking else c.subject)
    for r in c.references:
        put(
            "REF", " ".join(x for x in (r.label, r.id or "?", f"({r.text})" if r.text else "") if x)
        )
    if c.classified_by:
        put(
            "CLASSIFIED BY",
            ", ".join(x for x in (c.classified_by.name, c.classified_by.title) if x),
        )
    put("REASONS", ", ".join(c.reasons))
    lines.append("")
    heading = ""
    for p in c.paragraphs:
        if p.heading and p.heading != heading:
            lines += [p.heading, ""]
            heading = p.heading
        head = " ".join(x for x in (f"{p.number}." if p.number is not None else "",
                                    f"({p.marking})" if p.marking else "") if x)  # fmt: skip
        lines += [f"{head} {p.text}".strip(), ""]
    put("SIGNED", c.signer)
    return "\n".join(lines).rstrip() + "\n"


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if not prefix and k in _TEXT_FIELDS:
            continue
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _diff(cid: str, va: tuple[VersionInfo, Cable], vb: tuple[VersionInfo, Cable]) -> CableDiff:
    (ia, ca), (ib, cb) = va, vb
    fa, fb = _flat(ca.to_dict()), _flat(cb.to_dict())
    changes = [
        FieldChange(k, fa.get(k), fb.get(k))
        for k in dict.fromkeys([*fa, *fb])
        if fa.get(k) != fb.get(k)
    ]
    text = list(
        difflib.unified_diff(
            render_text(ca).splitlines(keepends=True),
            render_text(cb).splitlines(keepends=True),
            fromfile=f"{cid} v{ia.number} {ia.content_hash[:12]}",
            tofile=f"{cid} v{ib.number} {ib.content_hash[:12]}",
        )
    )
    return CableDiff(cid, ia, ib, changes, text)


def _show(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_show(x)}" for k, x in v.items() if x) + "}"
    s = repr(v) if isinstance(v, str) else str(v)
    return s if len(s) <= 80 else s[:77] + "..."


# --- export -------------------------------------------------------------------------------

# Flat columns of csv and parquet. Lists are '|'-joined in csv and lists in parquet.
_COLUMNS = (
    "id", "date", "dtg", "origin_code", "origin_name", "origin_routing", "precedence",
    "classification", "caveats", "subject", "tags", "references", "to", "info", "eo",
    "declassify_on", "reasons", "classified_by", "sections", "signer", "summary", "comment",
    "text", "rendering", "defects",
)  # fmt: skip
_LIST_COLUMNS = {"caveats", "tags", "references", "to", "info", "reasons", "defects"}


def _row(c: Cable) -> dict[str, Any]:
    date = (
        c.dtg[:10]
        if c.dtg
        else (c.archive.created[:10] if c.archive and c.archive.created else None)
    )
    return {
        "id": c.id,
        "date": date,
        "dtg": c.dtg,
        "origin_code": c.origin.code,
        "origin_name": c.origin.name or (c.archive.origin if c.archive else ""),
        "origin_routing": c.origin.routing,
        "precedence": c.precedence,
        "classification": c.classification,
        "caveats": list(c.caveats),
        "subject": c.subject,
        "tags": [t.code for t in c.tags],
        "references": [r.id or r.text for r in c.references],
        "to": [a.name or a.routing for a in c.to],
        "info": [a.name or a.routing for a in c.info],
        "eo": c.eo,
        "declassify_on": c.declassify_on,
        "reasons": list(c.reasons),
        "classified_by": (
            ", ".join(x for x in (c.classified_by.name, c.classified_by.title) if x)
            if c.classified_by
            else ""
        ),
        "sections": c.sections,
        "signer": c.signer,
        "summary": c.summary,
        "comment": c.comment,
        "text": c.text(),
        "rendering": c.rendering,
        "defects": c.defect_codes(),
    }


@contextmanager
def _open_out(out: str | os.PathLike[str] | IO[Any], binary: bool) -> Iterator[IO[Any]]:
    if isinstance(out, str | os.PathLike):
        if os.fspath(out) == "-":
            yield sys.stdout.buffer if binary else sys.stdout
            return
        mode = "wb" if binary else "w"
        kw: dict[str, Any] = {} if binary else {"encoding": "utf-8", "newline": ""}
        with open(out, mode, **kw) as fh:
            yield fh
        return
    yield out


# Characters that some line readers (str.splitlines) take for line ends; JSON may escape
# them, so each record stays on one line for every reader.
_LINE_BREAKS = (("\u2028", "\\u2028"), ("\u2029", "\\u2029"), ("\x85", "\\u0085"))


def _export_jsonl(records: Iterable[str], fh: IO[str]) -> int:
    n = 0
    for rec in records:
        for char, escaped in _LINE_BREAKS:
            if char in rec:
                rec = rec.replace(char, escaped)
        fh.write(rec + "\n")
        n += 1
    return n


def _export_csv(cables: Iterable[Cable], fh: IO[str]) -> int:
    w = csv.DictWriter(fh, fieldnames=_COLUMNS, lineterminator="\n")
    w.writeheader()
    n = 0
    for c in cables:
        row = _row(c)
        for k in _LIST_COLUMNS:
            row[k] = "|".join(row[k])
        w.writerow(row)
        n += 1
    return n


def _parquet_schema() -> Any:
    import pyarrow as pa

    para = pa.struct(
        [("number", pa.int32()), ("marking", pa.string()), ("heading", pa.string()),
         ("text", pa.string())]
    )  # fmt: skip
    fields = []
    for name in _COLUMNS:
        if name in _LIST_COLUMNS:
            fields.append(pa.field(name, pa.list_(pa.string())))
        elif name == "sections":
            fields.append(pa.field(name, pa.int32()))
        else:
            fields.append(pa.field(name, pa.string()))
    fields.append(pa.field("paragraphs", pa.list_(para)))
    return pa.schema(fields)


def _parquet_row(c: Cable) -> dict[str, Any]:
    row = _row(c)
    row["paragraphs"] = [
        {"number": p.number, "marking": p.marking, "heading": p.heading, "text": p.text}
        for p in c.paragraphs
    ]
    return row


def _export_parquet_dataset(cables: Iterable[Cable], out: str, batch_size: int) -> int:
    """A Hive-partitioned dataset by year (``out/year=2009/part-0.parquet``; the year is in
    the path, not the files), written batch by batch in this thread (the store's
    connection may be bound to it)."""
    import shutil
    from pathlib import Path

    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _parquet_schema()
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    for old in root.glob("year=*"):
        if old.is_dir():
            shutil.rmtree(old)
    writers: dict[str, Any] = {}
    buffers: dict[str, list[dict[str, Any]]] = {}
    n = 0

    def flush(key: str) -> None:
        if key not in writers:
            (root / f"year={key}").mkdir()
            writers[key] = pq.ParquetWriter(root / f"year={key}" / "part-0.parquet", schema,
                                            compression="zstd")  # fmt: skip
        writers[key].write_batch(pa.RecordBatch.from_pylist(buffers.pop(key), schema=schema))

    try:
        for c in cables:
            row = _parquet_row(c)
            d = row["date"]
            key = d[:4] if d and d[:4].isdigit() else "__HIVE_DEFAULT_PARTITION__"
            buffers.setdefault(key, []).append(row)
            n += 1
            if len(buffers[key]) >= batch_size:
                flush(key)
        for key in list(buffers):
            flush(key)
    finally:
        for w in writers.values():
            w.close()
    return n


def _export_parquet(cables: Iterable[Cable], fh: IO[bytes], batch_size: int) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _parquet_schema()
    n = 0
    batch: list[dict[str, Any]] = []
    sink = fh if not isinstance(fh, io.TextIOBase) else fh.buffer  # type: ignore[attr-defined]
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        for c in cables:
            batch.append(_parquet_row(c))
            if len(batch) >= batch_size:
                writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
                n += len(batch)
                batch = []
        if batch:
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
            n += len(batch)
        if n == 0:
            writer.write_table(schema.empty_table())
    return n
