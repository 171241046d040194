"""The kiosk's MQTT connection: requests out, answers in, status with a last will.

paho's thread only decodes an answer and hands it to `on_answer`; the kiosk's own
loop does the rest. paho reconnects by itself; `on_connected` tells the kiosk so it
can publish again what is still unanswered.
"""

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties

from contract.credentials import Credentials
from contract.messages import Answer, BadMessage, DeviceState, DeviceStatus, decode, encode
from contract.mqtt_socket import send_without_delay
from contract.topics import Topics

log = logging.getLogger(__name__)

Health = dict[str, str | int | float | bool]


class KioskLink:
    """One kiosk's session with Mosquitto."""

    def __init__(
        self,
        kiosk_id: str,
        credentials: Credentials,
        *,
        version: str,
        on_answer: Callable[[Answer], None],
        on_connected: Callable[[], None],
    ) -> None:
        self.kiosk_id = kiosk_id
        self.topics = Topics(credentials.site)
        self._credentials = credentials
        self._version = version
        self._on_answer = on_answer
        self._on_connected = on_connected
        self._connected = threading.Event()
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"antre-{kiosk_id}",
            protocol=mqtt.MQTTv5,
        )
        self.client.username_pw_set(credentials.username, credentials.password)
        status_topic = self.topics.status(kiosk_id)
        self.client.will_set(status_topic, self._status("lost", {}), qos=1, retain=True)
        # Short delays: a kiosk should be back within seconds of the network.
        self.client.reconnect_delay_set(min_delay=1, max_delay=5)
        send_without_delay(self.client)
        self.client.on_connect = self._connect_done
        self.client.on_disconnect = self._disconnected
        self.client.on_message = self._message

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        self.client.connect_async(self._credentials.host, self._credentials.port, keepalive=10)
        self.client.loop_start()

    def stop(self, health: Health) -> None:
        if self.connected:
            info = self.client.publish(
                self.topics.status(self.kiosk_id), self._status("offline", health), 1, True
            )
            info.wait_for_publish(timeout=2)
        self.client.disconnect()
        self.client.loop_stop()

    def send(self, payload: bytes) -> bool:
        """Publishes a request; False when not connected (the outbox keeps it)."""
        if not self.connected:
            return False
        info = self.client.publish(self.topics.kiosk_request(self.kiosk_id), payload, qos=1)
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    def publish_status(self, health: Health) -> None:
        if self.connected:
            self.client.publish(
                self.topics.status(self.kiosk_id), self._status("online", health), 1, True
            )

    def _status(self, state: DeviceState, health: Health) -> bytes:
        return encode(
            DeviceStatus(
                device=self.kiosk_id,
                state=state,
                version=self._version,
                at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                health=health,
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
            log.error("Mosquitto refused %s: %s", self.kiosk_id, reason_code)
            return
        client.subscribe(self.topics.kiosk_answer(self.kiosk_id), qos=1)
        self._connected.set()
        self._on_connected()

    def _disconnected(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: Any,
        properties: Properties | None,
    ) -> None:
        if self._connected.is_set():
            log.warning("%s lost Mosquitto (%s)", self.kiosk_id, reason_code)
        self._connected.clear()

    def _message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            answer = decode(bytes(message.payload), Answer)
        except BadMessage as e:
            log.warning("%s dropped an answer it cannot read: %s", self.kiosk_id, e)
            return
        self._on_answer(answer)
