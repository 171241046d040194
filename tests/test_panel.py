"""The kiosk panel on gpiozero's mock pins: presses, lights, buzzer and pin use.

Mock pins call back in the test thread, so a press is handled when `drive_low()`
returns. They ignore `bounce_time`: a bounce reaches the press filter as it is.
"""

import logging
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import msgspec
import pytest
from gpiozero import LED, Device, GPIOPinInUse
from gpiozero.pins.mock import MockFactory

from contract.errors import AntreError
from contract.gpio_panel import PanelError, PinFactoryError, pin_factory_from_name
from contract.presses import Press
from contract.site import Kiosk, KioskButton, Printer, Site
from kiosk.panel import KioskPanel, Light

A_PIN, A_LED = 5, 17
B_PIN, B_LED = 6, 18
PRIORITY_PIN, PRIORITY_LED = 26, 27
BUZZER = 22

KIOSK = Kiosk(
    id="test-kiosk",
    printer=Printer(type="dummy"),
    buttons=[
        KioskButton(service="A", pin=A_PIN, led_pin=A_LED),
        KioskButton(service="B", pin=B_PIN, led_pin=B_LED),
    ],
    priority_button_pin=PRIORITY_PIN,
    priority_led_pin=PRIORITY_LED,
    buzzer_pin=BUZZER,
    cooldown_seconds=3.0,
)


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class MakePanel(Protocol):
    def __call__(
        self,
        kiosk: Kiosk = ...,
        *,
        clock: Callable[[], float] = ...,
        priority_window_seconds: float = ...,
        on_press: Callable[[Press], None] | None = ...,
    ) -> tuple[KioskPanel, list[Press]]: ...


@pytest.fixture
def factory() -> Iterator[Any]:
    factory = MockFactory()
    try:
        yield factory
    finally:
        factory.reset()


@pytest.fixture
def make_panel(factory: Any) -> Iterator[MakePanel]:
    """Builds panels on the mock factory, recording presses; closes them all after."""
    panels: list[KioskPanel] = []

    def make(
        kiosk: Kiosk = KIOSK,
        *,
        clock: Callable[[], float] = time.monotonic,
        priority_window_seconds: float = 5.0,
        on_press: Callable[[Press], None] | None = None,
    ) -> tuple[KioskPanel, list[Press]]:
        presses: list[Press] = []
        panel = KioskPanel(
            kiosk,
            on_press or presses.append,
            pin_factory=factory,
            clock=clock,
            priority_window_seconds=priority_window_seconds,
        )
        panels.append(panel)
        return panel, presses

    try:
        yield make
    finally:
        for panel in panels:
            panel.close()


def tap(factory: Any, pin: int) -> None:
    """Presses and releases a pull-up button: the pin goes to ground and back."""
    factory.pin(pin).drive_low()
    factory.pin(pin).drive_high()


def wait_for(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.005)


def half_periods(pin: Any, count: int) -> list[float]:
    """The durations of a blinking pin's first `count` on/off phases after the first on.

    After `clear_states()` a pin's states are: the state it was in, the first change
    (the blink starting), then one change per phase, each with the time since the last.
    """
    wait_for(lambda: len(pin.states) >= count + 2)
    return [state.timestamp for state in pin.states[2 : count + 2]]


# -- presses -------------------------------------------------------------------------


def test_a_press_asks_for_one_regular_ticket(factory: Any, make_panel: MakePanel) -> None:
    # GIVEN a panel
    _, presses = make_panel()
    # WHEN service A's button is pressed and released
    tap(factory, A_PIN)
    # THEN on_press is called once, for a regular ticket of A
    assert presses == [Press("A", priority=False)]


def test_each_button_asks_for_its_own_service(factory: Any, make_panel: MakePanel) -> None:
    # GIVEN a panel
    _, presses = make_panel()
    # WHEN A and then B are pressed a moment apart
    tap(factory, A_PIN)
    tap(factory, B_PIN)
    # THEN each asks for its own service: B has its own cool-down
    assert presses == [Press("A"), Press("B")]


def test_a_bouncing_contact_gives_one_ticket(factory: Any, make_panel: MakePanel) -> None:
    # GIVEN a panel
    _, presses = make_panel()
    pin = factory.pin(A_PIN)
    # WHEN the contact bounces: low, high, low, high within microseconds
    pin.drive_low()
    pin.drive_high()
    pin.drive_low()
    pin.drive_high()
    # THEN one ticket is asked for
    assert presses == [Press("A")]


def test_hammering_gives_one_ticket_per_cooldown(factory: Any, make_panel: MakePanel) -> None:
    # GIVEN a panel with a 3 s cool-down
    clock = FakeClock()
    _, presses = make_panel(clock=clock)
    # WHEN a child presses A ten times in 2.7 seconds
    for _ in range(10):
        tap(factory, A_PIN)
        clock.advance(0.3)
    # THEN one ticket is asked for
    assert presses == [Press("A")]
    # WHEN A is pressed again once the cool-down has passed
    clock.advance(0.3)
    tap(factory, A_PIN)
    # THEN a second ticket is asked for
    assert presses == [Press("A"), Press("A")]


def test_a_held_button_gives_one_ticket(factory: Any, make_panel: MakePanel) -> None:
    # GIVEN a panel with a 3 s cool-down
    clock = FakeClock()
    _, presses = make_panel(clock=clock)
    pin = factory.pin(A_PIN)
    # WHEN A is held down for ten seconds, then let go
    pin.drive_low()
    clock.advance(10.0)
    pin.drive_low()  # still down: no new edge
    pin.drive_high()
    # THEN one ticket is asked for
    assert presses == [Press("A")]
    # WHEN A is pressed again after the release
    tap(factory, A_PIN)
    # THEN that press counts: the release was seen
    assert presses == [Press("A"), Press("A")]


def test_a_failing_on_press_is_logged_and_the_panel_carries_on(
    factory: Any, make_panel: MakePanel, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN an on_press that fails on its first call
    calls: list[Press] = []

    def on_press(press: Press) -> None:
        calls.append(press)
        if len(calls) == 1:
            raise RuntimeError("queue full")

    make_panel(on_press=on_press)
    # WHEN A and then B are pressed
    with caplog.at_level(logging.ERROR, logger="kiosk.panel"):
        tap(factory, A_PIN)
        tap(factory, B_PIN)
    # THEN the failure is logged and B's press still arrives
    assert "handling a press of A failed" in caplog.text
    assert calls == [Press("A"), Press("B")]


# -- priority ------------------------------------------------------------------------


def test_priority_then_service_asks_for_a_priority_ticket(
    factory: Any, make_panel: MakePanel
) -> None:
    # GIVEN a panel
    _, presses = make_panel()
    led = factory.pin(PRIORITY_LED)
    assert not led.state
    # WHEN the priority button is pressed
    tap(factory, PRIORITY_PIN)
    # THEN the priority LED lights while priority is armed
    assert led.state
    # WHEN A is pressed within the window
    tap(factory, A_PIN)
    # THEN A's ticket is a priority one, and the priority LED goes out
    assert presses == [Press("A", priority=True)]
    assert not led.state


def test_priority_is_for_the_next_press_only(factory: Any, make_panel: MakePanel) -> None:
    # GIVEN priority pressed and used by A
    _, presses = make_panel()
    tap(factory, PRIORITY_PIN)
    tap(factory, A_PIN)
    # WHEN B is pressed next
    tap(factory, B_PIN)
    # THEN B's ticket is a regular one
    assert presses == [Press("A", priority=True), Press("B", priority=False)]


def test_an_expired_priority_gives_a_regular_ticket(factory: Any, make_panel: MakePanel) -> None:
    # GIVEN a 5 s priority window and the priority button pressed
    clock = FakeClock()
    _, presses = make_panel(clock=clock, priority_window_seconds=5.0)
    tap(factory, PRIORITY_PIN)
    # WHEN the window passes, then A is pressed
    clock.advance(5.1)
    tap(factory, A_PIN)
    # THEN A's ticket is a regular one and the priority LED is out
    assert presses == [Press("A", priority=False)]
    assert not factory.pin(PRIORITY_LED).state


def test_the_priority_led_goes_out_when_the_window_ends(
    factory: Any, make_panel: MakePanel
) -> None:
    # GIVEN a 0.1 s priority window on the real clock
    _, presses = make_panel(priority_window_seconds=0.1)
    led = factory.pin(PRIORITY_LED)
    # WHEN the priority button is pressed
    tap(factory, PRIORITY_PIN)
    # THEN the LED lights, and goes out by itself after the window
    assert led.state
    wait_for(lambda: not led.state, timeout=1.0)
    assert led.states[-1].timestamp >= 0.09
    # AND a press after it is a regular one
    tap(factory, A_PIN)
    assert presses == [Press("A", priority=False)]


def test_priority_works_without_a_priority_led(factory: Any, make_panel: MakePanel) -> None:
    # GIVEN a kiosk with a priority button but no priority LED (as kiosk-2)
    kiosk = msgspec.structs.replace(KIOSK, priority_led_pin=None)
    _, presses = make_panel(kiosk)
    # WHEN priority and then A are pressed
    tap(factory, PRIORITY_PIN)
    tap(factory, A_PIN)
    # THEN A's ticket is a priority one
    assert presses == [Press("A", priority=True)]


# -- lights --------------------------------------------------------------------------


def test_service_lights_start_off(factory: Any, make_panel: MakePanel) -> None:
    # GIVEN / WHEN a new panel
    panel, _ = make_panel()
    # THEN every service LED is off until the kiosk knows the service is open
    assert not factory.pin(A_LED).state
    assert not factory.pin(B_LED).state
    assert panel.light("A") == Light.UNAVAILABLE


def test_available_is_steady_on_and_unavailable_is_off(factory: Any, make_panel: MakePanel) -> None:
    # GIVEN A's LED blinking for a fault
    panel, _ = make_panel()
    pin = factory.pin(A_LED)
    panel.set_light("A", Light.FAULT)
    # WHEN A becomes available
    panel.set_light("A", Light.AVAILABLE)
    pin.clear_states()
    time.sleep(0.2)
    # THEN A's LED is on and stays on: the blinking stopped
    assert pin.state
    assert len(pin.states) == 1
    # WHEN A becomes unavailable (closed, or the quota used up)
    panel.set_light("A", Light.UNAVAILABLE)
    # THEN A's LED is off, and B's untouched
    assert not pin.state
    assert not factory.pin(B_LED).state


def test_fault_blinks_fast(factory: Any, make_panel: MakePanel) -> None:
    # GIVEN a panel
    panel, _ = make_panel()
    pin = factory.pin(A_LED)
    pin.clear_states()
    # WHEN A shows a fault
    panel.set_light("A", Light.FAULT)
    # THEN A's LED toggles about every 1/16 s (8 Hz): no phase is early, and the typical
    # one is fast (a busy machine may delay a single toggle, so the median, not each)
    phases = half_periods(pin, 5)
    assert all(phase >= 0.05 for phase in phases), phases
    assert statistics.median(phases) < 0.2, phases
    assert [state.state for state in pin.states[:5]] == [False, True, False, True, False]


def test_printing_blinks_slower(factory: Any, make_panel: MakePanel) -> None:
    # GIVEN a panel
    panel, _ = make_panel()
    pin = factory.pin(A_LED)
    pin.clear_states()
    # WHEN A is printing
    panel.set_light("A", Light.PRINTING)
    # THEN A's LED toggles about every 1/4 s (2 Hz)
    phases = half_periods(pin, 3)
    assert all(phase >= 0.2 for phase in phases), phases
    assert statistics.median(phases) < 0.5, phases


def test_set_all_lights_every_service_but_not_priority(factory: Any, make_panel: MakePanel) -> None:
    # GIVEN a panel
    panel, _ = make_panel()
    # WHEN every service is set available
    panel.set_all(Light.AVAILABLE)
    # THEN every service LED is on, and the priority LED is not
    assert factory.pin(A_LED).state
    assert factory.pin(B_LED).state
    assert not factory.pin(PRIORITY_LED).state
    assert {panel.light("A"), panel.light("B")} == {Light.AVAILABLE}


def test_a_light_for_an_unknown_service_is_refused(make_panel: MakePanel) -> None:
    # GIVEN a panel for services A and B
    panel, _ = make_panel()
    # WHEN / THEN a light for Z is refused
    with pytest.raises(KeyError, match="'Z'"):
        panel.set_light("Z", Light.AVAILABLE)


def test_a_button_without_an_led_takes_lights_quietly(factory: Any, make_panel: MakePanel) -> None:
    # GIVEN a kiosk whose A button has no LED
    kiosk = msgspec.structs.replace(
        KIOSK, buttons=[KioskButton(service="A", pin=A_PIN)], priority_led_pin=None
    )
    panel, _ = make_panel(kiosk)
    # WHEN A is set available
    panel.set_light("A", Light.AVAILABLE)
    # THEN the light is recorded and no other pin is driven
    assert panel.light("A") == Light.AVAILABLE
    assert not factory.pin(A_LED).state


# -- buzzer --------------------------------------------------------------------------


def test_refused_beeps_twice(factory: Any, make_panel: MakePanel) -> None:
    # GIVEN a kiosk with a buzzer
    panel, _ = make_panel()
    pin = factory.pin(BUZZER)
    pin.clear_states()
    # WHEN it buzzes "refused"
    panel.buzz("refused")
    # THEN the buzzer pin goes on and off twice, and then stays off
    wait_for(lambda: len(pin.states) >= 5)
    time.sleep(0.15)
    assert [state.state for state in pin.states] == [False, True, False, True, False]


def test_an_unknown_buzz_pattern_is_refused(make_panel: MakePanel) -> None:
    # GIVEN a panel / WHEN a pattern nobody defined is asked for / THEN it is refused
    panel, _ = make_panel()
    with pytest.raises(ValueError, match="tune"):
        panel.buzz("tune")


def test_buzz_without_a_buzzer_does_nothing(factory: Any, make_panel: MakePanel) -> None:
    # GIVEN a kiosk without a buzzer
    kiosk = msgspec.structs.replace(KIOSK, buzzer_pin=None)
    panel, _ = make_panel(kiosk)
    before = {info.name: list(pin.states) for info, pin in factory.pins.items()}
    # WHEN it buzzes "refused"
    panel.buzz("refused")
    time.sleep(0.15)
    # THEN no pin changed, and the buzzer's pin was never taken
    after = {info.name: list(pin.states) for info, pin in factory.pins.items()}
    assert after == before
    assert "GPIO22" not in after


# -- pins ----------------------------------------------------------------------------


@pytest.mark.parametrize("kiosk_id", ["kiosk-1", "kiosk-2"])
def test_every_pin_of_the_example_kiosks_gets_a_device(
    factory: Any, example_site: Site, kiosk_id: str
) -> None:
    # GIVEN an example kiosk's configuration
    kiosk = next(k for k in example_site.kiosks if k.id == kiosk_id)
    # WHEN a panel is built for it
    panel = KioskPanel(kiosk, lambda press: None, pin_factory=factory)
    try:
        # THEN every configured pin is taken by a device
        for _key, pin in kiosk.pins():
            with pytest.raises(GPIOPinInUse):
                LED(f"GPIO{pin}", pin_factory=factory)
        # AND every service LED answers
        panel.set_all(Light.AVAILABLE)
        assert all(factory.pin(b.led_pin).state for b in kiosk.buttons if b.led_pin is not None)
    finally:
        # WHEN it is closed, twice
        panel.close()
        panel.close()
    # THEN a second panel can take the same pins
    second = KioskPanel(kiosk, lambda press: None, pin_factory=factory)
    second.close()


def test_kiosk_2_can_follow_kiosk_1_on_the_same_pins(factory: Any, example_site: Site) -> None:
    # GIVEN kiosk-1's panel (pin 27 an LED), closed
    kiosk_1, kiosk_2 = (
        next(k for k in example_site.kiosks if k.id == i) for i in ("kiosk-1", "kiosk-2")
    )
    KioskPanel(kiosk_1, lambda press: None, pin_factory=factory).close()
    # WHEN kiosk-2's panel (pin 27 a buzzer) is built on the same pins
    with KioskPanel(kiosk_2, lambda press: None, pin_factory=factory) as panel:
        panel.buzz("refused")
        # THEN its buzzer works
        wait_for(lambda: factory.pin(27).state)


def test_a_pin_in_use_is_a_panel_error_and_frees_what_was_built(
    factory: Any, make_panel: MakePanel
) -> None:
    # GIVEN a panel holding A's pins
    only_a = msgspec.structs.replace(
        KIOSK,
        buttons=[KioskButton(service="A", pin=A_PIN, led_pin=A_LED)],
        priority_button_pin=None,
        priority_led_pin=None,
        buzzer_pin=None,
    )
    first, _ = make_panel(only_a)
    b_then_a = msgspec.structs.replace(only_a, buttons=[KIOSK.buttons[1], KIOSK.buttons[0]])
    # WHEN a panel wanting B's pins and then A's is built
    with pytest.raises(PanelError, match=r"buttons\[1\]\.pin = 5"):
        make_panel(b_then_a)
    # THEN once the first panel is closed it can be built: B's pins were given back
    first.close()
    _, presses = make_panel(b_then_a)
    tap(factory, B_PIN)
    assert presses == [Press("B")]


def test_without_a_factory_gpiozeros_default_is_used(
    factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN gpiozero's default pin factory set to the mock one (restored afterwards)
    monkeypatch.setattr(Device, "pin_factory", factory)
    presses: list[Press] = []
    # WHEN a panel is built without a factory
    with KioskPanel(KIOSK, presses.append):
        tap(factory, A_PIN)
    # THEN its buttons are on the default factory's pins
    assert presses == [Press("A")]


def test_gpiozero_pin_factory_variable_chooses_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN no default pin factory yet and GPIOZERO_PIN_FACTORY=mock
    monkeypatch.setattr(Device, "pin_factory", None)
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")
    # WHEN a panel is built without a factory
    with KioskPanel(KIOSK, lambda press: None):
        # THEN gpiozero made a mock factory, as the variable asked
        assert isinstance(Device.pin_factory, MockFactory)
    Device.pin_factory.close()


# -- pin factory names ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["mock", " Mock "])
def test_mock_pin_factory_by_name(name: str) -> None:
    # GIVEN / WHEN the mock factory is asked for by name / THEN a MockFactory is made
    assert isinstance(pin_factory_from_name(name), MockFactory)


def test_no_pin_factory_name_leaves_the_choice_to_gpiozero() -> None:
    # GIVEN / WHEN no name / THEN no factory: gpiozero's default applies
    assert pin_factory_from_name(None) is None


def test_an_unknown_pin_factory_name_is_refused() -> None:
    # GIVEN / WHEN a name gpiozero has no factory for
    with pytest.raises(PinFactoryError, match="unknown pin factory 'pigpi0'") as caught:
        pin_factory_from_name("pigpi0")
    # THEN the error is an Antre error that names the choices
    assert isinstance(caught.value, AntreError)
    assert "lgpio" in str(caught.value)


def test_a_pin_factory_that_cannot_start_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN the lgpio factory cannot be imported (as off a Pi)
    monkeypatch.setitem(sys.modules, "gpiozero.pins.lgpio", None)
    # WHEN / THEN asking for it is a PinFactoryError
    with pytest.raises(PinFactoryError, match="cannot start the lgpio pin factory"):
        pin_factory_from_name("lgpio")
