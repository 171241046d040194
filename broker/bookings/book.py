"""The bookings kept in the central's SQLite file: every change one short transaction.

Capacity holds however many ask at once: counting a slot's places and inserting the
booking happen in one `BEGIN IMMEDIATE` transaction (SQLite's write lock is taken
before the count), so a thousand concurrent attempts for a hundred places give exactly a
hundred bookings. A partial unique index holds one active booking per NIK, service and
day even against a writer that skipped the count.
"""

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from broker.bookings.records import (
    PLACE_HOLDING,
    Booking,
    BookingEvent,
    BookingSource,
    BookingState,
)
from broker.engine.engine import Refused
from broker.store.connection import open_connection, write_transaction
from broker.store.migrations import migrate
from broker.store.sqlite_store import StoreError
from contract.booking_code import new_code
from contract.reasons import Reason

_COLUMNS = (
    "code, service, day, slot, name, phone, nik_hash, source, external_id, state, "
    "moved_once, ticket_id, checked_in_at, late, created_at, updated_at"
)
_HOLDING = ", ".join(f"'{state.value}'" for state in PLACE_HOLDING)

# What a booking in each state answers when asked to change.
STATE_REFUSAL = {
    BookingState.CANCELLED: Reason.BOOKING_CANCELLED,
    BookingState.CHECKED_IN: Reason.ALREADY_CHECKED_IN,
    BookingState.NO_SHOW: Reason.TOO_LATE,
}


@dataclass(frozen=True, slots=True)
class NewBooking:
    """A booking to insert, already checked against the rules (see `BookingDesk.book`)."""

    service: str
    day: dt.date
    slot: dt.time
    name: str
    phone: str
    nik_hash: str
    source: BookingSource
    external_id: str | None = None
    # Who asked, for the history: a username, "web", or the importing system.
    actor: str = ""


class BookingBook:
    """Bookings and their history in the central's database file (one connection, shared
    by the threads of the web server and the central, one writer at a time)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            # The central's own store writes to the same file: wait longer for it than it waits.
            self._db = open_connection(self.path, busy_timeout_ms=10000)
            migrate(self._db)
        except sqlite3.Error as e:
            raise StoreError(f"{self.path}: cannot open the bookings ({e})") from e

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writing -------------------------------------------------------------------

    def insert(self, new: NewBooking, capacity: int, now: dt.datetime) -> Booking:
        """Saves `new` if its slot has fewer than `capacity` places taken and its NIK has
        no active booking for that service and day; `Refused(SLOT_FULL)` or
        `Refused(NIK_ALREADY_BOOKED)` otherwise. An import whose (source, external id)
        is already kept returns that booking, unchanged."""
        with self._transaction():
            if new.external_id is not None:
                existing = self._one(
                    "source = ? AND external_id = ?", (new.source.value, new.external_id)
                )
                if existing is not None:
                    return existing
            if self._taken(new.service, new.day, new.slot) >= capacity:
                raise Refused(Reason.SLOT_FULL, f"{new.service} {new.day} {new.slot:%H:%M}")
            self._check_nik_free(new.nik_hash, new.service, new.day, code=None)
            code = self._unused_code(new.service)
            stamp = _when(now)
            self._db.execute(
                f"INSERT INTO bookings ({_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'booked', 0, NULL, NULL, 0, ?, ?)",
                (
                    code,
                    new.service,
                    new.day.isoformat(),
                    _slot(new.slot),
                    new.name,
                    new.phone,
                    new.nik_hash,
                    new.source.value,
                    new.external_id,
                    stamp,
                    stamp,
                ),
            )
            booking = self._get(code)
            self._record("booked", booking, now, new.actor, new.source.value)
            return booking

    def cancel(self, code: str, now: dt.datetime, actor: str = "") -> Booking:
        """Cancels a booked booking, giving its place back; `Refused` if it is unknown or
        no longer booked."""
        with self._transaction():
            self._booked(code)
            self._set(code, now, "state = 'cancelled'")
            cancelled = self._get(code)
            self._record("cancelled", cancelled, now, actor, "")
            return cancelled

    def move(
        self,
        code: str,
        day: dt.date,
        slot: dt.time,
        capacity: int,
        now: dt.datetime,
        actor: str = "",
    ) -> Booking:
        """Moves a booked booking to another slot, once; `Refused(ALREADY_MOVED)` the
        second time, `SLOT_FULL` or `NIK_ALREADY_BOOKED` as `insert` says."""
        with self._transaction():
            booking = self._booked(code)
            if booking.moved_once:
                raise Refused(Reason.ALREADY_MOVED, code)
            if self._taken(booking.service, day, slot) >= capacity:
                raise Refused(Reason.SLOT_FULL, f"{booking.service} {day} {slot:%H:%M}")
            self._check_nik_free(booking.nik_hash, booking.service, day, code=code)
            self._db.execute(
                "UPDATE bookings SET day = ?, slot = ?, moved_once = 1, updated_at = ? "
                "WHERE code = ?",
                (day.isoformat(), _slot(slot), _when(now), code),
            )
            moved = self._get(code)
            detail = f"from {booking.day.isoformat()} {booking.slot_text}"
            self._record("moved", moved, now, actor, detail)
            return moved

    def check_in(
        self, code: str, ticket_id: str, now: dt.datetime, *, late: bool, actor: str = ""
    ) -> Booking:
        """Ties a booked booking to the ticket it became; `Refused` if not booked.

        A booking already checked in is tied to `ticket_id` instead of its ticket when the
        queue moved it there (a kiosk's ticket printed offline superseding the one the
        central gave the scan it stopped waiting for); its check-in time stays."""
        with self._transaction():
            found = self._one("code = ?", (code,))
            if found is not None and found.state is BookingState.CHECKED_IN:
                self._db.execute(
                    "UPDATE bookings SET ticket_id = ?, late = ?, updated_at = ? WHERE code = ?",
                    (ticket_id, int(late), _when(now), code),
                )
                moved = self._get(code)
                self._record("checked_in", moved, now, actor, f"moved to {ticket_id}")
                return moved
            self._booked(code)
            self._db.execute(
                "UPDATE bookings SET state = 'checked_in', ticket_id = ?, checked_in_at = ?, "
                "late = ?, updated_at = ? WHERE code = ?",
                (ticket_id, _when(now), int(late), _when(now), code),
            )
            booking = self._get(code)
            self._record("checked_in", booking, now, actor, ticket_id + (" late" if late else ""))
            return booking

    def expire(self, codes: Sequence[str], now: dt.datetime) -> list[Booking]:
        """Marks as no-shows those of `codes` still booked; returns them."""
        expired: list[Booking] = []
        with self._transaction():
            for code in codes:
                booking = self._one("code = ? AND state = 'booked'", (code,))
                if booking is None:
                    continue
                self._set(code, now, "state = 'no_show'")
                expired.append(self._get(code))
                self._record("no_show", expired[-1], now, "central", "")
        return expired

    # -- reading -------------------------------------------------------------------

    def find(self, code: str) -> Booking | None:
        """The booking with that exact code (see `BookingDesk.find` for typed codes)."""
        with self._lock:
            return self._one("code = ?", (code,))

    def by_external_id(self, source: BookingSource, external_id: str) -> Booking | None:
        with self._lock:
            return self._one("source = ? AND external_id = ?", (source.value, external_id))

    def by_ticket(self, ticket_id: str) -> Booking | None:
        """The booking a ticket was checked in from, if any."""
        with self._lock:
            return self._one("ticket_id = ?", (ticket_id,))

    def bookings(self, service: str | None, day: dt.date) -> list[Booking]:
        """A day's bookings (of one service, or all), by slot then booking time."""
        where, params = "day = ?", [day.isoformat()]
        if service is not None:
            where, params = where + " AND service = ?", [*params, service]
        with self._lock:
            return self._many(f"{where} ORDER BY slot, created_at, code", tuple(params))

    def taken(self, service: str, day: dt.date) -> dict[dt.time, int]:
        """Places taken per slot start (booked, checked in or not come)."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT slot, COUNT(*) FROM bookings WHERE service = ? AND day = ? "
                f"AND state IN ({_HOLDING}) GROUP BY slot",
                (service, day.isoformat()),
            ).fetchall()
        return {dt.time.fromisoformat(slot): count for slot, count in rows}

    def still_booked(self, up_to: dt.date) -> list[Booking]:
        """The bookings up to that day not yet checked in, cancelled or expired."""
        with self._lock:
            return self._many(
                "day <= ? AND state = 'booked' ORDER BY day, slot", (up_to.isoformat(),)
            )

    def events(self, day: dt.date | None = None) -> list[BookingEvent]:
        """The history of bookings (for one day of visits, or all), oldest first."""
        where, params = ("WHERE day = ?", (day.isoformat(),)) if day else ("", ())
        with self._lock:
            rows = self._db.execute(
                "SELECT id, at, kind, code, service, day, slot, actor, detail "
                f"FROM booking_events {where} ORDER BY id",
                params,
            ).fetchall()
        return [
            BookingEvent(
                id=row[0],
                at=dt.datetime.fromisoformat(row[1]),
                kind=row[2],
                code=row[3],
                service=row[4],
                day=dt.date.fromisoformat(row[5]),
                slot=dt.time.fromisoformat(row[6]),
                actor=row[7],
                detail=row[8],
            )
            for row in rows
        ]

    # -- inside a transaction ------------------------------------------------------

    def _taken(self, service: str, day: dt.date, slot: dt.time) -> int:
        row = self._db.execute(
            f"SELECT COUNT(*) FROM bookings WHERE service = ? AND day = ? AND slot = ? "
            f"AND state IN ({_HOLDING})",
            (service, day.isoformat(), _slot(slot)),
        ).fetchone()
        return int(row[0])

    def _check_nik_free(self, nik_hash: str, service: str, day: dt.date, code: str | None) -> None:
        other = self._one(
            "nik_hash = ? AND service = ? AND day = ? AND state IN ('booked', 'checked_in') "
            "AND code IS NOT ?",
            (nik_hash, service, day.isoformat(), code),
        )
        if other is not None:
            raise Refused(Reason.NIK_ALREADY_BOOKED, f"{service} {day.isoformat()}")

    def _unused_code(self, service: str) -> str:
        while True:
            code = str(new_code(service))
            if self._one("code = ?", (code,)) is None:
                return code

    def _booked(self, code: str) -> Booking:
        booking = self._one("code = ?", (code,))
        if booking is None:
            raise Refused(Reason.UNKNOWN_BOOKING, code)
        if booking.state is not BookingState.BOOKED:
            raise Refused(STATE_REFUSAL[booking.state], code)
        return booking

    def _set(self, code: str, now: dt.datetime, change: str) -> None:
        self._db.execute(
            f"UPDATE bookings SET {change}, updated_at = ? WHERE code = ?", (_when(now), code)
        )

    def _get(self, code: str) -> Booking:
        booking = self._one("code = ?", (code,))
        assert booking is not None, code
        return booking

    def _one(self, where: str, params: tuple[Any, ...]) -> Booking | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM bookings WHERE {where}", params).fetchone()
        return _booking(row) if row else None

    def _many(self, where: str, params: tuple[Any, ...]) -> list[Booking]:
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM bookings WHERE {where}", params)
        return [_booking(row) for row in rows]

    def _record(
        self, kind: str, booking: Booking, now: dt.datetime, actor: str, detail: str
    ) -> None:
        self._db.execute(
            "INSERT INTO booking_events (at, kind, code, service, day, slot, actor, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                _when(now),
                kind,
                booking.code,
                booking.service,
                booking.day.isoformat(),
                _slot(booking.slot),
                actor,
                detail,
            ),
        )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock:
            try:
                with write_transaction(self._db, self.path, StoreError):
                    yield
            except sqlite3.IntegrityError as e:
                # The partial unique index caught what the count did not (another writer).
                raise Refused(Reason.NIK_ALREADY_BOOKED, str(e)) from e
            except sqlite3.Error as e:
                raise StoreError(f"{self.path}: the booking was not saved ({e})") from e


def _when(moment: dt.datetime) -> str:
    """Times are stored in UTC, so that text order is time order."""
    return moment.astimezone(dt.UTC).isoformat()


def _slot(start: dt.time) -> str:
    return f"{start:%H:%M}"


def _booking(row: tuple[Any, ...]) -> Booking:
    (code, service, day, slot, name, phone, nik_hash, source, external_id, state) = row[:10]
    moved_once, ticket_id, checked_in_at, late, created_at, updated_at = row[10:]
    return Booking(
        code=code,
        service=service,
        day=dt.date.fromisoformat(day),
        slot=dt.time.fromisoformat(slot),
        name=name,
        phone=phone,
        nik_hash=nik_hash,
        source=BookingSource(source),
        external_id=external_id,
        state=BookingState(state),
        moved_once=bool(moved_once),
        ticket_id=ticket_id,
        checked_in_at=dt.datetime.fromisoformat(checked_in_at) if checked_in_at else None,
        late=bool(late),
        created_at=dt.datetime.fromisoformat(created_at),
        updated_at=dt.datetime.fromisoformat(updated_at),
    )
