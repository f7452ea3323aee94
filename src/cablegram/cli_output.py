"""Helpers shared by the command modules: opening an archive, printing rows."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from cablegram.archive import Archive


def open_archive(db: str) -> Archive:
    """The archive at ``db`` (a file or a ``postgresql://`` URL), or a one-line error
    naming it: no such file, or a server that refuses the connection."""
    from cablegram.archive import Archive

    try:
        return Archive(db, create=False)
    except FileNotFoundError:
        raise click.ClickException(f"no database at {db}; run `cablegram ingest` first") from None
    except Exception as exc:
        if not type(exc).__module__.startswith("psycopg"):
            raise
        shown = re.sub(r"//([^:@/]*):[^@/]*@", r"//\1:***@", db)  # never print a password
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise click.ClickException(f"cannot open {shown}: {reason}") from None


def print_rows(con: Console, headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """A table on a terminal; tab-separated lines (whole values, for grep and cut) otherwise."""
    if not con.is_terminal:
        for r in rows:
            click.echo("\t".join(r))
        return
    t = Table(*headers, box=None)
    for r in rows:
        t.add_row(*(escape(x) for x in r))
    con.print(t)
