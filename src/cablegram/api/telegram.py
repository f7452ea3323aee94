"""The telegram system over HTTP: lint, compose (a preview), coverage, anomalies.

Coverage and anomalies read through the reader's view (``cablegram.api.auth.read``): a
restricted reader's figures come from the cables they may see only. Lint and compose
work on the text or draft posted, not on the archive.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse

from cablegram.access.view import ReaderArchive
from cablegram.api.auth import read
from cablegram.api.problems import problem_responses

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["telegram"])
MAX_TEXT = 2_000_000


@router.post("/lint", summary="Lint a cable", responses=problem_responses(413, 422))
async def lint_text(
    text: Annotated[str, Body(media_type="text/plain", description="A cable in any rendering.")],
) -> dict[str, Any]:
    """The findings of `cablegram.lint` for the cable posted (as text, any rendering)."""
    from cablegram.parser import parse
    from cablegram.telegram import lint

    if len(text) > MAX_TEXT:
        raise HTTPException(413, f"a cable of at most {MAX_TEXT:,} characters")
    cable = parse(text.encode("utf-8"))
    return {"id": cable.id, "findings": [f.to_dict() for f in lint(cable)]}


@router.post(
    "/compose",
    response_class=PlainTextResponse,
    summary="Compose a draft (preview)",
    responses=problem_responses(422),
)
async def compose_draft(
    draft: Annotated[str, Body(media_type="application/toml", description="A draft (TOML).")],
) -> PlainTextResponse:
    """The telegram of a draft, with serial 1 and no channel serials (sending is the
    command line's `cablegram send`). A draft lint finds an error in is refused (422),
    naming the rule."""
    from cablegram.telegram.compose import compose
    from cablegram.telegram.draft import DraftError, LintRefused, read_draft
    from cablegram.telegram.draft import compose_draft as compose_it

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "draft.toml"
        path.write_text(draft[:MAX_TEXT], encoding="utf-8")
        try:
            cable = compose_it(read_draft(path))
        except (DraftError, LintRefused) as exc:
            raise HTTPException(422, str(exc).replace(str(path), "draft")) from None
    return PlainTextResponse(compose(cable))


@router.get("/coverage", summary="Coverage per post and year", responses=problem_responses(422))
async def coverage(
    request: Request,
    post: Annotated[str | None, Query(max_length=40, description="One post: BAKU.")] = None,
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
) -> list[dict[str, Any]]:
    """Held cables, highest station serial, coverage and missing serial ranges per post
    and year, from the cables the reader may see."""
    rows = await read(request, lambda arc: arc.coverage(post, year))
    return [r.to_dict() for r in rows]


@router.get("/anomalies", summary="Lint findings over the archive")
async def anomalies(request: Request) -> dict[str, Any]:
    """Cables per lint rule, per rule and year, per rule and origin (the reader's
    cables), and how many cables wait for `cablegram lint --db`."""

    def run(arc: ReaderArchive) -> dict[str, Any]:
        return arc.anomalies().to_dict()

    return await read(request, run)
