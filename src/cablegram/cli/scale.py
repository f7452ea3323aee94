"""Command-line pieces for scaling out (docs/scaling.md).

* ``engine_options``: ``--engine local|dask`` and ``--scheduler ADDRESS`` for ``ingest``
  (pass them to ``Archive.ingest(engine=..., scheduler=...)``);
* ``partition_option``: ``--partition-by year`` for ``export --format parquet``;
* ``migrate_command``: ``cablegram migrate --db postgresql://...`` creates or upgrades the
  PostgreSQL schema (and reports the applied migrations) without ingesting anything.

``--db`` takes a path or a ``postgresql://`` URL everywhere already: ``Archive`` and
``open_store`` dispatch on the URL.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from cablegram.cli.output import db_option

__all__ = ["engine_options", "migrate_command", "partition_option"]


def engine_options(f: Callable) -> Callable:
    f = click.option(
        "--scheduler",
        default=None,
        envvar="CABLEGRAM_DASK_SCHEDULER",
        metavar="ADDRESS",
        help="Dask scheduler (tcp://host:8786) for --engine dask; default: a local cluster "
        "of --workers processes (or $CABLEGRAM_DASK_SCHEDULER).",
    )(f)
    return click.option(
        "--engine",
        type=click.Choice(["local", "dask"]),
        default="local",
        show_default=True,
        help="Where the work runs: local processes, or a Dask cluster.",
    )(f)


def partition_option(f: Callable) -> Callable:
    return click.option(
        "--partition-by",
        "partition_by",
        type=click.Choice(["year"]),
        default=None,
        help="parquet: write a directory, one Hive partition per year (year=2009/...).",
    )(f)


@click.command("migrate")
@db_option
def migrate_command(db: str) -> None:
    """Create or upgrade the PostgreSQL schema of --db postgresql://... (versioned
    migrations)."""
    from cablegram.cli.output import open_archive
    from cablegram.store import is_postgres_url

    if not is_postgres_url(db):
        raise click.ClickException("migrate is for postgresql:// databases")
    with open_archive(db, create=True) as arc:
        rows = arc.migrations()
        applied_now = getattr(arc.store, "migrated", [])
    for version, name, secs in applied_now:  # 0008 rebuilds an archive's postings
        click.echo(f"applied {version:04d} {name} in {secs:.1f} s", err=True)
    for version, name, at in rows:
        click.echo(f"{version:04d} {name}\t{at}")
