"""The Store interface and the write items every backend shares (``cablegram.store``
re-exports them; the backends import them from here, so the package that picks a backend
never sits in an import cycle with them)."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cablegram.errors import Unsupported
from cablegram.model import Cable, Reference
from cablegram.store import reads
from cablegram.store.rows import CableRows, completeness, flatten

if TYPE_CHECKING:
    from cablegram.access.entity_ids import PublicIds
    from cablegram.search.visibility import Visibility

__all__ = [
    "CableRows",
    "ErrorInfo",
    "Failed",
    "Parsed",
    "RunInfo",
    "Seen",
    "Store",
    "VersionInfo",
    "completeness",
    "flatten",
]

# Outcomes of writing one item.
NEW, UPDATED, UNCHANGED, FAILED = "new", "updated", "unchanged", "failed"


@dataclass
class Parsed:
    """A document that parsed into a cable version."""

    content_hash: str
    source: str
    member: str
    rows: CableRows


@dataclass
class Failed:
    """A document that did not become a cable. ``content_hash`` is '' when unreadable."""

    content_hash: str
    source: str
    member: str
    code: str  # empty | binary | no-id | read | json | parser | crash
    reason: str


@dataclass
class Seen:
    """A document whose content hash was met before (in the store, or earlier in this input).

    The store resolves it: unchanged when that content is a stored version, otherwise the
    earlier failure is recorded again for this document's own file and member.
    """

    content_hash: str
    source: str
    member: str


WriteItem = Parsed | Failed | Seen


# A cable's versions, oldest first, with whether each is the shown one (``{p}``: the
# driver's placeholder).
VERSIONS_SQL = (
    "SELECT v.cable_id, v.content_hash, v.source, v.member, v.rendering, "
    "v.completeness, v.ingested_at, v.version_id = c.version_id "
    "FROM versions v LEFT JOIN cables c ON c.id = v.cable_id "
    "WHERE v.cable_id = {p} ORDER BY v.version_id"
)


@dataclass
class VersionInfo:
    number: int  # 1-based, in order of ingestion
    cable_id: str
    content_hash: str
    source: str
    member: str
    rendering: str
    completeness: int
    ingested_at: str
    shown: bool  # this is the version shown in `cables`

    @classmethod
    def from_row(cls, number: int, r: Sequence[Any]) -> VersionInfo:
        """From a row of VERSIONS_SQL."""
        return cls(number, r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]))


@dataclass
class ErrorInfo:
    source: str
    member: str
    code: str
    reason: str
    content_hash: str
    run_id: int | None
    at: str
    # A later run stored this document (same source and member) as a cable: the error is
    # history, not a problem to fix (a corrected file, a better parser).
    resolved: bool = False

    @classmethod
    def from_row(cls, r: Sequence[Any]) -> ErrorInfo:
        """From a row of ERRORS_SQL."""
        return cls(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]))

    @property
    def label(self) -> str:
        return f"{self.source}:{self.member}" if self.member else self.source


# The errors with whether a later run stored the same document (``ErrorInfo.resolved``);
# one pass over the versions of the sources that had errors, not one per error. Both
# stores run it (``{where}``/``{limit}``: their own placeholders).
ERRORS_SQL = """SELECT e.source, e.member, e.code, e.reason, e.content_hash, e.run_id, e.at,
    coalesce(s.last_run > coalesce(e.run_id, 0), false) AS resolved
FROM errors e LEFT JOIN (
    SELECT source, member, max(run_id) AS last_run FROM versions
    WHERE source IN (SELECT DISTINCT source FROM errors) GROUP BY source, member
) s ON s.source = e.source AND s.member = e.member
{where} ORDER BY e.error_id {limit}"""


def errors_query(run_id: int | None, limit: int | None, p: str) -> tuple[str, list[Any]]:
    """ERRORS_SQL for one run and at most ``limit`` errors, with the driver's placeholder."""
    args: list[Any] = []
    where = limit_sql = ""
    if run_id is not None:
        where = f"WHERE e.run_id = {p}"
        args.append(run_id)
    if limit is not None:
        limit_sql = f"LIMIT {p}"
        args.append(limit)
    return ERRORS_SQL.format(where=where, limit=limit_sql), args


def pick_version(infos: list[VersionInfo], ref: int | str) -> VersionInfo | None:
    """The version ``ref`` names: its number (1 = the oldest) or a unique prefix of its
    content hash."""
    s = str(ref).strip().lower()
    if s.isdigit() and len(s) < 6:
        k = int(s)
        return infos[k - 1] if 1 <= k <= len(infos) else None
    if s:
        hits = [v for v in infos if v.content_hash.startswith(s)]
        return hits[0] if len(hits) == 1 else None
    return None


def records_in_batches(
    ids: Iterable[str] | None,
    batch_size: int,
    after: Callable[[str, int], list[tuple[str, str]]],
    by_id: Callable[[list[str]], Iterator[str]],
) -> Iterator[str]:
    """``Store.iter_records`` from a backend's two reads: ``after(last_id, n)``, the next
    ``n`` (id, record) rows in id order, and ``by_id(ids)``, the records of ``ids``."""
    if ids is None:
        last = ""
        while rows := after(last, batch_size):
            for _, rec in rows:
                yield rec
            last = rows[-1][0]
        return
    batch: list[str] = []
    for cid in ids:
        batch.append(cid)
        if len(batch) >= batch_size:
            yield from by_id(batch)
            batch = []
    if batch:
        yield from by_id(batch)


@dataclass
class RunInfo:
    run_id: int
    started_at: str
    finished_at: str | None
    args: str
    status: str
    new: int
    updated: int
    unchanged: int
    failed: int


class Store(ABC):
    """The storage interface. Backends: :class:`cablegram.store.sqlite.SQLiteStore`."""

    url: str

    # -- lifecycle -------------------------------------------------------------------------
    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- ingest side -----------------------------------------------------------------------
    @abstractmethod
    def begin_run(self, args: str = "") -> int:
        """Record the start of an ingest run; returns its id."""

    @abstractmethod
    def finish_run(self, run_id: int, counts: Mapping[str, int], status: str = "done") -> None: ...

    @abstractmethod
    def known_versions(self, hashes: Iterable[str]) -> set[str]:
        """The subset of ``hashes`` already stored as versions (checked before parsing)."""

    @abstractmethod
    def write(
        self,
        items: list[WriteItem],
        run_id: int | None = None,
        *,
        force: bool = False,
        before_commit: Callable[[], None] | None = None,
        commit: bool = True,
    ) -> list[str]:
        """Apply ``items`` in order in one transaction; one outcome per item
        (``new``, ``updated``, ``unchanged`` or ``failed``).

        With ``force``, a Parsed item whose content is already stored replaces that
        version's record (a re-parse with a newer parser). ``before_commit`` is called
        inside the transaction, after the items. With ``commit=False`` the transaction may
        stay open for the next ``write`` (the ingest writer groups chunks this way); an
        error rolls back the whole open transaction. A backend may commit anyway.
        """

    def add(
        self, cable: Cable, *, content_hash: str | None = None, source: str = "", member: str = ""
    ) -> str:
        """Store one cable version (outside an ingest run); returns its outcome. Without
        a ``content_hash``, the hash of its record stands in for the document's."""
        rows = flatten(cable)
        if content_hash is None:
            content_hash = hashlib.sha256(rows.record.encode("utf-8")).hexdigest()
        return self.write([Parsed(content_hash, source, member, rows)])[0]

    # -- read side -------------------------------------------------------------------------
    def resolve(self, cable_id: str) -> str:
        """The cable's id for an id or one of its aliases (``cable_id`` when neither)."""
        return cable_id

    @abstractmethod
    def get(self, cable_id: str) -> Cable | None:
        """The shown version of a cable."""

    @abstractmethod
    def versions(self, cable_id: str) -> list[VersionInfo]: ...

    @abstractmethod
    def version(self, cable_id: str, ref: int | str) -> tuple[VersionInfo, Cable] | None:
        """One version by number (1-based) or by a prefix of its content hash."""

    @abstractmethod
    def iter_records(
        self, ids: Iterable[str] | None = None, *, batch_size: int = 500
    ) -> Iterator[str]:
        """The shown versions' records (``Cable.to_dict()`` as JSON), by id order (or in
        the order of ``ids``, skipping unknown ones), read in batches."""

    def iter_cables(
        self, ids: Iterable[str] | None = None, *, batch_size: int = 500
    ) -> Iterator[Cable]:
        for rec in self.iter_records(ids, batch_size=batch_size):
            yield Cable.from_dict(json.loads(rec))

    @abstractmethod
    def count(self) -> int: ...

    def present(self, ids: Iterable[str], visible: Visibility | None = None) -> set[str]:
        """The subset of ``ids`` that are cables in the store; with ``visible``, cables
        with at least one portion that reader may see."""
        with self._reading() as q:
            return reads.present(q, ids, visible)

    @abstractmethod
    def references_of(self, cable_id: str) -> list[Reference]:
        """The REF block of the shown version, in order."""

    @abstractmethod
    def cited_by(self, cable_id: str) -> list[str]:
        """Ids of the cables whose REF block cites ``cable_id``, newest first."""

    def stats(self, visible: Visibility | None = None) -> dict[str, Any]:
        """Counts (``store.reads.stats``), of what ``visible`` may see when given."""
        with self._reading() as q:
            return reads.stats(q, visible)

    @abstractmethod
    def errors(self, *, run_id: int | None = None, limit: int | None = None) -> list[ErrorInfo]: ...

    @abstractmethod
    def runs(self) -> list[RunInfo]: ...

    @abstractmethod
    def search(self, q: str, **kwargs: Any) -> Any:
        """Run the search engine of this backend (``cablegram.search.<backend>``)."""

    @abstractmethod
    def search_ids(self, q: str, *, visible: Any = None) -> Iterator[str]:
        """Every cable id matching ``q``, newest first, with no cap on their number."""

    # -- serving -----------------------------------------------------------------------------
    @abstractmethod
    def generation(self) -> tuple[int, ...]:
        """Changes whenever the stored content changes, whoever changed it (another
        process, another machine): what a server's caches are keyed by."""

    def warm(self, *, portions: bool = True) -> None:
        """Load what searches keep in memory now rather than in the first request
        (``portions``: also what restricted readers need)."""
        return None  # (a store that keeps nothing in memory)

    # -- what a reader may see: the reads of cablegram.access.view -----------------------
    # Every read the reader view makes is a Store method taking the reader's visibility:
    # the shared SQL of store/reads.py on both backends, or (entities, SQLite only so far)
    # the backend's own. The view sends no SQL itself.
    @abstractmethod
    def _reading(self) -> AbstractContextManager[reads.Query]:
        """One consistent read: a function running one statement with ``?`` placeholders
        (``store.reads``) and returning its rows."""

    def cable_ids(self, visible: Visibility | None = None) -> list[str]:
        """Every cable id (with ``visible``, those with a portion the reader may see),
        newest first."""
        with self._reading() as q:
            return reads.cable_ids(q, visible)

    def subjects(self, ids: Iterable[str], visible: Visibility | None = None) -> dict[str, str]:
        """The subject line of each of ``ids``, when ``visible`` may see it."""
        with self._reading() as q:
            return reads.subjects(q, ids, visible)

    def classifications(self) -> list[tuple[str, str]]:
        """(id, overall classification as stored) of every cable, by id: for the list
        of unreadable markings (``access.unreadable``)."""
        with self._reading() as q:
            return [
                (r[0], r[1] or "")
                for r in q("SELECT id, classification FROM cables ORDER BY id", [])
            ]

    def declass_rows(self, ids: Iterable[str] | None = None) -> list[tuple]:
        """(id, date, origin, classification, class level, declassify-on) of every
        cable, or of ``ids``, by id: the input of the declassification review."""
        with self._reading() as q:
            return reads.declass_rows(q, ids)

    # Entities (cablegram enrich) live in the SQLite store so far: these are its reads,
    # for a reader's ``visible`` (None: everything). The SQLite store implements them
    # (store/sqlite_entities.py); another store says it has no entities.
    def has_entities(self) -> bool:
        """Whether the archive has been enriched (``cablegram enrich``)."""
        return False

    def _no_entities(self) -> Unsupported:
        return Unsupported("entities (cablegram enrich) need the SQLite store, so far")

    def find_entity(self, ref: str) -> str | None:
        """The entity id ``ref`` names (an id, an id made from a key, ``kind:Name``)."""
        raise self._no_entities()

    def entity_ids(self, kind: str) -> list[str]:
        """Every entity id of ``kind``."""
        raise self._no_entities()

    def public_entity_ids(self) -> PublicIds:
        """The map between entity ids and the keyed ids restricted readers see
        (``access.entity_ids``: an HMAC under the archive's secret)."""
        raise self._no_entities()

    def entity_by_public_id(self, public_id: str) -> str | None:
        """The entity behind a public id (``public_entity_ids``); None when none has it.
        A dict lookup: as fast for an entity named only in withheld text as for none."""
        raise self._no_entities()

    def entities(self, visible: Visibility | None = None, kind: str | None = None, *,
                 query: str | None = None, sort: str = "cables", limit: int = 50,
                 offset: int = 0, only: list[str] | None = None) -> list[Any]:  # fmt: skip
        """``EntitySummary`` of the entities with a mention ``visible`` may see, counted,
        dated and named from those mentions (``only``: of these entity ids alone, an
        indexed lookup: pages name a few entities, never list every one)."""
        raise self._no_entities()

    def entity(self, ref: str, visible: Visibility | None = None, *, limit: int = 100) -> Any:
        """An ``EntityPage`` (timeline, cables, co-mentions) from visible mentions."""
        raise self._no_entities()

    def entity_names(self, entity_id: str, visible: Visibility | None = None) -> tuple[list, list]:
        """(aliases, titles) of an entity from the mentions ``visible`` may see:
        [(text, mentions)], [(title, mentions, first seen, last seen)]."""
        raise self._no_entities()

    def entity_seen(self, entity_id: str, visible: Visibility | None = None) -> bool:
        """Whether a portion ``visible`` may see mentions the entity."""
        raise self._no_entities()

    def cable_entities(self, cable_id: str, visible: Visibility | None = None) -> list[dict]:
        """The entity mentions of one cable in reading order, visible ones only."""
        raise self._no_entities()

    def entity_facets(self, ids: Iterable[str], visible: Visibility | None = None, *,
                      limit: int = 10) -> dict[str, Any]:  # fmt: skip
        """The top entities of each kind among cables ``ids``."""
        raise self._no_entities()

    @abstractmethod
    def dump(self) -> Iterator[tuple[str, tuple]]:
        """Every stored fact as (table, row), in a canonical order, without timestamps,
        run ids or surrogate keys: two stores with the same content dump the same."""
