"""The central's durable memory: SQLite in WAL mode, one transaction per decision.

`save` writes a decision's events and the tickets and counters they leave behind,
and returns only once they are on disk (synchronous=FULL), so whatever the central
acknowledges survives a power cut. The events table is append-only: it is the
history reports are made from.
"""

import datetime as dt
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from broker.engine.events import Event, EventKind
from broker.engine.tickets import CounterState, Ticket, TicketState
from broker.store.connection import open_connection, write_transaction
from broker.store.migrations import migrate
from contract.errors import AntreError


class StoreError(AntreError):
    """The store could not write; nothing of the failed write was kept."""


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One row of the history, as reports read it."""

    id: int
    at: dt.datetime
    day: dt.date
    kind: EventKind
    actor: str
    ticket_id: str | None
    number: str | None
    service: str | None
    state: TicketState | None
    counter: int | None
    detail: str


@dataclass(frozen=True, slots=True)
class AnsweredRequest:
    """What the store remembers of a request it decided before."""

    digest: str
    # The reason code it was refused with; None when it was carried out.
    refusal: str | None
    detail: str


_TICKET_COLUMNS = (
    "id, day, number, prefix, seq, service, priority, state, issued_at, issued_by, "
    "returned_at, counter, called_at, skipped_at, closed_at, recalls, booking, slot"
)


class SqliteStore:
    """Tickets, counters and history in one SQLite file."""

    def __init__(self, path: str | Path, *, migrate_up_to: int | None = None) -> None:
        self.path = Path(path)
        try:
            self._db = open_connection(self.path)
            self.schema_version = migrate(self._db, migrate_up_to)
        except sqlite3.Error as e:
            raise StoreError(f"{self.path}: cannot open the database ({e})") from e

    def close(self) -> None:
        self._db.close()

    # -- writing -------------------------------------------------------------------

    def save(self, events: Sequence[Event], request: str | None = None, digest: str = "") -> None:
        """Persists a decision's events atomically: all of them, or none.

        `request` names the request that caused them (see `events_for_request`), `digest`
        what it asked (see `answered`).
        """
        if not events and request is None:
            return
        with self._transaction():
            for event in events:
                self._save_event(event, request)
            if request is not None:
                self._remember(request, digest, None, "")

    def save_refusal(self, request: str, digest: str, reason: str, detail: str) -> None:
        """Remembers that `request` was refused, so a repeat gets the same answer."""
        with self._transaction():
            self._remember(request, digest, reason, detail)

    def _remember(self, request: str, digest: str, refusal: str | None, detail: str) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO answered_requests (request, digest, refusal, detail, at) "
            "VALUES (?, ?, ?, ?, ?)",
            (request, digest, refusal, detail, dt.datetime.now(dt.UTC).isoformat()),
        )

    def _save_event(self, event: Event, request: str | None) -> None:
        ticket, counter = event.ticket, event.counter
        self._db.execute(
            # The ticket's priority, times and slot as they stand after the event: the
            # hub's stream (migrations 0009, 0010) reads them from here, not from the
            # later ticket.
            "INSERT INTO events (at, day, kind, actor, ticket_id, number, service, state, "
            "counter, detail, request, priority, issued_at, called_at, slot) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                _when(event.at),
                event.day.isoformat(),
                event.kind.value,
                event.actor,
                ticket.id if ticket else None,
                ticket.number if ticket else None,
                ticket.service if ticket else None,
                ticket.state.value if ticket else None,
                counter.number if counter else (ticket.counter if ticket else None),
                event.detail,
                request,
                int(ticket.priority) if ticket else None,
                _when(ticket.issued_at) if ticket else None,
                _maybe_when(ticket.called_at) if ticket else None,
                _maybe_when(ticket.slot) if ticket else None,
            ),
        )
        if event.kind is EventKind.DAY_STARTED:
            # Counters start every day open and serving nobody.
            self._db.execute("DELETE FROM counters")
            self._write_day(event.day)
        if ticket is not None:
            self._db.execute(
                f"INSERT OR REPLACE INTO tickets ({_TICKET_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _ticket_row(ticket),
            )
        if counter is not None:
            self._db.execute(
                "INSERT OR REPLACE INTO counters (number, paused, current, cycle) "
                "VALUES (?, ?, ?, ?)",
                (counter.number, int(counter.paused), counter.current, counter.cycle),
            )

    def set_day(self, day: dt.date) -> None:
        """Records the day a fresh store starts on."""
        with self._transaction():
            self._write_day(day)

    def setting(self, key: str) -> str | None:
        """A value kept across restarts (e.g. the displays' notice line)."""
        row = self._db.execute(
            "SELECT value FROM meta WHERE key = ?", (f"setting:{key}",)
        ).fetchone()
        return str(row[0]) if row else None

    def set_setting(self, key: str, value: str) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (f"setting:{key}", value),
            )

    def _write_day(self, day: dt.date) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES ('day', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (day.isoformat(),),
        )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        try:
            with write_transaction(self._db, self.path, StoreError):
                yield
        except sqlite3.Error as e:
            raise StoreError(f"{self.path}: the change was not saved ({e})") from e

    # -- reading -------------------------------------------------------------------

    def saved_day(self) -> dt.date | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'day'").fetchone()
        return dt.date.fromisoformat(row[0]) if row else None

    def tickets_of(self, day: dt.date) -> list[Ticket]:
        rows = self._db.execute(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE day = ? ORDER BY prefix, seq",
            (day.isoformat(),),
        )
        return [_ticket_from_row(row) for row in rows]

    def last_event_id(self) -> int:
        last: int = self._db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
        return last

    def tickets_changed_after(self, event_id: int, day: dt.date) -> tuple[list[Ticket], int]:
        """The tickets of `day` that events after `event_id` changed, as they stand now,
        and the id of the last event. Read in one snapshot: a change saved meanwhile is
        in neither, and the next call (from that id) has it. Every saved change of a
        ticket comes with an event (`save`)."""
        self._db.execute("BEGIN")  # a read transaction: one snapshot of the file
        try:
            last = self.last_event_id()
            rows = self._db.execute(
                f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE day = ? AND id IN "
                "(SELECT ticket_id FROM events WHERE id > ? AND id <= ?)",
                (day.isoformat(), event_id, last),
            ).fetchall()
        finally:
            self._db.execute("COMMIT")
        return [_ticket_from_row(row) for row in rows], last

    def counters(self) -> list[CounterState]:
        rows = self._db.execute("SELECT number, paused, current, cycle FROM counters")
        return [CounterState(n, bool(paused), current, cycle) for n, paused, current, cycle in rows]

    def events(self, day: dt.date | None = None) -> list[EventRecord]:
        """The history, oldest first: of one day, or all of it."""
        if day is None:
            return self._events("", ())
        return self._events("WHERE day = ?", (day.isoformat(),))

    def answered(self, request: str) -> AnsweredRequest | None:
        """What the store remembers of `request`, if it was decided before."""
        row = self._db.execute(
            "SELECT digest, refusal, detail FROM answered_requests WHERE request = ?", (request,)
        ).fetchone()
        return AnsweredRequest(row[0], row[1], row[2]) if row else None

    def events_for_request(self, request: str) -> list[EventRecord]:
        """What a request did, if it was carried out before (empty if not)."""
        return self._events("WHERE request = ?", (request,))

    def _events(self, where: str, params: tuple[str, ...]) -> list[EventRecord]:
        rows = self._db.execute(
            "SELECT id, at, day, kind, actor, ticket_id, number, service, state, counter, detail "
            f"FROM events {where} ORDER BY id",
            params,
        )
        return [
            EventRecord(
                id=row[0],
                at=dt.datetime.fromisoformat(row[1]),
                day=dt.date.fromisoformat(row[2]),
                kind=EventKind(row[3]),
                actor=row[4],
                ticket_id=row[5],
                number=row[6],
                service=row[7],
                state=TicketState(row[8]) if row[8] else None,
                counter=row[9],
                detail=row[10],
            )
            for row in rows
        ]


def _when(moment: dt.datetime) -> str:
    """Times are stored in UTC, so that text order is time order."""
    return moment.astimezone(dt.UTC).isoformat()


def _maybe_when(moment: dt.datetime | None) -> str | None:
    return _when(moment) if moment is not None else None


def _parse_when(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text is not None else None


def _ticket_row(ticket: Ticket) -> tuple[object, ...]:
    return (
        ticket.id,
        ticket.day.isoformat(),
        ticket.number,
        ticket.prefix,
        ticket.seq,
        ticket.service,
        int(ticket.priority),
        ticket.state.value,
        _when(ticket.issued_at),
        ticket.issued_by,
        _maybe_when(ticket.returned_at),
        ticket.counter,
        _maybe_when(ticket.called_at),
        _maybe_when(ticket.skipped_at),
        _maybe_when(ticket.closed_at),
        ticket.recalls,
        ticket.booking,
        _maybe_when(ticket.slot),
    )


def _ticket_from_row(row: tuple[Any, ...]) -> Ticket:
    (id_, day, number, prefix, seq, service, priority, state, issued_at, issued_by) = row[:10]
    returned_at, counter, called_at, skipped_at, closed_at, recalls, booking, slot = row[10:]
    return Ticket(
        id=id_,
        day=dt.date.fromisoformat(day),
        number=number,
        prefix=prefix,
        seq=seq,
        service=service,
        priority=bool(priority),
        state=TicketState(state),
        issued_at=dt.datetime.fromisoformat(issued_at),
        issued_by=issued_by,
        returned_at=_parse_when(returned_at),
        counter=counter,
        called_at=_parse_when(called_at),
        skipped_at=_parse_when(skipped_at),
        closed_at=_parse_when(closed_at),
        recalls=recalls,
        booking=booking,
        slot=_parse_when(slot),
    )
