"""The HTTP API of ``cablegram.classify``: predictions (reviewers only), similar cables,
topics and trends. Every route reads through the reader's view (``ReaderArchive``): a
similar cable, a topic count or a prediction is drawn only from text the reader may see."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from cablegram.access.view import ReaderArchive
from cablegram.api.auth import read, reader_of
from cablegram.api.problems import problem_responses
from cablegram.search.query import MAX_LENGTH

__all__ = ["router"]

router = APIRouter(prefix="/api")
MAX_QUERIES = 6

CableId = Annotated[str, Path(min_length=1, max_length=64, examples=["09BAKU433"])]


class PredictIn(BaseModel):
    subject: str = Field("", max_length=2000)
    paragraphs: list[str] = Field(default_factory=list, max_length=500)
    tags: list[str] = Field(default_factory=list, max_length=100)
    origin: str = Field("", max_length=100)
    date: str = Field("", pattern=r"^(\d{4}-\d{2}-\d{2})?$")


def _reviewer(request: Request) -> None:
    from cablegram.classify import is_reviewer

    if not is_reviewer(reader_of(request)):
        raise HTTPException(403, "Predictions are for reviewers (the REVIEWER right) only.")


def _visible_cable(arc: ReaderArchive, cable_id: str) -> str:
    cable = arc.get(cable_id)
    if cable is None:
        raise HTTPException(404, f"There is no cable {cable_id.strip().upper()} in this archive.")
    return cable.id


@router.get("/cables/{cable_id}/similar", summary="Similar cables",
            responses=problem_responses(404, 409, 422))  # fmt: skip
async def similar(
    request: Request, cable_id: CableId,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:  # fmt: skip
    """The cables most like this one, by the text the reader may see of both, shared TAGS
    and citations."""
    from cablegram.classify import similar as find

    def run(arc: ReaderArchive) -> dict[str, Any]:
        cid = _visible_cable(arc, cable_id)
        try:
            hits = find(arc, cid, k=limit, visible=arc.visible)
        except LookupError as e:
            raise HTTPException(409, str(e).strip("'\"")) from None
        return {"cable_id": cid, "similar": [
            {**dataclasses.asdict(h), "url": f"/api/cables/{h.id}"} for h in hits]}  # fmt: skip

    return await read(request, run)


@router.get("/cables/{cable_id}/prediction", summary="Predicted sensitivity (reviewers)",
            responses=problem_responses(403, 404, 409, 422))  # fmt: skip
async def prediction(
    request: Request, cable_id: CableId,
    terms: Annotated[int, Query(ge=0, le=20)] = 8,
) -> dict[str, Any]:  # fmt: skip
    """Each visible paragraph's probability of reading classified beside its marking, the
    disagreements flagged, and the terms that drove each score."""
    from cablegram.classify import model_info, predict_cable

    _reviewer(request)
    reader = reader_of(request)

    def run(arc: ReaderArchive) -> dict[str, Any]:
        cid = _visible_cable(arc, cable_id)
        pred = predict_cable(arc, cid, reader=reader, explain=terms)
        if pred is None:
            raise HTTPException(409, "This archive has no model; run `cablegram classify train`.")
        info = model_info(arc) or {}
        return {**pred.to_dict(), "model": {"generation": info.get("generation"),
                                            "stale": info.get("stale")}}  # fmt: skip

    return await read(request, run)


@router.post("/classify/predict", summary="Predict unmarked text (reviewers)",
             responses=problem_responses(403, 409, 422))  # fmt: skip
async def predict(request: Request, body: PredictIn) -> dict[str, Any]:
    """How classified a text reads (a draft, an OCR'd page): words and metadata only."""
    from cablegram.classify import load_model

    _reviewer(request)

    def run(arc: ReaderArchive) -> dict[str, Any]:
        model = load_model(arc)
        if model is None:
            raise HTTPException(409, "This archive has no model; run `cablegram classify train`.")
        return model.predict(body.subject, body.paragraphs, body.tags, body.origin,
                             body.date).to_dict()  # fmt: skip

    return await read(request, run)


@router.get("/topics", summary="Topics learnt from the archive")
async def topics(request: Request) -> list[dict[str, Any]]:
    """Every topic, its top words, and how many cables the reader sees a paragraph of it in."""
    from cablegram.classify import list_topics

    def run(arc: ReaderArchive) -> list[dict[str, Any]]:
        return [dataclasses.asdict(t) for t in list_topics(arc, visible=arc.visible)]

    return await read(request, run)


@router.get("/trends", summary="Monthly counts of queries, with bursts",
            responses=problem_responses(400, 422))  # fmt: skip
async def trends(
    request: Request,
    q: Annotated[
        list[str], Query(min_length=1, max_length=MAX_QUERIES, examples=[["iran", "iraq"]])
    ],
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Any:
    """Monthly counts for each ``q`` (repeat it), bursts marked (Kleinberg); ``format=csv``."""
    from cablegram.classify import trends as run_trends
    from cablegram.classify import trends_csv
    from cablegram.search.query import QueryError

    for one in q:
        if not one.strip() or len(one) > MAX_LENGTH:
            raise HTTPException(422, f"q: each query must be 1 to {MAX_LENGTH} characters")

    def run(arc: ReaderArchive) -> Any:
        try:
            return run_trends(arc, q)
        except QueryError as e:
            raise HTTPException(400, f"bad query: {e.message}") from None

    months, series = await read(request, run)
    if format == "csv":
        return PlainTextResponse(trends_csv(months, series), media_type="text/csv",
                                 headers={"content-disposition": 'attachment; filename="trends.csv"'})  # fmt: skip
    return {"months": months, "series": [dataclasses.asdict(s) for s in series]}
