"""The central service: the queue on Mosquitto.

paho's network thread only hands messages to an in-memory inbox; one worker (the
main thread) takes them one at a time, decides through the queue service, and
publishes the answer, the calls and the retained state. Nothing blocks in a paho
callback, and no two requests are ever decided at once.

MQTT v5 with a persistent session (clean_start false, a session expiry): while
the central is down or restarting, Mosquitto keeps the requests sent to it and
delivers them when it comes back. paho reconnects with backoff by itself; each
connect subscribes again and republishes the retained state.

A restored central (its database from a backup older than the day's last tickets) must
not give a number twice. At start it gives none until it has read what Mosquitto keeps:
the last queue state it published (`numbered_up_to` per service) and the kiosks' statuses
(the numbers they hold in reserve); it numbers on after the highest of today
(`broker.numbering`), and only then takes the requests.
"""

import datetime as dt
import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from broker.bookings.arrival import BookingSweep, CheckInRecorder
from broker.bookings.book import BookingBook
from broker.engine.engine import Decision
from broker.engine.events import EventKind
from broker.engine.tickets import ticket_number
from broker.hub_link.sender import HubSender
from broker.numbering import known_numbers, state_or_none
from broker.queue_service import Clock, QueueService
from broker.requests import Reply, RequestHandler
from broker.store.sqlite_store import StoreError
from broker.survey import SurveyService, SurveyStore, SurveyStoreError
from broker.ticket_links import TicketLinks
from broker.views import call_events, queue_state, recent_calls
from contract import topics as t
from contract.central_presence import HEARTBEAT_SECONDS
from contract.clock import system_clock
from contract.credentials import Credentials
from contract.health import UNPRINTABLE, DeviceState, HealthKey, printer_health
from contract.messages import (
    Answer,
    BadMessage,
    CallEvent,
    DeviceStatus,
    QueueState,
    decode,
    encode,
)
from contract.mqtt_socket import mqtt_client
from contract.sd_notify import Notifier, Watchdog
from contract.site import Site
from contract.topics import Topics

log = logging.getLogger(__name__)

VERSION = "0.1.0"
RECENT_CALLS = 10
# How long Mosquitto keeps the central's session (and the requests queued for it).
SESSION_EXPIRY_SECONDS = 24 * 3600
# Housekeeping (day rollover) runs at least this often, even with no traffic.
TICK_SECONDS = 1.0
# How often bookings that can no longer check in become no-shows.
BOOKING_SWEEP_SECONDS = 30.0
# The setting that keeps the displays' notice line across restarts.
NOTICE = "notice"


@dataclass(frozen=True, slots=True)
class _Inbound:
    topic: str
    payload: bytes
    mid: int
    qos: int


@dataclass(frozen=True, slots=True)
class _Notice:
    """A task for the worker: the displays' notice line changed."""

    text: str


@dataclass(frozen=True, slots=True)
class _SiteEdited:
    """A task for the worker: a manager edited the site live; publish the new names."""

    site: Site


class _Connected:
    """A task for the worker: a connection is made. Requests held back on a lost one are
    let go: Mosquitto delivers them again (a persistent session), with new packet ids."""


class _Learned:
    """A task for the worker: the connection is (re)made and every retained message of
    the first subscription has arrived (see `_on_connect`): publish, serve."""


class _Changed:
    """Wakes the worker: the queue changed (from the web, say); see `Central._changes`."""


_Item = _Inbound | _Connected | _Learned | _Changed | _Notice | _SiteEdited


class Central:
    """Serves one site's queue over MQTT until stopped."""

    def __init__(
        self,
        site: Site,
        service: QueueService,
        credentials: Credentials,
        *,
        clock: Clock = system_clock,
        links: TicketLinks | None = None,
        notifier: Notifier | None = None,
        hub: HubSender | None = None,
        bookings: BookingBook | None = None,
    ) -> None:
        self.site = site
        # Sends the history to the region's hub (a site file's [hub]); None: no hub.
        self.hub = hub
        self.service = service
        self.topics = Topics(site.site.id)
        # The bookings kiosks check in: the same file, through a connection of their own.
        self.bookings = bookings or BookingBook(service.database)
        self.handler = RequestHandler(service, links, self.bookings)
        service.subscribe(CheckInRecorder(self.bookings))
        self._booking_sweep = BookingSweep(self.bookings, service)
        self._next_sweep = 0.0
        # The survey units' presses: the same file, through a connection of their own.
        self.survey = SurveyService(service, SurveyStore(service.database))
        self.notice = service.setting(NOTICE) or ""
        # The latest status of each device (its retained message), for fleet health.
        self.devices: dict[str, DeviceStatus] = {}
        self._clock = clock
        self._credentials = credentials
        self._inbox: queue.Queue[_Item] = queue.Queue()
        self._stopping = threading.Event()
        self._seq = 0
        # systemd: READY=1 once connected and serving, WATCHDOG=1 from the worker loop.
        self._notifier = notifier or Notifier(None)
        self._watchdog = Watchdog(self._notifier)
        self._ready = False
        self._next_beat = 0.0
        self.recent: deque[CallEvent] = deque(
            service.read(lambda engine: recent_calls(engine, RECENT_CALLS)), maxlen=RECENT_CALLS
        )
        self.client = self._make_client()
        # Every change, whoever made it, is published by the worker, in order, and
        # right after the request that made it: not behind the requests still queued,
        # or in a burst the displays would hear a call long after the counter did.
        self._changes: deque[Decision] = deque()
        # Messages handled but not saved yet, hence not acknowledged (see `_take`).
        self._unstored: deque[_Inbound] = deque()
        service.subscribe(self._changed)
        # No number is given until the central has heard what Mosquitto and the devices
        # know of today's numbers (a restore from an older backup must not give one
        # twice): requests that come before are kept, in order, until then.
        service.hold_numbering()
        self._numbers_learned = False
        self._held_back: deque[_Inbound] = deque()
        self._retained_state: QueueState | None = None
        self._learning_mid = -1

    # -- MQTT plumbing (runs on paho's thread: hand over, never block) ---------------

    def _make_client(self) -> mqtt.Client:
        client = mqtt_client(
            self._credentials,
            f"antre-central-{self.site.site.id}",
            max_reconnect_delay=30,
            # A request is acknowledged to Mosquitto only once it is handled and saved:
            # if the central dies first, Mosquitto delivers it again.
            manual_ack=True,
        )
        client.will_set(
            self.topics.status(t.CENTRAL_ID), self._status(DeviceState.LOST), qos=1, retain=True
        )
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
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
            log.error("Mosquitto refused the central: %s", reason_code)
            return
        log.info("connected to Mosquitto (session present: %s)", flags.session_present)
        self._inbox.put(_Connected())
        # What Mosquitto keeps first (the devices' statuses, the last queue state), then
        # the requests: Mosquitto answers subscriptions in order, so the second SUBACK
        # comes after every retained message of the first, and `_Learned` behind them.
        client.subscribe([(self.topics.all_status, 1), (self.topics.state, 1)])
        _, mid = client.subscribe(
            [
                (self.topics.all_kiosk_requests, 1),
                (self.topics.all_counter_commands, 1),
                (self.topics.all_survey_presses, 1),
            ]
        )
        if mid is None:  # not sent after all: serve on what the file knows
            self._inbox.put(_Learned())
        else:
            self._learning_mid = mid

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_codes: Any,
        properties: Properties | None,
    ) -> None:
        if mid == self._learning_mid:
            self._inbox.put(_Learned())

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        host, port = self._credentials.host, self._credentials.port
        log.warning("cannot reach Mosquitto at %s:%s: trying again", host, port)

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: Any,
        properties: Properties | None,
    ) -> None:
        if not self._stopping.is_set():
            log.warning("lost Mosquitto (%s): reconnecting", reason_code)
            self._notifier.status(f"lost Mosquitto ({reason_code}): reconnecting")

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._inbox.put(_Inbound(message.topic, bytes(message.payload), message.mid, message.qos))

    # -- the worker ---------------------------------------------------------------------

    def start(self) -> None:
        """Connects (in the background: paho retries until Mosquitto answers)."""
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho
        properties.SessionExpiryInterval = SESSION_EXPIRY_SECONDS
        self.client.connect_async(
            self._credentials.host,
            self._credentials.port,
            keepalive=15,
            clean_start=False,
            properties=properties,
        )
        self.client.loop_start()

    def stop(self) -> None:
        self._stopping.set()

    def serve(self) -> None:
        """Works through the inbox until `stop`; then says goodbye and disconnects."""
        self.start()
        if self.hub is not None:
            self.service.subscribe(self.hub.wake)
            self.hub.start()
        try:
            while not self._stopping.is_set():
                # Only this loop pings and beats: if it hangs, systemd restarts the central,
                # and the devices know it is away meanwhile.
                self._watchdog.ping()
                self._beat()
                try:
                    item = self._inbox.get(timeout=TICK_SECONDS)
                except queue.Empty:
                    self._housekeeping()
                    continue
                self._work(item)
        finally:
            self._notifier.stopping()
            self._say_goodbye()
            if self.hub is not None:
                self.hub.stop()
            self.survey.store.close()
            self.bookings.close()

    def set_notice(self, text: str) -> None:
        """From any thread (the web console): the displays show `text` from now on."""
        self._inbox.put(_Notice(text))

    def replace_site(self, site: Site) -> None:
        """From any thread (the web console): the site was edited live.

        The queue service already runs on `site`; the worker takes it for the calls it
        announces and republishes the state, with the new names.
        """
        self._inbox.put(_SiteEdited(site))

    def _work(self, item: _Item) -> None:
        try:
            if isinstance(item, _Connected):
                self._held_back.clear()
                return
            if isinstance(item, _Learned):
                self._learned()
                return
            if isinstance(item, _SiteEdited):
                self.site = item.site
                self.handler.site = item.site
                if self.hub is not None:
                    self.hub.site_changed(item.site)
                self._publish_state()
                return
            if isinstance(item, _Notice):
                self.service.set_setting(NOTICE, item.text)
                self.notice = item.text
                self._publish_state()
                return
            if isinstance(item, _Inbound):
                if item.topic == self.topics.state:
                    self._retained(item)
                elif self._numbers_learned or self._is_status(item):
                    self._take(item)
                else:
                    self._held_back.append(item)
        except Exception:
            # A message must never take the central down: log it whole and go on. It is
            # acknowledged: delivered again, it would only fail again.
            log.exception("could not handle a message on %s", getattr(item, "topic", "?"))
            if isinstance(item, _Inbound):
                self.client.ack(item.mid, item.qos)
        self._publish_changes()

    def _retained(self, message: _Inbound) -> None:
        """The queue state Mosquitto kept (our own): read until the numbers are learned;
        after that only a reconnect's copy of what we published, and nothing to do."""
        if not self._numbers_learned:
            self._retained_state = state_or_none(message.payload)
        self.client.ack(message.mid, message.qos)

    def _is_status(self, message: _Inbound) -> bool:
        """A device's status: taken while the requests are held back."""
        parsed = self.topics.parse(message.topic)
        return parsed is not None and parsed[0] == t.STATUS

    def _learned(self) -> None:
        """Subscribed, with what Mosquitto keeps: number on after the highest number of
        today it knows of, publish, and take the requests held back, in order."""
        self.client.unsubscribe(self.topics.state)  # our own state, from now on
        if not self._numbers_learned:
            self._numbers_learned = True
            day, last = self.service.read(
                lambda engine: (
                    engine.day,
                    {p: engine.last_number(p) for p in engine.site.services_by_prefix},
                )
            )
            highest = known_numbers(day, last, self._retained_state, self.devices.values())
            for prefix, seq in sorted(self.service.resume_numbering(highest).items()):
                log.warning(
                    "numbering %s goes on after %s: numbers up to it were given before "
                    "this database was saved (a restore?)",
                    prefix,
                    ticket_number(prefix, seq),
                )
            self._retained_state = None
        self._publish_status(DeviceState.ONLINE)
        self._publish_state()
        self._serving()
        held, self._held_back = self._held_back, deque()
        for message in held:
            self._take(message)
        self._publish_changes()

    def _take(self, message: _Inbound) -> None:
        """Handles a message; acknowledges it to Mosquitto once answered or stored.

        A survey press gets no answer: if it cannot be saved (a full disk), it is kept
        unacknowledged, so Mosquitto still holds it if the central dies, and saved by the
        housekeeping as soon as it can be.
        """
        try:
            self._handle(message)
        except SurveyStoreError as e:
            if not self._unstored:
                log.error("could not save a survey press (%s): trying again until it can", e)
            self._unstored.append(message)
            return
        self.client.ack(message.mid, message.qos)

    def _save_unstored(self) -> None:
        waiting, self._unstored = self._unstored, deque()
        for message in waiting:
            self._take(message)
        if waiting and not self._unstored:
            log.info("saved the %d survey presses kept while the disk was full", len(waiting))

    def _changed(self, decision: Decision) -> None:
        """From any thread: remember the change and make sure the worker wakes."""
        self._changes.append(decision)
        self._inbox.put(_Changed())

    def _publish_changes(self) -> None:
        while self._changes:
            try:
                self._publish_change(self._changes.popleft())
            except Exception:
                log.exception("could not publish a change")

    def _serving(self) -> None:
        """Connected and the state published: tell systemd (READY=1 the first time)."""
        status = f"serving site {self.site.site.id} on Mosquitto"
        if self._ready:
            self._notifier.status(status)
        else:
            self._ready = True
            self._notifier.ready(status)

    def _handle(self, message: _Inbound) -> None:
        parsed = self.topics.parse(message.topic)
        if parsed is None:
            log.warning("dropped a message on unexpected topic %s", message.topic)
            return
        kind, device, leaf = parsed
        if kind == t.KIOSK and leaf == t.REQUEST:
            reply = self.handler.kiosk(device, message.payload)
            answer_topic = self.topics.kiosk_answer(device)
        elif kind == t.COUNTER and leaf == t.COMMAND:
            reply = self.handler.counter(device, message.payload)
            answer_topic = self.topics.counter_answer(device)
        elif kind == t.STATUS:
            self._device_status(device, message.payload)
            return
        elif kind == t.SURVEY and leaf == t.PRESS:
            # Nothing to answer: the unit thanks the citizen by itself.
            self.survey.press(device, message.payload)
            return
        else:
            log.warning("dropped a message on unexpected topic %s", message.topic)
            return
        if reply.answer is not None:
            sender = device if kind == t.KIOSK else f"counter-{device}"
            _log_answer(sender, reply.answer)
        self._publish_reply(reply, answer_topic)

    def _device_status(self, device: str, payload: bytes) -> None:
        if device == t.CENTRAL_ID:
            return
        try:
            status = decode(payload, DeviceStatus)
        except BadMessage as e:
            log.warning("dropped a status of %s: %s", device, e)
            return
        before = self.devices.get(device)
        self.devices[device] = status
        if self.hub is not None and (before is None or before.state != status.state):
            self.hub.devices_changed({d: s.state.value for d, s in self.devices.items()})
        printer = printer_health(status.health.get(HealthKey.PRINTER))
        lost = DeviceState.LOST
        if status.state is lost and (before is None or before.state is not lost):
            log.error("ALERT %s is lost: it stopped without saying goodbye", device)
        elif printer in UNPRINTABLE and (
            before is None or printer_health(before.health.get(HealthKey.PRINTER)) != printer
        ):
            log.error("ALERT %s printer: %s", device, printer)
        elif before is None or before.state != status.state:
            log.info("%s is %s", device, status.state)

    def _publish_reply(self, reply: Reply, answer_topic: str) -> None:
        if reply.answer is not None:
            self.client.publish(answer_topic, encode(reply.answer), qos=1)

    def _publish_change(self, decision: Decision) -> None:
        """Each call for the displays to announce, then the new state.

        Calls first: a waiting citizen is looking for their number, and the state (every
        service and counter) is the larger message, slower to build and to fan out. A
        display takes a call before the state that lists it (see display/board.py)."""
        if any(event.kind is EventKind.DAY_STARTED for event in decision.events):
            log.info("a new day: %s", self.service.engine.day)
            self.recent.clear()
        calls = call_events(self.site, decision.events)
        for call in calls:
            self.recent.appendleft(call)
        for call in calls:
            self.client.publish(self.topics.calls, encode(call), qos=1)
        self._publish_state()

    def _housekeeping(self) -> None:
        self._save_unstored()
        # A new day is published like any change (the listener hands it back to us).
        self.service.run(lambda engine, now: engine.roll_over(now, actor="central"))
        self._sweep_bookings()

    def _sweep_bookings(self) -> None:
        """No-shows expire, and check-ins a crash left unmarked are marked, every
        `BOOKING_SWEEP_SECONDS` (see `broker.bookings.arrival.BookingSweep`)."""
        if time.monotonic() < self._next_sweep:
            return
        self._next_sweep = time.monotonic() + BOOKING_SWEEP_SECONDS
        try:
            for booking in self._booking_sweep.sweep(self._clock()):
                log.info("booking %s: %s", booking.code, booking.state.value)
        except StoreError as e:
            log.warning("bookings not swept: %s", e)

    def _publish_state(self) -> None:
        # Rises across restarts too: displays ignore a state older than what they hold.
        self._seq = max(self._seq + 1, time.time_ns() // 1000)
        state = self.service.read(
            lambda engine: queue_state(
                engine, self._seq, self._clock(), list(self.recent), self.notice
            )
        )
        self.client.publish(self.topics.state, encode(state), qos=1, retain=True)

    def _beat(self) -> None:
        """The heartbeat the devices watch (`contract.central_presence`), from this loop."""
        if time.monotonic() >= self._next_beat and self.client.is_connected():
            self._publish_status(DeviceState.ONLINE)

    def _publish_status(self, state: DeviceState) -> None:
        self._next_beat = time.monotonic() + HEARTBEAT_SECONDS
        self.client.publish(
            self.topics.status(t.CENTRAL_ID), self._status(state), qos=1, retain=True
        )

    def _status(self, state: DeviceState) -> bytes:
        return encode(
            DeviceStatus(
                device=t.CENTRAL_ID,
                state=state,
                version=VERSION,
                # To the millisecond: a kiosk reads the central's clock from it.
                at=self._clock().astimezone(dt.UTC).isoformat(timespec="milliseconds"),
            )
        )

    def _say_goodbye(self) -> None:
        if self.client.is_connected():
            self.client.publish(
                self.topics.status(t.CENTRAL_ID),
                self._status(DeviceState.OFFLINE),
                qos=1,
                retain=True,
            ).wait_for_publish(timeout=2)
            self.client.disconnect()
        self.client.loop_stop()


def _log_answer(sender: str, answer: Answer) -> None:
    """One log line per answered request: who asked, the ticket, or the refusal's reason."""
    if not answer.ok:
        log.info("%s request %s: refused, %s", sender, answer.id, answer.reason)
        return
    numbers = [answer.ticket.number] if answer.ticket else [r.number for r in answer.reserved]
    log.info("%s request %s: ok, ticket %s", sender, answer.id, ", ".join(numbers) or "-")
