"""The archive's counters: station serials per post and year, channel serials per post,
year and addressee. Each advance is one atomic statement on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from cablegram.telegram.transmission import id_serial

__all__ = ["Counters"]

_TABLE = """CREATE TABLE IF NOT EXISTS telegram_counters (
    post TEXT NOT NULL,
    year INTEGER NOT NULL,
    channel TEXT NOT NULL,        -- '' for the station serial, else the addressee
    value INTEGER NOT NULL,
    PRIMARY KEY (post, year, channel)
)"""


class Counters:
    def __init__(self, store: Any) -> None:
        self.store = store
        self.conn = store.conn
        self.pg = type(store).__module__.endswith("postgres")
        self.p = "%s" if self.pg else "?"
        self.conn.execute(_TABLE)
        if not self.pg:
            self.conn.commit()

    def _advance(self, post: str, year: int, channel: str, floor: int) -> int:
        # One statement: insert floor + 1, or take the larger of the stored value and the
        # floor, plus one. Concurrent senders serialise on the row; none reads a stale value.
        p = self.p
        biggest = "greatest" if self.pg else "max"
        row = self.conn.execute(
            f"INSERT INTO telegram_counters (post, year, channel, value) "
            f"VALUES ({p}, {p}, {p}, {p}) ON CONFLICT (post, year, channel) DO UPDATE SET "
            f"value = {biggest}(telegram_counters.value, excluded.value - 1) + 1 "
            "RETURNING value",
            (post, year, channel, floor + 1),
        ).fetchone()
        if not self.pg:
            self.conn.commit()
        return int(row[0])

    def highest_held(self, post: str, year: int) -> int:
        """The highest station serial among the archive's cables of ``post`` in ``year``."""
        prefix = f"{year % 100:02d}{post}"
        rows = self.conn.execute(
            f"SELECT id FROM cables WHERE origin_code = {self.p} AND id LIKE {self.p}",
            (post, prefix + "%"),
        ).fetchall()
        serials = [id_serial(r[0]) for r in rows if r[0][len(prefix) :].isdigit()]
        return max((s for s in serials if s is not None), default=0)

    def next_serial(self, post: str, year: int) -> int:
        return self._advance(post, year, "", self.highest_held(post, year))

    def next_channel(self, post: str, year: int, addressee: str) -> int:
        return self._advance(post, year, addressee, 0)
