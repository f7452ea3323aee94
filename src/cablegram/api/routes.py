"""The HTTP API, under ``/api/``: search, cables, citations, stats, export, entities.

Every route reads through ``cablegram.api.auth.read``: the reader's access-checked view
of the archive (``ReaderArchive``), never the raw ``Archive``."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse

from cablegram.access.view import ReaderArchive
from cablegram.api import models as m
from cablegram.api.auth import auditor, read, reader_of, view_factory
from cablegram.api.convert import stats_out, version_out
from cablegram.api.export import MEDIA_TYPES, stream_export
from cablegram.api.pool import ArchivePool
from cablegram.api.problems import problem_responses
from cablegram.archive import render_text
from cablegram.errors import NotFound
from cablegram.model import Cable
from cablegram.reading import citing, entity_years
from cablegram.search.query import MAX_LENGTH

__all__ = ["MAX_PAGE", "MAX_PER_PAGE", "router"]

MAX_PER_PAGE = 100
MAX_PAGE = 1000  # deep pages cost as much as all before them; export streams everything
MAX_CITED_BY = 500

router = APIRouter(prefix="/api")

CableId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        description="Reference id, e.g. 09BAKU433 (case-insensitive).",
        examples=["09BAKU433"],
    ),
]
VersionRef = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        description="Version number (1-based, in order of ingestion) or a content-hash prefix.",
        examples=["1"],
    ),
]
QueryText = Annotated[
    str,
    Query(
        min_length=1,
        max_length=MAX_LENGTH,
        description='A query in the search language: words, "phrases", AND/OR/NOT, '
        "parentheses and filters such as tag:PGOV origin:BAKU class:>=C date:2009-01..2009-06.",
        examples=['tag:PGOV "naval base"'],
    ),
]


def pool_of(request: Request) -> ArchivePool:
    return request.app.state.pool


def _not_found(cable_id: str) -> HTTPException:
    return HTTPException(404, f"There is no cable {cable_id.strip().upper()} in this archive.")


@router.get(
    "/search",
    response_model=m.SearchOut,
    summary="Search cables",
    responses=problem_responses(400, 422),
)
async def search(
    request: Request,
    q: QueryText,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based page.")] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description="Hits per page.")] = 20,
    sort: Annotated[
        m.Sort,
        Query(
            description="relevance (best first; newest first without words), "
            "date (newest first) or date-asc."
        ),  # fmt: skip
    ] = "relevance",
    facets: Annotated[bool, Query(description="Count facet values (slower).")] = True,
) -> Response:
    """Search with the full query language; hits come with highlighted snippets and, unless
    `facets=false`, facet counts over the whole result set."""
    pool = pool_of(request)
    reader = reader_of(request)
    # Results are remembered (per set of rights) until the database changes: shared links,
    # the back button and popular queries cost one search. A cached answer is still
    # audited. The search itself is awaited, so cached answers never queue behind it.
    body, total = await pool.cached_async(
        ("api-search", reader.key, q, page, per_page, sort, facets),
        lambda: pool.search_json_async(reader, q, page=page, per_page=per_page, sort=sort,
                                       facets=facets),
    )  # fmt: skip
    # On the event loop: one small insert into the access file's WAL (no fsync), cheaper
    # than handing it to a reader thread and waiting for that.
    auditor(request)("search", "", q, total)
    return Response(body, media_type="application/json")


def _get(arc: ReaderArchive, cable_id: str) -> Cable:
    cable = arc.get(cable_id)
    if cable is None:
        raise _not_found(cable_id)
    return cable


@router.get(
    "/cables/{cable_id}",
    response_model=Cable,
    summary="A cable's record",
    responses=problem_responses(404, 422),
)
async def cable(request: Request, cable_id: CableId) -> Cable:
    """The shown (most complete) version of a cable, as `Cable.to_dict()`."""
    return await read(request, _get, cable_id)


@router.get(
    "/cables/{cable_id}/text",
    response_class=PlainTextResponse,
    summary="A cable as plain text",
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        **problem_responses(404, 422),
    },
)
async def cable_text(request: Request, cable_id: CableId) -> PlainTextResponse:
    """The shown version rendered as text: header fields, then the paragraphs."""
    cable = await read(request, _get, cable_id)
    return PlainTextResponse(render_text(cable))


@router.get(
    "/cables/{cable_id}/versions",
    response_model=list[m.VersionOut],
    summary="A cable's versions",
    responses=problem_responses(404, 422),
)
async def versions(request: Request, cable_id: CableId) -> list[m.VersionOut]:
    """Every stored version (one per distinct source document), in order of ingestion."""
    infos = await read(request, lambda arc: arc.versions(cable_id))
    if not infos:
        raise _not_found(cable_id)
    return [version_out(v) for v in infos]


@router.get(
    "/cables/{cable_id}/versions/{ref}",
    response_model=Cable,
    summary="One version of a cable",
    responses=problem_responses(404, 422),
)
async def version(request: Request, cable_id: CableId, ref: VersionRef) -> Cable:
    """The record of one version, by number or content-hash prefix."""

    def get(arc: ReaderArchive) -> Cable:
        if not arc.versions(cable_id):
            raise _not_found(cable_id)
        found = arc.version(cable_id, ref)
        if found is None:
            raise HTTPException(
                404, f"{cable_id.strip().upper()} has no version {ref!r} (use a number "
                "from /versions or a unique prefix of a content hash)."
            )  # fmt: skip
        return found

    return await read(request, get)


@router.get(
    "/cables/{cable_id}/diff",
    response_model=m.Diff,
    summary="What changed between two versions",
    responses=problem_responses(404, 422),
)
async def diff(
    request: Request,
    cable_id: CableId,
    a: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            description="Older version (default: the latest version other than b).",
        ),  # fmt: skip
    ] = None,
    b: Annotated[
        str | None,
        Query(min_length=1, max_length=64, description="Newer version (default: the shown one)."),
    ] = None,
) -> m.Diff:
    """Field changes and a unified diff of the rendered text between two versions."""

    def run(arc: ReaderArchive):
        if not arc.versions(cable_id):
            raise _not_found(cable_id)
        return arc.diff(cable_id, a, b)  # NotFound: a 404 (cablegram.api.app)

    d = await read(request, run)
    return m.Diff(
        cable_id=d.cable_id,
        a=version_out(d.a),
        b=version_out(d.b),
        changed=d.changed,
        fields=[m.FieldChangeOut(field=c.field, old=c.old, new=c.new) for c in d.fields],
        text="".join(d.text),
    )


@router.get(
    "/cables/{cable_id}/references",
    response_model=m.References,
    summary="Cables this cable cites",
    responses=problem_responses(404, 422),
)
async def references(request: Request, cable_id: CableId) -> m.References:
    """The REF block, each reference resolved to a cable in the archive where possible,
    and the septel mentions of the text."""

    def run(arc: ReaderArchive) -> m.References:
        cable = _get(arc, cable_id)
        refs = arc.references_of(cable.id)
        return m.References(
            cable_id=cable.id,
            references=[
                m.ReferenceOut(
                    label=r.label,
                    text=r.text,
                    id=r.id,
                    year_inferred=r.year_inferred,
                    in_archive=present,
                    url=f"/api/cables/{r.id}" if present else None,
                )
                for r, present in refs
            ],
            septels=list(cable.septels),
        )

    return await read(request, run)


@router.get(
    "/cables/{cable_id}/entities",
    response_model=m.CableMentions,
    summary="Which entity each mention of a cable went to",
    responses=problem_responses(404, 422),
)
async def cable_mentions(request: Request, cable_id: CableId) -> m.CableMentions:
    """Every person, organisation and place mention of the cable, in reading order, with
    the entity it was resolved to, its paragraph number and its offsets into that
    paragraph's text (as `/api/cables/{id}` gives it). Only mentions in portions the
    reader may see; empty before `cablegram enrich`."""

    def run(arc: ReaderArchive) -> m.CableMentions:
        cable = _get(arc, cable_id)
        rows = arc.cable_entities(cable.id) if arc.has_entities() else []
        return m.CableMentions(
            cable_id=cable.id,
            mentions=[
                m.MentionOut(
                    **{k: r[k] for k in ("entity_id", "kind", "text", "role", "para", "seq")},
                    name=r["name"] or r["text"],
                    title=r["title"] or "",
                    start=r["start"] or 0,
                    end=r["end"] or 0,
                    url=f"/api/entities/{r['entity_id']}" if r["entity_id"] else None,
                )
                for r in rows
            ],
        )

    return await read(request, run)


@router.get(
    "/cables/{cable_id}/cited-by",
    response_model=m.CitedBy,
    summary="Cables citing this cable",
    responses=problem_responses(404, 422),
)
async def cited_by(request: Request, cable_id: CableId) -> m.CitedBy:
    """The cables whose REF block cites this one, newest first (at most 500 listed)."""

    def run(arc: ReaderArchive) -> m.CitedBy:
        cable = _get(arc, cable_id)
        total, items = citing(arc, cable.id, limit=MAX_CITED_BY)
        cited = [m.CitingCable(**dataclasses.asdict(c)) for c in items]
        return m.CitedBy(cable_id=cable.id, total=total, cited_by=cited)

    return await read(request, run)


@router.get("/stats", response_model=m.Stats, summary="Archive statistics")
async def stats(request: Request) -> m.Stats:
    """Counts of cables, versions and errors; cables per year, origin, classification and
    caveat; the most used tags."""
    pool = pool_of(request)
    key = reader_of(request).key

    def run(arc: ReaderArchive) -> dict:
        arc._log("stats")
        return pool.cached(("stats", key), lambda: arc.stats(audit=False))

    return stats_out(await read(request, run))


@router.get(
    "/export",
    summary="Export a result set",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Every matching cable, streamed: one JSON record per line "
            "(jsonl) or one CSV row per cable (csv).",
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        },
        **problem_responses(400, 422),
    },
)
async def export(
    request: Request,
    q: Annotated[
        str | None,
        Query(max_length=MAX_LENGTH, description="A search query; absent or empty: every cable."),
    ] = None,
    format: Annotated[  # noqa: A002 - the parameter's public name
        Literal["jsonl", "csv"], Query(description="jsonl: Cable records; csv: flat columns.")
    ] = "jsonl",
) -> StreamingResponse:
    """The shown version of every matching cable, streamed as JSON Lines or CSV."""
    pool = pool_of(request)
    query = q if q and q.strip() else None
    if query is not None:  # a bad query is a 400 before the stream starts, not a cut stream
        await read(request, lambda arc: arc.search(query, per_page=1, facets=False, audit=False))
    name = "cablegram-export." + format
    return StreamingResponse(
        stream_export(pool.path, format, query, view_factory(request)),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/me", response_model=m.Me, summary="Who is asking", responses=problem_responses(401))
async def me(request: Request) -> m.Me:
    """The reader this request is served as: a user (by token or web session) or anonymous,
    and what they may read."""
    r = reader_of(request)
    return m.Me(name=r.name, via=r.kind, rights=r.describe(), admin=r.admin)


@router.get("/health", summary="Whether the server answers, and whether it can audit")
async def health(request: Request) -> dict:
    """Always 200 while the server answers: reads go on when the audit log cannot be
    written (a full disk, a lock held elsewhere); `audit.ok` is then false and entries are
    being lost (counted in `failed` and `dropped`; the error itself is for administrators
    and the server log)."""
    from cablegram.api.auth import access_of

    got = access_of(request).audit_health()
    if not reader_of(request).admin:
        got.pop("error", None)
    return {"ok": True, "audit": got}


@router.get("/declass", summary="Declassification review",
            responses=problem_responses(401, 403, 409, 422))  # fmt: skip
async def declass(
    request: Request,
    due: Annotated[
        str | None,
        Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD (default: today)."),
    ] = None,
    sort: Annotated[
        Literal["due", "releasable", "sensitive"],
        Query(description="due (default); releasable or sensitive: by predicted sensitivity, "
              "least or most first (reviewers)."),
    ] = "due",
    releasable: Annotated[
        bool, Query(description="Only cables the model reads as releasable (reviewers).")
    ] = False,
) -> dict:  # fmt: skip
    """Visible cables whose declassify-on date has passed by `due`, by origin and
    classification; values that are no date (OADR, X1, N/A ...) reported separately.
    For reviewers, when the archive has a model, each due cable carries `predicted` (the
    probability it reads classified, from the text the reviewer may see), and `sort` and
    `releasable` order and narrow the list by it; for anyone else they are a 403."""
    from datetime import date

    try:
        when = date.fromisoformat(due) if due else None
    except ValueError:
        raise HTTPException(422, f"due: not a date: {due}") from None

    def run(arc: Any) -> Any:
        try:
            return arc.declassification(when, sort=sort, releasable_only=releasable)
        except PermissionError as e:
            raise HTTPException(403, f"{e}.") from None
        except LookupError as e:
            raise HTTPException(409, str(e).strip("'\"")) from None

    rep = await read(request, run)
    return rep.to_dict()


# ---------------------------------------------------------------------------- entities

MAX_ENTITIES = 200
MAX_ENTITY_CABLES = 500
MAX_NEIGHBOURS = 200

EntityId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        description="kind:slug (person:safar-abiyev), an id made from any key of the entity "
        "(person:abiyev) or kind:Name.",
        examples=["person:safar-abiyev"],
    ),
]


def _no_entity(entity_id: str) -> HTTPException:
    return HTTPException(404, f"There is no entity {entity_id.strip()} in this archive.")


def entity_summary_out(s) -> m.EntitySummaryOut:  # noqa: ANN001 - an EntitySummary
    return m.EntitySummaryOut(
        entity_id=s.entity_id,
        kind=s.kind,
        name=s.name,
        n_mentions=s.n_mentions,
        n_cables=s.n_cables,
        first_seen=s.first_seen,
        last_seen=s.last_seen,
        url=f"/api/entities/{s.entity_id}",
    )


def get_entity_page(arc: ReaderArchive, entity_id: str, limit: int = 100):  # noqa: ANN201
    """The reader's page of an entity, or a 404 (unknown and invisible alike)."""
    page = arc.entity(entity_id, limit=limit) if arc.has_entities() else None
    if page is None:
        raise _no_entity(entity_id)
    return page


@router.get(
    "/entities",
    response_model=m.EntityList,
    summary="People, organisations and places",
    responses=problem_responses(422),
)
async def entities(
    request: Request,
    kind: Annotated[m.EntityKind | None, Query(description="person, org or place.")] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Matches the start of any word of a name or alias."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ENTITIES)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> m.EntityList:
    """Entities found by `cablegram enrich`, in most cables first (empty before enrichment)."""
    query = q.strip() if q and q.strip() else None

    def run(arc: ReaderArchive) -> list:
        if not arc.has_entities():
            return []
        return arc.entities(kind, query=query, limit=limit, offset=offset)

    found = await read(request, run)
    return m.EntityList(
        kind=kind, q=query, limit=limit, offset=offset,
        entities=[entity_summary_out(s) for s in found],
    )  # fmt: skip


@router.get(
    "/entities/{entity_id}",
    response_model=m.EntityOut,
    summary="An entity's page",
    responses=problem_responses(404, 422),
)
async def entity(
    request: Request,
    entity_id: EntityId,
    limit: Annotated[
        int, Query(ge=1, le=MAX_ENTITY_CABLES, description="Cables listed (newest first).")
    ] = 100,
) -> m.EntityOut:
    """Aliases, titles over time, cables per year and month, co-mentioned entities and the
    cables mentioning it, from the portions the reader may see."""
    page = await read(request, get_entity_page, entity_id, limit)
    s = page.entity
    return m.EntityOut(
        entity=entity_summary_out(s),
        aliases=[m.AliasOut(alias=a, mentions=n) for a, n in page.aliases],
        titles=[
            m.TitleOut(title=t, mentions=n, first_seen=first, last_seen=last)
            for t, n, first, last in page.titles
        ],
        years=[
            m.YearCount(year=y, count=n) for y, n in sorted(entity_years(page.timeline).items())
        ],
        timeline=[m.MonthCount(month=mo, count=n) for mo, n in page.timeline],
        co_mentioned=[
            m.CoMentioned(
                **{k: d[k] for k in ("entity_id", "kind", "name", "cables")},
                url=f"/api/entities/{d['entity_id']}",
            )  # fmt: skip
            for d in page.co_mentioned
        ],
        n_cables=page.n_cables,
        cables=[m.EntityCable(**c, url=f"/api/cables/{c['id']}") for c in page.cables],
        network_url=f"/api/entities/{s.entity_id}/network",
    )


@router.get(
    "/entities/{entity_id}/network",
    response_model=m.NetworkOut,
    summary="An entity's ego network",
    responses=problem_responses(404, 422),
)
async def entity_network(
    request: Request,
    entity_id: EntityId,
    limit: Annotated[
        int, Query(ge=1, le=MAX_NEIGHBOURS, description="Neighbours kept, strongest first.")
    ] = 40,
    min_weight: Annotated[int, Query(ge=1, le=10_000, description="Fewest shared cables.")] = 1,
) -> m.NetworkOut:
    """The entity and the entities mentioned in the same cables, an edge's weight being the
    cables they share."""

    def run(arc: ReaderArchive):  # noqa: ANN202
        try:
            return arc.ego_network(entity_id, limit=limit, min_weight=min_weight)
        except NotFound:
            raise _no_entity(entity_id) from None

    g = await read(request, run)
    center = next((n for n, d in g.nodes(data=True) if d.get("center")), "")
    return m.NetworkOut(
        center=center,
        nodes=[
            m.NodeOut(
                id=n,
                kind=d.get("kind", ""),
                name=d.get("name", ""),
                cables=d.get("cables", 0) or 0,
                center=bool(d.get("center")),
                url=f"/api/entities/{n}",
            )  # fmt: skip
            for n, d in g.nodes(data=True)
        ],
        edges=[
            m.EdgeOut(source=a, target=b, weight=d.get("weight", 1))
            for a, b, d in g.edges(data=True)
        ],
    )
