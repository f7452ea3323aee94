"""Cablegram: parse, archive, search and serve diplomatic cables."""

from cablegram.model import Cable
from cablegram.parse import parse
from cablegram.telegram import compose, lint

__all__ = ["Cable", "compose", "lint", "parse", "__version__"]
__version__ = "0.1.0"
