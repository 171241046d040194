"""Pytest plugin: the real central service as a process, and kiosks that talk to it.

The central runs as `python -m broker.central_main` so a test can kill -9 it, on a
simulated clock that starts on a Monday at 09:00 WITA: the example site is open
whatever the hour the tests run at (a test may start it at another moment).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from contract.messages import Answer, IssueTicket, QueueState, decode, encode
from tests.broker_fixtures import EXAMPLE_SITE, WAIT, Mosquitto, Provisioned, wait_until

MONDAY_MORNING = "2026-11-30T09:00:00+08:00"


class CentralProcess:
    """`antre-central` in a child process, with its log in a file."""

    def __init__(
        self,
        provisioned: Provisioned,
        db: Path,
        web_port: int | None = None,
        site_file: Path = EXAMPLE_SITE,
        *,
        public_port: int | None = None,
        simulate_from: str = MONDAY_MORNING,
        open_files: int | None = None,
    ) -> None:
        """`open_files`: the soft limit on open files it starts with (systemd's is 1,024)."""
        self.provisioned = provisioned
        self.db = db
        self.site_file = site_file
        self.web_port = web_port
        self.public_port = public_port
        self.simulate_from = dt.datetime.fromisoformat(simulate_from)
        self.open_files = open_files
        self.log_path = db.parent / "central.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._first_start: float | None = None

    def start(self) -> None:
        # A restarted central's clock has moved on, as a real one's has: its simulated
        # clock goes on from where the first start's would be now, not from 09:00 again.
        if self._first_start is None:
            self._first_start = time.monotonic()
        elapsed = dt.timedelta(seconds=time.monotonic() - self._first_start)
        simulate_from = self.simulate_from + elapsed
        command = [
            sys.executable,
            "-m",
            "broker.central_main",
            "--site",
            str(self.site_file),
            "--credentials",
            str(self.provisioned.directory / "credentials" / "central.toml"),
            "--db",
            str(self.db),
            "--simulate-from",
            simulate_from.isoformat(),
        ]
        if self.web_port is not None:
            command += ["--web-port", str(self.web_port), "--web-host", "127.0.0.1"]
        if self.public_port is not None:
            command += ["--public-port", str(self.public_port)]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=self._limit_open_files if self.open_files else None,
            )

    def _limit_open_files(self) -> None:
        assert self.open_files is not None
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.open_files, hard))

    def kill(self) -> None:
        """SIGKILL: no goodbye, no flush, as a power cut."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def freeze(self) -> None:
        """SIGSTOP: the central hangs (a stuck disk, say) while Mosquitto keeps its session."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    def stop(self) -> int | None:
        if self._process is None:
            return None
        self._process.send_signal(signal.SIGTERM)
        try:
            code = self._process.wait(WAIT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            code = self._process.wait()
        self._process = None
        return code

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def central(
    provisioned: Provisioned, mosquitto: Mosquitto, tmp_path: Path
) -> Iterator[CentralProcess]:
    with serving(CentralProcess(provisioned, tmp_path / "antre.sqlite3")) as process:
        yield process


@contextlib.contextmanager
def serving(process: CentralProcess) -> Iterator[CentralProcess]:
    """`process` started and serving (its state on Mosquitto); killed on the way out."""
    process.start()
    try:
        wait_for_state(process.provisioned, lambda state: True)
        yield process
    finally:
        process.kill()


_numbers = itertools.count(1)


class Device:
    """A test MQTT client that resubscribes after every reconnect and keeps what it gets.

    Like a real device: paho reconnects by itself when Mosquitto comes back, and a
    fresh session needs its subscriptions again.
    """

    def __init__(self, provisioned: Provisioned, username: str, topics: list[str]) -> None:
        self.username = username
        self.topics = topics
        self.subscribed = threading.Event()
        self._lock = threading.Condition()
        self.received: list[tuple[str, bytes]] = []
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"test-{username}-{next(_numbers)}",
            protocol=mqtt.MQTTv5,
        )
        self.client.username_pw_set(username, provisioned.credentials[username].password)
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.connect(provisioned.host, provisioned.port, keepalive=10)
        self.client.loop_start()
        if not self.subscribed.wait(WAIT):
            raise TimeoutError(f"{username} could not subscribe")

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        if not reason.is_failure:
            client.subscribe([(topic, 1) for topic in self.topics])

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, props: Properties
    ) -> None:
        self.subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.received.append((message.topic, bytes(message.payload)))
            self._lock.notify_all()

    def wait_for(self, topic: str, test: Any, timeout: float = WAIT) -> bytes:
        """The first payload on `topic` (received already or later) for which `test` holds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for got_topic, payload in self.received:
                    if got_topic == topic and test(payload):
                        return payload
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self.username}: nothing matching on {topic}")
                self._lock.wait(remaining)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Kiosk(Device):
    """Asks for tickets like the real kiosk: the same request id until answered."""

    def __init__(self, provisioned: Provisioned, kiosk_id: str) -> None:
        self.request_topic = provisioned.topics.kiosk_request(kiosk_id)
        self.answer_topic = provisioned.topics.kiosk_answer(kiosk_id)
        super().__init__(provisioned, kiosk_id, [self.answer_topic])

    def ask(
        self, request_id: str, service: str, *, retry: float = 1.0, give_up: float = 30.0
    ) -> Answer:
        payload = encode(IssueTicket(id=request_id, service=service))
        deadline = time.monotonic() + give_up
        while True:
            # While Mosquitto is down the publish is refused: the retry sends it again.
            self.client.publish(self.request_topic, payload, qos=1)
            try:
                raw = self.wait_for(self.answer_topic, lambda p: _answer_id(p) == request_id, retry)
                return decode(raw, Answer)
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise

    def answers(self) -> list[Answer]:
        with self._lock:
            return [decode(p, Answer) for t, p in self.received if t == self.answer_topic]


def _answer_id(payload: bytes) -> str | None:
    try:
        return decode(payload, Answer).id
    except ValueError:
        return None


def wait_for_state(provisioned: Provisioned, test: Any, timeout: float = 10 * WAIT) -> QueueState:
    """The retained (or next) queue state for which `test` holds, as a display sees it."""
    display = Device(provisioned, "display-lobby", [provisioned.topics.state])
    try:
        raw = display.wait_for(
            provisioned.topics.state, lambda p: test(decode(p, QueueState)), timeout
        )
        return decode(raw, QueueState)
    finally:
        display.close()


def saved_queue(db: Path) -> tuple[dict[str, int], dict[int, str]]:
    """What the central saved: waiting tickets per service, the number each counter serves.

    Read with a connection of its own (SQLite's WAL lets it read beside the central).
    """
    connection = sqlite3.connect(db)
    try:
        (day,) = connection.execute("SELECT value FROM meta WHERE key = 'day'").fetchone()
        waiting = connection.execute(
            "SELECT service, count(*) FROM tickets WHERE day = ? AND state = 'waiting' "
            "GROUP BY service",
            (day,),
        )
        serving = connection.execute(
            "SELECT counters.number, tickets.number FROM counters "
            "JOIN tickets ON tickets.id = counters.current"
        )
        return dict(waiting.fetchall()), dict(serving.fetchall())
    finally:
        connection.close()


def assert_displays_show_the_central(provisioned: Provisioned, db: Path) -> None:
    """Every display's latest retained state shows the central's queue as saved in `db`.

    The waiting count of every service and the number at every counter; each display
    user of the site is asked in turn, as a display starting up now would be.
    """
    waiting, serving = saved_queue(db)

    def shows(state: QueueState) -> bool:
        shown_waiting = {s.prefix: s.waiting for s in state.services if s.waiting}
        shown_serving = {c.number: c.serving for c in state.counters if c.serving}
        return shown_waiting == waiting and shown_serving == serving

    for display in provisioned.site.displays:
        device = Device(provisioned, display.id, [provisioned.topics.state])
        try:
            device.wait_for(
                provisioned.topics.state, lambda p: shows(decode(p, QueueState)), 2 * WAIT
            )
        except TimeoutError:
            latest = [p for t, p in device.received if t == provisioned.topics.state][-1:]
            raise AssertionError(
                f"{display.id} does not show the central's state: saved waiting {waiting}, "
                f"serving {serving}; the display's latest: {latest}"
            ) from None
        finally:
            device.close()


__all__ = [
    "CentralProcess",
    "Device",
    "Kiosk",
    "assert_displays_show_the_central",
    "saved_queue",
    "wait_for_state",
    "wait_until",
]


def ticket_page_path(provisioned: Provisioned, request_id: str) -> str:
    """A passport ticket from kiosk-1; its page's path (what its QR code opens)."""
    kiosk = Kiosk(provisioned, "kiosk-1")
    try:
        answer = kiosk.ask(request_id, "A")
    finally:
        kiosk.close()
    assert answer.ok
    assert answer.ticket is not None
    return "/t/" + answer.ticket.url.rsplit("/", 1)[1]
