"""The values the queue is made of: tickets and counters, immutable."""

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum


class TicketState(StrEnum):
    """Where a ticket is in its life; the last five are final."""

    # A number set aside for a kiosk to print while it cannot reach the central.
    RESERVED = "reserved"
    WAITING = "waiting"
    CALLED = "called"
    # Did not come when called; can be brought back within the grace time.
    SKIPPED = "skipped"
    FINISHED = "finished"
    # Never served: its printout failed, or a clerk withdrew it.
    CANCELLED = "cancelled"
    # Still waiting or being served when the day ended.
    EXPIRED = "expired"
    # Skipped and never brought back before the day ended.
    NO_SHOW = "no_show"
    # Reserved for a kiosk that never needed it.
    UNUSED = "unused"


FINAL_STATES = frozenset(
    {
        TicketState.FINISHED,
        TicketState.CANCELLED,
        TicketState.EXPIRED,
        TicketState.NO_SHOW,
        TicketState.UNUSED,
    }
)


def ticket_id(day: dt.date, number: str) -> str:
    """A ticket's id, unique across days: numbers restart daily."""
    return f"{day.isoformat()}/{number}"


_TICKET_ID = re.compile(r"^(\d{4}-\d{2}-\d{2})/([A-Z]+)(\d{3,})$")


def parse_ticket_id(text: str) -> tuple[dt.date, str, int] | None:
    """The day, prefix and sequence of a ticket id such as "2026-11-30/A012"; None if
    it is not one."""
    found = _TICKET_ID.match(text)
    if found is None:
        return None
    try:
        day = dt.date.fromisoformat(found[1])
    except ValueError:
        return None
    return day, found[2], int(found[3])


def ticket_number(prefix: str, seq: int) -> str:
    """The printed number: prefix plus the day's sequence, at least three digits."""
    return f"{prefix}{seq:03d}"


@dataclass(frozen=True, slots=True)
class Ticket:
    """One citizen's ticket, as it stands after an event."""

    id: str
    day: dt.date
    number: str
    prefix: str
    seq: int
    # The service whose queue it is in; differs from `prefix` after a transfer.
    service: str
    priority: bool
    state: TicketState
    # The waiting credit: kept across transfers, so nobody loses their place.
    issued_at: dt.datetime
    issued_by: str = ""
    # Set when a skipped ticket is brought back: it goes to the head of its queue.
    returned_at: dt.datetime | None = None
    counter: int | None = None
    called_at: dt.datetime | None = None
    skipped_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    recalls: int = 0
    # The booking it was checked in from (its code), if any.
    booking: str | None = None
    # A checked-in booking's slot start: its place in the queue instead of `issued_at`
    # (see `broker.engine.check_ins`). None for walk-ins and the late.
    slot: dt.datetime | None = None

    @property
    def queue_key(self) -> tuple[int, dt.datetime, int, int, str]:
        """Sort key within its service and class: brought-back first, then by the time
        it counts from (its slot, or its issue); at the same time a booking goes first,
        since its holder has been expected at that time since the booking was made."""
        if self.returned_at is not None:
            return (0, self.returned_at, 0, self.seq, self.id)
        if self.slot is not None:
            return (1, self.slot, 0, self.seq, self.id)
        return (1, self.issued_at, 1, self.seq, self.id)

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES


@dataclass(frozen=True, slots=True)
class CounterState:
    """A counter's state: open or paused, whom it serves, where it is in the interleave."""

    number: int
    paused: bool = False
    current: str | None = None
    # Position in the priority/regular cycle (see `broker.engine.priority`).
    cycle: int = 0
