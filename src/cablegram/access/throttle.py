"""Login throttling: growing delays after failed attempts, per user name and per client.

After ``free`` failures within ``window`` seconds, each further attempt for the same user
name, or from the same client, must wait ``base * 2**(failures - free)`` seconds (at most
``cap``) after the last failure; an attempt that comes sooner is refused before any
password is checked (HTTP 429 with ``Retry-After``), so guessing costs the attacker time
and the server no hashing. A success clears that user's and that client's count. Counts
live in memory (one server process answers logins), forgotten after ``window``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["LoginThrottle"]


@dataclass
class _Count:
    failures: int = 0
    last: float = 0.0


class LoginThrottle:
    def __init__(self, *, free: int = 5, base: float = 1.0, cap: float = 900.0,
                 window: float = 3600.0, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.free, self.base, self.cap, self.window = free, base, cap, window
        self.max_keys = max_keys
        self.clock = clock
        self._counts: dict[str, _Count] = {}
        self._lock = threading.Lock()

    def _delay(self, c: _Count) -> float:
        if c.failures < self.free:
            return 0.0
        return min(self.base * 2 ** (c.failures - self.free), self.cap)

    def retry_after(self, user: str, client: str) -> float:
        """Seconds before an attempt for ``user`` from ``client`` is allowed (0: now)."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key in (f"u:{user.lower()}", f"c:{client}"):
                c = self._counts.get(key)
                if c is None:
                    continue
                if now - c.last > self.window:
                    del self._counts[key]
                    continue
                wait = max(wait, c.last + self._delay(c) - now)
        return max(wait, 0.0)

    def failed(self, user: str, client: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._counts) >= self.max_keys:  # a flood of names: forget the oldest
                for key, _c in sorted(self._counts.items(), key=lambda kv: kv[1].last)[
                    : self.max_keys // 10
                ]:
                    del self._counts[key]
            for key in (f"u:{user.lower()}", f"c:{client}"):
                c = self._counts.setdefault(key, _Count())
                if now - c.last > self.window:
                    c.failures = 0
                c.failures += 1
                c.last = now

    def succeeded(self, user: str, client: str) -> None:
        with self._lock:
            self._counts.pop(f"u:{user.lower()}", None)
            self._counts.pop(f"c:{client}", None)
