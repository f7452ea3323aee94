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
