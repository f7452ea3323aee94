"""``GET /api/cables/{id}/cite``: a cable's citation as BibTeX, CSL-JSON or Chicago text
(``cablegram.cite``), for reference managers and for pasting."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from cablegram import cite
from cablegram.api.auth import read
from cablegram.api.problems import problem_responses

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["cables"])

_EXAMPLE_BIBTEX = """@misc{09BAKU433,
  author = {{Embassy Baku}},
  title = {{AZERBAIJANI DEFENSE MINISTER: SEEKING STRONG RELATIONS, MORE U.S. SUPPORT}},
  howpublished = {Diplomatic cable 09BAKU433 to Secretary of State},
  number = {09BAKU433},
  date = {2009-06-01},
  year = {2009},
  month = jun,
  note = {09BAKU433.md}
}
"""


def _facts(arc: Any, cable_id: str, base: str) -> cite.Citation | None:
    cable = arc.get(cable_id)
    if cable is None:
        return None
    shown = next((v for v in arc.versions(cable.id) if v.shown), None)
    return cite.citation(cable, shown, url=f"{base}cables/{cable.id}")


@router.get(
    "/cables/{cable_id}/cite",
    summary="Cite a cable (BibTeX, CSL-JSON, Chicago)",
    responses={
        200: {
            "description": "The citation in the format asked for.",
            "content": {
                "application/x-bibtex": {"example": _EXAMPLE_BIBTEX},
                "application/vnd.citationstyles.csl+json": {
                    "example": [
                        {
                            "id": "09BAKU433",
                            "type": "document",
                            "genre": "Diplomatic cable",
                            "title": "AZERBAIJANI DEFENSE MINISTER: SEEKING STRONG RELATIONS, MORE "
                            "U.S. SUPPORT",
                            "author": [{"literal": "Embassy Baku"}],
                            "recipient": [{"literal": "Secretary of State"}],
                            "issued": {"date-parts": [[2009, 6, 1]]},
                            "number": "09BAKU433",
                        }
                    ]
                },  # fmt: skip
                "text/plain": {
                    "example": "Embassy Baku to Secretary of State, \u201cAZERBAIJANI "
                    "DEFENSE MINISTER: ...,\u201d cable 09BAKU433, June 1, 2009, "
                    "09BAKU433.md."
                },  # fmt: skip
            },
        },
        **problem_responses(404, 422),
    },
)
async def cite_cable(
    request: Request,
    cable_id: Annotated[
        str,
        Path(
            min_length=1,
            max_length=64,
            examples=["09BAKU433"],
            description="Reference id, e.g. 09BAKU433.",
        ),
    ],  # fmt: skip
    format: Annotated[
        Literal["bibtex", "csl-json", "chicago-note", "chicago-bibliography"],
        Query(
            description="bibtex, csl-json (a list of one item, as citeproc reads), "
            "chicago-note or chicago-bibliography (text)."
        ),  # fmt: skip
    ] = "bibtex",
) -> Response:
    """Names the origin, subject, id, date and the source collection of the version
    shown (where the text comes from), and the cable's address on this server."""
    facts = await read(request, _facts, cable_id, str(request.base_url))
    if facts is None:
        raise HTTPException(404, f"There is no cable {cable_id.strip().upper()} in this archive.")
    if format == "csl-json":
        return JSONResponse([cite.csl_json(facts)],
                            media_type="application/vnd.citationstyles.csl+json")  # fmt: skip
    if format == "bibtex":
        return PlainTextResponse(
            cite.bibtex(facts), media_type="application/x-bibtex; charset=utf-8"
        )
    text = (
        cite.chicago_note(facts) if format == "chicago-note" else cite.chicago_bibliography(facts)
    )
    return PlainTextResponse(text + "\n")
