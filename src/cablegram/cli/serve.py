"""``cablegram serve``: the web UI and the HTTP API of an archive."""

from __future__ import annotations

import click

from cablegram.cli.output import db_option
from cablegram.serve import DEFAULT_HOST, DEFAULT_PORT, BindError, serve

__all__ = ["serve_command"]


@click.command("serve")
@db_option
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Search processes (above 1: searches run on that many processes, one queue).")  # fmt: skip
def serve_command(db: str, host: str, port: int, workers: int) -> None:
    """Serve the web UI at http://HOST:PORT/ and the HTTP API at /api/.

    Prints the URL, then serves until Ctrl-C. The API reference is at /docs, its schema
    at /openapi.json.
    """
    try:
        serve(db, host, port, workers=workers)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    except BindError as exc:
        raise click.ClickException(f"{exc}; choose another with --port (or --host)") from None
