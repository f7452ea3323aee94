"""``cablegram parse``: print parsed records, a thin skin over ``cablegram.parse``."""

from __future__ import annotations

import json
import sys
from collections import Counter

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cablegram.cli.output import plural
from cablegram.ingest import examine
from cablegram.model import Cable
from cablegram.sources import iter_documents

# Fields whose fill rate the summary table reports, with how to tell they are present.
SUMMARY_FIELDS: dict[str, str] = {
    "id": "id",
    "origin.name": "origin",
    "dtg": "dtg",
    "precedence": "precedence",
    "classification": "classification",
    "caveats": "caveats",
    "sections": "sections",
    "eo": "eo",
    "declassify_on": "declassify_on",
    "reasons": "reasons",
    "classified_by": "classified_by",
    "tags": "tags",
    "subject": "subject",
    "references": "references",
    "to": "to",
    "info": "info",
    "paragraphs": "paragraphs",
    "summary": "summary",
    "comment": "comment",
    "signer": "signer",
    "septels": "septels",
}


def _present(c: Cable, field: str) -> bool:
    value = getattr(c, field)
    if field == "origin":
        return bool(value.name)
    return value not in (None, "", [], 0)


@click.command("parse")
@click.argument("paths", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="JSON Lines: one record per cable.")
@click.option("--summary", is_flag=True, help="Only a table of how often each field was found.")
@click.option(
    "--hint", default=None, help="Force a rendering (telegram, markdown, cablegate-html...)."
)
def parse_command(paths: tuple[str, ...], as_json: bool, summary: bool, hint: str | None) -> None:
    """Parse cables in FILES (files, folders, .tar.*/.zip archives, cables.csv, - for stdin)."""
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    filled: Counter[str] = Counter()
    defects: Counter[str] = Counter()
    n = failed = 0
    for doc in iter_documents(paths):
        if doc.error:
            failed += 1
            err.print(f"[red]error[/red] {doc.label}: {doc.error}")
            continue
        # The rules of ingest: an empty or binary file, or text without a reference id,
        # is no cable; said per file, and the exit status is 1.
        cable = examine(doc.data, hint=hint or doc.hint)
        if not isinstance(cable, Cable):
            failed += 1
            err.print(f"[red]not a cable[/red] {escape(doc.label)}: {escape(cable[1])}")
            continue
        n += 1
        if summary:
            for label, field in SUMMARY_FIELDS.items():
                filled[label] += _present(cable, field)
            defects.update(cable.defect_codes())
        elif as_json:
            record = cable.to_dict()
            record["_source"] = doc.label
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            print_cable_summary(cable, doc.label, out)
    if summary:
        table = Table(
            title=f"{n:,} {plural(n, 'document')} parsed"
            + (f", {failed:,} not {plural(failed, 'a cable', 'cables')}" if failed else "")
        )
        table.add_column("field")
        table.add_column("found", justify="right")
        table.add_column("%", justify="right")
        for label in SUMMARY_FIELDS:
            table.add_row(label, str(filled[label]), f"{100 * filled[label] / max(n, 1):.1f}")
        out.print(table)
        if defects:
            out.print("defects: " + ", ".join(f"{k} {v}" for k, v in defects.most_common()))
    if failed:
        raise SystemExit(1)


def print_cable_summary(c: Cable, label: str, out: Console) -> None:
    out.print(f"[bold]{c.id or '(no id)'}[/bold]  {label}")
    rows = [
        ("origin", f"{c.origin.name} {c.origin.code} {c.origin.routing}".strip()),
        ("dtg", c.dtg or ""),
        ("precedence", c.precedence),
        ("classification", " ".join([c.classification, *c.caveats]).strip()),
        ("subject", c.subject),
        ("tags", " ".join(t.code for t in c.tags)),
        (
            "declassify",
            f"E.O. {c.eo} {c.declassify_on} {' '.join(c.reasons)}".strip() if c.eo else "",
        ),
        (
            "classified by",
            f"{c.classified_by.name}, {c.classified_by.title}" if c.classified_by else "",
        ),
        ("references", " ".join(r.id or r.text for r in c.references)),
        ("paragraphs", f"{len(c.paragraphs)}" if c.paragraphs else ""),
        ("signer", c.signer),
    ]
    for k, v in rows:
        if v:
            out.print(f"  {k:15} {v}")
    for d in c.defects:
        out.print(f"  [yellow]{d.code}[/yellow]: {d.message}")
