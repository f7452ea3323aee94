"""Fixtures of the API, web and browser tests: a client on the sample archive, and an
archive with crafted cables (hostile markup, a second version, a citing cable).

Import the fixtures a test module uses: ``from web_fixtures import api_client  # noqa: F401``.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from cablegram.archive import Archive
from conftest import BAKU_MD

# The crafted cables: ids and the hostile text of EVIL_ID's second paragraph.
EVIL_ID = "09BAKU999"
CITING_ID = "09BAKU998"
SEED_ID = "09BAKU433"
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
# A sentence of the seed cable that its second (shorter, so not shown) rendering lacks.
V2_DROPPED = "His talking points coincided almost exactly with the President's. "

_SUBJECT = "SUBJECT: AZERBAIJANI DEFENSE MINISTER: SEEKING STRONG  \nRELATIONS, MORE U.S. SUPPORT"


def _renumber(text: str, serial: int) -> str:
    return (
        text.replace("#0433/01", f"#{serial:04d}/01")
        .replace("BAKU 000433", f"BAKU {serial:06d}")
        .replace("BAKU 00000433", f"BAKU {serial:08d}")
    )


def crafted_documents(folder: Path) -> list[Path]:
    """Three documents made from the seed cable (09BAKU433.md):

    - EVIL_ID: markup in the subject and a paragraph with ``<script>`` and ``<img onerror>``;
      its REF block cites the seed cable and one cable that is not in the archive;
    - CITING_ID: a clean cable citing EVIL_ID;
    - a second rendering of the seed cable lacking one sentence: a second version, less
      complete than the first, so the first stays the one shown.
    """
    src = BAKU_MD.read_text(encoding="utf-8")
    assert _SUBJECT in src and "12. (C) EUCOM Commander" in src
    evil = (
        _renumber(src, 999)
        .replace(
            _SUBJECT,
            "SUBJECT: <b>BOLD</b> CLAIMS & <i>MARKUP</i>  \n\nREF: A. BAKU 433 B. 08 STATE 1  \n",
        )
        .replace(
            "12. (C) EUCOM Commander", f"12. (C) Injected {SCRIPT} and {IMG} text. EUCOM Commander"
        )
    )
    citing = _renumber(src, 998).replace(
        _SUBJECT, "SUBJECT: FOLLOW-UP ON THE MARKUP CABLE  \n\nREF: BAKU 999  \n"
    )
    v2 = src.replace(V2_DROPPED, "", 1)
    assert v2 != src
    out = []
    for name, text in (("evil.md", evil), ("citing.md", citing), ("09BAKU433-v2.md", v2)):
        p = folder / name
        p.write_text(text, encoding="utf-8")
        out.append(p)
    return out


@pytest.fixture(scope="session")
def web_db(full_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample archive plus the crafted cables (for this xdist worker)."""
    folder = tmp_path_factory.mktemp("web")
    db = folder / "web.db"
    with sqlite3.connect(full_db) as s, sqlite3.connect(db) as d:
        s.backup(d)
    with Archive(db) as arc:
        report = arc.ingest(crafted_documents(folder), workers=0)
        assert not report.errors, report.errors
        assert arc.get(EVIL_ID) is not None and len(arc.versions(SEED_ID)) == 2
    return db


def published_access(folder: Path) -> Path:
    """An access file whose anonymous policy is "as published".

    The API, web and browser tests of reading features predate clearance-aware access
    (issue 6) and read classified text anonymously; they run, consciously, on an archive
    published as is. Access rules themselves are tested in tests/test_access*.py.
    """
    from cablegram.access import AccessDB

    path = folder / "published.access.db"
    with AccessDB(path) as acc:
        acc.set_policy("anonymous", "as-published")
    return path


def _client(db: Path, access: Path | None = None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette's notice about httpx
        from fastapi.testclient import TestClient

    from cablegram.api import create_app

    return TestClient(create_app(db, readers=2, access=access), follow_redirects=False)


@pytest.fixture(scope="session")
def api_client(full_db: Path, tmp_path_factory: pytest.TempPathFactory):
    """A TestClient on the app serving every shipped sample, as published."""
    with _client(full_db, published_access(tmp_path_factory.mktemp("api-access"))) as client:
        yield client


@pytest.fixture(scope="session")
def web_client(web_db: Path, tmp_path_factory: pytest.TempPathFactory):
    """A TestClient on the app serving the samples and the crafted cables, as published."""
    with _client(web_db, published_access(tmp_path_factory.mktemp("web-access"))) as client:
        yield client


class LiveServer:
    """uvicorn in a thread, on a free loopback port."""

    def __init__(self, db: Path, access: Path | None = None) -> None:
        import uvicorn

        from cablegram.api import create_app

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        app = create_app(db, readers=2, access=access)
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@pytest.fixture(scope="module")
def live_server(web_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The crafted archive served as published (see ``published_access``)."""
    access = published_access(tmp_path_factory.mktemp("live-access"))
    with LiveServer(web_db, access) as server:
        yield server
