"""The kiosk: a press becomes a printed ticket, whatever the network does.

One loop takes presses, answers and ticks from a queue, one at a time. A press is
written to the outbox before it is published; if the central has not answered
within `answer_timeout` (about a second) the citizen is not kept waiting: the
kiosk prints one of its reserved numbers instead and hands it in later. A ticket
the central issued that could not be printed is cancelled there, so no number is
left issued for a ticket nobody holds.

Whether the central is there is not whether Mosquitto is: the kiosk watches the
central's heartbeat and its answers (`contract.central_presence`). While the central is
away a press prints a reserved number at once and asks for nothing; the moment it is
back, every stored request is handed in again and the reserve is topped up.
"""

import datetime as dt
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from contract.central_presence import CentralPresence
from contract.health import UNPRINTABLE, DeviceState, HealthKey, PrinterHealth, ScannerHealth
from contract.hours import issuing_refusal, service_day
from contract.messages import (
    Answer,
    CancelTicket,
    DeviceStatus,
    IssueOffline,
    IssueTicket,
    ReserveNumbers,
    TicketInfo,
    decode,
    encode,
)
from contract.presses import Press
from contract.reasons import Reason
from contract.sd_notify import Watchdog
from contract.site import Kiosk, Site
from kiosk.check_in import CHECK_IN, CheckInDesk
from kiosk.link import Health
from kiosk.outbox import Outbox, Pending, RequestState
from kiosk.panel import Buzz, Light
from kiosk.printer import PrinterFault

log = logging.getLogger(__name__)

VERSION = "0.1.0"
# How long a press with no reserved number to fall back on waits for the central.
LAST_CHANCE = 5.0
# While the central is there, what is still unanswered is published again this often: an
# answer lost on the way, or a refusal for a full disk, is not waited for until an outage.
RESEND_EVERY_SECONDS = 10.0
# Refusals after which a service stays dark until the next day.
_DARK_FOR_THE_DAY = {Reason.QUOTA_FULL.value}
# How long a service's LED blinks fast after a refused check-in of its booking.
SIGNAL_SECONDS = 3.0


class Panel(Protocol):
    def set_light(self, service: str, light: Light) -> None: ...
    def buzz(self, pattern: str) -> None: ...


class Printer(Protocol):
    def health(self) -> PrinterHealth: ...
    def print_ticket(
        self, ticket: TicketInfo, *, offline: bool = False, booking: str | None = None
    ) -> None: ...


class Link(Protocol):
    @property
    def connected(self) -> bool: ...
    def send(self, payload: bytes) -> bool: ...
    def publish_status(self, health: Health) -> None: ...


@dataclass(frozen=True, slots=True)
class _AnswerArrived:
    answer: Answer


class _Connected:
    """The link is (re)connected: publish what is still unanswered."""


@dataclass(frozen=True, slots=True)
class _CentralStatus:
    """The central's retained status (its heartbeat, or its last will)."""

    status: DeviceStatus


@dataclass(frozen=True, slots=True)
class _Scanned:
    """What the scanner read, up to its end of line."""

    text: str


@dataclass(frozen=True, slots=True)
class _ScannerChanged:
    health: ScannerHealth


_Item = Press | _AnswerArrived | _Connected | _CentralStatus | _Scanned | _ScannerChanged


class KioskApp:
    """One kiosk's behaviour, independent of how presses and answers arrive."""

    def __init__(
        self,
        site: Site,
        kiosk: Kiosk,
        outbox: Outbox,
        printer: Printer,
        clock: Callable[[], dt.datetime],
        *,
        answer_timeout: float = 1.0,
        reserve_pool: int = 3,
        status_every: float = 30.0,
    ) -> None:
        self.site = site
        self.kiosk = kiosk
        self.outbox = outbox
        self.printer = printer
        self.clock = clock
        self.answer_timeout = answer_timeout
        self.reserve_pool = reserve_pool
        # The retained status is refreshed this often (seconds), not only on changes.
        self.status_every = status_every
        self._status_due = time.monotonic() + status_every
        self._resend_due = time.monotonic() + RESEND_EVERY_SECONDS
        self._printer_check_due = 0.0
        self.services = [button.service for button in kiosk.buttons]
        self.panel: Panel | None = None
        self.link: Link | None = None
        self.printer_health = PrinterHealth.UNKNOWN
        self._inbox: queue.Queue[_Item] = queue.Queue()
        self._answers: dict[str, Answer] = {}
        self._answered = threading.Condition()
        self._dark: dict[str, dt.date] = {}
        self._lights: dict[str, Light] = {}
        self._stopping = threading.Event()
        self.presence = CentralPresence()
        # What the lights and the status last said of the central.
        self._central_was_there = False
        self.check_in = CheckInDesk(self)
        # None until the scanner's thread reports (and always, without a scanner).
        self.scanner_health: ScannerHealth | None = None
        # Services whose LED blinks fast until then (monotonic): a refused check-in.
        self._signal_until: dict[str, float] = {}

    def attach(self, panel: Panel, link: Link) -> None:
        self.panel = panel
        self.link = link

    # -- what the outside calls (any thread) ------------------------------------------

    def pressed(self, press: Press) -> None:
        self._inbox.put(press)

    def answer_arrived(self, answer: Answer) -> None:
        with self._answered:
            self._answers[answer.id] = answer
            self._answered.notify_all()
        self._inbox.put(_AnswerArrived(answer))

    def connected(self) -> None:
        self._inbox.put(_Connected())

    def central_status(self, status: DeviceStatus) -> None:
        self._inbox.put(_CentralStatus(status))

    def scanned(self, text: str) -> None:
        self._inbox.put(_Scanned(text))

    def scanner_changed(self, health: ScannerHealth, detail: str = "") -> None:
        self._inbox.put(_ScannerChanged(health))

    def stop(self) -> None:
        self._stopping.set()

    # -- the loop ----------------------------------------------------------------------

    def run(self, tick: float = 0.5, *, watchdog: Watchdog | None = None) -> None:
        self.recover()
        while not self._stopping.is_set():
            # Only this loop pings systemd's watchdog: if it hangs, the kiosk is restarted.
            if watchdog is not None:
                watchdog.ping()
            try:
                item = self._inbox.get(timeout=tick)
            except queue.Empty:
                self.tick()
                continue
            self.handle(item)

    def handle(self, item: _Item) -> None:
        try:
            if isinstance(item, Press):
                self.on_press(item)
            elif isinstance(item, _AnswerArrived):
                self.presence.sign()
                self._late_answer(item.answer)
            elif isinstance(item, _CentralStatus):
                self._central_status(item.status)
            elif isinstance(item, _Scanned):
                self.check_in.scanned(item.text)
            elif isinstance(item, _ScannerChanged):
                self.scanner_health = item.health
                self._publish_status()
            else:
                # Mosquitto keeps what is published for the central while it is away.
                self._resend_unanswered()
                self._refill_reserves()
                self._publish_status()
            self._follow_central()
        except Exception:
            # A kiosk never crashes on a message or a press: log it and go on.
            log.exception("%s could not handle %r", self.kiosk.id, item)
        self._refresh_lights()

    def tick(self) -> None:
        # A known fault is watched every tick (to light up again the moment a roll goes
        # in); a working printer every `check_seconds`, pressed or not.
        if self.printer_health in UNPRINTABLE or time.monotonic() >= self._printer_check_due:
            self.printer_ready()
        self._follow_central()
        if time.monotonic() >= self._resend_due and self.central_there():
            self._resend_unanswered()
        if time.monotonic() >= self._status_due:
            self._publish_status()
        self._refresh_lights()

    def recover(self) -> None:
        """After a restart: print what was answered but not printed."""
        self.outbox.drop_reserved_before(self.today())
        for pending in self.outbox.unfinished():
            if pending.state is RequestState.ANSWERED and pending.answer is not None:
                log.info("%s prints %s, answered before a restart", self.kiosk.id, pending.id)
                self.act(pending, decode(pending.answer, Answer))

    # -- a press -----------------------------------------------------------------------

    def on_press(self, press: Press) -> None:
        service = press.service
        if self._refusal(service, self.clock()) is not None or not self.printer_ready():
            self._buzz("refused")
            return
        has_reserve = self.outbox.reserved_left(self.today(), service) > 0
        if not self.central_there() and has_reserve:
            # Asking would only make the citizen wait. (With no reserved number left, or
            # before the kiosk has heard of the central at all, it asks all the same: an
            # answer is the citizen's only chance, and `expires` keeps a late one free.)
            log.warning("%s: the central is away, printing %s offline", self.kiosk.id, service)
            self.issue_offline(press)
            return
        # Without a reserved number to fall back on, an answer is the citizen's only
        # chance: the kiosk waits longer for it (a central busy just after start-up).
        timeout = self.wait_for(has_reserve)
        request_id = uuid.uuid4().hex
        expires = self._expiry(timeout)
        request = IssueTicket(
            id=request_id, service=service, priority=press.priority, expires=expires
        )
        payload = encode(request)
        self.outbox.add(request_id, "issue", service, payload)
        self._light(service, Light.PRINTING)
        answer = self.send_and_wait(request_id, payload, timeout)
        if answer is not None and answer.reason != Reason.EXPIRED.value:
            pending = self.outbox.get(request_id)
            assert pending is not None
            self.act(pending, answer)
            return
        self.outbox.set_state(request_id, RequestState.ABANDONED)
        self.issue_offline(press)

    def wait_for(self, has_reserve: bool) -> float:
        """How long to wait for the central: longer with no reserved number to fall back on."""
        return self.answer_timeout if has_reserve else max(self.answer_timeout, LAST_CHANCE)

    def send_and_wait(self, request_id: str, payload: bytes, timeout: float) -> Answer | None:
        """The central's answer, or None when it could not be asked or did not answer."""
        if self.link is None or not self.link.send(payload):
            log.warning("%s: cannot reach Mosquitto, printing offline", self.kiosk.id)
            return None
        with self._answered:
            self._answered.wait_for(lambda: request_id in self._answers, timeout)
            answer = self._answers.pop(request_id, None)
        if answer is None:
            log.warning("%s: no answer within %.1f s, printing offline", self.kiosk.id, timeout)
            self.presence.away()
        else:
            self.presence.sign()
        return answer

    def _expiry(self, timeout: float) -> dt.datetime | None:
        """When the kiosk gives up on a request sent now (`timeout` later), on the
        central's clock.

        No margin: the heartbeat's delay only makes the kiosk read the central's clock
        late, so the central's deadline comes no later than the kiosk's. A request that
        expires while the kiosk still waits is answered `expired`, and the kiosk prints a
        reserved number as if no answer had come: no citizen is refused and no number spent.
        """
        central_now = self.presence.central_time(self.clock())
        if central_now is None:
            return None
        return central_now + dt.timedelta(seconds=timeout)

    def issue_offline(self, press: Press, *, booking: str | None = None) -> TicketInfo | None:
        """Prints a reserved number of the service and stores its `issue_offline`; None if none."""
        # The time it is printed: the ticket shows it, and it is the ticket's place.
        now = self.clock()
        reserved = self.outbox.take_reserved(self.today(), press.service, now)
        if reserved is None:
            log.warning(
                "%s: the central is away and no reserved number is left for %s",
                self.kiosk.id,
                press.service,
            )
            self._buzz("refused")
            return None
        # On the central's clock where the heartbeat told it: the central refuses a print
        # time more than a little after its own, and a Pi without a clock battery may be
        # far off before it reaches a time server.
        printed = self.presence.central_time(now) or now
        local = printed.astimezone(self.site.site.timezone)
        ticket = _offline_ticket(reserved, local, press.priority)
        request_id = uuid.uuid4().hex
        message = IssueOffline(
            id=request_id, ticket=ticket.id, issued_at=local, priority=press.priority
        )
        # Written before printing: a printed ticket must reach the queue, even after a
        # power cut; a ticket nobody holds merely ends as a no-show.
        self.outbox.add(request_id, "issue_offline", press.service, encode(message))
        try:
            self.printer.print_ticket(ticket, offline=True, booking=booking)
        except PrinterFault as fault:
            self.outbox.set_state(request_id, RequestState.DONE)
            self._printer_failed(fault)
            return None
        log.info("%s printed %s offline (reserved number)", self.kiosk.id, ticket.number)
        # Mosquitto keeps it for the central even while the central is away; it is handed
        # in again when the central is back, and the central takes it once.
        if self.link is not None:
            self.link.send(encode(message))
        return ticket

    # -- answers -----------------------------------------------------------------------

    def _late_answer(self, answer: Answer) -> None:
        with self._answered:
            self._answers.pop(answer.id, None)
        pending = self.outbox.get(answer.id)
        if pending is None or pending.state is RequestState.DONE:
            return
        self.act(pending, answer)

    def act(self, pending: Pending, answer: Answer) -> None:
        """Does what an answer asks for, then marks its request done."""
        if pending.kind in ("issue", CHECK_IN):
            self._act_on_ticket(pending, answer)
        elif pending.kind == "reserve" and answer.ok:
            self.outbox.add_reserved(self.today(), answer.reserved)
            self.outbox.set_state(pending.id, RequestState.DONE)
            # Retained: a central restored from an older backup learns them from it.
            self._publish_status()
            # Asked for before an outage used some: top up what is still missing.
            self._refill_reserves()
            return
        elif answer.reason == Reason.UNAVAILABLE and pending.kind != "cancel":
            # The central could not save it (a full disk): it stays to be handed in again.
            log.warning("%s: %s %s not saved yet", self.kiosk.id, pending.kind, pending.id)
            return
        elif not answer.ok:
            log.warning(
                "%s: %s %s refused: %s", self.kiosk.id, pending.kind, pending.id, answer.reason
            )
        self.outbox.set_state(pending.id, RequestState.DONE)

    def _act_on_ticket(self, pending: Pending, answer: Answer) -> None:
        ticket = answer.ticket
        if not answer.ok or ticket is None:
            if pending.kind == CHECK_IN:
                # An abandoned one's citizen already holds an offline ticket.
                if pending.state is not RequestState.ABANDONED:
                    self.check_in.refused(pending.service, answer)
                return
            log.info("%s: %s refused: %s", self.kiosk.id, pending.service, answer.reason)
            if answer.reason in _DARK_FOR_THE_DAY:
                self._dark[pending.service] = self.today()
            # Nobody waits for an abandoned request, nor for one that expired across a
            # restart of the kiosk (its citizen saw nothing printed).
            if pending.state is not RequestState.ABANDONED and answer.reason != Reason.EXPIRED:
                self._buzz("refused")
            return
        if pending.state is RequestState.ABANDONED:
            # The citizen already has an offline ticket: this one was never printed.
            self._cancel(ticket, "superseded by an offline ticket")
            return
        self.outbox.set_state(pending.id, RequestState.ANSWERED, encode(answer))
        try:
            self.printer.print_ticket(ticket)
        except PrinterFault as fault:
            self._printer_failed(fault)
            self._cancel(ticket, f"printer: {fault.health}")
            return
        log.info("%s printed %s", self.kiosk.id, ticket.number)
        self._refill_reserves()

    def _cancel(self, ticket: TicketInfo, why: str) -> None:
        request_id = uuid.uuid4().hex
        message = CancelTicket(id=request_id, ticket=ticket.id, reason=why)
        payload = encode(message)
        self.outbox.add(request_id, "cancel", ticket.service, payload)
        if self.link is not None:
            self.link.send(payload)

    # -- the central: there or away ---------------------------------------------------------

    def _central_status(self, status: DeviceStatus) -> None:
        if status.state is not DeviceState.ONLINE:
            log.warning("%s: the central says it is %s", self.kiosk.id, status.state)
            self.presence.away()
            return
        try:
            central_at: dt.datetime | None = dt.datetime.fromisoformat(status.at)
        except ValueError:
            central_at = None
        if central_at is not None and central_at.tzinfo is None:
            central_at = None
        self.presence.sign(central_at, self.clock())

    def central_there(self) -> bool:
        return self.link is not None and self.link.connected and self.presence.there()

    def _follow_central(self) -> None:
        """Acts on the central coming back or going away, once per change."""
        there = self.central_there()
        if there == self._central_was_there:
            return
        self._central_was_there = there
        if there:
            waiting = self.outbox.count(RequestState.PENDING)
            log.info(
                "%s: the central is there: handing in %d stored requests", self.kiosk.id, waiting
            )
            self._resend_unanswered()
            self._refill_reserves()
        else:
            log.warning("%s: the central is away: printing reserved numbers", self.kiosk.id)
        self._publish_status()

    # -- keeping things going -------------------------------------------------------------

    def _resend_unanswered(self) -> None:
        """Publishes again every request still waiting for its answer (same id)."""
        self._resend_due = time.monotonic() + RESEND_EVERY_SECONDS
        for pending in self.outbox.unfinished():
            if pending.state is RequestState.PENDING and self.link is not None:
                self.link.send(pending.payload)

    def _refill_reserves(self) -> None:
        """Keeps `reserve_pool` numbers per open service set aside for an outage."""
        if self.link is None or not self.central_there():
            return
        now = self.clock()
        waiting = {p.service for p in self.outbox.unfinished() if p.kind == "reserve"}
        for service in self.services:
            if service in waiting or self._refusal(service, now) is not None:
                continue
            missing = self.reserve_pool - self.outbox.reserved_left(self.today(), service)
            if missing > 0:
                request_id = uuid.uuid4().hex
                payload = encode(ReserveNumbers(id=request_id, service=service, count=missing))
                self.outbox.add(request_id, "reserve", service, payload)
                self.link.send(payload)

    def printer_ready(self) -> bool:
        """Asks the printer how it is; True if it can print."""
        self._printer_check_due = time.monotonic() + self.kiosk.printer.check_seconds
        before = self.printer_health
        self.printer_health = self.printer.health()
        if self.printer_health != before:
            log.info("%s printer: %s", self.kiosk.id, self.printer_health)
            self._publish_status()
        return self.printer_health not in UNPRINTABLE

    def _printer_failed(self, fault: PrinterFault) -> None:
        log.error("%s printer fault: %s", self.kiosk.id, fault.health)
        self.printer_health = fault.health
        self._buzz("fault")
        self._publish_status()

    def open_now(self, service: str) -> bool:
        """Whether the service takes tickets now, as far as the kiosk knows."""
        return self._refusal(service, self.clock()) is None

    def _refusal(self, service: str, now: dt.datetime) -> str | None:
        if self._dark.get(service) == self.today():
            return Reason.QUOTA_FULL.value
        refusal = issuing_refusal(self.site, self.site.services_by_prefix[service], now)
        return refusal.value if refusal else None

    def _refresh_lights(self) -> None:
        now = self.clock()
        online = self.central_there()
        for service in self.services:
            if self.printer_health in UNPRINTABLE:
                light = Light.FAULT
            elif self._refusal(service, now) is not None:
                light = Light.UNAVAILABLE
            elif time.monotonic() < self._signal_until.get(service, 0.0) or (
                not online and self.outbox.reserved_left(self.today(), service) == 0
            ):
                light = Light.FAULT
            else:
                light = Light.AVAILABLE
            self._light(service, light)

    def show(self, service: str, light: Light) -> None:
        """Shows a light on a service's LED, if this kiosk has a button for the service."""
        if service in self.services:
            self._light(service, light)

    def signal(self, buzz: Buzz, service: str | None) -> None:
        """Tells the citizen at the scanner no: beeps, and the service's LED blinking a while."""
        self._buzz(buzz)
        if service in self.services:
            self._signal_until[service] = time.monotonic() + SIGNAL_SECONDS
            self._light(service, Light.FAULT)

    def _light(self, service: str, light: Light) -> None:
        if self.panel is not None and self._lights.get(service) != light:
            self._lights[service] = light
            self.panel.set_light(service, light)

    def _buzz(self, pattern: str) -> None:
        if self.panel is not None:
            self.panel.buzz(pattern)

    def health(self) -> Health:
        today = self.today()
        health: Health = {
            HealthKey.PRINTER: self.printer_health.value,
            HealthKey.OUTBOX: self.outbox.count(RequestState.PENDING, RequestState.ANSWERED),
            HealthKey.OFFLINE_PENDING: self.outbox.count(
                RequestState.PENDING, kind="issue_offline"
            ),
            HealthKey.RESERVED: sum(self.outbox.reserved_left(today, s) for s in self.services),
            HealthKey.RESERVED_UP_TO: " ".join(self.outbox.highest_reserved(today)),
            HealthKey.CENTRAL: self.central_there(),
            HealthKey.VERSION: VERSION,
        }
        if self.scanner_health is not None:
            health[HealthKey.SCANNER] = self.scanner_health.value
        return health

    def _publish_status(self) -> None:
        self._status_due = time.monotonic() + self.status_every
        if self.link is not None:
            self.link.publish_status(self.health())

    def today(self) -> dt.date:
        return service_day(self.site, self.clock())


def _offline_ticket(reserved: TicketInfo, printed: dt.datetime, priority: bool) -> TicketInfo:
    return TicketInfo(
        id=reserved.id,
        number=reserved.number,
        service=reserved.service,
        service_name=reserved.service_name,
        agency=reserved.agency,
        priority=priority,
        state="waiting",
        issued_at=printed.isoformat(timespec="seconds"),
        ahead=0,
        wait_minutes=None,
        counters=reserved.counters,
        url=reserved.url,
    )
