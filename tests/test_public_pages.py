"""The citizens' pages in a process of their own, under the real central.

The central (`python -m broker.central_main --public-port`) starts the public pages as a
child (`broker.web.public_main`) that reads the queue from the SQLite file: the page of a
ticket printed a moment ago opens, a call reaches an open page, staff pages are not
there, a killed child is started again, and a killed central takes its child along.
"""

import http.client
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from broker.mosquitto_runner import free_port
from contract.messages import CounterCommand, encode
from simulation.central_process import public_pages_pids
from tests.broker_fixtures import WAIT, Mosquitto, Provisioned, wait_until
from tests.central_fixtures import (
    CentralProcess,
    Device,
    serving,
    ticket_page_path,
    wait_for_state,
)


@pytest.fixture
def central(
    provisioned: Provisioned, mosquitto: Mosquitto, tmp_path: Path
) -> Iterator[CentralProcess]:
    database = tmp_path / "antre.sqlite3"
    central = CentralProcess(provisioned, database, web_port=free_port(), public_port=free_port())
    with serving(central) as process:
        yield process


def public_pid(central: CentralProcess) -> int:
    """The central's child that serves the public pages."""
    pid = central.pid
    assert pid is not None
    found = public_pages_pids(pid)
    assert len(found) == 1, found
    return found[0]


def get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_a_ticket_page_opens_at_once_and_hears_its_call_from_the_public_process(
    provisioned: Provisioned, central: CentralProcess
) -> None:
    assert central.public_port is not None
    # GIVEN a ticket printed a moment ago (the child has not polled the file yet)
    path = ticket_page_path(provisioned, "req-1")
    # WHEN the citizen scans its QR code at once
    status, page = get(central.public_port, path)
    # THEN its page opens, from the public pages' own process
    assert status == 200, page[:300]
    assert "A001" in page
    assert public_pid(central) != central.pid
    # AND an open page hears the call made at a counter
    phone = socket.create_connection(("127.0.0.1", central.public_port), timeout=WAIT)
    try:
        phone.sendall(f"GET {path}/events HTTP/1.1\r\nHost: antre\r\n\r\n".encode())
        opened = _read_until(phone, b'"state": "waiting"')
        assert opened.startswith(b"HTTP/1.1 200")
        counter = Device(provisioned, "counter-1", [provisioned.topics.counter_answer(1)])
        try:
            command = CounterCommand(id="call-1", action="call_next", clerk="siti")
            counter.client.publish(provisioned.topics.counter_command(1), encode(command), qos=1)
            assert b"Loket 1" in _read_until(phone, b'"state": "called"')
        finally:
            counter.close()
    finally:
        phone.close()


def test_staff_pages_are_not_served_on_the_public_port(central: CentralProcess) -> None:
    assert central.public_port is not None
    assert central.web_port is not None
    for path in ("/login", "/admin/", "/api/v1/state", "/counter/1", "/bookings/"):
        status, _ = get(central.public_port, path)
        assert status == 404, path
    assert get(central.web_port, "/login")[0] == 200


def test_a_killed_public_process_comes_back_and_a_killed_central_takes_it_along(
    provisioned: Provisioned, central: CentralProcess
) -> None:
    assert central.public_port is not None
    port = central.public_port
    path = ticket_page_path(provisioned, "req-1")
    first = public_pid(central)
    # GIVEN the public pages die (kill -9) while the central serves
    os.kill(first, signal.SIGKILL)
    # THEN the central starts them again on the same port, and says so
    wait_until(lambda: _serves(port, path), 3 * WAIT, "the public pages again")
    assert public_pid(central) != first
    assert "the public pages stopped" in central.log()
    # AND the queue was served meanwhile
    assert ticket_page_path(provisioned, "req-2") != path
    # WHEN the central itself is killed
    second = public_pid(central)
    central.kill()
    # THEN its child stops too: no orphan keeps the port
    wait_until(lambda: _zombie(second), WAIT, "the child to stop")
    assert not _serves(port, path)


def _serves(port: int, path: str) -> bool:
    try:
        return get(port, path)[0] == 200
    except OSError:
        return False


def _zombie(pid: int) -> bool:
    """Gone, or ended and not yet reaped (its new parent may be slow to)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _read_until(phone: socket.socket, wanted: bytes) -> bytes:
    received = b""
    deadline = time.monotonic() + 3 * WAIT
    while wanted not in received:
        assert time.monotonic() < deadline, received[-500:]
        chunk = phone.recv(4096)
        assert chunk, "the stream closed"
        received += chunk
    return received


def test_a_taken_public_port_stops_nothing_else_and_is_taken_once_free(
    provisioned: Provisioned, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    # GIVEN another program holds the public port when the central starts
    squatter = socket.socket()
    squatter.bind(("0.0.0.0", 0))
    squatter.listen()
    port = squatter.getsockname()[1]
    central = CentralProcess(
        provisioned, tmp_path / "antre.sqlite3", web_port=free_port(), public_port=port
    )
    central.start()
    try:
        # THEN the central serves the queue all the same, and says why the pages are not
        wait_for_state(provisioned, lambda state: True)
        path = ticket_page_path(provisioned, "req-1")
        wait_until(lambda: "the public pages did not start" in central.log(), WAIT, "the reason")
        assert "Address already in use" in central.log()
        # WHEN the port is free again THEN the pages are served there, without a restart
        squatter.close()
        wait_until(lambda: _serves(port, path), 10 * WAIT, "the public pages")
    finally:
        squatter.close()
        central.kill()
