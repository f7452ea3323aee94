"""What the gold-set benchmarks share (``entities.py``, ``resolution.py``): reading a
gold file, and the dev-sample archive they score, built in a temporary folder unless
``--db`` names one."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
# The csv sample holds 66BUENOSAIRES2481, a cable of the held-out people set.
DEV_SAMPLE = [
    SAMPLES / "cablegate-dev.tar.xz",
    SAMPLES / "09BAKU433.md",
    SAMPLES / "cables-csv-sample.csv",
]


def load_gold(path: Path) -> list[dict]:
    """The records of a JSON Lines gold file (blank lines skipped)."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


@contextmanager
def dev_archive(db: str | None, build: Callable[[Path], None], what: str) -> Iterator[Path]:
    """``db`` when given, else a fresh archive made by ``build`` (announced as ``what``)
    in a temporary folder removed afterwards."""
    if db:
        yield Path(db)
        return
    tmp = tempfile.mkdtemp()
    try:
        path = Path(tmp) / "dev.db"
        print(f"building {what} ...", file=sys.stderr)
        build(path)
        yield path
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
