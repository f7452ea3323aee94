"""Export: cables to JSON Lines, CSV or Parquet, to a path, standard output or an open file.

``Archive.export`` and ``ReaderArchive.export`` both write through :func:`write_export`;
they differ only in the cables they hand it (every shown version, or what a reader may
see of them), so the formats have one definition.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from cablegram.model import Cable
from cablegram.store.rows import record_json

__all__ = ["EXPORT_BATCH", "EXPORT_FORMATS", "check_export", "write_export"]

EXPORT_FORMATS = ("jsonl", "csv", "parquet")
EXPORT_BATCH = 1000


def check_export(fmt: str, out: str | os.PathLike[str] | IO[Any],
                 partition_by: str | None = None) -> None:  # fmt: skip
    """Raise ``ValueError`` for a format, partitioning or destination that cannot be
    written (before anything is read from the store)."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}")
    if partition_by is not None:
        if fmt != "parquet" or partition_by != "year":
            raise ValueError("partition_by='year' is for the parquet format only")
        if not isinstance(out, str | os.PathLike) or os.fspath(out) == "-":
            raise ValueError("a partitioned parquet export needs a directory path")


def write_export(
    fmt: str,
    out: str | os.PathLike[str] | IO[Any],
    cables: Iterable[Cable],
    *,
    records: Iterable[str] | None = None,
    batch_size: int = EXPORT_BATCH,
    partition_by: str | None = None,
) -> int:
    """Write ``cables`` to ``out`` (a path, '-' for standard output, or an open file) as
    ``jsonl``, ``csv`` or ``parquet``; returns the number written. ``records``, when given,
    are the same cables as JSON already (``Cable.to_dict()``), which ``jsonl`` writes as
    they are. ``partition_by="year"`` (parquet only): ``out`` is a directory, written as a
    Hive-partitioned dataset (``year=2009/part-0.parquet``; undated cables in
    ``year=__HIVE_DEFAULT_PARTITION__``). Both iterables are read lazily, once."""
    check_export(fmt, out, partition_by)
    if partition_by is not None:
        return _export_parquet_dataset(cables, os.fspath(out), batch_size)  # type: ignore[arg-type]
    with _open_out(out, fmt == "parquet") as fh:
        if fmt == "jsonl":
            if records is None:
                records = (record_json(c) for c in cables)  # the stored records' form
            return _export_jsonl(records, fh)
        if fmt == "csv":
            return _export_csv(cables, fh)
        return _export_parquet(cables, fh, batch_size)


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


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection):
# such cells are written with a leading apostrophe, which spreadsheets show as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(v: Any) -> Any:
    return "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v


def _export_csv(cables: Iterable[Cable], fh: IO[str]) -> int:
    w = csv.DictWriter(fh, fieldnames=_COLUMNS, lineterminator="\n")
    w.writeheader()
    n = 0
    for c in cables:
        row = _row(c)
        for k in _LIST_COLUMNS:
            row[k] = "|".join(row[k])
        w.writerow({k: _cell(v) for k, v in row.items()})
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
    sink = fh if not isinstance(fh, io.TextIOBase) else fh.buffer
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
