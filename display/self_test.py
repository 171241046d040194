"""`antre-display --self-test`: the screen and the voice, checked by the technician.

The display opens its screen as it does in service (full screen at the TV's mode, or
`--window WxH`, or `--headless`) and walks through:

1. **mode layar / screen mode**: the size, SDL's video driver, full screen or a window.
   Full screen below 1280x720 fails: a Pi that booted before the TV was on.
2. **bagian layar / screen zones**: a test pattern, every zone of the layout in its own
   colour with its name and size, a white line along the four edges and the device's id
   and name large in the middle; the technician says whether every zone is whole (a TV
   that overscans cuts the edges off).
3. **waktu bingkai / frame time**: the lobby board, painted from an example state for a
   few dozen frames as the display paints it (a call now and then, the notice moving):
   the median and worst frame against the 30 fps budget. A median over it fails.
4. **paket suara / voice pack**: `--voice-pack` holds every clip the display needs.
5. **pengumuman uji / test announcement**: the chime and a sample call ("A001, loket 1")
   through the display's own announcer, on the configured audio output (SDL's audio
   driver and `AUDIODEV`), while the screen names the device; the technician says
   whether it was heard clearly (`u` says it again).

With SDL's dummy drivers (`--headless`) nothing is seen or heard, but everything runs:
the pattern is painted, the frames timed and the clips played. `--screenshot-dir`
receives the test pattern as `self-test-pattern.png`.
"""

import argparse
import datetime as dt
import itertools
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame

from contract.device_start import SelfTestSetup
from contract.errors import AntreError
from contract.messages import CallEvent, CounterView, QueueState, ServiceView
from contract.self_test import NO, YES, Outcome, SelfTest, Technician, confirmed, now_text
from contract.site import Display, Site
from display.announcer import MIXER_SETTINGS, Announcer, PygameClipPlayer
from display.board import Board
from display.layout import ARROW, NEWEST_LABEL, RECENT_LABEL, WAITING_LABEL
from display.screen import Screen, open_surface, use_dummy_drivers, window_size
from display.screenshot import save_png
from display.text_render import Colour
from display.voice import VoicePack, VoicePackError

ROLE = "display"
PATTERN_FILE = "self-test-pattern.png"

MODE = "mode layar / screen mode"
ZONES = "bagian layar / screen zones"
FRAME_TIME = "waktu bingkai / frame time"
VOICE_PACK = "paket suara / voice pack"
ANNOUNCEMENT = "pengumuman uji / test announcement"

ZONES_QUESTION = (
    "Semua bagian layar terlihat utuh? / is every zone of the screen visible, nothing cut off?"
)
HEARD_QUESTION = "Pengumuman uji terdengar jelas? / was the test announcement heard clearly?"
AGAIN = frozenset({"u", "ulang", "ulangi", "again"})

# The smallest full-screen mode a lobby TV is read at; below it the Pi saw no TV at boot.
SMALLEST_MODE = (1280, 720)
FRAMES_PER_SECOND = 30
FRAME_BUDGET_MS = 1000 / FRAMES_PER_SECOND
FRAMES_TIMED = 45
# A new call every this many frames, so the call panels are repainted too.
CALL_EVERY = 10
# The longest a test announcement may take before it counts as not played.
ANNOUNCEMENT_LIMIT = 60.0
_POLL = 0.03

# Each zone of the test pattern: its colour and what it is called. A zone the layout adds
# later is shown too, in grey, under its own name.
ZONE_COLOURS: dict[str, Colour] = {
    "header": (200, 40, 40),
    "newest": (30, 150, 60),
    "recent": (40, 90, 210),
    "waiting": (220, 130, 0),
    "notice": (140, 50, 170),
}
ZONE_NAMES = {
    "header": "KEPALA / header",
    "newest": f"{NEWEST_LABEL[0]} / newest call",
    "recent": f"{RECENT_LABEL[0]} / previous calls",
    "waiting": f"{WAITING_LABEL[0]} / waiting",
    "notice": "PENGUMUMAN / notice",
}
OTHER_ZONE: Colour = (110, 110, 110)
EDGE: Colour = (255, 255, 255)
CARD_BG: Colour = (0, 0, 0)
CARD_TEXT: Colour = (255, 255, 255)
CARD_ACCENT: Colour = (255, 204, 0)


def run_self_test(setup: SelfTestSetup[Display]) -> int:
    """Walks the technician through the screen and the voice; saves the checklist in the
    state folder and prints it. 0 when every check passed, 1 otherwise."""
    args, device, technician = setup.args, setup.device, setup.technician
    test = SelfTest(device.id, ROLE, now_text(setup.clock().astimezone(setup.site.site.timezone)))
    technician.say(f"Uji mandiri layar / display self-test: {_named(device)}")
    if args.headless:
        use_dummy_drivers()
    window = window_size(args.window) if args.window else None
    pygame.mixer.pre_init(*MIXER_SETTINGS)
    pygame.init()
    try:
        _Session(setup, test, window).walk()
    except KeyboardInterrupt:
        technician.say("Dibatalkan / cancelled: tidak disimpan / nothing saved")
        return 130
    finally:
        pygame.quit()
    try:
        saved: Path | None = test.save(setup.state_dir)
    except OSError as e:
        saved = None
        technician.say(f"Hasil tidak dapat disimpan / the result cannot be saved: {e}")
    technician.checklist(test, saved)
    return 0 if test.passed and saved is not None else 1


class _Session:
    """One walk through the checks, on one screen and one mixer."""

    def __init__(
        self, setup: SelfTestSetup[Display], test: SelfTest, window: tuple[int, int] | None
    ) -> None:
        self.args: argparse.Namespace = setup.args
        self.site: Site = setup.site
        self.device = setup.device
        self.clock = setup.clock
        self.technician: Technician = setup.technician
        self.timeout = setup.timeout
        self.test = test
        self.window = window
        self.screen: Screen | None = None
        self.mode = ""
        self.announcer: Announcer | None = None

    def walk(self) -> None:
        if self._open_screen():
            self._zones()
            self._frame_time()
        else:
            for name in (ZONES, FRAME_TIME):
                self.test.add(name, Outcome.SKIPPED, "layar tidak terbuka / no screen")
        self._announcement()

    # --- the screen ---

    def _open_screen(self) -> bool:
        try:
            surface = open_surface(self.window, self.args.headless)
        except pygame.error as e:
            self.test.add(MODE, Outcome.FAILED, f"layar tidak dapat dibuka / cannot open: {e}")
            return False
        self.screen = Screen(surface)
        width, height = surface.get_size()
        full = bool(surface.get_flags() & pygame.FULLSCREEN)
        detail = f"{width}x{height}, {pygame.display.get_driver()}, " + (
            "layar penuh / full screen" if full else "jendela / window"
        )
        small_w, small_h = SMALLEST_MODE
        if full and (width < small_w or height < small_h):
            self.test.add(
                MODE,
                Outcome.FAILED,
                f"{detail}: lebih kecil dari / smaller than {small_w}x{small_h} "
                "(TV dinyalakan setelah Pi? / TV switched on after the Pi?)",
            )
        else:
            self.test.add(MODE, Outcome.PASSED, detail)
        self.mode = detail
        return True

    def _zones(self) -> None:
        screen = self.screen
        assert screen is not None
        paint_test_pattern(screen, self.device, self.mode)
        pygame.display.flip()
        folder = self.args.screenshot_dir
        if folder:
            save_png(screen.surface, Path(folder) / PATTERN_FILE)
        self.technician.say(
            "Lihat layar: setiap bagian berwarna dengan namanya, garis putih di keempat tepi. "
            "/ Look at the screen: each zone in its colour with its name, a white line "
            "along all four edges."
        )
        answer = self._ask(ZONES_QUESTION)
        confirmed(self.test, ZONES, answer, "terpotong atau tidak utuh / cut off or incomplete")

    def _frame_time(self) -> None:
        screen = self.screen
        assert screen is not None
        board = Board(self.site, self.device, lambda call: True)
        board.take_state(example_state(self.site, self.device, self.clock()))
        ticker = pygame.time.Clock()
        times: list[float] = []
        for frame in range(FRAMES_TIMED):
            now = time.monotonic()
            if frame % CALL_EVERY == CALL_EVERY - 1:
                board.take_call(example_call(self.site, self.device, frame, self.clock()), now)
            started = time.perf_counter()
            model = board.model(self.clock(), now, None, offline=False)
            dirty = screen.paint(model, force=frame == 0)
            if dirty:
                pygame.display.update(dirty)
            times.append((time.perf_counter() - started) * 1000)
            pygame.event.pump()
            ticker.tick(FRAMES_PER_SECOND)
        median, worst = statistics.median(times), max(times)
        detail = (
            f"median {median:.1f} ms, terburuk / worst {worst:.1f} ms, anggaran / budget "
            f"{FRAME_BUDGET_MS:.0f} ms ({FRAMES_PER_SECOND} fps), {len(times)} bingkai / frames"
        )
        outcome = Outcome.PASSED if median <= FRAME_BUDGET_MS else Outcome.FAILED
        self.test.add(FRAME_TIME, outcome, detail)

    # --- the voice ---

    def _announcement(self) -> None:
        try:
            pack = VoicePack.load(self.args.voice_pack, english=self.device.english)
        except VoicePackError as e:
            self.technician.say(str(e))  # every bad file; the checklist names a few
            self.test.add(VOICE_PACK, Outcome.FAILED, pack_problems(e))
            self.test.add(ANNOUNCEMENT, Outcome.SKIPPED, "tanpa paket suara / no voice pack")
            return
        self.test.add(VOICE_PACK, Outcome.PASSED, f"{pack.folder}, {len(pack.clips)} klip / clips")
        try:
            if not pygame.mixer.get_init():
                pygame.mixer.init(*MIXER_SETTINGS)
            self.announcer = Announcer(PygameClipPlayer(pack), english=self.device.english)
        except (pygame.error, AntreError) as e:
            self.test.add(
                ANNOUNCEMENT, Outcome.FAILED, f"kartu suara tidak terbuka / no sound card: {e}"
            )
            return
        output = audio_output()
        call = sample_call(self.site, self.device, self.clock())
        said = f"{call.number} {ARROW} {call.counter_name.upper()}"
        self.technician.say(
            f"Dengarkan / listen: pengumuman uji {said} di / on {output}, layar menunjukkan "
            f"/ the screen shows {self.device.id}"
        )
        if self.screen is not None:
            paint_announcement_card(self.screen, self.device, said, output)
            pygame.display.flip()
        times = itertools.count(1)

        def say_it() -> bool:
            n = next(times)
            if n > 1:
                self.technician.say(f"Sekali lagi / once more: {said}")
            return self._speak(call, f"{call.id}/{n}")  # a new id: said again

        if not say_it():
            self.test.add(
                ANNOUNCEMENT,
                Outcome.FAILED,
                f"tidak selesai diputar dalam / not played within {ANNOUNCEMENT_LIMIT:g} s "
                f"on {output}",
            )
            return
        clips = self.announcer.spoken[-1][1]
        detail = f"{output}; {len(clips)} klip / clips: {' '.join(clips)}"
        answer = self._ask(HEARD_QUESTION, again=say_it)
        if answer:
            self.test.add(ANNOUNCEMENT, Outcome.PASSED, detail)
        else:
            confirmed(
                self.test,
                ANNOUNCEMENT,
                answer,
                f"tidak terdengar jelas / not heard clearly; {detail}",
            )

    def _speak(self, call: CallEvent, call_id: str) -> bool:
        """Says `call` through the announcer to its end; False if it did not get there."""
        announcer = self.announcer
        assert announcer is not None
        event = CallEvent(
            id=call_id,
            kind=call.kind,
            number=call.number,
            service=call.service,
            counter=call.counter,
            counter_name=call.counter_name,
            at=call.at,
        )
        if not announcer.announce(event):
            return False
        deadline = time.monotonic() + ANNOUNCEMENT_LIMIT
        while not announcer.idle and time.monotonic() < deadline:
            announcer.update(time.monotonic())
            pygame.event.pump()
            time.sleep(0.005)
        return any(spoken_id == call_id for spoken_id, _ in announcer.spoken)

    # --- the technician ---

    def _ask(self, question: str, again: Callable[[], bool] | None = None) -> bool | None:
        """A yes/no question; None when no answer comes within the timeout. The screen
        stays responsive meanwhile, and `u` runs `again` (says the announcement again)."""
        hint = "[y/n]" if again is None else "[y/n, u = ulangi / again]"
        self.technician.say(f"{question} {hint}")
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            pygame.event.pump()
            answer = self.technician.line(_POLL)
            if answer is None:
                continue
            word = answer.lower()
            if word in YES:
                return True
            if word in NO:
                return False
            if again is not None and word in AGAIN:
                again()
            else:
                self.technician.say(f"Jawab / answer {hint}")
            deadline = time.monotonic() + self.timeout
        return None


# --- what is painted and said -------------------------------------------------------------


def paint_test_pattern(screen: Screen, device: Display, mode: str) -> None:
    """Every zone of the layout in its own colour with its name and size; a white line
    along the screen's four edges; the device's id and name large in the middle."""
    surface, layout, text = screen.surface, screen.layout, screen.text
    surface.fill(CARD_BG)
    for name, rect in layout.regions().items():
        colour = ZONE_COLOURS.get(name, OTHER_ZONE)
        surface.fill(colour, rect)
        pygame.draw.rect(surface, CARD_BG, rect, width=2)
        # Its name and size in its top-left corner, clear of the card in the middle; the
        # zone's own middle stays its plain colour.
        inner = rect.inflate(-2 * layout.margin, -layout.margin)
        width = min(inner.w, surface.get_width() * 27 // 100 - inner.x)
        line = min(inner.h // 2, layout.margin * 3 // 2)
        for row, words in enumerate((ZONE_NAMES.get(name, name), f"{rect.w}x{rect.h}")):
            box = pygame.Rect(inner.x, inner.y + row * line, max(width, inner.w // 3), line)
            text.draw(words, box, CARD_TEXT, colour, align="left")
    edge = max(2, layout.margin // 4)
    pygame.draw.rect(surface, EDGE, surface.get_rect(), width=edge)
    _card(
        screen,
        [(device.id, CARD_ACCENT, 3), (device.name or "", CARD_TEXT, 2), (mode, CARD_TEXT, 1)],
    )


def paint_announcement_card(screen: Screen, device: Display, said: str, output: str) -> None:
    """The screen during the test announcement: which device speaks, what, and where."""
    screen.surface.fill(CARD_BG)
    _card(
        screen,
        [
            ("PENGUMUMAN UJI / TEST ANNOUNCEMENT", CARD_TEXT, 1),
            (device.id, CARD_ACCENT, 3),
            (device.name or "", CARD_TEXT, 2),
            (said, CARD_ACCENT, 2),
            (output, CARD_TEXT, 1),
        ],
    )


def _card(screen: Screen, lines: list[tuple[str, Colour, int]]) -> None:
    """A black box in the middle of the screen, its lines stacked by weight."""
    surface, margin = screen.surface, screen.layout.margin
    width, height = surface.get_size()
    box = pygame.Rect(0, 0, width * 9 // 20, height * 17 // 50)
    box.center = surface.get_rect().center
    surface.fill(CARD_BG, box)
    pygame.draw.rect(surface, EDGE, box, width=max(2, margin // 4))
    inner = box.inflate(-4 * margin, -2 * margin)
    shown = [line for line in lines if line[0]]
    total = sum(weight for _, _, weight in shown)
    y = inner.y
    for words, colour, weight in shown:
        h = inner.h * weight // total
        screen.text.draw(words, pygame.Rect(inner.x, y, inner.w, h * 17 // 20), colour, CARD_BG)
        y += h


def pack_problems(error: VoicePackError, shown: int = 4) -> str:
    """A voice pack's bad files, briefly: the first few and how many more."""
    files = [f"{file} ({problem})" for file, problem in error.problems.items()]
    more = len(files) - shown
    rest = f", dan / and {more} lagi / more" if more > 0 else ""
    return f"{error.folder}: {len(files)} berkas / files: {', '.join(files[:shown])}{rest}"


def audio_output() -> str:
    """Where the voice goes: SDL's audio driver and ALSA's device (`AUDIODEV`)."""
    driver = pygame.mixer.get_driver() if pygame.mixer.get_init() else "?"
    device = os.environ.get("AUDIODEV")
    return f"audio {driver}" + (f" {device}" if device else "")


def _services(site: Site, device: Display) -> list[ServiceView]:
    shown = device.services or [s.prefix for s in site.services]
    return [
        ServiceView(prefix=s.prefix, name=s.name, agency=s.agency, waiting=(i * 7) % 23 + 1)
        for i, s in enumerate(site.services)
        if s.prefix in shown
    ]


def sample_call(site: Site, device: Display, now: dt.datetime) -> CallEvent:
    """The sample call of the test announcement: the display's first service, number 1,
    at counter 1 ("A001, loket 1"): words every voice pack holds."""
    prefix = (device.services or [s.prefix for s in site.services] or ["A"])[0]
    return CallEvent(
        id="self-test",
        kind="called",
        number=f"{prefix}001",
        service=prefix,
        counter=1,
        counter_name="Loket 1",
        at=now.isoformat(),
    )


def example_call(site: Site, device: Display, n: int, now: dt.datetime) -> CallEvent:
    """A call for the frame-time test, at one of the display's services."""
    services = _services(site, device)
    view = services[n % len(services)] if services else None
    prefix = view.prefix if view else "A"
    counter = n % 12 + 1
    return CallEvent(
        id=f"self-test/frame/{n}",
        kind="called",
        number=f"{prefix}{n % 1000:03d}",
        service=prefix,
        counter=counter,
        counter_name=f"Loket {counter}",
        at=now.isoformat(),
    )


def example_state(site: Site, device: Display, now: dt.datetime) -> QueueState:
    """A busy morning for the frame-time test: the display's services with people
    waiting, four calls made, a notice scrolling."""
    recent = [example_call(site, device, n, now) for n in range(200, 204)]
    return QueueState(
        seq=1,
        site=site.site.id,
        day=now.date().isoformat(),
        at=now.isoformat(),
        services=_services(site, device),
        counters=[CounterView(number=n, name=f"Loket {n}", paused=False) for n in range(1, 13)],
        recent=recent,
        notice="Uji mandiri layar: pengumuman berjalan di bawah. / Self-test: the notice "
        "scrolls along the bottom.",
    )


def _named(device: Display) -> str:
    return f"{device.id} ({device.name})" if device.name else device.id
