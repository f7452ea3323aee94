"""The query fields table (``cablegram.search.fields``): every part of search reads it, and
``precedence:``, added as one ``FieldSpec``, works on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

import pg
import test_postgres
from cablegram.search import QueryError, Visibility
from cablegram.search.fields import FIELDS, SYNTAX, FieldSpec, facet_filter, field, spec_for
from cablegram.search.nodes import FieldFilter, Text
from cablegram.search.query import parse_query, unparse

# The archives of test_postgres (the same 60 pages, samples and hand-made cables on both).
pg_server = pg.pg_server
inputs = test_postgres.inputs
sqlite_arc = test_postgres.sqlite_arc
pg_arc = test_postgres.pg_arc

PRECEDENCES = ("FLASH", "NIACT IMMEDIATE", "IMMEDIATE", "PRIORITY", "ROUTINE")


# --- the table ----------------------------------------------------------------------------


@pytest.mark.parametrize("spec", FIELDS, ids=[s.name for s in FIELDS])
def test_each_field_parses_its_example_to_its_node_and_back(spec: FieldSpec):
    node = parse_query(spec.example)
    assert isinstance(node, spec.node)
    if not isinstance(node, Text):
        assert spec_for(node).name in {spec.name, "date"}  # from/to/year build date ranges
        assert (spec.sqlite is None) == (spec.postgres is None) is False
    assert parse_query(unparse(node)) == node
    for alias in spec.aliases:
        assert field(alias) is spec
        assert parse_query(spec.example.replace(spec.name, alias, 1)) == node


def test_the_lexer_and_the_help_read_the_table():
    err = pytest.raises(QueryError, parse_query, "nosuchfield:x").value
    assert "known fields: " + ", ".join(s.name for s in FIELDS) in err.message
    helped = " ".join(key for key, _ in SYNTAX)
    for spec in FIELDS:
        if spec.name not in ("from", "to", "year", "ref", "signer", "person", "org", "place"):
            assert spec.help is not None and spec.help[0] in helped, spec.name
    assert facet_filter("classification", "SECRET") == "class:S"
    assert facet_filter("year", "2009") == "year:2009"
    assert facet_filter("month", "2009-06") == "date:2009-06"
    assert facet_filter("tag", "PGOV") == "tag:PGOV"


# --- precedence: one FieldSpec ------------------------------------------------------------


@pytest.mark.parametrize(("q", "value"), [
    ("precedence:IMMEDIATE", "IMMEDIATE"), ("precedence:immediate", "IMMEDIATE"),
    ("precedence:O", "IMMEDIATE"), ("prec:Z", "FLASH"), ("precedence:niact", "NIACT IMMEDIATE"),
    ('precedence:"NIACT IMMEDIATE"', "NIACT IMMEDIATE"), ("precedence:routine", "ROUTINE"),
])  # fmt: skip
def test_precedence_values(q: str, value: str):
    node = parse_query(q)
    assert node == FieldFilter("precedence", value)
    assert parse_query(unparse(node)) == node


@pytest.mark.parametrize(("q", "message", "position"), [
    ("precedence:URGENT", "unknown precedence 'URGENT'; use one of FLASH", 11),
    ("gas precedence:", "precedence: needs a value right after the colon, as in "
                        "precedence:IMMEDIATE", 15),
    ("precedence:IMM*", "precedence: does not take a * wildcard", 11),
    ('precedence:"O R"', "unknown precedence 'O R'", 12),
])  # fmt: skip
def test_precedence_errors_point_at_the_value(q: str, message: str, position: int):
    err = pytest.raises(QueryError, parse_query, q).value
    assert err.message.startswith(message) and err.position == position


def _by_precedence(arc) -> dict[str, set[str]]:
    """What precedence:X must find, from the records themselves."""
    out: dict[str, set[str]] = {}
    for cable in arc:
        out.setdefault(cable.precedence, set()).add(cable.id)
    return out


def _ids(arc, q: str, **kw) -> set[str]:
    res = arc.search(q, per_page=100, facets=False, **kw)
    ids = {h.id for h in res.hits}
    assert len(ids) == res.total  # every match on the one page
    return ids


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_precedence_finds_the_cables_of_that_precedence(request, backend: str):
    arc = request.getfixturevalue({"sqlite": "sqlite_arc", "postgres": "pg_arc"}[backend])
    truth = _by_precedence(arc)
    assert len([p for p in PRECEDENCES if truth.get(p)]) >= 2  # the samples have several
    for name in PRECEDENCES:
        assert _ids(arc, f"precedence:{name}") == truth.get(name, set()), name
    immediate = truth.get("IMMEDIATE", set())
    assert _ids(arc, "precedence:O") == immediate
    everything = {c.id for c in arc}
    assert _ids(arc, "-precedence:IMMEDIATE") == everything - immediate
    both = _ids(arc, "precedence:IMMEDIATE OR precedence:PRIORITY")
    assert both == immediate | truth.get("PRIORITY", set())


@pytest.mark.parametrize("visible", [None, Visibility(0), Visibility(3)], ids=["all", "U", "C"])
def test_precedence_is_the_same_on_both_backends(sqlite_arc, pg_arc, visible):
    for q in ("precedence:IMMEDIATE", "precedence:ROUTINE tag:PREL", "gas -precedence:PRIORITY",
              "precedence:IMMEDIATE OR class:>=S"):  # fmt: skip
        a = sqlite_arc.search(q, per_page=100, visible=visible)
        b = pg_arc.search(q, per_page=100, visible=visible)
        assert (a.total, {h.id for h in a.hits}, a.facets) == (
            b.total, {h.id for h in b.hits}, b.facets), q  # fmt: skip


pg_url = pg.pg_url


def test_migrate_lists_the_applied_migrations_through_the_archive(pg_url, tmp_path):
    from click.testing import CliRunner

    from cablegram.archive import Archive
    from cablegram.cli import main
    from cablegram.errors import Unsupported
    from cablegram.store.postgres import migrations

    r = CliRunner().invoke(main, ["migrate", "--db", pg_url])
    assert r.exit_code == 0, r.output
    listed = [line.split("\t")[0] for line in r.stdout.splitlines()]
    assert listed == [f"{v:04d} {name}" for v, name, _ in migrations()]
    # What this run applied, and how long each took (0008 rebuilds an archive's postings).
    applied = [
        line.split(" in ")[0] for line in r.stderr.splitlines() if line.startswith("applied")
    ]
    assert applied == [f"applied {v:04d} {name}" for v, name, _ in migrations()]
    again = CliRunner().invoke(main, ["migrate", "--db", pg_url])
    assert again.exit_code == 0 and "applied" not in again.stderr
    with Archive(pg_url, create=False) as arc:
        assert [(v, n) for v, n, _ in arc.migrations()] == [(v, n) for v, n, _ in migrations()]
    with Archive(tmp_path / "a.db") as arc, pytest.raises(Unsupported, match="postgresql://"):
        arc.migrations()
    r = CliRunner().invoke(main, ["migrate", "--db", str(tmp_path / "a.db")])
    assert r.exit_code == 1 and "migrate is for postgresql:// databases" in r.output
