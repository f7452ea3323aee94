"""Cables whose overall classification cannot be read, for an administrator to fix.

Their unmarked portions fail closed (``store.rows.portion_level``: TOP SECRET only); this
lists them from ``cables.classification`` so it also finds them in an archive ingested
before that rule, whose portions must be re-ingested to take it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cablegram.reference import classification_level
from cablegram.store.rows import UNKNOWN_LEVEL, portion_level

if TYPE_CHECKING:
    from cablegram.store import Store

__all__ = ["unreadable"]


def unreadable(store: Store) -> list[tuple[str, str]]:
    """(cable id, classification as stored) of every cable whose classification is
    missing or unreadable, by id."""
    out = []
    for cid, cls in store.classifications():
        cls = cls or ""
        if portion_level(cls) == UNKNOWN_LEVEL and classification_level(cls) != UNKNOWN_LEVEL:
            out.append((cid, cls))
    return out
