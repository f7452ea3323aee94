"""``make demo``: ingest the shipped samples into a database, run a sample search, start
the entity stage in the background and serve the web UI while it runs.

    python -m cablegram.demo --db cablegram.db [--query Q] [--host H] [--port P]

Idempotent: a second run finds every document already stored and only searches (and the
entity stage goes on with the cables a stopped run left). The address is bound before
the long ingest, so a port in use is a one-line error naming the variable to set.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import click
from rich.console import Console

from cablegram.archive import Archive
from cablegram.cli.archive import print_result

SAMPLES = ("cablegate-dev.tar.xz", "09BAKU433.md", "cables-csv-sample.csv")
DEFAULT_QUERY = "nagorno karabakh"
DIFF_EXAMPLE = "08SAOPAULO335"


def cli_command() -> str:
    """How to run the CLI as printed in the hints: the virtual environment's script, relative
    to the working folder when it is below it (``.venv/bin/cablegram``), since the venv is
    not on PATH after ``make demo``."""
    script = Path(sys.executable).parent / "cablegram"
    if not script.exists():
        return f"{shlex.quote(sys.executable)} -m cablegram"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def hints(db: str, cli: str) -> list[str]:
    """Commands to try next, one a line (none wraps at 80 columns with the default paths)."""
    q = shlex.quote(db)
    return [
        f"{cli} search --db {q} 'tag:PGOV iran'",
        f"{cli} show --db {q} 09BAKU433",
        f"{cli} diff --db {q} {DIFF_EXAMPLE}",
        f"{cli} stats --db {q}",
    ]


def start_entities(db: str, log: Path) -> subprocess.Popen[bytes]:
    """The entity stage (``cablegram enrich``) as a child process at a lower priority, so
    the server answers while it runs; its output goes to ``log``."""
    cmd = [sys.executable, "-m", "cablegram", "enrich", "--db", db, "--workers", "1", "--quiet"]
    with open(log, "wb") as out:
        # Its own process group, so stopping it stops its worker processes too.
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=(lambda: os.nice(5)) if hasattr(os, "nice") else None,  # noqa: PLW1509
        )


def stop(child: subprocess.Popen[bytes]) -> None:
    """Stop the entity stage and its workers; a stopped run keeps every batch it committed,
    and the next demo goes on from there."""
    if child.poll() is None:
        try:
            os.killpg(child.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def sample_paths(root: Path | None = None) -> list[Path]:
    """The shipped samples: ``samples/`` of the source tree."""
    if root is None:
        root = Path(__file__).resolve().parents[2] / "samples"
        if not root.is_dir():
            root = Path.cwd() / "samples"
    return [root / name for name in SAMPLES if (root / name).exists()]


@click.command()
@click.option("--db", default="cablegram.db", show_default=True, type=click.Path(dir_okay=False))
@click.option("--query", "-q", default=DEFAULT_QUERY, show_default=True)
@click.option(
    "--samples",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="Folder holding the samples (default: samples/ of the source tree).",
)
@click.option("--workers", "-j", type=click.IntRange(min=0), default=None)
@click.option(
    "--serve/--no-serve",
    default=True,
    show_default=True,
    help="End by serving the web UI (on --host and --port).",
)
@click.option(
    "--entities/--no-entities",
    default=True,
    show_default=True,
    help="Run the entity stage (people, organisations, places) in the background.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
def main(
    db: str,
    query: str,
    samples: str | None,
    workers: int | None,
    serve: bool,
    entities: bool,
    host: str,
    port: int,
) -> None:
    """Ingest samples/, run a sample search, then serve the web UI while the entity stage
    runs in the background."""
    from cablegram.serve import BindError, bind

    con = Console(highlight=False)
    paths = sample_paths(Path(samples) if samples else None)
    if not paths:
        raise click.ClickException("no samples found; pass --samples DIR")
    sock = None
    if serve:
        try:
            sock = bind(host, port)
        except BindError as exc:
            raise click.ClickException(
                f"{exc}: set another with `make demo PORT={port + 1}` (or HOST=)"
            ) from None
    try:
        _demo(con, db, query, paths, workers)
        if serve:
            _serve(con, db, host, port, sock, entities)
    finally:
        if sock is not None:
            sock.close()


def _demo(con: Console, db: str, query: str, paths: list[Path], workers: int | None) -> None:
    with Archive(db) as arc:
        con.rule("[bold]cablegram demo: ingest")
        for p in paths:
            con.print(f"  {p}")
        report = arc.ingest([str(p) for p in paths], workers=workers, progress=True)
        con.print(report.summary())
        for e in report.errors[:5]:
            con.print(f"  [red]failed[/red] {e.label}: {e.reason}")
        # The Anomalies page and lint:RULE read the kept lint findings (docs/telegram.md).
        con.print(f"linted {arc.lint():,} cables (lint findings for /anomalies)")
        st = arc.stats()
        con.print(
            f"database {db}: {st['cables']:,} cables, {st['versions']:,} versions, "
            f"{st['errors']:,} errors"
        )
        con.rule(f"[bold]search: {query}")
        print_result(arc.search(query, per_page=5), con)
        # A cable the samples hold twice (a page under a malformed name): versions and diff.
        versions = arc.versions(DIFF_EXAMPLE)
        if len(versions) > 1:
            con.rule(f"[bold]versions: {DIFF_EXAMPLE}")
            d = arc.diff(DIFF_EXAMPLE)
            for v in versions:
                con.print(f" {'*' if v.shown else ' '} v{v.number} {v.content_hash[:12]} "
                          f"completeness {v.completeness:,}  {v.member or v.source}")  # fmt: skip
            con.print(f"{len(d.fields)} fields differ; first lines of the text diff:")
            for line in d.text[2:12]:
                con.print(line.rstrip("\n")[:100], markup=False)
        con.rule()
        con.print("Try:")
        for line in hints(db, cli_command()):
            # soft_wrap: never break a command where the console thinks the line ends
            con.print(f"  {line}", markup=False, soft_wrap=True)


def _serve(con: Console, db: str, host: str, port: int, sock: object, entities: bool) -> None:
    from cablegram.access.db import AccessDB, access_path
    from cablegram.serve import serve as run_server

    # The samples were published in full (Cablegate, 2010-11): the demo shows them as
    # published. A new archive's default is stricter: anonymous readers see only
    # UNCLASSIFIED portions (docs/access.md; `cablegram policy set anonymous U`).
    with AccessDB(access_path(db)) as acc:
        acc.set_policy("anonymous", "as-published")
    child = None
    if entities:
        log = Path(f"{db}.enrich.log")
        child = start_entities(db, log)
        con.rule("[bold]entities")
        con.print(
            "Finding people, organisations and places in the background (a few "
            f"minutes on the samples; log: {log}). The Entities page, person: searches and "
            "graphs fill in when it is done; the page says while it runs.",
            soft_wrap=False,
        )
    con.rule("[bold]web UI")
    con.print("access policy for anonymous readers: as published (released material)")
    try:
        run_server(db, host, port, sock=sock)  # type: ignore[arg-type]
    finally:
        if child is not None:
            stop(child)


if __name__ == "__main__":
    main()
