"""``make demo``: ingest the shipped samples into a database and run a sample search.

    python -m cablegram.demo --db cablegram.db [--query Q]

Idempotent: a second run finds every document already stored and only searches.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from cablegram.archive import Archive
from cablegram.cli.archive import print_result

SAMPLES = ("cablegate-dev.tar.xz", "09BAKU433.md", "cables-csv-sample.csv")
DEFAULT_QUERY = "nagorno karabakh"
DIFF_EXAMPLE = "08SAOPAULO335"


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
    help="End by serving the web UI on http://127.0.0.1:8000.",
)
@click.option("--port", type=int, default=8000, show_default=True)
def main(
    db: str, query: str, samples: str | None, workers: int | None, serve: bool, port: int
) -> None:
    """Ingest samples/, run a sample search, then serve the web UI."""
    con = Console(highlight=False)
    paths = sample_paths(Path(samples) if samples else None)
    if not paths:
        raise click.ClickException("no samples found; pass --samples DIR")
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
        con.print(
            f"Try: cablegram search --db {db} 'tag:PGOV iran'   "
            f"cablegram show --db {db} 09BAKU433   cablegram diff --db {db} {DIFF_EXAMPLE}   "
            f"cablegram stats --db {db}"
        )
    if serve:
        from cablegram.access.db import AccessDB, access_path
        from cablegram.serve import serve as run_server

        # The samples were published in full (Cablegate, 2010-11): the demo shows them as
        # published. A new archive's default is stricter: anonymous readers see only
        # UNCLASSIFIED portions (docs/access.md; `cablegram policy set anonymous U`).
        with AccessDB(access_path(db)) as acc:
            acc.set_policy("anonymous", "as-published")
        con.rule("[bold]web UI")
        con.print("access policy for anonymous readers: as published (released material)")
        run_server(db, "127.0.0.1", port)


if __name__ == "__main__":
    main()
