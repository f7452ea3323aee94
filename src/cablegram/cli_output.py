"""Output helpers shared by the command modules."""

from __future__ import annotations

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table


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
