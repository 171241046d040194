"""What the central tells the world, built from the engine: pure functions.

Tickets as kiosks print them, call events as displays announce them, and the
retained queue state that every screen paints from.
"""

import datetime as dt
import math
from collections.abc import Iterable
from typing import Literal

from broker.engine.engine import QueueEngine
from broker.engine.events import Event, EventKind
from broker.engine.tickets import Ticket, TicketState
from broker.engine.waiting import Position
from broker.ticket_links import TicketLinks
from contract.hours import local_time, wait_across_breaks
from contract.messages import CallEvent, CounterView, QueueState, ServiceView, TicketInfo
from contract.site import Site

# A wait's range is printed in steps of this many minutes, rounded outwards: "20-35 menit".
RANGE_STEP_MINUTES = 5


def ticket_info(
    engine: QueueEngine,
    ticket: Ticket,
    now: dt.datetime,
    links: TicketLinks | None = None,
    position: Position | None = None,
) -> TicketInfo:
    """A ticket with its place in the queue, as the engine stands at `now`.

    Its estimated wait is the engine's (the work ahead) with the breaks on its way added
    (`contract.hours.wait_across_breaks`), in whole minutes rounded up; so is its range,
    rounded out to `RANGE_STEP_MINUTES` ("20-35 menit"). With `links`, it carries the
    address of its public page (the ticket's QR code). `position`: the ticket's place when
    already known (`WaitingNow.positions`); the engine is not read for it then.
    """
    site = engine.site
    service = site.services_by_prefix[ticket.service]
    if position is None and ticket.state is TicketState.WAITING:
        position = engine.position(ticket.id, now)
    if ticket.state is not TicketState.WAITING:
        position = None

    def minutes(work: dt.timedelta | None) -> float | None:
        if work is None:
            return None
        return wait_across_breaks(site, service, now, work).total_seconds() / 60

    wait = minutes(position.wait) if position else None
    low = minutes(position.low) if position else None
    high = minutes(position.high) if position else None
    return TicketInfo(
        id=ticket.id,
        number=ticket.number,
        service=ticket.service,
        service_name=service.name,
        agency=site.agencies_by_id[service.agency].name,
        priority=ticket.priority,
        state=ticket.state.value,
        issued_at=_local(site, ticket.issued_at),
        ahead=position.ahead if position else 0,
        wait_minutes=math.ceil(wait) if wait is not None else None,
        counters=[c.number for c in site.counters_serving(ticket.service)],
        counter=ticket.counter,
        url=links.url(ticket.id) if links is not None else "",
        wait_min_minutes=(
            math.floor(low / RANGE_STEP_MINUTES) * RANGE_STEP_MINUTES if low is not None else None
        ),
        wait_max_minutes=(
            math.ceil(high / RANGE_STEP_MINUTES) * RANGE_STEP_MINUTES if high is not None else None
        ),
        slot=f"{local_time(site, ticket.slot):%H:%M}" if ticket.slot is not None else None,
    )


def call_events(site: Site, events: Iterable[Event]) -> list[CallEvent]:
    """The announcements among a decision's events."""
    return [
        call_event(site, event.ticket, "called" if event.kind is EventKind.CALLED else "recalled")
        for event in events
        if event.kind in (EventKind.CALLED, EventKind.RECALLED) and event.ticket is not None
    ]


def call_event(site: Site, ticket: Ticket, kind: Literal["called", "recalled"]) -> CallEvent:
    """A call of a ticket at its counter.

    The id is made from what the store keeps (ticket, time called, recalls), so it
    is the same whenever it is sent again: a display announces it once.
    """
    assert ticket.counter is not None
    assert ticket.called_at is not None
    counter = site.counters_by_number[ticket.counter]
    called = ticket.called_at.astimezone(dt.UTC).strftime("%H%M%S%f")
    return CallEvent(
        id=f"{ticket.id}/{called}/{ticket.recalls}",
        kind=kind,
        number=ticket.number,
        service=ticket.service,
        counter=counter.number,
        counter_name=counter.display_name,
        at=_local(site, ticket.called_at),
        recalls=ticket.recalls,
    )


def recent_calls(engine: QueueEngine, limit: int) -> list[CallEvent]:
    """The day's latest calls, newest first, rebuilt from the tickets (after a restart)."""
    called = [t for t in engine.tickets() if t.called_at is not None and t.counter is not None]
    called.sort(key=lambda ticket: ticket.called_at or ticket.issued_at, reverse=True)
    return [call_event(engine.site, ticket, "called") for ticket in called[:limit]]


def queue_state(
    engine: QueueEngine,
    seq: int,
    now: dt.datetime,
    recent: list[CallEvent],
    notice: str = "",
) -> QueueState:
    """The retained state: waiting counts, counters, the latest calls."""
    site = engine.site
    last_called: dict[str, str] = {}
    for call in recent:
        last_called.setdefault(call.service, call.number)
    counters = []
    for state in sorted(engine.counters(), key=lambda c: c.number):
        # Only the tickets being served: a copy of the whole day at every publication
        # made each request dearer as the day went on.
        serving = engine.ticket(state.current) if state.current else None
        counters.append(
            CounterView(
                number=state.number,
                name=site.counters_by_number[state.number].display_name,
                paused=state.paused,
                serving=serving.number if serving else None,
                service=serving.service if serving else None,
            )
        )
    return QueueState(
        seq=seq,
        site=site.site.id,
        day=engine.day.isoformat(),
        at=_local(site, now),
        services=[
            ServiceView(
                prefix=service.prefix,
                name=service.name,
                agency=site.agencies_by_id[service.agency].name,
                waiting=engine.waiting_count(service.prefix),
                last_called=last_called.get(service.prefix),
                numbered_up_to=engine.last_number(service.prefix),
            )
            for service in site.services
        ],
        counters=counters,
        recent=recent,
        notice=notice,
    )


def _local(site: Site, moment: dt.datetime) -> str:
    """ISO time in the site's zone, to the second: what people read."""
    return moment.astimezone(site.site.timezone).isoformat(timespec="seconds")
