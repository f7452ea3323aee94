"""Commands for entities and graphs: ``enrich``, ``entities`` (list, show, merge, split,
rename, delete, corrections) and ``graph``. Registered on the ``cablegram`` group by
``cablegram.cli``; each is a thin skin over :class:`cablegram.archive.Archive` and
:mod:`cablegram.graph`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from cablegram.archive import Archive
from cablegram.cli.output import db_option as _db_option
from cablegram.cli.output import emit_json as _json
from cablegram.cli.output import err as _err
from cablegram.cli.output import open_archive, plural
from cablegram.cli.output import out as _out
from cablegram.cli.output import print_rows as _rows
from cablegram.cli.scale import engine_options
from cablegram.running import running_stage

__all__ = ["enrich_command", "entities_group", "graph_command"]


def _fail(e: Exception) -> click.ClickException:
    return click.ClickException(str(e).strip("'\""))


# --- enrich --------------------------------------------------------------------------------


@click.command("enrich")
@_db_option
@click.option("--workers", "-j", type=click.IntRange(min=0), default=None,
              help="Extraction processes (default: one per CPU; 0: in this process).")  # fmt: skip
@click.option("--force", is_flag=True, help="Redo every cable, not only new or changed ones.")
@click.option("--cable", "cables", multiple=True, help="Only this cable (repeatable).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@engine_options
def enrich_command(db: str, workers: int | None, force: bool, cables: tuple[str, ...], quiet: bool,
                   as_json: bool, engine: str, scheduler: str | None) -> None:  # fmt: skip
    """Find people, organisations and places in the cables and resolve them.

    Runs on the cables that are new or changed since the last run (resumable: a killed
    run keeps what it wrote); search with person:, org:, place: afterwards.
    """
    err = Console(stderr=True, highlight=False)
    with open_archive(db) as arc:
        bar = None
        progress = None
        if not quiet and not as_json and err.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            bar = Progress(
                "enrich", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err
            )
            task = bar.add_task("enrich", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

        try:
            if bar is not None:
                bar.start()
            with running_stage(db, "enrich"):  # the Entities page says it is running
                rep = arc.enrich(workers=workers, force=force, ids=list(cables) or None,
                                 progress=progress, engine=engine, scheduler=scheduler)  # fmt: skip
        except NotImplementedError as exc:  # entities on a PostgreSQL archive
            raise click.ClickException(str(exc)) from None
        finally:
            if bar is not None:
                bar.stop()
    if as_json:
        _json(rep.to_dict())
    else:
        _out().print(rep.summary())


# --- entities ------------------------------------------------------------------------------


@click.group("entities")
def entities_group() -> None:
    """People, organisations and places found by `cablegram enrich`, and their curation."""


@entities_group.command("list")
@_db_option
@click.option("--kind", type=click.Choice(["person", "org", "place"]), default=None)
@click.option("--query", "-q", default=None, help="Names or aliases starting with this.")
@click.option("--sort", type=click.Choice(["cables", "mentions", "name", "first", "last"]),
              default="cables", show_default=True)  # fmt: skip
@click.option("--limit", "-n", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0)
@click.option("--json", "as_json", is_flag=True)
def list_command(db: str, kind: str | None, query: str | None, sort: str, limit: int, offset: int,
                 as_json: bool) -> None:  # fmt: skip
    """List entities, most cited first."""
    with open_archive(db) as arc:
        try:
            items = arc.entities(kind, query=query, sort=sort, limit=limit, offset=offset)
        except (LookupError, ValueError) as e:
            raise _fail(e) from None
    if as_json:
        _json([e.to_dict() for e in items])
        return
    _rows(_out(), ("id", "kind", "name", "cables", "mentions", "first", "last"),
          [(e.entity_id, e.kind, e.name + (" *" if e.curated else ""), str(e.n_cables),
            str(e.n_mentions), e.first_seen or "", e.last_seen or "") for e in items])  # fmt: skip


@entities_group.command("show")
@click.argument("entity")
@_db_option
@click.option("--limit", "-n", type=click.IntRange(min=1), default=20, show_default=True,
              help="Cables listed.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True)
def show_command(entity: str, db: str, limit: int, as_json: bool) -> None:
    """Show one entity: aliases, titles over time, cables, co-mentioned entities.

    ENTITY is an id (person:safar-abiyev) or kind:Name (person:Abiyev).
    """
    with open_archive(db) as arc:
        try:
            page = arc.entity(entity, limit=limit)
        except LookupError as e:
            raise _fail(e) from None
    if page is None:
        raise click.ClickException(f"no entity {entity}")
    if as_json:
        _json(page.to_dict())
        return
    con = _out()
    ent = page.entity
    con.print(f"[bold]{escape(ent.name)}[/bold]  {ent.entity_id}  ({ent.kind})"
              + ("  [yellow]curated[/yellow]" if ent.curated else ""))  # fmt: skip
    con.print(
        f"{ent.n_cables} cables, {ent.n_mentions} mentions, {ent.first_seen or '?'} .. {ent.last_seen or '?'}"
    )
    if page.aliases:
        con.print("aliases: " + escape(", ".join(f"{a} ({n})" for a, n in page.aliases[:15])))
    for title, n, first, last in page.titles[:10]:
        con.print(f"title: {escape(title)} ({n}) {first or ''} .. {last or ''}")
    if page.timeline:
        con.print("per month: " + ", ".join(f"{m}:{n}" for m, n in page.timeline[-24:]))
    con.print("[bold]cables[/bold]" + (f" (latest {len(page.cables)} of {page.n_cables})"
                                         if page.n_cables > len(page.cables) else ""))  # fmt: skip
    for c in page.cables:
        con.print(f"  {c['id']:<20} {c['date'] or '':<10} {escape((c['subject'] or '')[:70])}")
    if page.co_mentioned:
        con.print("[bold]mentioned with[/bold]")
        for o in page.co_mentioned[:15]:
            con.print(f"  {o['cables']:>4}  {escape(o['name'])}  ({o['entity_id']})")
    for c in page.corrections:
        con.print(
            f"[dim]decision {c.correction_id}: {c.action} {c.entity_id} {c.target} {c.name}[/dim]"
        )


def _curate(db: str, as_json: bool, fn: Callable[[Archive], Any]) -> None:
    with open_archive(db) as arc:
        try:
            c = fn(arc)
        except (LookupError, ValueError) as e:
            raise _fail(e) from None
    if as_json:
        _json(c)
    else:
        _out().print(f"decision {c.correction_id}: {c.action} {c.entity_id}"
                     + (f" -> {c.target}" if c.target else "")
                     + (f" ({escape(c.name)})" if c.name else ""))  # fmt: skip


_note = click.option("--note", default="", help="Why (kept with the decision).")
_as_json = click.option("--json", "as_json", is_flag=True)


@entities_group.command("merge")
@click.argument("source")
@click.argument("into")
@_db_option
@_note
@_as_json
def merge_command(source: str, into: str, db: str, note: str, as_json: bool) -> None:
    """Merge SOURCE into INTO (e.g. person:abiyev person:safar-abiyev)."""
    _curate(db, as_json, lambda arc: arc.merge_entities(source, into, note=note))


@entities_group.command("split")
@click.argument("entity")
@click.option("--name", required=True, help="Name of the new entity.")
@click.option("--cable", "cables", multiple=True, help="Mentions in this cable (repeatable).")
@click.option("--before", default=None, help="Mentions in cables dated before YYYY[-MM[-DD]].")
@click.option("--after", default=None, help="Mentions in cables dated from YYYY[-MM[-DD]] on.")
@click.option("--alias", "aliases", multiple=True, help="Mentions written this way (repeatable).")
@_db_option
@_note
@_as_json
def split_command(entity: str, name: str, cables: tuple[str, ...], before: str | None,
                  after: str | None, aliases: tuple[str, ...], db: str, note: str,
                  as_json: bool) -> None:  # fmt: skip
    """Split mentions off ENTITY into a new entity called NAME."""
    _curate(db, as_json, lambda arc: arc.split_entity(
        entity, name, cables=list(cables), before=before, after=after, aliases=list(aliases), note=note))  # fmt: skip


@entities_group.command("rename")
@click.argument("entity")
@click.argument("name")
@_db_option
@_note
@_as_json
def rename_command(entity: str, name: str, db: str, note: str, as_json: bool) -> None:
    """Give ENTITY the display name NAME."""
    _curate(db, as_json, lambda arc: arc.rename_entity(entity, name, note=note))


@entities_group.command("delete")
@click.argument("entity")
@_db_option
@_note
@_as_json
def delete_command(entity: str, db: str, note: str, as_json: bool) -> None:
    """Mark ENTITY as no entity (a false positive), now and after re-enrichment."""
    _curate(db, as_json, lambda arc: arc.delete_entity(entity, note=note))


@entities_group.command("corrections")
@_db_option
@_as_json
def corrections_command(db: str, as_json: bool) -> None:
    """List the users' decisions, in the order they are applied."""
    with open_archive(db) as arc:
        items = arc.corrections()
    if as_json:
        _json(items)
        return
    _rows(_out(), ("#", "action", "entity", "target", "name", "scope", "at"),
          [(str(c.correction_id), c.action, c.entity_id, c.target, c.name,
            json.dumps(c.scope) if c.scope else "", c.created_at) for c in items])  # fmt: skip


# --- graph ---------------------------------------------------------------------------------


@click.command("graph")
@click.argument("what", type=click.Choice(["citations", "comentions", "ego", "missing", "most-cited",
                                           "cited-by"]))  # fmt: skip
@click.argument("center", required=False)
@_db_option
@click.option("--format", "fmt", type=click.Choice(["gexf", "graphml", "json"]), default="gexf",
              show_default=True, help="File format of a graph.")  # fmt: skip
@click.option(
    "--output", "-o", default="-", show_default=True, help="File, or - for standard output."
)
@click.option("--query", "-q", default=None, help="Only the cables matching this search.")
@click.option("--radius", type=click.IntRange(min=1, max=3), default=1, show_default=True)
@click.option("--min-weight", type=click.IntRange(min=1), default=2, show_default=True,
              help="Co-mentions: drop pairs seen in fewer cables.")  # fmt: skip
@click.option("--top", type=click.IntRange(min=0), default=500, show_default=True,
              help="Co-mentions: keep the entities in most cables (0: all).")  # fmt: skip
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["person", "org", "place"]),
              help="Co-mentions: entity kinds (default all).")  # fmt: skip
@click.option("--limit", "-n", type=click.IntRange(min=1), default=50, show_default=True,
              help="Lists (missing, most-cited): rows.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Lists as JSON.")
def graph_command(what: str, center: str | None, db: str, fmt: str, output: str, query: str | None,
                  radius: int, min_weight: int, top: int, kinds: tuple[str, ...], limit: int,
                  as_json: bool) -> None:  # fmt: skip
    """Citation and co-mention graphs, exported for Gephi & co, and citation lists.

    \b
    citations            cable -> cited cable (REF lines, ids in the text, septels)
    comentions           entities mentioned in the same cables
    ego CENTER           around an entity (person:...) or a cable id
    missing              cited cables missing from the archive, most cited first
    most-cited           most cited cables
    cited-by CABLE       the cables citing CABLE
    """
    from cablegram.graph import export as write_graph  # writes a graph value; no archive

    with open_archive(db) as arc:
        if what in ("ego", "cited-by") and not center:
            raise click.UsageError(f"{what} needs a CENTER (an entity id or a cable id)")
        if what == "missing":
            items = arc.missing_citations(limit)
            if as_json:
                _json([m.to_dict() for m in items])
            else:
                _rows(_out(), ("id", "cited by", "first cited", "citing"),
                      [(m.id, str(m.n_citing), m.first_cited or "", " ".join(m.citing[:5])
                        + (" ..." if len(m.citing) > 5 else "")) for m in items])  # fmt: skip
            return
        if what == "most-cited":
            rows = arc.most_cited(limit)
            if as_json:
                _json([{"id": c, "cited_by": n, "in_archive": a} for c, n, a in rows])
            else:
                _rows(_out(), ("id", "cited by", "in archive"),
                      [(c, str(n), "yes" if a else "no") for c, n, a in rows])  # fmt: skip
            return
        if what == "cited-by":
            cid = (center or "").strip().upper()
            citations = arc.citing(cid)
            present = arc.get(cid) is not None
            # A cable that is not here may still be cited (graph missing lists those).
            if not citations and not present:
                raise click.ClickException(
                    f"{cid} is not in the archive, and no cable in it cites it"
                )
            if as_json:
                _json(citations)
                return
            if not citations:
                _err().print(f"No cable in the archive cites {cid}.")
            elif not present:
                n = len({c.citing for c in citations})
                _err().print(f"{cid} is not in the archive; {n:,} {plural(n, 'cable')} cite it:")
            if citations or not _out().is_terminal:
                _rows(_out(), ("citing", "kind", "as written"),
                      [(c.citing, c.kind, c.text) for c in citations])  # fmt: skip
            return
        try:
            if what == "citations":
                g = arc.citation_graph(query=query)
            elif what == "comentions":
                g = arc.comention_graph(kinds=kinds or ("person", "org", "place"),
                                        min_weight=min_weight, top=top or None, query=query)  # fmt: skip
            else:
                g = arc.ego_network(center or "", radius=radius)
        except LookupError as e:
            raise _fail(e) from None
    if output == "-":
        write_graph(g, fmt, sys.stdout.buffer if fmt != "json" else sys.stdout)
    else:
        write_graph(g, fmt, output)
        Console(stderr=True, highlight=False).print(
            f"{g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges -> {output}"
        )
