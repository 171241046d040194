"""The satisfaction report for managers: the IKM and, apart from it, the counter buttons.

`/reports/ikm` for a date range (the tickets' days): per service, per agency and per
counter, the respondents, the nine element means (NRR), the IKM (1-4 and converted,
25-100), its grade and performance words, all from `broker.ikm` on the nine-element forms;
an SVG chart of the element means; and the quick four-button score in tables of its own.
Each table downloads as CSV in the layout a manager hands to the agency: one row per unit
of service, U1..U9, IKM, grade, respondents, and a last row for all of them.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import partial
from typing import Any, TypeVar

from flask import Blueprint, Flask
from markupsafe import Markup
from werkzeug.wrappers import Response

from broker.ikm import ELEMENTS, QUICK_CHOICES, Ikm, QuickScore, ikm, quick_score
from broker.survey import ALREADY_RATED, COUNTED, NO_TICKET, PressRecord, SurveyStore
from broker.survey import Response as SurveyResponse
from broker.web import report_common as common
from broker.web.accounts import Role
from broker.web.context import context
from broker.web.i18n import language, t
from broker.web.security import login_required
from broker.web.svg_charts import Bar, bar_chart
from contract.site import Site

bp = Blueprint("ikm_reports", __name__)

GROUPS = ("services", "agencies", "counters")
IKM_TITLES = {
    "services": "ikm_by_service",
    "agencies": "ikm_by_agency",
    "counters": "ikm_by_counter",
}
QUICK_TITLES = {
    "services": "quick_by_service",
    "agencies": "quick_by_agency",
    "counters": "quick_by_counter",
}
NOBODY = "—"
# The choices of the counter buttons, best first, as the tables show them.
QUICK_ORDER = tuple(sorted(QUICK_CHOICES, reverse=True))
# The agency layout's columns (CSV), and the quick score's.
IKM_CSV_HEADERS = [
    "Unit layanan",
    "Nama",
    *(element.code for element in ELEMENTS),
    "IKM",
    "Mutu pelayanan",
    "Kinerja unit pelayanan",
    "Responden",
]
QUICK_CSV_HEADERS = [
    "Unit layanan",
    "Nama",
    "Penilaian",
    "Sangat puas",
    "Puas",
    "Kurang puas",
    "Tidak puas",
    "Rata-rata",
    "Puas (%)",
]

T = TypeVar("T")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@dataclass(frozen=True, slots=True)
class IkmRow:
    key: str
    name: str
    result: Ikm


@dataclass(frozen=True, slots=True)
class QuickRow:
    key: str
    name: str
    score: QuickScore


@dataclass(frozen=True, slots=True)
class SurveyReport:
    start: dt.date
    end: dt.date
    overall: Ikm | None
    ikm: dict[str, list[IkmRow]]
    quick_overall: QuickScore
    quick: dict[str, list[QuickRow]]
    # Presses kept but not counted.
    no_ticket: int
    already_rated: int


def survey_report(store: SurveyStore, site: Site, start: dt.date, end: dt.date) -> SurveyReport:
    """Everything the page shows for the tickets of the days `start` to `end`."""
    responses = store.responses(start, end)
    presses = store.presses(start, end)
    counted = [p for p in presses if p.mark == COUNTED]
    keys = _keys(site)
    ikm_rows: dict[str, list[IkmRow]] = {}
    quick_rows: dict[str, list[QuickRow]] = {}
    for group in GROUPS:
        key_of, order, name_of = keys[group]
        ikm_rows[group] = [
            IkmRow(key, name_of(key), result)
            for key, members in _grouped(responses, key_of, order)
            if (result := ikm(r.ratings for r in members)) is not None
        ]
        quick_rows[group] = [
            QuickRow(key, name_of(key), quick_score(p.rating for p in members))
            for key, members in _grouped(counted, key_of, order)
        ]
    return SurveyReport(
        start=start,
        end=end,
        overall=ikm(r.ratings for r in responses),
        ikm=ikm_rows,
        quick_overall=quick_score(p.rating for p in counted),
        quick=quick_rows,
        no_ticket=sum(1 for p in presses if p.mark == NO_TICKET),
        already_rated=sum(1 for p in presses if p.mark == ALREADY_RATED),
    )


Keyed = SurveyResponse | PressRecord


def _keys(
    site: Site,
) -> dict[
    str, tuple[Callable[[Keyed], str], Callable[[str], tuple[int, str]], Callable[[str], str]]
]:
    """Per group: the key of a response or press, the order of keys, the name of a key."""
    services = list(site.services_by_prefix)
    agencies = list(site.agencies_by_id)

    def agency_name(key: str) -> str:
        agency = site.agencies_by_id.get(key)
        return agency.name if agency is not None else ""

    def listed(known: list[str]) -> Callable[[str], tuple[int, str]]:
        return lambda key: (known.index(key) if key in known else len(known), key)

    return {
        "services": (
            lambda r: r.service or NOBODY,
            listed(services),
            partial(common.service_name, site),
        ),
        "agencies": (lambda r: r.agency or NOBODY, listed(agencies), agency_name),
        "counters": (
            lambda r: str(r.counter) if r.counter is not None else NOBODY,
            lambda key: (int(key) if key.isdigit() else 1 << 30, key),
            partial(common.counter_name, site),
        ),
    }


def _grouped(
    items: Iterable[T], key: Callable[[T], str], order: Callable[[str], tuple[int, str]]
) -> list[tuple[str, list[T]]]:
    groups: dict[str, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return [(name, groups[name]) for name in sorted(groups, key=order)]


# -- pages -----------------------------------------------------------------------------


@bp.get("/reports/ikm")
@login_required(Role.ADMIN, Role.MANAGER)
def index() -> str | tuple[str, int]:
    return common.report_page("reports_ikm.html", _page)


def _page(start: dt.date, end: dt.date) -> dict[str, Any]:
    data = _report(start, end)
    return {
        "data": data,
        "summary": _summary(data.overall),
        "chart": _chart(data.overall),
        "ikm_tables": [_ikm_table(data, group, page=True) for group in GROUPS],
        "quick_summary": _quick_summary(data),
        "quick_tables": [_quick_table(data, group, page=True) for group in GROUPS],
    }


@bp.get("/reports/ikm/<any(services, agencies, counters):group>.csv")
@login_required(Role.ADMIN, Role.MANAGER)
def export(group: str) -> Response:
    return common.csv_download(
        f"ikm-{group}", lambda start, end: _ikm_table(_report(start, end), group, page=False)
    )


@bp.get("/reports/ikm/quick-<any(services, agencies, counters):group>.csv")
@login_required(Role.ADMIN, Role.MANAGER)
def export_quick(group: str) -> Response:
    return common.csv_download(
        f"skor-cepat-{group}",
        lambda start, end: _quick_table(_report(start, end), group, page=False),
    )


def _report(start: dt.date, end: dt.date) -> SurveyReport:
    ctx = context()
    with closing(SurveyStore(ctx.database)) as store:
        return survey_report(store, ctx.site, start, end)


def _ikm_table(data: SurveyReport, group: str, *, page: bool) -> common.Table:
    """The page's table (respondents first, both indexes) or the agency layout (CSV)."""
    number = _page_number if page else _csv_number
    rows = [_ikm_cells(row.key, row.name, row.result, number, page) for row in data.ikm[group]]
    if not page and data.overall is not None:
        rows.append(_ikm_cells("", "Seluruh unit layanan", data.overall, number, page))
    if page:
        headers = [
            t("ikm_unit"),
            t("ikm_name"),
            t("ikm_respondents"),
            *(element.code for element in ELEMENTS),
            t("ikm_index"),
            t("ikm_score"),
            t("ikm_grade"),
            t("ikm_performance"),
        ]
    else:
        headers = list(IKM_CSV_HEADERS)
    title = t(IKM_TITLES[group])
    url = common.csv_url("ikm_reports.export", data.start, data.end, group=group)
    return common.Table(group, title, headers, rows, 2, url, _nowrap(group))


def _ikm_cells(
    key: str, name: str, result: Ikm, number: Callable[[Decimal], str], page: bool
) -> list[str]:
    means = [number(_decimal(mean, 2)) for mean in result.element_means]
    performance = (
        result.grade.performance_en if page and language() == "en" else result.grade.performance
    )
    if page:
        return [
            key,
            name,
            str(result.respondents),
            *means,
            number(_decimal(result.index, 3)),
            number(result.score),
            result.grade.letter,
            performance,
        ]
    return [
        key,
        name,
        *means,
        number(result.score),
        result.grade.letter,
        performance,
        str(result.respondents),
    ]


def _quick_table(data: SurveyReport, group: str, *, page: bool) -> common.Table:
    number = _page_number if page else _csv_number
    rows = [_quick_cells(row.key, row.name, row.score, number) for row in data.quick[group]]
    if not page and data.quick_overall.presses:
        rows.append(_quick_cells("", "Seluruh unit layanan", data.quick_overall, number))
    if page:
        headers = [
            t("ikm_unit"),
            t("ikm_name"),
            t("quick_presses"),
            *(t(f"quick_{choice}") for choice in QUICK_ORDER),
            t("quick_mean"),
            t("quick_satisfied"),
        ]
    else:
        headers = list(QUICK_CSV_HEADERS)
    title = t(QUICK_TITLES[group])
    url = common.csv_url("ikm_reports.export_quick", data.start, data.end, group=group)
    return common.Table(group, title, headers, rows, 2, url, _nowrap(group))


def _nowrap(group: str) -> frozenset[int]:
    """A counter's number and name ("Loket 1") stay on one line; a service's name wraps."""
    return frozenset({0, 1}) if group == "counters" else frozenset()


def _quick_cells(
    key: str, name: str, score: QuickScore, number: Callable[[Decimal], str]
) -> list[str]:
    mean = number(_decimal(score.mean, 2)) if score.mean is not None else NOBODY
    percent = number(score.satisfied_percent) if score.satisfied_percent is not None else NOBODY
    return [
        key,
        name,
        str(score.presses),
        *(str(score.counts[choice]) for choice in QUICK_ORDER),
        mean,
        percent,
    ]


def _summary(overall: Ikm | None) -> list[tuple[str, str]]:
    if overall is None:
        return [(t("ikm_respondents"), "0")]
    english = language() == "en"
    return [
        (t("ikm_respondents"), str(overall.respondents)),
        (t("ikm_index"), _page_number(_decimal(overall.index, 3))),
        (t("ikm_score"), _page_number(overall.score)),
        (t("ikm_grade"), overall.grade.letter),
        (
            t("ikm_performance"),
            overall.grade.performance_en if english else overall.grade.performance,
        ),
    ]


def _quick_summary(data: SurveyReport) -> list[tuple[str, str]]:
    score = data.quick_overall
    return [
        (t("quick_presses"), str(score.presses)),
        *((t(f"quick_{choice}"), str(score.counts[choice])) for choice in QUICK_ORDER),
        (
            t("quick_mean"),
            _page_number(_decimal(score.mean, 2)) if score.mean is not None else NOBODY,
        ),
        (
            t("quick_satisfied"),
            _page_number(score.satisfied_percent)
            if score.satisfied_percent is not None
            else NOBODY,
        ),
        (t("quick_no_ticket"), str(data.no_ticket)),
        (t("quick_already_rated"), str(data.already_rated)),
    ]


def _chart(overall: Ikm | None) -> Markup | None:
    if overall is None:
        return None
    english = language() == "en"
    bars = [
        Bar(
            element.code,
            float(mean),
            _page_number(_decimal(mean, 2)),
            element.name_en if english else element.name,
        )
        for element, mean in zip(ELEMENTS, overall.element_means, strict=True)
    ]
    return bar_chart(bars, title=t("ikm_chart"), chart_id="chart-ikm", number=common.axis_number)


# -- numbers -----------------------------------------------------------------------------


def _decimal(value: Fraction, places: int) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _page_number(value: Decimal) -> str:
    """A decimal comma in Bahasa Indonesia."""
    return common.decimal_comma(str(value))


def _csv_number(value: Decimal) -> str:
    return str(value)
