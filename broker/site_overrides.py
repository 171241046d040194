"""Live edits of the site: what a manager changed, kept on top of the site file.

The site file stays as the technician wrote it, comments and all. What a manager changes
in the web console (a service's name, quota, hours; a counter's name and services) is
kept in the central's database as overrides: only the fields that differ from the file.
The central applies them on top of the file each time it starts.

An edited site is checked like the file itself: every field's type and limits again
(the site goes through msgspec once more), then `find_problems`.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
from msgspec import UNSET, Struct, UnsetType

from contract.errors import AntreError
from contract.site import (
    WEEKDAYS,
    Counter,
    Identifier,
    Minutes,
    Name,
    Period,
    PositiveInt,
    Prefix,
    Schedule,
    Service,
    Site,
    decode_hook,
    encode_hook,
)
from contract.site_bookings import BookingRules
from contract.site_loader import find_problems

log = logging.getLogger(__name__)

# The setting (in the central's database) that holds the overrides, as JSON.
SETTING = "site_overrides"

# The fields that can be changed live; everything else needs the file and a restart.
SERVICE_FIELDS = (
    "name",
    "name_en",
    "daily_quota",
    "cutoff_minutes",
    "expected_service_minutes",
    "schedule",
    "booking",
)
COUNTER_FIELDS = ("name", "services")
SCHEDULE_FIELDS = WEEKDAYS


class _Override(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """Only the fields that differ from the file are set."""

    def fields(self) -> dict[str, object]:
        return {
            name: value
            for name in self.__struct_fields__
            if (value := getattr(self, name)) is not UNSET
        }


class ServiceOverride(_Override, frozen=True):
    name: Name | UnsetType = UNSET
    name_en: str | UnsetType = UNSET
    daily_quota: PositiveInt | UnsetType | None = UNSET
    cutoff_minutes: Minutes | UnsetType = UNSET
    expected_service_minutes: float | UnsetType = UNSET
    schedule: Identifier | UnsetType = UNSET
    # The booking rules are replaced whole: their parts only make sense together.
    booking: BookingRules | UnsetType | None = UNSET


class CounterOverride(_Override, frozen=True):
    name: str | UnsetType = UNSET
    services: list[Prefix] | UnsetType = UNSET


class ScheduleOverride(_Override, frozen=True):
    mon: list[Period] | UnsetType = UNSET
    tue: list[Period] | UnsetType = UNSET
    wed: list[Period] | UnsetType = UNSET
    thu: list[Period] | UnsetType = UNSET
    fri: list[Period] | UnsetType = UNSET
    sat: list[Period] | UnsetType = UNSET
    sun: list[Period] | UnsetType = UNSET


class SiteOverrides(Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """The live edits, by service prefix, counter number and schedule id."""

    services: dict[str, ServiceOverride] = {}
    counters: dict[int, CounterOverride] = {}
    schedules: dict[str, ScheduleOverride] = {}

    def is_empty(self) -> bool:
        return not (self.services or self.counters or self.schedules)


class InvalidSite(AntreError):
    """An edited site the checks refuse; nothing was changed."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{key}: {problem}" for key, problem in problems))


# -- the record -----------------------------------------------------------------------


def load_overrides(text: str | None) -> SiteOverrides:
    """The overrides as saved (none when nothing was saved); ValueError when unreadable."""
    if not text:
        return SiteOverrides()
    try:
        return msgspec.json.decode(text, type=SiteOverrides, dec_hook=decode_hook)
    except msgspec.DecodeError as e:  # ValidationError is one
        raise ValueError(f"the saved site overrides cannot be read: {e}") from e


def dump_overrides(overrides: SiteOverrides) -> str:
    return msgspec.json.encode(overrides, enc_hook=encode_hook).decode()


# -- applying and comparing -----------------------------------------------------------


def apply_overrides(site: Site, overrides: SiteOverrides) -> Site:
    """The site with the overrides on top; entries for things not in the site are ignored.

    Builds a new value, changes nothing; the result is not checked (see `checked`).
    """
    services = [
        msgspec.structs.replace(service, **overrides.services[service.prefix].fields())
        if service.prefix in overrides.services
        else service
        for service in site.services
    ]
    counters = [
        msgspec.structs.replace(counter, **overrides.counters[counter.number].fields())
        if counter.number in overrides.counters
        else counter
        for counter in site.counters
    ]
    schedules = [
        msgspec.structs.replace(schedule, **overrides.schedules[schedule.id].fields())
        if schedule.id in overrides.schedules
        else schedule
        for schedule in site.schedules
    ]
    return msgspec.structs.replace(site, services=services, counters=counters, schedules=schedules)


def overrides_between(file_site: Site, live: Site) -> SiteOverrides:
    """What `live` changes of `file_site`, field by field (only the editable fields)."""
    services = {
        prefix: ServiceOverride(**fields)
        for prefix, fields in (
            (s.prefix, changed_fields(file_site.services_by_prefix.get(s.prefix), s))
            for s in live.services
        )
        if fields
    }
    counters = {
        number: CounterOverride(**fields)
        for number, fields in (
            (c.number, changed_fields(file_site.counters_by_number.get(c.number), c))
            for c in live.counters
        )
        if fields
    }
    schedules = {
        schedule_id: ScheduleOverride(**fields)
        for schedule_id, fields in (
            (s.id, changed_fields(file_site.schedules_by_id.get(s.id), s)) for s in live.schedules
        )
        if fields
    }
    return SiteOverrides(services=services, counters=counters, schedules=schedules)


def changed_fields(
    before: Service | Counter | Schedule | None, after: Service | Counter | Schedule
) -> dict[str, Any]:
    """The editable fields of `after` whose value differs from `before`'s."""
    names = _EDITABLE[type(after)]
    return {
        name: getattr(after, name)
        for name in names
        if before is None or getattr(before, name) != getattr(after, name)
    }


_EDITABLE: dict[type, tuple[str, ...]] = {
    Service: SERVICE_FIELDS,
    Counter: COUNTER_FIELDS,
    Schedule: SCHEDULE_FIELDS,
}


def stale_entries(site: Site, overrides: SiteOverrides) -> list[str]:
    """Overrides for services, counters or schedules the site no longer has."""
    return (
        [f"services[{p!r}]" for p in overrides.services if p not in site.services_by_prefix]
        + [f"counters[{n}]" for n in overrides.counters if n not in site.counters_by_number]
        + [f"schedules[{i!r}]" for i in overrides.schedules if i not in site.schedules_by_id]
    )


# -- checking -------------------------------------------------------------------------


def site_problems(site: Site) -> list[tuple[str, str]]:
    """Every problem of a site, as (key, problem), the way the site file is checked.

    Types and limits first: a site built with `msgspec.structs.replace` was never
    validated, so it goes through msgspec again. Then the cross-checks.
    """
    try:
        data = msgspec.to_builtins(site, enc_hook=encode_hook)
        msgspec.convert(data, type=Site, dec_hook=decode_hook)
    except msgspec.ValidationError as e:
        return [_split_validation_error(str(e))]
    return list(find_problems(site))


def checked(site: Site) -> Site:
    """The site if it passes every check; `InvalidSite` with its problems otherwise."""
    problems = site_problems(site)
    if problems:
        raise InvalidSite(problems)
    return site


_PATH = re.compile(r"^(?P<problem>.*) - at `\$\.?(?P<path>[^`]*)`$", re.DOTALL)


def _split_validation_error(message: str) -> tuple[str, str]:
    """msgspec says "Expected `int` >= 1 - at `$.services[0].daily_quota`"; split it."""
    match = _PATH.match(message)
    return (match["path"], match["problem"]) if match else ("", message)


# -- at start -------------------------------------------------------------------------


def site_at_start(file_site: Site, saved: str | None) -> Site:
    """The site the central runs on: the file with the saved overrides on top.

    The file may have changed since the overrides were saved. Overrides for things the
    file no longer has are dropped; overrides the new file does not accept are all left
    out, so the central still starts, on the file alone. Both are logged as errors.
    """
    try:
        overrides = load_overrides(saved)
    except ValueError as e:
        log.error("%s: running on the site file alone", e)
        return file_site
    if overrides.is_empty():
        return file_site
    stale = stale_entries(file_site, overrides)
    if stale:
        log.error("site overrides for what the site file no longer has, dropped: %s", stale)
    try:
        site = checked(apply_overrides(file_site, overrides))
    except InvalidSite as e:
        log.error("the saved site overrides do not fit the site file (%s): running on the file", e)
        return file_site
    log.info("site overrides applied: %s", dump_overrides(overrides))
    return site
