"""Administration: the notice line, the devices, services and counters, staff accounts.

Managers and administrators see everything here; only administrators manage staff.
Services and counters are edited live (names, quotas, hours, counters' services): an
edit is checked like the site file, kept as overrides in the central's database and in
effect at once; adding or removing them still takes the site file and a restart. Every
form is validated here and answers in the visitor's language; bad input gives a message,
never an error page.
"""

import datetime as dt
import logging
import math
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from msgspec.structs import replace
from werkzeug.wrappers import Response

from broker.engine.engine import QueueEngine
from broker.site_overrides import SETTING as OVERRIDES
from broker.site_overrides import changed_fields, dump_overrides, overrides_between, site_problems
from broker.web.accounts import MIN_PASSWORD_LENGTH, AccountError, Role, User
from broker.web.context import context
from broker.web.i18n import t
from broker.web.security import current_user, login_required
from contract.errors import AntreError
from contract.messages import DeviceStatus
from contract.site import WEEKDAYS, Counter, Period, Schedule, Service, Site, SurveyUnit

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__)

NOTICE_MAX = 300
NAME_MAX = 120
LABEL_MAX = 60
USERNAME_MAX = 40
USERNAME = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
# Printer states that stop a kiosk printing, and one that needs a roll soon.
PRINTER_DOWN = frozenset({"paper_out", "cover_open", "offline"})
PRINTER_WARN = frozenset({"paper_near_end"})
DEVICE_STATES = ("online", "offline", "lost", "never")

managers_only = login_required(Role.ADMIN, Role.MANAGER)
admins_only = login_required(Role.ADMIN)

Page = str | Response | tuple[str, int]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


class Invalid(ValueError):
    """A form value that cannot be used, or a live edit refused; the message is for the
    visitor, `status` the page's status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# -- overview and the notice line ----------------------------------------------------


@bp.get("/admin/")
@managers_only
def index() -> Page:
    return _index()


@bp.post("/admin/notice")
@managers_only
def notice() -> Page:
    raw = request.form.get("notice", "")
    try:
        text = clean_notice(raw)
    except Invalid as e:
        return _index(error=str(e), draft=raw), 400
    ctx = context()
    try:
        ctx.set_notice(text)
    except Exception:  # the publisher failed: say so, keep the old line
        log.exception("could not publish the notice")
        return _index(error=t("adm_notice_failed"), draft=raw), 503
    ctx.notice = text
    flash(t("adm_notice_saved") if text else t("adm_notice_cleared"), "ok")
    return redirect(url_for("admin.index"))


def clean_notice(raw: str) -> str:
    """The notice as the displays will scroll it: one trimmed line, not too long."""
    text = raw.strip()
    if len(text) > NOTICE_MAX:
        raise Invalid(t("adm_notice_too_long").format(limit=NOTICE_MAX, length=len(text)))
    if _has_control(text):
        raise Invalid(t("adm_notice_control"))
    return text


def _index(error: str = "", draft: str | None = None) -> str:
    ctx = context()
    rows = device_rows(ctx.site, ctx.devices.copy())
    return render_template(
        "admin_index.html",
        notice=ctx.notice if draft is None else draft,
        notice_max=NOTICE_MAX,
        error=error,
        counts=_counts(rows),
        alerts=[row for row in rows if row.alarm],
        warnings=[row for row in rows if row.warning and not row.alarm],
    )


# -- devices -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceRow:
    """One kiosk or display (or another device that reported) as the pages show it."""

    id: str
    name: str
    kind: str
    state: str
    printer: str = ""
    outbox: str = ""
    offline_pending: str = ""
    version: str = ""
    seen: str = ""
    problems: list[str] = field(default_factory=list)
    alarm: bool = False
    warning: bool = False

    @property
    def state_label(self) -> str:
        return t(f"adm_state_{self.state}")

    @property
    def printer_label(self) -> str:
        if not self.printer:
            return ""
        label = t(f"adm_printer_{self.printer}")
        return self.printer if label.startswith("adm_printer_") else label

    @property
    def kind_label(self) -> str:
        return t(f"adm_kind_{self.kind}")


def device_rows(site: Site, devices: dict[str, DeviceStatus]) -> list[DeviceRow]:
    """Every kiosk, display and survey unit of the site file, then any other device that
    reported."""
    rows = [_device_row(site, k.id, k.name, "kiosk", devices.get(k.id)) for k in site.kiosks]
    rows += [_device_row(site, d.id, d.name, "display", devices.get(d.id)) for d in site.displays]
    rows += [
        _device_row(site, u.id, _survey_label(u), "survey", devices.get(u.id))
        for u in site.survey_units
    ]
    known = {row.id for row in rows}
    rows += [
        _device_row(site, device_id, "", "other", status)
        for device_id, status in sorted(devices.items())
        if device_id not in known
    ]
    return rows


def _survey_label(unit: SurveyUnit) -> str:
    counters = ", ".join(str(number) for number in unit.counters)
    return f"{unit.id} ({t('adm_survey_at')} {counters})"


def _device_row(
    site: Site, device_id: str, name: str, kind: str, status: DeviceStatus | None
) -> DeviceRow:
    label = name or device_id
    if status is None:
        return DeviceRow(device_id, label, kind, "never")
    health = status.health
    printer = str(health.get("printer", "")) if kind == "kiosk" else ""
    problems: list[str] = []
    alarm = warning = False
    if status.state == "lost":
        problems.append(t("adm_problem_lost"))
        # A lost survey unit is worth a look, not an alarm: the queue goes on without it.
        alarm = kind in ("kiosk", "display")
        warning = True
    elif status.state == "offline":
        problems.append(t("adm_problem_offline"))
        warning = True
    if printer in PRINTER_DOWN:
        problems.append(t(f"adm_printer_{printer}"))
        alarm = True
    elif printer in PRINTER_WARN:
        problems.append(t(f"adm_printer_{printer}"))
        warning = True
    return DeviceRow(
        id=device_id,
        name=label,
        kind=kind,
        state=status.state,
        printer=printer,
        outbox=_figure(health.get("outbox")),
        offline_pending=_figure(health.get("offline_pending")),
        version=status.version or str(health.get("version", "")),
        seen=_local_time(site, status.at),
        problems=problems,
        alarm=alarm,
        warning=warning,
    )


def _counts(rows: Iterable[DeviceRow]) -> dict[str, int]:
    counts = dict.fromkeys(DEVICE_STATES, 0)
    for row in rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    return counts


def _figure(value: object) -> str:
    return "" if value is None or isinstance(value, bool) else str(value)


def _local_time(site: Site, text: str) -> str:
    """An ISO time from a device, in the site's zone; as sent when it cannot be read."""
    if not text:
        return ""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        return text
    return moment.astimezone(site.site.timezone).strftime("%Y-%m-%d %H:%M:%S %Z")


@bp.get("/admin/devices")
@managers_only
def devices() -> Page:
    ctx = context()
    rows = device_rows(ctx.site, ctx.devices.copy())
    return render_template("admin_devices.html", rows=rows, counts=_counts(rows))


# -- services and counters: shown, and edited live -------------------------------------
#
# An edit builds a new site (nothing is changed in place), checks it as the site file is
# checked, saves what differs from the file as overrides in the central's database, then
# swaps the site in everywhere it is held. Edits are made one at a time.

_EDITS = threading.Lock()
# The field names of the forms, as the i18n labels name them.
FIELD_LABELS = {
    "name": "adm_name",
    "name_en": "adm_name_en",
    "daily_quota": "adm_quota",
    "cutoff_minutes": "adm_cutoff_minutes",
    "expected_service_minutes": "adm_expected",
    "schedule": "adm_schedule",
    "services": "adm_services",
    **{day: f"adm_day_{day}" for day in WEEKDAYS},
}
NUMBER_MAX = 6


@dataclass(frozen=True, slots=True)
class ServiceRow:
    prefix: str
    name: str
    agency: str
    quota: int | None
    hours: list[tuple[str, str]]
    cutoff: int
    counters: list[int]
    waiting: int
    issued: int
    # Labels of the fields a live edit changed (empty: as in the file).
    changed: list[str] = field(default_factory=list)
    hours_changed: bool = False


@bp.get("/admin/services")
@managers_only
def services() -> Page:
    ctx = context()
    site, file_site = ctx.site, _file_site()

    def today(engine: QueueEngine) -> dict[str, tuple[int, int]]:
        return {
            s.prefix: (engine.waiting_count(s.prefix), engine.issued_count(s.prefix))
            for s in site.services
        }

    counts = ctx.queue.read(today)
    rows = [
        ServiceRow(
            prefix=service.prefix,
            name=service.name,
            agency=site.agencies_by_id[service.agency].name,
            quota=service.daily_quota,
            hours=weekly_hours(site.schedule_of(service)),
            cutoff=service.cutoff_minutes,
            counters=[counter.number for counter in site.counters_serving(service.prefix)],
            waiting=counts[service.prefix][0],
            issued=counts[service.prefix][1],
            changed=_labels(changed_fields(file_site.services_by_prefix[service.prefix], service)),
            hours_changed=_schedule_changed(site, file_site, service.schedule),
        )
        for service in site.services
    ]
    return render_template("admin_services.html", rows=rows)


def weekly_hours(schedule: Schedule) -> list[tuple[str, str]]:
    """(days, hours) with runs of weekdays that keep the same hours joined: Sen-Kam."""
    days: list[tuple[str, str]] = []
    for weekday in WEEKDAYS:
        periods = getattr(schedule, weekday)
        days.append((weekday, ", ".join(str(p) for p in periods) or t("adm_closed")))
    runs: list[tuple[str, str, str]] = []
    for weekday, hours in days:
        if runs and runs[-1][2] == hours:
            runs[-1] = (runs[-1][0], weekday, hours)
        else:
            runs.append((weekday, weekday, hours))
    return [
        (_day(first) if first == last else f"{_day(first)}-{_day(last)}", hours)
        for first, last, hours in runs
    ]


def _day(weekday: str) -> str:
    return t(f"adm_day_{weekday}")


@bp.get("/admin/services/<prefix>")
@managers_only
def edit_service(prefix: str) -> Page:
    return _service_page(_service_or_404(prefix))


@bp.post("/admin/services/<prefix>")
@managers_only
def save_service(prefix: str) -> Page:
    service = _service_or_404(prefix)
    try:
        changes = parse_service_form(request.form)
        _edit(lambda site: _with_service(site, replace(site.services_by_prefix[prefix], **changes)))
    except Invalid as e:
        return _service_page(service, error=str(e), draft=request.form.to_dict()), e.status
    flash(t("adm_site_saved").format(what=f"{t('adm_service')} {prefix}"), "ok")
    return redirect(url_for("admin.services"))


@bp.post("/admin/services/<prefix>/reset")
@managers_only
def reset_service(prefix: str) -> Page:
    service = _service_or_404(prefix)
    original = _file_site().services_by_prefix[prefix]
    try:
        _edit(lambda site: _with_service(site, original))
    except Invalid as e:
        return _service_page(service, error=str(e)), e.status
    flash(t("adm_site_reset").format(what=f"{t('adm_service')} {prefix}"), "ok")
    return redirect(url_for("admin.services"))


@bp.post("/admin/services/<prefix>/hours")
@managers_only
def save_hours(prefix: str) -> Page:
    """The opening hours of the schedule the service uses (shared with other services)."""
    service = _service_or_404(prefix)
    schedule_id = service.schedule
    try:
        periods = parse_hours_form(request.form)
        _edit(
            lambda site: _with_schedule(site, replace(site.schedules_by_id[schedule_id], **periods))
        )
    except Invalid as e:
        return _service_page(service, error=str(e), hours_draft=request.form.to_dict()), e.status
    flash(t("adm_site_saved").format(what=f"{t('adm_schedule')} {schedule_id}"), "ok")
    return redirect(url_for("admin.edit_service", prefix=prefix))


@bp.post("/admin/services/<prefix>/hours/reset")
@managers_only
def reset_hours(prefix: str) -> Page:
    service = _service_or_404(prefix)
    original = _file_site().schedules_by_id.get(service.schedule)
    if original is None:
        abort(404)
    try:
        _edit(lambda site: _with_schedule(site, original))
    except Invalid as e:
        return _service_page(service, error=str(e)), e.status
    flash(t("adm_site_reset").format(what=f"{t('adm_schedule')} {service.schedule}"), "ok")
    return redirect(url_for("admin.edit_service", prefix=prefix))


def parse_service_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The editable fields of a service sent in its form; `Invalid` for what is no value.

    A field the form did not send is left as it is; an empty quota means none. Limits
    (a quota of 0, a name too long) are left to the site's own checks, so that they are
    said exactly as for the site file.
    """
    parsers: dict[str, Callable[[str], object]] = {
        "name": lambda text: _one_line(text, "name"),
        "name_en": lambda text: _one_line(text, "name_en"),
        "daily_quota": lambda text: _whole_number(text, "daily_quota") if text.strip() else None,
        "cutoff_minutes": lambda text: _whole_number(text, "cutoff_minutes"),
        "expected_service_minutes": _minutes,
        "schedule": str.strip,
    }
    return {name: parse(form[name]) for name, parse in parsers.items() if name in form}


def parse_hours_form(form: Mapping[str, str]) -> dict[str, list[Period]]:
    """Each weekday's periods from "08:00-12:00, 13:00-15:00" (empty: closed).

    A day the form did not send is left as it is.
    """
    return {day: parse_periods(form[day], day) for day in WEEKDAYS if day in form}


def parse_periods(text: str, day: str) -> list[Period]:
    periods = []
    for part in text.split(","):
        if not part.strip():
            continue
        try:
            periods.append(Period.parse(part.strip()))
        except ValueError:
            raise Invalid(
                t("adm_err_period").format(field=_label(day), text=part.strip()[:40])
            ) from None
    return periods


def _one_line(raw: str, name: str) -> str:
    text = raw.strip()
    if len(text) > NAME_MAX or _has_control(text):
        raise Invalid(t("adm_err_one_line").format(field=_label(name), limit=NAME_MAX))
    return text


def _whole_number(raw: str, name: str) -> int:
    text = raw.strip()
    if not text.isdigit() or len(text) > NUMBER_MAX:
        raise Invalid(t("adm_err_whole_number").format(field=_label(name), text=text[:20]))
    return int(text)


def _minutes(raw: str) -> float:
    text = raw.strip().replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise Invalid(
            t("adm_err_number").format(field=_label("expected_service_minutes"), text=text[:20])
        )
    return value


def _service_page(
    service: Service,
    error: str = "",
    draft: dict[str, str] | None = None,
    hours_draft: dict[str, str] | None = None,
) -> str:
    site, file_site = context().site, _file_site()
    service = site.services_by_prefix[service.prefix]
    original = file_site.services_by_prefix[service.prefix]
    schedule = site.schedule_of(service)
    changed = changed_fields(original, service)
    values = {
        "name": service.name,
        "name_en": service.name_en,
        "daily_quota": "" if service.daily_quota is None else str(service.daily_quota),
        "cutoff_minutes": str(service.cutoff_minutes),
        "expected_service_minutes": f"{service.expected_service_minutes:g}",
        "schedule": service.schedule,
    }
    hours = {day: ", ".join(str(p) for p in getattr(schedule, day)) for day in WEEKDAYS}
    file_schedule = file_site.schedules_by_id.get(schedule.id)
    hours_changed = changed_fields(file_schedule, schedule) if file_schedule else {}
    return render_template(
        "admin_service_edit.html",
        service=service,
        agency=site.agencies_by_id[service.agency].name,
        values={**values, **(draft or {})},
        file_values={name: _shown(getattr(original, name)) for name in changed},
        schedules=[(s.id, weekly_hours(s)) for s in site.schedules],
        schedule=schedule,
        hours={**hours, **(hours_draft or {})},
        file_hours={day: _shown(getattr(file_schedule, day)) for day in hours_changed},
        sharing=[s.prefix for s in site.services if s.schedule == schedule.id],
        weekdays=[(day, _day(day)) for day in WEEKDAYS],
        error=error,
    )


def _service_or_404(prefix: str) -> Service:
    service = context().site.services_by_prefix.get(prefix)
    if service is None:
        abort(404)
    return service


def _with_service(site: Site, service: Service) -> Site:
    services = [service if s.prefix == service.prefix else s for s in site.services]
    return replace(site, services=services)


def _with_schedule(site: Site, schedule: Schedule) -> Site:
    schedules = [schedule if s.id == schedule.id else s for s in site.schedules]
    return replace(site, schedules=schedules)


def _with_counter(site: Site, counter: Counter) -> Site:
    counters = [counter if c.number == counter.number else c for c in site.counters]
    return replace(site, counters=counters)


@dataclass(frozen=True, slots=True)
class CounterRow:
    number: int
    name: str
    services: list[tuple[str, str]]
    paused: bool
    serving: str
    waiting: int
    changed: list[str] = field(default_factory=list)


@bp.get("/admin/counters")
@managers_only
def counters() -> Page:
    site, file_site = context().site, _file_site()

    def today(engine: QueueEngine) -> list[CounterRow]:
        tickets = {ticket.id: ticket for ticket in engine.tickets()}
        states = {state.number: state for state in engine.counters()}
        rows = []
        for counter in site.counters:
            state = states.get(counter.number)
            current = tickets.get(state.current) if state and state.current else None
            original = file_site.counters_by_number[counter.number]
            rows.append(
                CounterRow(
                    number=counter.number,
                    name=counter.display_name,
                    services=[(p, site.services_by_prefix[p].name) for p in counter.services],
                    paused=bool(state and state.paused),
                    serving=current.number if current else "",
                    waiting=sum(engine.waiting_count(p) for p in counter.services),
                    changed=_labels(changed_fields(original, counter)),
                )
            )
        return rows

    return render_template("admin_counters.html", rows=context().queue.read(today))


@bp.get("/admin/counters/<int:number>")
@managers_only
def edit_counter(number: int) -> Page:
    return _counter_page(_counter_or_404(number))


@bp.post("/admin/counters/<int:number>")
@managers_only
def save_counter(number: int) -> Page:
    counter = _counter_or_404(number)
    form = request.form
    try:
        name = _one_line(form["name"], "name") if "name" in form else None
        # No service ticked sends no `services` at all: that is a counter serving none.
        chosen = form.getlist("services")
        _edit(lambda site: _counter_changed(site, number, name, chosen))
    except Invalid as e:
        return _counter_page(counter, error=str(e), draft=_counter_draft()), e.status
    flash(t("adm_site_saved").format(what=counter.display_name), "ok")
    return redirect(url_for("admin.counters"))


@bp.post("/admin/counters/<int:number>/reset")
@managers_only
def reset_counter(number: int) -> Page:
    counter = _counter_or_404(number)
    original = _file_site().counters_by_number[number]
    try:
        _edit(lambda site: _with_counter(site, original))
    except Invalid as e:
        return _counter_page(counter, error=str(e)), e.status
    flash(t("adm_site_reset").format(what=original.display_name), "ok")
    return redirect(url_for("admin.counters"))


def _counter_changed(site: Site, number: int, name: str | None, chosen: list[str]) -> Site:
    """The site with the counter's name (None: as it is) and services as chosen."""
    current = site.counters_by_number[number]
    services = served_services(site, chosen, current.services)
    named = current.name if name is None else name
    return _with_counter(site, replace(current, name=named, services=services))


def served_services(site: Site, chosen: Iterable[str], current: list[str]) -> list[str]:
    """The chosen prefixes in the site's order (the current order if the set is the same).

    A prefix the site does not have is kept, last, for the checks to name.
    """
    wanted = list(dict.fromkeys(p.strip() for p in chosen if p.strip()))
    if set(wanted) == set(current):
        return list(current)
    known = [s.prefix for s in site.services if s.prefix in wanted]
    return known + [p for p in wanted if p not in site.services_by_prefix]


def _counter_draft() -> dict[str, Any]:
    return {"name": request.form.get("name", ""), "services": request.form.getlist("services")}


def _counter_page(counter: Counter, error: str = "", draft: dict[str, Any] | None = None) -> str:
    site, file_site = context().site, _file_site()
    counter = site.counters_by_number[counter.number]
    original = file_site.counters_by_number[counter.number]
    changed = changed_fields(original, counter)
    values: dict[str, Any] = {"name": counter.name, "services": list(counter.services)}
    return render_template(
        "admin_counter_edit.html",
        counter=counter,
        values={**values, **(draft or {})},
        services=[(s.prefix, s.name) for s in site.services],
        file_values={name: _shown(getattr(original, name)) for name in changed},
        error=error,
    )


def _counter_or_404(number: int) -> Counter:
    counter = context().site.counters_by_number.get(number)
    if counter is None:
        abort(404)
    return counter


def _file_site() -> Site:
    """The site as its file says, before the live edits."""
    ctx = context()
    if ctx.file_site is None:
        ctx.file_site = ctx.site
    return ctx.file_site


def _edit(change: Callable[[Site], Site]) -> None:
    """Makes a live edit, in effect on return; refused, it raises `Invalid` with the status.

    The new site is checked, then its differences from the file are saved, then it
    replaces the old one in the queue (under the queue's lock), here, and at the
    central's worker. A refused or unsaved edit changes nothing.
    """
    ctx = context()
    with _EDITS:
        file_site = _file_site()
        site = change(ctx.site)
        problems = site_problems(site)
        if problems:
            listed = "; ".join(problem_text(key, problem) for key, problem in problems)
            raise Invalid(t("adm_err_site").format(problems=listed), 400)
        try:
            ctx.queue.set_setting(OVERRIDES, dump_overrides(overrides_between(file_site, site)))
        except AntreError:  # a full disk: nothing saved, so nothing applied
            log.exception("could not save the site overrides")
            raise Invalid(t("adm_err_site_save"), 503) from None
        ctx.queue.replace_site(site)
        ctx.site = site
        ctx.replace_site(site)
    log.info("site edited live by %s", getattr(current_user(), "username", "?"))


_NUMBER_LIMIT = re.compile(
    r"^Expected `(?P<type>\w+)`(?P<length> of length)? (?P<op>[<>]=?) (?P<n>\S+)$"
)
_LIMIT_WORDS = {">=": "ge", "<=": "le", ">": "gt", "<": "lt"}
_NO_COUNTER = re.compile(r"^no counter serves service '(?P<prefix>[^']*)'$")
_OVERLAP = re.compile(
    r"^periods must be in order and must not overlap \((?P<first>\S+) then (?P<second>\S+)\)$"
)
_UNKNOWN = re.compile(r"^unknown (?P<what>service|schedule) '(?P<value>[^']*)'$")


def problem_text(key: str, problem: str) -> str:
    """A problem of the site checks in the visitor's language, after its key."""
    words = problem
    if problem == "a counter must serve at least one service":
        words = t("adm_pb_counter_empty")
    elif found := _NO_COUNTER.match(problem):
        words = t("adm_pb_no_counter").format(prefix=found["prefix"])
    elif found := _OVERLAP.match(problem):
        words = t("adm_pb_overlap").format(first=found["first"], second=found["second"])
    elif found := _UNKNOWN.match(problem):
        words = t(f"adm_pb_unknown_{found['what']}").format(value=found["value"])
    elif found := _NUMBER_LIMIT.match(problem):
        kind = "length" if found["length"] else "number"
        words = t(f"adm_pb_{kind}_{_LIMIT_WORDS[found['op']]}").format(n=found["n"])
    return f"{key}: {words}" if key else words


def _labels(fields: Iterable[str]) -> list[str]:
    return [_label(name) for name in fields]


def _label(name: str) -> str:
    return t(FIELD_LABELS.get(name, name))


def _shown(value: object) -> str:
    """A file value as the page shows it beside the live one."""
    if value is None:
        return t("adm_no_quota")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or t("adm_closed")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value) if value != "" else "—"


def _schedule_changed(site: Site, file_site: Site, schedule_id: str) -> bool:
    return file_site.schedules_by_id.get(schedule_id) != site.schedules_by_id[schedule_id]


# -- staff ---------------------------------------------------------------------------


@bp.get("/admin/staff")
@admins_only
def staff() -> Page:
    return _staff()


@bp.post("/admin/staff")
@admins_only
def create_user() -> Page:
    form = request.form
    accounts = context().accounts
    try:
        username = _username(form.get("username", ""))
        if accounts.by_username(username) is not None:
            raise Invalid(t("adm_err_username_taken").format(username=username))
        name = _name(form.get("name", ""), username)
        role = _role(form.get("role", ""))
        numbers = parse_counters(form.get("counters", ""), context().site, role)
        password = _password(form.get("password", ""), form.get("password2", ""))
        user = accounts.create(username, name, role, password, tuple(numbers))
    except (Invalid, AccountError) as e:
        return _staff(error=str(e), draft=form.to_dict()), 400
    flash(t("adm_user_created").format(username=user.username), "ok")
    return redirect(url_for("admin.staff"))


@bp.post("/admin/staff/<int:user_id>")
@admins_only
def update_user(user_id: int) -> Page:
    user = _user_or_404(user_id)
    form = request.form
    try:
        role = _role(form.get("role", ""))
        numbers = parse_counters(form.get("counters", ""), context().site, role)
        disabled = form.get("disabled") == "on"
        name = _name(form.get("name", ""), user.username)
        me = current_user()
        if me is not None and me.id == user.id and (disabled or role is not Role.ADMIN):
            raise Invalid(t("adm_err_self"))
        context().accounts.update(
            user.id, name=name, role=role, counters=numbers, disabled=disabled
        )
    except (Invalid, AccountError) as e:
        return _staff(error=f"{user.username}: {e}"), 400
    flash(t("adm_user_saved").format(username=user.username), "ok")
    return redirect(url_for("admin.staff"))


@bp.post("/admin/staff/<int:user_id>/password")
@admins_only
def reset_password(user_id: int) -> Page:
    user = _user_or_404(user_id)
    try:
        password = _password(request.form.get("password", ""), request.form.get("password2", ""))
        context().accounts.set_password(user.id, password)
    except (Invalid, AccountError) as e:
        return _staff(error=f"{user.username}: {e}"), 400
    flash(t("adm_password_set").format(username=user.username), "ok")
    return redirect(url_for("admin.staff"))


@bp.post("/admin/staff/<int:user_id>/token")
@admins_only
def create_token(user_id: int) -> Page:
    user = _user_or_404(user_id)
    try:
        if user.disabled:
            raise Invalid(t("adm_err_token_disabled"))
        label = request.form.get("label", "").strip() or "API"
        if len(label) > LABEL_MAX or _has_control(label):
            raise Invalid(t("adm_err_label").format(limit=LABEL_MAX))
        token = context().accounts.new_token(user, label)
    except (Invalid, AccountError) as e:
        return _staff(error=f"{user.username}: {e}"), 400
    # Shown this once: never stored in clear, never cached.
    response = Response(_staff(new_token=(user, label, token)), mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _staff(
    error: str = "",
    draft: dict[str, Any] | None = None,
    new_token: tuple[User, str, str] | None = None,
) -> str:
    ctx = context()
    return render_template(
        "admin_staff.html",
        users=ctx.accounts.all(),
        roles=list(Role),
        error=error,
        draft=draft or {},
        new_token=new_token,
        min_password=MIN_PASSWORD_LENGTH,
        counter_numbers=", ".join(str(c.number) for c in ctx.site.counters),
        me=current_user(),
    )


def _user_or_404(user_id: int) -> User:
    user = context().accounts.get(user_id)
    if user is None:
        abort(404)
    return user


def parse_counters(text: str, site: Site, role: Role) -> list[int]:
    """Counter numbers from "1, 2" (commas or spaces), each a counter of the site."""
    numbers: list[int] = []
    for part in re.split(r"[,\s]+", text.strip()):
        if not part:
            continue
        if not part.isdigit() or len(part) > 6:
            raise Invalid(t("adm_err_counters_format").format(part=part[:20]))
        number = int(part)
        if number not in site.counters_by_number:
            raise Invalid(t("adm_err_counter_unknown").format(number=number))
        if number not in numbers:
            numbers.append(number)
    if role is Role.CLERK and not numbers:
        raise Invalid(t("adm_err_clerk_counters"))
    return sorted(numbers)


def _username(raw: str) -> str:
    username = raw.strip().lower()
    if not username:
        raise Invalid(t("adm_err_username_missing"))
    if len(username) > USERNAME_MAX or not USERNAME.match(username):
        raise Invalid(t("adm_err_username").format(limit=USERNAME_MAX))
    return username


def _name(raw: str, username: str) -> str:
    name = raw.strip()
    if len(name) > NAME_MAX or _has_control(name):
        raise Invalid(t("adm_err_name").format(limit=NAME_MAX))
    return name or username


def _role(raw: str) -> Role:
    try:
        return Role(raw)
    except ValueError:
        raise Invalid(t("adm_err_role")) from None


def _password(password: str, again: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(t("adm_err_password_short").format(limit=MIN_PASSWORD_LENGTH))
    if password != again:
        raise Invalid(t("adm_err_password_mismatch"))
    return password


def _has_control(text: str) -> bool:
    """Control characters and line breaks: none belongs in a one-line text."""
    return any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text)
