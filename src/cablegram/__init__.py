"""Cablegram: parse, archive, search and serve diplomatic cables.

    import cablegram
    cable = cablegram.parse(data)            # any rendering of a cable -> a Cable
    with cablegram.Archive("cablegram.db") as archive:
        archive.search("tag:PGOV baku")

The names below are imported on first use, so ``import cablegram`` stays cheap (the CLI's
start-up, a parser worker process).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cablegram.archive import Archive
    from cablegram.model import Cable, Defect, DefectCode
    from cablegram.parser import parse
    from cablegram.parser.core import canonical_id
    from cablegram.search.query import QueryError
    from cablegram.telegram.compose import compose
    from cablegram.telegram.lint import lint

__all__ = [
    "Archive", "Cable", "Defect", "DefectCode", "QueryError", "__version__", "canonical_id",
    "compose", "lint", "parse",
]  # fmt: skip
__version__ = "0.1.0"

_LAZY = {
    "Archive": "cablegram.archive",
    "Cable": "cablegram.model",
    "Defect": "cablegram.model",
    "DefectCode": "cablegram.model",
    "QueryError": "cablegram.search.query",
    "parse": "cablegram.parser",
    "lint": "cablegram.telegram.lint",
    "compose": "cablegram.telegram.compose",
    "canonical_id": "cablegram.parser.core",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cablegram' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # the next look-up is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
