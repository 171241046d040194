"""Pytest plugin: a kiosk in the test's process, on mock pins and a simulated printer.

Everything else is real: the outbox on disk, Mosquitto, the central. `start_kiosk`
starts any kiosk of the example site; each is stopped at the end of the test.
"""

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest
from gpiozero.pins.mock import MockFactory

from contract.clock import SimulatedClock
from contract.device_link import DeviceLink
from contract.messages import QueueState
from contract.site import Kiosk as KioskConfig
from kiosk.app import KioskApp
from kiosk.link import KioskLink
from kiosk.outbox import Outbox
from kiosk.panel import KioskPanel
from kiosk.printer import SimulatedPrinter, TicketPrinter
from tests.broker_fixtures import Provisioned
from tests.central_fixtures import MONDAY_MORNING, wait_for_state


@dataclass
class RunningKiosk:
    app: KioskApp
    config: KioskConfig
    panel: KioskPanel
    printer: SimulatedPrinter
    factory: MockFactory

    def press(self, service: str) -> None:
        pin = next(b.pin for b in self.config.buttons if b.service == service)
        self._tap(pin)

    def press_priority(self) -> None:
        assert self.config.priority_button_pin is not None
        self._tap(self.config.priority_button_pin)

    def _tap(self, pin: int) -> None:
        mock = self.factory.pin(pin)
        mock.drive_low()
        mock.drive_high()

    def printed(self) -> bytes:
        return bytes(self.printer.output)


def has_printed(kiosk: RunningKiosk, number: str) -> Callable[[], bool]:
    return lambda: number.encode() in kiosk.printed()


def until(condition: Callable[[], bool], timeout: float = 15.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what or condition}"
        time.sleep(0.02)


@pytest.fixture
def start_kiosk(provisioned: Provisioned, tmp_path: Path) -> Iterator[Callable[..., RunningKiosk]]:
    """Starts a kiosk (kiosk-1 unless told) in this process; stops it at the end."""
    stops: list[Callable[[], None]] = []

    def start(
        start_at: str = MONDAY_MORNING,
        *,
        kiosk_id: str = "kiosk-1",
        status_every: float = 30.0,
        answer_timeout: float = 1.0,
        reserve_pool: int = 3,
        cooldown_seconds: float | None = None,
        printer_check_seconds: float | None = None,
    ) -> RunningKiosk:
        site = provisioned.site
        config = next(k for k in site.kiosks if k.id == kiosk_id)
        if cooldown_seconds is not None:
            config = msgspec.structs.replace(config, cooldown_seconds=cooldown_seconds)
        if printer_check_seconds is not None:
            printer = msgspec.structs.replace(config.printer, check_seconds=printer_check_seconds)
            config = msgspec.structs.replace(config, printer=printer)
        clock = SimulatedClock(dt.datetime.fromisoformat(start_at))
        outbox = Outbox(tmp_path / f"outbox-{len(stops)}.sqlite3")
        printer = SimulatedPrinter()
        app = KioskApp(
            site,
            config,
            outbox,
            TicketPrinter(config.printer, site, printer),
            clock,
            status_every=status_every,
            answer_timeout=answer_timeout,
            reserve_pool=reserve_pool,
        )
        factory = MockFactory()
        panel = KioskPanel(config, app.pressed, pin_factory=factory)
        link = KioskLink(
            kiosk_id,
            provisioned.credentials[kiosk_id],
            version="test",
            on_answer=app.answer_arrived,
            on_connected=app.connected,
            on_central=app.central_status,
        )
        app.attach(panel, link)
        link.start()
        loop = threading.Thread(target=app.run, kwargs={"tick": 0.05}, daemon=True)
        loop.start()

        def stop() -> None:
            app.stop()
            loop.join(timeout=5)
            panel.close()
            link.stop({})
            outbox.close()
            factory.close()

        stops.append(stop)
        return RunningKiosk(app, config, panel, printer, factory)

    yield start
    for stop in reversed(stops):
        stop()


def ready(kiosk: RunningKiosk) -> None:
    """Connected, with its reserve of numbers for every service."""
    full = kiosk.app.reserve_pool * len(kiosk.app.services)
    until(lambda: kiosk.app.health()["reserved"] == full, what=f"{kiosk.config.id}'s reserves")


def waiting(provisioned: Provisioned, service: str, count: int) -> QueueState:
    return wait_for_state(
        provisioned,
        lambda s: next(v.waiting for v in s.services if v.prefix == service) == count,
    )


def cut_network(link: DeviceLink) -> None:
    """Takes a started link off the network until `link.start()` is called again.

    paho 2's `loop_start` makes a new wake-up socket pair without closing the previous
    one (an unclosed socket, a ResourceWarning, an error under this suite's warnings
    filter), so the pair is closed here: the one place the tests touch paho's protected
    `_sockpairR` and `_sockpairW`, checked by tests/test_library_privates.py.
    """
    link.client.disconnect()
    link.client.loop_stop()
    for wake in (link.client._sockpairR, link.client._sockpairW):
        if wake is not None:
            wake.close()
