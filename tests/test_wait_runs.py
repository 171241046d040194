"""The estimate by simulation that the replay measures (`simulation/wait_runs.py`): pure
functions on constructed counters, service times and breaks."""

import statistics

import pytest

from broker.engine.waiting import LEAST_LEFT, CounterNow, Pace, ServiceTimes
from simulation.wait_runs import (
    AFTER_BREAK_MINUTES,
    RANGE_FLOOR_MINUTES,
    RUNS,
    estimate_by_runs,
    leftover,
    lognormal_points,
    pool_of,
    waits_by_runs,
)

BREAK_MINUTES = 60


def one_counter(serves: tuple[str, ...] = ("A",), breaks: list[float] | None = None) -> Pace:
    """One free counter serving `serves`, with the open minutes to each break ahead."""
    times = {s: ServiceTimes(10.0, 5.0, 10.0) for s in serves}
    return Pace(times, [CounterNow(1, serves)], {s: breaks or [] for s in serves})


def line(count: int, service: str = "A") -> list[tuple[str, str]]:
    return [(f"{service.lower()}{n}", service) for n in range(count)]


def test_times_that_never_vary_give_the_waits_the_central_gives() -> None:
    # GIVEN services that always take 10 minutes, at two counters serving them
    exact = {"A": [10.0] * 4}
    pace = Pace(
        {"A": ServiceTimes(10.0, 0.0, 1e9)}, [CounterNow(1, ("A",)), CounterNow(2, ("A",))], {}
    )
    # WHEN five wait
    found = estimate_by_runs(pace, line(5), exact)
    # THEN each run gives the same: two at once, two after 10 minutes, one after 20
    assert [e.wait if e else None for e in found.values()] == [0, 0, 10, 10, 20]
    # AND the range is only the few minutes no run foresees, never below zero
    assert [(e.low, e.high) if e else None for e in found.values()] == [
        (0, RANGE_FLOOR_MINUTES),
        (0, RANGE_FLOOR_MINUTES),
        (10 - RANGE_FLOOR_MINUTES, 10 + RANGE_FLOOR_MINUTES),
        (10 - RANGE_FLOOR_MINUTES, 10 + RANGE_FLOOR_MINUTES),
        (20 - RANGE_FLOOR_MINUTES, 20 + RANGE_FLOOR_MINUTES),
    ]


def test_a_ticket_goes_only_to_the_counters_serving_its_service() -> None:
    # GIVEN counter 14 serving J only and counter 15 J and K, each busy for 10 minutes
    # more (J's times never vary; K's are not drawn: no K is in front of the counters)
    pools = {"J": [10.0], "K": [30.0]}
    times = {"J": ServiceTimes(10.0, 0.0, 1e9), "K": ServiceTimes(30.0, 0.0, 1e9)}
    counters = [CounterNow(14, ("J",), "J", 0.0), CounterNow(15, ("J", "K"), "J", 0.0)]
    pace = Pace(times, counters, {})
    # WHEN a J ticket, a K ticket and a J ticket wait, and an X nobody serves
    queue = [("j1", "J"), ("k1", "K"), ("j2", "J"), ("x1", "X")]
    found = estimate_by_runs(pace, queue, pools)
    # THEN j1 takes counter 14 at 10, k1 counter 15 at 10, j2 counter 14 again at 20
    assert [e.wait if e else None for e in found.values()] == [10, 10, 20, None]


def test_before_the_day_shows_a_time_the_sites_expectation_is_drawn_from() -> None:
    # GIVEN a service the site expects to take 10 minutes, no time seen yet
    cold = pool_of([], expected=10)
    assert statistics.fmean(cold) == pytest.approx(10, rel=0.05)
    # WHEN four wait at one free counter
    fourth = estimate_by_runs(one_counter(), line(4), {"A": cold})["a3"]
    # THEN the fourth waits about three expected times, within a range around it
    assert fourth is not None
    assert fourth.wait == pytest.approx(30, abs=3)
    assert fourth.low < fourth.wait < fourth.high
    # AND once many 4-minute services are seen, the estimate follows them
    warm = pool_of([4.0] * 80, expected=10)
    learned = estimate_by_runs(one_counter(), line(4), {"A": warm})["a3"]
    assert learned is not None
    assert learned.wait == pytest.approx(12, abs=1)


def test_the_same_state_gives_the_same_estimate_whoever_is_behind() -> None:
    # GIVEN a counter 3 minutes into a service and twenty waiting
    pool = pool_of([3.0, 5.0, 8.0, 13.0, 21.0], expected=10)
    pace = Pace({"A": ServiceTimes(10.0, 5.0, 7.0)}, [CounterNow(1, ("A",), "A", 3.0)], {})
    # WHEN the estimate is made twice, and once for the first eight alone
    first = estimate_by_runs(pace, line(20), {"A": pool})
    again = estimate_by_runs(pace, line(20), {"A": pool})
    shorter = estimate_by_runs(pace, line(8), {"A": pool})
    # THEN it is the same each time (the kiosk's ticket and the page agree), and nobody's
    # estimate depends on who waits behind them
    assert first == again
    assert all(shorter[ticket] == first[ticket] for ticket in shorter)
    # AND the waits grow along the line
    waits = [e.wait for e in first.values() if e is not None]
    assert waits == sorted(waits)
    assert waits[-1] > waits[0]


def test_across_a_break_the_median_is_a_wait_before_it_or_after_it_not_between() -> None:
    # GIVEN one counter, service times of 5 minutes on average and varying, and a break
    # of an hour 40 open minutes from now
    pool = lognormal_points(5.0, 2.5, 64)
    pace = one_counter(breaks=[40.0])
    # WHEN nine wait: the ninth is called after about eight services, 40 minutes or so
    found = estimate_by_runs(pace, line(9), {"A": pool})
    ninth = found["a8"]
    assert ninth is not None
    # THEN on the wall clock (the break's hour added to every wait past it) the runs
    # fall in two groups: called before the break, or after it
    runs = [w if w <= 40.0 else w + BREAK_MINUTES for w in _runs_of(pace, pool, 9)]
    before = [w for w in runs if w <= 40.0]
    after = [w for w in runs if w > 40.0 + BREAK_MINUTES]
    assert len(before) + len(after) == RUNS
    assert min(len(before), len(after)) > RUNS // 5
    # AND the mean of them falls in the gap where no run is, but the median on a run
    assert 40.0 < statistics.fmean(runs) < 40.0 + BREAK_MINUTES
    median = ninth.wait if ninth.wait <= 40.0 else ninth.wait + BREAK_MINUTES
    assert median in runs
    # AND whoever is called after it waits from the break's end: the counter that was
    # busy at its start calls nobody before
    assert all(w <= 40.0 or w >= 40.0 + AFTER_BREAK_MINUTES for w in _runs_of(pace, pool, 9))


def test_what_is_left_of_a_service_under_way_is_of_the_longer_times() -> None:
    # GIVEN times of 2, 6 and 12 minutes seen
    pool = [2.0, 6.0, 12.0]
    # THEN a citizen there for 5 minutes has 1 or 7 left; one there for 20, a little
    assert leftover(pool, 5.0) == [1.0, 7.0]
    assert leftover(pool, 20.0) == [LEAST_LEFT * statistics.fmean(pool)]


def test_a_lognormal_of_no_spread_is_its_mean() -> None:
    assert lognormal_points(7.0, 0.0, 4) == [7.0] * 4
    points = lognormal_points(10.0, 5.0)
    assert points == sorted(points)
    assert statistics.fmean(points) == pytest.approx(10.0, rel=0.05)
    assert statistics.median(points) < 10.0


def _runs_of(pace: Pace, pool: list[float], count: int) -> list[float]:
    """Every run's wait of the last of `count` tickets at one counter serving A."""
    found = waits_by_runs(pace, line(count), {"A": pool})[f"a{count - 1}"]
    assert found is not None
    return found.waits
