"""The house rules (docs/architecture.md): one meaning per name, errors chosen by class,
settings read in one place, defect codes listed once."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

import cablegram
import web_fixtures
from cablegram.errors import CablegramError, NotEnriched, NotFound, SettingError, Unsupported
from cablegram.model import DefectCode
from cablegram.settings import settings
from conftest import ROOT

SRC = ROOT / "src" / "cablegram"
api_client = web_fixtures.api_client  # a fixture: the sample archive, as published


# --- the public surface -------------------------------------------------------------------


def test_the_package_exports_its_names_lazily():
    code = (
        "import sys, cablegram\n"
        "heavy = [m for m in ('cablegram.archive', 'cablegram.parser', 'cablegram.search.query')"
        " if m in sys.modules]\n"
        "print(heavy)\n"
        "import cablegram.parser.core as core\n"
        "from cablegram.archive import Archive\n"
        "from cablegram.search.query import QueryError\n"
        "print(cablegram.Archive is Archive, cablegram.QueryError is QueryError,\n"
        "      callable(cablegram.parse), cablegram.parse is core.parse)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout.split("\n")  # fmt: skip
    assert out[0] == "[]"  # importing cablegram imports none of them
    assert out[1] == "True True True True"
    cable = cablegram.parse(b"")
    assert isinstance(cable, cablegram.Cable) and isinstance(cable.defects[0], cablegram.Defect)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        cablegram.nothing  # noqa: B018


# --- errors, by class ---------------------------------------------------------------------


def test_errors_refine_the_builtins_they_replace():
    assert issubclass(NotFound, LookupError) and issubclass(NotFound, CablegramError)
    assert issubclass(NotEnriched, LookupError) and issubclass(Unsupported, NotImplementedError)
    assert issubclass(cablegram.QueryError, CablegramError)
    assert issubclass(cablegram.QueryError, ValueError)


def test_an_unknown_version_is_not_found_in_python_cli_and_api(full_db, api_client):
    from cablegram.api.app import error_status
    from cablegram.cli import main

    with cablegram.Archive(full_db, create=False) as arc:
        with pytest.raises(NotFound, match="09BAKU433 has no version 99"):
            arc.diff("09BAKU433", "99")
        with pytest.raises(NotFound, match="no cable 99NOWHERE1"):
            arc.diff("99NOWHERE1")
    r = CliRunner().invoke(main, ["diff", "09BAKU433", "--from", "99", "--db", str(full_db)])
    assert r.exit_code == 1 and "Error: 09BAKU433 has no version 99" in r.output
    assert "Traceback" not in r.output
    resp = api_client.get("/api/cables/09BAKU433/diff", params={"a": "99"})
    assert resp.status_code == 404 and resp.json()["detail"] == "09BAKU433 has no version 99."
    page = api_client.get("/cables/09TRIPOLI583/diff", params={"a": "99"})  # two versions
    assert page.status_code == 404 and "has no version 99" in page.text
    assert [error_status(e("x")) for e in (NotFound, NotEnriched, Unsupported, SettingError)] == [
        404,
        409,
        501,
        400,
    ]


# --- settings -----------------------------------------------------------------------------


def test_settings_are_read_when_asked_and_bad_values_named(monkeypatch):
    assert settings({}).pg_pool_max == 10 and settings({}).db == "cablegram.db"
    s = settings({"CABLEGRAM_PG_POOL_MAX": "3", "CABLEGRAM_READERS": "4",
                  "CABLEGRAM_PG_DEFER_INDEX": "0", "CABLEGRAM_POSTINGS_CACHE_MB": "0.5"})  # fmt: skip
    assert (s.pg_pool_max, s.readers, s.pg_defer_index, s.postings_cache_mb) == (3, 4, False, 0.5)
    monkeypatch.setenv("CABLEGRAM_SEARCH_PROCESSES", "2")
    assert settings().search_processes == 2  # the environment now, not at import
    with pytest.raises(SettingError, match=r"CABLEGRAM_READERS='four': not a whole number"):
        settings({"CABLEGRAM_READERS": "four"})
    with pytest.raises(SettingError, match=r"CABLEGRAM_POSTINGS_CACHE_MB='-1': must not be"):
        settings({"CABLEGRAM_POSTINGS_CACHE_MB": "-1"})


def test_every_setting_is_read_in_one_place_and_documented():
    import cablegram.settings as mod

    documented = set(re.findall(r"``(CABLEGRAM_[A-Z_]+)``", mod.__doc__ or ""))
    elsewhere = {}
    for path in SRC.rglob("*.py"):
        if path.name == "settings.py":
            continue
        for name in re.findall(
            r"os\.environ(?:\.get)?[\[(]\s*\"(CABLEGRAM_[A-Z_]+)", path.read_text()
        ):
            elsewhere.setdefault(name, []).append(path.relative_to(SRC).as_posix())
    # Only the two the module says it leaves out are read anywhere else.
    assert set(elsewhere) <= {"CABLEGRAM_PURE", "CABLEGRAM_TEST_STALL"}, elsewhere
    used = set(
        re.findall(r"\"(CABLEGRAM_[A-Z_]+)\"", mod.__loader__.get_source("cablegram.settings"))
    )  # type: ignore[union-attr]
    assert used <= documented and "CABLEGRAM_PURE" in documented


# --- defect codes -------------------------------------------------------------------------


def _codes_in_sources() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Defect":
                first = node.args[0] if node.args else None
                assert isinstance(first, ast.Constant), f"{path}:{node.lineno}: a literal code"
                found[first.value] = f"{path.relative_to(SRC)}:{node.lineno}"
    return found


def test_defect_codes_are_listed_once_and_documented():
    codes = {c.value for c in DefectCode}
    in_sources = _codes_in_sources()
    assert set(in_sources) <= codes, {c: w for c, w in in_sources.items() if c not in codes}
    assert codes <= set(in_sources), codes - set(in_sources)  # no code left that nothing gives
    text = (ROOT / "docs" / "parsing.md").read_text()
    table = text.split("## Defect codes", 1)[1]
    documented = re.findall(r"^\| `([a-z-]+)` \|", table, re.M)
    assert sorted(documented) == sorted(codes) and len(documented) == len(set(documented))


def test_a_parsed_record_carries_only_listed_codes():
    samples = sorted((ROOT / "samples").glob("*.md"))
    seen = set()
    for path in samples:
        seen |= {d.code for d in cablegram.parse(path.read_bytes()).defects}
    for data in (b"", b"\x00\x01binary", b"{}", b"RANDOM TEXT"):
        seen |= {d.code for d in cablegram.parse(data).defects}
    assert seen and seen <= {c.value for c in DefectCode}, seen
    assert json.loads(json.dumps(DefectCode.EMPTY)) == "empty"  # a str on the wire


# --- the import graph ---------------------------------------------------------------------


def _module(path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path, name: str, modules: set[str]) -> set[str]:
    """The cablegram modules ``path`` imports: at the top, inside functions and classes,
    relative or absolute (``from a import b`` counts ``a.b`` when that is a module); only
    ``if TYPE_CHECKING:`` blocks are left out, since they never run."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(sub)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for sub in ast.walk(node)
    }
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            for a in node.names:
                sub = f"{base}.{a.name}"
                found |= {sub} if sub in modules else ({base} if base in modules else set())
    return found - {name}


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


# Cycles in the store developer's rooms (issue 22 point 2, "the Store is the boundary":
# export and diff out of archive.py, backends beside the Store interface). Each entry must
# still be a cycle: the test fails when one is gone, so that its line goes too.
PENDING: list[set[str]] = []


def test_the_import_graph_has_no_cycles():
    paths = {_module(p): p for p in SRC.rglob("*.py")}
    graph = {name: _imports(path, name, set(paths)) for name, path in paths.items()}
    assert "cablegram.ingest.dask" in graph["cablegram.ingest.pipeline"]  # in a function
    assert "cablegram.archive" not in graph["cablegram"]  # TYPE_CHECKING only
    cycles = _cycles(graph)
    assert [c for c in cycles if c not in PENDING] == []
    assert [c for c in PENDING if c not in cycles] == []


# What a room may not import (docs/architecture.md, "The rooms"): module prefix -> prefixes.
FORBIDDEN = {
    "cablegram.model": ["cablegram."],
    "cablegram.parser": [
        "cablegram.store",
        "cablegram.search",
        "cablegram.archive",
        "cablegram.enrich",
    ],
    "cablegram.web": ["cablegram.api.routes", "cablegram.api.convert", "cablegram.store."],
    "cablegram.cli": ["cablegram.store.", "cablegram.web", "cablegram.api"],
    "cablegram.search.postgres": ["cablegram.search.sqlite"],
    "cablegram.distributed": ["cablegram."],
    "cablegram.ingest.local": ["cablegram.ingest.pipeline"],
    "cablegram.ingest.dask": ["cablegram.ingest.pipeline"],
}


def test_each_room_imports_only_what_it_may():
    paths = {_module(p): p for p in SRC.rglob("*.py")}
    wrong = []
    for name, path in paths.items():
        for room, banned in FORBIDDEN.items():
            if name == room or name.startswith(room + "."):
                imported = _imports(path, name, set(paths))
                wrong += [(name, m) for m in imported for b in banned if m.startswith(b)]
    assert wrong == []


def test_the_cycle_finder_finds_a_cycle_through_a_function():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert _cycles({"a": {"b"}, "b": set()}) == []
