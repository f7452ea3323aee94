"""Which long stage is running on an archive, for pages to say so: ``cablegram enrich``
leaves ``<db>.enrich.running`` (its process id) while it runs, and the Entities page says
the entities are being extracted instead of "no entities yet".

A marker whose process is gone (a run that was killed) counts as not running.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["marker", "running", "running_stage"]


def marker(db: str | os.PathLike[str], stage: str) -> Path | None:
    """The marker file of ``stage`` for the archive at ``db``; None for a server URL."""
    s = os.fspath(db)
    if "://" in s:
        return None
    return Path(f"{s}.{stage}.running")


def running(db: str | os.PathLike[str], stage: str) -> bool:
    path = marker(db, stage)
    if path is None:
        return False
    try:
        pid = int(path.read_text().strip() or 0)
    except (OSError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    return True


@contextlib.contextmanager
def running_stage(db: str | os.PathLike[str], stage: str) -> Iterator[None]:
    """Marks ``stage`` as running on ``db`` for the duration of the block."""
    path = marker(db, stage)
    if path is not None:
        with contextlib.suppress(OSError):
            path.write_text(str(os.getpid()))
    try:
        yield
    finally:
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink()
