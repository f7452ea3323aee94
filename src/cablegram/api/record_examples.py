"""Record the API reference's example answers (``cablegram/api/examples.json``) from the
shipped samples: ``python -m cablegram.api.record_examples``. Apart from ``examples`` so
that the app never imports what builds an app."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from cablegram.api.examples import EXAMPLES_FILE, REQUESTS, cut

__all__ = ["main", "record"]


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
            body = "\n".join(json.dumps(cut(x), ensure_ascii=False) for x in body) + "\n"
            out[path] = {"media_type": media, "example": body}
            continue
        else:
            body = r.text
        out[path] = {"media_type": media, "example": cut(body)}
    return out


def _samples_client(folder: Path) -> Any:
    """A TestClient on the shipped samples (the seed cable's entities extracted), as
    published."""
    from fastapi.testclient import TestClient

    from cablegram.access.db import AccessDB
    from cablegram.api import create_app
    from cablegram.archive import Archive

    samples = Path(__file__).resolve().parents[3] / "samples"  # of the source tree
    db = folder / "samples.db"
    with Archive(db) as arc:
        arc.ingest([str(p) for p in sorted(samples.iterdir()) if p.is_file()], workers=0)
        arc.enrich(workers=0, ids=["09BAKU433", "09BAKU749", "09BAKU695"])
    access = folder / "samples.access.db"
    with AccessDB(access) as acc:
        acc.set_policy("anonymous", "as-published")
    return TestClient(create_app(db, readers=1, access=access))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, _samples_client(Path(tmp)) as client:
        data = record(client)
    EXAMPLES_FILE.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"{len(data)} examples -> {EXAMPLES_FILE}", file=sys.stderr)


if __name__ == "__main__":
    main()
