"""Sends the central's stream to the region's hub, on a thread and a connection of its own.

The records go, in batches of at most `MAX_BATCH`, at QoS 1 to the site's own Mosquitto on
`antre-hub/v1/<site>/records`; the site's bridge carries them to the hub's broker and
brings back the hub's retained `acked`. The sender reads the stream with its own SQLite
connection and publishes with its own MQTT client, so the queue's requests never wait for
it: while the hub is away, records simply wait in the file.

At each connect the sender subscribes to `acked` twice: Mosquitto answers subscriptions in
order, so once the second SUBACK is in, the retained acknowledgement (if the hub ever gave
one) has arrived. Sending starts from it, or from the first record.
"""

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import msgspec
import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.properties import Properties

from broker.hub_link import bodies
from broker.hub_link.bridge import bridge_state_topic
from broker.hub_link.stream import HubStream
from broker.hub_link.window import SendWindow, Span
from contract.clock import system_clock
from contract.credentials import Credentials
from contract.hub_stream import MAX_BATCH, Acked, DeviceStates, HubTopics, RecordBatch
from contract.mqtt_socket import mqtt_client
from contract.site import Site

log = logging.getLogger(__name__)

# Records beyond the hub's acknowledgement in flight at once (five full batches).
WINDOW_RECORDS = 5 * MAX_BATCH
# New records are looked for at least this often (a queue change wakes the sender sooner).
POLL_SECONDS = 1.0


class HubSender:
    """Records settings and device states, and sends every record until the hub has it."""

    def __init__(
        self,
        site: Site,
        credentials: Credentials,
        database: str | Path,
        *,
        resend_seconds: float,
        clock: Callable[[], dt.datetime] = system_clock,
        window_records: int = WINDOW_RECORDS,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.topics = HubTopics(site.site.id)
        self.bridge_topic = bridge_state_topic(site.site.id)
        self.stream = HubStream(database)
        self.window = SendWindow(window_records, resend_seconds)
        self._credentials = credentials
        self._clock = clock
        self._poll_seconds = poll_seconds
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._learning_mid = -1
        # What the central reported last, recorded by the thread when it differs.
        self._site: Site | None = site
        self._devices: dict[str, str] | None = None
        self._recorded_devices: DeviceStates | None = self.stream.last_devices()
        self._warned_ahead = False
        self._thread = threading.Thread(target=self._run, name="hub-sender", daemon=True)
        self.client = self._make_client()

    # -- from the central (any thread: hand over, never block) --------------------------

    def start(self) -> None:
        self.client.connect_async(self._credentials.host, self._credentials.port, keepalive=30)
        self.client.loop_start()
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self.client.disconnect()
        self.client.loop_stop()
        self.stream.close()

    def wake(self, *_: object) -> None:
        """Something new may be in the stream: look now rather than at the next poll."""
        self._wake.set()

    def site_changed(self, site: Site) -> None:
        """A manager edited the site: its settings are recorded if the hub's view changed."""
        with self._lock:
            self._site = site
        self._wake.set()

    def devices_changed(self, devices: Mapping[str, str]) -> None:
        """The state of every device the central knows (device id: `DeviceState`)."""
        with self._lock:
            self._devices = dict(devices)
        self._wake.set()

    # -- the thread -------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._record()
                self._send()
            except Exception:
                # Never down on a fault: the records wait in the file for the next try.
                log.exception("hub link: could not record or send; trying again")
            self._wake.wait(self._poll_seconds)
            self._wake.clear()

    def _now(self) -> str:
        return self._clock().astimezone(dt.UTC).isoformat()

    def _record(self) -> None:
        with self._lock:
            site, self._site = self._site, None
            devices, self._devices = self._devices, None
        if site is not None:
            settings = bodies.site_settings(site, self._now())
            if not bodies.same_but_time(settings, self.stream.last_settings()):
                seq = self.stream.append(settings)
                log.info("hub link: site settings recorded as %d", seq)
        if devices is not None:
            states = bodies.device_states(devices, self._now())
            if not bodies.same_but_time(states, self._recorded_devices):
                self.stream.append(states)
                self._recorded_devices = states

    def _send(self) -> None:
        if not self.client.is_connected():
            return
        last = self.stream.last_seq()
        with self._lock:
            resends = self.window.resends
            span = self.window.due(last, time.monotonic())
            if self.window.resends != resends:
                log.warning(
                    "hub link: no acknowledgement beyond %s for %s s: sending again from there",
                    self.window.acked,
                    self.window.resend_seconds,
                )
        if span is not None and not self._publish(span):
            with self._lock:
                self.window.rewind()

    def _publish(self, span: Span) -> bool:
        records = self.stream.records(span.after, span.up_to)
        if [r.seq for r in records] != list(range(span.after + 1, span.up_to + 1)):
            raise RuntimeError(f"the stream has a gap between {span.after} and {span.up_to}")
        for start in range(0, len(records), MAX_BATCH):
            batch = RecordBatch(site=self.topics.site, records=records[start : start + MAX_BATCH])
            info = self.client.publish(self.topics.records, msgspec.json.encode(batch), qos=1)
            if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                log.warning("hub link: records not handed to Mosquitto (%s)", info.rc)
                return False
        log.debug("hub link: sent records %d to %d", span.after + 1, span.up_to)
        return True

    # -- MQTT (paho's thread: small steps under the lock) -----------------------------

    def _make_client(self) -> mqtt.Client:
        client = mqtt_client(
            self._credentials, f"antre-central-{self.topics.site}-hub", max_reconnect_delay=30
        )
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: Any,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            log.error("hub link: Mosquitto refused the connection: %s", reason_code)
            return
        with self._lock:
            # A new connection: what was in flight on the old one may never have left.
            self.window.rewind()
        client.subscribe([(self.topics.acked, 1), (self.bridge_topic, 1)])
        _, mid = client.subscribe(self.topics.acked, qos=1)
        self._learning_mid = mid if mid is not None else -1

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_codes: Any,
        properties: Properties | None,
    ) -> None:
        if mid == self._learning_mid:
            with self._lock:
                self.window.learned(0, time.monotonic())
            self._wake.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if message.topic == self.bridge_topic:
            up = bytes(message.payload) == b"1"
            log.info("hub link: the bridge to the hub is %s", "up" if up else "down")
            with self._lock:
                self.window.bridge(up, time.monotonic())
            self._wake.set()
            return
        try:
            acked = msgspec.json.decode(message.payload, type=Acked)
        except msgspec.DecodeError as e:
            log.warning("hub link: dropped an unreadable acknowledgement: %s", e)
            return
        if acked.site != self.topics.site:
            log.warning("hub link: dropped an acknowledgement for site %r", acked.site)
            return
        with self._lock:
            self.window.acknowledged(acked.up_to, time.monotonic())
        self._wake.set()
        if not self._warned_ahead and acked.up_to > self.stream.last_seq():
            self._warned_ahead = True
            log.error(
                "hub link: the hub holds records up to %d, beyond this database's %d "
                "(restored from an older backup?): the hub ignores the records numbered again",
                acked.up_to,
                self.stream.last_seq(),
            )
