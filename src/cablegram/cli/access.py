"""``cablegram users``, ``cablegram policy``, ``cablegram audit`` and ``cablegram declass``.

``cablegram.cli`` registers them on the ``cablegram`` group.
They work on the archive's access file (``x.db`` -> ``x.access.db``, docs/access.md).
Whoever can run them can read the database file, so they are administrators' commands.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date

import click

from cablegram.access.db import AccessDB, access_path
from cablegram.access.rules import CLEARANCES
from cablegram.cli.output import db_option as _db_option
from cablegram.settings import settings

__all__ = ["audit_group", "declass_command", "policy_group", "users_group"]


def _access(db: str) -> AccessDB:
    if "://" not in db and not os.path.exists(db):
        raise click.ClickException(f"no database at {db}; run `cablegram ingest` first")
    return AccessDB(access_path(db))


# ----------------------------------------------------------------------------------- users


@click.group("users")
def users_group() -> None:
    """Readers of the web UI and the API: their clearance, caveats, passwords, tokens."""


@users_group.command("add")
@click.argument("name")
@click.option("--clearance", "-c", type=click.Choice(list(CLEARANCES), case_sensitive=False),
              default="U", show_default=True, help="Highest classification the user reads.")  # fmt: skip
@click.option("--caveat", "caveats", multiple=True, metavar="CAVEAT",
              help="A caveat the user may read (NOFORN, ORCON, 'REL NATO'...); repeatable.")  # fmt: skip
@click.option("--admin", is_flag=True, help="Reads everything (no redaction).")
@click.option("--password/--no-password", default=True, show_default=True,
              help="Ask for a password (a user without one logs in by token only).")  # fmt: skip
@_db_option
def users_add(name: str, clearance: str, caveats: tuple[str, ...], admin: bool, password: bool,
              db: str) -> None:  # fmt: skip
    """Add a user. The password is asked for (twice), or read from $CABLEGRAM_PASSWORD."""
    secret = None
    if password:
        secret = settings().password or click.prompt(
            "Password", hide_input=True, confirmation_prompt=True
        )
        if len(secret) < 8:
            raise click.ClickException("a password has at least 8 characters")
    with _access(db) as acc:
        try:
            u = acc.add_user(name, clearance=clearance, caveats=caveats, password=secret,
                             admin=admin)  # fmt: skip
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"added {u.name}: {u.reader('user').describe()}" + (" (admin)" if u.admin else ""))


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON, one object per user.")
@_db_option
def users_list(as_json: bool, db: str) -> None:
    """The users, their rights and how many tokens they have."""
    with _access(db) as acc:
        users = acc.users()
    for u in users:
        if as_json:
            click.echo(json.dumps({"name": u.name, "clearance": u.clearance, "caveats": u.caveats,
                                   "admin": u.admin, "password": u.has_password,
                                   "tokens": u.tokens, "created_at": u.created_at}))  # fmt: skip
        else:
            click.echo("\t".join([u.name, u.clearance, " ".join(u.caveats) or "-",
                                  "admin" if u.admin else "-", f"{u.tokens} tokens"]))  # fmt: skip


@users_group.command("remove")
@click.argument("name")
@_db_option
def users_remove(name: str, db: str) -> None:
    """Remove a user with their tokens and sessions."""
    with _access(db) as acc:
        if not acc.remove_user(name):
            raise click.ClickException(f"no user {name}")
    click.echo(f"removed {name}")


@users_group.command("passwd")
@click.argument("name")
@_db_option
def users_passwd(name: str, db: str) -> None:
    """Set a user's password (ends their web sessions)."""
    secret = settings().password or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    if len(secret) < 8:
        raise click.ClickException("a password has at least 8 characters")
    with _access(db) as acc:
        try:
            acc.set_password(name, secret)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"password of {name} set")


@users_group.command("token")
@click.argument("name")
@click.option("--label", default="", help="What the token is for.")
@click.option("--days", type=float, default=90, show_default=True,
              help="Days until it expires (0: never).")  # fmt: skip
@_db_option
def users_token(name: str, label: str, days: float, db: str) -> None:
    """Make an API token for a user. The token is shown once; only its hash is kept."""
    with _access(db) as acc:
        try:
            secret, info = acc.new_token(name, label=label, days=days or None)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(secret)
    click.echo(
        f"token {info.token_id} for {name}, expires {info.expires_at or 'never'}; "
        "it is not shown again: use it as 'Authorization: Bearer <token>'",
        err=True,
    )


@users_group.command("tokens")
@click.argument("name", required=False)
@_db_option
def users_tokens(name: str | None, db: str) -> None:
    """List tokens (not their secrets)."""
    with _access(db) as acc:
        for t in acc.tokens(name):
            click.echo("\t".join([str(t.token_id), t.name, t.label or "-", t.created_at,
                                  t.expires_at or "never"]))  # fmt: skip


@users_group.command("revoke")
@click.argument("token_id", type=int)
@_db_option
def users_revoke(token_id: int, db: str) -> None:
    """Revoke a token by its number (from `users tokens`)."""
    with _access(db) as acc:
        if not acc.revoke_token(token_id):
            raise click.ClickException(f"no token {token_id}")
    click.echo(f"revoked token {token_id}")


# ---------------------------------------------------------------------------------- policy


@click.group("policy")
def policy_group() -> None:
    """The archive's access policy."""


@policy_group.command("set")
@click.argument("key", type=click.Choice(["anonymous", "audit-retention-days"]))
@click.argument("value")
@_db_option
def policy_set(key: str, value: str, db: str) -> None:
    """anonymous: what anonymous readers see, a clearance (U: unclassified portions only,
    the default), none (log in or use a token), or as-published (everything: an archive of
    released material). audit-retention-days: audit entries older than this many days are
    pruned (0, the default: kept)."""
    with _access(db) as acc:
        try:
            v = acc.set_policy(key, value)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="VALUE") from None
    click.echo(f"{key} = {v}")


@policy_group.command("show")
@_db_option
def policy_show(db: str) -> None:
    """The current policy."""
    with _access(db) as acc:
        click.echo(f"anonymous = {acc.policy('anonymous')}  ({acc.anonymous().describe()})")
        days = acc.policy("audit-retention-days")
        click.echo(f"audit-retention-days = {days}  ({'keep all' if days == '0' else 'days'})")


# ----------------------------------------------------------------------------------- audit


@click.group("audit")
def audit_group() -> None:
    """The audit log: who searched and read what (append-only)."""


@audit_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True)  # fmt: skip
@click.option("--since", default=None, help="Only entries at or after this ISO time.")
@click.option("--out", "-o", default="-", help="File to write ('-': standard output).")
@_db_option
def audit_export(fmt: str, since: str | None, out: str, db: str) -> None:
    """Write the audit log as JSON Lines or CSV."""
    with _access(db) as acc:
        if out == "-":
            n = acc.export_audit(sys.stdout, fmt, since=since)
        else:
            with open(out, "w", encoding="utf-8", newline="") as fh:
                n = acc.export_audit(fh, fmt, since=since)
    click.echo(f"{n} entries", err=True)


# --------------------------------------------------------------------------------- declass


_ORDER = {
    "due": "by due date",
    "releasable": "least sensitive first",
    "sensitive": "most sensitive first",
}


@click.command("declass")
@click.option("--due", default=None, is_flag=False, flag_value="today", metavar="[YYYY-MM-DD]",
              help="The day to review for (default, or --due alone: today).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="The whole report as JSON.")
@click.option("--list/--no-list", "listing", default=True, show_default=True,
              help="List the due cables after the summary.")  # fmt: skip
@click.option("--sort", type=click.Choice(["due", "releasable", "sensitive"]), default="due",
              show_default=True, help="Order the due cables by due date, or by predicted "
              "sensitivity (least or most first; needs `cablegram classify train`).")  # fmt: skip
@click.option("--releasable", "releasable_only", is_flag=True,
              help="Only the cables the model reads as likely releasable.")  # fmt: skip
@_db_option
def declass_command(due: str | None, as_json: bool, listing: bool, sort: str,
                    releasable_only: bool, db: str) -> None:  # fmt: skip
    """Cables whose declassify-on date has passed, by origin and classification; values
    that are no date (OADR, X1, 25X1, N/A...) are reported separately. With a model in the
    archive each due cable shows its predicted sensitivity (probability it reads
    classified)."""
    from cablegram.access.rules import Reader
    from cablegram.cli.output import open_archive

    try:
        when = date.fromisoformat(due) if due and due != "today" else date.today()
    except ValueError:
        raise click.BadParameter(f"not a date: {due}", param_hint="--due") from None
    with open_archive(db) as arc:
        try:
            rep = arc.as_reader(Reader.unrestricted("cli", "cli")).declassification(
                when, sort=sort, releasable_only=releasable_only
            )
        except LookupError as e:
            raise click.ClickException(str(e).strip("'\"")) from None
    if as_json:
        click.echo(json.dumps(rep.to_dict(), indent=1))
        return
    n = len(rep.due_cables)
    click.echo(f"due by {when}: {n} {'cable' if n == 1 else 'cables'}; not yet due: {rep.not_yet}; "
               f"no date: {sum(rep.no_date.values())}; no DECL line: {rep.missing}; "
               f"unclassified (never due): {rep.unclassified}")  # fmt: skip
    click.echo("\nby origin and classification:")
    for (origin, cls), n in rep.by_origin_and_classification.items():
        click.echo(f"  {n:6d}  {origin or '(unknown)'}\t{cls or '(unmarked)'}")
    if rep.no_date:
        click.echo("\nvalues that are no date:")
        for value, n in rep.no_date.items():
            click.echo(f"  {n:6d}  {value}")
    if listing:
        head = "due cables:"
        if rep.threshold is not None:
            head = (f"due cables{' read as likely releasable' if rep.releasable_only else ''}, "
                    f"{_ORDER[rep.sort]} (last "
                    f"column: predicted sensitivity; releasable below {rep.threshold:.2f}):")  # fmt: skip
        click.echo("\n" + head)
        for c in rep.due_cables:
            pred = "" if c.predicted is None else f"\t{c.predicted:.2f}"
            click.echo(f"  {c.when}  {c.id}\t{c.origin}\t{c.classification}\t{c.declassify_on}"
                       f"{pred}")  # fmt: skip


@policy_group.command("unreadable")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines instead of a table.")
@_db_option
def policy_unreadable(as_json: bool, db: str) -> None:
    """Cables whose overall classification cannot be read: their unmarked portions are
    shown at TOP SECRET only (fail closed) until the source is fixed and re-ingested."""
    from cablegram.archive import Archive

    _access(db).close()  # the same "no database" error as the other commands
    with Archive(db, create=False) as arc:
        rows = arc.unreadable()
    for cid, cls in rows:
        if as_json:
            click.echo(json.dumps({"id": cid, "classification": cls}))
        else:
            click.echo(f"{cid}\t{cls or '(none)'}")
    if not as_json:
        click.echo(f"{len(rows)} cable(s) with an unreadable classification", err=True)
