"""Reports for managers: tickets, waiting and service times, no-shows and arrivals.

For a chosen date range: tables per service, counter, clerk and day, two charts
drawn as SVG on the server, and each table as a CSV download.
"""

import csv
import datetime as dt
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import Blueprint, Flask, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from broker.web.accounts import Role
from broker.web.context import context
from broker.web.i18n import language, t
from broker.web.report_queries import NOBODY, Report, Stats, report
from broker.web.security import login_required
from broker.web.svg_charts import Bar, bar_chart
from contract.site import Site

bp = Blueprint("reports", __name__)

MAX_DAYS = 366
TABLES = ("services", "counters", "clerks", "days", "hours")

# The columns every grouped table shares: (CSV header, word on the page).
_STAT_COLUMNS = (
    ("issued", "report_issued"),
    ("called", "report_called"),
    ("served", "report_served"),
    ("no_shows", "report_no_shows"),
    ("wait_mean_min", "report_wait_mean"),
    ("wait_p90_min", "report_wait_p90"),
    ("service_mean_min", "report_service_mean"),
    ("service_p90_min", "report_service_p90"),
)
# The columns naming a row, per table.
_KEY_COLUMNS = {
    "services": (("service", "report_service"), ("name", "report_name")),
    "counters": (("counter", "counter"), ("name", "report_name")),
    "clerks": (("clerk", "report_clerk"),),
    "days": (("day", "report_day"),),
    "hours": (("hour", "report_hour"),),
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


class BadRange(ValueError):
    """The dates asked for make no report; `key` is the message's word."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class Table:
    """A table as the page shows it and the CSV holds it."""

    name: str
    title: str
    headers: list[str]
    rows: list[list[str]]
    # How many leading columns name the row; the others are numbers.
    keys: int


@bp.get("/reports/")
@login_required(Role.ADMIN, Role.MANAGER)
def index() -> str | tuple[str, int]:
    today = context().queue.read(lambda engine: engine.day)
    try:
        start, end = chosen_range(request.args, today)
    except BadRange as e:
        page = render_template(
            "reports.html",
            error=t(e.key),
            start=request.args.get("start", ""),
            end=request.args.get("end", ""),
            data=None,
        )
        return page, 400
    data = _report(start, end)
    site = context().site
    return render_template(
        "reports.html",
        error="",
        start=start.isoformat(),
        end=end.isoformat(),
        data=data,
        summary=_summary(data.total),
        tables=[_table(name, data, site, _page_number, page=True) for name in TABLES],
        arrivals_chart=_arrivals_chart(data),
        wait_chart=_wait_chart(data, site),
        csv_links={name: _csv_url(name, start, end) for name in TABLES},
    )


@bp.get("/reports/<any(services, counters, clerks, days, hours):table>.csv")
@login_required(Role.ADMIN, Role.MANAGER)
def export(table: str) -> Response:
    today = context().queue.read(lambda engine: engine.day)
    try:
        start, end = chosen_range(request.args, today)
    except BadRange as e:
        return Response(t(e.key), status=400, mimetype="text/plain")
    data = _report(start, end)
    shown = _table(table, data, context().site, _csv_number, page=False)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(shown.headers)
    writer.writerows([_defused(cell) for cell in row] for row in shown.rows)
    filename = f"antre-{table}-{start.isoformat()}-{end.isoformat()}.csv"
    return Response(
        out.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def chosen_range(args: Mapping[str, str], today: dt.date) -> tuple[dt.date, dt.date]:
    """The `start` and `end` dates asked for (today when left out), checked."""
    start = _date(args.get("start"), today)
    end = _date(args.get("end"), today)
    if start > end:
        raise BadRange("report_reversed")
    if (end - start).days + 1 > MAX_DAYS:
        raise BadRange("report_too_long")
    return start, end


def _date(text: str | None, default: dt.date) -> dt.date:
    if not text or not text.strip():
        return default
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise BadRange("report_bad_date") from None


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
        rows = [[s.key, _service_name(site, s.key), *_cells(s, number)] for s in data.services]
    elif name == "counters":
        rows = [[s.key, _counter_name(site, s.key), *_cells(s, number)] for s in data.counters]
    else:
        stats = data.clerks if name == "clerks" else data.days
        rows = [[s.key, *_cells(s, number)] for s in stats]
    return Table(name, t(_TITLES[name]), headers, rows, len(_KEY_COLUMNS[name]))


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


def _service_name(site: Site, prefix: str) -> str:
    service = site.services_by_prefix.get(prefix)
    if service is None:
        return ""
    if language() == "en" and service.name_en:
        return service.name_en
    return service.name


def _counter_name(site: Site, key: str) -> str:
    counter = site.counters_by_number.get(int(key)) if key.isdigit() else None
    return counter.display_name if counter is not None else ""


def _page_number(value: float | None) -> str:
    """Minutes with one decimal, with a decimal comma in Bahasa Indonesia."""
    if value is None:
        return NOBODY
    text = f"{value:.1f}"
    return text.replace(".", ",") if language() == "id" else text


def _csv_number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _defused(cell: str) -> str:
    """A cell a spreadsheet would run as a formula (a clerk named "=..."), made text."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell


def _csv_url(name: str, start: dt.date, end: dt.date) -> str:
    return url_for("reports.export", table=name, start=start.isoformat(), end=end.isoformat())


# -- charts ------------------------------------------------------------------------


def _arrivals_chart(data: Report) -> Markup | None:
    if not data.hours:
        return None
    bars = [
        Bar(f"{hour:02d}", count, str(count), f"{hour:02d}:00-{hour + 1:02d}:00")
        for hour, count in data.hours
    ]
    return bar_chart(
        bars, title=t("report_by_hour"), chart_id="chart-arrivals", number=_axis_number
    )


def _wait_chart(data: Report, site: Site) -> Markup | None:
    bars = [
        Bar(s.key, s.wait_mean, _page_number(s.wait_mean), _service_name(site, s.key))
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
        number=_axis_number,
    )


def _axis_number(value: float) -> str:
    text = f"{value:g}"
    return text.replace(".", ",") if language() == "id" else text
