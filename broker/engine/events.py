"""What happened: every engine decision is a list of events.

An event carries the ticket and the counter as they stand after it, so applying
an event is a plain overwrite, the history is complete for reports, and the store
can persist it without knowing the rules.
"""

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from broker.engine.tickets import CounterState, Ticket


class EventKind(StrEnum):
    ISSUED = "issued"
    RESERVED = "reserved"
    ISSUED_OFFLINE = "issued_offline"
    # A booking checked in: its ticket, new or printed offline, placed at its slot.
    CHECKED_IN = "checked_in"
    # A kiosk's late check-in of a ticket it printed offline, whose booking could not be
    # honoured: the ticket stays a walk-in; the detail is the reason.
    CHECK_IN_REFUSED = "check_in_refused"
    UNUSED = "unused"
    CALLED = "called"
    RECALLED = "recalled"
    SKIPPED = "skipped"
    RETURNED = "returned"
    TRANSFERRED = "transferred"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    NO_SHOW = "no_show"
    PAUSED = "paused"
    RESUMED = "resumed"
    DAY_STARTED = "day_started"


@dataclass(frozen=True, slots=True)
class Event:
    """One change: what, when, who, and the resulting ticket and counter."""

    kind: EventKind
    at: dt.datetime
    day: dt.date
    actor: str
    ticket: Ticket | None = None
    counter: CounterState | None = None
    # Free text for the history, e.g. the service a ticket was transferred from.
    detail: str = ""
