"""docs/telegram.md stays true: its Python examples run as doctests, its shell examples
through the command line with their output compared, and its rule table lists every rule."""

from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from cablegram.cli import main
from cablegram.telegram.lint import RULES

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "telegram.md"


def test_python_examples(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 8 and result.failed == 0


def _console_examples() -> list[tuple[str, str]]:
    out = []
    for block in re.findall(r"```console\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S):
        cmd, expected = None, []
        for line in block.splitlines():
            if line.startswith("$ "):
                if cmd is not None:
                    out.append((cmd, "\n".join(expected)))
                cmd, expected = line[2:], []
            else:
                expected.append(line)
        if cmd is not None:
            out.append((cmd, "\n".join(expected)))
    return out


@pytest.mark.parametrize(("cmd", "expected"), _console_examples())
def test_shell_examples(monkeypatch, cmd, expected):
    monkeypatch.chdir(ROOT)
    args = shlex.split(cmd)
    assert args[0] == "cablegram"
    res = CliRunner().invoke(main, args[1:])
    assert res.exit_code == 0, res.output
    assert res.output.rstrip("\n") == expected.rstrip("\n")


def test_the_rule_table_lists_every_rule_with_its_severity():
    rows = dict(re.findall(r"^\| `([a-z-]+)` \| (error|warning|info) \|", DOC.read_text(),
                           re.M))  # fmt: skip
    assert rows == {rid: rule.severity for rid, rule in RULES.items()}
