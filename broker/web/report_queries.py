"""The numbers behind the reports, read from the central's SQLite file.

Each ticket of the date range that a citizen really held (not cancelled, not a
number reserved for a kiosk and left unused) counts once in every table, so the
rows of each table add up to the same totals:

- its service is the one it ended in (after any transfer);
- its counter and clerk are those of the call that `called_at` records (the last
  one), read from the history; a ticket never called goes to the "—" row;
- waiting time is `called_at - issued_at` (called tickets), service time is
  `closed_at - called_at` (finished ones), both in minutes;
- a no-show is a ticket skipped and never brought back (`skipped` or `no_show`);
- arrivals are counted by the hour of `issued_at` in the site's time zone.

Reads go through a read-only connection of their own: a report never blocks or
changes the queue.
"""

import datetime as dt
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

NOBODY = "—"

# A citizen never held these: they count nowhere.
_NOT_HELD = ("cancelled", "reserved", "unused")
_NO_SHOW = frozenset({"skipped", "no_show"})


@dataclass(frozen=True, slots=True)
class Stats:
    """One row of a report: the tickets of one service, counter, clerk or day."""

    # The service prefix, counter number, clerk's username or ISO date; NOBODY when none.
    key: str
    issued: int = 0
    called: int = 0
    served: int = 0
    no_shows: int = 0
    # Minutes; None when no ticket of the row was called (or finished).
    wait_mean: float | None = None
    wait_p90: float | None = None
    service_mean: float | None = None
    service_p90: float | None = None


@dataclass(frozen=True, slots=True)
class Report:
    start: dt.date
    end: dt.date
    total: Stats
    services: list[Stats]
    counters: list[Stats]
    clerks: list[Stats]
    days: list[Stats]
    # (hour of the day in the site's zone, tickets issued in it), from the first
    # hour with arrivals to the last, quiet hours in between included.
    hours: list[tuple[int, int]]


@dataclass(frozen=True, slots=True)
class _Ticket:
    day: str
    service: str
    state: str
    issued_at: dt.datetime
    called_at: dt.datetime | None
    closed_at: dt.datetime | None
    counter: str
    clerk: str

    @property
    def wait(self) -> float | None:
        if self.called_at is None:
            return None
        return _minutes(self.called_at - self.issued_at)

    @property
    def service_time(self) -> float | None:
        if self.state != "finished" or self.called_at is None or self.closed_at is None:
            return None
        return _minutes(self.closed_at - self.called_at)


def report(database: Path, start: dt.date, end: dt.date, zone: dt.tzinfo) -> Report:
    """Everything the report page shows for the days `start` to `end` (inclusive)."""
    tickets = _tickets(database, start, end)
    arrivals: dict[int, int] = defaultdict(int)
    for ticket in tickets:
        arrivals[ticket.issued_at.astimezone(zone).hour] += 1
    hours = (
        [(hour, arrivals[hour]) for hour in range(min(arrivals), max(arrivals) + 1)]
        if arrivals
        else []
    )
    return Report(
        start=start,
        end=end,
        total=_stats("total", tickets),
        services=_grouped(tickets, lambda t: t.service, _nobody_last),
        counters=_grouped(tickets, lambda t: t.counter, _counter_order),
        clerks=_grouped(tickets, lambda t: t.clerk, _nobody_last),
        days=_grouped(tickets, lambda t: t.day, _nobody_last),
        hours=hours,
    )


def clerk_of(actor: str) -> str:
    """The clerk's username in an actor: "counter-5:siti", "web:siti@counter-5" -> "siti"."""
    if actor.startswith("web:"):
        name = actor.removeprefix("web:").partition("@")[0]
    elif actor.startswith("counter-"):
        name = actor.partition(":")[2]
    else:
        name = ""
    return name.strip() or NOBODY


def percentile(values: Iterable[float], percent: int) -> float | None:
    """Nearest-rank percentile: the smallest value with `percent`% of all at or below it.

    None for no values. The rank is ceil(percent * n / 100), in whole numbers.
    """
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, -(-percent * len(ordered) // 100))
    return ordered[rank - 1]


def mean(values: Iterable[float]) -> float | None:
    listed = list(values)
    return sum(listed) / len(listed) if listed else None


# -- reading -----------------------------------------------------------------------


def _connect(database: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{Path(database).resolve().as_uri()}?mode=ro", uri=True)


def _tickets(database: Path, start: dt.date, end: dt.date) -> list[_Ticket]:
    days = (start.isoformat(), end.isoformat())
    not_held = ", ".join("?" for _ in _NOT_HELD)
    with closing(_connect(database)) as db:
        # The last call of each ticket: its counter and clerk (ids grow with time).
        calls = db.execute(
            "SELECT ticket_id, counter, actor FROM events "
            "WHERE day BETWEEN ? AND ? AND kind = 'called' ORDER BY id",
            days,
        )
        last_call: dict[str, tuple[int | None, str]] = {row[0]: row[1:] for row in calls}
        rows = db.execute(
            "SELECT id, day, service, state, issued_at, called_at, closed_at FROM tickets "
            f"WHERE day BETWEEN ? AND ? AND state NOT IN ({not_held}) ORDER BY day, id",
            (*days, *_NOT_HELD),
        ).fetchall()
    tickets = []
    for id_, day, service, state, issued_at, called_at, closed_at in rows:
        called = _moment(called_at)
        # The call `called_at` records; a ticket transferred since waits uncalled.
        counter, actor = last_call.get(id_, (None, "")) if called else (None, "")
        tickets.append(
            _Ticket(
                day=day,
                service=service,
                state=state,
                issued_at=dt.datetime.fromisoformat(issued_at),
                called_at=called,
                closed_at=_moment(closed_at),
                counter=str(counter) if counter is not None else NOBODY,
                clerk=clerk_of(actor),
            )
        )
    return tickets


def _moment(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text is not None else None


def _minutes(span: dt.timedelta) -> float:
    return span.total_seconds() / 60


# -- counting ----------------------------------------------------------------------


def _stats(key: str, tickets: list[_Ticket]) -> Stats:
    waits = [w for w in (t.wait for t in tickets) if w is not None]
    services = [s for s in (t.service_time for t in tickets) if s is not None]
    return Stats(
        key=key,
        issued=len(tickets),
        called=sum(1 for t in tickets if t.called_at is not None),
        served=sum(1 for t in tickets if t.state == "finished"),
        no_shows=sum(1 for t in tickets if t.state in _NO_SHOW),
        wait_mean=mean(waits),
        wait_p90=percentile(waits, 90),
        service_mean=mean(services),
        service_p90=percentile(services, 90),
    )


def _grouped(
    tickets: list[_Ticket],
    key: Callable[[_Ticket], str],
    order: Callable[[str], tuple[int, int, str]],
) -> list[Stats]:
    groups: dict[str, list[_Ticket]] = defaultdict(list)
    for ticket in tickets:
        groups[key(ticket)].append(ticket)
    return [_stats(name, groups[name]) for name in sorted(groups, key=order)]


def _nobody_last(key: str) -> tuple[int, int, str]:
    return (key == NOBODY, 0, key.casefold())


def _counter_order(key: str) -> tuple[int, int, str]:
    """Counters by number (10 after 9), the "—" row last."""
    return (not key.isdigit(), int(key) if key.isdigit() else 0, key)
