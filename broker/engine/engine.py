"""The queue engine: the rules of an MPP's queues, with no I/O and no clock.

Each operation *decides*: it checks the rules against the current state and returns
the events it would cause, or raises `Refused`; it changes nothing. `apply` (of the
state it is built on, `broker.engine.day.QueueDay`) is the only thing that changes it.
The caller persists a decision's events first and applies them after, so a failed write
leaves the engine as it was.
"""

import datetime as dt
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import ParamSpec

from broker.engine.check_ins import (
    BookedVisit,
    kept_for_bookings,
    offline_ticket_fits,
    placement,
)
from broker.engine.day import QueueDay
from broker.engine.events import Event, EventKind
from broker.engine.offline import plausible_print_time, unknown_reserve
from broker.engine.priority import choose_priority
from broker.engine.refusal import Refused as Refused
from broker.engine.tickets import (
    CounterState,
    Ticket,
    TicketState,
    ticket_id,
    ticket_number,
)
from contract.hours import issuing_refusal, service_day
from contract.reasons import Reason
from contract.site import Service

P = ParamSpec("P")


@dataclass(frozen=True, slots=True)
class Decision:
    """The events an operation causes and the ticket it is about, if any."""

    events: list[Event]
    ticket: Ticket | None = None
    # Set when the operation succeeded but had nobody to call (see `call_next`).
    note: Reason | None = None


def _today(operation: Callable[P, Decision]) -> Callable[P, Decision]:
    """Runs an operation on the day of its `now`, closing the old day first if needed.

    On a new day the operation is decided against a blank day, and the decision
    carries the events that close the old one: one decision, one write.
    """
    now_index = list(inspect.signature(operation).parameters).index("now")

    @functools.wraps(operation)
    def on_today(*args: P.args, **kwargs: P.kwargs) -> Decision:
        engine = args[0]
        now = args[now_index]
        assert isinstance(engine, QueueEngine)
        assert isinstance(now, dt.datetime)
        rollover = engine._rollover(now, str(kwargs.get("actor", "")))
        if not rollover:
            return operation(*args, **kwargs)
        decision = operation(engine._as_new_day(rollover), *args[1:], **kwargs)  # type: ignore[arg-type]
        return Decision(rollover + decision.events, decision.ticket, decision.note)

    return on_today


class QueueEngine(QueueDay):
    """The rules that change one site's queues for one day (its state: `QueueDay`)."""

    def _quota_left(self, service: str) -> int | None:
        """Places left for walk-ins: the quota less what is kept for bookings and the
        walk-in tickets given (a checked-in booking used a kept place)."""
        spec = self.site.services_by_prefix[service]
        if spec.daily_quota is None:
            return None
        kept = kept_for_bookings(spec, self.day, self.site.site.holidays)
        walk_ins = self._issued[service] - self._booked[service]
        return max(0, spec.daily_quota - kept - walk_ins)

    def _new_ticket(
        self,
        service: str,
        offset: int,
        state: TicketState,
        now: dt.datetime,
        actor: str,
        priority: bool,
    ) -> Ticket:
        """The ticket `offset` numbers after the service's last one."""
        # The engine's day, not the clock's: a clock set back must not reuse numbers.
        seq = self._last_seq[service] + offset
        number = ticket_number(service, seq)
        return Ticket(
            id=ticket_id(self.day, number),
            day=self.day,
            number=number,
            prefix=service,
            seq=seq,
            service=service,
            priority=priority,
            state=state,
            issued_at=now,
            issued_by=actor,
        )

    def _numbering_spec(self, service: str) -> Service:
        """The service a new number is asked for, if numbers may be given now."""
        spec = self.site.services_by_prefix.get(service)
        if spec is None:
            raise Refused(Reason.UNKNOWN_SERVICE, service)
        if self.numbering_held:
            raise Refused(Reason.UNAVAILABLE, "the central is learning today's last numbers")
        return spec

    # -- deciding ------------------------------------------------------------------

    @_today
    def issue(
        self, service: str, now: dt.datetime, *, priority: bool = False, actor: str = ""
    ) -> Decision:
        """A new ticket for a service, if it is open and its quota allows."""
        spec = self._numbering_spec(service)
        refusal = issuing_refusal(self.site, spec, now)
        if refusal is not None:
            raise Refused(refusal, service)
        if self._quota_left(service) == 0:
            raise Refused(Reason.QUOTA_FULL, f"{service}: {spec.daily_quota}")
        ticket = self._new_ticket(service, 1, TicketState.WAITING, now, actor, priority)
        return Decision([Event(EventKind.ISSUED, now, self.day, actor, ticket=ticket)], ticket)

    @_today
    def reserve(self, service: str, count: int, now: dt.datetime, *, actor: str = "") -> Decision:
        """Set numbers aside for a kiosk to print if it loses the central.

        They count against the quota like issued tickets; the ones never used
        become `unused` when the day ends. Fewer than `count` when the quota is
        nearly used up.
        """
        spec = self._numbering_spec(service)
        refusal = issuing_refusal(self.site, spec, now)
        if refusal is not None:
            raise Refused(refusal, service)
        left = self._quota_left(service)
        count = count if left is None else min(count, left)
        if count <= 0:
            raise Refused(Reason.QUOTA_FULL, f"{service}: {spec.daily_quota}")
        events = [
            Event(
                EventKind.RESERVED,
                now,
                self.day,
                actor,
                self._new_ticket(service, offset, TicketState.RESERVED, now, actor, False),
            )
            for offset in range(1, count + 1)
        ]
        return Decision(events)

    @_today
    def issue_reserved(
        self,
        ticket_id_: str,
        issued_at: dt.datetime,
        now: dt.datetime,
        *,
        priority: bool = False,
        actor: str = "",
    ) -> Decision:
        """A ticket a kiosk printed from its reserved numbers while offline.

        It joins the queue by the time it was printed, so it keeps its place among
        the tickets issued online meanwhile. The hours were checked by the kiosk at
        printing; a citizen holding a printed ticket is never turned away here.

        A number of today the central does not know at all (its database was restored
        from a backup older than the kiosk's reserve) is taken in too: nobody else holds
        it, and the numbering goes on after it, if it is no further beyond the highest
        number known than one reserve reaches.

        The print time must fall on the ticket's day, in its service's hours, and not
        after it reached the central (but for a little clock skew): a time from another
        age would put its holder at the head of the queue, or crash what reads it.
        """
        ticket = self._tickets.get(ticket_id_) or self._unknown_reserve(ticket_id_, actor)
        if ticket.state is not TicketState.RESERVED or ticket.issued_by != actor:
            raise Refused(Reason.NOT_RESERVED, ticket.number)
        self._check_print_time(ticket, issued_at, now)
        issued = replace(
            ticket,
            state=TicketState.WAITING,
            priority=priority,
            issued_at=min(issued_at, now),
        )
        return Decision(
            [Event(EventKind.ISSUED_OFFLINE, now, self.day, actor, issued, detail="offline")],
            issued,
        )

    def _check_print_time(self, ticket: Ticket, printed: dt.datetime, now: dt.datetime) -> None:
        if not plausible_print_time(self.site, ticket, printed, now):
            raise Refused(Reason.IMPLAUSIBLE_TIME, f"{ticket.number} at {printed.isoformat()}")

    def _unknown_reserve(self, ticket_id_: str, actor: str) -> Ticket:
        """A reserved number of today for `actor` that this central has no record of."""
        ticket = unknown_reserve(self.site, self.day, self._last_seq, ticket_id_, actor)
        if ticket is None:
            raise Refused(Reason.UNKNOWN_TICKET, ticket_id_)
        return ticket

    @_today
    def check_in(
        self,
        visit: BookedVisit,
        now: dt.datetime,
        *,
        actor: str = "",
        offline_ticket: str | None = None,
        scanned_at: dt.datetime | None = None,
    ) -> Decision:
        """A booked citizen's ticket, placed at their slot (`broker.engine.check_ins`).

        Online: a new number of the booking's service. From a kiosk that was offline at
        the scan: the ticket it printed then (`offline_ticket`, already issued), judged
        at `scanned_at` (see `keep_walk_in` for a booking that cannot be honoured).
        """
        held = self._booked_tickets.get(visit.code)
        superseded = self._superseded(held, offline_ticket, actor, now)
        if held is not None and superseded is None:
            raise Refused(Reason.ALREADY_CHECKED_IN, self._tickets[held].number)
        if offline_ticket is None:
            self._numbering_spec(visit.service)
            slot = placement(self.site, visit, self.day, now).slot
            ticket = self._new_ticket(visit.service, 1, TicketState.WAITING, now, actor, False)
        else:
            ticket = self._printed_offline(offline_ticket, actor)
            if not offline_ticket_fits(ticket, visit):
                raise Refused(Reason.NOT_RESERVED, ticket.number)
            slot = placement(self.site, visit, self.day, scanned_at or now).slot
        # A ticket already called keeps its call; a waiting one moves to its slot's place.
        placed = replace(ticket, booking=visit.code, slot=slot)
        event = Event(EventKind.CHECKED_IN, now, self.day, actor, placed, detail=visit.code)
        return Decision([*(superseded or []), event], placed)

    def _superseded(
        self, held: str | None, offline_ticket: str | None, actor: str, now: dt.datetime
    ) -> list[Event] | None:
        """The event that frees a booking's ticket for the one its kiosk printed offline,
        or None if the booking keeps its ticket.

        A kiosk that gave up waiting for the answer to a scan prints a reserved number and
        hands in a check-in tied to it; the central may have checked the booking in on the
        first request meanwhile, with a ticket nobody holds (the kiosk cancels it when that
        answer arrives, after the check-in it handed in). The citizen holds the offline
        ticket, so the booking moves to it: the unheld ticket, of the same kiosk and never
        called, is cancelled and untied from the booking.
        """
        if held is None or offline_ticket is None or held == offline_ticket:
            return None
        ticket = self._tickets[held]
        if ticket.issued_by != actor or ticket.state is not TicketState.WAITING:
            return None
        cancelled = replace(self._close(held, TicketState.CANCELLED, now), booking=None, slot=None)
        why = f"superseded by {offline_ticket.rsplit('/', 1)[-1]}, printed offline"
        return [Event(EventKind.CANCELLED, now, self.day, actor, cancelled, detail=why)]

    @_today
    def keep_walk_in(
        self, ticket_id_: str, why: Reason, now: dt.datetime, *, actor: str = ""
    ) -> Decision:
        """A kiosk's late check-in whose booking cannot be honoured (`why`): the ticket
        it printed offline stays a walk-in, its holder served all the same; the event
        records it and the decision's note says why."""
        ticket = self._printed_offline(ticket_id_, actor)
        event = Event(EventKind.CHECK_IN_REFUSED, now, self.day, actor, ticket, detail=why)
        return Decision([event], ticket, note=why)

    def _printed_offline(self, ticket_id_: str, actor: str) -> Ticket:
        ticket = self.ticket(ticket_id_)
        if ticket.issued_by != actor:
            raise Refused(Reason.NOT_RESERVED, ticket.number)
        return ticket

    @_today
    def call_next(self, number: int, now: dt.datetime, *, actor: str = "") -> Decision:
        """The counter calls the next ticket of its services, finishing its current one.

        If nobody waits, the current ticket is still finished and the decision's
        `note` says the queue is empty; with no current ticket that is a refusal.
        """
        events: list[Event] = []
        counter = self.counter(number)
        if counter.paused:
            raise Refused(Reason.COUNTER_PAUSED, str(number))
        if counter.current is not None:
            finished = self._close(counter.current, TicketState.FINISHED, now)
            counter = replace(counter, current=None)
            events.append(Event(EventKind.FINISHED, now, self.day, actor, finished, counter))
        services = self.site.counters_by_number[number].services
        heads = {kind: self._oldest(services, kind) for kind in (True, False)}
        if heads[True] is None and heads[False] is None:
            if not events:
                raise Refused(Reason.QUEUE_EMPTY, str(number))
            return Decision(events, None, note=Reason.QUEUE_EMPTY)
        take_priority, cycle = choose_priority(
            self.site.priority, counter.cycle, heads[True] is not None, heads[False] is not None
        )
        chosen = heads[take_priority]
        assert chosen is not None
        called = replace(
            self._tickets[chosen],
            state=TicketState.CALLED,
            counter=number,
            called_at=now,
            returned_at=None,
        )
        counter = replace(counter, current=called.id, cycle=cycle)
        events.append(Event(EventKind.CALLED, now, self.day, actor, called, counter))
        return Decision(events, called)

    @_today
    def recall(self, number: int, now: dt.datetime, *, actor: str = "") -> Decision:
        """Announce the counter's current ticket again."""
        counter, ticket = self._serving(number)
        recalled = replace(ticket, recalls=ticket.recalls + 1)
        return Decision(
            [Event(EventKind.RECALLED, now, self.day, actor, recalled, counter)], recalled
        )

    @_today
    def skip(self, number: int, now: dt.datetime, *, actor: str = "") -> Decision:
        """The citizen did not come: mark the current ticket a no-show for now."""
        counter, ticket = self._serving(number)
        skipped = replace(ticket, state=TicketState.SKIPPED, skipped_at=now)
        counter = replace(counter, current=None)
        return Decision([Event(EventKind.SKIPPED, now, self.day, actor, skipped, counter)], skipped)

    @_today
    def bring_back(self, ticket_id_: str, now: dt.datetime, *, actor: str = "") -> Decision:
        """A skipped citizen turned up within the grace time: to the head of the queue."""
        ticket = self.ticket(ticket_id_)
        if ticket.state is not TicketState.SKIPPED or ticket.skipped_at is None:
            raise Refused(Reason.NOT_SKIPPED, ticket.number)
        grace = dt.timedelta(minutes=self.site.queue.no_show_grace_minutes)
        if now - ticket.skipped_at > grace:
            raise Refused(Reason.GRACE_PASSED, ticket.number)
        back = replace(ticket, state=TicketState.WAITING, counter=None, returned_at=now)
        return Decision([Event(EventKind.RETURNED, now, self.day, actor, back)], back)

    @_today
    def transfer(
        self, number: int, to_service: str, now: dt.datetime, *, actor: str = ""
    ) -> Decision:
        """Send the counter's current ticket to another service's queue.

        It keeps its number and its issue time, so it waits no longer than it
        would have had it picked the right service at the kiosk.
        """
        counter, ticket = self._serving(number)
        if to_service not in self.site.services_by_prefix:
            raise Refused(Reason.UNKNOWN_SERVICE, to_service)
        if to_service == ticket.service:
            raise Refused(Reason.SAME_SERVICE, to_service)
        moved = replace(
            ticket, state=TicketState.WAITING, service=to_service, counter=None, called_at=None
        )
        counter = replace(counter, current=None)
        event = Event(
            EventKind.TRANSFERRED, now, self.day, actor, moved, counter, detail=ticket.service
        )
        return Decision([event], moved)

    @_today
    def finish(self, number: int, now: dt.datetime, *, actor: str = "") -> Decision:
        """The counter is done with its current ticket."""
        counter, ticket = self._serving(number)
        finished = self._close(ticket.id, TicketState.FINISHED, now)
        counter = replace(counter, current=None)
        return Decision(
            [Event(EventKind.FINISHED, now, self.day, actor, finished, counter)], finished
        )

    @_today
    def cancel(
        self, ticket_id_: str, now: dt.datetime, *, actor: str = "", why: str = ""
    ) -> Decision:
        """Withdraw a ticket nobody has called yet, e.g. because its printout failed."""
        ticket = self.ticket(ticket_id_)
        if ticket.state is not TicketState.WAITING:
            raise Refused(Reason.NOT_CANCELLABLE, ticket.number)
        cancelled = self._close(ticket.id, TicketState.CANCELLED, now)
        return Decision(
            [Event(EventKind.CANCELLED, now, self.day, actor, cancelled, detail=why)], cancelled
        )

    @_today
    def pause(self, number: int, now: dt.datetime, *, actor: str = "") -> Decision:
        """Take the counter out: it calls nobody and counts for no estimate."""
        counter = self.counter(number)
        if counter.paused:
            raise Refused(Reason.COUNTER_PAUSED, str(number))
        if counter.current is not None:
            raise Refused(Reason.COUNTER_BUSY, str(number))
        paused = replace(counter, paused=True)
        return Decision([Event(EventKind.PAUSED, now, self.day, actor, counter=paused)])

    @_today
    def resume(self, number: int, now: dt.datetime, *, actor: str = "") -> Decision:
        counter = self.counter(number)
        if not counter.paused:
            raise Refused(Reason.COUNTER_NOT_PAUSED, str(number))
        resumed = replace(counter, paused=False)
        return Decision([Event(EventKind.RESUMED, now, self.day, actor, counter=resumed)])

    def roll_over(self, now: dt.datetime, *, actor: str = "") -> Decision:
        """Close the old day if `now` is in a new one (no events if it is not)."""
        return Decision(self._rollover(now, actor))

    def _as_new_day(self, rollover: list[Event]) -> "QueueEngine":
        """A blank engine for the day the rollover events start."""
        return QueueEngine(self.site, rollover[-1].day)

    # -- helpers -------------------------------------------------------------------

    def _rollover(self, now: dt.datetime, actor: str) -> list[Event]:
        """Events that end the old day, if `now` falls in a later one.

        Whatever is still open becomes final, so every ticket of a past day has
        exactly one final state. A clock that goes back never rolls the day back.
        """
        day = service_day(self.site, now)
        if day <= self.day:
            return []
        events = []
        for ticket in self._tickets.values():
            if ticket.is_final:
                continue
            if ticket.state is TicketState.SKIPPED:
                kind, state = EventKind.NO_SHOW, TicketState.NO_SHOW
            elif ticket.state is TicketState.RESERVED:
                kind, state = EventKind.UNUSED, TicketState.UNUSED
            else:
                kind, state = EventKind.EXPIRED, TicketState.EXPIRED
            closed = replace(ticket, state=state, closed_at=now)
            events.append(Event(kind, now, self.day, actor, closed))
        events.append(Event(EventKind.DAY_STARTED, now, day, actor))
        return events

    def _serving(self, number: int) -> tuple[CounterState, Ticket]:
        counter = self.counter(number)
        if counter.current is None:
            raise Refused(Reason.NO_CURRENT_TICKET, str(number))
        return counter, self._tickets[counter.current]

    def _close(self, ticket_id_: str, state: TicketState, now: dt.datetime) -> Ticket:
        return replace(self._tickets[ticket_id_], state=state, closed_at=now)
