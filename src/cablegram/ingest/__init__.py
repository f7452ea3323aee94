"""Ingest: input paths in, cables (or error rows) in the store out.

``pipeline`` reads, hashes, skips and writes (docs/ingest.md); ``executors`` is the
interface of where the parsing runs, ``local`` (a process pool) and ``dask`` (a Dask
cluster) its two implementations.
"""

from cablegram.ingest.pipeline import (
    CHUNK_BYTES,
    CHUNK_DOCS,
    IngestReport,
    default_workers,
    examine,
    ingest,
    is_binary,
    process,
)

__all__ = [
    "CHUNK_BYTES",
    "CHUNK_DOCS",
    "IngestReport",
    "default_workers",
    "examine",
    "ingest",
    "is_binary",
    "process",
]
