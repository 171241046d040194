"""The monthly partitions of `queue_events`, created the first time a month arrives."""

from __future__ import annotations

import datetime as dt
import zlib

import psycopg


def month_of(at: dt.datetime) -> dt.date:
    """The first day (UTC) of the month `at` falls in."""
    utc = at.astimezone(dt.UTC)
    return dt.date(utc.year, utc.month, 1)


def partition_name(month: dt.date) -> str:
    return f"queue_events_{month.year:04d}_{month.month:02d}"


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


class Partitions:
    """Makes sure a month's partition exists; remembers those it has seen (a cache only:
    a forgotten month is checked again, never wrong)."""

    def __init__(self) -> None:
        self._known: set[dt.date] = set()
        # Made in the open transaction: known only once it commits.
        self._pending: set[dt.date] = set()

    def ensure(self, connection: psycopg.Connection[object], month: dt.date) -> None:
        """Creates the month's partition inside the caller's transaction if it is missing."""
        if month in self._known:
            return
        name = partition_name(month)
        # Two processes meeting a new month at once: the second waits, then finds it.
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (zlib.crc32(name.encode()),))
        start, end = month.isoformat(), next_month(month).isoformat()
        connection.execute(
            f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF queue_events "
            f"FOR VALUES FROM ('{start} 00:00:00+00') TO ('{end} 00:00:00+00')"
        )
        self._pending.add(month)

    def settle(self, committed: bool) -> None:
        """The transaction ended: keep the months it made only if it committed."""
        if committed:
            self._known |= self._pending
        self._pending.clear()
