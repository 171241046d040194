"""The hub's pure rules: what an event adds to the roll-ups, percentiles from minute counts."""

from __future__ import annotations

import pytest

from contract.hub_stream import QueueEvent
from hub.rules import (
    MAX_WAIT_MINUTE,
    RecordRefused,
    counter_opens,
    event_effect,
    percentile_minute,
    wait_minute,
    waiting_change,
)

DAY = "2026-12-07"


def call(issued: str, called: str, slot: str | None = None) -> QueueEvent:
    return QueueEvent(
        kind="called", at=f"{DAY}T{called}:00+08:00", day=DAY, actor="counter-1",
        ticket_id="A001", service="A", state="called", counter=1,
        issued_at=f"{DAY}T{issued}:00+08:00", called_at=f"{DAY}T{called}:00+08:00", slot=slot,
    )  # fmt: skip


def test_a_call_counts_in_its_local_hour_with_its_wait() -> None:
    effect = event_effect(call("09:50", "10:05"))
    assert (effect.hour, effect.called, effect.wait_seconds) == (10, 1, 15 * 60)


def test_a_booked_citizen_waits_from_their_slot_unless_they_came_after_it() -> None:
    # GIVEN a booking at 10:00, checked in at 09:40, called at 10:12 THEN 12 minutes
    assert event_effect(call("09:40", "10:12", slot="10:00")).wait_seconds == 12 * 60
    # GIVEN a late check-in at 10:20 for the 10:00 slot THEN the wait counts from 10:20
    assert event_effect(call("10:20", "10:30", slot="10:00")).wait_seconds == 10 * 60
    # GIVEN a call before the slot THEN no negative wait
    assert event_effect(call("09:00", "09:30", slot="10:00")).wait_seconds == 0


def test_a_time_without_its_offset_is_refused() -> None:
    event = call("09:00", "09:30")
    event.at = f"{DAY}T09:30:00"
    with pytest.raises(RecordRefused, match="offset"):
        event_effect(event)


def test_waits_round_up_to_whole_minutes_and_are_capped() -> None:
    assert [wait_minute(s) for s in (0, 1, 60, 61, 10**6)] == [0, 1, 1, 2, MAX_WAIT_MINUTE]


def test_percentiles_from_minute_counts() -> None:
    # GIVEN ten waits of 1..10 minutes THEN half waited at most 5, nine in ten at most 9
    counts = dict.fromkeys(range(1, 11), 1)
    assert percentile_minute(counts, 0.5) == 5
    assert percentile_minute(counts, 0.9) == 9
    assert percentile_minute({}, 0.9) is None


def test_waiting_follows_the_tickets_state() -> None:
    assert waiting_change(None, "waiting") == 1
    assert waiting_change("waiting", "called") == -1
    assert waiting_change("skipped", "waiting") == 1
    assert waiting_change("called", "finished") == 0


def test_a_pause_closes_a_counter_and_a_call_opens_it() -> None:
    assert counter_opens("paused") is False
    assert counter_opens("called") is True
    assert counter_opens("issued") is None
