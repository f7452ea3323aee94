"""``cablegram classify``: train and apply the classification model, similar cables, topics
and trends; a thin skin over :mod:`cablegram.classify`. Registered by ``cablegram.cli``."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import click

from cablegram.cli.output import open_archive

__all__ = ["classify_group"]


def _db_option(f: Callable) -> Callable:
    return click.option(
        "--db", "db", default="cablegram.db", envvar="CABLEGRAM_DB", show_default=True,
        type=click.Path(dir_okay=False), help="The database file (or $CABLEGRAM_DB).",
    )(f)  # fmt: skip


def _fail(e: Exception) -> click.ClickException:
    return click.ClickException(str(e).strip("'\""))


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group("classify")
def classify_group() -> None:
    """Classification model, similar cables, topics and trends (docs/classify.md)."""


@classify_group.command("train")
@_db_option
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--max-cables", type=click.IntRange(min=10), default=None,
              help="Learn from a seeded sample of at most this many cables (default 15,000).")  # fmt: skip
@click.option("--index/--no-index", default=True, show_default=True,
              help="Also build the similar-cable vectors and the topics.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True)
def train_command(db: str, seed: int, max_cables: int | None, index: bool, as_json: bool) -> None:
    """Learn the model from the archive's markings and store it with the archive (with the
    archive generation it learnt from), then score every cable."""
    from cablegram import classify
    from cablegram.classify.model import MAX_CABLES

    with open_archive(db) as arc:
        try:
            model = classify.train(arc, seed=seed, max_cables=max_cables or MAX_CABLES)
            scored = classify.store_model(arc, model)
            out: dict[str, Any] = {"model": classify.model_info(arc), "scored": scored}
            if index:
                out["similar_portions"] = classify.build_index(arc, seed=seed)
                out["topics"] = [t.label for t in classify.build_topics(arc, seed=seed)]
        except (ValueError, NotImplementedError) as e:
            raise _fail(e) from None
    if as_json:
        _echo_json(out)
        return
    info = out["model"]
    click.echo(
        f"trained on {info['cables']:,} cables ({info['classified_cables']:,} classified) and "
        f"{info['paragraphs']:,} paragraphs in {info['seconds']} s; generation "
        f"{info['generation']}; scored {scored:,} cables"
    )
    if index:
        click.echo(f"similar-cable vectors for {out['similar_portions']:,} portions; "
                   f"{len(out['topics'])} topics")  # fmt: skip


@classify_group.command("predict")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True))
@_db_option
@click.option("--model", "model_path", type=click.Path(dir_okay=False, exists=True),
              help="A model file (Model.save) instead of the archive's model.")  # fmt: skip
@click.option("--terms", "n_terms", type=click.IntRange(min=0), default=5, show_default=True,
              help="Top terms shown per paragraph.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="One JSON object per cable (JSON Lines).")
def predict_command(files: tuple[str, ...], db: str, model_path: str | None, n_terms: int,
                    as_json: bool) -> None:  # fmt: skip
    """How classified each cable in FILES reads. The markings the files carry (banner,
    portion markings, Classified By line) are ignored: only words and metadata are read."""
    from cablegram.classify import Model, load_model
    from cablegram.parser import parse
    from cablegram.sources import iter_documents

    if model_path:
        try:
            model = Model.load(model_path)
        except ValueError as e:
            raise _fail(e) from None
    else:
        if not os.path.exists(db) and "://" not in db:
            raise click.ClickException(f"no database at {db}; run `cablegram ingest` first")
        with open_archive(db) as arc:
            try:
                loaded = load_model(arc)
            except NotImplementedError as e:
                raise _fail(e) from None
        if loaded is None:
            raise click.ClickException(f"{db} has no model; run `cablegram classify train` first")
        model = loaded
    failed = 0
    for doc in iter_documents(files):
        if doc.error:
            click.echo(f"{doc.label}: {doc.error}", err=True)
            failed += 1
            continue
        try:
            cable = parse(doc.data, hint=doc.hint)
        except Exception as e:  # the parser's own errors name no file: add it
            click.echo(f"{doc.label}: cannot parse: {e}", err=True)
            failed += 1
            continue
        texts = [p.text for p in cable.paragraphs if p.text.strip()]
        date = (cable.dtg or (cable.archive.created if cable.archive else "") or "")[:10]
        p = model.predict(cable.subject, texts, [t.code for t in cable.tags], cable.origin.code,
                          date, explain=n_terms)  # fmt: skip
        if as_json:
            click.echo(json.dumps({"source": doc.label, "id": cable.id, **p.to_dict()},
                                  ensure_ascii=False))  # fmt: skip
            continue
        click.echo(f"{cable.id or doc.label}: {p.level} (classified {p.classified:.2f}; "
                   f"marked {cable.classification or 'unmarked'})")  # fmt: skip
        for i, (prob, top) in enumerate(zip(p.paragraphs, p.terms or [[]] * len(texts)), 1):
            words = ", ".join(f"{t} {w:+.2f}" for t, w in top)
            click.echo(f"  {i:>3}. {prob:.2f}  {words}")
    if failed:
        raise SystemExit(1)


@classify_group.command("similar")
@click.argument("cable_id")
@_db_option
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def similar_command(cable_id: str, db: str, limit: int, as_json: bool) -> None:
    """The cables most like CABLE_ID (text, shared TAGS, citations)."""
    import dataclasses

    from cablegram.classify import similar

    with open_archive(db) as arc:
        try:
            hits = similar(arc, cable_id, k=limit)
        except (LookupError, NotImplementedError) as e:
            raise _fail(e) from None
    if as_json:
        _echo_json([dataclasses.asdict(h) for h in hits])
        return
    for h in hits:
        extra = " cites" if h.cites else ""
        click.echo(
            f"{h.id}\t{h.score:.3f}\t{h.date}\t{h.subject}\t{' '.join(h.shared_tags or [])}{extra}"
        )


@classify_group.command("topics")
@_db_option
@click.option("--json", "as_json", is_flag=True)
def topics_command(db: str, as_json: bool) -> None:
    """The topics learnt by `classify train`, with their cable counts."""
    from cablegram.classify import list_topics

    with open_archive(db) as arc:
        try:
            topics = list_topics(arc)
        except NotImplementedError as e:
            raise _fail(e) from None
    if not topics:
        raise click.ClickException(f"{db} has no topics; run `cablegram classify train` first")
    if as_json:
        _echo_json([{"topic": t.topic, "label": t.label, "cables": t.cables} for t in topics])
        return
    for t in topics:
        click.echo(f"topic:{t.topic}\t{t.cables}\t{t.label}")


@classify_group.command("trends")
@click.argument("queries", nargs=-1, required=True)
@_db_option
@click.option("--csv", "as_csv", is_flag=True, help="Monthly counts and burst flags as CSV.")
@click.option("--json", "as_json", is_flag=True)
def trends_command(queries: tuple[str, ...], db: str, as_csv: bool, as_json: bool) -> None:
    """Monthly counts of each query (one argument each) with their bursts."""
    import dataclasses

    from cablegram.classify import trends, trends_csv
    from cablegram.search.query import QueryError

    with open_archive(db) as arc:
        try:
            months, series = trends(arc, list(queries))
        except QueryError as e:
            raise click.ClickException(f"bad query: {e.message}") from None
    if as_csv:
        click.echo(trends_csv(months, series), nl=False)
    elif as_json:
        _echo_json({"months": months, "series": [dataclasses.asdict(s) for s in series]})
    else:
        for s in series:
            spans = ", ".join(f"{b.start}..{b.end}" for b in s.bursts) or "none"
            click.echo(f"{s.query}: {s.total:,} cables; bursts: {spans}")
