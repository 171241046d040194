"""Administration: the notice line, the devices, services and counters, staff accounts.

Managers and administrators see everything here; only administrators manage staff.
Services and counters are shown read-only from the site file for now: editing
them live is planned separately. Every form is validated here and answers in the
visitor's language; bad input gives a message, never an error page.
"""

import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Iterable
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
from werkzeug.wrappers import Response

from broker.engine.engine import QueueEngine
from broker.web.accounts import MIN_PASSWORD_LENGTH, AccountError, Role, User
from broker.web.context import context
from broker.web.i18n import t
from broker.web.security import current_user, login_required
from contract.messages import DeviceStatus
from contract.site import WEEKDAYS, Schedule, Site

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
    """A form value that cannot be used; the message is for the visitor."""


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
    """Every kiosk and display of the site file, then any other device that reported."""
    rows = [_device_row(site, k.id, k.name, "kiosk", devices.get(k.id)) for k in site.kiosks]
    rows += [_device_row(site, d.id, d.name, "display", devices.get(d.id)) for d in site.displays]
    known = {row.id for row in rows}
    rows += [
        _device_row(site, device_id, "", "other", status)
        for device_id, status in sorted(devices.items())
        if device_id not in known
    ]
    return rows


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


# -- services and counters (read-only) -----------------------------------------------


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


@bp.get("/admin/services")
@managers_only
def services() -> Page:
    site = context().site

    def today(engine: QueueEngine) -> dict[str, tuple[int, int]]:
        return {
            s.prefix: (engine.waiting_count(s.prefix), engine.issued_count(s.prefix))
            for s in site.services
        }

    counts = context().queue.read(today)
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


@dataclass(frozen=True, slots=True)
class CounterRow:
    number: int
    name: str
    services: list[tuple[str, str]]
    paused: bool
    serving: str
    waiting: int


@bp.get("/admin/counters")
@managers_only
def counters() -> Page:
    site = context().site

    def today(engine: QueueEngine) -> list[CounterRow]:
        tickets = {ticket.id: ticket for ticket in engine.tickets()}
        states = {state.number: state for state in engine.counters()}
        rows = []
        for counter in site.counters:
            state = states.get(counter.number)
            current = tickets.get(state.current) if state and state.current else None
            rows.append(
                CounterRow(
                    number=counter.number,
                    name=counter.display_name,
                    services=[(p, site.services_by_prefix[p].name) for p in counter.services],
                    paused=bool(state and state.paused),
                    serving=current.number if current else "",
                    waiting=sum(engine.waiting_count(p) for p in counter.services),
                )
            )
        return rows

    return render_template("admin_counters.html", rows=context().queue.read(today))


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
