"""Response models of the HTTP API (they make ``/openapi.json`` precise).

The cable record itself is the ``cablegram.model.Cable`` dataclass, served as is: the JSON
of ``GET /api/cables/{id}`` is exactly ``Cable.to_dict()``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "CitedBy",
    "CitingCable",
    "Diff",
    "FacetValue",
    "FieldChangeOut",
    "HitOut",
    "Me",
    "References",
    "ReferenceOut",
    "SearchOut",
    "SnippetOut",
    "Stats",
    "VersionOut",
]

Sort = Literal["relevance", "date", "date-asc"]
FacetName = Literal["origin", "year", "month", "classification", "caveat", "tag", "signer"]


class SnippetOut(BaseModel):
    number: int | None = Field(description="Paragraph number (null: unnumbered text).")
    marking: str = Field(description="Portion marking as written: C, S/NF, SBU... ('' if none).")
    text: str = Field(description="The excerpt, plain text (… marks a cut).")
    highlights: list[tuple[int, int]] = Field(
        description="[start, end) character offsets of the matches in `text`."
    )
    html: str = Field(description="`text` HTML-escaped, each match wrapped in <mark>.")


class HitOut(BaseModel):
    id: str = Field(examples=["09BAKU433"])
    url: str = Field(description="This cable in the API.", examples=["/api/cables/09BAKU433"])
    score: float = Field(description="Relevance, higher is better; 0 for filter-only queries.")
    subject: str
    date: str | None = Field(description="YYYY-MM-DD.")
    origin_code: str = Field(examples=["BAKU"])
    origin_name: str = Field(examples=["Embassy Baku"])
    classification: str = Field(examples=["CONFIDENTIAL"])
    snippets: list[SnippetOut]


class FacetValue(BaseModel):
    value: str = Field(description="The value, as the query language spells it.")
    label: str = Field(description="A name for people (a tag's or post's name), else the value.")
    count: int
    filter: str = Field(
        description="The query filter that selects this value, e.g. tag:PGOV.",
        examples=["tag:PGOV"],
    )


class SearchOut(BaseModel):
    query: str
    total: int = Field(description="Matching cables.")
    page: int
    per_page: int
    pages: int
    sort: Sort
    hits: list[HitOut]
    facets: dict[str, list[FacetValue]] = Field(
        description="Per facet (origin, year, month, classification, caveat, tag, signer), "
        "the values among the matching cables with their counts; year and month list every "
        "bucket in time order, the others the most frequent first. Empty when facets=false."
    )


class VersionOut(BaseModel):
    number: int = Field(description="1-based, in order of ingestion.")
    content_hash: str = Field(description="sha256 of the source document.")
    source: str
    member: str
    rendering: str
    completeness: int
    ingested_at: str
    shown: bool = Field(description="This is the version the archive shows.")


class FieldChangeOut(BaseModel):
    field: str = Field(description="Dotted for nested fields: origin.name.")
    old: object = Field(default=None)
    new: object = Field(default=None)


class Diff(BaseModel):
    cable_id: str
    a: VersionOut
    b: VersionOut
    changed: bool
    fields: list[FieldChangeOut]
    text: str = Field(description="Unified diff of the rendered texts ('' when equal).")


class ReferenceOut(BaseModel):
    label: str = Field(description="A, B, C... when the REF block is lettered.")
    text: str = Field(description="As written: 'B. 08 BAKU 123'.")
    id: str = Field(description="The cited cable's id ('' when it could not be resolved).")
    year_inferred: bool
    in_archive: bool = Field(description="The cited cable is in this archive.")
    url: str | None = Field(description="The cited cable in the API, when in the archive.")


class References(BaseModel):
    cable_id: str
    references: list[ReferenceOut]
    septels: list[str] = Field(description="Sentences mentioning cables sent separately.")


class CitingCable(BaseModel):
    id: str
    url: str
    subject: str
    date: str | None
    origin_name: str
    classification: str


class CitedBy(BaseModel):
    cable_id: str
    total: int
    cited_by: list[CitingCable] = Field(description="Newest first.")


class YearCount(BaseModel):
    year: int | None
    count: int


class NameCount(BaseModel):
    name: str
    count: int


class TagCount(BaseModel):
    code: str
    name: str
    count: int


class Stats(BaseModel):
    cables: int
    versions: int
    portions: int
    errors: int
    runs: int
    years: list[YearCount]
    origins: list[NameCount]
    classifications: list[NameCount]
    caveats: list[NameCount]
    tags: list[TagCount]
    error_codes: list[NameCount]


class Me(BaseModel):
    name: str = Field(description="The user's name; '' when anonymous.")
    via: str = Field(description="token, session or anonymous.")
    rights: str = Field(description="What the reader may see, e.g. SECRET // NOFORN.")
    admin: bool


EntityKind = Literal["person", "org", "place"]


class MentionOut(BaseModel):
    entity_id: str | None = Field(
        description="The entity the mention was resolved to (None for a redacted source).",
        examples=["person:safar-abiyev"],
    )
    kind: str = Field(examples=["person"], description="person, org, place or redacted.")
    name: str = Field(description="The entity's name.", examples=["Safar Abiyev"])
    text: str = Field(description="As written in the cable.", examples=["Abiyev"])
    title: str = Field(description="The title written before it, if any.", examples=[""])
    role: str = Field(description="text, title (a title used alone), signer or classifier.")
    para: int | None = Field(
        description="The paragraph's number as the cable gives it (None: the summary, or the "
        "signer and classifying official, who stand outside the paragraphs)."
    )
    seq: int | None = Field(description="The paragraph's position in the cable (portion seq).")
    start: int = Field(description="Offset of the mention in the paragraph's text.")
    end: int = Field(description="Offset just past the mention.")
    url: str | None = Field(description="The entity in the API.")


class CableMentions(BaseModel):
    cable_id: str
    mentions: list[MentionOut]


class EntitySummaryOut(BaseModel):
    entity_id: str = Field(
        description="kind:slug, e.g. person:safar-abiyev (an opaque kind:~hash for readers "
        "who may not see every portion).",
        examples=["person:safar-abiyev"],
    )
    kind: str = Field(examples=["person"])
    name: str = Field(examples=["Safar Abiyev"])
    n_mentions: int
    n_cables: int
    first_seen: str | None = Field(description="Date of the first cable mentioning it.")
    last_seen: str | None = Field(description="Date of the last cable mentioning it.")
    url: str = Field(description="This entity in the API.")


class EntityList(BaseModel):
    kind: str | None
    q: str | None
    limit: int
    offset: int
    entities: list[EntitySummaryOut]


class AliasOut(BaseModel):
    alias: str
    mentions: int


class TitleOut(BaseModel):
    title: str = Field(examples=["Defense Minister"])
    mentions: int
    first_seen: str | None
    last_seen: str | None


class MonthCount(BaseModel):
    month: str = Field(description="YYYY-MM.")
    count: int


class CoMentioned(BaseModel):
    entity_id: str
    kind: str
    name: str
    cables: int = Field(description="Cables mentioning both.")
    url: str


class EntityCable(BaseModel):
    id: str
    url: str
    date: str | None
    origin_code: str | None
    origin_name: str | None
    classification: str | None
    subject: str | None
    mentions: int


class EntityOut(BaseModel):
    entity: EntitySummaryOut
    aliases: list[AliasOut] = Field(description="Every form it is written in, most used first.")
    titles: list[TitleOut] = Field(description="Titles it is given, earliest first.")
    years: list[YearCount] = Field(description="Cables mentioning it per year.")
    timeline: list[MonthCount] = Field(description="Cables mentioning it per month.")
    co_mentioned: list[CoMentioned] = Field(description="Entities in most shared cables first.")
    n_cables: int
    cables: list[EntityCable] = Field(description="Newest first (at most `limit`).")
    network_url: str


class NodeOut(BaseModel):
    id: str
    kind: str
    name: str
    cables: int
    center: bool
    url: str


class EdgeOut(BaseModel):
    source: str
    target: str
    weight: int = Field(description="Cables mentioning both.")


class NetworkOut(BaseModel):
    center: str
    nodes: list[NodeOut]
    edges: list[EdgeOut]
