"""Lobby screen frame times at 1920x1080 on SDL's dummy video driver.

Four kinds of frame, each timed over FRAMES paints of `Screen.paint` on the display
surface (a real display mode, so cached text is in the display's pixel format):
- idle: nothing changed and no notice, as on a quiet screen between calls;
- ticker: only the notice ticker moved;
- new call: a new number on the newest panel, the recent list shifted;
- full repaint: everything redrawn (`force=True`), as after a window expose.
The last line compares the full repaint with the idle frame: redrawing only what
changed is what keeps the Pi's CPU near idle.

Then a whole `LobbyDisplay` (display/main.py) runs on SDL's dummy video and audio drivers,
with a voice pack of silent clips and no MQTT link: a queue state, then calls, go straight
into `received()`, the calls from another thread as from paho's. For each call it times
the event-to-first-clip latency, from `received()` to the announcer starting the call
(its chime and words, played as one sound),
with the loop stepping at 30 frames a second as `antre-display` does and, for the best
case, as fast as it can. Each call has a fresh id and is spoken to the end before the next
one. The gaps the announcer leaves between clips and between calls are pauses by design,
not latency: they are set to zero here to keep the run short. Last, this process's
resident memory after start-up and after the calls (run on its own, as a display runs;
after the other benchmarks of `make bench` it also holds what they left behind).
"""

import datetime as dt
import itertools
import os
import queue
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

# Before pygame is imported: SDL reads these when it starts.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame

from contract.clock import system_clock
from contract.messages import CallEvent, QueueState, ServiceView, encode
from contract.site import Display, Site
from contract.site_loader import load_site
from contract.topics import Topics
from display.announcer import Cue, Pauses, PygameClipPlayer
from display.main import FRAMES_PER_SECOND, LobbyDisplay, Options
from display.model import CallShown, ScreenModel, WaitingShown
from display.screen import Screen
from display.voice import CHIME, VoicePack
from display.voice_pack_generator import write_silent_pack

FRAMES = 200
SIZE = (1920, 1080)
NOW = dt.datetime(2026, 11, 30, 9, 12, tzinfo=ZoneInfo("Asia/Makassar"))
NOTICE = "Selamat datang di Mal Pelayanan Publik. Siapkan dokumen asli sebelum dipanggil."

CALLS = 100
SITE_FILE = Path(__file__).resolve().parent.parent / "examples" / "samarinda" / "site.toml"
FRAME_SECONDS = 1 / FRAMES_PER_SECOND
# A call of silent clips is spoken in well under a second; this only stops a stuck run.
CALL_TIMEOUT = 30.0


def _call(i: int) -> CallShown:
    return CallShown(
        id=f"c{i}",
        number=f"A{i % 1000:03d}",
        counter_name=f"Loket {1 + i % 12}",
        service="A",
        at=NOW,
    )


def _model(newest: int, notice: str = "") -> ScreenModel:
    services = ["Paspor", "Perpanjangan SIM", "SKCK", "KTP elektronik", "Kartu Keluarga"]
    return ScreenModel(
        site_name="Mal Pelayanan Publik Kota Samarinda",
        now=NOW,
        newest=_call(newest),
        highlight=True,
        recent=tuple(_call(newest - k) for k in range(1, 5)),
        waiting=tuple(WaitingShown(chr(65 + i), s, 10 + i) for i, s in enumerate(services)),
        notice=notice,
        english=True,
    )


def _time(paint: Callable[[int], list[pygame.Rect]]) -> list[float]:
    """Milliseconds per frame, including `pygame.display.update` of the dirty rects."""
    times = []
    for i in range(FRAMES):
        started = time.perf_counter()
        pygame.display.update(paint(i))
        times.append((time.perf_counter() - started) * 1000)
    return times


def _p99(times: list[float]) -> float:
    return sorted(times)[min(len(times) - 1, round(len(times) * 0.99))]


def main() -> None:
    results = _frame_times()
    print(f"Lobby screen at {SIZE[0]}x{SIZE[1]}, dummy video driver ({FRAMES} frames each; ms)")
    print(f"{'frame':>14} {'mean':>9} {'p99':>9}")
    for name, times in results.items():
        print(f"{name:>14} {statistics.fmean(times):>9.3f} {_p99(times):>9.3f}")
    idle, full = statistics.fmean(results["idle"]), statistics.fmean(results["full repaint"])
    print(f"a full repaint costs {full / idle:,.0f}x an idle frame")

    run = _lobby_run()
    print()
    print(
        f"Event to first clip: received() to the chime starting, {run.drivers} drivers "
        f"({CALLS} calls each; ms)"
    )
    print(f"{'loop':>22} {'p50':>9} {'p99':>9}")
    for name, times in run.latencies.items():
        print(f"{name:>22} {statistics.median(times):>9.3f} {_p99(times):>9.3f}")
    print(
        f"Resident memory ({run.memory_source}): {run.rss_started:.1f} MB after start-up, "
        f"{run.rss_after:.1f} MB after {run.calls} calls"
    )


def _frame_times() -> dict[str, list[float]]:
    pygame.display.init()
    try:
        surface = pygame.display.set_mode(SIZE)
        ticks = iter(range(10**9))
        screen = Screen(surface, clock=lambda: next(ticks) / 30)  # 30 frames a second
        quiet, ticker = _model(100), _model(100, NOTICE)
        screen.paint(quiet)
        results = {"idle": _time(lambda i: screen.paint(quiet))}
        screen.paint(ticker)
        results["ticker"] = _time(lambda i: screen.paint(ticker))
        screen.paint(quiet)
        results["new call"] = _time(lambda i: screen.paint(_model(101 + i)))
        results["full repaint"] = _time(lambda i: screen.paint(quiet, force=True))
    finally:
        pygame.display.quit()
    return results


# -- the whole display: event-to-first-clip latency and memory ---------------------------


@dataclass(frozen=True, slots=True)
class _LobbyRun:
    # SDL's video and audio drivers, e.g. "dummy/dummy".
    drivers: str
    # Loop name -> milliseconds from received() to the chime, one per call.
    latencies: dict[str, list[float]]
    rss_started: float
    rss_after: float
    memory_source: str
    calls: int


def _lobby_run() -> _LobbyRun:
    site = load_site(SITE_FILE)
    # Every service, Indonesian only: the pack below has no English clips.
    display = Display(id="display-bench", name="Bench")
    topics = Topics(site.site.id)
    chimes: list[float] = []
    with (
        tempfile.TemporaryDirectory() as folder,
        mock.patch.object(PygameClipPlayer, "play", _timing_chimes(chimes)),
    ):
        lobby = LobbyDisplay(
            site, display, _quiet_pack(Path(folder)), system_clock, Options(headless=True)
        )
        try:
            drivers = f"{pygame.display.get_driver()}/{pygame.mixer.get_driver()}"
            lobby.announcer.pauses = Pauses(word=0.0, chime=0.0, phrase=0.0, language=0.0)
            lobby.announcer.call_gap = 0.0
            lobby.received(topics.state, encode(_state(site)))
            _step_for(lobby, 1.0)
            rss_started, source = _rss_mb()
            calls = _calls()
            latencies = {
                f"{FRAMES_PER_SECOND} fps (antre-display)": _latencies(
                    lobby, topics, calls, chimes, paced=True
                ),
                "as fast as it can": _latencies(lobby, topics, calls, chimes, paced=False),
            }
            rss_after, _ = _rss_mb()
        finally:
            pygame.quit()
    calls_made = CALLS * len(latencies)
    return _LobbyRun(drivers, latencies, rss_started, rss_after, source, calls_made)


def _quiet_pack(folder: Path) -> VoicePack:
    """Every clip of an Indonesian pack as 20 ms of silence: the timing, not the voice."""
    write_silent_pack(folder, english=False)
    return VoicePack.load(folder, english=False)


def _timing_chimes(chimes: list[float]) -> Callable[[PygameClipPlayer, Sequence[Cue]], None]:
    """`PygameClipPlayer.play` that also notes when a call starting with the chime was
    started (`time.perf_counter()`)."""
    play = PygameClipPlayer.play

    def timed(player: PygameClipPlayer, cues: Sequence[Cue]) -> None:
        play(player, cues)
        if cues and cues[0].name == CHIME:
            chimes.append(time.perf_counter())

    return timed


def _state(site: Site) -> QueueState:
    services = [
        ServiceView(prefix=s.prefix, name=s.name, agency=s.agency, waiting=10 + i)
        for i, s in enumerate(site.services)
    ]
    at = NOW.isoformat()
    return QueueState(
        seq=1, site=site.site.id, day="2026-11-30", at=at, services=services, counters=[], recent=[]
    )


def _calls() -> Iterator[CallEvent]:
    """Calls with fresh ids, over the services and counters of the example site."""
    for i in itertools.count():
        counter = 1 + i % 12
        yield CallEvent(
            id=f"bench/{i}",
            kind="called",
            number=f"{'ABCDH'[i % 5]}{1 + i % 300:03d}",
            service="ABCDH"[i % 5],
            counter=counter,
            counter_name=f"Loket {counter}",
            at=NOW.isoformat(),
        )


def _step_for(lobby: LobbyDisplay, seconds: float) -> None:
    ticker = pygame.time.Clock()
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        pygame.event.pump()
        lobby.step(time.monotonic())
        ticker.tick(FRAMES_PER_SECOND)


def _latencies(
    lobby: LobbyDisplay,
    topics: Topics,
    calls: Iterator[CallEvent],
    chimes: list[float],
    *,
    paced: bool,
) -> list[float]:
    """Milliseconds from `received()` to the chime, for CALLS calls made one at a time.

    A feeder thread stands in for paho's: it hands each call over at a random moment within
    a frame, so a call waits for the next frame as it would on the TV. The loop is
    `LobbyDisplay.run`'s: events, `step(time.monotonic())`, then (paced) `tick(30)`.
    """
    sent: list[float] = []
    handed: queue.Queue[bytes | None] = queue.Queue()

    def feed() -> None:
        while (payload := handed.get()) is not None:
            time.sleep(random.uniform(0.0, FRAME_SECONDS))
            sent.append(time.perf_counter())
            lobby.received(topics.calls, payload)

    feeder = threading.Thread(target=feed, name="bench-feeder", daemon=True)
    feeder.start()
    ticker = pygame.time.Clock()
    first, asked = len(chimes), 0
    deadline = 0.0
    try:
        while True:
            # The previous call started (its chime was heard) and was spoken to the end.
            if len(chimes) - first == asked and lobby.announcer.idle:
                if asked == CALLS:
                    break
                handed.put(encode(next(calls)))
                asked += 1
                deadline = time.monotonic() + CALL_TIMEOUT
            elif time.monotonic() > deadline:
                raise RuntimeError(f"call {asked} was not spoken within {CALL_TIMEOUT:.0f} s")
            pygame.event.pump()
            lobby.step(time.monotonic())
            if paced:
                ticker.tick(FRAMES_PER_SECOND)
    finally:
        handed.put(None)
        feeder.join()
    return [(heard - at) * 1000 for at, heard in zip(sent, chimes[first:], strict=True)]


def _rss_mb() -> tuple[float, str]:
    """This process's resident memory in MB, and where the figure comes from."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024, "VmRSS"
    except OSError:
        pass
    # No /proc (macOS): the peak so far, in bytes on macOS and KiB elsewhere.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024), "peak, ru_maxrss"


if __name__ == "__main__":
    main()
