"""The exceptions Cablegram raises on purpose, one class per kind of answer.

The HTTP API and the CLI choose their response by the class (``cablegram.api.app``: 404,
409, 400, 501; the CLI: a one-line error and exit status 1), never by the message. Each
also derives from the built-in it refines, so ``except LookupError`` keeps working.

    CablegramError
    ├── NotFound        (LookupError)          no such cable, version, entity, user
    ├── NotEnriched     (LookupError)          entity data asked of an archive never enriched
    ├── Unsupported     (NotImplementedError)  not on this backend (yet)
    ├── SettingError    (ValueError)           a CABLEGRAM_* variable that cannot be read
    └── QueryError      (ValueError)           a search query (cablegram.search.query)
"""

from __future__ import annotations

__all__ = ["CablegramError", "NotEnriched", "NotFound", "SettingError", "Unsupported"]


class CablegramError(Exception):
    """Base of the errors Cablegram raises on purpose; the message is for people."""


class NotFound(CablegramError, LookupError):
    """No such cable, version, entity or user (for this reader: an invisible one too)."""


class NotEnriched(CablegramError, LookupError):
    """Entity data asked of an archive that ``cablegram enrich`` has not run on."""


class Unsupported(CablegramError, NotImplementedError):
    """A feature this backend does not have (yet)."""


class SettingError(CablegramError, ValueError):
    """A ``CABLEGRAM_*`` environment variable whose value cannot be read."""
