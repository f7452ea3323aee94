"""Cablegram: parse, archive, search and serve diplomatic cables."""

from cablegram.model import Cable
from cablegram.parse import parse
from cablegram.parse.core import canonical_id

__all__ = ["Cable", "canonical_id", "parse", "__version__"]
__version__ = "0.1.0"
