"""Lobby screen frame times at 1920x1080 on SDL's dummy video driver.

Four kinds of frame, each timed over FRAMES paints of `Screen.paint` on the display
surface (a real display mode, so cached text is in the display's pixel format):
- idle: nothing changed and no notice, as on a quiet screen between calls;
- ticker: only the notice ticker moved;
- new call: a new number on the newest panel, the recent list shifted;
- full repaint: everything redrawn (`force=True`), as after a window expose.
The last line compares the full repaint with the idle frame: redrawing only what
changed is what keeps the Pi's CPU near idle.
"""

import datetime as dt
import os
import statistics
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame

from display.model import CallShown, ScreenModel, WaitingShown
from display.screen import Screen

FRAMES = 200
SIZE = (1920, 1080)
NOW = dt.datetime(2026, 11, 30, 9, 12, tzinfo=ZoneInfo("Asia/Makassar"))
NOTICE = "Selamat datang di Mal Pelayanan Publik. Siapkan dokumen asli sebelum dipanggil."


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

    print(f"Lobby screen at {SIZE[0]}x{SIZE[1]}, dummy video driver ({FRAMES} frames each; ms)")
    print(f"{'frame':>14} {'mean':>9} {'p99':>9}")
    for name, times in results.items():
        print(f"{name:>14} {statistics.fmean(times):>9.3f} {_p99(times):>9.3f}")
    idle, full = statistics.fmean(results["idle"]), statistics.fmean(results["full repaint"])
    print(f"a full repaint costs {full / idle:,.0f}x an idle frame")


if __name__ == "__main__":
    main()
