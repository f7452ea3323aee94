"""Clearance-aware access (docs/access.md): readers, portion rules, the access-checked
view of an archive, principals, sessions, the audit log and the declassification review.

    from cablegram.archive import Archive
    from cablegram.access import Reader

    with Archive("cablegram.db") as arc:
        view = arc.as_reader(Reader.anonymous("U"))
        view.search("baku")        # only what an uncleared reader may see
        view.get("09BAKU433")      # withheld paragraphs as placeholders
"""

from __future__ import annotations

from cablegram.access.db import AccessDB, access_path
from cablegram.access.rules import (
    ANONYMOUS_POLICIES,
    CLEARANCES,
    WITHHELD,
    Reader,
    Redaction,
    allows,
    clearance_level,
    normalize_caveats,
    redact,
)
from cablegram.access.view import ReaderArchive

__all__ = [
    "ANONYMOUS_POLICIES",
    "CLEARANCES",
    "WITHHELD",
    "AccessDB",
    "Reader",
    "ReaderArchive",
    "Redaction",
    "access_path",
    "allows",
    "clearance_level",
    "normalize_caveats",
    "redact",
]
