"""Ingest: MQTT record batches in, one PostgreSQL transaction each, then the ack.

paho's network thread only hands each message to a queue; one worker decodes it, stores
it and only then acknowledges it to Mosquitto (manual ack) and publishes the site's
retained `Acked`. Nothing is held but PostgreSQL: several hub processes share the
records through the shared subscription and stay correct together. A malformed batch
is logged once and dropped; while PostgreSQL is unreachable the worker retries with
backoff and acknowledges nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

import msgspec
import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from contract.credentials import Credentials
from contract.hub_stream import ACKED, HUB_ROOT, RECORDS, Acked, HubTopics, RecordBatch
from contract.logs import escape_controls
from contract.mqtt_socket import mqtt_client
from contract.sd_notify import Notifier, Watchdog
from hub.rules import RecordRefused
from hub.store.batches import BatchWriter
from hub.store.connect import Connection, connect

log = logging.getLogger("antre.hub.ingest")

FIRST_BACKOFF_S = 0.2
# The longest the idle worker waits before pinging the watchdog again.
WATCHDOG_TURN_S = 1.0
MAX_BACKOFF_S = 5.0
# Logged once subscribed: from then on this process takes its share of the records.
SUBSCRIBED_LINE = "subscribed: ingesting every site's records"
# The most it waits between tries to reach the hub's Mosquitto (from 1 s, doubling).
MAX_RECONNECT_SECONDS = 30
# How much of a refused payload a log line shows.
LOG_EXCERPT = 200


class BatchRefusedError(ValueError):
    """A message that is not a batch this hub can store (malformed, or the wrong site)."""


def site_of_topic(topic: str) -> str:
    """The site a records topic names, or BatchRefusedError."""
    parts = topic.split("/")
    root = HUB_ROOT.split("/")
    if len(parts) != len(root) + 2 or parts[: len(root)] != root or parts[-1] != RECORDS:
        raise BatchRefusedError(f"not a records topic: {topic!r}")
    return parts[len(root)]


def decode_batch(topic: str, payload: bytes | bytearray) -> RecordBatch:
    """The batch in a message, checked against its topic's site."""
    site = site_of_topic(topic)
    try:
        batch = msgspec.json.decode(payload, type=RecordBatch)
    except msgspec.DecodeError as e:
        raise BatchRefusedError(f"malformed batch: {e}") from e
    if b"\\u0000" in payload:
        raise BatchRefusedError("a text holds a NUL character, which PostgreSQL cannot store")
    if batch.site != site:
        raise BatchRefusedError(f"batch of site {batch.site!r} on the topic of {site!r}")
    return batch


class Ingest:
    """One hub process's ingest: an MQTT client and the worker that stores batches."""

    def __init__(
        self,
        credentials: Credentials,
        database_url: str,
        *,
        client_id: str,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        notifier: Notifier | None = None,
    ) -> None:
        self.credentials = credentials
        self.database_url = database_url
        self.now = now
        self.writer = BatchWriter()
        # systemd: ready once subscribed; the worker's loop pings the watchdog, so a
        # hung worker is restarted (a PostgreSQL outage is waited out, pinging).
        self.notifier = notifier or Notifier(None)
        self.watchdog = Watchdog(self.notifier)
        self._messages: queue.Queue[mqtt.MQTTMessage | None] = queue.Queue()
        self._connection: Connection | None = None
        self._stopping = threading.Event()
        self._unreachable_said = False
        self._worker = threading.Thread(target=self._work, name="hub-ingest", daemon=True)
        # Reconnects by itself, waiting up to MAX_RECONNECT_SECONDS between tries.
        self.client = mqtt_client(
            credentials, client_id, max_reconnect_delay=MAX_RECONNECT_SECONDS, manual_ack=True
        )
        self.client.on_connect = self._on_connect
        self.client.on_connect_fail = self._on_connect_fail
        self.client.on_message = self._on_message
        self.subscribed = threading.Event()
        self.client.on_subscribe = self._on_subscribe

    # -- lifetime ------------------------------------------------------------------------

    def start(self) -> None:
        """Starts the worker and connects to Mosquitto; PostgreSQL is connected (and
        migrated) by the worker, which waits for it if it is not up yet."""
        self._worker.start()
        # Asynchronously: a hub started before its Mosquitto waits for it, trying again.
        self.client.connect_async(self.credentials.host, self.credentials.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        self._stopping.set()
        self._messages.put(None)
        self.client.disconnect()
        self.client.loop_stop()
        if self._worker.is_alive():
            self._worker.join(timeout=10)
        if self._connection is not None:
            self._connection.close()

    def request_stop(self) -> None:
        """Makes `wait` return (safe in a signal handler)."""
        self._stopping.set()

    def wait(self) -> None:
        """Blocks until `stop` is called (from a signal handler)."""
        self._stopping.wait()

    # -- paho's thread: hand over and return ------------------------------------------------

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            log.error("Mosquitto refused the hub's login: %s", reason_code)
            return
        self._unreachable_said = False
        client.subscribe(HubTopics.shared_records(), qos=1)

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        if not self._unreachable_said:  # once per outage, not at every try
            self._unreachable_said = True
            log.warning(
                "the hub's Mosquitto at %s:%s is unreachable: trying again",
                self.credentials.host,
                self.credentials.port,
            )

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        if any(code.is_failure for code in reason_codes):
            log.error("Mosquitto refused the subscription: %s", reason_codes)
            return
        log.info("%s", SUBSCRIBED_LINE)
        self.notifier.ready("ingesting")
        self.subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._messages.put(message)

    # -- the worker --------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            self.watchdog.ping()
            try:
                message = self._messages.get(timeout=WATCHDOG_TURN_S)
            except queue.Empty:
                continue
            if message is None:
                return
            try:
                self._handle(message)
            except Exception:
                # Never die on a message: the site resends what the ack does not cover.
                log.exception("could not handle a message on %s", escape_controls(message.topic))
                self.client.ack(message.mid, message.qos)

    def _handle(self, message: mqtt.MQTTMessage) -> None:
        try:
            batch = decode_batch(message.topic, message.payload)
        except BatchRefusedError as e:
            self._refuse(message, str(e))
            return
        try:
            acked = self._store(batch)
        except (RecordRefused, psycopg.DataError) as e:
            # A value PostgreSQL cannot hold (a NUL in a text, a number out of range).
            self._refuse(message, str(e))
            return
        if acked is None:
            return  # stopping: unacknowledged, so Mosquitto or the site sends it again
        self.client.ack(message.mid, message.qos)
        ack = Acked(site=batch.site, up_to=acked, at=self.now().isoformat(timespec="seconds"))
        self.client.publish(
            f"{HUB_ROOT}/{batch.site}/{ACKED}", msgspec.json.encode(ack), qos=1, retain=True
        )

    def _refuse(self, message: mqtt.MQTTMessage, reason: str) -> None:
        excerpt = message.payload[:LOG_EXCERPT].decode("utf-8", errors="replace")
        log.warning(
            "refused a batch on %s: %s; payload starts %s",
            escape_controls(message.topic),
            escape_controls(reason),
            escape_controls(excerpt),
        )
        # Acknowledged: Mosquitto would otherwise hand the same bad message out again.
        self.client.ack(message.mid, message.qos)

    def _store(self, batch: RecordBatch) -> int | None:
        """Stores the batch, waiting out PostgreSQL outages; None if stopping first."""
        backoff = FIRST_BACKOFF_S
        outage_logged = False
        while not self._stopping.is_set():
            self.watchdog.ping()
            try:
                if self._connection is None or self._connection.closed:
                    self._connection = self._reconnect_database()
                acked = self.writer.store(self._connection, batch, self.now())
            except (psycopg.OperationalError, psycopg.InterfaceError) as e:
                if not outage_logged:
                    log.error("PostgreSQL unreachable, retrying: %s", escape_controls(str(e)))
                    outage_logged = True
                if self._connection is not None:
                    self._connection.close()
                self._connection = None
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            if outage_logged:
                log.warning("PostgreSQL reachable again")
            return acked
        return None

    def _reconnect_database(self) -> Connection:
        return connect(self.database_url)
