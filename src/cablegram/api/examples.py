"""An example answer for every endpoint of the API reference (``/docs``), recorded from the
shipped samples rather than written by hand, so they show what the API really says.

``examples.json`` holds one recorded answer per endpoint (lists cut to two items, long
text cut); ``add_examples`` puts them into the OpenAPI schema. After changing what an
endpoint answers, record them again (tests/test_api_reference.py checks they still have
the shape of a live answer):

    python -m cablegram.api.record_examples
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["EXAMPLES_FILE", "REQUESTS", "add_examples", "load", "record"]

EXAMPLES_FILE = Path(__file__).with_name("examples.json")


# The request recorded for each endpoint (path template -> a real request on the samples):
# a GET's URL, or a ``Post`` with its body.
@dataclass(frozen=True)
class Post:
    url: str
    body: str
    media_type: str


_DRAFT = """from = "BAKU"
to = ["SECSTATE WASHDC"]
precedence = "ROUTINE"
classification = "UNCLASSIFIED"
tags = ["PGOV", "AJ"]
subject = "PARLIAMENTARY ELECTION CALENDAR"
signer = "DERSE"

[[paragraphs]]
marking = "U"
text = "The Central Election Commission announced the calendar for the November elections."
"""

_CABLE = """C O N F I D E N T I A L BAKU 000433

SIPDIS

E.O. 12958: DECL: 05/21/2019
TAGS: PREL, PGOV, AJ
SUBJECT: AZERBAIJAN: FOREIGN MINISTER ON THE SUMMIT

Classified By: Ambassador Anne E. Derse, Reasons 1.4 (b,d)

1. (C) Summary: The Foreign Minister told the Ambassador the summit would go ahead.

3. (U) The Ministry published the agenda on May 20.

DERSE
"""

_PREDICT = json.dumps({
    "subject": "MEETING WITH THE FOREIGN MINISTER",
    "paragraphs": ["The minister said privately that the government would not support the "
                   "pipeline, and asked that his remarks be closely held."],
    "tags": ["PREL", "AJ"], "origin": "BAKU", "date": "2009-05-21",
})  # fmt: skip

REQUESTS: dict[str, str | Post] = {
    "/api/search": "/api/search?q=tag%3APGOV+nagorno&per_page=2",
    "/api/cables/{cable_id}": "/api/cables/09BAKU433",
    "/api/cables/{cable_id}/text": "/api/cables/09BAKU433/text",
    "/api/cables/{cable_id}/versions": "/api/cables/08SAOPAULO335/versions",
    "/api/cables/{cable_id}/versions/{ref}": "/api/cables/08SAOPAULO335/versions/1",
    "/api/cables/{cable_id}/diff": "/api/cables/08SAOPAULO335/diff",
    "/api/cables/{cable_id}/references": "/api/cables/08SAOPAULO335/references",
    "/api/cables/{cable_id}/cited-by": "/api/cables/06SAOPAULO316/cited-by",
    "/api/cables/{cable_id}/cite": "/api/cables/09BAKU433/cite?format=csl-json",
    "/api/cables/{cable_id}/entities": "/api/cables/09BAKU433/entities",
    "/api/stats": "/api/stats",
    "/api/export": "/api/export?q=id%3A09BAKU433&format=jsonl",
    "/api/me": "/api/me",
    "/api/health": "/api/health",
    "/api/declass": "/api/declass?due=2010-01-01",
    "/api/entities": "/api/entities?kind=person&limit=2",
    "/api/entities/{entity_id}": "/api/entities/person:safar-abiyev",
    "/api/entities/{entity_id}/network": "/api/entities/person:safar-abiyev/network",
    "/api/coverage": "/api/coverage?post=BAKU",
    "/api/anomalies": "/api/anomalies",
    "/api/lint": Post("/api/lint", _CABLE, "text/plain"),
    "/api/compose": Post("/api/compose", _DRAFT, "application/toml"),
    "/api/cables/{cable_id}/similar": "/api/cables/09BAKU433/similar",
    "/api/cables/{cable_id}/prediction": "/api/cables/09BAKU433/prediction",
    "/api/classify/predict": Post("/api/classify/predict", _PREDICT, "application/json"),
    "/api/topics": "/api/topics",
    "/api/trends": "/api/trends?q=iran&q=iraq",
}


def send(client: Any, spec: str | Post) -> Any:
    """The request ``spec`` names, answered by ``client`` (a TestClient)."""
    if isinstance(spec, str):
        return client.get(spec)
    return client.post(spec.url, content=spec.body.encode("utf-8"),
                       headers={"content-type": spec.media_type})  # fmt: skip


MAX_ITEMS = 2
MAX_TEXT = 400


def _cut(value: Any) -> Any:
    """A recorded answer made short enough to read in the reference."""
    if isinstance(value, list):
        return [_cut(v) for v in value[:MAX_ITEMS]]
    if isinstance(value, dict):
        return {k: _cut(v) for k, v in value.items()}
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + "…"
    return value


def load() -> dict[str, dict[str, Any]]:
    """``{path: {"media_type": ..., "example": ...}}``; empty when the file is missing."""
    try:
        return json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def add_examples(schema: dict[str, Any], examples: dict[str, dict[str, Any]] | None = None) -> None:
    """Each GET operation's 200 answer gets its recorded example (under the media type it
    was recorded with); each parameter with examples gets the first as its example."""
    examples = load() if examples is None else examples
    for ops in schema.get("paths", {}).values():
        for op in ops.values():
            for param in op.get("parameters", []):
                # FastAPI writes a parameter's examples into its JSON Schema; Swagger UI
                # fills "Try it out" from the parameter's own example.
                shown = param.get("schema", {}).get("examples")
                if shown and "example" not in param and "examples" not in param:
                    param["example"] = shown[0]
    for path, ops in schema.get("paths", {}).items():
        got = examples.get(path)
        op = ops.get("get") or ops.get("post")
        if not got or op is None:
            continue
        spec = REQUESTS.get(path)
        if isinstance(spec, Post) and "requestBody" in op:
            body = spec.body
            shown = op["requestBody"].setdefault("content", {}).setdefault(spec.media_type, {})
            shown.setdefault("example", json.loads(body) if spec.media_type.endswith("json")
                             else body)  # fmt: skip
        content = op.setdefault("responses", {}).setdefault("200", {}).setdefault("content", {})
        media = content.setdefault(got["media_type"], {})
        media.setdefault("example", got["example"])


def record(client: Any) -> dict[str, dict[str, Any]]:
    """Every request of ``REQUESTS`` answered by ``client`` (a TestClient on the samples)."""
    out: dict[str, dict[str, Any]] = {}
    for path, spec in REQUESTS.items():
        r = send(client, spec)
        url = spec if isinstance(spec, str) else spec.url
        if r.status_code != 200:
            raise RuntimeError(f"{url} answered {r.status_code}: {r.text[:200]}")
        media = r.headers["content-type"].split(";")[0].strip()
        if media.endswith("json"):
            body: Any = r.json()
        elif media == "application/x-ndjson" or url.endswith("jsonl"):
            body = [json.loads(line) for line in r.text.splitlines() if line.strip()][:1]
            body = "\n".join(json.dumps(_cut(x), ensure_ascii=False) for x in body) + "\n"
            out[path] = {"media_type": media, "example": body}
            continue
        else:
            body = r.text
        out[path] = {"media_type": media, "example": _cut(body)}
    return out
