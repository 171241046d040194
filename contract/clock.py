"""Clocks: the real one, and a simulated one for demos and tests (any role).

A simulated clock starts at a chosen moment (a Monday at 09:00, say) and runs at a
chosen speed, so a demo at night still finds the mall open and a simulated day
can pass in minutes.
"""

import datetime as dt
import time


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SimulatedClock:
    """Time that starts at `start` and runs `speed` times faster than real time."""

    def __init__(
        self, start: dt.datetime, speed: float = 1.0, *, started: float | None = None
    ) -> None:
        """`started`: the `time.monotonic()` at which it read `start` (by default now). The
        monotonic clock is the machine's, so another process given the same three values
        keeps the very same time (the central's public pages do)."""
        if start.tzinfo is None:
            raise ValueError("the simulated start needs a time zone, e.g. +08:00")
        if speed <= 0:
            raise ValueError("the speed must be above zero")
        self.start = start
        self.speed = speed
        self.started = time.monotonic() if started is None else started

    def __call__(self) -> dt.datetime:
        elapsed = (time.monotonic() - self.started) * self.speed
        return self.start + dt.timedelta(seconds=elapsed)
