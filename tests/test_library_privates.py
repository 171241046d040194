"""The libraries' protected members Antre relies on, each used in one place only:
python-escpos's connection hooks (kiosk/escpos_hooks.py), gpiozero's hold thread
(contract/gpio_panel.py) and paho's wake-up sockets (tests/kiosk_fixtures.py).

pyproject.toml pins each library below its next major version; within it, a release
that renames or changes one of these fails here, loudly and by name, instead of as a
kiosk that prints nothing or a shutdown that hangs.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from escpos.escpos import Escpos  # type: ignore[import-untyped, unused-ignore]
from escpos.exceptions import DeviceNotFoundError  # type: ignore[import-untyped, unused-ignore]
from escpos.printer import (  # type: ignore[import-untyped, unused-ignore]
    Dummy,
    File,
    Network,
    Serial,
    Usb,
)
from gpiozero import Button
from gpiozero.pins.mock import MockFactory

from contract.gpio_panel import _stop_hold_thread
from contract.health import PrinterHealth
from kiosk.escpos_hooks import can_read, write_raw
from kiosk.link import KioskLink
from kiosk.printer import SimulatedPrinter
from tests.broker_fixtures import Mosquitto, Provisioned
from tests.kiosk_fixtures import cut_network, until

# -- python-escpos ---------------------------------------------------------------------------


def test_escpos_writes_raw_bytes_unchanged_through_its_raw_hook(tmp_path: Path) -> None:
    job = b"\x1b@A001\n\x1dV\x00"
    dummy = Dummy()
    write_raw(dummy, job)
    assert dummy.output == job
    # a file connection opens itself on the first write
    printed = tmp_path / "printer.bin"
    printer = File(devfile=str(printed))
    write_raw(printer, job)
    printer.close()
    assert printed.read_bytes() == job


def test_escpos_tells_a_connection_that_reads_by_its_read_hook() -> None:
    with pytest.raises(NotImplementedError):
        Escpos._read(Dummy())
    assert not can_read(Dummy())
    assert not can_read(File(devfile="/dev/null"))
    # made, not opened: python-escpos connects on the first write
    readers = [
        Usb(0x0416, 0x5011),
        Serial(devfile="/dev/ttyUSB9"),
        Network("192.0.2.1"),
        SimulatedPrinter(PrinterHealth.OK),
    ]
    assert all(can_read(printer) for printer in readers)


def test_escpos_opens_again_after_a_failed_open_when_its_device_is_set_to_false(
    tmp_path: Path,
) -> None:
    # GIVEN a file printer whose folder is not there yet: the first write fails to open
    folder = tmp_path / "later"
    printer = File(devfile=str(folder / "printer.bin"))
    with pytest.raises(DeviceNotFoundError):
        write_raw(printer, b"lost")
    assert printer._device is None  # "initialised, not connected": it would not open again
    # WHEN the folder appears and the connection is marked "not initialised" (public setter)
    folder.mkdir()
    printer.device = False
    write_raw(printer, b"A002")
    printer.close()
    # THEN it opened again by itself
    assert (folder / "printer.bin").read_bytes() == b"A002"


# -- gpiozero ------------------------------------------------------------------------------


def test_gpiozero_stops_a_buttons_hold_thread_without_waiting() -> None:
    factory = MockFactory()
    try:
        buttons = [Button(pin, pin_factory=factory) for pin in range(2, 14)]
        threads = [button._hold_thread for button in buttons]
        assert all(isinstance(thread.stopping, threading.Event) for thread in threads)
        # WHEN every hold thread is asked to stop first
        for button in buttons:
            _stop_hold_thread(button)
        assert all(thread.stopping.is_set() for thread in threads)
        # THEN closing the buttons finds their threads ending
        for button in buttons:
            button.close()
        assert all(not thread.is_alive() for thread in threads)
    finally:
        factory.close()


# -- paho-mqtt -----------------------------------------------------------------------------


def test_paho_wake_up_sockets_are_closed_when_a_link_is_cut(
    provisioned: Provisioned, mosquitto: Mosquitto
) -> None:
    credentials = provisioned.credentials["kiosk-1"]
    link = KioskLink(
        "kiosk-1",
        credentials,
        version="test",
        on_answer=lambda answer: None,
        on_connected=lambda: None,
        on_central=lambda status: None,
    )
    link.start()
    try:
        until(lambda: link.connected, what="kiosk-1 connected")
        pair = (link.client._sockpairR, link.client._sockpairW)
        assert all(wake is not None and wake.fileno() >= 0 for wake in pair)
        cut_network(link)
        assert all(wake is not None and wake.fileno() == -1 for wake in pair)
        # and the link starts again on a fresh pair
        link.start()
        until(lambda: link.connected, what="kiosk-1 back")
    finally:
        link.stop({})
