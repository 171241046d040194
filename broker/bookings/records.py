"""A booking as the central keeps it: who comes, for which service, day and slot."""

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class BookingState(StrEnum):
    """Where a booking stands; only `booked` can still be cancelled, moved or checked in."""

    BOOKED = "booked"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"
    # Not checked in by the end of its check-in window.
    NO_SHOW = "no_show"


class BookingSource(StrEnum):
    """Who took the booking: the public pages, a clerk, or another system's import."""

    WEB = "web"
    STAFF = "staff"
    IMPORT = "import"


# The states that hold a place in their slot (a cancelled booking gives it back).
PLACE_HOLDING = (BookingState.BOOKED, BookingState.CHECKED_IN, BookingState.NO_SHOW)


@dataclass(frozen=True, slots=True)
class Booking:
    """One booking. The NIK is only ever its keyed hash (see `broker.bookings.nik`)."""

    code: str
    service: str
    day: dt.date
    # The slot's start, local time on `day`.
    slot: dt.time
    name: str
    phone: str
    nik_hash: str
    source: BookingSource
    # The other system's id for an imported booking (idempotent imports); else None.
    external_id: str | None
    state: BookingState
    moved_once: bool
    # The ticket it became at check-in.
    ticket_id: str | None
    checked_in_at: dt.datetime | None
    # Checked in past its window and given a walk-in ticket (no place at its slot).
    late: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def slot_text(self) -> str:
        """The slot as shown and printed: "HH:MM"."""
        return f"{self.slot:%H:%M}"


@dataclass(frozen=True, slots=True)
class BookingEvent:
    """One change of a booking, for the reports."""

    id: int
    at: dt.datetime
    kind: str
    code: str
    service: str
    day: dt.date
    slot: dt.time
    actor: str
    detail: str
