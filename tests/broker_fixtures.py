"""Pytest plugin: a provisioned site, a real Mosquitto on a free port, and MQTT clients.

    def test_something(mosquitto: Mosquitto, mqtt_clients: MqttClients) -> None:
        kiosk = mqtt_clients(mosquitto.provisioned, "kiosk-1")
        assert kiosk.publish_and_wait(topic, b"{}").is_failure is False

Every broker and client a test starts is stopped at its end, whatever happens.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

# Re-exported: tests import them from here.
from broker.mosquitto_runner import LOCALHOST as LOCALHOST
from broker.mosquitto_runner import START_TIMEOUT as START_TIMEOUT
from broker.mosquitto_runner import MosquittoRunner
from broker.mosquitto_runner import free_port as free_port
from broker.mosquitto_runner import mosquitto_binary as mosquitto_binary
from broker.provision import provision
from contract.credentials import Credentials
from contract.site import Site
from contract.site_loader import load_site
from contract.topics import Topics

EXAMPLE_SITE = Path(__file__).resolve().parent.parent / "examples" / "samarinda" / "site.toml"
# Bounded waits: generous for a loaded CI machine, never reached when things work.
WAIT = 5.0


# --- the broker -----------------------------------------------------------------------------


class Mosquitto(MosquittoRunner):
    """`MosquittoRunner`, remembered so `_no_broker_left_behind` can kill it after the test."""

    def __init__(self, conf: Path, port: int, folder: Path | None = None) -> None:
        super().__init__(conf, port, folder, host=LOCALHOST)
        _started.append(self)


# Every broker made during a test; `_no_broker_left_behind` kills those still running.
_started: list[Mosquitto] = []


@pytest.fixture(autouse=True)
def _no_broker_left_behind() -> Iterator[None]:
    """A safety net for brokers a test started by hand and did not stop."""
    yield
    while _started:
        _started.pop().kill()


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Polls `condition()` until true; fails the test naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


# --- a provisioned site ---------------------------------------------------------------------


@dataclass(frozen=True)
class Provisioned:
    """The example site provisioned into a folder, for a broker on `port`."""

    site: Site
    directory: Path
    port: int
    credentials: dict[str, Credentials]
    host: str = LOCALHOST

    @property
    def conf(self) -> Path:
        return self.directory / "mosquitto" / "antre.conf"

    @property
    def topics(self) -> Topics:
        return Topics(self.site.site.id)

    def again(self, site: Site) -> Provisioned:
        """Provisions `site` into the same folder and port (passwords are kept)."""
        report = provision(site, self.directory, port=self.port, bind_address=self.host)
        return Provisioned(site, self.directory, self.port, report.credentials, self.host)


@pytest.fixture
def provisioned(tmp_path: Path) -> Provisioned:
    site = load_site(EXAMPLE_SITE)
    port = free_port()
    report = provision(site, tmp_path / "central", port=port, bind_address=LOCALHOST)
    return Provisioned(site, report.directory, port, report.credentials)


@pytest.fixture
def mosquitto(provisioned: Provisioned) -> Iterator[Mosquitto]:
    broker = Mosquitto(provisioned.conf, provisioned.port, provisioned.directory)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


# --- MQTT clients ---------------------------------------------------------------------------


class ConnectRefused(Exception):
    """The broker refused the connection; `reason` is its CONNACK reason code."""

    def __init__(self, username: str | None, reason: ReasonCode) -> None:
        self.username = username
        self.reason = reason
        super().__init__(f"connection of {username or 'an anonymous client'} refused: {reason}")


class BrokerClient(mqtt.Client):
    """A paho client (MQTT v5) that records acknowledgements and messages for tests.

    Callbacks only record and signal; tests wait on them with bounded timeouts.
    """

    def __init__(self, client_id: str) -> None:
        super().__init__(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
        )
        self.connack = threading.Event()
        self.connect_reason: ReasonCode | None = None
        self.publish_reasons: dict[int, ReasonCode] = {}
        self.subscribe_reasons: dict[int, list[ReasonCode]] = {}
        self._subscribed = threading.Condition()
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.on_connect = self._record_connect
        self.on_publish = self._record_publish
        self.on_subscribe = self._record_subscribe
        self.on_message = self._record_message

    # Callbacks (paho's network thread): record, signal, return.

    def _record_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self.connect_reason = reason_code
        if reason_code.is_failure:
            # Do not let paho retry a refused login in the background.
            self.disconnect()
        self.connack.set()

    def _record_publish(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_code: ReasonCode,
        properties: Properties,
    ) -> None:
        self.publish_reasons[mid] = reason_code

    def _record_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties,
    ) -> None:
        with self._subscribed:
            self.subscribe_reasons[mid] = reason_codes
            self._subscribed.notify_all()

    def _record_message(
        self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage
    ) -> None:
        self.messages.put(message)

    # What tests call.

    def publish_and_wait(
        self,
        topic: str,
        payload: bytes | str = b"{}",
        *,
        qos: int = 1,
        retain: bool = False,
        timeout: float = WAIT,
    ) -> ReasonCode:
        """Publishes at QoS 1 and returns the PUBACK's reason code."""
        info = self.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise RuntimeError(f"publish on {topic} not sent: {mqtt.error_string(info.rc)}")
        info.wait_for_publish(timeout)
        if not info.is_published():
            raise TimeoutError(f"no PUBACK for {topic} within {timeout} s")
        return self.publish_reasons.pop(info.mid)

    def subscribe_and_wait(
        self, topic: str, *, qos: int = 1, timeout: float = WAIT
    ) -> list[ReasonCode]:
        """Subscribes and returns the SUBACK's reason codes (granted QoS or a failure)."""
        result, mid = self.subscribe(topic, qos=qos)
        if result != MQTTErrorCode.MQTT_ERR_SUCCESS or mid is None:
            raise RuntimeError(f"subscribe to {topic} not sent: {mqtt.error_string(result)}")
        with self._subscribed:
            if not self._subscribed.wait_for(lambda: mid in self.subscribe_reasons, timeout):
                raise TimeoutError(f"no SUBACK for {topic} within {timeout} s")
            return self.subscribe_reasons.pop(mid)

    def next_message(self, timeout: float = WAIT) -> mqtt.MQTTMessage:
        """The next message received; fails after `timeout`."""
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no message within {timeout} s") from None

    def received_so_far(self) -> list[mqtt.MQTTMessage]:
        """Every message received and not yet taken, without waiting."""
        taken = []
        with contextlib.suppress(queue.Empty):
            while True:
                taken.append(self.messages.get_nowait())
        return taken

    def close(self) -> None:
        """Disconnects and stops the network thread (idempotent, even if the broker is gone)."""
        # Also when not connected: it marks the client disconnecting, so a network thread
        # waiting to reconnect to a stopped broker ends at once.
        self.disconnect()
        self.loop_stop()


_client_numbers = itertools.count(1)


def connect(
    target: Provisioned | Credentials,
    username: str | None = None,
    client_id: str | None = None,
    *,
    password: str | None = None,
    anonymous: bool = False,
    clean_start: bool = True,
    will: tuple[str, bytes] | None = None,
    timeout: float = WAIT,
) -> BrokerClient:
    """Connects with MQTT v5 and waits for the CONNACK; raises `ConnectRefused` on refusal.

    `target` gives the broker address and the passwords: a `Provisioned` site (pick the user
    by `username`) or one `Credentials`. `password` overrides the known one (a wrong password,
    an unknown user); `anonymous` sends no username at all. `will`: (topic, payload), QoS 1,
    retained. The caller closes the client (the `mqtt_clients` fixture does).
    """
    if isinstance(target, Credentials):
        known: Credentials | None = target
        host, port = target.host, target.port
        username = username or target.username
    else:
        known = target.credentials.get(username) if username else None
        host, port = target.host, target.port
    if anonymous:
        username = None
    elif password is None:
        if known is None or known.username != username:
            raise ValueError(f"no credentials for {username!r}: give a password")
        password = known.password
    client = BrokerClient(client_id or f"test-{username or 'anonymous'}-{next(_client_numbers)}")
    if username is not None:
        client.username_pw_set(username, password)
    if will is not None:
        client.will_set(will[0], will[1], qos=1, retain=True)
    if known is not None and known.tls_ca is not None:
        client.tls_set(ca_certs=known.tls_ca)
    try:
        client.connect(host, port, keepalive=30, clean_start=clean_start)
        client.loop_start()
        if not client.connack.wait(timeout):
            raise TimeoutError(f"no CONNACK from {host}:{port} within {timeout} s")
    except BaseException:
        client.close()
        raise
    reason = client.connect_reason
    assert reason is not None
    if reason.is_failure:
        client.close()
        raise ConnectRefused(username, reason)
    return client


class MqttClients:
    """Connects clients like `connect` and closes every one of them at teardown."""

    def __init__(self) -> None:
        self._clients: list[BrokerClient] = []

    def __call__(
        self,
        target: Provisioned | Credentials,
        username: str | None = None,
        client_id: str | None = None,
        **options: Any,
    ) -> BrokerClient:
        client = connect(target, username, client_id, **options)
        self._clients.append(client)
        return client

    def close_all(self) -> None:
        while self._clients:
            self._clients.pop().close()


@pytest.fixture
def mqtt_clients() -> Iterator[MqttClients]:
    clients = MqttClients()
    try:
        yield clients
    finally:
        clients.close_all()
