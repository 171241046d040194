"""A fake clip player on a fake clock, for the announcer's tests and the display's; calls to
announce, and the main loop run frame by frame."""

import math
from collections.abc import Sequence

from contract.messages import CallEvent
from display.announcer import Announcer, Cue


class Clock:
    def __init__(self) -> None:
        self.now = 0.0


class FakePlayer:
    """Plays an announcement on a fake clock: each clip lasts `seconds` (or its own
    length in `lengths`). Notes when each clip starts, and any announcement started
    while another was still playing."""

    def __init__(
        self, clock: Clock, seconds: float = 0.3, lengths: dict[str, float] | None = None
    ) -> None:
        self.clock = clock
        self.seconds = seconds
        self.lengths = lengths or {}
        self.until = -math.inf
        # (when the clip starts, its name), for every clip of every announcement played.
        self.plays: list[tuple[float, str]] = []
        self.announcements: list[tuple[float, list[Cue]]] = []
        self.overlaps: list[str] = []
        self.stops: list[float] = []

    def length(self, name: str) -> float:
        return self.lengths.get(name, self.seconds)

    def play(self, cues: Sequence[Cue]) -> None:
        if self.busy():
            self.overlaps.append(cues[0].name)
        now = self.clock.now
        self.announcements.append((now, list(cues)))
        self.plays += [(now + cue.at, cue.name) for cue in cues]
        last = cues[-1]
        self.until = now + last.at + self.length(last.name)

    def stop(self) -> None:
        now = self.clock.now
        self.stops.append(now)
        # The clips that had not started are not heard.
        self.plays = [(at, name) for at, name in self.plays if at <= now]
        self.until = now

    def busy(self) -> bool:
        return self.clock.now < self.until

    def names(self) -> list[str]:
        return [name for _, name in self.plays]


class StuckPlayer(FakePlayer):
    """An audio device that never reports the end of an announcement."""

    def busy(self) -> bool:
        return bool(self.plays)


FPS = 30
CHIME_AND_INTRO = ["chime", "nomor", "antrean"]
GO_TO_COUNTER = ["silakan", "menuju", "loket"]


def call(
    number: str = "A023",
    counter: int = 5,
    *,
    call_id: str | None = None,
    kind: str = "called",
    counter_name: str | None = None,
) -> CallEvent:
    return CallEvent(
        id=call_id or f"{number}-{counter}-{kind}",
        kind="recalled" if kind == "recalled" else "called",
        number=number,
        service=number[0],
        counter=counter,
        counter_name=counter_name or f"Loket {counter}",
        at="2026-12-07T09:00:00+08:00",
        recalls=1 if kind == "recalled" else 0,
    )


def run(announcer: Announcer, clock: Clock, seconds: float, fps: float = FPS) -> list[str | None]:
    """Runs the main loop for `seconds` of fake time; returns `speaking` at each frame."""
    seen: list[str | None] = []
    end = clock.now + seconds
    while clock.now < end:
        announcer.update(clock.now)
        seen.append(announcer.speaking)
        clock.now += 1 / fps
    return seen


def run_until_idle(
    announcer: Announcer, clock: Clock, limit: float = 120.0, fps: float = FPS
) -> list[str | None]:
    seen: list[str | None] = []
    end = clock.now + limit
    while clock.now < end:
        announcer.update(clock.now)
        seen.append(announcer.speaking)
        if announcer.idle:
            return seen
        clock.now += 1 / fps
    raise AssertionError(f"still speaking after {limit} s")
