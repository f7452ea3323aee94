"""What every command shares: the one ``--db`` option, opening an archive, the consoles,
JSON output and rows."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from cablegram.archive import Archive

DEFAULT_DB = "cablegram.db"


def db_option(f: Callable) -> Callable:
    """``--db FILE`` (or a ``postgresql://`` URL; default ``cablegram.db`` or ``$CABLEGRAM_DB``)."""
    return click.option(
        "--db",
        "db",
        default=DEFAULT_DB,
        envvar="CABLEGRAM_DB",
        show_default=True,
        type=click.Path(dir_okay=False),
        help="The database file or postgresql:// URL (or $CABLEGRAM_DB).",
    )(f)


def out() -> Console:
    return Console(highlight=False, soft_wrap=True)


def err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def jsonable(o: Any) -> Any:
    """``json.dumps``'s ``default``: dataclasses as dicts, sets sorted, the rest as text."""
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if isinstance(o, set | frozenset):
        return sorted(o)
    return str(o)


def emit_json(data: Any) -> None:
    """``--json`` output: indented, UTF-8 as is."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=jsonable))


def open_archive(db: str, *, create: bool = False) -> Archive:
    """The archive at ``db`` (a file or a ``postgresql://`` URL), or a one-line error
    naming it: no such file, or a server that refuses the connection. ``create`` makes
    one that is not there yet (``ingest``, ``migrate``)."""
    from cablegram.archive import Archive

    try:
        return Archive(db, create=create)
    except FileNotFoundError:
        raise click.ClickException(f"no database at {db}; run `cablegram ingest` first") from None
    except Exception as exc:
        if not type(exc).__module__.startswith("psycopg"):
            raise
        shown = re.sub(r"//([^:@/]*):[^@/]*@", r"//\1:***@", db)  # never print a password
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise click.ClickException(f"cannot open {shown}: {reason}") from None


def plural(n: int, word: str, many: str | None = None) -> str:
    """``word`` for one, else ``many`` (default ``word + "s"``): "1 cable", "2 cables"."""
    return word if n == 1 else (many or word + "s")


def print_rows(con: Console, headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """A table on a terminal; otherwise tab-separated lines (whole values, for grep and cut)
    under a header row naming the columns, as the table does."""
    if not con.is_terminal:
        click.echo("\t".join(h.replace(" ", "_") for h in headers))
        for r in rows:
            click.echo("\t".join(r))
        return
    t = Table(*headers, box=None)
    for r in rows:
        t.add_row(*(escape(x) for x in r))
    con.print(t)
