"""The devices page: every kiosk, display and survey unit, its state and health."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import (
    render_template,
)

from broker.web.admin.common import Page, bp, managers_only
from broker.web.context import context
from broker.web.i18n import t
from contract.health import (
    UNPRINTABLE,
    DeviceState,
    HealthKey,
    PrinterHealth,
    ScannerHealth,
    printer_health,
)
from contract.messages import DeviceStatus
from contract.site import Site, SurveyUnit

# Printer states that stop a kiosk printing, and one that needs a roll soon.
PRINTER_DOWN = UNPRINTABLE
PRINTER_WARN = frozenset({PrinterHealth.PAPER_NEAR_END})
# A device's states on the page: its status's, or never heard of.
NEVER = "never"
DEVICE_STATES = (*DeviceState, NEVER)


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
    self_test: str = ""
    self_test_failed: bool = False
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
        return DeviceRow(device_id, label, kind, NEVER)
    health = status.health
    reported = str(health.get(HealthKey.PRINTER, "")) if kind == "kiosk" else ""
    printer = printer_health(reported)
    problems: list[str] = []
    alarm = warning = False
    if status.state is DeviceState.LOST:
        problems.append(t("adm_problem_lost"))
        # A lost survey unit is worth a look, not an alarm: the queue goes on without it.
        alarm = kind in ("kiosk", "display")
        warning = True
    elif status.state is DeviceState.OFFLINE:
        problems.append(t("adm_problem_offline"))
        warning = True
    if printer in PRINTER_DOWN:
        problems.append(t(f"adm_printer_{printer}"))
        alarm = True
    elif printer in PRINTER_WARN:
        problems.append(t(f"adm_printer_{printer}"))
        warning = True
    scanner = str(health.get(HealthKey.SCANNER, "")) if kind == "kiosk" else ""
    if scanner in (ScannerHealth.MISSING, ScannerHealth.FAILED):
        # The buttons still print; only booked citizens must go to the help desk.
        problems.append(t(f"adm_scanner_{scanner}"))
        warning = True
    self_test, self_test_failed = self_test_text(site, health.get(HealthKey.SELF_TEST))
    if self_test_failed:
        problems.append(f"{t('adm_self_test')} {self_test}")
        warning = True
    return DeviceRow(
        id=device_id,
        name=label,
        kind=kind,
        state=status.state,
        printer=reported,
        outbox=_figure(health.get(HealthKey.OUTBOX)),
        offline_pending=_figure(health.get(HealthKey.OFFLINE_PENDING)),
        version=status.version or str(health.get(HealthKey.VERSION, "")),
        seen=_local_time(site, status.at),
        self_test=self_test,
        self_test_failed=self_test_failed,
        problems=problems,
        alarm=alarm,
        warning=warning,
    )


def self_test_text(site: Site, reported: object) -> tuple[str, bool]:
    """The device's last self-test as the page says it ("lulus, 2026-12-07 07:05" or
    "gagal, ...: tombol B"), and whether it failed; nothing when it has none."""
    if not isinstance(reported, str) or not reported:
        return "", False
    outcome, _, rest = reported.partition(" ")
    when, _, failed = rest.partition(": ")
    when = _local_time(site, when, "%Y-%m-%d %H:%M")
    if outcome == "passed":
        return f"{t('adm_self_test_passed')}, {when}", False
    return f"{t('adm_self_test_failed')}, {when}: {failed}", True


def counts_by_state(rows: Iterable[DeviceRow]) -> dict[str, int]:
    counts = dict.fromkeys(DEVICE_STATES, 0)
    for row in rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    return counts


def _figure(value: object) -> str:
    return "" if value is None or isinstance(value, bool) else str(value)


def _local_time(site: Site, text: str, form: str = "%Y-%m-%d %H:%M:%S %Z") -> str:
    """An ISO time from a device, in the site's zone; as sent when it cannot be read."""
    if not text:
        return ""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        return text
    return moment.astimezone(site.site.timezone).strftime(form)


@bp.get("/admin/devices")
@managers_only
def devices() -> Page:
    ctx = context()
    rows = device_rows(ctx.site, ctx.devices.copy())
    return render_template("admin_devices.html", rows=rows, counts=counts_by_state(rows))
