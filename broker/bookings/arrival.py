"""A booked citizen arrives: the one check-in operation (kiosk and help desk alike), and
the bookings kept in step with the queue's decisions.

The queue's tickets are the truth of who checked in today (the engine gives one ticket
per booking): the booking's row follows once the ticket is saved, and a row left
behind by a crash between the two is put right when the day's bookings are swept.
"""

import datetime as dt
import logging

from broker.bookings.book import STATE_REFUSAL, BookingBook
from broker.bookings.records import Booking, BookingState
from broker.engine.check_ins import BookedVisit, check_in_closes
from broker.engine.engine import Decision, QueueEngine
from broker.engine.events import EventKind
from broker.engine.refusal import Refused
from broker.queue_service import Operation, QueueService
from broker.store.sqlite_store import StoreError
from contract.booking_code import parse_code
from contract.hours import service_day
from contract.reasons import Reason

log = logging.getLogger(__name__)


def booked_visit(book: BookingBook, code: str, *, offline: bool = False) -> BookedVisit:
    """The booking a code (read loosely) names, as the queue needs it; `Refused` with
    unknown_booking, booking_cancelled, already_checked_in or too_late (a no-show).

    `offline`: for a kiosk's check-in tied to a ticket it printed offline, a booking
    already checked in is handed on, for the queue to judge whether it moves to that
    ticket (`QueueEngine.check_in`)."""
    parsed = parse_code(code)
    booking = book.find(str(parsed)) if parsed is not None else None
    if booking is None:
        raise Refused(Reason.UNKNOWN_BOOKING, code.strip()[:20])
    if booking.state is BookingState.CHECKED_IN and offline:
        return _visit(booking)
    if booking.state is BookingState.CHECKED_IN and booking.ticket_id:
        # As the queue says it: the number of the ticket it has.
        raise Refused(Reason.ALREADY_CHECKED_IN, booking.ticket_id.rsplit("/", 1)[-1])
    if booking.state is not BookingState.BOOKED:
        raise Refused(STATE_REFUSAL[booking.state], booking.code)
    return _visit(booking)


def check_in_operation(
    book: BookingBook,
    code: str,
    actor: str,
    *,
    offline_ticket: str | None = None,
    scanned_at: dt.datetime | None = None,
) -> Operation:
    """The queue operation that checks a booking in (see `QueueEngine.check_in`).

    With `offline_ticket` (a kiosk that printed a ticket while it could not reach the
    central) a booking that cannot be honoured does not refuse: the ticket stays a
    walk-in and the decision's note says why.
    """

    def check_in(engine: QueueEngine, now: dt.datetime) -> Decision:
        try:
            visit = booked_visit(book, code, offline=offline_ticket is not None)
            return engine.check_in(
                visit, now, actor=actor, offline_ticket=offline_ticket, scanned_at=scanned_at
            )
        except Refused as e:
            if offline_ticket is None or e.reason in _NOT_THE_BOOKINGS_FAULT:
                raise
            return engine.keep_walk_in(offline_ticket, e.reason, now, actor=actor)

    return check_in


# Refusals about the offline ticket itself, not the booking: the kiosk sent a wrong one.
_NOT_THE_BOOKINGS_FAULT = (Reason.NOT_RESERVED, Reason.UNKNOWN_TICKET, Reason.UNAVAILABLE)


class CheckInRecorder:
    """A queue listener: marks a booking checked in once its ticket is saved."""

    def __init__(self, book: BookingBook) -> None:
        self.book = book

    def __call__(self, decision: Decision) -> None:
        for event in decision.events:
            ticket = event.ticket
            if event.kind is not EventKind.CHECKED_IN or ticket is None or not ticket.booking:
                continue
            try:
                self.book.check_in(
                    ticket.booking, ticket.id, event.at, late=ticket.slot is None, actor=event.actor
                )
            except (Refused, StoreError) as e:
                # The ticket is saved and stands; the sweep puts the row right.
                log.warning("booking %s not marked checked in yet: %s", ticket.booking, e)


class BookingSweep:
    """Keeps the bookings in step with the queue as time passes (the central's
    housekeeping calls `sweep`): bookings whose ticket is in the queue are checked in
    (mending a crash between the two writes), and bookings that can no longer check in
    become no-shows, each recorded in the bookings' history for the reports."""

    def __init__(self, book: BookingBook, queue: QueueService) -> None:
        self.book = book
        self.queue = queue

    def sweep(self, now: dt.datetime) -> list[Booking]:
        """Does it at `now`; returns the bookings it changed."""
        site = self.queue.engine.site
        today = service_day(site, now)
        tickets = self.queue.read(
            lambda engine: {t.booking: t for t in engine.tickets() if t.booking is not None}
        )
        changed = []
        for booking in self.book.still_booked(up_to=today):
            ticket = tickets.get(booking.code) if booking.day == today else None
            if ticket is not None:
                late = ticket.slot is None
                changed.append(self.book.check_in(booking.code, ticket.id, now, late=late))
            elif (
                booking.day < today
                or booking.service not in site.services_by_prefix
                or now >= check_in_closes(site, _visit(booking))
            ):
                changed += self.book.expire([booking.code], now)
        return changed


def _visit(booking: Booking) -> BookedVisit:
    return BookedVisit(booking.code, booking.service, booking.day, booking.slot)
