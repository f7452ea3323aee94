"""The ``cablegram`` command: a thin skin over :class:`cablegram.archive.Archive`.

One module per command group: ``archive`` (ingest, search, show, versions, diff, stats,
errors, export), ``parse``, ``serve``, ``scale`` (migrate), ``access`` (users, policy,
audit, declass), ``enrich`` (enrich, entities, graph), ``classify`` (train, predict, similar,
topics, trends), ``telegram`` (lint, compose, send, coverage); ``output`` holds what they share
(the one ``--db`` option, JSON output, tables). Every command that reads or writes a
database takes ``--db FILE`` (default ``cablegram.db``, or ``$CABLEGRAM_DB``); ``--json``
gives machine-readable output on the commands that print results.
"""

from __future__ import annotations

import click

from cablegram import __version__
from cablegram.cli import access, archive, classify, enrich, parse, scale, serve, telegram
from cablegram.errors import CablegramError

__all__ = ["main"]


class _Group(click.Group):
    """Cablegram's own errors (``cablegram.errors``) end a command with their message and
    exit status 1, chosen by their class: no traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except CablegramError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cablegram")
def main() -> None:
    """Parse, archive and search US diplomatic cables."""


for _command in (
    *archive.COMMANDS,
    parse.parse_command,
    serve.serve_command,
    scale.migrate_command,
    access.users_group,
    access.policy_group,
    access.audit_group,
    access.declass_command,
    enrich.enrich_command,
    enrich.entities_group,
    enrich.graph_command,
    classify.classify_group,
    *telegram.COMMANDS,
):
    main.add_command(_command)
