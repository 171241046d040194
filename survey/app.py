"""A survey unit's presses on their way to the central, and its link to Mosquitto.

A press is kept in memory and published again (with the same id: the central records it
once) until Mosquitto acknowledges it, for at most `GIVE_UP_SECONDS`: the central ties a
press to the ticket finished last when it arrives, so a press held back much longer could
land on the next citizen's ticket; it is dropped instead, with a log line. A press not yet
acknowledged when the unit loses power is lost: one opinion, not worth a synced write to
the SD card per press.
"""

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from contract.credentials import Credentials
from contract.device_link import DeviceLink, Health
from contract.messages import SurveyPress, encode
from contract.sd_notify import Watchdog
from contract.site import SurveyUnit

log = logging.getLogger(__name__)

VERSION = "0.1.0"
CHOICES = {4: "sangat puas", 3: "puas", 2: "kurang puas", 1: "tidak puas"}
# A press not acknowledged by then is dropped (see the module's docstring).
GIVE_UP_SECONDS = 30.0
# A press published but not acknowledged is published again after this long.
RETRY_SECONDS = 3.0
# The retained status (with the counts below) is refreshed this often.
STATUS_SECONDS = 60.0


class Sent(Protocol):
    """What paho's publish returns: whether Mosquitto acknowledged it."""

    def is_published(self) -> bool: ...


class Link(Protocol):
    @property
    def connected(self) -> bool: ...
    def send(self, payload: bytes) -> Sent | None: ...
    def publish_status(self, health: Health) -> None: ...


class SurveyLink(DeviceLink):
    """A survey unit's session: it writes its presses and its status, and reads nothing."""

    def __init__(
        self,
        unit_id: str,
        credentials: Credentials,
        *,
        on_connected: Callable[[], None],
        health: Callable[[], Health] = dict,
        noted: Health | None = None,
    ) -> None:
        super().__init__(
            unit_id,
            credentials,
            version=VERSION,
            subscriptions=[],
            on_message=lambda topic, payload: None,
            on_connected=on_connected,
            health=health,
            noted=noted,
        )

    def send(self, payload: bytes) -> Sent | None:
        """Publishes a press at QoS 1; None when it could not be sent now."""
        if not self.connected:
            return None
        info = self.client.publish(self.topics.survey_press(self.device_id), payload, qos=1)
        return info if info.rc == 0 else None


@dataclass(slots=True)
class _Pending:
    payload: bytes
    rating: int
    pressed_at: float
    sent: Sent | None = None
    sent_at: float = 0.0


class _Connected:
    """The link is (re)connected: publish what is not acknowledged yet."""


class SurveyUnitApp:
    """Sends each press until Mosquitto acknowledges it (see the module's docstring)."""

    def __init__(
        self,
        unit: SurveyUnit,
        *,
        clock: Callable[[], float] = time.monotonic,
        give_up_seconds: float = GIVE_UP_SECONDS,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self.unit = unit
        self.link: Link | None = None
        self._clock = clock
        self._give_up = give_up_seconds
        self._retry = retry_seconds
        self._inbox: queue.Queue[int | _Connected] = queue.Queue()
        self._pending: list[_Pending] = []
        self._stopping = threading.Event()
        self.acknowledged = 0
        self.dropped = 0
        self._status_due = clock() + STATUS_SECONDS

    def attach(self, link: Link) -> None:
        self.link = link

    # Any thread.

    def pressed(self, rating: int) -> None:
        self._inbox.put(rating)

    def connected(self) -> None:
        self._inbox.put(_Connected())

    def stop(self) -> None:
        self._stopping.set()

    def health(self) -> Health:
        return {
            "pending": len(self._pending),
            "acknowledged": self.acknowledged,
            "dropped": self.dropped,
        }

    # The loop.

    def run(self, *, watchdog: Watchdog | None = None) -> None:
        while not self._stopping.is_set():
            # Only this loop pings systemd's watchdog: if it hangs, the unit is restarted.
            if watchdog is not None:
                watchdog.ping()
            self.step(timeout=0.05)

    def step(self, timeout: float = 0.0) -> None:
        """Takes what arrived (waiting up to `timeout`), then sends what is due."""
        try:
            item = self._inbox.get(timeout=timeout) if timeout > 0 else self._inbox.get_nowait()
        except queue.Empty:
            item = None
        while item is not None:
            if isinstance(item, _Connected):
                for pending in self._pending:
                    pending.sent = None  # a fresh session: publish it again
            else:
                self._add(item)
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                item = None
        self._send_due()

    def _add(self, rating: int) -> None:
        press = SurveyPress(id=uuid.uuid4().hex, rating=rating)
        log.info("pressed %d (%s): press %s", rating, CHOICES[rating], press.id)
        self._pending.append(_Pending(encode(press), rating, self._clock()))

    def _send_due(self) -> None:
        now = self._clock()
        keep = []
        for pending in self._pending:
            if pending.sent is not None and pending.sent.is_published():
                self.acknowledged += 1
                continue
            if now - pending.pressed_at > self._give_up:
                self.dropped += 1
                log.warning(
                    "dropped a press of %d (%s): not acknowledged within %g s",
                    pending.rating,
                    CHOICES[pending.rating],
                    self._give_up,
                )
                continue
            keep.append(pending)
            if self.link is None or not self.link.connected:
                continue
            if pending.sent is None or now - pending.sent_at >= self._retry:
                pending.sent = self.link.send(pending.payload)
                pending.sent_at = now
        self._pending = keep
        if now >= self._status_due and self.link is not None:
            self._status_due = now + STATUS_SECONDS
            self.link.publish_status(self.health())
