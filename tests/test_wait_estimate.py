"""The wait estimate and its range (issue #16, item 6): pure functions on constructed
service times and counters, then as a ticket and its page give them."""

import math

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from broker.engine.engine import QueueEngine
from broker.engine.waiting import (
    AFTER_BREAK_MINUTES,
    LEAST_LEFT,
    PRIOR_SPREAD,
    PRIOR_WEIGHT,
    RANGE_FLOOR_MINUTES,
    RANGE_SIGMAS,
    CounterNow,
    Estimate,
    Pace,
    ServiceTimes,
    break_starts,
    estimate_queue,
    service_times,
    share_counters,
)
from broker.views import ticket_info
from broker.web.ticket_page import _describe
from contract.site import Site
from tests.conftest import MONDAY, at

# -- what a service takes ---------------------------------------------------------------


def test_before_any_service_time_the_sites_expectation_stands() -> None:
    times = service_times([], expected=6, window=3)
    assert times == ServiceTimes(6.0, PRIOR_SPREAD * 6, PRIOR_WEIGHT)


def test_the_mean_learns_from_the_days_times_the_expectation_counting_as_two() -> None:
    # GIVEN a service expected to take 10 minutes, and three citizens served in 4 each
    times = service_times([4, 4, 4], expected=10, window=10)
    # THEN the mean is (2 x 10 + 3 x 4) / 5
    assert times.mean == pytest.approx(32 / 5)
    assert times.weight == pytest.approx(5)
    # AND after many more, the expectation hardly counts
    assert service_times([4] * 60, expected=10, window=60).mean == pytest.approx(4.2, abs=0.01)


def test_older_times_count_half_for_each_window_further_back() -> None:
    # GIVEN a window of 2: the last two count fully, older ones fade, by half for every
    # two further back (the one a whole window before the last counted one: half)
    times = service_times([40, 20, 2, 2], expected=2, window=2)
    weights = [0.5, 0.5**0.5, 1.0, 1.0]
    expected = PRIOR_WEIGHT * 2 + sum(w * x for w, x in zip(weights, [40, 20, 2, 2], strict=True))
    assert times.mean == pytest.approx(expected / (PRIOR_WEIGHT + sum(weights)))


def test_the_spread_is_that_of_the_days_times() -> None:
    steady = service_times([5, 5, 5, 5, 5, 5, 5, 5], expected=5, window=10)
    erratic = service_times([1, 9, 2, 8, 1, 9, 2, 8], expected=5, window=10)
    assert steady.mean == pytest.approx(erratic.mean)
    assert steady.sd < 1.5 < 3 < erratic.sd


# -- who goes to which counter when -------------------------------------------------------


def exact(mean: float) -> ServiceTimes:
    """Service times that never vary and are known beyond doubt."""
    return ServiceTimes(mean, 0.0, 1e9)


def waits(estimates: dict[str, Estimate | None]) -> list[float | None]:
    return [e.wait if e is not None else None for e in estimates.values()]


def test_one_counter_takes_the_line_in_turn() -> None:
    pace = Pace({"A": exact(10)}, [CounterNow(1, ("A",))], {})
    line = [("a1", "A"), ("a2", "A"), ("a3", "A")]
    assert waits(estimate_queue(pace, line)) == [0, 10, 20]


def test_two_counters_take_the_line_two_at_a_time() -> None:
    pace = Pace({"A": exact(10)}, [CounterNow(1, ("A",)), CounterNow(2, ("A",))], {})
    line = [(f"a{n}", "A") for n in range(5)]
    assert waits(estimate_queue(pace, line)) == [0, 0, 10, 10, 20]


def test_a_citizen_at_the_counter_leaves_what_is_left_of_the_mean() -> None:
    line = [("a1", "A")]
    four_in = Pace({"A": exact(10)}, [CounterNow(1, ("A",), "A", elapsed=4)], {})
    assert waits(estimate_queue(four_in, line)) == [6]
    # one who overruns the mean still takes a quarter of it
    overrun = Pace({"A": exact(10)}, [CounterNow(1, ("A",), "A", elapsed=25)], {})
    assert waits(estimate_queue(overrun, line)) == [LEAST_LEFT * 10]


def test_a_counter_shared_by_two_services_calls_the_older_first() -> None:
    # GIVEN counter 21 serving P (10 minutes) and Q (6), and in the order of issue a Q,
    # a P, a Q
    pace = Pace({"P": exact(10), "Q": exact(6)}, [CounterNow(21, ("P", "Q"))], {})
    line = [("q1", "Q"), ("p1", "P"), ("q2", "Q")]
    # THEN each waits for everyone older at the counter, whatever their service
    assert waits(estimate_queue(pace, line)) == [0, 6, 16]


def test_a_ticket_no_open_counter_serves_has_no_estimate() -> None:
    pace = Pace({"A": exact(10), "B": exact(10)}, [CounterNow(1, ("A",))], {})
    assert estimate_queue(pace, [("b1", "B"), ("a1", "A")]) == {
        "b1": None,
        "a1": Estimate(0, 0, RANGE_FLOOR_MINUTES),
    }


def test_a_service_running_into_a_break_ends_the_counters_work_until_after_it() -> None:
    # GIVEN the break starts after 15 open minutes, one counter, 10 minutes a citizen
    pace = Pace({"A": exact(10)}, [CounterNow(1, ("A",))], {"A": [15.0]})
    line = [("a1", "A"), ("a2", "A"), ("a3", "A"), ("a4", "A")]
    # THEN the second citizen, called at 10, is done during the break, and the third is
    # called once it is over; then the line goes on at its pace
    after = 15 + AFTER_BREAK_MINUTES
    assert waits(estimate_queue(pace, line)) == [0, 10, after, after + 10]


def test_the_range_grows_with_the_spread_of_the_times_ahead() -> None:
    # GIVEN one counter, 10 minutes a citizen give or take 4, the mean known for sure
    times = ServiceTimes(10.0, 4.0, 1e12)
    pace = Pace({"A": times}, [CounterNow(1, ("A",))], {})
    line = [(f"a{n}", "A") for n in range(5)]
    estimates = estimate_queue(pace, line)
    # THEN n citizens ahead spread the wait by sqrt(n) x 4 minutes, and the range is
    # 1.28 of that and 2 minutes either side
    for n, (ticket, _) in enumerate(line):
        found = estimates[ticket]
        assert found is not None
        margin = RANGE_SIGMAS * math.sqrt(n) * 4 + RANGE_FLOOR_MINUTES
        assert found.wait == 10 * n
        assert found.low == pytest.approx(max(0, 10 * n - margin))
        assert found.high == pytest.approx(10 * n + margin)


def test_the_range_grows_with_the_doubt_about_the_mean() -> None:
    # GIVEN a mean learned from few times, against one learned from many
    line = [(f"a{n}", "A") for n in range(8)]
    widths = {}
    for seen in (3, 300):
        pace = Pace({"A": ServiceTimes(10.0, 4.0, seen)}, [CounterNow(1, ("A",))], {})
        last = estimate_queue(pace, line)["a7"]
        assert last is not None
        widths[seen] = last.high - last.low
    # THEN the fewer times seen, the wider the range of a long wait
    assert widths[3] > widths[300] * 1.3


SERVICES = ["A", "B", "C"]


@st.composite
def paces_and_lines(draw: st.DrawFn) -> tuple[Pace, list[tuple[str, str]]]:
    times = {
        s: ServiceTimes(
            draw(st.floats(0.5, 60)), draw(st.floats(0, 60)), draw(st.floats(PRIOR_WEIGHT, 500))
        )
        for s in SERVICES
    }
    counters = []
    for number in range(1, draw(st.integers(0, 4)) + 1):
        serves = tuple(draw(st.lists(st.sampled_from(SERVICES), min_size=1, unique=True)))
        busy = draw(st.none() | st.sampled_from(serves))
        counters.append(CounterNow(number, serves, busy, draw(st.floats(0, 120))))
    breaks = {s: sorted(draw(st.lists(st.floats(0, 600), max_size=2))) for s in SERVICES}
    line = [(f"t{n}", draw(st.sampled_from(SERVICES))) for n in range(draw(st.integers(0, 25)))]
    return Pace(times, counters, breaks), line


@given(paces_and_lines())
def test_the_range_always_holds_the_estimate_and_never_goes_below_zero(
    drawn: tuple[Pace, list[tuple[str, str]]],
) -> None:
    pace, line = drawn
    estimates = estimate_queue(pace, line)
    assert set(estimates) == {ticket for ticket, _ in line}
    for ticket, service in line:
        found = estimates[ticket]
        if not any(service in c.services for c in pace.counters):
            assert found is None
            continue
        assert found is not None
        assert 0 <= found.low <= found.wait <= found.high
        assert found.high - found.low >= RANGE_FLOOR_MINUTES


# -- the site's groups and breaks ----------------------------------------------------------


def test_services_sharing_counters_wait_together(example_site: Site) -> None:
    groups = dict(share_counters(example_site))
    # counters 12 and 13 serve H and I; 14 serves J and 15 both J and K; 21 P and Q
    assert groups[frozenset({"H", "I"})] == {12, 13}
    assert groups[frozenset({"J", "K"})] == {14, 15}
    assert groups[frozenset({"P", "Q"})] == {21}
    assert groups[frozenset({"A"})] == {1, 2}
    # every service is in exactly one group
    listed = [s for services in groups for s in services]
    assert sorted(listed) == sorted(example_site.services_by_prefix)


def test_the_breaks_ahead_in_open_minutes(example_site: Site) -> None:
    # A opens 08:00-12:00 and 13:00-14:00 on a Monday
    service = example_site.services_by_prefix["A"]
    assert break_starts(example_site, service, at(11, 40)) == [20.0]
    assert break_starts(example_site, service, at(7, 30)) == [240.0]
    assert break_starts(example_site, service, at(13, 10)) == []
    assert break_starts(example_site, service, None) == []


# -- on the ticket and its page -------------------------------------------------------------


def test_the_ticket_carries_its_range_in_steps_of_five(example_site: Site) -> None:
    # GIVEN eight passport tickets at 09:00 (two counters, 10 minutes expected)
    engine = QueueEngine(example_site, MONDAY)
    for _ in range(8):
        engine.apply(engine.issue("A", at(9)).events)
    last = engine.tickets()[-1]
    info = ticket_info(engine, last, at(9))
    # THEN the point estimate is what the counters take for the seven ahead: 30 minutes
    assert (info.ahead, info.wait_minutes) == (7, 30)
    # AND the range holds it, rounded out to five minutes
    low, high = info.wait_min_minutes, info.wait_max_minutes
    assert low is not None
    assert high is not None
    assert low % 5 == 0
    assert high % 5 == 0
    assert low < 30 < high
    assert high - low <= 40


def test_a_range_running_into_the_break_has_the_break_added(example_site: Site) -> None:
    # GIVEN the same queue at 11:45, a quarter of an hour before the ishoma
    engine = QueueEngine(example_site, MONDAY)
    for _ in range(8):
        engine.apply(engine.issue("A", at(11, 45)).events)
    info = ticket_info(engine, engine.tickets()[-1], at(11, 45))
    # THEN every figure past 12:00 has the hour of the break in it
    assert info.wait_minutes is not None
    assert info.wait_max_minutes is not None
    assert info.wait_minutes > 60
    assert info.wait_max_minutes > info.wait_minutes


@pytest.mark.parametrize(("lang", "expected"), [("id", "20-35 menit"), ("en", "20-35 minutes")])
def test_the_page_shows_the_range(example_site: Site, lang: str, expected: str) -> None:
    engine = QueueEngine(example_site, MONDAY)
    for _ in range(6):
        engine.apply(engine.issue("A", at(9)).events)
    info = ticket_info(engine, engine.tickets()[-1], at(9))
    assert info.ahead == 5
    view = _describe(msgspec.structs.replace(info, wait_min_minutes=20, wait_max_minutes=35), lang)
    assert view.wait == expected


def test_the_page_of_a_ticket_from_an_older_central_shows_its_one_figure(
    example_site: Site,
) -> None:
    engine = QueueEngine(example_site, MONDAY)
    for _ in range(6):
        engine.apply(engine.issue("A", at(9)).events)
    info = ticket_info(engine, engine.tickets()[-1], at(9))
    old = msgspec.structs.replace(
        info, wait_minutes=20, wait_min_minutes=None, wait_max_minutes=None
    )
    assert _describe(old, "id").wait == "± 20 menit"
