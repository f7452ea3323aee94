"""Commands of the telegram system: lint, compose, send, coverage (docs/telegram.md).

Registered in ``cli/__init__.py`` from ``COMMANDS``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click

from cablegram.cli.output import db_option, open_archive

__all__ = ["COMMANDS"]


def _optional_db(f: Callable[..., Any]) -> Callable[..., Any]:
    # lint and compose work without an archive: no default database.
    return click.option("--db", "db", default=None,
                        help="The database file or postgresql:// URL.")(f)  # fmt: skip


@click.command("lint")
@click.argument("files", nargs=-1, type=click.Path(allow_dash=True))
@_optional_db
@click.option("--rule", default=None, help="With --db: the cables with findings of RULE.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines: one object per cable.")
def lint_command(files: tuple[str, ...], db: str | None, rule: str | None, as_json: bool) -> None:
    """Lint cables: FILES (any rendering the parser reads), or an archive with --db.

    With files, one block (or JSON line) per cable with its findings; the exit status is
    1 when any finding is an error. With --db, the count of findings per rule over the
    archive, or with --rule RULE the cables that break it.
    """
    from cablegram.parser import parse
    from cablegram.sources import iter_documents
    from cablegram.telegram.lint import RULES, lint

    if rule is not None and rule not in RULES:
        raise click.ClickException(f"no lint rule {rule}; the rules are {', '.join(RULES)}")
    if db is None and not files:
        raise click.UsageError("give FILES to lint, or --db ARCHIVE")
    any_error = False
    if files:
        for doc in iter_documents(list(files)):
            if doc.error:
                raise click.ClickException(f"{doc.label}: {doc.error}")
            try:
                cable = parse(doc.data, hint=doc.hint) if doc.hint else parse(doc.data)
            except Exception as exc:  # a document the parser cannot read
                raise click.ClickException(f"{doc.label}: cannot parse: {exc}") from None
            found = lint(cable)
            any_error |= any(f.severity == "error" for f in found)
            if as_json:
                click.echo(json.dumps({"id": cable.id, "source": doc.label,
                                       "findings": [f.to_dict() for f in found]}))  # fmt: skip
            else:
                click.echo(f"{cable.id or doc.label}: {len(found)} finding(s)")
                for f in found:
                    click.echo(f"  {f.severity:<7} {f.rule:<30} {f.where}: {f.message}")
    if db is not None:
        with open_archive(db) as arc:
            linted = arc.lint()
            if rule:
                from cablegram.telegram.anomalies import cables_with

                hits = cables_with(arc.store, rule)
            report = arc.anomalies()
        if rule:
            for cid in hits:
                click.echo(cid)
        elif as_json:
            for r in RULES:
                click.echo(json.dumps({"rule": r, "severity": RULES[r].severity,
                                       "cables": report.rules.get(r, 0),
                                       "findings": report.findings.get(r, 0)}))  # fmt: skip
        else:
            click.echo(f"linted {linted:,} changed cable(s); {report.cables:,} in all")
            click.echo(f"{'rule':<30} {'severity':<8} {'cables':>7} {'findings':>8}")
            for r in RULES:
                click.echo(f"{r:<30} {RULES[r].severity:<8} {report.rules.get(r, 0):>7} "
                           f"{report.findings.get(r, 0):>8}")  # fmt: skip
    if any_error:
        sys.exit(1)


@click.command("compose")
@click.argument("draft", type=click.Path(dir_okay=False))
@_optional_db
@click.option("--at", "at", default=None, help="The DTG to stamp (ISO 8601 UTC); default now.")
def compose_command(draft: str, db: str | None, at: str | None) -> None:
    """Write the telegram of DRAFT.toml (docs/telegram.md, "Drafts").

    Refused when lint finds an error, naming the rule. With --db, the serials are the
    archive's next ones (and are taken); without, a preview with serial 1.
    """
    from cablegram.telegram.compose import compose
    from cablegram.telegram.draft import DraftError, LintRefused, compose_draft, read_draft

    when = _when(at)
    try:
        d = read_draft(draft)
        if db is None:
            cable = compose_draft(d, when=when)
        else:
            from cablegram.telegram.counters import Counters

            with open_archive(db) as arc:
                cable = compose_draft(d, Counters(arc.store), when=when)
    except (DraftError, LintRefused) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(compose(cable), nl=False)


@click.command("send")
@click.argument("draft", type=click.Path(dir_okay=False))
@db_option
@click.option("--at", "at", default=None, help="The DTG to stamp (ISO 8601 UTC); default now.")
def send_command(draft: str, db: str, at: str | None) -> None:
    """Compose DRAFT.toml and store it as a new cable of the archive (source `composed`)."""
    from cablegram.archive import Archive
    from cablegram.telegram.draft import DraftError, LintRefused, send

    when = _when(at)
    with Archive(db) as arc:
        try:
            cable = send(arc, draft, when=when)
        except (DraftError, LintRefused) as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"sent {cable.id} {cable.dtg}")


def _when(at: str | None) -> datetime | None:
    if not at:
        return None
    try:
        when = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        raise click.ClickException(f"--at {at}: not an ISO 8601 time") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@click.command("coverage")
@db_option
@click.option("--post", default=None, help="One post, as ids spell it (BAKU).")
@click.option("--year", type=int, default=None)
@click.option("--gaps", is_flag=True, help="Also list the missing serial ranges.")
@click.option("--json", "as_json", is_flag=True)
def coverage_command(db: str, post: str | None, year: int | None, gaps: bool,
                     as_json: bool) -> None:  # fmt: skip
    """How much of each post's traffic per year the archive holds (from station serials)."""
    with open_archive(db) as arc:
        rows = arc.coverage(post, year)
    if as_json:
        for r in rows:
            click.echo(json.dumps(r.to_dict()))
        return
    click.echo(f"{'post':<16} {'year':>4} {'held':>6} {'highest':>8} {'coverage':>9}")
    for r in rows:
        click.echo(f"{r.post:<16} {r.year:>4} {r.held:>6} {r.highest_serial:>8} "
                   f"{100 * r.coverage:>8.2f}%")  # fmt: skip
        if gaps and r.missing:
            click.echo("    missing " + ", ".join(
                f"{a}" if a == b else f"{a}-{b}" for a, b in r.missing))  # fmt: skip
        for cid, de, from_id in r.conflicts:
            click.echo(f"    {cid}: DE line serial {de}, id serial {from_id} (counted once)")


COMMANDS = (lint_command, compose_command, send_command, coverage_command)
