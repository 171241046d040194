"""Opening hours: may a service issue a ticket at a given local time?

Pure functions of the site model and a local time, so the central and a kiosk
(which dims a closed service's LED before anyone presses) decide alike.
"""

import datetime as dt

from contract.reasons import Reason
from contract.site import Service, Site


def local_time(site: Site, now: dt.datetime) -> dt.datetime:
    """`now` (time-zone aware) in the site's time zone."""
    if now.tzinfo is None:
        raise ValueError("now must be time-zone aware")
    return now.astimezone(site.site.timezone)


def service_day(site: Site, now: dt.datetime) -> dt.date:
    """The day a ticket issued at `now` belongs to: the local calendar date."""
    return local_time(site, now).date()


def issuing_refusal(site: Site, service: Service, now: dt.datetime) -> Reason | None:
    """Why `service` cannot issue a ticket at `now`, or None when it can."""
    local = local_time(site, now)
    day, moment = local.date(), local.time()
    if day in site.site.holidays or day in service.holidays:
        return Reason.HOLIDAY
    periods = site.schedule_of(service).periods_on(day)
    if not periods:
        return Reason.CLOSED_TODAY
    if moment < periods[0].start:
        return Reason.NOT_YET_OPEN
    closing = periods[-1].end
    if moment >= closing:
        return Reason.CLOSED
    cutoff = dt.datetime.combine(day, closing) - dt.timedelta(minutes=service.cutoff_minutes)
    if local.replace(tzinfo=None) >= cutoff:
        return Reason.PAST_CUTOFF
    if not any(moment in period for period in periods):
        return Reason.ON_BREAK
    return None


def wait_across_breaks(
    site: Site, service: Service, now: dt.datetime, work: dt.timedelta
) -> dt.timedelta:
    """How long on the wall clock `work` of the service's open time lasts from `now`.

    The counters stop over a break (ishoma, the longer Friday prayer): 40 minutes of
    queue at 11:40 before a 12:00-13:00 break is a 100-minute wait, and a ticket that
    promised 40 would send the citizen off to be called an hour late. Time before the
    day's first period counts from its start; past the last one the work goes on at
    the same pace (whoever holds a ticket is still served). A day without periods (a
    holiday) adds nothing.
    """
    local = local_time(site, now)
    origin = local.replace(tzinfo=None)
    day = origin.date()
    cursor, left = origin, work
    for period in site.schedule_of(service).periods_on(day):
        start = max(cursor, dt.datetime.combine(day, period.start))
        end = dt.datetime.combine(day, period.end)
        if start >= end:
            continue
        if start + left <= end:
            return start + left - origin
        left -= end - start
        cursor = end
    return cursor + left - origin
