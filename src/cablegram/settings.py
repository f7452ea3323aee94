"""Every ``CABLEGRAM_*`` environment variable, read in one place, when asked for.

``settings()`` reads the environment each time it is called (never at import), so a test
or a long-lived process that changes a variable sees the change; a value that cannot be
read raises ``SettingError`` naming the variable. The variables:

==============================  =========  ====================================================
variable                        default    what
==============================  =========  ====================================================
``CABLEGRAM_DB``                cablegram.db  the archive: a file or a ``postgresql://`` URL
``CABLEGRAM_READERS``           (2 x cores)   ``app_from_env``: database threads of the server
``CABLEGRAM_SEARCH_PROCESSES``  0          ``app_from_env``: search processes (0: none)
``CABLEGRAM_POSTINGS_CACHE_MB`` 128        memory for cached postings lists, per search process
``CABLEGRAM_PG_POOL_MAX``       10         PostgreSQL: connections in a store's reader pool
``CABLEGRAM_PG_DEFER_INDEX``    1          PostgreSQL: build the text index after a bulk load
``CABLEGRAM_PG_INDEX_MEM``      512MB      PostgreSQL: ``maintenance_work_mem`` of that build
``CABLEGRAM_DASK_SCHEDULER``    (none)     ``--engine dask``: a running scheduler's address
``CABLEGRAM_PASSWORD``          (none)     ``cablegram users add/passwd`` without a prompt
==============================  =========  ====================================================

Two are not here, on purpose: ``CABLEGRAM_PURE`` (the pure-Python parser) is read by
``cablegram.parser`` when it is first imported, since that is when it picks its modules;
``CABLEGRAM_TEST_STALL`` is the ingest's fault injection for tests.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from cablegram.errors import SettingError

__all__ = ["Settings", "settings"]


@dataclass(frozen=True)
class Settings:
    db: str = "cablegram.db"
    readers: int | None = None
    search_processes: int = 0
    postings_cache_mb: float = 128.0
    pg_pool_max: int = 10
    pg_defer_index: bool = True
    pg_index_mem: str = "512MB"
    dask_scheduler: str | None = None
    password: str | None = None


def _number(env: Mapping[str, str], name: str, kind: type, default: float | None) -> float | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise SettingError(f"{name}={raw!r}: not {what}") from None
    if value < 0:
        raise SettingError(f"{name}={raw!r}: must not be negative")
    return value


def settings(env: Mapping[str, str] | None = None) -> Settings:
    """The settings in ``env`` (default: this process's environment), defaults elsewhere."""
    env = os.environ if env is None else env
    readers = _number(env, "CABLEGRAM_READERS", int, None)
    return Settings(
        db=env.get("CABLEGRAM_DB") or Settings.db,
        readers=int(readers) or None if readers is not None else None,
        search_processes=int(_number(env, "CABLEGRAM_SEARCH_PROCESSES", int, 0) or 0),
        postings_cache_mb=float(_number(env, "CABLEGRAM_POSTINGS_CACHE_MB", float, 128.0) or 0),
        pg_pool_max=int(_number(env, "CABLEGRAM_PG_POOL_MAX", int, 10) or 1),
        pg_defer_index=env.get("CABLEGRAM_PG_DEFER_INDEX", "1").strip() != "0",
        pg_index_mem=env.get("CABLEGRAM_PG_INDEX_MEM") or Settings.pg_index_mem,
        dask_scheduler=env.get("CABLEGRAM_DASK_SCHEDULER") or None,
        password=env.get("CABLEGRAM_PASSWORD") or None,
    )
