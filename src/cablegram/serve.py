"""Serve an archive: the web UI at ``/`` and the HTTP API at ``/api/``.

    from cablegram.serve import serve
    serve("cablegram.db", host="127.0.0.1", port=8000)   # blocks until Ctrl-C

``make demo`` ends with this (after ingesting the samples); ``cablegram serve`` is the
same from the command line.
"""

from __future__ import annotations

import errno
import os
import socket
import sys

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "BindError", "bind", "serve", "url_of"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def url_of(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"  # IPv6
    return f"http://{shown}:{port}/"


class BindError(OSError):
    """The address cannot be listened on; the message says why in a few words."""


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or ``BindError`` saying why not.

    Bound before anything says "serving at", so a port in use is one line of error,
    not a banner followed by uvicorn's traceback-like log.
    """
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)  # fmt: skip
    except socket.gaierror as exc:
        raise BindError(f"cannot listen on {host!r}: {exc.strerror}") from None
    family, kind, proto, _, addr = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise BindError(f"port {port} on {host} is in use") from None
        if exc.errno == errno.EACCES:
            raise BindError(f"port {port} needs privileges to listen on") from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise BindError(f"{host} is not an address of this machine") from None
        raise BindError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


def serve(
    db: str | os.PathLike[str] = "cablegram.db",
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    workers: int = 1,
    readers: int | None = None,
    log_level: str = "warning",
    echo: bool = True,
    sock: socket.socket | None = None,
) -> None:
    """Serve the archive at ``db`` on ``http://host:port/`` until interrupted.

    ``workers`` > 1 answers searches on that many worker processes fed from one queue
    while this process speaks HTTP and renders pages with ``readers`` database threads
    (``cablegram.api.searchers`` says why not several uvicorn processes). Raises
    ``FileNotFoundError`` when there is no database at ``db``, ``BindError`` when the
    address cannot be listened on (``sock``: one already bound by ``bind``).
    """
    import uvicorn

    from cablegram.api import create_app
    from cablegram.store import is_postgres_url

    path = os.fspath(db)
    if not is_postgres_url(path) and not os.path.exists(path):
        raise FileNotFoundError(f"no database at {path}; run `cablegram ingest` first")
    if sock is None:
        sock = bind(host, port)
    url = url_of(host, port)
    if echo:
        print(f"Cablegram is serving {path} at {url}  (API reference: {url}docs, "
              "press Ctrl-C to stop)", file=sys.stderr, flush=True)  # fmt: skip
    config = uvicorn.Config(
        create_app(path, readers=readers, search_processes=workers if workers > 1 else 0),
        host=host,
        port=port,
        log_level=log_level,
        server_header=False,
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
