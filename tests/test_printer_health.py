"""A printer's health: faults before and after a ticket, a printer that comes back, and
network printers that do not answer."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

import kiosk.printer
from contract.health import PrinterHealth
from contract.site import Printer, Site
from kiosk.printer import (
    PrinterFault,
    SimulatedPrinter,
    TicketPrinter,
)
from tests.escpos_decode import (
    StatusQuery,
    Text,
    decode,
    texts,
)
from tests.printing_fixtures import PRINTER_80, ticket


@pytest.mark.parametrize(
    "fault", [PrinterHealth.PAPER_OUT, PrinterHealth.COVER_OPEN, PrinterHealth.OFFLINE]
)
def test_a_faulty_printer_prints_nothing(example_site: Site, fault: PrinterHealth) -> None:
    # GIVEN a printer with no paper, its cover open, or not answering
    device = SimulatedPrinter()
    device.simulate(fault)
    printer = TicketPrinter(PRINTER_80, example_site, device)
    # WHEN a ticket is printed
    with pytest.raises(PrinterFault) as raised:
        printer.print_ticket(ticket())
    # THEN the fault names the condition, and says nothing was started
    assert raised.value.health is fault
    assert not raised.value.started
    assert printer.last_health is fault
    # AND only status queries reached the printer: no number, no text, no QR
    ops = decode(device.output)
    assert ops
    assert all(isinstance(op, StatusQuery) for op in ops)
    assert b"A023" not in device.output


def test_paper_near_end_prints_and_is_reported(example_site: Site) -> None:
    # GIVEN a printer whose roll is near its end
    device = SimulatedPrinter()
    device.simulate(PrinterHealth.PAPER_NEAR_END)
    printer = TicketPrinter(PRINTER_80, example_site, device)
    # WHEN a ticket is printed
    printer.print_ticket(ticket())
    # THEN it is printed, and the near end is reported
    assert "A023" in texts(decode(device.output))
    assert printer.last_health is PrinterHealth.PAPER_NEAR_END
    assert printer.health() is PrinterHealth.PAPER_NEAR_END


def test_no_reply_is_offline_not_paper_out_nor_ok(example_site: Site) -> None:
    # GIVEN a readable connection to a printer that does not answer (switched off)
    device = SimulatedPrinter()
    device.simulate(PrinterHealth.OFFLINE)
    # WHEN its health is asked
    health = TicketPrinter(PRINTER_80, example_site, device).health()
    # THEN it is offline
    assert health is PrinterHealth.OFFLINE
    # AND python-escpos's own paper_status() would have called it "paper adequate" (2):
    # the reason the check reads the status bytes itself
    assert device.paper_status() == 2


@pytest.mark.parametrize(
    ("condition", "paper_status", "online"),
    [
        (PrinterHealth.OK, 2, True),
        (PrinterHealth.PAPER_NEAR_END, 1, True),
        (PrinterHealth.PAPER_OUT, 0, False),
        (PrinterHealth.COVER_OPEN, 2, False),
    ],
)
def test_the_simulator_answers_python_escpos_queries(
    example_site: Site, condition: PrinterHealth, paper_status: int, online: bool
) -> None:
    # GIVEN a simulated printer in `condition`
    device = SimulatedPrinter()
    device.simulate(condition)
    # WHEN python-escpos asks it, and the ticket printer asks it
    # THEN python-escpos reads the bytes as a real printer's, and the health is the condition
    assert device.paper_status() == paper_status
    assert device.is_online() is online
    assert TicketPrinter(PRINTER_80, example_site, device).health() is condition


def test_paper_running_out_while_printing_is_caught_after(example_site: Site) -> None:
    # GIVEN a printer that is fine now but runs out of paper 200 bytes into the ticket
    device = SimulatedPrinter()
    device.simulate(PrinterHealth.PAPER_OUT, after_bytes=200)
    printer = TicketPrinter(PRINTER_80, example_site, device)
    assert printer.health() is PrinterHealth.OK
    # WHEN the ticket is printed
    with pytest.raises(PrinterFault) as raised:
        printer.print_ticket(ticket())
    # THEN the check after printing raises paper out, with the ticket started
    assert raised.value.health is PrinterHealth.PAPER_OUT
    assert raised.value.started
    # AND the status was asked again after the ticket's bytes
    ops = decode(device.output)
    last_text = max(i for i, op in enumerate(ops) if isinstance(op, Text))
    assert any(isinstance(op, StatusQuery) for op in ops[last_text:])


def test_the_printer_comes_back_after_a_fault(example_site: Site) -> None:
    # GIVEN a printer out of paper that refused a ticket
    device = SimulatedPrinter()
    device.simulate(PrinterHealth.PAPER_OUT)
    printer = TicketPrinter(PRINTER_80, example_site, device)
    with pytest.raises(PrinterFault):
        printer.print_ticket(ticket())
    # WHEN a roll is put in
    device.simulate(PrinterHealth.OK)
    # THEN the next ticket prints
    printer.print_ticket(ticket())
    assert printer.health() is PrinterHealth.OK
    assert "A023" in texts(decode(device.output))


class Unplugged(SimulatedPrinter):
    """A printer whose cable was pulled: every write fails as pyusb's would."""

    def _raw(self, msg: bytes) -> None:
        raise OSError(19, "No such device")


def test_a_connection_error_is_offline(example_site: Site) -> None:
    # GIVEN a printer whose connection fails on every write
    printer = TicketPrinter(PRINTER_80, example_site, Unplugged())
    # WHEN its health is asked and a ticket is printed
    health = printer.health()
    with pytest.raises(PrinterFault) as raised:
        printer.print_ticket(ticket())
    # THEN both say offline
    assert health is PrinterHealth.OFFLINE
    assert raised.value.health is PrinterHealth.OFFLINE


@pytest.fixture
def closed_port() -> int:
    """A local TCP port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_network_printer_nobody_answers_is_offline(example_site: Site, closed_port: int) -> None:
    # GIVEN a network printer config whose address refuses connections
    config = Printer(type="network", host="127.0.0.1", port=closed_port)
    printer = TicketPrinter(config, example_site, settle_seconds=0)
    # WHEN its health is asked and a ticket is printed
    try:
        health = printer.health()
        with pytest.raises(PrinterFault) as raised:
            printer.print_ticket(ticket())
    finally:
        printer.close()
    # THEN python-escpos's DeviceNotFoundError is an offline printer, and nothing started
    assert health is PrinterHealth.OFFLINE
    assert raised.value.health is PrinterHealth.OFFLINE
    assert not raised.value.started


@pytest.fixture
def silent_printer() -> Iterator[int]:
    """A TCP server that accepts connections, takes what is sent and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(5)
    accepted: list[socket.socket] = []

    def serve() -> None:
        try:
            connection, _ = server.accept()
        except OSError:
            return
        accepted.append(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    thread.join(timeout=5)
    for connection in accepted:
        connection.close()
    server.close()


def test_a_network_printer_that_never_replies_is_offline(
    example_site: Site, silent_printer: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a network printer that takes data but does not answer status queries
    monkeypatch.setattr(kiosk.printer, "STATUS_TIMEOUT", 0.3)
    config = Printer(type="network", host="127.0.0.1", port=silent_printer)
    printer = TicketPrinter(config, example_site, settle_seconds=0)
    # WHEN its health is asked
    try:
        health = printer.health()
    finally:
        printer.close()
    # THEN the read time-out is offline, not paper out
    assert health is PrinterHealth.OFFLINE


class FakeNetworkPrinter:
    """A TCP printer on localhost: keeps what it receives and answers each DLE EOT n
    as a simulated printer in `condition` would."""

    def __init__(self, port: int) -> None:
        self.model = SimulatedPrinter()
        self.received = bytearray()
        self._server = socket.create_server(("127.0.0.1", port))
        self._server.settimeout(5)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            connection, _ = self._server.accept()
        except OSError:
            return
        with connection:
            connection.settimeout(5)
            while chunk := connection.recv(4096):
                self.received += chunk
                for n in (1, 2, 3, 4):
                    for _ in range(chunk.count(bytes((0x10, 0x04, n)))):
                        reply = self.model.status_byte(n)
                        if reply is not None:
                            connection.sendall(bytes((reply,)))

    def close(self) -> None:
        self._server.close()
        self._thread.join(timeout=5)


def test_a_network_printer_is_used_again_once_it_answers(
    example_site: Site, closed_port: int
) -> None:
    # GIVEN a network printer that was not there when first asked
    config = Printer(type="network", host="127.0.0.1", port=closed_port)
    printer = TicketPrinter(config, example_site, settle_seconds=0)
    fake: FakeNetworkPrinter | None = None
    try:
        assert printer.health() is PrinterHealth.OFFLINE
        # WHEN it is switched on, with its roll near the end
        fake = FakeNetworkPrinter(closed_port)
        fake.model.simulate(PrinterHealth.PAPER_NEAR_END)
        # THEN the same TicketPrinter connects, reads the status and prints
        assert printer.health() is PrinterHealth.PAPER_NEAR_END
        printer.print_ticket(ticket())
    finally:
        printer.close()
        if fake is not None:
            fake.close()
    assert fake is not None
    assert "A023" in texts(decode(bytes(fake.received)))
