"""The reports page's bookings table (and its CSV): per service and day, the bookings,
check-ins, no-shows, cancellations and the wait from the slot to the call."""

import datetime as dt
from collections.abc import Callable

from broker.web.booking_report_queries import BookingStats, booking_report
from broker.web.context import context
from broker.web.i18n import t
from broker.web.report_common import Table, csv_url, service_name

# (CSV header, word on the page)
COLUMNS = (
    ("day", "report_day"),
    ("service", "report_service"),
    ("name", "report_name"),
    ("bookings", "report_bookings"),
    ("check_ins", "report_check_ins"),
    ("no_shows", "report_booking_no_shows"),
    ("cancelled", "report_cancelled"),
    ("wait_from_slot_mean_min", "report_slot_wait_mean"),
    ("wait_from_slot_9_in_10_at_most_min", "report_slot_wait_p90"),
)


def booking_table(
    start: dt.date, end: dt.date, number: Callable[[float | None], str], *, page: bool
) -> Table:
    """The table for the range, with page words or CSV headers."""
    ctx = context()
    stats = booking_report(ctx.database, start, end, ctx.site.site.timezone)
    headers = [t(word) if page else header for header, word in COLUMNS]
    rows = [_row(s, number) for s in stats]
    url = csv_url("reports.export", start, end, table="bookings")
    return Table("bookings", t("report_by_booking"), headers, rows, 3, url, frozenset({0}))


def _row(stats: BookingStats, number: Callable[[float | None], str]) -> list[str]:
    return [
        stats.day.isoformat(),
        stats.service,
        service_name(context().site, stats.service),
        str(stats.bookings),
        str(stats.check_ins),
        str(stats.no_shows),
        str(stats.cancelled),
        number(stats.wait_mean),
        number(stats.wait_p90),
    ]
