"""The Python heap a lobby display keeps per call (tracemalloc), in this process.

Part of the footprint bench (`bench/footprint_bench.py`): a display's RSS would hide a
few hundred bytes a call, so a LobbyDisplay here (no MQTT, SDL's dummy video, a silent
player) speaks every call to the end before the next, and then takes calls faster than
it speaks them; `heap_per_call` says what its objects keep per call either way.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import os
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame

from bench.mqtt_bench import MONDAY_MORNING, BenchError
from contract.clock import SimulatedClock
from contract.messages import CallEvent, QueueState, ServiceView, encode
from contract.site import Site
from contract.topics import Topics
from display import main as display_main
from display.main import LobbyDisplay, Options
from display.voice import VoicePack

# The display's Python objects, in this process: calls spoken one after another, after a
# warm-up; then calls queued faster than they are spoken.
HEAP_WARMUP = 300
HEAP_CALLS = 1000
QUEUED_CALLS = 1000
HEAP_REMEMBERED_IDS = 100
# The clock the display's loop is given moves this much a frame: every pause between
# clips and calls is over by the next frame, and a call is spoken in a few dozen frames.
HEAP_FRAME_SECONDS = 2.0
HEAP_FRAMES_PER_CALL = 500


@dataclass(frozen=True)
class Heap:
    """What a LobbyDisplay's Python objects grew by (bytes): over `calls` calls spoken
    one after another, and per call queued faster than it is spoken."""

    calls: int
    grown: int
    per_queued: int


class _SilentPlayer:
    """The display's clip player, in no time and without a sound: whatever it is asked
    to play lasts CLIP_SECONDS (the silent pack's) and is over at once."""

    CLIP_SECONDS = 0.02

    def __init__(self, pack: VoicePack, channel: int = 0) -> None:
        self.played = 0

    def play(self, *what: object) -> None:
        self.played += 1

    def busy(self) -> bool:
        return False

    def length(self, name: str) -> float:
        return self.CLIP_SECONDS

    def stop(self) -> None:
        pass


def heap_per_call(site: Site, display_id: str, pack: Path) -> Heap:
    """The Python heap display `display_id` keeps per call, each spoken to the end before the next.

    In this process, without MQTT, on SDL's dummy video driver and a silent player (no
    sound, no mixer thread): a queue state, then each call goes into `received()` and the
    loop steps, a frame painted each step and its clock HEAP_FRAME_SECONDS on, until the
    announcer is idle again: every call is spoken, as at a day's pace. After HEAP_WARMUP
    calls, tracemalloc counts what the next HEAP_CALLS allocate and still hold, in two
    halves: the first half replaces the bounded caches' entries (which tracemalloc, started
    late, counts as new), the second is what every further call adds. Last, QUEUED_CALLS
    calls come one a frame with the clock stopped, so they pile up unspoken, as in the
    process above: what each of them holds.
    """
    display = next(d for d in site.displays if d.id == display_id)
    # Set once and left (as display_bench does): SDL reads them when pygame starts.
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    with mock.patch.object(display_main, "PygameClipPlayer", _SilentPlayer):
        lobby = LobbyDisplay(
            site,
            display,
            VoicePack.load(pack, english=display.english),
            SimulatedClock(dt.datetime.fromisoformat(MONDAY_MORNING)),
            Options(headless=True),
        )
    try:
        return _display_objects(lobby, site)
    finally:
        pygame.quit()


def _display_objects(lobby: LobbyDisplay, site: Site) -> Heap:
    announcer = lobby.announcer
    # The ids it remembers to refuse repeats: a bounded memory (10,000 ids), made small
    # here so that the warm-up fills it and it is not counted as growth per call.
    announcer.REMEMBERED_IDS = HEAP_REMEMBERED_IDS
    topics = Topics(site.site.id)
    frames = itertools.count()
    calls = _bench_calls(site)
    services = [
        ServiceView(prefix=s.prefix, name=s.name, agency=s.agency, waiting=10)
        for s in site.services
    ]
    state = QueueState(
        seq=1,
        site=site.site.id,
        day=MONDAY_MORNING[:10],
        at=MONDAY_MORNING,
        services=services,
        counters=[],
        recent=[],
    )
    lobby.received(topics.state, encode(state))

    def speak(count: int) -> None:
        for _ in range(count):
            lobby.received(topics.calls, encode(next(calls)))
            for _ in range(HEAP_FRAMES_PER_CALL):
                lobby.step(next(frames) * HEAP_FRAME_SECONDS)
                if announcer.idle:
                    break
            else:
                raise BenchError(f"a call was not spoken in {HEAP_FRAMES_PER_CALL} frames")

    speak(HEAP_WARMUP)
    gc.collect()
    tracemalloc.start()
    try:
        speak(HEAP_CALLS // 2)
        gc.collect()
        middle = tracemalloc.get_traced_memory()[0]
        speak(HEAP_CALLS // 2)
        gc.collect()
        end = tracemalloc.get_traced_memory()[0]
        stopped = next(frames) * HEAP_FRAME_SECONDS
        for _ in range(QUEUED_CALLS):
            lobby.received(topics.calls, encode(next(calls)))
            lobby.step(stopped)
        gc.collect()
        queued = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return Heap(HEAP_CALLS // 2, end - middle, (queued - end) // QUEUED_CALLS)


def _bench_calls(site: Site) -> Iterator[CallEvent]:
    """Calls round every service, each at a counter serving it, numbers rising."""
    counters = {
        s.prefix: [c for c in site.counters if s.prefix in c.services] for s in site.services
    }
    served = [prefix for prefix, at in counters.items() if at]
    for n in itertools.count():
        prefix = served[n % len(served)]
        counter = counters[prefix][n // len(served) % len(counters[prefix])]
        yield CallEvent(
            id=f"heap-{n}",
            kind="called",
            number=f"{prefix}{n // len(served) % 999 + 1:03d}",
            service=prefix,
            counter=counter.number,
            counter_name=counter.name,
            at=MONDAY_MORNING,
        )
