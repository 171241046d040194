"""sd_notify: readiness, status and watchdog pings on a NOTIFY_SOCKET the test owns, from
the helper alone and from the real central, kiosk, survey unit and display; a hung loop
stops pinging."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from broker.central import Central, _log_answer
from broker.queue_service import QueueService
from broker.store.sqlite_store import SqliteStore
from contract.clock import SimulatedClock
from contract.logs import JournalFormatter, to_journal
from contract.messages import Answer, TicketInfo
from contract.sd_notify import Notifier, Watchdog
from display.voice_pack_generator import write_silent_pack
from tests.broker_fixtures import EXAMPLE_SITE, Mosquitto, Provisioned
from tests.central_fixtures import MONDAY_MORNING

WAIT = 10.0


class NotifySocket:
    """The service manager's end: a datagram socket that keeps every message it gets."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        bound = b"\0" + address[1:].encode() if address.startswith("@") else address
        self.socket.bind(bound)
        self.messages: list[tuple[float, dict[str, str]]] = []

    def receive(self, timeout: float) -> dict[str, str] | None:
        """The next message as {KEY: value}, or None after `timeout` seconds."""
        self.socket.settimeout(timeout)
        try:
            data = self.socket.recv(4096)
        except TimeoutError:
            return None
        message = dict(line.split("=", 1) for line in data.decode().splitlines())
        self.messages.append((time.monotonic(), message))
        return message

    def wait_for(self, key: str, value: str | None = None, timeout: float = WAIT) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            message = self.receive(remaining)
            if message is not None and key in message and value in (None, message[key]):
                return message
        raise TimeoutError(f"no {key}={value or '*'} within {timeout} s: got {self.messages}")

    def pings_within(self, seconds: float) -> int:
        """How many WATCHDOG=1 arrive in the next `seconds`."""
        deadline = time.monotonic() + seconds
        count = 0
        while (remaining := deadline - time.monotonic()) > 0:
            message = self.receive(remaining)
            if message is not None and message.get("WATCHDOG") == "1":
                count += 1
        return count

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[NotifySocket]:
    listener = NotifySocket(str(tmp_path / "notify"))
    try:
        yield listener
    finally:
        listener.close()


# --- the helper -------------------------------------------------------------------------------


def test_ready_status_stopping_and_watchdog_arrive_as_sd_notify_lines(
    notify_socket: NotifySocket,
) -> None:
    """GIVEN a notifier on the test's socket WHEN it says ready, status, watchdog, stopping
    THEN each arrives as one datagram of KEY=value lines, READY with its status."""
    notifier = Notifier(notify_socket.address)
    assert notifier.ready("serving site samarinda")
    assert notify_socket.receive(1) == {"READY": "1", "STATUS": "serving site samarinda"}
    notifier.status("lost Mosquitto")
    assert notify_socket.receive(1) == {"STATUS": "lost Mosquitto"}
    notifier.watchdog()
    assert notify_socket.receive(1) == {"WATCHDOG": "1"}
    notifier.stopping()
    assert notify_socket.receive(1) == {"STOPPING": "1"}


def test_an_abstract_socket_address_starting_with_at_is_reached() -> None:
    """GIVEN NOTIFY_SOCKET=@name (systemd's abstract socket) WHEN ready THEN it arrives."""
    listener = NotifySocket(f"@antre-test-{uuid.uuid4().hex}")
    try:
        notifier = Notifier.from_environment({"NOTIFY_SOCKET": listener.address})
        assert notifier.ready()
        assert listener.receive(1) == {"READY": "1"}
    finally:
        listener.close()


def test_without_notify_socket_everything_is_a_no_op() -> None:
    """GIVEN no NOTIFY_SOCKET (a laptop, make run) THEN nothing is sent and nothing fails."""
    notifier = Notifier.from_environment({"WATCHDOG_USEC": "30000000"})
    assert not notifier.enabled
    assert not notifier.ready("x")
    assert not notifier.watchdog()
    assert not Watchdog(notifier).ping()


def test_a_vanished_manager_socket_does_not_stop_the_service(tmp_path: Path) -> None:
    """GIVEN a NOTIFY_SOCKET nobody listens on WHEN notifying THEN False, no exception."""
    assert not Notifier(str(tmp_path / "gone")).ready()


def test_the_watchdog_pings_at_half_of_watchdog_usec_and_only_when_due(
    notify_socket: NotifySocket,
) -> None:
    """GIVEN WATCHDOG_USEC=30 s WHEN the loop turns many times THEN one ping per 15 s."""
    now = [100.0]
    notifier = Notifier.from_environment(
        {"NOTIFY_SOCKET": notify_socket.address, "WATCHDOG_USEC": "30000000"}
    )
    watchdog = Watchdog(notifier, clock=lambda: now[0])
    assert watchdog.interval == 15.0
    sent = []
    for step in range(61):  # 0 .. 30 s in half seconds
        now[0] = 100.0 + step / 2
        sent.append(watchdog.ping())
    assert [i / 2 for i, ping in enumerate(sent) if ping] == [0.0, 15.0, 30.0]
    assert notify_socket.pings_within(0.2) == 3


def test_a_watchdog_meant_for_another_process_is_not_pinged(notify_socket: NotifySocket) -> None:
    """GIVEN WATCHDOG_PID naming another process THEN this one has no watchdog."""
    env = {
        "NOTIFY_SOCKET": notify_socket.address,
        "WATCHDOG_USEC": "30000000",
        "WATCHDOG_PID": str(os.getpid() + 1),
    }
    assert not Watchdog(Notifier.from_environment(env)).enabled
    env["WATCHDOG_PID"] = str(os.getpid())
    assert Watchdog(Notifier.from_environment(env)).enabled


def test_a_hung_loop_stops_the_pings_and_they_resume_when_it_moves(
    notify_socket: NotifySocket,
) -> None:
    """GIVEN a loop pinging every 50 ms WHEN one of its turns hangs THEN no ping arrives
    while it hangs (systemd would kill it), and they come again once it moves."""
    watchdog = Watchdog(Notifier(notify_socket.address), interval=0.05)
    hang, release, stop = threading.Event(), threading.Event(), threading.Event()

    def loop() -> None:
        while not stop.is_set():
            watchdog.ping()
            if hang.is_set():
                release.wait()
            time.sleep(0.01)

    thread = threading.Thread(target=loop)
    thread.start()
    try:
        assert notify_socket.pings_within(0.5) >= 5
        hang.set()
        notify_socket.pings_within(0.1)  # a ping already on its way
        assert notify_socket.pings_within(0.5) == 0
        hang.clear()
        release.set()
        assert notify_socket.pings_within(0.5) >= 5
    finally:
        stop.set()
        release.set()
        thread.join()


# --- the central ------------------------------------------------------------------------------


def test_the_central_is_ready_once_connected_and_its_hung_worker_stops_the_pings(
    provisioned: Provisioned,
    mosquitto: Mosquitto,
    notify_socket: NotifySocket,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """GIVEN the central with a watchdog of 0.2 s WHEN it serves THEN READY=1 comes once it
    is connected to Mosquitto, then pings; WHEN its worker hangs on a message THEN the
    pings stop; WHEN it moves again THEN they resume; WHEN stopped THEN STOPPING=1."""
    # An idle worker turns once per tick (1 s): quicker here, to match the short watchdog.
    monkeypatch.setattr("broker.central.TICK_SECONDS", 0.05)
    site = provisioned.site
    store = SqliteStore(tmp_path / "antre.sqlite3")
    clock = SimulatedClock(dt.datetime.fromisoformat(MONDAY_MORNING))
    queue = QueueService(site, store, clock)
    notifier = Notifier(notify_socket.address, watchdog_usec=200_000)
    central = Central(
        site, queue, provisioned.credentials["central"], clock=clock, notifier=notifier
    )
    release = threading.Event()
    real_set_setting = queue.set_setting

    def hanging_set_setting(key: str, value: str) -> None:
        release.wait()
        real_set_setting(key, value)

    monkeypatch.setattr(queue, "set_setting", hanging_set_setting)
    worker = threading.Thread(target=central.serve)
    worker.start()
    try:
        ready = notify_socket.wait_for("READY", "1")
        assert central.client.is_connected()
        assert "samarinda" in ready["STATUS"]
        assert notify_socket.pings_within(0.6) >= 3
        central.set_notice("Selamat datang")  # the worker hangs on it
        notify_socket.pings_within(0.15)
        assert notify_socket.pings_within(0.6) == 0
        release.set()
        assert notify_socket.pings_within(0.6) >= 3
    finally:
        release.set()
        central.stop()
        worker.join(WAIT)
        store.close()
    assert not worker.is_alive()
    notify_socket.wait_for("STOPPING", "1")


# --- the kiosk, the survey unit and the display, as processes -------------------------------


@contextlib.contextmanager
def _process(
    command: list[str], notify: NotifySocket, log: Path, extra_env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "NOTIFY_SOCKET": notify.address,
        "WATCHDOG_USEC": "400000",
        **(extra_env or {}),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def _stop(process: subprocess.Popen[bytes], notify: NotifySocket, log: Path) -> None:
    process.send_signal(signal.SIGTERM)
    notify.wait_for("STOPPING", "1")
    assert process.wait(WAIT) == 0, log.read_text()


def test_the_kiosk_is_ready_once_set_up_and_pings_from_its_loop(
    provisioned: Provisioned, notify_socket: NotifySocket, tmp_path: Path
) -> None:
    """GIVEN antre-kiosk under a watchdog of 0.4 s (no broker needed: it works offline)
    THEN READY=1 with its status, pings every 0.2 s, and STOPPING=1 on SIGTERM."""
    credentials = provisioned.directory / "credentials" / "kiosk-1.toml"
    command = [
        sys.executable, "-m", "kiosk.main", "--site", str(EXAMPLE_SITE), "--kiosk", "kiosk-1",
        "--credentials", str(credentials), "--state-dir", str(tmp_path / "state"),
        "--pin-factory", "mock", "--printer-file", str(tmp_path / "printer.bin"),
        "--simulate-from", MONDAY_MORNING,
    ]  # fmt: skip
    log = tmp_path / "kiosk.log"
    with _process(command, notify_socket, log) as kiosk:
        ready = notify_socket.wait_for("READY", "1", timeout=30)
        assert "kiosk-1" in ready["STATUS"]
        # Its loop turns at least every 0.5 s (a press, an answer or a tick).
        assert notify_socket.pings_within(1.6) >= 3, log.read_text()
        _stop(kiosk, notify_socket, log)


def test_the_survey_unit_is_ready_once_set_up_pings_from_its_loop_and_logs_for_journald(
    provisioned: Provisioned, notify_socket: NotifySocket, tmp_path: Path
) -> None:
    """GIVEN antre-survey on mock pins under a watchdog of 0.4 s (no broker needed), its
    stderr the stream systemd named in JOURNAL_STREAM THEN READY=1 naming the unit, pings
    every 0.2 s, STOPPING=1 on SIGTERM, and its log lines carry journald's priority."""
    credentials = provisioned.directory / "credentials" / "survey-1.toml"
    command = [
        sys.executable, "-m", "survey.main", "--site", str(EXAMPLE_SITE),
        "--unit", "survey-1", "--credentials", str(credentials), "--pin-factory", "mock",
    ]  # fmt: skip
    log = tmp_path / "survey.log"
    log.touch()  # opened again by _process: the same file, so the same device and inode
    journal = {"JOURNAL_STREAM": f"{log.stat().st_dev}:{log.stat().st_ino}"}
    with _process(command, notify_socket, log, journal) as unit:
        ready = notify_socket.wait_for("READY", "1", timeout=30)
        assert ready["STATUS"] == "survey unit survey-1: counters 1, 2"
        # Its loop turns every 0.05 s, pressed or not.
        assert notify_socket.pings_within(1.6) >= 3, log.read_text()
        _stop(unit, notify_socket, log)
    # <priority>logger: message, no time (journald stamps it); the logger is __main__ here.
    started = "<6>__main__: survey unit survey-1 started: counters 1, 2"
    assert started in log.read_text().splitlines(), log.read_text()


def test_the_display_is_ready_after_its_first_frame_and_pings_from_its_loop(
    provisioned: Provisioned, notify_socket: NotifySocket, tmp_path: Path
) -> None:
    """GIVEN antre-display, headless, under a watchdog of 0.4 s THEN READY=1 once the first
    frame is painted (its screenshot is on disk), pings, and STOPPING=1 on SIGTERM."""
    pack = tmp_path / "voice"
    write_silent_pack(pack, english=True)
    shots = tmp_path / "shots"
    shots.mkdir()
    credentials = provisioned.directory / "credentials" / "display-lobby.toml"
    command = [
        sys.executable, "-m", "display.main", "--site", str(EXAMPLE_SITE),
        "--display", "display-lobby", "--credentials", str(credentials),
        "--voice-pack", str(pack), "--headless", "--screenshot-dir", str(shots),
        "--simulate-from", MONDAY_MORNING,
    ]  # fmt: skip
    log = tmp_path / "display.log"
    with _process(command, notify_socket, log) as display:
        ready = notify_socket.wait_for("READY", "1", timeout=30)
        assert "1920x1080" in ready["STATUS"]
        assert (shots / "display.png").exists()
        assert notify_socket.pings_within(1.0) >= 3, log.read_text()
        _stop(display, notify_socket, log)


# --- log lines for the journal ------------------------------------------------------------------


def test_under_journald_each_line_carries_its_priority_and_no_time(tmp_path: Path) -> None:
    """GIVEN stderr is the journal stream systemd named in JOURNAL_STREAM THEN it is found;
    each record becomes <priority>name: message, every line of a traceback prefixed."""
    with (tmp_path / "stream").open("w") as stream:
        st = os.fstat(stream.fileno())
        assert to_journal(stream, {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"})
        assert not to_journal(stream, {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino + 1}"})
        assert not to_journal(stream, {})
    formatter = JournalFormatter()

    def line(level: int, message: str) -> str:
        record = logging.LogRecord("antre.central", level, __file__, 1, message, None, None)
        return formatter.format(record)

    assert line(logging.ERROR, "ALERT kiosk-2 printer: paper_out") == (
        "<3>antre.central: ALERT kiosk-2 printer: paper_out"
    )
    assert line(logging.WARNING, "w").startswith("<4>")
    assert line(logging.INFO, "i").startswith("<6>")
    assert line(logging.DEBUG, "d").startswith("<7>")
    # A message stays one entry, whatever it holds (a device's id could forge a line)...
    assert line(logging.INFO, "two\nlines") == "<6>antre.central: two\\nlines"
    # ...while a traceback spans lines, each with its priority
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "antre.central", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    lines = formatter.format(record).splitlines()
    assert lines[0] == "<3>antre.central: failed"
    assert len(lines) > 2
    assert all(entry.startswith("<3>") for entry in lines)


def test_the_central_logs_one_line_per_answer_with_the_device_ticket_and_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """GIVEN answers to kiosk-1 (a ticket, a refusal) WHEN logged THEN one line each naming
    the device, the request, and the ticket or the reason."""
    ticket = TicketInfo(
        id="2026-11-30/A023",
        number="A023",
        service="A",
        service_name="Paspor",
        agency="Imigrasi",
        priority=False,
        state="waiting",
        issued_at="2026-11-30T09:00:00+08:00",
        ahead=0,
        wait_minutes=None,
        counters=[1],
        url="http://antre.local/t/x",
    )
    with caplog.at_level(logging.INFO, logger="broker.central"):
        _log_answer("kiosk-1", Answer(id="r1", ok=True, ticket=ticket))
        _log_answer("kiosk-1", Answer(id="r2", ok=False, reason="quota_full"))
    assert caplog.messages == [
        "kiosk-1 request r1: ok, ticket A023",
        "kiosk-1 request r2: refused, quota_full",
    ]
