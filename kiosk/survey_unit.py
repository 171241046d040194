"""`antre-survey`: a satisfaction survey unit at one counter or between neighbouring ones.

Four buttons, 4 sangat puas, 3 puas, 2 kurang puas, 1 tidak puas, each with an optional
LED beside it. A press lights its LED for `THANKS_SECONDS` as thanks and goes to the
central as a `SurveyPress` on `survey/<unit>/press`; the central ties it to the ticket the
unit's counters finished last (`broker/survey.py`). Presses go through the kiosk's
`PressFilter` with one key for the whole unit: one press per `cooldown_seconds` (a bounce,
a held button or a second button pressed at once gives nothing more).

A press is kept in memory and published again (with the same id: the central records it
once) until Mosquitto acknowledges it, for at most `GIVE_UP_SECONDS`: the central ties a
press to the ticket finished last when it arrives, so a press held back much longer could
land on the next citizen's ticket; it is dropped instead, with a log line. A press not yet
acknowledged when the unit loses power is lost: one opinion, not worth a synced write to
the SD card per press.

Under systemd (`systemd/antre-survey.service`, Type=notify) it says READY=1 once its pins
are set up and its link is started, and pings the watchdog from its loop alone.

On a laptop, `--pin-factory mock --keyboard` takes presses from the terminal: a line "4"
presses sangat puas (through the mock pin, so exactly as a finger would), "1" tidak puas.
"""

import argparse
import logging
import queue
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from types import FrameType
from typing import Protocol

from gpiozero import LED, Button, Factory

from contract.credentials import Credentials, load_credentials
from contract.device_link import DeviceLink, Health
from contract.errors import AntreError
from contract.logs import configure_logging
from contract.messages import SurveyPress, encode
from contract.sd_notify import Notifier, Watchdog
from contract.site import Site, SurveyUnit
from contract.site_loader import load_site
from kiosk.panel import GpioPanel, PanelError, pin_factory_from_name
from kiosk.presses import PressFilter

log = logging.getLogger(__name__)

VERSION = "0.1.0"
CHOICES = {4: "sangat puas", 3: "puas", 2: "kurang puas", 1: "tidak puas"}
# How long the pressed button's LED stays lit as thanks.
THANKS_SECONDS = 3.0
# A press not acknowledged by then is dropped (see the module's docstring).
GIVE_UP_SECONDS = 30.0
# A press published but not acknowledged is published again after this long.
RETRY_SECONDS = 3.0
# The retained status (with the counts below) is refreshed this often.
STATUS_SECONDS = 60.0
# The press filter's key: the cool-down and the "held" rule are the whole unit's.
_UNIT = "unit"


class SurveyPanel(GpioPanel):
    """A survey unit's four buttons and LEDs; each accepted press goes to `on_press(rating)`.

    `on_press` runs in gpiozero's event thread (the caller's with mock pins): keep it cheap.
    """

    def __init__(
        self,
        unit: SurveyUnit,
        on_press: Callable[[int], None],
        *,
        pin_factory: Factory | None = None,
        clock: Callable[[], float] = time.monotonic,
        thanks_seconds: float = THANKS_SECONDS,
    ) -> None:
        self.unit = unit
        self._on_press = on_press
        self._clock = clock
        self._thanks_seconds = thanks_seconds
        self._filter = PressFilter(unit.cooldown_seconds)
        self._lock = threading.Lock()
        self._buttons: dict[int, Button] = {}
        self._leds: dict[int, LED] = {}
        super().__init__(f"survey unit {unit.id}", pin_factory, logger=log)

    def _build(self) -> None:
        for rating, key, pin, led_pin in self.unit.buttons():
            button = self._button(key, pin)
            button.when_pressed = partial(self._pressed, rating)
            button.when_released = self._released
            self._buttons[rating] = button
            if led_pin is not None:
                led_key = key.removesuffix("_pin") + "_led_pin"
                self._leds[rating] = self._device(LED, led_key, led_pin)

    def thank(self, rating: int) -> None:
        """Lights the button's LED alone for a moment (nothing when it has none)."""
        for other, led in self._leds.items():
            if other != rating:
                led.off()
        led = self._leds.get(rating)
        if led is not None:
            led.blink(on_time=self._thanks_seconds, off_time=0, n=1)

    def lit(self, rating: int) -> bool:
        led = self._leds.get(rating)
        return bool(led is not None and led.is_lit)

    def simulate(self, rating: int) -> None:
        """Presses and releases a button from software: through its pin when it is a mock
        pin (as a finger would), else straight into the same handling."""
        pin = self._buttons[rating].pin
        if hasattr(pin, "drive_low"):
            pin.drive_low()
            pin.drive_high()
        else:
            self._pressed(rating)
            self._released()

    # gpiozero's thread.

    def _pressed(self, rating: int) -> None:
        with self._lock:
            accepted = self._filter.press(_UNIT, self._clock()) is not None
        if not accepted:
            return
        try:
            self.thank(rating)
            self._on_press(rating)
        except Exception:
            log.exception("survey unit %s: handling a press of %d failed", self.unit.id, rating)

    def _released(self) -> None:
        with self._lock:
            self._filter.release(_UNIT)

    def close(self) -> None:
        """Closes every device, releasing its pin; safe to call twice."""
        self._buttons, self._leds = {}, {}
        super().close()


class Sent(Protocol):
    """What paho's publish returns: whether Mosquitto acknowledged it."""

    def is_published(self) -> bool: ...


class Link(Protocol):
    @property
    def connected(self) -> bool: ...
    def send(self, payload: bytes) -> Sent | None: ...
    def publish_status(self, health: Health) -> None: ...


class SurveyLink(DeviceLink):
    """A survey unit's session: it writes its presses and its status, and reads nothing."""

    def __init__(
        self,
        unit_id: str,
        credentials: Credentials,
        *,
        on_connected: Callable[[], None],
        health: Callable[[], Health] = dict,
    ) -> None:
        super().__init__(
            unit_id,
            credentials,
            version=VERSION,
            subscriptions=[],
            on_message=lambda topic, payload: None,
            on_connected=on_connected,
            health=health,
        )

    def send(self, payload: bytes) -> Sent | None:
        """Publishes a press at QoS 1; None when it could not be sent now."""
        if not self.connected:
            return None
        info = self.client.publish(self.topics.survey_press(self.device_id), payload, qos=1)
        return info if info.rc == 0 else None


@dataclass(slots=True)
class _Pending:
    payload: bytes
    rating: int
    pressed_at: float
    sent: Sent | None = None
    sent_at: float = 0.0


class _Connected:
    """The link is (re)connected: publish what is not acknowledged yet."""


class SurveyUnitApp:
    """Sends each press until Mosquitto acknowledges it (see the module's docstring)."""

    def __init__(
        self,
        unit: SurveyUnit,
        *,
        clock: Callable[[], float] = time.monotonic,
        give_up_seconds: float = GIVE_UP_SECONDS,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self.unit = unit
        self.link: Link | None = None
        self._clock = clock
        self._give_up = give_up_seconds
        self._retry = retry_seconds
        self._inbox: queue.Queue[int | _Connected] = queue.Queue()
        self._pending: list[_Pending] = []
        self._stopping = threading.Event()
        self.acknowledged = 0
        self.dropped = 0
        self._status_due = clock() + STATUS_SECONDS

    def attach(self, link: Link) -> None:
        self.link = link

    # Any thread.

    def pressed(self, rating: int) -> None:
        self._inbox.put(rating)

    def connected(self) -> None:
        self._inbox.put(_Connected())

    def stop(self) -> None:
        self._stopping.set()

    def health(self) -> Health:
        return {
            "pending": len(self._pending),
            "acknowledged": self.acknowledged,
            "dropped": self.dropped,
        }

    # The loop.

    def run(self, *, watchdog: Watchdog | None = None) -> None:
        while not self._stopping.is_set():
            # Only this loop pings systemd's watchdog: if it hangs, the unit is restarted.
            if watchdog is not None:
                watchdog.ping()
            self.step(timeout=0.05)

    def step(self, timeout: float = 0.0) -> None:
        """Takes what arrived (waiting up to `timeout`), then sends what is due."""
        try:
            item = self._inbox.get(timeout=timeout) if timeout > 0 else self._inbox.get_nowait()
        except queue.Empty:
            item = None
        while item is not None:
            if isinstance(item, _Connected):
                for pending in self._pending:
                    pending.sent = None  # a fresh session: publish it again
            else:
                self._add(item)
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                item = None
        self._send_due()

    def _add(self, rating: int) -> None:
        press = SurveyPress(id=uuid.uuid4().hex, rating=rating)
        log.info("pressed %d (%s): press %s", rating, CHOICES[rating], press.id)
        self._pending.append(_Pending(encode(press), rating, self._clock()))

    def _send_due(self) -> None:
        now = self._clock()
        keep = []
        for pending in self._pending:
            if pending.sent is not None and pending.sent.is_published():
                self.acknowledged += 1
                continue
            if now - pending.pressed_at > self._give_up:
                self.dropped += 1
                log.warning(
                    "dropped a press of %d (%s): not acknowledged within %g s",
                    pending.rating,
                    CHOICES[pending.rating],
                    self._give_up,
                )
                continue
            keep.append(pending)
            if self.link is None or not self.link.connected:
                continue
            if pending.sent is None or now - pending.sent_at >= self._retry:
                pending.sent = self.link.send(pending.payload)
                pending.sent_at = now
        self._pending = keep
        if now >= self._status_due and self.link is not None:
            self._status_due = now + STATUS_SECONDS
            self.link.publish_status(self.health())


# -- the command ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        site = load_site(args.site)
        unit = _unit(site, args.unit)
        credentials = load_credentials(args.credentials)
        pin_factory = pin_factory_from_name(args.pin_factory)
    except (AntreError, ValueError, OSError) as e:
        print(f"antre-survey: {e}", file=sys.stderr)
        return 1
    app = SurveyUnitApp(unit)
    link = SurveyLink(unit.id, credentials, on_connected=app.connected, health=app.health)
    app.attach(link)
    try:
        panel = SurveyPanel(unit, app.pressed, pin_factory=pin_factory)
    except PanelError as e:
        print(f"antre-survey: {e}", file=sys.stderr)
        return 1

    notifier = Notifier.from_environment()

    def stop(signum: int, frame: FrameType | None) -> None:
        notifier.stopping()
        app.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.keyboard:
        threading.Thread(target=_read_keys, args=(panel,), daemon=True).start()
    link.start()
    # systemd (Type=notify): the pins are set up, the link is started.
    counters = ", ".join(map(str, unit.counters))
    log.info("survey unit %s started: counters %s", unit.id, counters)
    notifier.ready(f"survey unit {unit.id}: counters {counters}")
    try:
        app.run(watchdog=Watchdog(notifier))
    finally:
        panel.close()
        link.stop(app.health())
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="antre-survey", description=__doc__)
    parser.add_argument("--site", required=True, help="the site TOML file")
    parser.add_argument("--unit", required=True, help="this survey unit's id in the site file")
    parser.add_argument("--credentials", required=True, help="this unit's credentials file")
    parser.add_argument(
        "--pin-factory",
        help="gpiozero pin factory: mock, lgpio, rpigpio, native (default: gpiozero's choice, "
        "which honours GPIOZERO_PIN_FACTORY)",
    )
    parser.add_argument(
        "--keyboard", action="store_true", help="take presses from stdin: a line 1, 2, 3 or 4"
    )
    parser.add_argument("--log-level", default="INFO")
    return parser


def _unit(site: Site, unit_id: str) -> SurveyUnit:
    for unit in site.survey_units:
        if unit.id == unit_id:
            return unit
    known = ", ".join(u.id for u in site.survey_units) or "none"
    raise AntreError(f"no survey unit {unit_id!r} in the site file (survey units: {known})")


def _read_keys(panel: SurveyPanel) -> None:
    for line in sys.stdin:
        key = line.strip()
        if key in ("1", "2", "3", "4"):
            panel.simulate(int(key))
        elif key:
            print(f"antre-survey: press 4 (sangat puas), 3, 2 or 1 (tidak puas), not {key!r}")


if __name__ == "__main__":
    sys.exit(main())
