"""Bookings in the queue: the rule that places a booked citizen's ticket at their slot.

A booking reserves an arrival time, not priority. A booked citizen who checks in gets an
ordinary ticket of the service (its number from the service's sequence), whose place in
the queue is the slot's start instead of the check-in time: they wait as if they had
arrived at their slot, interleaved with walk-ins (by issue time) and under the same
priority policy. Early, they wait for their slot's place; late within the window, they
keep it; later than that, the service's `late` setting gives them a walk-in ticket placed
at their check-in or refuses them. See docs/queue-rules.md, "Bookings".

Pure: the booking is read at the edge and handed in as a `BookedVisit`; `now` and the
kiosk's scan time are passed in.
"""

import datetime as dt
from dataclasses import dataclass

from broker.engine.refusal import Refused
from broker.engine.tickets import Ticket, TicketState
from contract.reasons import Reason
from contract.site import Service, Site
from contract.site_bookings import BookingRules


@dataclass(frozen=True, slots=True)
class BookedVisit:
    """What the queue needs of a booking to check it in: its code, service and slot."""

    code: str
    service: str
    day: dt.date
    # The slot's start, local time on `day`.
    slot: dt.time


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a checked-in booking goes: at its slot (`slot` set), or at the back as a
    walk-in (`slot` None, the late under `late = "walk_in"`)."""

    slot: dt.datetime | None


def check_in_window(
    site: Site, rules: BookingRules, day: dt.date, slot: dt.time
) -> tuple[dt.datetime, dt.datetime]:
    """From when and until when (not included) a booking for that slot can check in."""
    start = dt.datetime.combine(day, slot, tzinfo=site.site.timezone)
    return (
        start - dt.timedelta(minutes=rules.check_in_before_minutes),
        start + dt.timedelta(minutes=rules.check_in_after_minutes),
    )


def placement(site: Site, visit: BookedVisit, today: dt.date, scanned: dt.datetime) -> Placement:
    """Where a booking scanned at `scanned` goes in today's queue, or `Refused`:
    not_today, too_early (with the window's opening), too_late (past the window when the
    service refuses the late, or past its closing)."""
    if visit.day != today:
        raise Refused(Reason.NOT_TODAY, visit.day.isoformat())
    service = site.services_by_prefix.get(visit.service)
    if service is None:  # a service the site file no longer has
        raise Refused(Reason.UNKNOWN_SERVICE, visit.service)
    opens, closes = _window(site, service, visit)
    if scanned < opens:
        raise Refused(Reason.TOO_EARLY, opens.isoformat())
    if scanned < closes:
        return Placement(dt.datetime.combine(visit.day, visit.slot, tzinfo=site.site.timezone))
    last_chance = check_in_closes(site, visit)
    if scanned >= last_chance:
        # The late are refused, or the service has closed for the day.
        raise Refused(Reason.TOO_LATE, last_chance.isoformat())
    return Placement(None)


def _window(site: Site, service: Service, visit: BookedVisit) -> tuple[dt.datetime, dt.datetime]:
    # A manager may have turned the service's bookings off after this one was made: its
    # holder still has a place, judged by the booking table's default window.
    if service.booking is not None:
        return check_in_window(site, service.booking, visit.day, visit.slot)
    start = dt.datetime.combine(visit.day, visit.slot, tzinfo=site.site.timezone)
    return start - dt.timedelta(minutes=30), start + dt.timedelta(minutes=15)


def check_in_closes(site: Site, visit: BookedVisit) -> dt.datetime:
    """When a booking can no longer check in, and becomes a no-show: the end of its
    window if the service refuses the late, else the service's closing time that day
    (the late still get a walk-in ticket until then)."""
    service = site.services_by_prefix[visit.service]
    window_end = _window(site, service, visit)[1]
    if service.booking is not None and service.booking.late == "refuse":
        return window_end
    periods = site.schedule_of(service).periods_on(visit.day)
    closing = periods[-1].end if periods else visit.slot
    return max(window_end, dt.datetime.combine(visit.day, closing, tzinfo=site.site.timezone))


def kept_for_bookings(service: Service, day: dt.date, holidays: list[dt.date]) -> int:
    """The places of the service's daily quota walk-ins cannot take on `day`: none on a
    day without sessions, else `kept_for_bookings` or, unset, the day's session capacity."""
    rules = service.booking
    if rules is None or not rules.sessions.on(day) or day in holidays:
        return 0
    if day in service.holidays:
        return 0
    kept = rules.kept_for_bookings
    return rules.capacity_on(day) if kept is None else kept


def offline_ticket_fits(ticket: Ticket, visit: BookedVisit) -> bool:
    """Whether a ticket a kiosk printed offline can carry the booking: of its service's
    prefix, issued (not a reserve never handed in, nor withdrawn), not yet tied to a
    booking. A citizen already called or served keeps that."""
    unusable = (TicketState.RESERVED, TicketState.UNUSED, TicketState.CANCELLED)
    return (
        ticket.prefix == visit.service and ticket.booking is None and ticket.state not in unusable
    )
