"""The kiosk's buttons, lights and buzzer: gpiozero devices mapped from the site config.

`KioskPanel` is a `GpioPanel` (`contract/gpio_panel.py`, shared with the survey unit):
pins are BCM numbers, made on one pin factory, and a pin gpiozero refuses is a
`PanelError` naming the config key.
"""

import logging
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from functools import partial

# gpiozero ships no type hints; see the mypy overrides in pyproject.toml.
from gpiozero import LED, Buzzer, Factory

from contract.gpio_panel import GpioPanel
from contract.presses import PRIORITY_WINDOW_SECONDS, Press, PressFilter
from contract.site import Kiosk

log = logging.getLogger(__name__)


class Light(StrEnum):
    """What a service's LED tells the citizen."""

    AVAILABLE = "available"  # steady on
    PRINTING = "printing"  # blinking, about 2 Hz
    UNAVAILABLE = "unavailable"  # off: closed, or the day's quota used up
    FAULT = "fault"  # fast blinking, about 8 Hz


# Half a blink period (on time = off time) of each blinking light.
_BLINK_HALF_PERIOD = {Light.PRINTING: 0.25, Light.FAULT: 0.0625}


class Buzz(StrEnum):
    """Buzzer patterns."""

    TICKET = "ticket"  # one short beep
    REFUSED = "refused"  # two short beeps: closed, or the day's quota used up
    FAULT = "fault"  # one long beep
    # A scanned booking code refused (see docs/kiosk.md, "Check-in with a booking code"):
    NOT_VALID = "not_valid"  # three short beeps: not a code, unknown, cancelled, used
    WRONG_TIME = "wrong_time"  # two long beeps: not today, too early, too late
    ASK_STAFF = "ask_staff"  # five short beeps: the kiosk cannot help, ask the help desk


# (on seconds, off seconds, beeps)
_BEEPS = {
    Buzz.TICKET: (0.1, 0.1, 1),
    Buzz.REFUSED: (0.1, 0.1, 2),
    Buzz.FAULT: (1.0, 0.1, 1),
    Buzz.NOT_VALID: (0.1, 0.1, 3),
    Buzz.WRONG_TIME: (0.5, 0.2, 2),
    Buzz.ASK_STAFF: (0.1, 0.1, 5),
}


class KioskPanel(GpioPanel):
    """One kiosk's buttons and lights; presses go through a `PressFilter` to `on_press`.

    `on_press` runs in gpiozero's event thread (in the test thread with mock pins):
    keep it cheap, such as putting the press on a queue.
    """

    def __init__(
        self,
        kiosk: Kiosk,
        on_press: Callable[[Press], None],
        *,
        pin_factory: Factory | None = None,
        clock: Callable[[], float] = time.monotonic,
        priority_window_seconds: float = PRIORITY_WINDOW_SECONDS,
    ) -> None:
        self.kiosk = kiosk
        self._on_press = on_press
        self._clock = clock
        self._filter = PressFilter(kiosk.cooldown_seconds, priority_window_seconds)
        # Real pin factories may call back from more than one thread.
        self._lock = threading.Lock()
        self._leds: dict[str, LED] = {}
        self._lights: dict[str, Light] = {}
        self._priority_led: LED | None = None
        self._buzzer: Buzzer | None = None
        super().__init__(f"kiosk {kiosk.id}", pin_factory)

    def _build(self) -> None:
        for i, config in enumerate(self.kiosk.buttons):
            button = self._button(f"buttons[{i}].pin", config.pin)
            button.when_pressed = partial(self._service_pressed, config.service)
            button.when_released = partial(self._service_released, config.service)
            if config.led_pin is not None:
                self._leds[config.service] = self._device(
                    LED, f"buttons[{i}].led_pin", config.led_pin
                )
            # Dark until the kiosk knows whether the service is open.
            self._lights[config.service] = Light.UNAVAILABLE
        if self.kiosk.priority_button_pin is not None:
            button = self._button("priority_button_pin", self.kiosk.priority_button_pin)
            button.when_pressed = self._priority_pressed
        if self.kiosk.priority_led_pin is not None:
            self._priority_led = self._device(LED, "priority_led_pin", self.kiosk.priority_led_pin)
        if self.kiosk.buzzer_pin is not None:
            self._buzzer = self._device(Buzzer, "buzzer_pin", self.kiosk.buzzer_pin)

    # -- lights and buzzer -------------------------------------------------------------

    def set_light(self, service: str, light: Light) -> None:
        """Shows a light on a service's LED (nothing when the button has no LED)."""
        if service not in self._lights:
            raise KeyError(f"kiosk {self.kiosk.id} has no button for service {service!r}")
        if self._lights[service] == light:
            return  # restarting a blink would make it stutter
        self._lights[service] = light
        led = self._leds.get(service)
        if led is None:
            return
        match light:
            case Light.AVAILABLE:
                led.on()
            case Light.UNAVAILABLE:
                led.off()
            case Light.PRINTING | Light.FAULT:
                half = _BLINK_HALF_PERIOD[light]
                led.blink(on_time=half, off_time=half)

    def set_all(self, light: Light) -> None:
        """Shows one light on every service's LED."""
        for service in self._lights:
            self.set_light(service, light)

    def light(self, service: str) -> Light:
        """The light a service's LED shows."""
        return self._lights[service]

    def buzz(self, pattern: str) -> None:
        """Beeps a `Buzz` pattern, in the background; nothing without a buzzer."""
        on_time, off_time, beeps = _BEEPS[Buzz(pattern)]
        if self._buzzer is not None:
            self._buzzer.beep(on_time=on_time, off_time=off_time, n=beeps)

    # -- button events (gpiozero's thread) ---------------------------------------------

    def _service_pressed(self, service: str) -> None:
        with self._lock:
            now = self._clock()
            press = self._filter.press(service, now)
            if self._priority_led is not None and not self._filter.priority_armed(now):
                self._priority_led.off()
        if press is None:
            return
        try:
            self._on_press(press)
        except Exception:
            # An exception here would only reach gpiozero's event thread: log it instead.
            log.exception("kiosk %s: handling a press of %s failed", self.kiosk.id, service)

    def _service_released(self, service: str) -> None:
        with self._lock:
            self._filter.release(service)

    def _priority_pressed(self) -> None:
        with self._lock:
            self._filter.priority_pressed(self._clock())
            if self._priority_led is not None:
                # Lit for the window, then out by itself; a service press puts it out sooner.
                window = self._filter.priority_window_seconds
                self._priority_led.blink(on_time=window, off_time=0, n=1)

    # -- closing -----------------------------------------------------------------------

    def close(self) -> None:
        """Closes every device, releasing its pin; safe to call twice."""
        self._leds = {}
        self._priority_led = None
        self._buzzer = None
        super().close()
