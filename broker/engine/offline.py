"""What an offline ticket a kiosk hands in may be: the rules on its number and print time.

A kiosk prints reserved numbers while it cannot reach the central and hands them in
later (`QueueEngine.issue_reserved`). Whatever such a message holds, it must not move the
day's numbering nor put its holder at the head of the queue: these functions say whether
it can be taken in. Pure, like the engine: the caller passes the site and the moments.
"""

import datetime as dt

from broker.engine.tickets import Ticket, TicketState, parse_ticket_id, ticket_id, ticket_number
from contract.hours import issuing_refusal, service_day
from contract.messages import MAX_RESERVE
from contract.site import Site

# How far ahead of the central's clock an offline ticket's print time may be.
CLOCK_SKEW = dt.timedelta(minutes=2)
# A press a moment before a break, the cut-off or closing is printed a moment after it.
PRINT_GRACE = dt.timedelta(minutes=1)


def plausible_print_time(
    site: Site, ticket: Ticket, printed: dt.datetime, now: dt.datetime
) -> bool:
    """On the ticket's day, in its service's hours, and not after it reached the central
    (`now`) but for a little clock skew."""
    spec = site.services_by_prefix[ticket.service]
    try:
        on_its_day = service_day(site, printed) == ticket.day
        in_hours = any(
            issuing_refusal(site, spec, moment) is None
            for moment in (printed, printed - PRINT_GRACE)
        )
    except (OverflowError, ValueError):  # a year the time zones cannot reach
        return False
    return on_its_day and in_hours and printed <= now + CLOCK_SKEW


def unknown_reserve(
    site: Site, day: dt.date, highest: dict[str, int], ticket_id_: str, actor: str
) -> Ticket | None:
    """The reserved ticket of today that `actor` may hand in though the central has no
    record of it (a restore from an older backup), or None if no reserve explains it.

    Its number must be written as numbers are (`A001`, never `A000` nor `A0001`), of a
    service of the site, and at most `MAX_RESERVE` beyond the `highest` number given:
    anything further would move the day's numbering for nothing.
    """
    parsed = parse_ticket_id(ticket_id_)
    if parsed is None:
        return None
    ticket_day, prefix, seq = parsed
    number = ticket_number(prefix, seq)
    if ticket_day != day or prefix not in site.services_by_prefix:
        return None
    if ticket_id(day, number) != ticket_id_ or not 1 <= seq <= highest[prefix] + MAX_RESERVE:
        return None
    return Ticket(
        id=ticket_id_,
        day=day,
        number=number,
        prefix=prefix,
        seq=seq,
        service=prefix,
        priority=False,
        state=TicketState.RESERVED,
        # Replaced by the time the kiosk printed it (issue_reserved).
        issued_at=dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC),
        issued_by=actor,
    )
