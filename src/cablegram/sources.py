"""Turn paths into a stream of input documents, without unpacking anything to disk.

A path may be a file, a folder (walked in sorted order, e.g. the cablegate
``cable/YYYY/MM/ID.html`` tree), a ``.tar.*`` or ``.zip`` archive (read as a stream),
a ``cables.csv`` dump (one document per row), a JSON Lines file of records, or ``-``
for standard input. Every document carries where it came from (``source`` and
``member``), so an error can always name the file and the member inside an archive.

Reading never raises for a bad input: a corrupt archive yields a ``Document`` whose
``error`` says what went wrong, and the stream goes on with the next path.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# The full-release cables.csv has bodies far larger than csv's default field limit.
csv.field_size_limit(2**31 - 1)

TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2")
SKIP_NAMES = {".DS_Store", "Thumbs.db"}


@dataclass
class Document:
    source: str  # the path given (or '-')
    member: str  # member inside an archive, 'row N' of a csv, 'line N' of JSON Lines
    data: bytes = b""
    hint: str | None = None  # rendering hint for the parser: csv-row, json, ...
    error: str = ""  # set when the document could not even be read

    @property
    def label(self) -> str:
        return f"{self.source}:{self.member}" if self.member else self.source


def iter_documents(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Document]:
    for p in paths:
        yield from _iter_path(str(p))


def _iter_path(path: str) -> Iterator[Document]:
    if path == "-":
        yield from _iter_stream("-", sys.stdin.buffer.read())
        return
    p = Path(path)
    if p.is_dir():
        for root, dirs, files in os.walk(p):
            dirs.sort()
            for name in sorted(files):
                if name in SKIP_NAMES or name.startswith("."):
                    continue
                yield from _iter_file(os.path.join(root, name))
        return
    if not p.exists():
        yield Document(path, "", error="no such file or directory")
        return
    yield from _iter_file(path)


def _kind(name: str) -> str:
    low = name.lower()
    if low.endswith(TAR_SUFFIXES):
        return "tar"
    if low.endswith(".zip"):
        return "zip"
    if low.endswith(".csv"):
        return "csv"
    if low.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    return "file"


def _iter_file(path: str) -> Iterator[Document]:
    kind = _kind(path)
    try:
        if kind == "tar":
            yield from _iter_tar(path)
        elif kind == "zip":
            yield from _iter_zip(path)
        elif kind == "csv":
            with open(path, "rb") as fh:
                yield from _iter_csv(path, "", fh)
        elif kind == "jsonl":
            with open(path, "rb") as fh:
                yield from _iter_jsonl(path, "", fh)
        else:
            yield Document(path, "", Path(path).read_bytes())
    except OSError as exc:
        yield Document(path, "", error=f"cannot read: {exc.strerror or exc}")


def _iter_stream(source: str, data: bytes) -> Iterator[Document]:
    """Standard input: an archive, a csv, JSON Lines or a single document, by sniffing."""
    if data[:5] == b"\xfd7zXZ" or data[:2] == b"\x1f\x8b" or data[:3] == b"BZh" or (
        len(data) > 262 and data[257:262] == b"ustar"
    ):
        yield from _iter_tar(source, fileobj=io.BytesIO(data))
    elif data[:4] == b"PK\x03\x04":
        yield from _iter_zip(source, fileobj=io.BytesIO(data))
    elif data[:1] == b"{":
        yield from _iter_jsonl(source, "", io.BytesIO(data))
    else:
        yield Document(source, "", data)


def _iter_tar(path: str, fileobj: io.BytesIO | None = None) -> Iterator[Document]:
    try:
        # 'r|*' streams: members are read in order, never extracted to disk.
        tar = tarfile.open(path if fileobj is None else None, mode="r|*", fileobj=fileobj)
    except (tarfile.TarError, OSError, EOFError) as exc:
        yield Document(path, "", error=f"not a readable tar archive: {exc}")
        return
    with tar:
        try:
            for info in tar:
                if not info.isfile():
                    continue
                name = info.name
                base = name.rsplit("/", 1)[-1]
                if base in SKIP_NAMES or base.startswith("."):
                    continue
                fh = tar.extractfile(info)
                try:
                    data = fh.read() if fh else b""
                except (tarfile.TarError, OSError, EOFError) as exc:
                    yield Document(path, name, error=f"corrupt archive member: {exc}")
                    return
                yield from _inner(path, name, data)
        except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
            # A truncated or corrupt stream: what was read is kept, the rest is reported.
            yield Document(path, "", error=f"archive ends early or is corrupt: {exc}")


def _iter_zip(path: str, fileobj: io.BytesIO | None = None) -> Iterator[Document]:
    try:
        zf = zipfile.ZipFile(fileobj if fileobj is not None else path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield Document(path, "", error=f"not a readable zip archive: {exc}")
        return
    with zf:
        for info in sorted(zf.infolist(), key=lambda i: i.filename):
            if info.is_dir():
                continue
            base = info.filename.rsplit("/", 1)[-1]
            if base in SKIP_NAMES or base.startswith("."):
                continue
            try:
                data = zf.read(info)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                # zlib.error is a subclass of Exception only; caught below.
                yield Document(path, info.filename, error=f"corrupt archive member: {exc}")
                continue
            except Exception as exc:  # noqa: BLE001 - zlib.error and friends
                yield Document(path, info.filename, error=f"corrupt archive member: {exc}")
                continue
            yield from _inner(path, info.filename, data)


def _inner(path: str, member: str, data: bytes) -> Iterator[Document]:
    """A member of an archive may itself be a csv or JSON Lines file."""
    kind = _kind(member)
    if kind == "csv":
        yield from _iter_csv(path, member, io.BytesIO(data))
    elif kind == "jsonl":
        yield from _iter_jsonl(path, member, io.BytesIO(data))
    else:
        yield Document(path, member, data)


def _iter_csv(path: str, member: str, fh: io.BufferedIOBase) -> Iterator[Document]:
    """cables.csv: backslash-escaped quotes (\\" and \\'), not doubled ones.

    Each row is handed to the parser re-serialised as one canonical csv line, so the
    parser sees exactly one row and the document's hash is stable across reads.
    """
    text = io.TextIOWrapper(fh, encoding="utf-8", errors="surrogateescape", newline="")
    reader = csv.reader(text, escapechar="\\", doublequote=False, strict=False)
    prefix = f"{member}#" if member else ""
    n = 0
    while True:
        n += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Document(path, f"{prefix}row {n}", error=f"malformed csv row: {exc}")
            continue
        if not row or row == [""]:
            continue
        data = encode_csv_row(row)
        yield Document(path, f"{prefix}row {n}", data, hint="csv-row")


def encode_csv_row(row: list[str]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, escapechar="\\", doublequote=False, lineterminator="\n").writerow(row)
    return buf.getvalue().encode("utf-8", errors="surrogateescape")


def _iter_jsonl(path: str, member: str, fh: io.BufferedIOBase) -> Iterator[Document]:
    prefix = f"{member}#" if member else ""
    for n, line in enumerate(fh, 1):
        if line.strip():
            yield Document(path, f"{prefix}line {n}", line.rstrip(b"\r\n"), hint="json")
