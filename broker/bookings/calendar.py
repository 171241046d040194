"""Booking's pure rules: a day's slots and when a day or a slot can be booked.

No clock and no storage: `now` is passed in (time-zone aware), the site says the rest.
The check-in window is the queue's rule: `broker.engine.check_ins.check_in_window`.
"""

import datetime as dt
from dataclasses import dataclass

from broker.engine.engine import Refused
from contract.hours import service_day
from contract.reasons import Reason
from contract.site import Service, Site
from contract.site_bookings import BookingRules


@dataclass(frozen=True, slots=True)
class Slot:
    """An arrival slot within a session: its start, its end and how many it takes."""

    start: dt.time
    end: dt.time
    capacity: int

    @property
    def text(self) -> str:
        """ "HH:MM", the slot as shown, printed and sent in messages."""
        return f"{self.start:%H:%M}"


def day_slots(rules: BookingRules, day: dt.date) -> list[Slot]:
    """Every slot of that date, in order; a session's capacity is spread over its slots,
    the first ones taking one place more when it does not divide evenly."""
    slots: list[Slot] = []
    step = dt.timedelta(minutes=rules.slot_minutes)
    for session in rules.sessions.on(day):
        start = dt.datetime.combine(day, session.period.start)
        end = dt.datetime.combine(day, session.period.end)
        count = max(1, (end - start) // step)
        base, extra = divmod(session.capacity, count)
        for i in range(count):
            begins = start + i * step
            slots.append(Slot(begins.time(), min(begins + step, end).time(), base + (i < extra)))
    return slots


def local_moment(site: Site, day: dt.date, clock: dt.time) -> dt.datetime:
    """A local date and clock time as a time-zone aware moment."""
    return dt.datetime.combine(day, clock, tzinfo=site.site.timezone)


def booking_opens(site: Site, rules: BookingRules, day: dt.date) -> dt.datetime:
    """When booking for `day` opens: `days_ahead` days before, at `opens_at`."""
    return local_moment(site, day - dt.timedelta(days=rules.days_ahead), rules.opening_time)


def rules_of(service: Service) -> BookingRules:
    """The service's booking rules; `Refused(NOT_BOOKABLE)` when it takes no bookings."""
    if service.booking is None:
        raise Refused(Reason.NOT_BOOKABLE, f"{service.prefix} takes no bookings")
    return service.booking


def check_bookable_day(site: Site, service: Service, day: dt.date, now: dt.datetime) -> None:
    """Nothing if `day` can be booked at `now`; `Refused` saying why not otherwise:
    not_bookable (no bookings, a holiday, no sessions that weekday), booking_closed
    (the day has passed), too_far_ahead or booking_not_open (the detail says from when)."""
    rules = rules_of(service)
    if day in site.site.holidays or day in service.holidays or not rules.sessions.on(day):
        raise Refused(Reason.NOT_BOOKABLE, f"{service.prefix} on {day.isoformat()}")
    if day < service_day(site, now):
        raise Refused(Reason.BOOKING_CLOSED, f"{day.isoformat()} has passed")
    opens = booking_opens(site, rules, day)
    if now < opens:
        furthest = service_day(site, now) + dt.timedelta(days=rules.days_ahead)
        reason = Reason.TOO_FAR_AHEAD if day > furthest else Reason.BOOKING_NOT_OPEN
        raise Refused(reason, opens.isoformat())


def bookable_slot(
    site: Site, service: Service, day: dt.date, start: dt.time, now: dt.datetime
) -> Slot:
    """The slot starting at `start` on `day` if it can be booked at `now`; `Refused` as
    `check_bookable_day` says, or unknown_slot, or booking_closed once the slot is less
    than `closes_minutes_before` away."""
    check_bookable_day(site, service, day, now)
    rules = rules_of(service)
    slot = next((s for s in day_slots(rules, day) if s.start == start), None)
    if slot is None or slot.capacity == 0:
        raise Refused(Reason.UNKNOWN_SLOT, f"{service.prefix} {day.isoformat()} {start:%H:%M}")
    closes = local_moment(site, day, start) - dt.timedelta(minutes=rules.closes_minutes_before)
    if now >= closes:
        raise Refused(Reason.BOOKING_CLOSED, closes.isoformat())
    return slot
