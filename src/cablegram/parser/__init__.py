"""The parser: any rendering of a cable in, a ``Cable`` out, never an exception.

Modules, in the order a cable flows through them: ``decode`` (bytes to text),
``render`` (detect the rendering, undo its damage), ``header`` (transmission header),
``preamble`` (banner, caveats, E.O., TAGS, SUBJECT, REF, Classified By), ``body``
(paragraphs, summary, comment, signer), ``core`` (putting it together).

The build compiles these modules with mypyc, and builds ``_pagescan`` (the scans written
in C: the page's tags, a ``<pre>`` block's text, ``str.find`` and two telegram scans, each
with its Python twin in ``render``, ``scan``, ``pages`` or ``core``) (setup.py;
docs/parsing.md). The compiled and the pure-Python modules run the same source, so they
give the same records; the pure ones are loaded instead when ``CABLEGRAM_PURE=1`` is set, or, in a source checkout,
when a compiled module is older than its source (an edit since the last build), so that an
edit always takes effect.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path

_HERE = Path(__file__).parent
_EXTENSION = tuple(importlib.machinery.EXTENSION_SUFFIXES)


def _compiled_files(here: Path = _HERE) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in here.iterdir():
        if path.name.endswith(_EXTENSION):
            found[path.name.split(".", 1)[0]] = path
    return found


def _source(name: str, here: Path = _HERE) -> Path | None:
    """The source of module ``name``: ``name.py``, or ``name.c`` for a helper written in C."""
    for source in (here / f"{name}.py", here / f"{name}.c"):
        if source.exists():
            return source
    return None


def _stale(compiled: dict[str, Path], here: Path = _HERE) -> list[str]:
    """The modules whose source changed after they were compiled, in a source checkout
    (``src/cablegram/parser`` under the directory of ``setup.py``). An installed wheel is
    never stale: its files get the time they were unpacked, sources and compiled modules in
    no particular order."""
    if not (here.parents[2] / "setup.py").exists():
        return []
    return sorted(
        name
        for name, path in compiled.items()
        if (source := _source(name, here)) is not None
        and source.stat().st_mtime > path.stat().st_mtime
    )


class _SourcesFirst(importlib.abc.MetaPathFinder):
    """Finds ``cablegram.parser.X`` in ``X.py`` even where a compiled ``X`` stands beside it."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        source = _source(name) if package == __name__ else None
        if source is None:
            return None
        if source.suffix == ".c":  # a helper written in C: its callers fall back
            raise ModuleNotFoundError(f"{fullname}: pure-Python parser", name=fullname)
        return importlib.util.spec_from_file_location(fullname, source)


_found = _compiled_files()
STALE: list[str] = _stale(_found)
if _found and (os.environ.get("CABLEGRAM_PURE") == "1" or STALE):
    if STALE and os.environ.get("CABLEGRAM_PURE") != "1":
        sources = ", ".join(p.name for n in STALE if (p := _source(n)) is not None)
        print(
            f"cablegram: compiled parser older than {sources};"
            " using the pure-Python parser (rebuild: make install)",
            file=sys.stderr,
        )
    sys.meta_path.insert(0, _SourcesFirst())

from cablegram.parser.core import parse  # noqa: E402 - after the finder is in place


def compiled_modules() -> list[str]:
    """The parser's modules that run compiled (empty: the pure-Python parser)."""
    return sorted(
        name.rpartition(".")[2]
        for name, mod in sys.modules.items()
        if name.startswith(__name__ + ".")
        and str(getattr(mod, "__file__", "")).endswith(_EXTENSION)
    )


__all__ = ["STALE", "compiled_modules", "parse"]
