"""A device's view of the central: there or away, and the central's clock."""

import datetime as dt

from contract.central_presence import STALE_AFTER_SECONDS, CentralPresence

NOON = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


class Ticks:
    """A monotonic clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_central_is_away_until_it_gives_a_sign() -> None:
    ticks = Ticks()
    presence = CentralPresence(monotonic=ticks)
    assert not presence.there()
    presence.sign()
    assert presence.there()


def test_beats_missed_for_longer_than_the_stale_time_mean_away() -> None:
    ticks = Ticks()
    presence = CentralPresence(monotonic=ticks)
    presence.sign()
    ticks.now += STALE_AFTER_SECONDS
    assert presence.there()
    ticks.now += 0.01
    assert not presence.there()
    # AND the next beat brings it back
    presence.sign()
    assert presence.there()


def test_an_unanswered_request_means_away_at_once() -> None:
    presence = CentralPresence(monotonic=Ticks())
    presence.sign()
    presence.away()
    assert not presence.there()


def test_the_central_clock_is_read_from_its_heartbeat() -> None:
    presence = CentralPresence(monotonic=Ticks())
    assert presence.central_time(NOON) is None
    # GIVEN a heartbeat stamped 12:00:07 read when this device's clock says 12:00:00
    presence.sign(NOON + dt.timedelta(seconds=7), NOON)
    # THEN this device's 12:01:00 is 12:01:07 on the central's clock
    assert presence.central_time(NOON + dt.timedelta(minutes=1)) == NOON + dt.timedelta(
        minutes=1, seconds=7
    )
    # AND an answer (no clock in it) keeps what the last heartbeat said
    presence.sign()
    assert presence.central_time(NOON) == NOON + dt.timedelta(seconds=7)
