"""The services pages: the list with today's figures, and a service's live edit (names,
quota, cut-off, expected minutes, opening hours, booking rules)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import (
    render_template,
    request,
    url_for,
)
from msgspec.structs import replace

from broker.engine.engine import QueueEngine
from broker.site_overrides import changed_fields
from broker.web.admin.common import Invalid, Page, bp, found_or_404, managers_only
from broker.web.admin.service_bookings import booking_values, parse_booking_form
from broker.web.admin.site_edits import (
    field_label,
    field_labels_of,
    minutes_value,
    one_line,
    reset_to_file,
    save_edit,
    schedule_changed,
    shown_value,
    site_as_filed,
    whole_number,
    with_schedule,
    with_service,
)
from broker.web.context import context
from broker.web.i18n import t
from contract.site import WEEKDAYS, Period, Schedule, Service, Site


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
    site, file_site = ctx.site, site_as_filed()

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
            changed=field_labels_of(
                changed_fields(file_site.services_by_prefix[service.prefix], service)
            ),
            hours_changed=schedule_changed(site, file_site, service.schedule),
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
        (_day_name(first) if first == last else f"{_day_name(first)}-{_day_name(last)}", hours)
        for first, last, hours in runs
    ]


def _day_name(weekday: str) -> str:
    return t(f"adm_day_{weekday}")


@bp.get("/admin/services/<prefix>")
@managers_only
def edit_service(prefix: str) -> Page:
    return _service_page(_service_or_404(prefix))


@bp.post("/admin/services/<prefix>")
@managers_only
def save_service(prefix: str) -> Page:
    service = _service_or_404(prefix)
    return save_edit(
        lambda site: _service_as_sent(site, prefix, request.form),
        _service_called(prefix),
        then=url_for("admin.services"),
        again=lambda error: _service_page(service, error=error, draft=request.form.to_dict()),
    )


@bp.post("/admin/services/<prefix>/reset")
@managers_only
def reset_service(prefix: str) -> Page:
    service = _service_or_404(prefix)
    original = site_as_filed().services_by_prefix[prefix]
    return reset_to_file(
        lambda site: with_service(site, original),
        _service_called(prefix),
        then=url_for("admin.services"),
        again=lambda error: _service_page(service, error=error),
    )


@bp.post("/admin/services/<prefix>/hours")
@managers_only
def save_hours(prefix: str) -> Page:
    """The opening hours of the schedule the service uses (shared with other services)."""
    service = _service_or_404(prefix)
    return save_edit(
        lambda site: _hours_as_sent(site, service.schedule, request.form),
        _schedule_called(service.schedule),
        then=url_for("admin.edit_service", prefix=prefix),
        again=lambda error: _service_page(service, error=error, hours_draft=request.form.to_dict()),
    )


@bp.post("/admin/services/<prefix>/booking")
@managers_only
def save_booking(prefix: str) -> Page:
    """The service's booking rules, saved whole (see `service_bookings`)."""
    service = _service_or_404(prefix)
    return save_edit(
        lambda site: with_service(
            site, replace(site.services_by_prefix[prefix], booking=parse_booking_form(request.form))
        ),
        f"{t('adm_booking')} {prefix}",
        then=url_for("admin.edit_service", prefix=prefix),
        again=lambda error: _service_page(
            service, error=error, booking_draft=request.form.to_dict()
        ),
    )


@bp.post("/admin/services/<prefix>/booking/reset")
@managers_only
def reset_booking(prefix: str) -> Page:
    service = _service_or_404(prefix)
    original = site_as_filed().services_by_prefix[prefix].booking
    return reset_to_file(
        lambda site: with_service(site, replace(site.services_by_prefix[prefix], booking=original)),
        f"{t('adm_booking')} {prefix}",
        then=url_for("admin.edit_service", prefix=prefix),
        again=lambda error: _service_page(service, error=error),
    )


@bp.post("/admin/services/<prefix>/hours/reset")
@managers_only
def reset_hours(prefix: str) -> Page:
    service = _service_or_404(prefix)
    original = found_or_404(site_as_filed().schedules_by_id.get(service.schedule))
    return reset_to_file(
        lambda site: with_schedule(site, original),
        _schedule_called(service.schedule),
        then=url_for("admin.edit_service", prefix=prefix),
        again=lambda error: _service_page(service, error=error),
    )


def _service_as_sent(site: Site, prefix: str, form: Mapping[str, str]) -> Site:
    """The site with the service's fields as its form sends them."""
    changes = parse_service_form(form)
    return with_service(site, replace(site.services_by_prefix[prefix], **changes))


def _hours_as_sent(site: Site, schedule_id: str, form: Mapping[str, str]) -> Site:
    """The site with the schedule's opening hours as the form sends them."""
    periods = parse_hours_form(form)
    return with_schedule(site, replace(site.schedules_by_id[schedule_id], **periods))


def _service_called(prefix: str) -> str:
    return f"{t('adm_service')} {prefix}"


def _schedule_called(schedule_id: str) -> str:
    return f"{t('adm_schedule')} {schedule_id}"


def parse_service_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The editable fields of a service sent in its form; `Invalid` for what is no value.

    A field the form did not send is left as it is; an empty quota means none. Limits
    (a quota of 0, a name too long) are left to the site's own checks, so that they are
    said exactly as for the site file.
    """
    parsers: dict[str, Callable[[str], object]] = {
        "name": lambda text: one_line(text, "name"),
        "name_en": lambda text: one_line(text, "name_en"),
        "daily_quota": lambda text: whole_number(text, "daily_quota") if text.strip() else None,
        "cutoff_minutes": lambda text: whole_number(text, "cutoff_minutes"),
        "expected_service_minutes": minutes_value,
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
                t("adm_err_period").format(field=field_label(day), text=part.strip()[:40])
            ) from None
    return periods


def _service_page(
    service: Service,
    error: str = "",
    draft: dict[str, str] | None = None,
    hours_draft: dict[str, str] | None = None,
    booking_draft: dict[str, str] | None = None,
) -> str:
    site, file_site = context().site, site_as_filed()
    service = site.services_by_prefix[service.prefix]
    original = file_site.services_by_prefix[service.prefix]
    schedule = site.schedule_of(service)
    changed = changed_fields(original, service)
    booking = booking_values(service.booking)
    if booking_draft is not None:
        # An unticked box is not sent: the draft says what the manager left.
        booking = {**booking, "takes_bookings": "", **booking_draft}
    changed.pop("booking", None)
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
        file_values={name: shown_value(getattr(original, name)) for name in changed},
        schedules=[(s.id, weekly_hours(s)) for s in site.schedules],
        schedule=schedule,
        hours={**hours, **(hours_draft or {})},
        file_hours={day: shown_value(getattr(file_schedule, day)) for day in hours_changed},
        sharing=[s.prefix for s in site.services if s.schedule == schedule.id],
        weekdays=[(day, _day_name(day)) for day in WEEKDAYS],
        error=error,
        booking=booking,
        booking_changed=service.booking != original.booking,
    )


def _service_or_404(prefix: str) -> Service:
    return found_or_404(context().site.services_by_prefix.get(prefix))
