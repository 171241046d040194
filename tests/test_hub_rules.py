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
        issued_at=f"{DAY}T{issued}:00+08:00", called_at=f"{DAY}T{called}:00+08:00",
        slot=f"{DAY}T{slot}:00+08:00" if slot else None,
    )  # fmt: skip


def test_a_call_counts_in_its_local_hour_with_its_wait() -> None:
    effect = event_effect(call("09:50", "10:05"))
    assert (effect.hour, effect.called, effect.wait_seconds) == (10, 1, 15 * 60)


def test_a_booked_ticket_waits_from_its_slot_not_from_its_check_in() -> None:
    # GIVEN a booking at 10:00, checked in at 09:40, called at 10:12 THEN 12 minutes
    assert event_effect(call("09:40", "10:12", slot="10:00")).wait_seconds == 12 * 60
    # GIVEN a check-in at 10:10, late within the window (it keeps the slot's place),
    # called at 10:30 THEN 30 minutes, from the slot, as the site's booking report says
    assert event_effect(call("10:10", "10:30", slot="10:00")).wait_seconds == 30 * 60
    # GIVEN a call before the slot THEN no negative wait
    assert event_effect(call("09:00", "09:30", slot="10:00")).wait_seconds == 0
    # GIVEN the slot in UTC, as the central sends its times THEN the same moment
    utc = call("09:40", "10:12")
    utc.slot = f"{DAY}T02:00:00+00:00"
    assert event_effect(utc).wait_seconds == 12 * 60


def test_a_slot_that_is_no_time_is_refused() -> None:
    event = call("09:40", "10:12")
    event.slot = "10:00"
    with pytest.raises(RecordRefused, match="slot"):
        event_effect(event)


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
