"""Worker processes that end with their parent.

A pool's workers are the parent's children: when the parent is killed (``kill -9``, the
OOM killer) nothing tells them, and they would live on, parsing or holding memory, as
orphans. ``die_with_parent()``, called in each worker's initializer, starts a thread that
sees the parent go (the worker is then re-parented, and ``os.getppid()`` changes) and
ends the worker within ``POLL`` seconds (issue 21).
"""

from __future__ import annotations

import os
import threading
import time

__all__ = ["POLL", "die_with_parent"]

POLL = 0.5


def die_with_parent() -> None:
    parent = os.getppid()

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(1)
            time.sleep(POLL)

    threading.Thread(target=watch, name="cablegram-lifeline", daemon=True).start()
