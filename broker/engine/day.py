"""The state of one site's queues for one day, and what can be read from it.

It changes only by taking events (`apply`) or a saved day (`restore`): the rules that
decide the events are `broker.engine.engine.QueueEngine`'s, built on it.
"""

import datetime as dt
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from broker.engine.events import Event, EventKind
from broker.engine.refusal import Refused
from broker.engine.tickets import CounterState, Ticket, TicketState
from broker.engine.waiting import (
    KEPT_WINDOWS,
    CounterNow,
    Estimate,
    Pace,
    Position,
    QueueKey,
    WaitingLine,
    WaitingNow,
    break_starts,
    call_order,
    estimate_queue,
    position_of,
    service_times,
    share_counters,
)
from contract.reasons import Reason
from contract.site import Site


@dataclass(slots=True)
class _ServiceLines:
    priority: WaitingLine = field(default_factory=WaitingLine)
    regular: WaitingLine = field(default_factory=WaitingLine)

    def line(self, priority: bool) -> WaitingLine:
        return self.priority if priority else self.regular


class QueueDay:
    """One site's tickets, counters and waiting lines for one day."""

    def __init__(self, site: Site, day: dt.date) -> None:
        self.site = site
        self.day = day
        self._tickets: dict[str, Ticket] = {}
        self._counters: dict[int, CounterState] = {}
        self._lines: dict[str, _ServiceLines] = {}
        self._last_seq: dict[str, int] = {}
        self._issued: dict[str, int] = {}
        # Of the issued, those checked in from a booking (not walk-ins for the quota).
        self._booked: dict[str, int] = {}
        # Today's checked-in bookings: code -> ticket id (one ticket per booking).
        self._booked_tickets: dict[str, str] = {}
        self._durations: dict[str, deque[float]] = {}
        # The latest event's time: what the estimates are reckoned at when not told.
        self._as_of: dt.datetime | None = None
        self._grouped: list[tuple[frozenset[str], frozenset[int]]] = []
        self._grouped_site: Site | None = None
        # While set, no number is given (see `number_after`).
        self.numbering_held = False
        self._reset_day(day)

    # -- reading -------------------------------------------------------------------

    def ticket(self, ticket_id_: str) -> Ticket:
        try:
            return self._tickets[ticket_id_]
        except KeyError:
            raise Refused(Reason.UNKNOWN_TICKET, ticket_id_) from None

    def tickets(self) -> list[Ticket]:
        return list(self._tickets.values())

    def counter(self, number: int) -> CounterState:
        try:
            return self._counters[number]
        except KeyError:
            raise Refused(Reason.UNKNOWN_COUNTER, str(number)) from None

    def counters(self) -> list[CounterState]:
        return list(self._counters.values())

    def waiting_count(self, service: str) -> int:
        lines = self._lines[service]
        return len(lines.priority) + len(lines.regular)

    def last_number(self, prefix: str) -> int:
        """The highest number given today under a prefix (issued or reserved), 0 if none."""
        return self._last_seq[prefix]

    def number_after(self, highest: Mapping[str, int]) -> dict[str, int]:
        """Numbering goes on after `highest` (by prefix) where it is ahead of this engine's:
        numbers given that this engine has no record of (a restore from a backup). The
        services moved, with their new last number. Like `restore`, it loads what is
        known rather than deciding: no event."""
        moved = {}
        for prefix, seq in highest.items():
            if prefix in self._last_seq and seq > self._last_seq[prefix]:
                self._last_seq[prefix] = moved[prefix] = seq
        return moved

    def issued_count(self, prefix: str) -> int:
        """Tickets issued today under a prefix and not cancelled: what the quota counts."""
        return self._issued[prefix]

    def position(self, ticket_id_: str, now: dt.datetime | None = None) -> Position:
        """People ahead of a waiting ticket in its service, and its estimated wait.

        A priority ticket has only older priority tickets ahead; a regular ticket has
        every priority ticket and older regular ones (the interleave only helps it).
        The wait is reckoned at `now`, or at the last event when not given (the time a
        citizen at a counter has been there counts).
        """
        ticket = self.ticket(ticket_id_)
        if ticket.state is not TicketState.WAITING:
            return Position(ahead=0)
        lines = self._lines[ticket.service]
        ahead = self._count_before(lines.line(ticket.priority), ticket.queue_key)
        if not ticket.priority:
            ahead += len(lines.priority)
        services, numbers = self._group_of(ticket.service)
        waiting = [
            self._tickets[i]
            for service in services
            for line in (self._lines[service].priority, self._lines[service].regular)
            for i in line.ids()
        ]
        waiting.sort(key=call_order)
        # The estimate reckons the queue in calling order: who comes after does not count.
        mine = call_order(ticket)
        queue = [(t.id, t.service) for t in waiting if call_order(t) <= mine]
        estimates = self._estimates(services, numbers, now, queue)
        return position_of(ahead, estimates[ticket.id])

    def waiting_now(self) -> "WaitingNow":
        """A copy of who waits where, cheap enough to take under the queue's lock; every
        waiting ticket's `position` comes from the copy (`WaitingNow.positions`), in one
        pass, after the lock is let go: what hundreds of open ticket pages ask at once.
        Its estimates are reckoned at the last event."""
        return WaitingNow(
            dict(self._tickets),
            {
                service: (lines.priority.ids(), lines.regular.ids())
                for service, lines in self._lines.items()
            },
            [
                (services, self._pace(services, numbers, None))
                for services, numbers in self._groups()
            ],
        )

    def estimate_wait(self, service: str, ahead: int) -> dt.timedelta | None:
        """The wait of someone joining the service's line behind `ahead` citizens of its
        own (and nobody of the services sharing its counters), at the last event. None
        when no counter serving the service is open."""
        services, numbers = self._group_of(service)
        queue = [(str(n), service) for n in range(ahead + 1)]
        estimate = self._estimates(services, numbers, None, queue)[str(ahead)]
        return dt.timedelta(minutes=estimate.wait) if estimate is not None else None

    def _estimates(
        self,
        services: frozenset[str],
        numbers: frozenset[int],
        now: dt.datetime | None,
        queue: list[tuple[str, str]],
    ) -> dict[str, Estimate | None]:
        """The estimates of a group's queue at `now` (`estimate_queue`): the one place a
        replay measures another estimate in (`simulation.replay`)."""
        return estimate_queue(self._pace(services, numbers, now), queue)

    def _groups(self) -> list[tuple[frozenset[str], frozenset[int]]]:
        """The services sharing counters, with their counters (for the site as it is now:
        a live edit may change what a counter serves)."""
        if self._grouped_site is not self.site:
            self._grouped = share_counters(self.site)
            self._grouped_site = self.site
        return self._grouped

    def _group_of(self, service: str) -> tuple[frozenset[str], frozenset[int]]:
        return next(group for group in self._groups() if service in group[0])

    def _pace(
        self, services: frozenset[str], numbers: frozenset[int], now: dt.datetime | None
    ) -> Pace:
        """What the estimates of a group of services are made of, at `now` (None: at the
        last event)."""
        at = now if now is not None else self._as_of
        window = self.site.queue.estimate_window
        times = {
            service: service_times(
                self._durations[service],
                self.site.services_by_prefix[service].expected_service_minutes,
                window,
            )
            for service in services
        }
        counters = []
        for number in sorted(numbers):
            state = self._counters[number]
            if state.paused:
                continue
            current = self._tickets.get(state.current) if state.current else None
            serving, elapsed = None, 0.0
            if current is not None and current.service in times:
                serving = current.service
                if at is not None and current.called_at is not None:
                    elapsed = max(0.0, (at - current.called_at).total_seconds() / 60)
            counters.append(
                CounterNow(
                    number,
                    tuple(self.site.counters_by_number[number].services),
                    serving,
                    elapsed,
                )
            )
        breaks = {
            service: break_starts(self.site, self.site.services_by_prefix[service], at)
            for service in services
        }
        return Pace(times, counters, breaks)

    def _count_before(self, line: WaitingLine, key: QueueKey) -> int:
        return sum(1 for other in line.ids() if self._tickets[other].queue_key < key)

    def _oldest(self, services: list[str], priority: bool) -> str | None:
        """The longest-waiting ticket of one class over several services."""
        best: tuple[QueueKey, str] | None = None
        for service in services:
            head = self._lines[service].line(priority).head(self._current_key)
            if head is not None and (best is None or head[0] < best[0]):
                best = head
        return best[1] if best else None

    def _current_key(self, ticket_id_: str) -> QueueKey | None:
        ticket = self._tickets.get(ticket_id_)
        return ticket.queue_key if ticket is not None else None

    # -- applying ------------------------------------------------------------------

    def apply(self, events: Iterable[Event]) -> None:
        """Take the events of a decision (already persisted) into the state."""
        for event in events:
            if event.kind is EventKind.DAY_STARTED:
                self._reset_day(event.day)
            self._as_of = event.at if self._as_of is None else max(self._as_of, event.at)
            if event.ticket is not None:
                self._put_ticket(event.ticket)
            if event.counter is not None:
                self._counters[event.counter.number] = event.counter

    def restore(self, tickets: Iterable[Ticket], counters: Iterable[CounterState]) -> None:
        """Load the day's saved state, as after a restart."""
        for ticket in sorted(
            tickets, key=lambda t: (t.closed_at is not None, t.closed_at or t.issued_at)
        ):
            if ticket.day != self.day:
                raise ValueError(f"ticket {ticket.id} is not of {self.day}")
            self._put_ticket(ticket)
            times = (ticket.called_at, ticket.skipped_at, ticket.returned_at, ticket.closed_at)
            latest = max([ticket.issued_at, *(t for t in times if t is not None)])
            self._as_of = latest if self._as_of is None else max(self._as_of, latest)
        for counter in counters:
            if counter.number in self._counters:
                self._counters[counter.number] = counter

    def _put_ticket(self, ticket: Ticket) -> None:
        old = self._tickets.get(ticket.id)
        if old is None:
            self._last_seq[ticket.prefix] = max(self._last_seq[ticket.prefix], ticket.seq)
            self._issued[ticket.prefix] += 1
        elif old.state is TicketState.WAITING:
            self._lines[old.service].line(old.priority).discard(old.id)
        if ticket.state is TicketState.WAITING:
            self._lines[ticket.service].line(ticket.priority).add(ticket)
        if ticket.state is TicketState.CANCELLED and (old is None or old.state is not ticket.state):
            self._issued[ticket.prefix] -= 1
        was_booked = old is not None and old.booking is not None
        was_booked = was_booked and old is not None and old.state is not TicketState.CANCELLED
        is_booked = ticket.booking is not None and ticket.state is not TicketState.CANCELLED
        self._booked[ticket.prefix] += int(is_booked) - int(was_booked)
        if ticket.booking is not None:
            self._booked_tickets[ticket.booking] = ticket.id
        if (
            ticket.state is TicketState.FINISHED
            and (old is None or old.state is not TicketState.FINISHED)
            and ticket.called_at is not None
            and ticket.closed_at is not None
        ):
            minutes = (ticket.closed_at - ticket.called_at).total_seconds() / 60
            self._durations[ticket.service].append(minutes)
        self._tickets[ticket.id] = ticket

    def _reset_day(self, day: dt.date) -> None:
        self.day = day
        self._tickets = {}
        self._counters = {c.number: CounterState(c.number) for c in self.site.counters}
        prefixes = list(self.site.services_by_prefix)
        self._lines = {prefix: _ServiceLines() for prefix in prefixes}
        self._last_seq = dict.fromkeys(prefixes, 0)
        self._issued = dict.fromkeys(prefixes, 0)
        self._booked = dict.fromkeys(prefixes, 0)
        self._booked_tickets = {}
        kept = KEPT_WINDOWS * self.site.queue.estimate_window
        self._durations = {prefix: deque(maxlen=kept) for prefix in prefixes}
        self._as_of = None
