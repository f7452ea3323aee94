"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error the API returns has ``type``, ``title``, ``status`` and ``detail``; a bad query
adds ``position`` (0-based) and ``pointer`` (the query with a caret under the problem);
bad parameters add ``errors`` (one entry per parameter). The ``type`` URIs are relative
references that resolve to the API documentation served with the app.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = ["PROBLEM_TYPES", "InvalidParam", "Problem", "problem", "problem_responses"]

PROBLEM_MEDIA_TYPE = "application/problem+json"

# status -> (type, title)
PROBLEM_TYPES: dict[int, tuple[str, str]] = {
    400: ("/api/problems/bad-query", "The search query is not valid"),
    401: ("/api/problems/unauthorized", "Not authenticated"),
    403: ("/api/problems/forbidden", "Forbidden"),
    404: ("/api/problems/not-found", "Not found"),
    405: ("/api/problems/method-not-allowed", "Method not allowed"),
    406: ("/api/problems/not-acceptable", "Not acceptable"),
    413: ("/api/problems/too-large", "Request too large"),
    414: ("/api/problems/too-large", "Request too large"),
    422: ("/api/problems/bad-parameters", "The request parameters are not valid"),
    500: ("/api/problems/internal", "Internal server error"),
    503: ("/api/problems/unavailable", "Service unavailable"),
}


class InvalidParam(BaseModel):
    name: str = Field(description="The parameter, as `query.page` or `path.cable_id`.")
    reason: str = Field(description="What is wrong with it, in words.")


class Problem(BaseModel):
    """An RFC 9457 problem detail."""

    type: str = Field(description="A URI reference naming the kind of problem.")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong this time, for a person.")
    instance: str | None = Field(default=None, description="The request path.")
    position: int | None = Field(
        default=None, description="Bad query: 0-based offset of the problem in the query."
    )
    pointer: str | None = Field(
        default=None,
        description="Bad query: the query on one line and a caret under the problem on the next.",
    )
    errors: list[InvalidParam] | None = Field(
        default=None, description="Bad parameters: one entry per invalid parameter."
    )


def problem(status: int, detail: str, *, instance: str | None = None, title: str | None = None,
            **extra: Any) -> dict[str, Any]:  # fmt: skip
    kind, default_title = PROBLEM_TYPES.get(status, (f"/api/problems/http-{status}", "Error"))
    body: dict[str, Any] = {
        "type": kind,
        "title": title or default_title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given error statuses."""
    descriptions = {
        400: "The query is malformed: the detail says why, `pointer` shows where.",
        401: "The API token is wrong, expired or revoked (or the archive needs one).",
        404: "No such cable (or version, or entity).",
        422: "A parameter is missing, of the wrong type or out of range.",
    }
    return {
        s: {
            "model": Problem,
            "description": descriptions.get(s, PROBLEM_TYPES.get(s, ("", "Error"))[1]),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for s in statuses
    }
