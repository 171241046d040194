"""The bodies of the hub's records (`contract.hub_stream`), from the central's rows.

Pure: rows and values in, contract structs out. Times are passed through as the store
keeps them (ISO 8601 in UTC, with their offset).
"""

from collections.abc import Mapping, Sequence
from typing import Any

from contract.hub_stream import (
    CounterSetting,
    DeviceStates,
    QueueEvent,
    ServiceSetting,
    SiteSettings,
    SurveyPressRecord,
    SurveyResponseRecord,
)
from contract.site import Site

# The columns each builder below takes, in its order.
EVENT_COLUMNS = (
    "id, at, day, kind, actor, ticket_id, number, service, state, counter, detail, "
    "priority, issued_at, called_at, slot"
)
PRESS_COLUMNS = "id, at, day, unit, rating, mark, ticket_id, counter, service, agency"
RESPONSE_COLUMNS = (
    "rowid, ticket_id, at, day, service, agency, counter, u1, u2, u3, u4, u5, u6, u7, u8, u9"
)


def queue_event(row: Sequence[Any]) -> QueueEvent:
    """A row of `events` (EVENT_COLUMNS, its id first)."""
    _, at, day, kind, actor, ticket_id, number, service, state, counter, detail = row[:11]
    priority, issued_at, called_at, slot = row[11:]
    return QueueEvent(
        kind=kind,
        at=at,
        day=day,
        actor=actor,
        ticket_id=ticket_id,
        number=number,
        service=service,
        state=state,
        counter=counter,
        detail=detail,
        priority=bool(priority),
        issued_at=issued_at,
        called_at=called_at,
        slot=slot,
    )


def survey_press(row: Sequence[Any]) -> SurveyPressRecord:
    """A row of `survey_presses` (PRESS_COLUMNS, its id first)."""
    _, at, day, unit, rating, mark, ticket_id, counter, service, agency = row
    return SurveyPressRecord(
        at=at,
        day=day,
        unit=unit,
        rating=rating,
        mark=mark,
        ticket_id=ticket_id,
        counter=counter,
        service=service,
        agency=agency,
    )


def survey_response(row: Sequence[Any]) -> SurveyResponseRecord:
    """A row of `survey_responses` (RESPONSE_COLUMNS, its rowid first)."""
    _, ticket_id, at, day, service, agency, counter = row[:7]
    return SurveyResponseRecord(
        ticket_id=ticket_id,
        at=at,
        day=day,
        service=service,
        agency=agency,
        counter=counter,
        ratings=list(row[7:]),
    )


def site_settings(site: Site, at: str) -> SiteSettings:
    """The site's name, time zone, services and counters as the central runs them."""
    return SiteSettings(
        at=at,
        name=site.site.name,
        timezone=site.site.timezone.key,
        services=[
            ServiceSetting(prefix=s.prefix, name=s.name, agency=s.agency) for s in site.services
        ],
        counters=[
            CounterSetting(number=c.number, name=c.display_name, services=list(c.services))
            for c in site.counters
        ],
    )


def device_states(devices: Mapping[str, str], at: str) -> DeviceStates:
    """Every device the central knows and its state, by device id."""
    return DeviceStates(at=at, devices=dict(sorted(devices.items())))


def same_but_time(
    a: SiteSettings | DeviceStates | None, b: SiteSettings | DeviceStates | None
) -> bool:
    """Whether two settings or device-state records say the same, whenever they were made."""
    if a is None or b is None or type(a) is not type(b):
        return False
    return a.__struct_fields__ == b.__struct_fields__ and all(
        getattr(a, name) == getattr(b, name) for name in a.__struct_fields__ if name != "at"
    )
