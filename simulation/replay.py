"""`python -m simulation.replay FOLDER...`: the estimates of played days, reckoned again.

A day played by `python -m simulation` leaves the central's history in its report folder
(`antre.sqlite3`). The clerks call whoever is next whatever the tickets say, so the real
waits do not depend on the estimate: this replays the history through a fresh engine,
asks it at each issue what the kiosk would print, as the central stood then (nothing
later is known to it), and sets that against the real wait. A change to the estimate is
measured on several days in seconds instead of one day in minutes; on the code the day
was played with, it gives back the estimates printed (the central reckons them when it
answers, a moment after the issue: a ticket in twenty at most moves by a minute).

`--true-means` gives the estimate the simulation's own mean service times (`plan.py`),
which no central can know: what is left then is the spread of the service times still to
come, a floor for any estimate made of means. It measures the goal, never the central.
`--runs` measures the estimate by simulation instead (`simulation/wait_runs.py`: the
median of many plays of the calls to come); with `--true-means` its times are drawn from
the simulation's own distributions: the floor of any estimate knowing only the present.

    python -m simulation --seed 2 --speed 240 --out var/simulation-2
    python -m simulation.replay var/simulation var/simulation-2 --by hour
    python -m simulation.replay var/simulation --runs --true-means
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from broker.engine.engine import QueueEngine
from broker.engine.events import EventKind
from broker.engine.tickets import Ticket
from broker.engine.waiting import Estimate, Pace, ServiceTimes
from broker.store.sqlite_store import EventRecord, SqliteStore
from broker.views import ticket_info
from contract.site import Site
from contract.site_loader import load_site
from simulation.plan import EXAMPLE_SITE, SERVICE_TIME_SIGMA, profile_for
from simulation.wait_runs import estimate_by_runs, lognormal_points, pool_of

DATABASE = "antre.sqlite3"
# The true means are taken as known from countless citizens: no doubt about them.
KNOWN_WEIGHT = 1e9
# The true distribution of a service's times stands as this many of its quantiles.
KNOWN_POINTS = 200


class ReplayError(ValueError):
    """The saved history does not replay to the tickets it saved."""


@dataclass(frozen=True, slots=True)
class Replayed:
    """One ticket: its estimate and range as reckoned again, and its real wait (minutes)."""

    number: str
    service: str
    hour: int
    estimate: int | None
    low: int | None
    high: int | None
    wait: float | None


class KnowingEngine(QueueEngine):
    """An engine whose estimates use the simulation's true mean service times and spread
    (the lognormal of `plan.py`) in place of those learned: for `--true-means` only."""

    def _pace(
        self, services: frozenset[str], numbers: frozenset[int], now: dt.datetime | None
    ) -> Pace:
        pace = super()._pace(services, numbers, now)
        profile = profile_for(self.site, sorted(services))
        spread = math.sqrt(math.exp(SERVICE_TIME_SIGMA**2) - 1)
        times = {
            service: ServiceTimes(p.minutes, spread * p.minutes, KNOWN_WEIGHT)
            for service, p in profile.items()
        }
        return replace(pace, times=times)


class RunsEngine(QueueEngine):
    """An engine whose estimates are made by simulation (`simulation/wait_runs.py`), with
    the service times seen today and the site's expectation: for `--runs` only."""

    def _estimates(
        self,
        services: frozenset[str],
        numbers: frozenset[int],
        now: dt.datetime | None,
        queue: list[tuple[str, str]],
    ) -> dict[str, Estimate | None]:
        return estimate_by_runs(self._pace(services, numbers, now), queue, self._pools(services))

    def _pools(self, services: frozenset[str]) -> dict[str, list[float]]:
        return {
            service: pool_of(
                self._durations[service],
                self.site.services_by_prefix[service].expected_service_minutes,
            )
            for service in services
        }


class KnowingRunsEngine(RunsEngine):
    """`RunsEngine` drawing from the simulation's true service times: `--runs --true-means`."""

    def _pools(self, services: frozenset[str]) -> dict[str, list[float]]:
        spread = math.sqrt(math.exp(SERVICE_TIME_SIGMA**2) - 1)
        return {
            service: lognormal_points(p.minutes, spread * p.minutes, KNOWN_POINTS)
            for service, p in profile_for(self.site, sorted(services)).items()
        }


def replay(
    site: Site,
    tickets: Sequence[Ticket],
    events: Sequence[EventRecord],
    engine_type: type[QueueEngine] = QueueEngine,
) -> list[Replayed]:
    """Each issued ticket's estimate as the engine gives it at its issue, with its wait."""
    if not events:
        return []
    saved = {ticket.id: ticket for ticket in tickets}
    engine = engine_type(site, events[0].day)
    found = []
    for record in events:
        at, counter = record.at, record.counter
        if record.kind is EventKind.ISSUED:
            real = saved[str(record.ticket_id)]
            decision = engine.issue(real.service, at, priority=real.priority)
            if decision.ticket is None or decision.ticket.id != real.id:
                raise ReplayError(f"{real.number} was issued as {decision.ticket}")
            engine.apply(decision.events)
            info = ticket_info(engine, decision.ticket, at)
            waited = real.called_at - real.issued_at if real.called_at else None
            found.append(
                Replayed(
                    real.number,
                    real.service,
                    at.astimezone(site.site.timezone).hour,
                    info.wait_minutes,
                    info.wait_min_minutes,
                    info.wait_max_minutes,
                    waited.total_seconds() / 60 if waited is not None else None,
                )
            )
            continue
        if record.kind is EventKind.RECALLED or record.kind is EventKind.DAY_STARTED:
            continue
        if counter is None:
            raise ReplayError(f"no replay for {record.kind} of {record.number}")
        if record.kind is EventKind.CALLED:
            # The finish a call makes is saved as an event of its own, just before it.
            decision = engine.call_next(counter, at)
            if decision.ticket is None or decision.ticket.id != record.ticket_id:
                raise ReplayError(f"counter {counter} called {decision.ticket}")
        elif record.kind is EventKind.FINISHED:
            decision = engine.finish(counter, at)
        elif record.kind is EventKind.SKIPPED:
            decision = engine.skip(counter, at)
        elif record.kind is EventKind.PAUSED:
            decision = engine.pause(counter, at)
        elif record.kind is EventKind.RESUMED:
            decision = engine.resume(counter, at)
        else:
            raise ReplayError(f"no replay for {record.kind} at counter {counter}")
        engine.apply(decision.events)
    return found


@dataclass(frozen=True, slots=True)
class Figures:
    """The estimate against the real waits: tickets compared, mean absolute error and
    bias (minutes), and the share whose real wait fell within the range."""

    n: int
    mae: float
    bias: float
    coverage: float

    def __str__(self) -> str:
        return (
            f"{self.n:>4} tickets, MAE {self.mae:5.2f}, bias {self.bias:+5.2f}, "
            f"in range {self.coverage:4.0%}"
        )


def figures(rows: Sequence[Replayed]) -> Figures:
    """The figures of the rows with both an estimate and a real wait."""
    known = [r for r in rows if r.wait is not None and r.estimate is not None]
    errors = [r.estimate - r.wait for r in known if r.estimate is not None and r.wait is not None]
    inside = [
        r.low <= r.wait <= r.high
        for r in known
        if r.low is not None and r.high is not None and r.wait is not None
    ]
    if not errors:
        return Figures(0, math.nan, math.nan, math.nan)
    return Figures(
        len(errors),
        sum(abs(e) for e in errors) / len(errors),
        sum(errors) / len(errors),
        sum(inside) / len(inside) if inside else math.nan,
    )


def load_day(folder: Path) -> tuple[list[Ticket], list[EventRecord]]:
    """The saved tickets and history of the day played into `folder`."""
    path = folder / DATABASE
    if not path.is_file():
        raise ReplayError(f"{path}: no such database")
    store = SqliteStore(path)
    try:
        day = store.saved_day()
        if day is None:
            raise ReplayError(f"{path}: no day saved")
        return store.tickets_of(day), store.events(day)
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m simulation.replay",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("folders", type=Path, nargs="+", help="report folders of played days")
    parser.add_argument("--site", type=Path, default=EXAMPLE_SITE, help="the site TOML file")
    parser.add_argument("--by", choices=("service", "hour"), help="a line per service or hour")
    parser.add_argument(
        "--true-means", action="store_true", help="the simulation's own service times (a floor)"
    )
    parser.add_argument("--runs", action="store_true", help="the estimate by simulation")
    args = parser.parse_args(argv)
    engines: dict[tuple[bool, bool], type[QueueEngine]] = {
        (False, False): QueueEngine,
        (True, False): KnowingEngine,
        (False, True): RunsEngine,
        (True, True): KnowingRunsEngine,
    }
    engine_type = engines[args.true_means, args.runs]
    every: list[Replayed] = []
    try:
        site = load_site(args.site)
        for folder in args.folders:
            rows = replay(site, *load_day(folder), engine_type=engine_type)
            every += rows
            print(f"{folder}: {figures(rows)}")
            parts = sorted({getattr(row, args.by) for row in rows}) if args.by else []
            for part in parts:
                own = [row for row in rows if getattr(row, args.by) == part]
                print(f"  {part!s:>5}  {figures(own)}")
    except (ValueError, OSError) as e:
        print(f"simulation.replay: {e}", file=sys.stderr)
        return 2
    print(f"all: {figures(every)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
