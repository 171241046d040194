"""Reports for managers: tickets, waiting and service times, no-shows and arrivals.

For a chosen date range: tables per service, counter, clerk and day, two charts
drawn as SVG on the server, and each table as a CSV download. A clerk is shown by the
name of their account, the username beside it.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask
from markupsafe import Markup
from werkzeug.wrappers import Response

from broker.web.accounts import Role
from broker.web.booking_reports import booking_table
from broker.web.context import context
from broker.web.i18n import t
from broker.web.report_common import (
    Table,
    axis_number,
    counter_name,
    csv_download,
    csv_url,
    decimal_comma,
    report_page,
    service_name,
)
from broker.web.report_queries import NOBODY, Report, Stats, report
from broker.web.security import login_required
from broker.web.svg_charts import Bar, bar_chart
from contract.site import Site

bp = Blueprint("reports", __name__)

TABLES = ("services", "counters", "clerks", "days", "hours")
# The bookings' own table (broker/web/booking_reports.py), after the tickets' ones.
BOOKINGS = "bookings"

# The columns every grouped table shares: (CSV header, word on the page).
_STAT_COLUMNS = (
    ("issued", "report_issued"),
    ("called", "report_called"),
    ("served", "report_served"),
    ("no_shows", "report_no_shows"),
    ("wait_mean_min", "report_wait_mean"),
    ("wait_9_in_10_at_most_min", "report_wait_p90"),
    ("service_mean_min", "report_service_mean"),
    ("service_9_in_10_at_most_min", "report_service_p90"),
)
# The columns naming a row, per table.
_KEY_COLUMNS = {
    "services": (("service", "report_service"), ("name", "report_name")),
    "counters": (("counter", "counter"), ("name", "report_name")),
    "clerks": (("name", "report_clerk"), ("clerk", "report_username")),
    "days": (("day", "report_day"),),
    "hours": (("hour", "report_hour"),),
}
# The columns (from 0) that stay on one line on the page: "Loket 1", a date, an hour.
_NOWRAP = {
    "services": frozenset[int](),
    "counters": frozenset({0, 1}),
    "clerks": frozenset[int](),
    "days": frozenset({0}),
    "hours": frozenset({0}),
}
_TITLES = {
    "services": "report_by_service",
    "counters": "report_by_counter",
    "clerks": "report_by_clerk",
    "days": "report_by_day",
    "hours": "report_by_hour",
}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/reports/")
@login_required(Role.ADMIN, Role.MANAGER)
def index() -> str | tuple[str, int]:
    return report_page("reports.html", _page)


def _page(start: dt.date, end: dt.date) -> dict[str, Any]:
    data = _report(start, end)
    site = context().site
    return {
        "data": data,
        "summary": _summary(data.total),
        "tables": [
            *(_table(name, data, site, _page_number, page=True) for name in TABLES),
            booking_table(start, end, _page_number, page=True),
        ],
        "arrivals_chart": _arrivals_chart(data),
        "wait_chart": _wait_chart(data, site),
    }


@bp.get("/reports/<any(services, counters, clerks, days, hours, bookings):table>.csv")
@login_required(Role.ADMIN, Role.MANAGER)
def export(table: str) -> Response:
    if table == BOOKINGS:
        return csv_download(
            table, lambda start, end: booking_table(start, end, _csv_number, page=False)
        )
    return csv_download(
        table,
        lambda start, end: _table(
            table, _report(start, end), context().site, _csv_number, page=False
        ),
    )


def _report(start: dt.date, end: dt.date) -> Report:
    ctx = context()
    return report(ctx.database, start, end, ctx.site.site.timezone)


# -- tables ------------------------------------------------------------------------


def _table(
    name: str, data: Report, site: Site, number: Callable[[float | None], str], *, page: bool
) -> Table:
    columns = _KEY_COLUMNS[name] + (
        (("arrivals", "report_arrivals"),) if name == "hours" else _STAT_COLUMNS
    )
    headers = [t(word) if page else header for header, word in columns]
    rows: list[list[str]]
    if name == "hours":
        rows = [[f"{hour:02d}:00", str(count)] for hour, count in data.hours]
    elif name == "services":
        rows = [[s.key, service_name(site, s.key), *_cells(s, number)] for s in data.services]
    elif name == "counters":
        rows = [[s.key, counter_name(site, s.key), *_cells(s, number)] for s in data.counters]
    elif name == "clerks":
        rows = _clerk_rows(data.clerks, number)
    else:
        rows = [[s.key, *_cells(s, number)] for s in data.days]
    url = csv_url("reports.export", data.start, data.end, table=name)
    keys = len(_KEY_COLUMNS[name])
    return Table(name, t(_TITLES[name]), headers, rows, keys, url, _NOWRAP[name])


def _clerk_rows(clerks: list[Stats], number: Callable[[float | None], str]) -> list[list[str]]:
    """Name, username and numbers of each clerk, by name; "—" (nobody) last.

    The name is the account's; a username no account has (any more) stands for itself.
    """
    names = {user.username: user.name for user in context().accounts.all()}
    rows = [
        (
            [NOBODY, ""] if s.key == NOBODY else [names.get(s.key.lower()) or s.key, s.key],
            _cells(s, number),
        )
        for s in clerks
    ]
    rows.sort(key=lambda row: (row[0][0] == NOBODY, row[0][0].casefold(), row[0][1]))
    return [[*key, *cells] for key, cells in rows]


def _cells(stats: Stats, number: Callable[[float | None], str]) -> list[str]:
    return [
        str(stats.issued),
        str(stats.called),
        str(stats.served),
        str(stats.no_shows),
        number(stats.wait_mean),
        number(stats.wait_p90),
        number(stats.service_mean),
        number(stats.service_p90),
    ]


def _summary(total: Stats) -> list[tuple[str, str]]:
    return [
        (t("report_issued"), str(total.issued)),
        (t("report_served"), str(total.served)),
        (t("report_no_shows"), str(total.no_shows)),
        (t("report_wait_mean"), _page_number(total.wait_mean)),
        (t("report_wait_p90"), _page_number(total.wait_p90)),
        (t("report_service_mean"), _page_number(total.service_mean)),
    ]


def _page_number(value: float | None) -> str:
    """Minutes with one decimal, with a decimal comma in Bahasa Indonesia."""
    if value is None:
        return NOBODY
    return decimal_comma(f"{value:.1f}")


def _csv_number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


# -- charts ------------------------------------------------------------------------


def _arrivals_chart(data: Report) -> Markup | None:
    if not data.hours:
        return None
    bars = [
        Bar(f"{hour:02d}", count, str(count), f"{hour:02d}:00-{hour + 1:02d}:00")
        for hour, count in data.hours
    ]
    return bar_chart(bars, title=t("report_by_hour"), chart_id="chart-arrivals", number=axis_number)


def _wait_chart(data: Report, site: Site) -> Markup | None:
    bars = [
        Bar(s.key, s.wait_mean, _page_number(s.wait_mean), service_name(site, s.key))
        for s in data.services
        if s.wait_mean is not None
    ]
    if not bars:
        return None
    return bar_chart(
        bars,
        title=t("report_wait_chart"),
        chart_id="chart-wait",
        unit=t("minutes"),
        number=axis_number,
    )
