"""Build hook: compile the parser with mypyc (docs/parsing.md, "Compiled with mypyc").

Everything else about the package is in pyproject.toml. The parser's modules are plain,
fully typed Python; mypyc turns them into C extension modules that run the same code
about a fifth faster. The build falls back to the pure-Python package, which behaves the
same, when mypyc is missing, when the compiler fails, or when CABLEGRAM_PURE=1.
"""

from __future__ import annotations

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

COMPILED = [
    "src/cablegram/parser/body.py",
    "src/cablegram/parser/core.py",
    "src/cablegram/parser/decode.py",
    "src/cablegram/parser/header.py",
    "src/cablegram/parser/pages.py",
    "src/cablegram/parser/preamble.py",
    "src/cablegram/parser/render.py",
    "src/cablegram/parser/scan.py",
    "src/cablegram/parser/title.py",
]


class OptionalBuildExt(build_ext):
    """A failed compile leaves the pure-Python parser in place instead of failing."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any compiler failure
            print(f"cablegram: parser not compiled ({exc}); using pure Python", file=sys.stderr)

    def build_extension(self, ext) -> None:  # type: ignore[no-untyped-def]
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001
            print(f"cablegram: {ext.name} not compiled ({exc})", file=sys.stderr)


def ext_modules() -> list:
    if os.environ.get("CABLEGRAM_PURE") == "1":
        return []
    # The parser's scans written in C (the page scan, a <pre> block's text, str.find and
    # more: _pagescan.c); each has its Python twin, which runs when this is not built.
    scan = [Extension("cablegram.parser._pagescan", ["src/cablegram/parser/_pagescan.c"])]
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("cablegram: mypyc not available; parser stays pure Python", file=sys.stderr)
        return scan
    try:
        # (Module names come from the paths: src/ holds no __init__.py.) The build runs in
        # an isolated environment without the runtime dependencies: mypy follows the
        # parser's imports into modules that use numpy or psycopg, which the parser never
        # calls, so missing libraries are not errors here (make test type-checks them all).
        options = ["--ignore-missing-imports", *COMPILED]
        return mypycify(options, opt_level="3", group_name="cablegram_parser") + scan
    except (Exception, SystemExit) as exc:  # mypy found a type error: no compile
        print(f"cablegram: mypyc failed ({exc}); parser stays pure Python", file=sys.stderr)
        return scan


setup(ext_modules=ext_modules(), cmdclass={"build_ext": OptionalBuildExt})
