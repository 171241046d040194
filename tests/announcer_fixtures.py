"""A fake clip player on a fake clock, for the announcer's tests and the display's."""

import math
from collections.abc import Sequence

from display.announcer import Cue


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
