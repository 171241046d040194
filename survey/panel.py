"""A survey unit's four buttons and LEDs, 4 sangat puas, 3 puas, 2 kurang puas, 1 tidak puas.

A press lights its LED for `THANKS_SECONDS` as thanks. Presses go through the
`PressFilter` the kiosk uses too, with one key for the whole unit: one press per
`cooldown_seconds` (a bounce, a held button or a second button pressed at once gives
nothing more).
"""

import logging
import threading
import time
from collections.abc import Callable
from functools import partial

# gpiozero ships no type hints; see the mypy overrides in pyproject.toml.
from gpiozero import LED, Button, Factory

from contract.gpio_panel import GpioPanel
from contract.presses import PressFilter
from contract.site import SurveyUnit

log = logging.getLogger(__name__)

# How long the pressed button's LED stays lit as thanks.
THANKS_SECONDS = 3.0
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
