"""The simulated day (`python -m simulation`): a short one, through the real processes.

Four services (six counters) from 07:55 to 09:30 of mall time at 300 times real time:
about 20 s. The figures depend on the machine's pace; what is checked does not.
"""

import csv
import datetime as dt
import json
import math
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import pytest

from broker.engine.events import EventKind
from broker.engine.tickets import Ticket, TicketState
from broker.store.sqlite_store import EventRecord, SqliteStore
from broker.views import RANGE_STEP_MINUTES
from contract.site_loader import load_site
from simulation.__main__ import main
from simulation.plan import NO_SHOW_SHARE, PRIORITY_SHARE, plan_day
from simulation.replay import (
    KnowingEngine,
    KnowingRunsEngine,
    RunsEngine,
    figures,
    load_day,
    replay,
)
from simulation.report import OldEstimate
from tests.broker_fixtures import EXAMPLE_SITE
from tests.conftest import at

SERVICES = ["B", "H", "I", "N"]
MONDAY = dt.date(2026, 11, 30)


def test_the_plan_is_seeded_and_shaped_like_a_morning() -> None:
    site = load_site(EXAMPLE_SITE)
    plan = plan_day(site, MONDAY, dt.time(7, 0), dt.time(16, 0), seed=5)
    again = plan_day(site, MONDAY, dt.time(7, 0), dt.time(16, 0), seed=5)
    assert plan.citizens == again.citizens
    by_hour: dict[int, int] = defaultdict(int)
    for citizen in plan.citizens:
        local = citizen.at.astimezone(site.site.timezone)
        by_hour[local.hour] += 1
        # Nobody presses while their service issues no tickets (before 08:00, at lunch).
        assert dt.time(8) <= local.time()
        assert not dt.time(12) <= local.time() < dt.time(13)
    assert max(by_hour, key=lambda hour: by_hour[hour]) in (9, 10)
    assert by_hour[9] > by_hour[13] > 0
    count = len(plan.citizens)
    assert (
        0.5 * PRIORITY_SHARE * count
        < sum(c.priority for c in plan.citizens)
        < 2 * (PRIORITY_SHARE * count)
    )
    assert 0 < sum(c.no_show for c in plan.citizens) < 3 * NO_SHOW_SHARE * count
    # Each service's times centre on its own mean: a passport takes longer than a tax payment.
    mean = {
        prefix: sum(c.service_minutes for c in plan.citizens if c.service == prefix)
        / sum(1 for c in plan.citizens if c.service == prefix)
        for prefix in ("A", "N")
    }
    assert mean["A"] > 2 * mean["N"]


def test_a_short_simulated_day_accounts_for_every_ticket(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report"
    # WHEN a short morning is played through Mosquitto and the central
    code = main(
        [
            "--services",
            ",".join(SERVICES),
            "--start",
            "07:55",
            "--end",
            "09:30",
            "--speed",
            "300",
            "--seed",
            "3",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    # THEN the report is there: the tables, the chart, the tickets, the figures
    for name in ("report.md", "queue-lengths.svg", "tickets.csv", "summary.json"):
        assert (out / name).stat().st_size > 0, name
    chart = ET.parse(out / "queue-lengths.svg").getroot()
    assert len(chart.findall("{http://www.w3.org/2000/svg}polyline")) >= 2
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["issued"] == summary["citizens"] > 20
    assert summary["numbers_unique"]
    assert summary["all_accounted"]
    # AND every ticket the central saved was served, skipped or is still waiting,
    # each service numbered 1..n with no gap and no double
    store = SqliteStore(out / "antre.sqlite3")
    try:
        saved = store.tickets_of(MONDAY)
    finally:
        store.close()
    assert {t.state for t in saved} <= {
        TicketState.FINISHED,
        TicketState.SKIPPED,
        TicketState.WAITING,
    }
    assert any(t.state is TicketState.FINISHED for t in saved)
    for prefix in SERVICES:
        seqs = sorted(t.seq for t in saved if t.prefix == prefix)
        assert seqs == list(range(1, len(seqs) + 1)), prefix
    with (out / "tickets.csv").open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert sorted(row["number"] for row in rows) == sorted(t.number for t in saved)
    # AND the estimate's error is measured and finite, overall, per service and per hour
    overall = summary["overall"]
    assert overall["estimate_n"] > 10
    assert math.isfinite(overall["estimate_mae"])
    assert overall["estimate_mae"] >= 0
    assert math.isfinite(overall["estimate_bias"])
    assert math.isfinite(overall["wait_mean"])
    assert overall["wait_p90"] >= overall["wait_mean"]
    assert [s["prefix"] for s in summary["services"]] == SERVICES
    assert {h["hour"] for h in summary["hours"]} >= {8, 9}
    # AND so is the range's coverage, beside the goals and the old estimate's figures
    assert 0 <= overall["estimate_coverage"] <= 1
    assert overall["estimate_width"] >= 5
    assert math.isfinite(overall["old_estimate_mae"])
    assert math.isfinite(overall["old_estimate_bias"])
    goals = summary["goals"]
    assert (goals["coverage"], goals["mae_minutes"]) == (0.8, 5.0)
    assert goals["coverage_met"] == (overall["estimate_coverage"] >= 0.8)
    assert goals["mae_met"] == (overall["estimate_mae"] <= 5.0)
    for part in [*summary["services"], *summary["hours"]]:
        for key in ("estimate_mae", "estimate_coverage", "estimate_width", "old_estimate_mae"):
            assert key in part, key
    # AND every printed range holds its point estimate
    estimated = [row for row in rows if row["estimate_minutes"]]
    assert estimated
    for row in estimated:
        low, point, high = (
            int(row[key])
            for key in ("estimate_low_minutes", "estimate_minutes", "estimate_high_minutes")
        )
        assert 0 <= low <= point <= high
        assert row["old_estimate_minutes"] != ""
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "estimate MAE" in report
    assert "| in range | range width | old MAE | old bias |" in report
    assert "goal: at least 80%" in report
    assert "queue-lengths.svg" in report
    printed = capsys.readouterr().out
    assert "in range width | old MAE" in printed
    assert "goal     in range >= 80%, est MAE <= 5 min:" in printed
    assert "The range holds the real wait for" in printed
    assert "knowing the true means)" in printed
    assert "the floor for an estimate made of means" in report
    # AND the display heard every call and ends showing the central's queues
    assert summary["display"]["calls_heard"] == summary["display"]["calls_saved"]
    assert summary["display"]["mismatches"] == []
    # AND replaying the saved history gives back the printed estimates and ranges, so
    # `simulation.replay` measures a change to the estimate as the day would have. The
    # central reckons a ticket's estimate when it answers, a moment after the issue the
    # replay reckons at: at 300x a few milliseconds of a busy machine are a simulated
    # second, enough to move a wait across a whole minute (or an end of its range across
    # 5 minutes) for a ticket or two, never more
    site = load_site(EXAMPLE_SITE)
    replayed = replay(site, *load_day(out))
    as_printed = {
        row["number"]: (
            int(row["estimate_minutes"]),
            int(row["estimate_low_minutes"]),
            int(row["estimate_high_minutes"]),
        )
        for row in rows
        if row["estimate_minutes"]
    }
    as_replayed = {
        r.number: (r.estimate, r.low, r.high)
        for r in replayed
        if r.estimate is not None and r.low is not None and r.high is not None
    }
    assert as_replayed.keys() == as_printed.keys()
    moved = [n for n in as_printed if as_replayed[n] != as_printed[n]]
    assert len(moved) <= max(2, len(as_printed) // 20), moved
    for number in moved:
        estimate, low, high = as_replayed[number]
        was, was_low, was_high = as_printed[number]
        assert abs(estimate - was) <= 1
        assert abs(low - was_low) <= RANGE_STEP_MINUTES
        assert abs(high - was_high) <= RANGE_STEP_MINUTES
    again = figures(replayed)
    assert again.n == overall["estimate_n"]
    assert math.isclose(again.mae, overall["estimate_mae"], abs_tol=len(moved) / again.n)
    assert math.isclose(again.coverage, overall["estimate_coverage"], abs_tol=len(moved) / again.n)
    # AND so it is given the simulation's own means: the report's floor
    knowing = figures(replay(site, *load_day(out), engine_type=KnowingEngine))
    assert knowing.n == again.n
    assert math.isclose(knowing.mae, overall["true_means_mae"])
    # AND the estimate by simulation is measured on the same tickets, the same each time
    for engine_type in (RunsEngine, KnowingRunsEngine):
        runs = figures(replay(site, *load_day(out), engine_type=engine_type))
        assert runs.n == again.n
        assert runs == figures(replay(site, *load_day(out), engine_type=engine_type))


def test_the_old_estimate_is_recomputed_as_the_central_printed_it() -> None:
    # GIVEN two passports done in 4 and 8 minutes before 10:00, and counter 2 (of A's two)
    # paused at 9:30
    site = load_site(EXAMPLE_SITE)

    def done(seq: int, called: dt.datetime, minutes: float) -> Ticket:
        return Ticket(
            id=f"2026-11-30/A{seq:03d}",
            day=MONDAY,
            number=f"A{seq:03d}",
            prefix="A",
            seq=seq,
            service="A",
            priority=False,
            state=TicketState.FINISHED,
            issued_at=called,
            called_at=called,
            closed_at=called + dt.timedelta(minutes=minutes),
        )

    tickets = [done(1, at(9), 4), done(2, at(9, 10), 8), done(3, at(10, 30), 30)]
    pause = EventRecord(1, at(9, 30), MONDAY, EventKind.PAUSED, "", None, None, None, None, 2, "")
    old = OldEstimate(site, tickets, [pause])
    # THEN at 10:00 three ahead waited 3 x 6 minutes at the one counter left
    assert old("A", at(10), 3) == 18
    # AND before anyone was done, the site's 10 minutes over both counters
    assert old("A", at(8, 30), 3) == 15
    # AND with a 30-minute passport in the last three, 98 minutes of work at 11:40 ran
    # past the ishoma: its hour was added
    assert old("A", at(11, 40), 7) == math.ceil(7 * (4 + 8 + 30) / 3 + 60)
