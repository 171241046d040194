"""The bookings' numbers per service and day, read from the bookings table and the
tickets they became (a read-only connection, like `broker.web.report_queries`).

- bookings: those holding a place (booked, checked in, or not come); cancelled ones
  are counted apart and nowhere else;
- check-ins and no-shows: the bookings' states as the central sets them
  (`checked_in`, `no_show`); one still `booked` is neither yet;
- the wait from the slot: a checked-in booking's ticket `called_at` minus its slot's
  start (local time on its day), since its place in the queue is its slot's; one
  checked in late (a walk-in ticket) waits from its check-in. Called before the slot
  (early, on a quiet day) counts as no wait, never as a negative one.
"""

import datetime as dt
import sqlite3
from collections import defaultdict
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from broker.web.report_queries import mean, percentile


@dataclass(frozen=True, slots=True)
class BookingStats:
    """One row: the bookings of one service on one day."""

    service: str
    day: dt.date
    bookings: int = 0
    check_ins: int = 0
    no_shows: int = 0
    cancelled: int = 0
    # Minutes from the slot to the call; None when no booking of the row was called.
    wait_mean: float | None = None
    wait_p90: float | None = None


@dataclass(slots=True)
class _Row:
    bookings: int = 0
    check_ins: int = 0
    no_shows: int = 0
    cancelled: int = 0
    waits: list[float] = field(default_factory=list)


def booking_report(
    database: Path, start: dt.date, end: dt.date, zone: dt.tzinfo
) -> list[BookingStats]:
    """Per service and day from `start` to `end` (inclusive), by day then service."""
    rows: dict[tuple[str, str], _Row] = defaultdict(_Row)
    with closing(_connect(database)) as db:
        if not _has_bookings(db):
            return []
        found = db.execute(
            "SELECT b.service, b.day, b.slot, b.state, b.late, b.checked_in_at, t.called_at "
            "FROM bookings b LEFT JOIN tickets t ON t.id = b.ticket_id "
            "WHERE b.day BETWEEN ? AND ?",
            (start.isoformat(), end.isoformat()),
        ).fetchall()
    for service, day, slot, state, late, checked_in_at, called_at in found:
        row = rows[(service, day)]
        if state == "cancelled":
            row.cancelled += 1
            continue
        row.bookings += 1
        row.check_ins += state == "checked_in"
        row.no_shows += state == "no_show"
        if state == "checked_in" and called_at is not None:
            waited_from = (
                dt.datetime.fromisoformat(checked_in_at)
                if late and checked_in_at
                else dt.datetime.combine(
                    dt.date.fromisoformat(day), dt.time.fromisoformat(slot), tzinfo=zone
                )
            )
            span = dt.datetime.fromisoformat(called_at) - waited_from
            row.waits.append(max(0.0, span.total_seconds() / 60))
    return [
        BookingStats(
            service=service,
            day=dt.date.fromisoformat(day),
            bookings=row.bookings,
            check_ins=row.check_ins,
            no_shows=row.no_shows,
            cancelled=row.cancelled,
            wait_mean=mean(row.waits),
            wait_p90=percentile(row.waits, 90),
        )
        for (service, day), row in sorted(rows.items(), key=lambda item: (item[0][1], item[0][0]))
    ]


def _connect(database: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{Path(database).resolve().as_uri()}?mode=ro", uri=True)


def _has_bookings(db: sqlite3.Connection) -> bool:
    """A database from before migration 0008 has no bookings to report."""
    found = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'bookings'"
    ).fetchone()
    return found is not None
