"""Buttons and lights on GPIO pins: what the kiosk's and the survey unit's panels share.

Pin numbers are BCM numbers. Every device is made on one pin factory: the one passed in
(a `MockFactory` in tests, or the one named by `--pin-factory`), else gpiozero's
default, which honours GPIOZERO_PIN_FACTORY. `GpioPanel` makes the devices from a
config's pins, names the config key of a pin gpiozero refuses, and closes them together.

Only the roles with buttons import this module (it needs gpiozero, which the central and
the display do not install). gpiozero's private members are touched here alone
(`_stop_hold_thread`), checked by tests/test_library_privates.py.
"""

import importlib
import logging
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Any, Self

# gpiozero ships no type hints; see the mypy overrides in pyproject.toml.
from gpiozero import Button, Factory, GPIOZeroError

from contract.errors import AntreError

log = logging.getLogger(__name__)

# gpiozero debounces on real pins too; the press filter's cool-down does the rest.
BOUNCE_SECONDS = 0.05

# The pin factories a device can be told to use. On a Pi 5 only lgpio works.
PIN_FACTORIES = {
    "lgpio": "gpiozero.pins.lgpio:LGPIOFactory",
    "rpigpio": "gpiozero.pins.rpigpio:RPiGPIOFactory",
    "native": "gpiozero.pins.native:NativeFactory",
    "mock": "gpiozero.pins.mock:MockFactory",
}


class PanelError(AntreError):
    """A panel's buttons and lights cannot be set up."""


class PinFactoryError(PanelError, ValueError):
    """A pin factory name that is unknown, or a factory that cannot start here."""


def pin_factory_from_name(name: str | None) -> Factory | None:
    """The pin factory a name asks for; None leaves the choice to gpiozero."""
    if name is None:
        return None
    key = name.strip().lower()
    if key not in PIN_FACTORIES:
        raise PinFactoryError(
            f"unknown pin factory {name!r} (choose one of: {', '.join(PIN_FACTORIES)})"
        )
    module_name, class_name = PIN_FACTORIES[key].split(":")
    try:
        return getattr(importlib.import_module(module_name), class_name)()
    except Exception as e:  # ImportError, or the library failing to open the GPIO chip
        raise PinFactoryError(
            f"cannot start the {key} pin factory: {e} (on a Raspberry Pi 5 only lgpio works)"
        ) from e


class GpioPanel(ABC):
    """Buttons and lights made from a config's pins on one pin factory, closed together.

    A subclass sets up its own state, then calls `super().__init__`, which runs `_build`;
    when that fails, the devices made so far are closed again. `owner` ("kiosk kiosk-1",
    "survey unit survey-1") begins every error and log line.
    """

    def __init__(
        self, owner: str, pin_factory: Factory | None, *, logger: logging.Logger = log
    ) -> None:
        self._owner = owner
        self._pin_factory = pin_factory
        self._log = logger
        self._devices: list[Any] = []
        try:
            self._build()
        except BaseException:
            self.close()
            raise

    @abstractmethod
    def _build(self) -> None:
        """Makes the devices, with `_button` and `_device`."""

    def _button(self, key: str, pin: int) -> Button:
        """A button between the pin and ground (pulled up), debounced."""
        return self._device(Button, key, pin, pull_up=True, bounce_time=BOUNCE_SECONDS)

    def _device(self, kind: Any, key: str, pin: int, **options: Any) -> Any:
        """A `kind` device on a BCM pin; a pin gpiozero refuses is a `PanelError` naming
        the config `key`."""
        try:
            device = kind(f"GPIO{pin}", pin_factory=self._pin_factory, **options)
        except GPIOZeroError as e:
            raise PanelError(f"{self._owner}: {key} = {pin}: {e}") from e
        self._devices.append(device)
        return device

    def close(self) -> None:
        """Closes every device, the last made first, releasing its pin; safe to call twice."""
        devices, self._devices = self._devices, []
        # A Button's hold thread looks for a stop only every 0.1 s, so closing a dozen
        # buttons one after another takes over a second: ask all of them to stop first.
        for device in devices:
            if isinstance(device, Button):
                _stop_hold_thread(device)
        for device in reversed(devices):
            try:
                device.close()
            except GPIOZeroError:
                self._log.exception("%s: closing %r failed", self._owner, device)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _stop_hold_thread(button: Button) -> None:
    """Asks a button's hold thread to stop, without waiting for it (gpiozero's
    `Button.close` joins it, which takes up to 0.1 s a button).

    gpiozero 2 keeps the thread in `_hold_thread` (a `GPIOThread`, its `stopping` an
    Event); tests/test_library_privates.py fails loudly when that changes.
    """
    hold_thread = getattr(button, "_hold_thread", None)
    if hold_thread is not None:
        hold_thread.stopping.set()
