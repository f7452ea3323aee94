"""Shared fixtures: the real sample pages, small archives built from them, and one archive
of every shipped sample, built once per test session (shared by the xdist workers)."""

from __future__ import annotations

import fcntl
import io
import os
import sqlite3
import tarfile
from collections.abc import Iterable
from pathlib import Path

import pytest

from cablegram.archive import Archive

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
DEV_TAR = SAMPLES / "cablegate-dev.tar.xz"
BAKU_MD = SAMPLES / "09BAKU433.md"
CSV_SAMPLE = SAMPLES / "cables-csv-sample.csv"
N_DEV_PAGES = 2679


def read_pages(n: int | None = None) -> list[tuple[str, bytes]]:
    """The first ``n`` pages of the cablegate sample, as (member name, bytes)."""
    out: list[tuple[str, bytes]] = []
    with tarfile.open(DEV_TAR, "r|xz") as tar:
        for info in tar:
            if info.isfile():
                fh = tar.extractfile(info)
                out.append((info.name, fh.read() if fh else b""))
                if n is not None and len(out) >= n:
                    break
    return out


def make_tar(path: Path, members: Iterable[tuple[str, bytes]], mode: str = "w") -> Path:
    with tarfile.open(path, mode) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_290_000_000
            tar.addfile(info, io.BytesIO(data))
    return path


def dump(db: str | os.PathLike[str]) -> list[tuple]:
    """The canonical content of a database (no timestamps, run ids, surrogate keys)."""
    with Archive(db, create=False) as arc:
        return list(arc.store.dump())


@pytest.fixture(scope="session")
def pages() -> list[tuple[str, bytes]]:
    """The first 60 pages of the cablegate sample."""
    return read_pages(60)


@pytest.fixture
def small_tar(tmp_path: Path, pages: list[tuple[str, bytes]]) -> Path:
    """A tar.gz of 50 real cablegate pages."""
    return make_tar(tmp_path / "small.tar.gz", pages[:50], "w:gz")


@pytest.fixture(scope="session")
def full_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database of every shipped sample, ingested with 2 workers. Read-only for tests.

    Built once for the session: the xdist workers share it through a file lock.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # common to every worker of this session
    db = root / "full-samples.db"
    done = root / "full-samples.done"
    with open(root / "full-samples.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not done.exists():
                for p in root.glob("full-samples.db*"):
                    p.unlink()
                with Archive(db) as arc:
                    arc.ingest([DEV_TAR, BAKU_MD, CSV_SAMPLE], workers=2)
                done.write_text("ok")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return db


@pytest.fixture
def full_archive(full_db: Path):
    with Archive(full_db, create=False) as arc:
        yield arc


@pytest.fixture
def copy_db(tmp_path: Path):
    """Copy a database (with its WAL) somewhere a test may change it."""

    def copy(src: Path) -> Path:
        dst = tmp_path / f"copy-{src.name}"
        with sqlite3.connect(src) as s, sqlite3.connect(dst) as d:
            s.backup(d)
        return dst

    return copy


# --- browser tests skipped: said loudly at the end --------------------------------------

# The reason every browser test skips with (tests/test_browser.py's ``browser`` fixture);
# the summary below finds them by it.
BROWSER_SKIP = "browser tests skipped"


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    """A banner at the very end when the browser tests did not run (issue 17): "5 skipped"
    in the last line hides that the web UI went untested."""
    skipped = [
        r
        for r in terminalreporter.stats.get("skipped", [])
        if isinstance(r.longrepr, tuple) and BROWSER_SKIP in str(r.longrepr[2])
    ]
    if not skipped:
        return
    why = str(skipped[0].longrepr[2]).split(f"{BROWSER_SKIP}: ", 1)[-1]
    terminalreporter.write_sep("!", f"{len(skipped)} BROWSER TESTS SKIPPED", red=True, bold=True)
    terminalreporter.write_line(
        f"The web UI was not tested in a browser: {why}.\n"
        "To run them: `apt-get install chromium` (Debian's; Playwright's own download is\n"
        "not used), then `make test` again. On CI (CI=true) they fail instead of skipping.",
        red=True,
        bold=True,
    )
