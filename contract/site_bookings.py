"""A service's booking rules in the site file: sessions, slots, windows and the quota kept.

In TOML, under a service:

    [services.booking]
    # Per weekday, sessions "start-end/capacity": 20 places between 08:00 and 10:00.
    sessions = { mon = ["08:00-10:00/20", "10:00-12:00/20"], tue = ["08:00-10:00/20"] }
    slot_minutes = 15           # a session is cut into arrival slots of this length
    kept_for_bookings = 40      # of the daily quota, places walk-ins can never take
    days_ahead = 7              # a day can be booked from 7 days before it...
    opens_at = "07:00"          # ...from 07:00 that day
    closes_minutes_before = 0   # booking (and moving) a slot stops this long before it
    check_in_before_minutes = 30
    check_in_after_minutes = 15
    late = "walk_in"            # past the window: a walk-in ticket, or "refuse"

A session's capacity is spread over its slots (20 places over eight 15-minute slots:
three in each of the first four, two in the others), so arrivals are spread too and a
booked citizen's place in the queue is their slot's start. One active booking per NIK,
service and day always holds; it is not a setting.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta, Struct

from contract.site_types import WEEKDAYS, Minutes, Period


class Session:
    """A booking session within one day with its capacity, such as "08:00-10:00/20"."""

    __slots__ = ("capacity", "period")

    def __init__(self, period: Period, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"a session needs at least one place ({period}/{capacity})")
        self.period = period
        self.capacity = capacity

    @classmethod
    def parse(cls, text: object) -> Session:
        """Reads "08:00-10:00/20"."""
        if not isinstance(text, str) or text.count("/") != 1:
            raise ValueError(f"{text!r} is not a session like '08:00-10:00/20'")
        period, capacity = text.split("/")
        if not capacity.strip().isdigit():
            raise ValueError(f"{text!r}: the capacity after '/' must be a whole number")
        try:
            return cls(Period.parse(period), int(capacity))
        except ValueError as e:
            raise ValueError(f"{text!r}: {e}") from e

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Session) and (self.period, self.capacity) == (
            other.period,
            other.capacity,
        )

    def __hash__(self) -> int:
        return hash((self.period, self.capacity))

    def __repr__(self) -> str:
        return f"Session('{self}')"

    def __str__(self) -> str:
        return f"{self.period}/{self.capacity}"


# The same base as `contract.site`'s tables (defined here too so ruff sees a Struct).
class _Config(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, dict=True):
    """Base of the booking tables: frozen, and a misspelt key is an error."""


class WeeklySessions(_Config, frozen=True):
    """Booking sessions per weekday; a weekday without sessions takes no bookings."""

    mon: list[Session] = []
    tue: list[Session] = []
    wed: list[Session] = []
    thu: list[Session] = []
    fri: list[Session] = []
    sat: list[Session] = []
    sun: list[Session] = []

    def on(self, day: dt.date) -> list[Session]:
        """The sessions on that date's weekday, in order."""
        sessions: list[Session] = getattr(self, WEEKDAYS[day.weekday()])
        return sessions


ClockText = Annotated[str, Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
SlotMinutes = Annotated[int, Meta(ge=5, le=240)]
DaysAhead = Annotated[int, Meta(ge=0, le=90)]
Places = Annotated[int, Meta(ge=0)]


class BookingRules(_Config, frozen=True):
    """How a service takes bookings (see the module's docstring for the TOML form)."""

    sessions: WeeklySessions
    slot_minutes: SlotMinutes = 15
    # Places of the daily quota that walk-ins cannot take; none: the day's session
    # capacity (all the places the sessions offer).
    kept_for_bookings: Places | None = None
    # A day is bookable from this many days before it (0: on the day itself only).
    days_ahead: DaysAhead = 7
    # ...from this local time on that day.
    opens_at: ClockText = "00:00"
    # A slot can be booked or moved to until this many minutes before it starts.
    closes_minutes_before: Minutes = 0
    # A booked citizen can check in from this long before their slot...
    check_in_before_minutes: Minutes = 30
    # ...to this long after it; later arrivals get what `late` says.
    check_in_after_minutes: Minutes = 15
    late: Literal["walk_in", "refuse"] = "walk_in"

    @property
    def opening_time(self) -> dt.time:
        return dt.time.fromisoformat(self.opens_at)

    def capacity_on(self, day: dt.date) -> int:
        """All the places the sessions offer on that date."""
        return sum(session.capacity for session in self.sessions.on(day))
