"""A device's MQTT session: its subscriptions, a retained status and a last will.

Kiosks and displays both use it. paho's thread only hands each message to
`on_message`; the device's own loop does the work. paho reconnects by itself, and
every (re)connect subscribes again and calls `on_connected`.
"""

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties

from contract.credentials import Credentials
from contract.health import DeviceState
from contract.messages import DeviceStatus, encode
from contract.mqtt_socket import mqtt_client
from contract.topics import Topics

log = logging.getLogger(__name__)

Health = dict[str, str | int | float | bool]


class DeviceLink:
    """One device's connection to the site's Mosquitto."""

    def __init__(
        self,
        device_id: str,
        credentials: Credentials,
        *,
        version: str,
        subscriptions: list[str],
        on_message: Callable[[str, bytes], None],
        on_connected: Callable[[], None] = lambda: None,
        health: Callable[[], Health] | None = None,
        noted: Health | None = None,
    ) -> None:
        self.device_id = device_id
        # Figures every status of this device carries, whatever it reports: its last
        # self-test's result (`contract.self_test`).
        self.noted = dict(noted or {})
        self.topics = Topics(credentials.site)
        self._credentials = credentials
        self._version = version
        self._subscriptions = subscriptions
        self._on_message = on_message
        self._on_connected = on_connected
        self._health = health
        self._connected = threading.Event()
        self._stopping = False
        # Short delays: a device should be back within seconds of the network.
        self.client = mqtt_client(credentials, f"antre-{device_id}", max_reconnect_delay=5)
        self.client.will_set(
            self._status_topic, self._status(DeviceState.LOST, {}), qos=1, retain=True
        )
        self.client.on_connect = self._connect_done
        self.client.on_disconnect = self._disconnected
        self.client.on_message = self._message

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def _status_topic(self) -> str:
        return self.topics.status(self.device_id)

    def start(self) -> None:
        self.client.connect_async(self._credentials.host, self._credentials.port, keepalive=10)
        self.client.loop_start()

    def stop(self, health: Health) -> None:
        """Says `offline` (a clean stop, not `lost`) and disconnects."""
        self._stopping = True
        if self.connected:
            info = self.client.publish(
                self._status_topic, self._status(DeviceState.OFFLINE, health), 1, True
            )
            info.wait_for_publish(timeout=2)
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic: str, payload: bytes) -> bool:
        """QoS 1; False when not connected (the caller keeps what must not be lost)."""
        if not self.connected:
            return False
        return self.client.publish(topic, payload, qos=1).rc == mqtt.MQTT_ERR_SUCCESS

    def publish_status(self, health: Health) -> None:
        self.publish_retained(self._status_topic, self._status(DeviceState.ONLINE, health))

    def publish_retained(self, topic: str, payload: bytes) -> None:
        if self.connected:
            self.client.publish(topic, payload, qos=1, retain=True)

    def _status(self, state: DeviceState, health: Health) -> bytes:
        return encode(
            DeviceStatus(
                device=self.device_id,
                state=state,
                version=self._version,
                at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                health={**self.noted, **health},
            )
        )

    # paho's thread: record and hand over, never block.

    def _connect_done(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: Any,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            log.error("Mosquitto refused %s: %s", self.device_id, reason_code)
            return
        if self._subscriptions:  # a survey unit reads nothing
            client.subscribe([(topic, 1) for topic in self._subscriptions])
        self._connected.set()
        # Every (re)connect says `online`, replacing a `lost` Mosquitto may have sent
        # (a device that gives no `health` says it itself, e.g. the kiosk's own loop).
        if self._health is not None:
            self.publish_status(self._health())
        self._on_connected()

    def _disconnected(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: Any,
        properties: Properties | None,
    ) -> None:
        if self._connected.is_set() and not self._stopping:
            log.warning("%s lost Mosquitto (%s)", self.device_id, reason_code)
        self._connected.clear()

    def _message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._on_message(message.topic, bytes(message.payload))
