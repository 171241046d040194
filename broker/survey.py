"""The satisfaction survey at the central: counter-button presses and the nine-element form.

A survey unit's press (`SurveyPress` on `survey/<unit>/press`) is tied to a ticket:

- of each counter the unit serves, only the ticket that counter finished last counts, and
  only if it was finished within the unit's `window_minutes` before the press arrived;
- of those, the most recently finished one that has no press yet gets it (`counted`);
- if every such ticket has its press already, the press is kept as `already_rated` (for
  the ticket finished last): one press per ticket, a second one never counts;
- with no such ticket it is kept as `no_ticket`, with the counter when the unit serves
  only one.

A repeated press (the unit sends a press again until Mosquitto acknowledges it; the same
id) is recorded once. The citizen's nine-element form behind the ticket's QR code is
answered once per ticket, and only once the ticket is finished.

Presses and responses live in the central's SQLite file (migration 0005), through a
connection of their own, beside the queue's; every write is synced before it returns.
"""

import datetime as dt
import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, cast

from broker.engine.engine import QueueEngine
from broker.engine.tickets import Ticket, TicketState
from broker.ikm import ELEMENTS, check_ratings
from broker.queue_service import QueueService
from broker.store.connection import open_connection, write_transaction
from broker.store.migrations import migrate
from contract.errors import AntreError
from contract.hours import service_day
from contract.messages import BadMessage, SurveyPress, decode
from contract.site import Site, SurveyUnit

log = logging.getLogger(__name__)

Mark = Literal["counted", "already_rated", "no_ticket"]
COUNTED: Mark = "counted"
ALREADY_RATED: Mark = "already_rated"
NO_TICKET: Mark = "no_ticket"

# The form behind the QR code stays open this many days after the ticket's day.
FORM_DAYS = 7


class SurveyStoreError(AntreError):
    """The survey's records cannot be read or written."""


class AlreadyAnswered(AntreError):
    """The ticket's survey form was answered before: one response per ticket."""


class NotFinished(AntreError):
    """The ticket is not finished (yet): its survey form is not open."""


@dataclass(frozen=True, slots=True)
class PressRecord:
    """One press of a survey unit's button, as the central recorded it."""

    unit: str
    press_id: str
    # When the central received it (UTC), and the service day it belongs to.
    at: dt.datetime
    day: dt.date
    rating: int
    mark: Mark
    ticket_id: str | None = None
    counter: int | None = None
    service: str | None = None
    agency: str | None = None


@dataclass(frozen=True, slots=True)
class Response:
    """One citizen's nine-element form, for one ticket."""

    ticket_id: str
    day: dt.date
    at: dt.datetime
    service: str
    agency: str
    counter: int | None
    # U1..U9, each 1 to 4.
    ratings: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What the survey needs of a ticket, from the queue (today) or the file (earlier)."""

    id: str
    day: dt.date
    number: str
    service: str
    state: TicketState
    counter: int | None

    @classmethod
    def of(cls, ticket: Ticket) -> "TicketFacts":
        return cls(
            ticket.id, ticket.day, ticket.number, ticket.service, ticket.state, ticket.counter
        )


_PRESS_COLUMNS = "unit, press_id, at, day, rating, mark, ticket_id, counter, service, agency"
_RATING_COLUMNS = ", ".join(f"u{n}" for n in range(1, len(ELEMENTS) + 1))
_RESPONSE_COLUMNS = f"ticket_id, day, at, service, agency, counter, {_RATING_COLUMNS}"


class SurveyStore:
    """Presses and responses in the central's SQLite file, on a connection of their own."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            # As the queue's store: a press or response acknowledged survives a power cut.
            self._db = open_connection(self.path)
            migrate(self._db)
        except sqlite3.Error as e:
            raise SurveyStoreError(f"{self.path}: cannot open the database ({e})") from e

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- presses -----------------------------------------------------------------------

    def add_press(self, press: PressRecord) -> bool:
        """Records a press; False (nothing written) if its unit sent that id before.

        Raises `sqlite3.IntegrityError` for a second counted press of one ticket.
        """
        try:
            with self._write() as db:
                db.execute(
                    f"INSERT INTO survey_presses ({_PRESS_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        press.unit,
                        press.press_id,
                        _utc(press.at),
                        press.day.isoformat(),
                        press.rating,
                        press.mark,
                        press.ticket_id,
                        press.counter,
                        press.service,
                        press.agency,
                    ),
                )
        except sqlite3.IntegrityError:
            if self.press(press.unit, press.press_id) is not None:
                return False
            raise
        return True

    def press(self, unit: str, press_id: str) -> PressRecord | None:
        rows = self._read(
            f"SELECT {_PRESS_COLUMNS} FROM survey_presses WHERE unit = ? AND press_id = ?",
            (unit, press_id),
        )
        return _press(rows[0]) if rows else None

    def rated(self, ticket_ids: Sequence[str]) -> set[str]:
        """Those of the tickets that have their counted press."""
        if not ticket_ids:
            return set()
        marks = ", ".join("?" for _ in ticket_ids)
        rows = self._read(
            f"SELECT ticket_id FROM survey_presses WHERE mark = ? AND ticket_id IN ({marks})",
            (COUNTED, *ticket_ids),
        )
        return {row[0] for row in rows}

    def presses(self, start: dt.date, end: dt.date) -> list[PressRecord]:
        """Every press of the days `start` to `end` (inclusive), oldest first."""
        rows = self._read(
            f"SELECT {_PRESS_COLUMNS} FROM survey_presses WHERE day BETWEEN ? AND ? ORDER BY id",
            (start.isoformat(), end.isoformat()),
        )
        return [_press(row) for row in rows]

    # -- responses ---------------------------------------------------------------------

    def add_response(self, response: Response) -> None:
        """Records a response; `AlreadyAnswered` if the ticket has one."""
        ratings = check_ratings(response.ratings)
        marks = ", ".join("?" for _ in range(6 + len(ratings)))
        try:
            with self._write() as db:
                db.execute(
                    f"INSERT INTO survey_responses ({_RESPONSE_COLUMNS}) VALUES ({marks})",
                    (
                        response.ticket_id,
                        response.day.isoformat(),
                        _utc(response.at),
                        response.service,
                        response.agency,
                        response.counter,
                        *ratings,
                    ),
                )
        except sqlite3.IntegrityError as e:
            raise AlreadyAnswered(response.ticket_id) from e

    def response(self, ticket_id: str) -> Response | None:
        rows = self._read(
            f"SELECT {_RESPONSE_COLUMNS} FROM survey_responses WHERE ticket_id = ?", (ticket_id,)
        )
        return _response(rows[0]) if rows else None

    def responses(self, start: dt.date, end: dt.date) -> list[Response]:
        """Every response for tickets of the days `start` to `end` (inclusive)."""
        rows = self._read(
            f"SELECT {_RESPONSE_COLUMNS} FROM survey_responses WHERE day BETWEEN ? AND ? "
            "ORDER BY day, ticket_id",
            (start.isoformat(), end.isoformat()),
        )
        return [_response(row) for row in rows]

    # -- tickets of earlier days (the form stays open a few days) -------------------------

    def finished_tickets(self, since: dt.date, before: dt.date) -> list[TicketFacts]:
        """The finished tickets of the days from `since` up to (not including) `before`."""
        rows = self._read(
            "SELECT id, day, number, service, state, counter FROM tickets "
            "WHERE day >= ? AND day < ? AND state = ?",
            (since.isoformat(), before.isoformat(), TicketState.FINISHED.value),
        )
        return [
            TicketFacts(id_, dt.date.fromisoformat(day), number, service, TicketState(state), n)
            for id_, day, number, service, state, n in rows
        ]

    # -- plumbing ------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                with write_transaction(self._db, self.path, SurveyStoreError) as db:
                    yield db
            except sqlite3.IntegrityError:
                raise
            except sqlite3.Error as e:
                raise SurveyStoreError(f"{self.path}: not saved ({e})") from e

    def _read(self, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as e:
                raise SurveyStoreError(f"{self.path}: cannot read ({e})") from e


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def _press(row: tuple[Any, ...]) -> PressRecord:
    unit, press_id, at, day, rating, mark, ticket_id, counter, service, agency = row
    return PressRecord(
        unit=unit,
        press_id=press_id,
        at=dt.datetime.fromisoformat(at),
        day=dt.date.fromisoformat(day),
        rating=rating,
        mark=cast(Mark, mark),
        ticket_id=ticket_id,
        counter=counter,
        service=service,
        agency=agency,
    )


def _response(row: tuple[Any, ...]) -> Response:
    ticket_id, day, at, service, agency, counter = row[:6]
    return Response(
        ticket_id=ticket_id,
        day=dt.date.fromisoformat(day),
        at=dt.datetime.fromisoformat(at),
        service=service,
        agency=agency,
        counter=counter,
        ratings=tuple(row[6:]),
    )


# -- the central's side of the presses ------------------------------------------------------


class SurveyService:
    """Ties the survey units' presses to tickets and records them (the central's worker)."""

    def __init__(self, queue: QueueService, store: SurveyStore) -> None:
        self.queue = queue
        self.store = store

    def press(self, unit_id: str, payload: bytes) -> PressRecord | None:
        """Handles a press message from the unit named by its topic; None if dropped."""
        site = self.queue.read(lambda engine: engine.site)
        unit = next((u for u in site.survey_units if u.id == unit_id), None)
        if unit is None:
            log.warning("dropped a press from unknown survey unit %r", unit_id)
            return None
        try:
            message = decode(payload, SurveyPress)
        except BadMessage as e:
            log.warning("dropped a press from survey unit %s: %s", unit_id, e.problem)
            return None
        return self.record(unit, message.id, message.rating, self.queue.now())

    def record(self, unit: SurveyUnit, press_id: str, rating: int, now: dt.datetime) -> PressRecord:
        """Ties a press received at `now` to its ticket (see the module) and records it.

        A press id the unit sent before is not recorded again: the first record is
        returned. Raises `SurveyStoreError` when nothing could be saved.
        """
        before = self.store.press(unit.id, press_id)
        if before is not None:
            log.info("press %s of %s was recorded before", press_id, unit.id)
            return before
        site, candidates = self.queue.read(
            lambda engine: (engine.site, _last_finished(engine, unit, now))
        )
        rated = self.store.rated([ticket.id for ticket in candidates])
        unrated = [ticket for ticket in candidates if ticket.id not in rated]
        if unrated:
            record = _tied(site, unit, press_id, rating, now, unrated[0], COUNTED)
        elif candidates:
            record = _tied(site, unit, press_id, rating, now, candidates[0], ALREADY_RATED)
        else:
            counter = unit.counters[0] if len(unit.counters) == 1 else None
            day = service_day(site, now)
            record = PressRecord(unit.id, press_id, now, day, rating, NO_TICKET, counter=counter)
        try:
            added = self.store.add_press(record)
        except sqlite3.IntegrityError:
            # The ticket got its press in between (the database says so): this is a second.
            record = replace(record, mark=ALREADY_RATED)
            added = self.store.add_press(record)
        if not added:
            found = self.store.press(unit.id, press_id)
            assert found is not None
            return found
        log.info(
            "survey %s: rating %d, %s %s", unit.id, rating, record.mark, record.ticket_id or ""
        )
        return record


def _last_finished(engine: QueueEngine, unit: SurveyUnit, now: dt.datetime) -> list[Ticket]:
    """Of each of the unit's counters, the ticket it finished last, if within the window;
    the most recently finished first."""
    window = dt.timedelta(minutes=unit.window_minutes)
    last: dict[int, tuple[dt.datetime, Ticket]] = {}
    for ticket in engine.tickets():
        closed, counter = ticket.closed_at, ticket.counter
        if ticket.state is not TicketState.FINISHED or closed is None or counter is None:
            continue
        if counter not in unit.counters:
            continue
        held = last.get(counter)
        if held is None or (closed, ticket.id) > (held[0], held[1].id):
            last[counter] = (closed, ticket)
    recent = [(closed, ticket) for closed, ticket in last.values() if now - closed <= window]
    recent.sort(key=lambda pair: (pair[0], pair[1].id), reverse=True)
    return [ticket for _, ticket in recent]


def _tied(
    site: Site,
    unit: SurveyUnit,
    press_id: str,
    rating: int,
    now: dt.datetime,
    ticket: Ticket,
    mark: Mark,
) -> PressRecord:
    return PressRecord(
        unit=unit.id,
        press_id=press_id,
        at=now,
        day=ticket.day,
        rating=rating,
        mark=mark,
        ticket_id=ticket.id,
        counter=ticket.counter,
        service=ticket.service,
        agency=agency_of(site, ticket.service),
    )


def agency_of(site: Site, service: str) -> str:
    found = site.services_by_prefix.get(service)
    return found.agency if found is not None else ""


# -- the citizen's form -------------------------------------------------------------------


def respond(
    store: SurveyStore, site: Site, ticket: TicketFacts, ratings: Sequence[int], now: dt.datetime
) -> Response:
    """Records the form of a finished ticket: `NotFinished`, `AlreadyAnswered` or
    `broker.ikm.SurveyError` (not nine ratings of 1 to 4) when it cannot be."""
    if ticket.state is not TicketState.FINISHED:
        raise NotFinished(ticket.id)
    response = Response(
        ticket_id=ticket.id,
        day=ticket.day,
        at=now,
        service=ticket.service,
        agency=agency_of(site, ticket.service),
        counter=ticket.counter,
        ratings=check_ratings(ratings),
    )
    store.add_response(response)
    return response
