"""The day's figures: waits per service, the estimates' error, the queues over the day.

A ticket's real wait runs from its issue to its first call, both as the central saved
them. Its estimate is the `wait_minutes` printed on it (the kiosk's answer), and its
range the `wait_min_minutes`-`wait_max_minutes` printed beside ("20-35 menit"). The
error is estimate minus real wait: positive when the ticket promised a longer wait than
came (bias), and its absolute value averaged (mean absolute error, MAE). The range's
coverage is the share of tickets whose real wait fell inside it. Both are set against
the goals of issue #16 (coverage at least 80 %, MAE at most 5 minutes), against the
estimate the central printed before the range (`OldEstimate`), recomputed from the
day's saved history, and against the MAE had the estimate known the simulation's true
mean service times (`simulation.replay`, `KnowingEngine`). Tickets never called (still
waiting when the day was stopped) have no real wait and are left out.

`simulation.report_files` writes them out: `report.md` (the tables), `queue-lengths.svg`
(the chart), `tickets.csv` (one row per ticket) and `summary.json` (everything, for
programs).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from broker.engine.events import EventKind
from broker.engine.tickets import Ticket, TicketState
from broker.store.sqlite_store import EventRecord
from contract.hours import wait_across_breaks
from contract.site import Site
from simulation.chart import Line, line_chart
from simulation.link import Sample
from simulation.mall import DayRun
from simulation.replay import KnowingEngine, ReplayError, figures, replay

# The queue-length chart: a point every this many simulated minutes, this many services.
CHART_STEP_MINUTES = 5
CHART_SERVICES = 5
# States a ticket may end the simulated day in: served, skipped or still waiting.
ACCOUNTED = {TicketState.FINISHED, TicketState.SKIPPED, TicketState.WAITING}
# What the estimate should achieve (issue #16): the printed range holds the real wait for
# at least this share of tickets, and the point estimate is off by at most this on average.
COVERAGE_GOAL = 0.80
MAE_GOAL_MINUTES = 5.0


@dataclass(frozen=True, slots=True)
class TicketRow:
    """One ticket: what was printed on it and what happened to it."""

    number: str
    service: str
    priority: bool
    no_show: bool
    kiosk: str
    issued_at: dt.datetime
    ahead: int
    estimate: int | None
    called_at: dt.datetime | None
    counter: int | None
    state: str
    # The printed range ("20-35 menit"): None when the ticket had no estimate.
    low: int | None = None
    high: int | None = None
    # What the central printed before the range, for the same ticket (`OldEstimate`).
    old_estimate: int | None = None

    @property
    def wait(self) -> float | None:
        """The real wait in minutes, issue to first call; None if never called."""
        if self.called_at is None:
            return None
        return (self.called_at - self.issued_at).total_seconds() / 60

    @property
    def error(self) -> float | None:
        """Printed estimate minus real wait, in minutes; None if either is unknown."""
        wait = self.wait
        if wait is None or self.estimate is None:
            return None
        return self.estimate - wait

    @property
    def in_range(self) -> bool | None:
        """Whether the real wait fell within the printed range; None if either is unknown."""
        wait = self.wait
        if wait is None or self.low is None or self.high is None:
            return None
        return self.low <= wait <= self.high

    @property
    def old_error(self) -> float | None:
        """The old estimate minus the real wait, in minutes; None if either is unknown."""
        wait = self.wait
        if wait is None or self.old_estimate is None:
            return None
        return self.old_estimate - wait


class OldEstimate:
    """The wait the central printed before the range (issue #16, item 6): people ahead x
    the mean of the service's last `estimate_window` service times (its
    `expected_service_minutes` before any) / its open counters, a counter shared by n
    services counting as 1/n, with the breaks on the way added; in whole minutes rounded
    up. Recomputed from the day's saved tickets and history, as the central stood when
    each ticket was issued."""

    def __init__(self, site: Site, tickets: Iterable[Ticket], events: Iterable[EventRecord]):
        self.site = site
        self.finished = sorted(
            (ticket.closed_at, ticket.service, (ticket.closed_at - ticket.called_at))
            for ticket in tickets
            if ticket.state is TicketState.FINISHED and ticket.called_at and ticket.closed_at
        )
        self.pauses = sorted(
            (event.at, event.counter, event.kind is EventKind.PAUSED)
            for event in events
            if event.kind in (EventKind.PAUSED, EventKind.RESUMED) and event.counter is not None
        )

    def __call__(self, service: str, issued_at: dt.datetime, ahead: int) -> int | None:
        spec = self.site.services_by_prefix[service]
        paused = {number: stop for at, number, stop in self.pauses if at <= issued_at}
        capacity = sum(
            1 / len(counter.services)
            for counter in self.site.counters_serving(service)
            if not paused.get(counter.number, False)
        )
        if capacity == 0:
            return None
        recent = [
            took.total_seconds() / 60
            for closed, prefix, took in self.finished
            if prefix == service and closed <= issued_at
        ][-self.site.queue.estimate_window :]
        minutes = sum(recent) / len(recent) if recent else spec.expected_service_minutes
        work = dt.timedelta(minutes=ahead * minutes / capacity)
        wait = wait_across_breaks(self.site, spec, issued_at, work)
        return math.ceil(wait.total_seconds() / 60)


def rows_of(run: DayRun) -> list[TicketRow]:
    """Every ticket issued to a citizen, with the central's saved times."""
    zone = run.plan.site.site.timezone
    old = OldEstimate(run.plan.site, run.tickets.values(), run.events)
    rows = []
    for issued in run.issued:
        info = issued.answer.ticket
        if info is None:
            continue
        saved = run.tickets.get(info.number)
        issued_at = saved.issued_at if saved else dt.datetime.fromisoformat(info.issued_at)
        rows.append(
            TicketRow(
                number=info.number,
                service=info.service,
                priority=info.priority,
                no_show=issued.citizen.no_show,
                kiosk=issued.citizen.kiosk,
                issued_at=issued_at.astimezone(zone),
                ahead=info.ahead,
                estimate=info.wait_minutes,
                called_at=saved.called_at.astimezone(zone) if saved and saved.called_at else None,
                counter=saved.counter if saved else None,
                state=saved.state.value if saved else "missing",
                low=info.wait_min_minutes,
                high=info.wait_max_minutes,
                old_estimate=old(info.service, issued_at, info.ahead),
            )
        )
    return rows


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _p90(values: Sequence[float]) -> float | None:
    """Nearest-rank 90th percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _errors(rows: Sequence[TicketRow]) -> dict[str, Any]:
    errors = [row.error for row in rows if row.error is not None]
    inside = [row.in_range for row in rows if row.in_range is not None]
    widths = [
        row.high - row.low
        for row in rows
        if row.in_range is not None and row.high is not None and row.low is not None
    ]
    old = [row.old_error for row in rows if row.old_error is not None]
    return {
        "estimate_n": len(errors),
        "estimate_mae": _mean([abs(e) for e in errors]),
        "estimate_bias": _mean(errors),
        # The share of tickets whose real wait fell within the printed range, and the
        # range's mean width (minutes).
        "estimate_coverage": _mean([1.0 if hit else 0.0 for hit in inside]),
        "estimate_width": _mean(widths),
        "old_estimate_mae": _mean([abs(e) for e in old]),
        "old_estimate_bias": _mean(old),
    }


def _goals(overall: dict[str, Any]) -> dict[str, Any]:
    """The goals of issue #16 and whether the day met them."""
    coverage, mae = overall["estimate_coverage"], overall["estimate_mae"]
    return {
        "coverage": COVERAGE_GOAL,
        "mae_minutes": MAE_GOAL_MINUTES,
        "coverage_met": coverage is not None and coverage >= COVERAGE_GOAL,
        "mae_met": mae is not None and mae <= MAE_GOAL_MINUTES,
    }


def _waits(rows: Iterable[TicketRow]) -> dict[str, Any]:
    waits = [row.wait for row in rows if row.wait is not None]
    return {"called": len(waits), "wait_mean": _mean(waits), "wait_p90": _p90(waits)}


def _true_means_mae(run: DayRun) -> float | None:
    """The estimate's MAE had it known the simulation's own mean service times
    (`simulation.replay`): the floor for an estimate made of means. None when the
    history does not replay or nobody was called."""
    try:
        rows = replay(run.plan.site, list(run.tickets.values()), run.events, KnowingEngine)
    except ReplayError:
        return None
    found = figures(rows)
    return found.mae if found.n else None


def summarize(run: DayRun) -> dict[str, Any]:
    """Every figure of the day, as plain data (what summary.json holds)."""
    plan = run.plan
    rows = rows_of(run)
    numbers = [row.number for row in rows]
    states = Counter(ticket.state.value for ticket in run.tickets.values())
    refused = Counter(
        issued.answer.reason or "?" for issued in run.issued if issued.answer.ticket is None
    )
    answered = set(numbers)
    accounted = (
        answered == set(run.tickets)
        and all(ticket.state in ACCOUNTED for ticket in run.tickets.values())
        and len(run.issued) == len(plan.citizens)
    )
    services = []
    for prefix in plan.services:
        own = [row for row in rows if row.service == prefix]
        services.append(
            {
                "prefix": prefix,
                "name": plan.site.services_by_prefix[prefix].name,
                "true_minutes": plan.profile[prefix].minutes,
                "issued": len(own),
                "finished": sum(1 for row in own if row.state == "finished"),
                "skipped": sum(1 for row in own if row.state == "skipped"),
                "waiting_at_end": sum(1 for row in own if row.state == "waiting"),
                **_waits(own),
                **_errors(own),
            }
        )
    hours = []
    for hour in sorted({row.issued_at.hour for row in rows}):
        own = [row for row in rows if row.issued_at.hour == hour]
        hours.append({"hour": hour, "issued": len(own), **_waits(own), **_errors(own)})
    errors = [row.error for row in rows if row.error is not None]
    overall = {
        **_waits(rows),
        **_errors(rows),
        "estimate_within_5_minutes": (
            sum(1 for e in errors if abs(e) <= 5) / len(errors) if errors else None
        ),
        "true_means_mae": _true_means_mae(run),
    }
    total = _total_waiting(run.history, plan.services)
    peak = max(total, key=lambda point: point[1], default=None)
    return {
        "site": plan.site.site.id,
        "day": plan.day.isoformat(),
        "start": plan.start.isoformat(),
        "end": plan.end.isoformat(),
        "stopped_at": run.stopped_at.isoformat() if run.stopped_at else None,
        "speed": run.speed,
        "seed": plan.seed,
        "wall_seconds": round(run.wall_seconds, 1),
        "services_played": plan.services,
        "counters_played": plan.counters,
        "citizens": len(plan.citizens),
        "priority": sum(1 for c in plan.citizens if c.priority),
        "no_shows_planned": sum(1 for c in plan.citizens if c.no_show),
        "issued": len(rows),
        "refused": dict(refused),
        "states": dict(states),
        "numbers_unique": len(numbers) == len(answered),
        "all_accounted": accounted,
        "latest_press_seconds": max((i.late_seconds for i in run.issued), default=0.0),
        "overall": overall,
        "goals": _goals(overall),
        "services": services,
        "hours": hours,
        "peak_waiting": {"count": peak[1], "at": peak[0].isoformat()} if peak else None,
        "display": {
            "calls_heard": run.calls_heard,
            "calls_saved": sum(1 for t in run.tickets.values() if t.called_at is not None),
            "mismatches": run.display_mismatches,
        },
    }


def _total_waiting(
    history: Sequence[Sample], services: Sequence[str]
) -> list[tuple[dt.datetime, int]]:
    return [(sample.at, sum(sample.waiting.get(s, 0) for s in services)) for sample in history]


def _step_series(
    history: Sequence[Sample],
    count: Callable[[Sample], float],
    start: dt.datetime,
    stop: dt.datetime,
) -> list[tuple[float, float]]:
    """The value `count(sample)` of the latest sample at every chart step (x in hours)."""
    points = []
    index = 0
    latest = 0.0
    moment = start
    while moment <= stop:
        while index < len(history) and history[index].at <= moment:
            latest = count(history[index])
            index += 1
        local = moment.astimezone(start.tzinfo)
        points.append((local.hour + local.minute / 60, latest))
        moment += dt.timedelta(minutes=CHART_STEP_MINUTES)
    return points


def _waiting_of(prefix: str) -> Callable[[Sample], float]:
    return lambda sample: sample.waiting.get(prefix, 0)


def queue_chart(run: DayRun) -> str:
    """The waiting counts over the day: all services together and the busiest ones."""
    plan = run.plan
    history = sorted(run.history, key=lambda sample: sample.at)
    stop = run.stopped_at or plan.end
    peaks = {
        prefix: max((sample.waiting.get(prefix, 0) for sample in history), default=0)
        for prefix in plan.services
    }
    busiest = sorted(plan.services, key=lambda prefix: -peaks[prefix])[:CHART_SERVICES]
    lines = [
        Line(
            "semua layanan (all)",
            _step_series(
                history, lambda s: sum(s.waiting.get(p, 0) for p in plan.services), plan.start, stop
            ),
            width=3.0,
        )
    ]
    for prefix in busiest:
        name = plan.site.services_by_prefix[prefix].name
        short = name if len(name) <= 18 else name[:17] + "…"
        lines.append(
            Line(
                f"{prefix} {short}",
                _step_series(history, _waiting_of(prefix), plan.start, stop),
            )
        )
    first = plan.start.astimezone(plan.site.site.timezone)
    last = stop.astimezone(plan.site.site.timezone)
    ticks = [
        (float(hour), f"{hour:02d}:00")
        for hour in range(first.hour, last.hour + 1)
        if first.hour + first.minute / 60 <= hour
    ]
    return line_chart(
        lines,
        title=f"Antrean menunggu, {plan.site.site.name}, {plan.day:%d-%m-%Y} (simulasi)",
        x_ticks=ticks,
        y_label="orang menunggu (waiting)",
    )
