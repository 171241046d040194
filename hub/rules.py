"""What a record means for the roll-ups: pure rules, no SQL, no clock.

A queue event adds to its hour's counts (issued, called, served, no-shows), a first
call adds one wait, and a ticket's state moves it in or out of "waiting now".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from contract.hub_stream import QueueEvent
from hub.errors import HubError

# Waits beyond this many minutes share the last bucket: the percentiles a manager reads
# are far below it, and the table stays small.
MAX_WAIT_MINUTE = 240
WAITING = "waiting"
ISSUED_KINDS = frozenset({"issued", "issued_offline"})
# A counter that calls or serves is open; a paused one is not.
OPENING_KINDS = frozenset({"called", "recalled", "finished", "resumed"})
CLOSING_KINDS = frozenset({"paused"})


class RecordRefused(HubError, ValueError):
    """A record whose fields validate as types but not as meaning (a bad time)."""


def parse_time(text: str, field: str) -> dt.datetime:
    """An ISO 8601 time with its UTC offset, or RecordRefused naming the field."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as e:
        raise RecordRefused(f"{field}: not an ISO 8601 time: {text!r}") from e
    if value.tzinfo is None:
        raise RecordRefused(f"{field}: a time needs its UTC offset: {text!r}")
    return value


def parse_day(text: str, field: str = "day") -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as e:
        raise RecordRefused(f"{field}: not an ISO date: {text!r}") from e


@dataclass(frozen=True, slots=True)
class EventEffect:
    """What one queue event adds to its service's hour."""

    hour: int
    issued: int = 0
    called: int = 0
    served: int = 0
    no_shows: int = 0
    # Seconds the citizen waited, on a first call only.
    wait_seconds: int | None = None


def event_effect(event: QueueEvent) -> EventEffect:
    """The counts a queue event adds to the roll-up of its local hour."""
    at = parse_time(event.at, "at")
    kind = event.kind
    if kind in ISSUED_KINDS:
        return EventEffect(at.hour, issued=1)
    if kind == "called":
        return EventEffect(at.hour, called=1, wait_seconds=wait_seconds(event, at))
    if kind == "finished":
        return EventEffect(at.hour, served=1)
    if kind == "no_show":
        return EventEffect(at.hour, no_shows=1)
    return EventEffect(at.hour)


def wait_seconds(event: QueueEvent, called: dt.datetime) -> int | None:
    """From issue (or a booked ticket's slot) to the call; None without an issue time."""
    if event.called_at is not None:
        called = parse_time(event.called_at, "called_at")
    if event.issued_at is None:
        return None
    start = parse_time(event.issued_at, "issued_at")
    if event.slot is not None:
        # A booked ticket waits from its slot, early or late within the check-in window,
        # as the site's booking report counts it (docs/queue-rules.md, "Bookings"); one
        # past the window has no slot and waits from its check-in like a walk-in.
        start = parse_time(event.slot, "slot")
    return max(0, int((called - start).total_seconds()))


def wait_minute(seconds: int) -> int:
    """The wait in minutes, rounded up (capped): "waited at most this many minutes"."""
    return min(-(-seconds // 60), MAX_WAIT_MINUTE)


def waiting_change(old_state: str | None, new_state: str) -> int:
    """+1, -1 or 0: how a ticket's move changes the count of tickets waiting."""
    return int(new_state == WAITING) - int(old_state == WAITING)


def counter_opens(kind: str) -> bool | None:
    """True if the event shows its counter open, False if closed, None if neither."""
    if kind in OPENING_KINDS:
        return True
    if kind in CLOSING_KINDS:
        return False
    return None


def percentile_minute(counts: Mapping[int, int], fraction: float) -> int | None:
    """The smallest minute at or below which `fraction` of the waits fall (None: none)."""
    total = sum(counts.values())
    if total == 0:
        return None
    needed = fraction * total
    running = 0
    for minute in sorted(counts):
        running += counts[minute]
        if running >= needed:
            return minute
    return max(counts)
