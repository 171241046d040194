"""What the two report pages (`reports`, `ikm_reports`) share.

The date range a request asks for and its checks, the page around a range it refused,
each table as the page shows it and as a CSV download (cells a spreadsheet would run as
formulas made text), and the names and numbers both print.
"""

import csv
import datetime as dt
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import render_template, request, url_for
from werkzeug.wrappers import Response

from broker.web.context import context
from broker.web.i18n import language, t
from contract.site import Site

MAX_DAYS = 366


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
    # The table's CSV download for the same range.
    csv: str
    # The columns (from 0) whose cells stay on one line on the page: "Loket 1", a date.
    nowrap: frozenset[int] = frozenset()


# -- the range ---------------------------------------------------------------------------


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


def asked_range() -> tuple[dt.date, dt.date]:
    """The request's range, today being the queue's day; `BadRange` when it makes none."""
    today = context().queue.read(lambda engine: engine.day)
    return chosen_range(request.args, today)


def report_page(
    template: str, build: Callable[[dt.date, dt.date], dict[str, Any]]
) -> str | tuple[str, int]:
    """The report page for the range asked for, with what `build` gives it; or the form
    again with the dates as typed and why there is no report (400)."""
    try:
        start, end = asked_range()
    except BadRange as e:
        page = render_template(
            template,
            error=t(e.key),
            start=request.args.get("start", ""),
            end=request.args.get("end", ""),
            data=None,
        )
        return page, 400
    return render_template(
        template, error="", start=start.isoformat(), end=end.isoformat(), **build(start, end)
    )


# -- CSV ---------------------------------------------------------------------------------


def csv_download(kind: str, table: Callable[[dt.date, dt.date], Table]) -> Response:
    """`table` for the range asked for as `antre-<kind>-<start>-<end>.csv`, or why not (400)."""
    try:
        start, end = asked_range()
    except BadRange as e:
        return Response(t(e.key), status=400, mimetype="text/plain")
    shown = table(start, end)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(shown.headers)
    writer.writerows([defused(cell) for cell in row] for row in shown.rows)
    filename = f"antre-{kind}-{start.isoformat()}-{end.isoformat()}.csv"
    return Response(
        out.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def defused(cell: str) -> str:
    """A cell a spreadsheet would run as a formula (a clerk named "=..."), made text."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell


def csv_url(endpoint: str, start: dt.date, end: dt.date, **values: Any) -> str:
    return url_for(endpoint, start=start.isoformat(), end=end.isoformat(), **values)


# -- names and numbers -------------------------------------------------------------------


def service_name(site: Site, prefix: str) -> str:
    """The service's name in the page's language; empty for one the site no longer has."""
    service = site.services_by_prefix.get(prefix)
    if service is None:
        return ""
    if language() == "en" and service.name_en:
        return service.name_en
    return service.name


def counter_name(site: Site, key: str) -> str:
    counter = site.counters_by_number.get(int(key)) if key.isdigit() else None
    return counter.display_name if counter is not None else ""


def decimal_comma(text: str) -> str:
    """A number's text with a decimal comma in Bahasa Indonesia."""
    return text.replace(".", ",") if language() == "id" else text


def axis_number(value: float) -> str:
    return decimal_comma(f"{value:g}")
