"""`antre-display`: the lobby screen and voice, from the site file and its credentials.

Full screen on the TV (through KMSDRM on Raspberry Pi OS Lite, no X needed), in a
window for development (`--window 1366x768`), or headless (`--headless`), writing a
screenshot every few seconds and a log line for each announcement.
`--self-test` walks a technician through the screen and the voice instead
(`display.self_test`).
"""

import argparse
import datetime as dt
import logging
import os
import queue
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from contract.credentials import Credentials
from contract.device_link import DeviceLink, Health
from contract.device_start import (
    DeviceRole,
    DeviceSetup,
    RunningDevice,
    device_parser,
    run_device,
)
from contract.errors import AntreError
from contract.messages import BadMessage, CallEvent, QueueState, decode
from contract.sd_notify import Notifier, Watchdog
from contract.site import Display, Site
from contract.topics import Topics
from display.board import Board

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame

from display.announcer import MIXER_SETTINGS, Announcer, PygameClipPlayer
from display.screen import Screen, open_surface, use_dummy_drivers, window_size
from display.screenshot import save_png
from display.self_test import run_self_test
from display.voice import VoicePack

log = logging.getLogger("display")

VERSION = "0.1.0"
FRAMES_PER_SECOND = 30
# Not a topic (every topic has a level): the inbox's mark that the link (re)connected.
RECONNECTED = ""


@dataclass(frozen=True, slots=True)
class Options:
    window: tuple[int, int] | None = None
    headless: bool = False
    screenshot_dir: Path | None = None
    screenshot_every: float = 5.0
    repeat: int = 1


class LobbyDisplay:
    """The display's main loop: messages in, announcer on, screen painted."""

    def __init__(
        self,
        site: Site,
        display: Display,
        pack: VoicePack,
        clock: Callable[[], dt.datetime],
        options: Options,
    ) -> None:
        self.site = site
        self.display = display
        self.clock = clock
        self.options = options
        self.inbox: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.link: DeviceLink | None = None
        self._running = True
        pygame.mixer.pre_init(*MIXER_SETTINGS)
        pygame.init()
        self.surface = open_surface(options.window, options.headless)
        self.screen = Screen(self.surface)
        self.announcer = Announcer(
            PygameClipPlayer(pack), english=display.english, repeat=options.repeat
        )
        self.board = Board(site, display, self.announcer.announce)
        self._announced = 0
        self._last_shot = -1e9

    def received(self, topic: str, payload: bytes) -> None:
        """From paho's thread: queue it for the loop."""
        self.inbox.put((topic, payload))

    def stop(self) -> None:
        self._running = False

    def run(self, notifier: Notifier | None = None) -> None:
        """Paints until stopped; tells systemd READY=1 after the first frame."""
        notifier = notifier or Notifier(None)
        # Only this loop pings systemd's watchdog: a frozen screen gets the display restarted.
        watchdog = Watchdog(notifier)
        ticker = pygame.time.Clock()
        force = True
        ready = False
        while self._running:
            watchdog.ping()
            for event in pygame.event.get():
                if event.type == pygame.QUIT:
                    self._running = False
                elif event.type in (pygame.WINDOWEXPOSED, pygame.WINDOWRESTORED):
                    force = True
            self.step(time.monotonic(), force=force)
            force = False
            if not ready:
                ready = True
                width, height = self.surface.get_size()
                notifier.ready(f"display {self.display.id}: painting at {width}x{height}")
            ticker.tick(FRAMES_PER_SECOND)
        notifier.stopping()
        pygame.quit()

    def step(self, now: float, *, force: bool = False) -> list[pygame.Rect]:
        """One frame: take messages, move the announcer, paint what changed."""
        self._take_messages(now)
        self.announcer.update(now)
        self._log_announcements()
        offline = self.link is None or not self.link.connected
        model = self.board.model(self.clock(), now, self.announcer.speaking, offline)
        dirty = self.screen.paint(model, force=force)
        if dirty:
            pygame.display.update(dirty)
        self._maybe_screenshot(now)
        return dirty

    def _take_messages(self, now: float) -> None:
        while True:
            try:
                topic, payload = self.inbox.get_nowait()
            except queue.Empty:
                return
            if topic == RECONNECTED:
                self.board.reconnected()
                continue
            try:
                if topic.endswith("/state"):
                    self.board.take_state(decode(payload, QueueState))
                else:
                    self.board.take_call(decode(payload, CallEvent), now)
            except BadMessage as e:
                # A display never crashes on a message: say what it was and go on.
                log.warning("dropped a message on %s: %s", topic, e)

    def _log_announcements(self) -> None:
        # `spoken` keeps only the latest announcements: the ones said since the last frame.
        said = self.announcer.spoken_count - self._announced
        spoken = self.announcer.spoken
        for call_id, clips in spoken[max(0, len(spoken) - said) :]:
            log.info("announced %s: %s", call_id, " ".join(clips))
        self._announced = self.announcer.spoken_count

    def _maybe_screenshot(self, now: float) -> None:
        folder = self.options.screenshot_dir
        if folder is None or now - self._last_shot < self.options.screenshot_every:
            return
        self._last_shot = now
        save_png(self.surface, folder / "display.png")


def display_link(
    lobby: LobbyDisplay,
    credentials: Credentials,
    version: str = VERSION,
    noted: Health | None = None,
) -> DeviceLink:
    """The display's link to Mosquitto, attached to `lobby` (not started)."""
    topics = Topics(credentials.site)
    link = DeviceLink(
        lobby.display.id,
        credentials,
        version=version,
        subscriptions=[topics.state, topics.calls],
        on_message=lobby.received,
        # Queued before the retained state that follows: paho calls it on the CONNACK,
        # before any message of the new connection.
        on_connected=lambda: lobby.received(RECONNECTED, b""),
        health=lambda: {"version": version},
        noted=noted,
    )
    lobby.link = link
    return link


ROLE: DeviceRole[Display] = DeviceRole(
    command="antre-display",
    what="display",
    table="displays",
    id_flag="display",
    devices=lambda site: site.displays,
)


def main(argv: list[str] | None = None) -> int:
    return run_device(ROLE, _parser(), argv, _set_up, self_test=run_self_test)


def _set_up(setup: DeviceSetup[Display]) -> RunningDevice:
    args = setup.args
    if args.headless:
        use_dummy_drivers()  # before pygame starts, in LobbyDisplay
    pack = VoicePack.load(args.voice_pack, english=setup.device.english)
    options = Options(
        window=window_size(args.window) if args.window else None,
        headless=args.headless,
        screenshot_dir=Path(args.screenshot_dir) if args.screenshot_dir else None,
        repeat=args.repeat,
    )
    try:
        lobby = LobbyDisplay(setup.site, setup.device, pack, setup.clock, options)
    except pygame.error as e:
        raise AntreError(f"cannot open the screen or the sound card: {e}") from e
    link = display_link(lobby, setup.credentials, noted=setup.noted)
    return RunningDevice(
        start=link.start,
        run=lobby.run,  # READY=1 once the first frame is painted
        stop=lobby.stop,
        close=lambda: link.stop({"version": VERSION}),
    )


def _parser() -> argparse.ArgumentParser:
    parser = device_parser(ROLE, __doc__)
    parser.add_argument("--voice-pack", required=True, help="folder of WAV clips")
    parser.add_argument("--window", metavar="WxH", help="a window of this size, not full screen")
    parser.add_argument("--headless", action="store_true", help="no screen and no sound card")
    parser.add_argument("--screenshot-dir", help="write display.png here every few seconds")
    parser.add_argument("--repeat", type=int, default=1, help="say each call this many times")
    return parser


if __name__ == "__main__":
    sys.exit(main())
