"""The buttons-and-lights part of a self-test, for the kiosk and the survey unit.

Each button is pressed in turn; its LED lights and the technician says whether it did.
On mock pins (a laptop, the tests) a typed line presses the button through its pin, as
a finger would: the name the button is typed by (a service prefix, a rating, "*").
Needs gpiozero: only the roles with buttons import it.
"""

import queue
import time
from dataclasses import dataclass
from functools import partial

# gpiozero ships no type hints; see the mypy overrides in pyproject.toml.
from gpiozero import LED, Buzzer, Factory

from contract.gpio_panel import GpioPanel
from contract.self_test import Outcome, SelfTest, Technician, confirmed

# How often a wait for a press looks at what was typed.
_POLL_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    name: str  # "A", "prioritas", "4": in the checklist ("tombol A", "lampu A")
    label: str  # "A, Paspor", "4, sangat puas": what the technician is asked to press
    typed: str  # what a typed line says to press it on mock pins: "A", "4", "*"
    key: str  # its key in the site file, for errors
    pin: int
    led_pin: int | None = None
    led_key: str = ""


class _TestPanel(GpioPanel):
    """Every button and LED of the specs, and a buzzer; a press puts its `typed` on a
    queue."""

    def __init__(
        self,
        owner: str,
        specs: list[ButtonSpec],
        buzzer: tuple[str, int] | None,
        pin_factory: Factory | None,
    ) -> None:
        self._specs = specs
        self._buzzer_spec = buzzer
        self.presses: queue.Queue[str] = queue.Queue()
        self.buttons: dict[str, object] = {}
        self.leds: dict[str, LED] = {}
        self.buzzer: Buzzer | None = None
        super().__init__(owner, pin_factory)

    def _build(self) -> None:
        for spec in self._specs:
            button = self._button(spec.key, spec.pin)
            button.when_pressed = partial(self.presses.put, spec.typed)
            self.buttons[spec.typed] = button
            if spec.led_pin is not None:
                self.leds[spec.typed] = self._device(LED, spec.led_key, spec.led_pin)
        if self._buzzer_spec is not None:
            key, pin = self._buzzer_spec
            self.buzzer = self._device(Buzzer, key, pin)

    def press_through_pin(self, typed: str) -> bool:
        """Presses a button through its mock pin; False if the pin is a real one."""
        button = self.buttons.get(typed)
        pin = getattr(button, "pin", None)
        if pin is None or not hasattr(pin, "drive_low"):
            return False
        pin.drive_low()
        pin.drive_high()
        return True


def walk_buttons(
    owner: str,
    specs: list[ButtonSpec],
    technician: Technician,
    test: SelfTest,
    *,
    pin_factory: Factory | None,
    timeout: float,
    buzzer: tuple[str, int] | None = None,
) -> None:
    """Asks for each button in turn, lights its LED, asks whether it lit; beeps the
    buzzer. Adds a check for each."""
    with _TestPanel(owner, specs, buzzer, pin_factory) as panel:
        for spec in specs:
            technician.say(f"Tekan tombol {spec.label} / press button {spec.label}")
            name = f"tombol {spec.name}"
            if not _pressed(panel, spec.typed, technician, timeout):
                test.add(name, Outcome.FAILED, f"tidak ditekan dalam {timeout:g} s / not pressed")
                continue
            test.add(name, Outcome.PASSED)
            led = panel.leds.get(spec.typed)
            if led is None:
                test.add(f"lampu {spec.name}", Outcome.SKIPPED, "tanpa lampu / no LED")
                continue
            led.on()
            answer = technician.confirm(
                f"Lampu tombol {spec.label} menyala? / is its light on?", timeout
            )
            led.off()
            confirmed(test, f"lampu {spec.name}", answer, "tidak menyala / did not light")
        if panel.buzzer is not None:
            panel.buzzer.beep(on_time=0.2, off_time=0.2, n=3)
            answer = technician.confirm("Terdengar tiga bunyi bip? / three beeps heard?", timeout)
            confirmed(test, "buzzer", answer, "tidak terdengar / not heard")


def _pressed(panel: _TestPanel, typed: str, technician: Technician, timeout: float) -> bool:
    """Whether the button is pressed within `timeout` (a typed line presses it on mock
    pins; presses of other buttons are ignored)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if panel.presses.get(timeout=_POLL_SECONDS) == typed:
                return True
            continue
        except queue.Empty:
            pass
        line = technician.line(0)
        if line is not None and line.upper() == typed.upper():
            panel.press_through_pin(typed)
    return False
