"""What the hub's pages show, read from the roll-ups (never from the events).

Each site's "today" is its own local date (its time zone from its settings); `now` is
passed in.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg

from contract.ikm import ELEMENTS, Ikm, ikm_of_sums
from hub.rules import percentile_minute

Connection = psycopg.Connection[tuple[object, ...]]


def local_day(timezone: str, now: dt.datetime) -> dt.date:
    """The date at the site now (UTC when its zone is not known yet)."""
    try:
        zone: dt.tzinfo = ZoneInfo(timezone) if timezone else dt.UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    return now.astimezone(zone).date()


@dataclass
class Waits:
    """Median and 90th percentile in whole minutes (None: nobody called yet)."""

    counts: dict[int, int] = field(default_factory=dict)

    def add(self, minute: int, count: int) -> None:
        self.counts[minute] = self.counts.get(minute, 0) + count

    @property
    def median(self) -> int | None:
        return percentile_minute(self.counts, 0.5)

    @property
    def p90(self) -> int | None:
        return percentile_minute(self.counts, 0.9)


@dataclass
class Counts:
    issued: int = 0
    called: int = 0
    served: int = 0
    no_shows: int = 0
    waiting: int = 0
    waits: Waits = field(default_factory=Waits)


@dataclass
class SiteGlance:
    """One site's line on the region's page."""

    id: str
    name: str
    timezone: str
    today: dt.date
    last_seen: dt.datetime | None
    counts: Counts
    counters_open: int = 0
    devices_lost: int = 0


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    timezone: str
    last_seen: dt.datetime | None


def sites(connection: Connection, only: str | None = None) -> list[Site]:
    rows = connection.execute(
        "SELECT id, name, timezone, last_seen FROM sites"
        " WHERE %s::text IS NULL OR id = %s ORDER BY name, id",
        (only, only),
    ).fetchall()
    return [Site(str(r[0]), str(r[1]) or str(r[0]), str(r[2]), r[3]) for r in rows]  # type: ignore[arg-type]


def region_glance(
    connection: Connection, now: dt.datetime, only: str | None = None
) -> list[SiteGlance]:
    """Every site (or `only` one) today: waiting, served, waits, counters, devices."""
    glances = {
        s.id: SiteGlance(
            s.id, s.name, s.timezone, local_day(s.timezone, now), s.last_seen, Counts()
        )
        for s in sites(connection, only)
    }
    if not glances:
        return []
    keys = (list(glances), [g.today for g in glances.values()])
    today = "(site, day) IN (SELECT * FROM unnest(%s::text[], %s::date[]))"
    for site, issued, called, served, no_shows in connection.execute(
        f"SELECT site, sum(issued), sum(called), sum(served), sum(no_shows) FROM service_hours"
        f" WHERE {today} GROUP BY site",
        keys,
    ).fetchall():
        counts = glances[str(site)].counts
        counts.issued, counts.called = int(issued), int(called)  # type: ignore[call-overload]
        counts.served, counts.no_shows = int(served), int(no_shows)  # type: ignore[call-overload]
    for site, waiting in connection.execute(
        f"SELECT site, sum(waiting) FROM waiting_now WHERE {today} GROUP BY site", keys
    ).fetchall():
        glances[str(site)].counts.waiting = int(waiting)  # type: ignore[call-overload]
    for site, minute, count in connection.execute(
        f"SELECT site, minute, sum(count) FROM wait_minutes WHERE {today} GROUP BY site, minute",
        keys,
    ).fetchall():
        glances[str(site)].counts.waits.add(int(minute), int(count))  # type: ignore[call-overload]
    for site, open_ in connection.execute(
        f"SELECT site, count(*) FILTER (WHERE open) FROM counter_now WHERE {today} GROUP BY site",
        keys,
    ).fetchall():
        glances[str(site)].counters_open = int(open_)  # type: ignore[call-overload]
    for site, lost in connection.execute(
        "SELECT site, lost FROM device_states WHERE site = ANY(%s)", (keys[0],)
    ).fetchall():
        glances[str(site)].devices_lost = int(lost)  # type: ignore[call-overload]
    return list(glances.values())


def service_counts(
    connection: Connection, site: str, first: dt.date, last: dt.date
) -> dict[str, Counts]:
    """Per service of one site, from `first` to `last` (inclusive)."""
    found: dict[str, Counts] = defaultdict(Counts)
    for service, issued, called, served, no_shows in connection.execute(
        "SELECT service, sum(issued), sum(called), sum(served), sum(no_shows) FROM service_hours"
        " WHERE site = %s AND day BETWEEN %s AND %s GROUP BY service",
        (site, first, last),
    ).fetchall():
        counts = found[str(service)]
        counts.issued, counts.called = int(issued), int(called)  # type: ignore[call-overload]
        counts.served, counts.no_shows = int(served), int(no_shows)  # type: ignore[call-overload]
    for service, minute, count in connection.execute(
        "SELECT service, minute, sum(count) FROM wait_minutes"
        " WHERE site = %s AND day BETWEEN %s AND %s GROUP BY service, minute",
        (site, first, last),
    ).fetchall():
        found[str(service)].waits.add(int(minute), int(count))  # type: ignore[call-overload]
    if first == last:
        for service, waiting in connection.execute(
            "SELECT service, waiting FROM waiting_now WHERE site = %s AND day = %s",
            (site, first),
        ).fetchall():
            found[str(service)].waiting = int(waiting)  # type: ignore[call-overload]
    return dict(sorted(found.items()))


def compare_sites(
    connection: Connection, first: dt.date, last: dt.date, only: str | None = None
) -> dict[str, Counts]:
    """Per site over a period."""
    found: dict[str, Counts] = {s.id: Counts() for s in sites(connection, only)}
    for site, issued, called, served, no_shows in connection.execute(
        "SELECT site, sum(issued), sum(called), sum(served), sum(no_shows) FROM service_hours"
        " WHERE day BETWEEN %s AND %s AND (%s::text IS NULL OR site = %s) GROUP BY site",
        (first, last, only, only),
    ).fetchall():
        counts = found.setdefault(str(site), Counts())
        counts.issued, counts.called = int(issued), int(called)  # type: ignore[call-overload]
        counts.served, counts.no_shows = int(served), int(no_shows)  # type: ignore[call-overload]
    for site, minute, count in connection.execute(
        "SELECT site, minute, sum(count) FROM wait_minutes WHERE day BETWEEN %s AND %s"
        " AND (%s::text IS NULL OR site = %s) GROUP BY site, minute",
        (first, last, only, only),
    ).fetchall():
        found.setdefault(str(site), Counts()).waits.add(int(minute), int(count))  # type: ignore[call-overload]
    return found


@dataclass(frozen=True)
class IkmRow:
    site: str
    agency: str
    service: str
    ikm: Ikm


# What an IKM row is per: the whole site, an agency at a site, or one service.
IKM_LEVELS = {
    "site": "site, '', ''",
    "agency": "site, agency, ''",
    "service": "site, agency, service",
}


ELEMENT_SUMS = ", ".join(f"sum(sums[{i}])" for i in range(1, len(ELEMENTS) + 1))


def ikm_rows(
    connection: Connection, first: dt.date, last: dt.date, level: str, only: str | None = None
) -> list[IkmRow]:
    """The IKM per site, agency or service over a period, from the daily sums."""
    columns = IKM_LEVELS[level]
    rows = connection.execute(
        f"SELECT {columns}, sum(respondents), {ELEMENT_SUMS}"
        " FROM ikm_days WHERE day BETWEEN %s AND %s AND (%s::text IS NULL OR site = %s)"
        " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        (first, last, only, only),
    ).fetchall()
    found = []
    for site, agency, service, respondents, *sums in rows:
        result = ikm_of_sums(int(respondents), [int(x) for x in sums])  # type: ignore[call-overload]
        if result is not None:
            found.append(IkmRow(str(site), str(agency), str(service), result))
    return found
