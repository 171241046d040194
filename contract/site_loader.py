"""Loads a site TOML file into a `Site` and checks it whole, before anything starts.

Every error is a `ConfigError` naming the file, the key and what is wrong, so a
technician at 7 a.m. can fix the line without reading code.
"""

import datetime as dt
import re
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path

import msgspec

from contract.errors import ConfigError
from contract.site import WEEKDAYS, Scanner, Service, Site, site_from_mapping


def load_site(path: str | Path) -> Site:
    """Reads, types and checks a site file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(str(path), "", f"cannot read the file ({e.strerror})") from e
    except UnicodeDecodeError as e:
        raise ConfigError(str(path), "", "the file is not UTF-8 text") from e
    return parse_site(text, source=str(path))


def parse_site(text: str, source: str = "<site>") -> Site:
    """Types and checks the text of a site file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(source, "", f"not valid TOML: {e}") from e
    try:
        site = site_from_mapping(data)
    except msgspec.ValidationError as e:
        key, problem = _split_validation_error(str(e))
        raise ConfigError(source, key, problem) from e
    problems = list(find_problems(site))
    if problems:
        key, problem = problems[0]
        raise ConfigError(source, key, problem)
    return site


_PATH = re.compile(r"^(?P<problem>.*) - at `\$(?P<path>[^`]*)`$", re.DOTALL)


_FIELD = re.compile(r"^Object (?:contains unknown|missing required) field `(?P<field>[^`]+)`$")


def _split_validation_error(message: str) -> tuple[str, str]:
    """msgspec says "Expected `int` - at `$.services[0].daily_quota`"; split it.

    For a misspelt or missing key msgspec names the table; the key itself is
    what the technician looks for, so it goes on the path.
    """
    match = _PATH.match(message)
    path, problem = (match["path"].removeprefix("."), match["problem"]) if match else ("", message)
    field = _FIELD.match(problem)
    if field:
        path = f"{path}.{field['field']}" if path else field["field"]
    return path, problem


def find_problems(site: Site) -> Iterable[tuple[str, str]]:
    """Every mistake a type cannot catch, as (key, problem), in file order."""
    yield from _reused(
        "agency id", [(f"agencies[{i}].id", a.id) for i, a in enumerate(site.agencies)]
    )
    yield from _reused(
        "schedule id", [(f"schedules[{i}].id", s.id) for i, s in enumerate(site.schedules)]
    )
    yield from _reused(
        "prefix", [(f"services[{i}].prefix", s.prefix) for i, s in enumerate(site.services)]
    )
    yield from _reused(
        "counter number", [(f"counters[{i}].number", c.number) for i, c in enumerate(site.counters)]
    )
    yield from _reused(
        "device id",
        [(f"kiosks[{i}].id", k.id) for i, k in enumerate(site.kiosks)]
        + [(f"displays[{i}].id", d.id) for i, d in enumerate(site.displays)]
        + [(f"survey_units[{i}].id", u.id) for i, u in enumerate(site.survey_units)],
    )

    for i, schedule in enumerate(site.schedules):
        for day in WEEKDAYS:
            periods = getattr(schedule, day)
            for j in range(1, len(periods)):
                if periods[j].start < periods[j - 1].end:
                    yield (
                        f"schedules[{i}].{day}[{j}]",
                        f"periods must be in order and must not overlap "
                        f"({periods[j - 1]} then {periods[j]})",
                    )

    prefixes = site.services_by_prefix
    for i, service in enumerate(site.services):
        if service.agency not in site.agencies_by_id:
            yield f"services[{i}].agency", f"unknown agency {service.agency!r}"
        if service.schedule not in site.schedules_by_id:
            yield f"services[{i}].schedule", f"unknown schedule {service.schedule!r}"
        if not site.counters_serving(service.prefix):
            yield f"services[{i}]", f"no counter serves service {service.prefix!r}"
        if service.booking is not None and service.schedule in site.schedules_by_id:
            yield from booking_problems(f"services[{i}].booking", service, site)

    for i, counter in enumerate(site.counters):
        if not counter.services:
            yield f"counters[{i}].services", "a counter must serve at least one service"
        for j, prefix in enumerate(counter.services):
            if prefix not in prefixes:
                yield f"counters[{i}].services[{j}]", f"unknown service {prefix!r}"
        yield from _reused(
            "service", [(f"counters[{i}].services[{j}]", p) for j, p in enumerate(counter.services)]
        )

    for i, kiosk in enumerate(site.kiosks):
        where = f"kiosks[{i}]"
        if not kiosk.buttons:
            yield f"{where}.buttons", "a kiosk needs at least one service button"
        for key in kiosk.printer.missing_connection_keys():
            yield f"{where}.printer.{key}", f"a {kiosk.printer.type} printer needs {key}"
        for j, button in enumerate(kiosk.buttons):
            if button.service not in prefixes:
                yield f"{where}.buttons[{j}].service", f"unknown service {button.service!r}"
        yield from _reused(
            "service",
            [(f"{where}.buttons[{j}].service", b.service) for j, b in enumerate(kiosk.buttons)],
        )
        yield from _reused("pin", [(f"{where}.{key}", pin) for key, pin in kiosk.pins()])
        if kiosk.priority_led_pin is not None and kiosk.priority_button_pin is None:
            yield f"{where}.priority_led_pin", "a priority LED needs a priority_button_pin"
        if kiosk.scanner is not None:
            yield from _scanner_problems(f"{where}.scanner", kiosk.scanner)

    for i, display in enumerate(site.displays):
        for j, prefix in enumerate(display.services):
            if prefix not in prefixes:
                yield f"displays[{i}].services[{j}]", f"unknown service {prefix!r}"

    for i, unit in enumerate(site.survey_units):
        where = f"survey_units[{i}]"
        if not unit.counters:
            yield f"{where}.counters", "a survey unit must serve at least one counter"
        for j, number in enumerate(unit.counters):
            if number not in site.counters_by_number:
                yield f"{where}.counters[{j}]", f"unknown counter {number}"
        yield from _reused(
            "counter", [(f"{where}.counters[{j}]", n) for j, n in enumerate(unit.counters)]
        )
        yield from _reused("pin", [(f"{where}.{key}", pin) for key, pin in unit.pins()])

    if site.hub is not None:
        # The files are read by antre-provision, wherever it runs from.
        for key in ("ca_file", "credentials"):
            if not getattr(site.hub, key).startswith("/"):
                yield f"hub.{key}", "must be an absolute path (/etc/antre/...)"


def _scanner_problems(where: str, scanner: Scanner) -> Iterable[tuple[str, str]]:
    """A scanner's device must be a device file of its kind; the other kind's keys are errors."""
    if scanner.type == "keyboard":
        if not scanner.device.startswith("/dev/input/"):
            yield (
                f"{where}.device",
                f"a keyboard scanner is an input device under /dev/input/ (e.g. "
                f"/dev/input/by-id/usb-...-event-kbd), not {scanner.device!r}",
            )
        if scanner.baud is not None:
            yield f"{where}.baud", "baud is for a serial scanner; a keyboard scanner has none"
        return
    if not scanner.device.startswith("/dev/"):
        yield (
            f"{where}.device",
            f"a serial scanner is a device under /dev/ (e.g. /dev/ttyACM0), not {scanner.device!r}",
        )
    if scanner.grab is not None:
        yield f"{where}.grab", "grab is for a keyboard scanner; a serial port is the kiosk's alone"


def booking_problems(where: str, service: Service, site: Site) -> Iterable[tuple[str, str]]:
    """What is wrong with a service's booking rules: sessions that overlap, fall outside
    the opening hours or do not divide into whole slots, and a quota that cannot keep
    what it promises."""
    rules = service.booking
    if rules is None:
        return
    schedule = site.schedule_of(service)
    for day in WEEKDAYS:
        sessions = getattr(rules.sessions, day)
        periods = getattr(schedule, day)
        for j, session in enumerate(sessions):
            key = f"{where}.sessions.{day}[{j}]"
            if j and session.period.start < sessions[j - 1].period.end:
                yield (
                    key,
                    (
                        f"sessions must be in order and must not overlap "
                        f"({sessions[j - 1]} then {session})"
                    ),
                )
            if not any(
                p.start <= session.period.start and session.period.end <= p.end for p in periods
            ):
                hours = ", ".join(str(p) for p in periods) or "closed"
                yield key, f"session {session} is outside the opening hours ({hours})"
            length = _minutes(session.period.end) - _minutes(session.period.start)
            if length % rules.slot_minutes:
                yield (
                    key,
                    (f"session {session} does not divide into {rules.slot_minutes}-minute slots"),
                )
        if service.daily_quota is not None and rules.kept_for_bookings is None:
            capacity = sum(session.capacity for session in sessions)
            if capacity > service.daily_quota:
                yield (
                    f"{where}.sessions.{day}",
                    (
                        f"the sessions offer {capacity} places, more than the daily quota "
                        f"({service.daily_quota}): lower them or set kept_for_bookings"
                    ),
                )
    kept = rules.kept_for_bookings
    if kept is not None and service.daily_quota is not None and kept > service.daily_quota:
        yield (
            f"{where}.kept_for_bookings",
            (
                f"{kept} places kept for bookings is more than the daily quota "
                f"({service.daily_quota})"
            ),
        )


def _minutes(moment: dt.time) -> int:
    return moment.hour * 60 + moment.minute


def _reused(noun: str, entries: Sequence[tuple[str, object]]) -> Iterable[tuple[str, str]]:
    """One problem for each (key, value) whose value an earlier key already took."""
    first_key: dict[object, str] = {}
    for key, value in entries:
        if value in first_key:
            yield key, f"{noun} {value!r} is already used by {first_key[value]}"
        else:
            first_key[value] = key
