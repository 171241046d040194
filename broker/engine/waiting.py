"""The waiting line of one service and class, ordered by each ticket's queue key; and
the places in the lines (`Position`, `WaitingNow`).

A heap with lazy deletion: a ticket that leaves the line (called, transferred,
cancelled) is not searched for; its entry is dropped when it reaches the top. So
taking the next ticket costs O(log n) however long the queue is.
"""

import datetime as dt
import heapq
from collections.abc import Callable
from dataclasses import dataclass

from broker.engine.tickets import Ticket

QueueKey = tuple[object, ...]


class WaitingLine:
    """Tickets waiting in one service and one class (priority or regular)."""

    def __init__(self) -> None:
        self._heap: list[tuple[QueueKey, str]] = []
        self._members: set[str] = set()

    def __len__(self) -> int:
        return len(self._members)

    def add(self, ticket: Ticket) -> None:
        self._members.add(ticket.id)
        heapq.heappush(self._heap, (ticket.queue_key, ticket.id))

    def discard(self, ticket_id: str) -> None:
        self._members.discard(ticket_id)

    def __contains__(self, ticket_id: str) -> bool:
        return ticket_id in self._members

    def head(self, current_key: Callable[[str], QueueKey | None]) -> tuple[QueueKey, str] | None:
        """The first (key, ticket id), skipping entries that are no longer true.

        `current_key` gives a ticket's key now; an entry whose key differs is stale
        (the ticket left and came back with another key, which has its own entry).
        """
        while self._heap:
            key, ticket_id = self._heap[0]
            if ticket_id in self._members and current_key(ticket_id) == key:
                return key, ticket_id
            heapq.heappop(self._heap)
        return None

    def ids(self) -> set[str]:
        return set(self._members)


@dataclass(frozen=True, slots=True)
class Position:
    """Where a waiting ticket stands: people ahead and the estimated wait."""

    ahead: int
    wait: dt.timedelta | None


@dataclass(frozen=True, slots=True)
class WaitingNow:
    """Today's tickets and, per service, the ids waiting (priority, regular) and its pace."""

    tickets: dict[str, Ticket]
    lines: dict[str, tuple[set[str], set[str], tuple[float, float] | None]]

    def positions(self) -> dict[str, Position]:
        found: dict[str, Position] = {}
        for priority, regular, pace in self.lines.values():
            # Priority tickets first: a regular ticket has every priority one ahead of it.
            ordered = sorted(priority, key=self._key) + sorted(regular, key=self._key)
            for ahead, ticket_id_ in enumerate(ordered):
                found[ticket_id_] = Position(ahead, wait_for(ahead, pace))
        return found

    def _key(self, ticket_id_: str) -> QueueKey:
        return self.tickets[ticket_id_].queue_key


def wait_for(ahead: int, pace: tuple[float, float] | None) -> dt.timedelta | None:
    """The wait of someone with `ahead` people in front, at a service's pace (minutes a
    citizen takes, open counters' capacity); None when no counter is open."""
    if pace is None:
        return None
    minutes, capacity = pace
    return dt.timedelta(minutes=ahead * minutes / capacity)
