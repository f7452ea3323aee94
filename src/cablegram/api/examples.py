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
from pathlib import Path
from typing import Any

__all__ = ["EXAMPLES_FILE", "REQUESTS", "add_examples", "load", "record"]

EXAMPLES_FILE = Path(__file__).with_name("examples.json")

# The request recorded for each endpoint (path template -> a real request on the samples).
REQUESTS: dict[str, str] = {
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
    "/api/declass": "/api/declass?due=2010-01-01",
    "/api/entities": "/api/entities?kind=person&limit=2",
    "/api/entities/{entity_id}": "/api/entities/person:safar-abiyev",
    "/api/entities/{entity_id}/network": "/api/entities/person:safar-abiyev/network",
}
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
        op = ops.get("get")
        if not got or op is None:
            continue
        content = op.setdefault("responses", {}).setdefault("200", {}).setdefault("content", {})
        media = content.setdefault(got["media_type"], {})
        media.setdefault("example", got["example"])


def record(client: Any) -> dict[str, dict[str, Any]]:
    """Every request of ``REQUESTS`` answered by ``client`` (a TestClient on the samples)."""
    out: dict[str, dict[str, Any]] = {}
    for path, url in REQUESTS.items():
        r = client.get(url)
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
