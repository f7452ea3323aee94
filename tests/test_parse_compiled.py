"""The compiled parser (mypyc, setup.py) against the pure-Python one: the same records."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cablegram import parser as parser_mod  # noqa: F401 - loads the package
from cablegram.parser import _compiled_files, _stale
from conftest import read_pages

ROOT = Path(__file__).resolve().parents[1]
SUFFIX = ".cpython-311-x86_64-linux-gnu.so"


def _dump(out: Path, pure: bool) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CABLEGRAM_PURE": "1" if pure else "0"}
    return subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "parse_dump.py"),
            str(out),
            "--variants",
            "1",
            "--seed",
            "11",
        ],
        env=env,
        stderr=subprocess.PIPE,
    )


def _records(path: Path) -> tuple[list[str], list[str]]:
    first, *rest = path.read_text(encoding="utf-8").split("\n")
    return json.loads(first)["compiled"], [line for line in rest if line]


def test_compiled_parser_gives_the_pure_parsers_records(tmp_path: Path) -> None:
    # Every dev page as shipped, as raw text and as str, a damaged variant of each, the
    # other samples and random bytes: about 13,600 inputs, each record compared whole.
    pure, compiled = tmp_path / "pure.jsonl", tmp_path / "compiled.jsonl"
    runs = [_dump(pure, True), _dump(compiled, False)]
    for run in runs:
        _, err = run.communicate(timeout=600)
        assert run.returncode == 0, err.decode()
    pure_modules, pure_records = _records(pure)
    compiled_modules, compiled_records = _records(compiled)
    assert pure_modules == []
    assert compiled_modules == [
        "_pagescan",
        "body",
        "core",
        "decode",
        "header",
        "pages",
        "preamble",
        "render",
        "scan",
        "title",
    ], "parser not compiled: run `make install` (needs gcc)"
    assert len(pure_records) == len(compiled_records) > 13_000
    differ = [
        json.loads(a)[0] for a, b in zip(pure_records, compiled_records, strict=True) if a != b
    ]
    assert differ == []


def _parse_dir(root: Path) -> Path:
    here = root / "src" / "cablegram" / "parser"
    here.mkdir(parents=True)
    return here


def test_a_compiled_module_older_than_its_source_is_stale(tmp_path: Path) -> None:
    here = _parse_dir(tmp_path)
    (tmp_path / "setup.py").write_text("")  # a source checkout
    for name, source_time, compiled_time in (
        ("body", 100, 200),
        ("core", 300, 200),
        ("_pagescan", 300, 200),
    ):
        source = here / f"{name}{'.c' if name.startswith('_') else '.py'}"
        source.write_text("")
        (here / f"{name}{SUFFIX}").write_bytes(b"")
        os.utime(source, (source_time, source_time))
        os.utime(here / f"{name}{SUFFIX}", (compiled_time, compiled_time))
    (here / "scan.py").write_text("")  # never compiled: not stale
    found = _compiled_files(here)
    assert sorted(found) == ["_pagescan", "body", "core"]
    assert _stale(found, here) == ["_pagescan", "core"]


def test_an_installed_package_is_never_stale(tmp_path: Path) -> None:
    # A wheel unpacks sources and compiled modules in no particular order, a few
    # microseconds apart: outside a source checkout the times mean nothing.
    here = _parse_dir(tmp_path)
    (here / f"core{SUFFIX}").write_bytes(b"")
    (here / "core.py").write_text("")
    os.utime(here / f"core{SUFFIX}", (100, 100))
    os.utime(here / "core.py", (200, 200))
    assert _stale(_compiled_files(here), here) == []


def _run_parser(src: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    seed = str(ROOT / "samples" / "09BAKU433.md")
    code = (
        "from cablegram.parser import compiled_modules, parse; "
        f"print(compiled_modules(), parse(open({seed!r}, 'rb').read()).id)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(src), **env},
        check=True,
    )


def test_the_pure_switch_loads_the_sources() -> None:
    run = _run_parser(ROOT / "src", {"CABLEGRAM_PURE": "1"})
    assert run.stdout.split() == ["[]", "09BAKU433"]


def test_the_page_scan_in_c_finds_what_the_regex_finds() -> None:
    render = sys.modules["cablegram.parser.render"]
    scan = render._TAG_STARTS
    assert scan is not None, "cablegram.parser._pagescan not built: run `make install`"

    def regex(text: str) -> list[int]:
        return [m.start() for m in render._TAG_START.finditer(text)]

    rng = random.Random(3)
    # Latin-1 (one byte a character), BMP and astral text: the three string kinds.
    alphabet = "<<<<cChHtTdDoO3x> \n" + "é" + "€" + "\U0001f600"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 24)))
        assert scan(text) == regex(text), text
    for _, page in read_pages(300):
        text = page.decode("utf-8", "replace")
        assert scan(text) == regex(text)
    with pytest.raises(TypeError):
        scan(b"<td>")  # type: ignore[arg-type]


def test_the_pre_text_in_c_is_what_the_python_steps_give() -> None:
    render = sys.modules["cablegram.parser.render"]
    pre_text = render._PRE_TEXT
    assert pre_text is not None, "cablegram.parser._pagescan not built: run `make install`"
    twin = render._html_to_text_py
    rng = random.Random(5)
    # Tags (and those the C leaves to Python: <br>, </p>, <script>, "<\u017fcript>"),
    # references it reads and those it leaves to Python, a bare "&", white space and
    # control characters at the ends of lines, the three string kinds, lone surrogates.
    pieces = [
        *("<", ">", "<>", "<<>", "<a href='x'>", "</a>", "<br>", "<BR/>", "<b>", "</p>"),
        *("</pre>", "<script>x</script>", "<\u017fcript>", "<s", "</", "&", "& ", "&\t"),
        *("&;", "&<", "&\f", "&#", "&#x", "&#1", "&D", "&nbsp;", "&copy", "&#x000A;"),
        *(" &#x000A;", "&amp;", "&quot;", "&lt;", "&gt;", "&#39;", "&#13;", "&amp"),
        *("&#x000a;", "a", "B", " ", "  ", "\t", "\n", "\r", "\x01", "\x0b", "\x0c"),
        *("\x1c", "\x7f", "\x85", "\xa0", "é", "€", "\U0001f600", "\u2003", "\u2028"),
        *("¶", "\ud800", "\udc00", "x", "1."),
        # "&" and a word: html.unescape reads HTML's legacy names without a ";" ("&ltd" is
        # "<d", "&noti" is "¬i") and leaves other words ("&the"); 32 characters at most.
        *("&the", "&lt", "&ltd", "&not", "&noti", "&am", "p", "amp", "&para", "&Para"),
        *("&frac1", "2", ";", "#", "&sup", "&" + "x" * 31, "&" + "x" * 33, "&AElig", "&aeli"),
    ]
    read = 0
    for _ in range(100_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 16)))
        got = pre_text(text)
        if got is not None:
            read += 1
            assert got == twin(text), text
    assert read > 10_000  # (the rest went to Python)
    read = blocks = 0
    for _, page in read_pages(300):
        for block in render._PRE.findall(page.decode("utf-8", "replace")):
            got = pre_text(block)
            blocks += 1
            if got is not None:
                read += 1
                assert got == twin(block)
    assert read > 0.9 * blocks  # the common case is the C one
    with pytest.raises(TypeError):
        pre_text(b"<pre>")  # type: ignore[arg-type]


def test_the_search_helpers_in_c_give_what_str_gives() -> None:
    scan = sys.modules["cablegram.parser.scan"]
    find, lower = scan._FIND, scan._LOWER
    assert find is not None and lower is not None, "_pagescan not built: run `make install`"
    rng = random.Random(9)
    alphabet = "abAB \n" + "é¶" + "€" + "\U0001f600"
    for _ in range(100_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 60)))
        sub = "".join(rng.choice("abAB \né") for _ in range(rng.randrange(0, 5)))
        start, end = rng.randrange(-70, 70), rng.randrange(-70, 70)
        assert find(text, sub, start, end) == text.find(sub, start, end), (text, sub, start, end)
        if max(map(ord, text), default=0) < 256:  # one-byte text: fold's two ways
            want = (
                text.lower() if text.isascii() else text.encode("latin-1").lower().decode("latin-1")
            )
            assert lower(text) == want
        else:
            assert lower(text) is None
    for _ in range(500):  # long texts, the 16-character steps, needles found late
        text = "".join(
            rng.choice(["SUMMARY", "summary", "SIPDIS", " ", "x", "\n", "S"]) for _ in range(800)
        )
        for sub in ("summary", "SIPDIS", "S", "ry", "SIPDIS S"):
            start = rng.randrange(0, 100)
            end = rng.choice([len(text), len(text) - rng.randrange(0, 50), 10**9])
            assert find(text, sub, start, end) == text.find(sub, start, end)
    with pytest.raises(TypeError):
        find(b"x", "x", 0, 1)  # type: ignore[arg-type]


def test_the_telegram_scans_in_c_find_what_their_regexes_find() -> None:
    pages = sys.modules["cablegram.parser.pages"]
    core = sys.modules["cablegram.parser.core"]
    of_marks, number_marks = pages._OF_MARKS, core._NUMBER_MARKS
    assert of_marks is not None and number_marks is not None, "_pagescan not built"

    def both(text: str) -> None:
        assert of_marks(text) == [m.start() for m in pages._OF_COUNT.finditer(text)], text
        assert number_marks(text) == [m.start() for m in core._NUMBER_MARK.finditer(text)], text

    rng = random.Random(2)
    # Digits of other scripts ("\u0663") are \d too, and other white space is \s.
    pieces = ["O", "F", "OF", " ", "\t", "1", "2", "\u0663", "\n", ". (", ".", "(", "x", "é"]
    pieces += ["€", "\u2003", "\xa0", "12", "OF 12", " 6. (C)", "002 OF 003"]
    for _ in range(100_000):
        both("".join(rng.choice(pieces) for _ in range(rng.randrange(0, 30))))
    for _ in range(1000):
        both("".join(rng.choice(pieces) for _ in range(rng.randrange(0, 400))))
    for _, page in read_pages(300):
        both(page.decode("utf-8", "replace"))


def test_an_edited_source_is_run_instead_of_its_stale_compiled_module(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src", src, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "setup.py", tmp_path / "setup.py")  # a source checkout
    built = _run_parser(src, {"CABLEGRAM_PURE": "0"})
    assert built.stdout.split()[-1] == "09BAKU433" and "'core'" in built.stdout
    assert "older than" not in built.stderr
    body = src / "cablegram" / "parser" / "body.py"
    body.write_text(body.read_text() + "\n# edited\n")
    later = max(p.stat().st_mtime for p in body.parent.iterdir()) + 10
    os.utime(body, (later, later))
    edited = _run_parser(src, {"CABLEGRAM_PURE": "0"})
    assert edited.stdout.split() == ["[]", "09BAKU433"]
    assert "compiled parser older than body.py" in edited.stderr
