"""The press rules: one press, one ticket; priority for the next press only."""

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract.presses import Press, PressFilter

COOLDOWN = 3.0
WINDOW = 5.0


@pytest.fixture
def presses() -> PressFilter:
    return PressFilter(cooldown_seconds=COOLDOWN, priority_window_seconds=WINDOW)


def tap(presses: PressFilter, service: str, now: float) -> Press | None:
    """A press and its release, as a citizen's finger makes them."""
    press = presses.press(service, now)
    presses.release(service)
    return press


def test_a_first_press_asks_for_a_regular_ticket(presses: PressFilter) -> None:
    # GIVEN a fresh filter
    # WHEN button A is pressed
    press = presses.press("A", 100.0)
    # THEN it asks for one regular ticket of A
    assert press == Press("A", priority=False)


def test_a_bounce_within_milliseconds_is_ignored(presses: PressFilter) -> None:
    # GIVEN a press of A that was accepted
    assert tap(presses, "A", 100.0) is not None
    # WHEN the contact bounces: release and press again 5 ms later
    bounce = tap(presses, "A", 100.005)
    # THEN the bounce asks for nothing
    assert bounce is None


def test_hammering_within_the_cooldown_gives_one_ticket(presses: PressFilter) -> None:
    # GIVEN a child pressing A ten times in 2.7 seconds
    results = [tap(presses, "A", 100.0 + 0.3 * i) for i in range(10)]
    # THEN only the first press asks for a ticket
    assert [r for r in results if r is not None] == [Press("A")]
    assert results[0] == Press("A")


def test_the_cooldown_counts_from_the_last_accepted_press(presses: PressFilter) -> None:
    # GIVEN a press accepted at t=0 and ignored presses at 1 and 2.9
    assert tap(presses, "A", 0.0) is not None
    assert tap(presses, "A", 1.0) is None
    assert tap(presses, "A", 2.9) is None
    # WHEN A is pressed again exactly one cool-down after the accepted press
    press = tap(presses, "A", COOLDOWN)
    # THEN it is accepted: the ignored presses did not extend the cool-down
    assert press == Press("A")


def test_hammering_for_long_gives_one_ticket_per_cooldown(presses: PressFilter) -> None:
    # GIVEN a child pressing A once a second for ten seconds (t = 0 .. 9)
    accepted = [t for t in range(10) if tap(presses, "A", float(t)) is not None]
    # THEN a ticket is asked for every three seconds
    assert accepted == [0, 3, 6, 9]


def test_each_button_has_its_own_cooldown(presses: PressFilter) -> None:
    # GIVEN a press of A that was accepted
    assert tap(presses, "A", 100.0) is not None
    # WHEN B is pressed a moment later
    press = tap(presses, "B", 100.1)
    # THEN B's press is accepted
    assert press == Press("B")


def test_a_held_button_gives_one_press_however_long(presses: PressFilter) -> None:
    # GIVEN A pressed and never released
    assert presses.press("A", 100.0) == Press("A")
    # WHEN a second press event arrives well after the cool-down, with no release
    again = presses.press("A", 100.0 + 10 * COOLDOWN)
    # THEN it is ignored
    assert again is None


def test_a_release_after_a_hold_lets_the_next_press_through(presses: PressFilter) -> None:
    # GIVEN A held for a long time, then released
    assert presses.press("A", 100.0) is not None
    presses.release("A")
    # WHEN A is pressed again after the cool-down
    press = presses.press("A", 100.0 + COOLDOWN)
    # THEN it is accepted
    assert press == Press("A")


def test_a_press_ignored_for_the_cooldown_still_needs_a_release(presses: PressFilter) -> None:
    # GIVEN an accepted tap, then a press within the cool-down that stays down
    assert tap(presses, "A", 100.0) is not None
    assert presses.press("A", 101.0) is None
    # WHEN another press event arrives after the cool-down, with no release between
    again = presses.press("A", 100.0 + COOLDOWN + 1)
    # THEN it is ignored: the button never came up
    assert again is None


def test_a_release_without_a_press_is_harmless(presses: PressFilter) -> None:
    # GIVEN a release of a button that was never pressed
    presses.release("Z")
    # WHEN it is then pressed
    press = presses.press("Z", 100.0)
    # THEN the press is accepted
    assert press == Press("Z")


def test_without_a_cooldown_every_released_press_counts() -> None:
    # GIVEN a filter with no cool-down
    presses = PressFilter(cooldown_seconds=0.0)
    # WHEN A is tapped three times at the same instant
    results = [tap(presses, "A", 100.0) for _ in range(3)]
    # THEN each tap asks for a ticket
    assert results == [Press("A")] * 3


def test_priority_then_service_asks_for_a_priority_ticket(presses: PressFilter) -> None:
    # GIVEN the priority button pressed
    presses.priority_pressed(100.0)
    # WHEN A is pressed two seconds later
    press = tap(presses, "A", 102.0)
    # THEN it asks for a priority ticket of A
    assert press == Press("A", priority=True)


def test_priority_is_used_up_by_one_press(presses: PressFilter) -> None:
    # GIVEN priority pressed, then A
    presses.priority_pressed(100.0)
    assert tap(presses, "A", 101.0) == Press("A", priority=True)
    # WHEN B is pressed within the same window
    press = tap(presses, "B", 102.0)
    # THEN B's ticket is a regular one
    assert press == Press("B", priority=False)
    assert not presses.priority_armed(102.0)


def test_priority_expires_after_the_window(presses: PressFilter) -> None:
    # GIVEN the priority button pressed
    presses.priority_pressed(100.0)
    # WHEN A is pressed just after the window
    press = tap(presses, "A", 100.0 + WINDOW + 0.01)
    # THEN the ticket is a regular one
    assert press == Press("A", priority=False)


def test_an_expired_priority_stays_disarmed(presses: PressFilter) -> None:
    # GIVEN priority pressed and its window passed
    presses.priority_pressed(100.0)
    assert not presses.priority_armed(100.0 + WINDOW + 1)
    # WHEN asked again at an earlier instant (a clock must not bring it back)
    armed = presses.priority_armed(100.0 + 1)
    # THEN priority is still off
    assert not armed


def test_priority_holds_to_the_end_of_the_window(presses: PressFilter) -> None:
    # GIVEN the priority button pressed
    presses.priority_pressed(100.0)
    # WHEN A is pressed exactly at the end of the window
    press = tap(presses, "A", 100.0 + WINDOW)
    # THEN it is still a priority ticket
    assert press == Press("A", priority=True)


def test_a_second_priority_press_restarts_the_window(presses: PressFilter) -> None:
    # GIVEN priority pressed at 100 and again at 104
    presses.priority_pressed(100.0)
    presses.priority_pressed(104.0)
    # WHEN A is pressed at 108, past the first window but within the second
    press = tap(presses, "A", 108.0)
    # THEN it is a priority ticket
    assert press == Press("A", priority=True)


def test_an_ignored_press_does_not_use_up_priority(presses: PressFilter) -> None:
    # GIVEN an accepted A, then priority pressed
    assert tap(presses, "A", 100.0) == Press("A")
    presses.priority_pressed(100.5)
    # WHEN A bounces within its cool-down, then B is pressed
    assert tap(presses, "A", 101.0) is None
    press = tap(presses, "B", 101.5)
    # THEN B gets the priority the bounce did not use
    assert press == Press("B", priority=True)


def test_priority_armed_reports_the_window(presses: PressFilter) -> None:
    # GIVEN nothing pressed, priority is off
    assert not presses.priority_armed(100.0)
    # WHEN the priority button is pressed
    presses.priority_pressed(100.0)
    # THEN priority is armed within the window and off after it
    assert presses.priority_armed(100.0 + WINDOW / 2)
    assert not presses.priority_armed(100.0 + WINDOW + 0.1)


@pytest.mark.parametrize(
    ("cooldown", "window"), [(-1.0, 5.0), (3.0, -0.5)], ids=["cooldown", "window"]
)
def test_negative_times_are_refused(cooldown: float, window: float) -> None:
    # GIVEN / WHEN a filter is made with a negative time / THEN it is refused
    with pytest.raises(ValueError, match="must not be negative"):
        PressFilter(cooldown_seconds=cooldown, priority_window_seconds=window)


@given(
    gaps=st.lists(st.floats(min_value=0.0, max_value=10.0), min_size=1, max_size=50),
    releases=st.lists(st.booleans(), min_size=50, max_size=50),
)
def test_accepted_presses_are_always_a_cooldown_apart(
    gaps: list[float], releases: list[bool]
) -> None:
    # GIVEN any sequence of presses of A, released or not in between
    presses = PressFilter(cooldown_seconds=COOLDOWN)
    now = 0.0
    accepted: list[float] = []
    for gap, released in zip(gaps, releases, strict=False):
        now += gap
        # WHEN each press is filtered
        if presses.press("A", now) is not None:
            accepted.append(now)
        if released:
            presses.release("A")
    # THEN the first press is accepted and accepted presses are a cool-down apart
    assert accepted[0] == gaps[0]
    assert all(b - a >= COOLDOWN for a, b in pairwise(accepted))
