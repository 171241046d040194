"""MQTT clients of the simulation (and of the system benchmark): devices as they speak.

`Requester` is one device user (a kiosk or a counter) that publishes a request at QoS 1
and waits for the central's answer with its id, sending the same id again when no
answer comes, as a real kiosk does. `Observer` is a lobby display: it keeps the latest
retained state, the history of the waiting counts and when each number was called.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from contract.credentials import Credentials
from contract.errors import AntreError
from contract.messages import Answer, BadMessage, CallEvent, QueueState, decode
from contract.mqtt_socket import send_without_delay

# Bounded waits: generous for a loaded machine, never reached when things work.
READY_TIMEOUT = 30.0
RETRY_SECONDS = 5.0
GIVE_UP_SECONDS = 60.0

_client_numbers = itertools.count(1)


class LinkError(AntreError):
    """A client could not connect or subscribe, or got no answer in time."""


def mqtt_client(credentials: Credentials, client_id: str) -> mqtt.Client:
    """A paho MQTT v5 client logged in as the device user, Nagle off (see the bench)."""
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
    )
    client.username_pw_set(credentials.username, credentials.password)
    client.reconnect_delay_set(min_delay=1, max_delay=2)
    send_without_delay(client)
    return client


def client_id(name: str) -> str:
    """A client id no other client of this machine has (Mosquitto drops the older of two)."""
    return f"sim-{name}-{os.getpid()}-{next(_client_numbers)}"


class Subscriber:
    """Connects as a device user, subscribes to `topics` at QoS 1, waits for the SUBACK.

    Subclasses handle the messages (`_on_message`); the benchmarks' clients are some."""

    def __init__(self, credentials: Credentials, topics: list[str], client_id: str) -> None:
        self.topics = topics
        self._subscribed = threading.Event()
        self._refused: str | None = None
        self.client = mqtt_client(credentials, client_id)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.connect(credentials.host, credentials.port, keepalive=30)
        self.client.loop_start()
        if not self._subscribed.wait(READY_TIMEOUT) or self._refused is not None:
            self.close()
            raise LinkError(f"{client_id} could not subscribe to {topics}: {self._refused}")

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        if reason.is_failure:
            self._refused = str(reason)
            self._subscribed.set()
        else:
            client.subscribe([(topic, 1) for topic in self.topics])

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reasons: list[ReasonCode],
        props: Properties,
    ) -> None:
        if any(reason.is_failure for reason in reasons):
            self._refused = ", ".join(str(reason) for reason in reasons)
        self._subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@dataclass(frozen=True, slots=True)
class Asked:
    """An answer and how long it took, from the first publish to its arrival (seconds)."""

    answer: Answer
    seconds: float


class Requester(Subscriber):
    """A kiosk or counter user: requests out on its own topic, answers matched by id."""

    def __init__(
        self, credentials: Credentials, request_topic: str, answer_topic: str, name: str
    ) -> None:
        self.request_topic = request_topic
        self._lock = threading.Condition()
        self._answers: dict[str, tuple[Answer, float]] = {}
        self._wanted: set[str] = set()
        super().__init__(credentials, [answer_topic], client_id(name))

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        arrived = time.perf_counter()
        answer = self.read(bytes(message.payload))
        if answer is None:
            return
        with self._lock:
            # Only answers someone waits for: a repeat after a retry is dropped.
            if answer.id in self._wanted:
                self._wanted.discard(answer.id)
                self._answers[answer.id] = (answer, arrived)
                self._lock.notify_all()

    def read(self, payload: bytes) -> Answer | None:
        """The answer in a payload (None: not one); a bench's echo client reads otherwise."""
        try:
            return decode(payload, Answer)
        except BadMessage:
            return None

    def ask(self, request_id: str, payload: bytes) -> Asked:
        """Publishes and waits for the answer; sends the same request again on silence."""
        with self._lock:
            self._wanted.add(request_id)
        started = time.perf_counter()
        give_up = started + GIVE_UP_SECONDS
        while True:
            self.client.publish(self.request_topic, payload, qos=1)
            retry_at = min(time.perf_counter() + RETRY_SECONDS, give_up)
            with self._lock:
                while request_id not in self._answers:
                    left = retry_at - time.perf_counter()
                    if left <= 0:
                        break
                    self._lock.wait(left)
                found = self._answers.pop(request_id, None)
            if found is not None:
                answer, arrived = found
                return Asked(answer, arrived - started)
            if time.perf_counter() >= give_up:
                with self._lock:
                    self._wanted.discard(request_id)
                raise LinkError(f"no answer to {request_id} within {GIVE_UP_SECONDS} s")


@dataclass(frozen=True, slots=True)
class Sample:
    """The waiting count of every service at one moment of the central's clock."""

    at: dt.datetime
    waiting: dict[str, int]
    # When this client got it (perf_counter): a retained state may be older than the run.
    heard: float = 0.0


class Observer(Subscriber):
    """A lobby display's view: the latest state, its history, and the calls heard.

    `called_at` is when each number was first called on the central's clock (from the
    call event); `heard_at` when this display got it (perf_counter, for latencies).
    """

    def __init__(self, credentials: Credentials, state_topic: str, calls_topic: str) -> None:
        self._state_topic = state_topic
        self._calls_topic = calls_topic
        self._lock = threading.Condition()
        self.state: QueueState | None = None
        self.history: list[Sample] = []
        self.called_at: dict[str, dt.datetime] = {}
        self.heard_at: dict[str, float] = {}
        self.state_heard = 0.0
        self._last_heard = time.monotonic()
        super().__init__(credentials, [state_topic, calls_topic], client_id(credentials.username))

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        arrived = time.perf_counter()
        payload = bytes(message.payload)
        self._last_heard = time.monotonic()
        try:
            if message.topic == self._calls_topic:
                call = decode(payload, CallEvent)
                with self._lock:
                    if call.kind == "called" and call.number not in self.called_at:
                        self.called_at[call.number] = dt.datetime.fromisoformat(call.at)
                        self.heard_at[call.number] = arrived
                    self._lock.notify_all()
                return
            state = decode(payload, QueueState)
        except BadMessage:
            return
        with self._lock:
            if self.state is not None and state.seq <= self.state.seq:
                return
            self.state = state
            self.state_heard = arrived
            waiting = {service.prefix: service.waiting for service in state.services}
            self.history.append(Sample(dt.datetime.fromisoformat(state.at), waiting, arrived))
            self._lock.notify_all()

    def wait_for_state(self, timeout: float, after: float = 0.0) -> QueueState:
        """The latest state, once one came after `after` (perf_counter), up to `timeout` s."""
        with self._lock:
            if not self._lock.wait_for(lambda: self.state_heard > after, timeout):
                raise LinkError(f"no queue state within {timeout} s")
            assert self.state is not None
            return self.state

    def waiting(self, services: Iterable[str]) -> int:
        """How many wait, in all, for these services, as the display shows now."""
        with self._lock:
            if self.state is None:
                return 0
            wanted = set(services)
            return sum(s.waiting for s in self.state.services if s.prefix in wanted)

    def wait_change(self, timeout: float) -> None:
        """Returns at the next state or call heard, or after `timeout` seconds."""
        with self._lock:
            self._lock.wait(timeout)

    def wait_quiet(self, quiet: float, timeout: float) -> None:
        """Returns once nothing was heard for `quiet` seconds (or after `timeout`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            silent = time.monotonic() - self._last_heard
            if silent >= quiet:
                return
            time.sleep(quiet - silent)

    def heard_numbers(self) -> dict[str, float]:
        """Each number called so far and when this display first heard it (perf_counter)."""
        with self._lock:
            return dict(self.heard_at)

    def when_called(self, number: str) -> dt.datetime | None:
        with self._lock:
            return self.called_at.get(number)
