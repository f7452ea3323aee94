"""Serve an archive: the web UI at ``/`` and the HTTP API at ``/api/``.

    from cablegram.serve import serve
    serve("cablegram.db", host="127.0.0.1", port=8000)   # blocks until Ctrl-C

``make demo`` ends with this (after ingesting the samples); ``cablegram serve`` is the
same from the command line.
"""

from __future__ import annotations

import os
import sys

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "serve", "url_of"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def url_of(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"  # IPv6
    return f"http://{shown}:{port}/"


def serve(
    db: str | os.PathLike[str] = "cablegram.db",
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    workers: int = 1,
    readers: int | None = None,
    log_level: str = "warning",
    echo: bool = True,
) -> None:
    """Serve the archive at ``db`` on ``http://host:port/`` until interrupted.

    ``workers`` > 1 answers searches on that many worker processes fed from one queue
    while this process speaks HTTP and renders pages with ``readers`` database threads
    (``cablegram.api.searchers`` says why not several uvicorn processes). Raises
    ``FileNotFoundError`` when there is no database at ``db``.
    """
    import uvicorn

    from cablegram.api import create_app

    path = os.fspath(db)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no database at {path}; run `cablegram ingest` first")
    url = url_of(host, port)
    if echo:
        print(f"Cablegram is serving {path} at {url}  (API: {url}api/, press Ctrl-C to stop)",
              file=sys.stderr, flush=True)  # fmt: skip
    uvicorn.run(
        create_app(path, readers=readers, search_processes=workers if workers > 1 else 0),
        host=host,
        port=port,
        log_level=log_level,
        server_header=False,
    )
