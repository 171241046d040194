"""A stand-in for the region's hub ingest (hub/ on the hub branch), for the site's tests.

It plays the hub's side of `contract.hub_stream` and nothing more: it takes every
`RecordBatch` on `antre-hub/v1/+/records`, keeps each (site, seq) once, and publishes,
retained, `Acked` with the highest sequence it holds with no gap below it. It keeps its
store in memory; tests can make it drop a batch on purpose, as a bridge would.
Once the hub branch is merged, the real `antre-hub` ingest replaces it.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import msgspec
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties

from contract.hub_stream import Acked, HubTopics, Record, RecordBatch
from tests.broker_fixtures import LOCALHOST, WAIT
from tests.hub_broker_fixture import HUB_INGEST, HubBroker


class HubPeer:
    """The hub's protocol on the hub's broker: store once, acknowledge the gapless end."""

    def __init__(self, hub: HubBroker) -> None:
        self.records: dict[tuple[str, int], Record] = {}
        # The first sequence of every batch received, in order (duplicates included).
        self.batch_starts: list[int] = []
        self.acked: dict[str, int] = {}
        self._drop_containing: set[int] = set()
        self.dropped: list[int] = []
        self._changed = threading.Condition()
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=HUB_INGEST,
            protocol=mqtt.MQTTv5,
        )
        self.client.username_pw_set(HUB_INGEST, hub.ingest_password)
        self.client.tls_set(ca_certs=str(hub.ca_file))
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self._subscribed = threading.Event()
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        self.client.connect(LOCALHOST, hub.port, keepalive=10)
        self.client.loop_start()
        if not self._subscribed.wait(WAIT):
            raise TimeoutError("the hub peer could not subscribe")

    def drop_batch_containing(self, seq: int) -> None:
        """The next batch holding `seq` is thrown away unread, as a bridge may lose it."""
        with self._changed:
            self._drop_containing.add(seq)

    def stored(self, site: str) -> list[Record]:
        """The records held of a site, by sequence."""
        with self._changed:
            return [self.records[key] for key in sorted(k for k in self.records if k[0] == site)]

    def wait_acked(self, site: str, up_to: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.acked.get(site, 0) < up_to:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"hub peer: {site} acknowledged up to {self.acked.get(site, 0)}, "
                        f"not {up_to}, after {timeout} s"
                    )
                self._changed.wait(remaining)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if not reason.is_failure:
            client.subscribe(HubTopics.all_records(), qos=1)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        batch = msgspec.json.decode(message.payload, type=RecordBatch)
        seqs = {record.seq for record in batch.records}
        with self._changed:
            self.batch_starts.append(batch.records[0].seq)
            dropped = seqs & self._drop_containing
            if dropped:
                self._drop_containing -= dropped
                self.dropped.append(batch.records[0].seq)
                return
            for record in batch.records:
                self.records.setdefault((batch.site, record.seq), record)
            up_to = self.acked.get(batch.site, 0)
            while (batch.site, up_to + 1) in self.records:
                up_to += 1
            self.acked[batch.site] = up_to
            self._changed.notify_all()
        acked = Acked(site=batch.site, up_to=up_to, at=time.strftime("%Y-%m-%dT%H:%M:%S+00:00"))
        properties = Properties(1)  # type: ignore[no-untyped-call]  # paho
        client.publish(
            HubTopics(batch.site).acked,
            msgspec.json.encode(acked),
            qos=1,
            retain=True,
            properties=properties,
        )
