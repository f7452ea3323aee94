"""Cablegram: parse, archive, search and serve diplomatic cables."""

from cablegram.model import Cable
from cablegram.parser import parse

__all__ = ["Cable", "parse", "__version__"]
__version__ = "0.1.0"
