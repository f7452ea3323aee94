"""The archive's own commands: ingest, search, show, versions, diff, stats, errors, export."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from cablegram import present
from cablegram.archive import EXPORT_FORMATS, Archive
from cablegram.cli.output import db_option, emit_json, err, open_archive, out, plural
from cablegram.cli.output import jsonable as _jsonable
from cablegram.cli.output import print_rows as _rows
from cablegram.cli.scale import engine_options, partition_option
from cablegram.model import Addressee, Cable

# --- ingest -------------------------------------------------------------------------------


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(allow_dash=True))
@db_option
@click.option(
    "--workers",
    "-j",
    type=click.IntRange(min=0),
    default=None,
    help="Parser processes (default: one per CPU; 0: parse in this process).",
)
@click.option("--force", is_flag=True, help="Re-parse documents already stored.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no error list.")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=None,
    help="Documents per transaction (default 4096; parsed and written 1024 at a time).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@engine_options
def ingest(paths: tuple[str, ...], db: str, workers: int | None, force: bool, quiet: bool,
           batch_size: int | None, as_json: bool, engine: str,
           scheduler: str | None) -> None:  # fmt: skip
    """Ingest files, folders, .tar.*/.zip archives, cables.csv or JSON Lines (.jsonl).

    Re-running is safe and fast: content already stored is skipped. The exit status is 1
    when any document failed (see `cablegram errors`).
    """
    kwargs: dict[str, Any] = {"workers": workers, "progress": not quiet, "force": force,
                              "engine": engine, "scheduler": scheduler}  # fmt: skip
    if batch_size:
        kwargs["chunk_size"] = batch_size
    with Archive(db) as arc:
        try:
            report = arc.ingest(list(paths), **kwargs)
        except KeyboardInterrupt:
            err().print("[yellow]interrupted[/yellow]: what was written is kept; run the same "
                         "command again to resume")  # fmt: skip
            sys.exit(130)
    if as_json:
        emit_json(report.to_dict())
    else:
        con = out()
        con.print(f"[bold]ingest[/bold] {escape(report.summary())}")
        if report.failed and not quiet:
            problems = err()
            for e in report.errors[:10]:
                problems.print(f"[red]failed[/red] {escape(e.label)}: {escape(e.reason)}")
            more = report.failed - min(10, len(report.errors))
            if more > 0:
                problems.print(f"... and {more:,} more: `cablegram errors --db {escape(db)}`")
    if not report.ok:
        sys.exit(1)


# --- search -------------------------------------------------------------------------------


@click.command()
@click.argument("query", nargs=-1, required=True)
@db_option
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--per-page", "-n", type=click.IntRange(min=1, max=100), default=10, show_default=True
)
@click.option(
    "--sort",
    type=click.Choice(["relevance", "date", "date-asc"]),
    default="relevance",
    show_default=True,
)
@click.option("--no-facets", is_flag=True, help="Skip the facet counts.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def search(query: tuple[str, ...], db: str, page: int, per_page: int, sort: str,
           no_facets: bool, as_json: bool) -> None:  # fmt: skip
    """Search the archive: words, "phrases", tag:PGOV, origin:BAKU, date:2009..."""
    q = " ".join(query)
    from cablegram.search.query import QueryError

    with open_archive(db) as arc:
        try:
            res = arc.search(q, page=page, per_page=per_page, sort=sort, facets=not no_facets)
        except QueryError as exc:
            raise click.ClickException(f"{exc}\n{exc.pointer(q)}") from None
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    if as_json:
        emit_json(res)
        return
    print_result(res, out())


def print_result(res: Any, con: Console) -> None:
    first = (res.page - 1) * res.per_page + 1 if res.total else 0
    last = first + len(res.hits) - 1 if res.hits else 0
    con.print(
        f"[bold]{res.total:,}[/bold] {plural(res.total, 'cable matches', 'cables match')} "
        f"[cyan]{escape(res.query)}[/cyan]"
        + (f"  (showing {first:,}-{last:,}, page {res.page} of {res.pages})" if res.hits else "")
    )
    for hit in res.hits:
        con.print()
        origin = hit.origin_name or hit.origin_code
        con.print(
            f"[bold green]{escape(hit.id)}[/bold green]  {escape(hit.date or '')}  "
            f"{escape(origin)}  [magenta]{escape(hit.classification)}[/magenta]"
        )
        if hit.subject:
            con.print(f"  [bold]{escape(hit.subject)}[/bold]")
        for sn in hit.snippets:
            t = Text("  ")
            if sn.number is not None or sn.marking:
                label = " ".join(x for x in (f"¶{sn.number}" if sn.number is not None else "",
                                             f"({sn.marking})" if sn.marking else "") if x)  # fmt: skip
                t.append(label + " ", style="dim")
            start = len(t)
            t.append(sn.text)
            for a, b in sn.highlights:
                t.stylize("bold yellow", start + a, start + b)
            con.print(t)
    facets = {k: v for k, v in (res.facets or {}).items() if v}
    if facets:
        con.print()
        labels = getattr(res, "facet_labels", {}) or {}
        for name, values in facets.items():
            shown = ", ".join(
                f"{escape(labels.get(name, {}).get(str(v), str(v)))} ({n:,})" for v, n in values[:8]
            )
            con.print(f"[dim]{name}:[/dim] {shown}")


# --- show ---------------------------------------------------------------------------------


@click.command()
@click.argument("cable_id")
@db_option
@click.option(
    "--version",
    "-v",
    "version",
    default=None,
    help="A version number or content-hash prefix (default: the shown one).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
@click.option(
    "--entities", "entities", is_flag=True,
    help="List which entity each mention went to (paragraph, offsets, text, entity).",
)  # fmt: skip
def show(cable_id: str, db: str, version: str | None, as_json: bool, entities: bool) -> None:
    """Show one cable: the decoded header, then its paragraphs with their markings."""
    with open_archive(db) as arc:
        cable = arc.version(cable_id, version) if version else arc.get(cable_id)
        if cable is None:
            raise click.ClickException(
                f"no cable {cable_id}" + (f" version {version}" if version else "")
            )
        versions = arc.versions(cable_id)
        if entities:
            try:
                mentions = arc.cable_entities(cable.id)
            except LookupError as e:  # no entity tables yet
                raise click.ClickException(str(e)) from None
    if entities:
        _show_mentions(mentions, as_json)
        return
    if as_json:
        emit_json(cable.to_dict())
        return
    render_cable(cable, out(), versions)


def _show_mentions(mentions: list[dict[str, Any]], as_json: bool) -> None:
    """The mentions of a cable: JSON Lines, or one aligned line each."""
    if as_json:
        for r in mentions:
            click.echo(json.dumps(r, ensure_ascii=False))
        return
    for r in mentions:
        where = f"para {r['para']}" if r["para"] is not None else (r["role"] or "-")
        span = f"{r['start']}-{r['end']}" if r["seq"] is not None else ""
        ent = r["entity_id"] or f"({r['kind']})"
        click.echo(f"{where:<10} {span:<11} {r['text'][:40]:<40} {ent}")


def _addressee(a: Addressee) -> str:
    v = present.addressee_view(a)
    parts = [f"[cyan]{escape(v.routing)}[/cyan]" if v.routing else ""]
    names = [x for x in dict.fromkeys((v.routing_name, v.name)) if x and x != v.routing]
    if names:
        parts.append(escape(" / ".join(names)))
    if a.name and a.name not in names:
        parts.append(f"[dim]({escape(a.name)})[/dim]")
    if v.precedence:
        parts.append(escape(v.precedence))
    if v.serial:
        parts.append(f"[dim]#{escape(v.serial)}[/dim]")
    return " ".join(p for p in parts if p)


def _tag(code: str, name: str, kind: str) -> str:
    label = f"[bold]{escape(code)}[/bold]"
    if name:
        label += f" {escape(name)}"
    if kind and kind != "unknown":
        label += f" [dim]({escape(kind)})[/dim]"
    return label


def render_cable(c: Cable, con: Console, versions: list | None = None) -> None:
    title = Text(c.id, style="bold green")
    if c.subject:
        title.append("  " + c.subject, style="bold")
    con.print(title)
    t = Table.grid(padding=(0, 2))
    t.add_column(style="dim", justify="right")
    t.add_column()

    def row(label: str, value: str) -> None:
        if value:
            t.add_row(label, value)

    prec = c.precedence
    row("Precedence", escape(prec))
    if c.dtg:
        row("Date", escape(c.dtg.replace("T", " ").replace(":00Z", " UTC")))
    elif c.archive and c.archive.created:
        row("Date", escape(c.archive.created) + " [dim](archive)[/dim]")
    origin = present.origin_view(c)
    bits = [escape(origin.name or origin.routing_name)]
    if c.origin.routing:
        bits.append(f"[cyan]{escape(c.origin.routing)}[/cyan]")
    row("From", " ".join(b for b in bits if b))
    for i, a in enumerate(c.to):
        row("To" if i == 0 else "", _addressee(a))
    for i, a in enumerate(c.info):
        row("Info" if i == 0 else "", _addressee(a))
    cls = " // ".join(x for x in (c.classification, *c.caveats) if x)
    row("Classification", f"[magenta]{escape(cls)}[/magenta]" if cls else "")
    if c.sections:
        row("Sections", str(c.sections))
    eo = " ".join(x for x in (f"E.O. {c.eo}" if c.eo else "",
                              f"declassify on {c.declassify_on}" if c.declassify_on else "") if x)  # fmt: skip
    row("E.O.", escape(eo))
    for i, (r, words) in enumerate(present.reasons_view(c)):
        row("Reasons" if i == 0 else "", escape(f"{r} {words}" if words else r))
    if c.classified_by:
        row("Classified by", escape(", ".join(x for x in (c.classified_by.name,
                                                           c.classified_by.title) if x)))  # fmt: skip
    for i, (code, name, kind) in enumerate(present.tags_view(c)):
        row("Tags" if i == 0 else "", _tag(code, name, kind))
    if c.subject:
        mark = f"[dim]({escape(c.subject_marking)})[/dim] " if c.subject_marking else ""
        row("Subject", mark + escape(c.subject))
    for i, ref in enumerate(c.references):
        label = f"{ref.label}. " if ref.label else ""
        rid = f"[green]{escape(ref.id)}[/green]" if ref.id else "[dim]unresolved[/dim]"
        extra = f" [dim]{escape(ref.text)}[/dim]" if ref.text else ""
        row("References" if i == 0 else "", f"{escape(label)}{rid}{extra}")
    if c.archive:
        meta = c.archive
        row("Archive", escape(", ".join(x for x in (
            meta.classification, meta.origin, f"created {meta.created}" if meta.created else "",
            f"released {meta.released}" if meta.released else "") if x)))  # fmt: skip
    con.print(t)
    if c.summary:
        con.print()
        con.print(Text("Summary", style="bold underline"))
        con.print(c.summary, markup=False)
    con.print()
    heading = ""
    for p in c.paragraphs:
        if p.heading and p.heading != heading:
            con.print(Text(p.heading, style="bold"))
            heading = p.heading
        line = Text()
        if p.number is not None:
            line.append(f"¶{p.number}. ", style="bold")
        if p.marking:
            line.append(f"({p.marking}) ", style="magenta")
        line.append(p.text)
        con.print(line)
        con.print()
    if c.signer:
        con.print(Text(c.signer, style="bold"))
    if c.defects:
        con.print()
        con.print(Text("Parser notes", style="dim underline"))
        for d in c.defects:
            con.print(Text(f"  {d.code}: {d.message}", style="dim"))
    if versions and len(versions) > 1:
        con.print()
        con.print(Text(f"{len(versions)} versions (cablegram diff {c.id})", style="dim underline"))
        for v in versions:
            mark = "*" if v.shown else " "
            where = f"{v.source}:{v.member}" if v.member else v.source
            con.print(Text(f" {mark}{v.number}  {v.content_hash[:12]}  {v.rendering}  {where}",
                           style="dim"))  # fmt: skip


# --- versions & diff ----------------------------------------------------------------------


@click.command()
@click.argument("cable_id")
@db_option
@click.option("--json", "as_json", is_flag=True)
def versions(cable_id: str, db: str, as_json: bool) -> None:
    """List the stored versions of a cable (* marks the one shown)."""
    with open_archive(db) as arc:
        vs = arc.versions(cable_id)
    if not vs:
        raise click.ClickException(f"no cable {cable_id}")
    if as_json:
        emit_json(vs)
        return
    rows: list[tuple[str, ...]] = [
        ("*" if v.shown else "", str(v.number), v.content_hash[:12], str(v.completeness),
         v.rendering, f"{v.source}:{v.member}" if v.member else v.source)
        for v in vs
    ]  # fmt: skip
    _rows(out(), ("", "#", "hash", "score", "rendering", "source"), rows)


@click.command()
@click.argument("cable_id")
@db_option
@click.option(
    "--from",
    "a",
    default=None,
    help="Version number or hash prefix (default: the latest version other than --to).",
)
@click.option(
    "--to", "b", default=None, help="Version number or hash prefix (default: the shown version)."
)
@click.option("--json", "as_json", is_flag=True)
def diff(cable_id: str, db: str, a: str | None, b: str | None, as_json: bool) -> None:
    """Show what changed between two versions of a cable."""
    with open_archive(db) as arc:
        d = arc.diff(cable_id, a, b)  # NotFound: a one-line error (cablegram.cli)
    if as_json:
        emit_json(d)
        return
    con = out()
    if d.a.number == d.b.number:
        con.print(f"{escape(d.cable_id)} has only one version")
        return
    con.print(
        f"[bold]{escape(d.cable_id)}[/bold]: version {d.a.number} [dim]{d.a.content_hash[:12]} "
        f"{escape(d.a.source)}[/dim] -> version {d.b.number} [dim]{d.b.content_hash[:12]} "
        f"{escape(d.b.source)}[/dim]"
    )
    if not d.changed:
        con.print("no differences")
        return
    if d.fields:
        t = Table("field", "from", "to", box=None)
        for ch in d.fields:
            t.add_row(ch.field, escape(_short(ch.old)), escape(_short(ch.new)))
        con.print(t)
    for line in d.text:
        style = ("bold" if line.startswith(("---", "+++")) else
                 "green" if line.startswith("+") else
                 "red" if line.startswith("-") else
                 "cyan" if line.startswith("@@") else None)  # fmt: skip
        con.print(Text(line.rstrip("\n"), style=style or ""))


def _short(v: Any) -> str:
    s = json.dumps(v, ensure_ascii=False, default=_jsonable) if not isinstance(v, str) else v
    return s if len(s) <= 60 else s[:57] + "..."


# --- stats, errors, export ----------------------------------------------------------------


@click.command()
@db_option
@click.option("--json", "as_json", is_flag=True)
def stats(db: str, as_json: bool) -> None:
    """Counts per year, origin, classification and caveat; top tags; errors."""
    with open_archive(db) as arc:
        st = arc.stats()
        resolved = sum(e.resolved for e in arc.errors()) if st["errors"] else 0
    st["errors_resolved"] = resolved
    if as_json:
        emit_json(st)
        return
    con = out()
    counts = [(st["cables"], "cable"), (st["versions"], "version"), (st["portions"], "portion"),
              (st["errors"], "error"), (st["runs"], "ingest run")]  # fmt: skip
    line = ", ".join(f"{n:,} {plural(n, word)}" for n, word in counts)
    if resolved:
        line += f" ({resolved:,} of the errors resolved by a later run)"
    con.print(line, markup=False)
    for key, title, limit in (
        ("years", "year", None),
        ("classifications", "classification", None),
        ("caveats", "caveat", None),
        ("origins", "origin", 15),
        ("tags", "tag", 15),
        ("error_codes", "error", None),
    ):
        items = list(st[key].items())
        if not items:
            continue
        t = Table(title, "cables" if key != "error_codes" else "documents", box=None,
                  title_justify="left")  # fmt: skip
        for k, n in items[:limit]:
            t.add_row(escape(str(k if k not in (None, "") else "(none)")), f"{n:,}")
        if limit and len(items) > limit:
            t.add_row(f"... {len(items) - limit} more", "")
        con.print()
        con.print(t)


@click.command()
@db_option
@click.option("--run", "run_id", type=int, default=None, help="Only errors met in this run.")
@click.option("--limit", type=click.IntRange(min=1), default=None)
@click.option("--json", "as_json", is_flag=True)
def errors(db: str, run_id: int | None, limit: int | None, as_json: bool) -> None:
    """List the documents that did not become cables, and why."""
    with open_archive(db) as arc:
        errs = arc.errors(run_id=run_id, limit=limit)
    if as_json:
        emit_json(errs)
        return
    con = out()
    if not errs:
        con.print("no errors")
        return
    # A document that a later run stored after all (a corrected file, a better parser).
    _rows(con, ("source", "member", "code", "reason", "status"),
          [(e.source, e.member, e.code, e.reason, "resolved" if e.resolved else "open")
           for e in errs])  # fmt: skip


@click.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True)
@click.option("--query", "-q", default=None, help="Only cables matching this search.")
@click.option(
    "--output", "-o", default="-", show_default=True, help="Output file ('-': standard output)."
)
@click.option("--force", "-f", is_flag=True, help="Overwrite an existing output file.")
@partition_option
def export(db: str, fmt: str, query: str | None, output: str, force: bool,
           partition_by: str | None) -> None:  # fmt: skip
    """Export the cables as JSON Lines, CSV or Parquet (streamed, no size cap)."""
    if partition_by and (fmt != "parquet" or output == "-"):
        raise click.ClickException("--partition-by year needs --format parquet -o DIRECTORY")
    if fmt == "parquet" and output == "-" and sys.stdout.isatty():
        raise click.ClickException("parquet is binary: give -o FILE or redirect the output")
    if output != "-":
        _check_output(Path(output), force, folder=bool(partition_by))
    from cablegram.search.query import QueryError

    with open_archive(db) as arc:
        try:
            n = arc.export(fmt, output, query=query, partition_by=partition_by)
        except QueryError as exc:
            raise click.ClickException(f"{exc}\n{exc.pointer(query)}") from None
        except OSError as exc:  # a full disk, a folder removed meanwhile
            raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None
    if output != "-":
        err().print(f"exported {n:,} {plural(n, 'cable')} to {escape(output)}")


def _check_output(path: Path, force: bool, *, folder: bool) -> None:
    """A one-line error before any work: no folder to write in, or a file (a non-empty
    folder, for --partition-by) that would be overwritten without --force."""
    parent = path.parent
    if not parent.is_dir():
        raise click.ClickException(f"cannot write {path}: there is no folder {parent}")
    if folder:
        if path.exists() and not path.is_dir():
            raise click.ClickException(f"{path} is a file; --partition-by writes a folder")
        if path.is_dir() and any(path.iterdir()) and not force:
            raise click.ClickException(f"{path} is not empty; add --force to write into it")
        return
    if path.is_dir():
        raise click.ClickException(f"{path} is a folder; give a file name")
    if path.exists() and not force:
        raise click.ClickException(f"{path} exists; add --force to overwrite it")


COMMANDS = [ingest, search, show, versions, diff, stats, errors, export]
