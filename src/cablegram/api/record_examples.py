"""Record the API reference's example answers from the shipped samples into
``api/examples.json`` (``cablegram.api.examples`` reads them; this module is not imported
by the app, which it builds):

    python -m cablegram.api.record_examples
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from cablegram.api.examples import EXAMPLES_FILE, record


def _samples_client(folder: Path) -> Any:
    """A TestClient on the shipped samples (the seed cable's entities extracted, linted, a
    small classification model, similar-cable vectors and topics), as published."""
    from fastapi.testclient import TestClient

    from cablegram import classify
    from cablegram.access.db import AccessDB
    from cablegram.api import create_app
    from cablegram.archive import Archive
    from cablegram.demo import sample_paths

    db = folder / "samples.db"
    with Archive(db) as arc:
        arc.ingest([str(p) for p in sample_paths()], workers=0)
        arc.enrich(workers=0, ids=["09BAKU433", "09BAKU749", "09BAKU695"])
        arc.lint()
        classify.store_model(arc, classify.train(arc, max_cables=400))
        classify.build_index(arc)
        classify.build_topics(arc)
    access = folder / "samples.access.db"
    with AccessDB(access) as acc:
        acc.set_policy("anonymous", "as-published")
        # Predictions are for reviewers: the examples are recorded as one.
        acc.add_user("reviewer", clearance="TS", caveats=["REVIEWER"], password="x" * 16)
        token = acc.new_token("reviewer")[0]
    client = TestClient(create_app(db, readers=1, access=access))
    client.headers["authorization"] = f"Bearer {token}"
    return client


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, _samples_client(Path(tmp)) as client:
        data = record(client)
    EXAMPLES_FILE.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"{len(data)} examples -> {EXAMPLES_FILE}", file=sys.stderr)


if __name__ == "__main__":
    main()
