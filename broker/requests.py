"""Turns contract messages into queue operations and their answers.

No MQTT here: the central hands in (sender, payload) and gets back what to answer
and what to announce. Every request decided is remembered by its sender and id with a
digest of what it asked: a repeat (QoS 1 delivers at least once; a kiosk retries) is
answered from what it did the first time and never issues a second ticket, nor logs a
second ALERT; the same id with another request is refused as `bad_request`.
"""

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from msgspec import Struct

from broker.bookings.arrival import check_in_operation
from broker.bookings.book import BookingBook
from broker.engine.engine import Decision, QueueEngine, Refused
from broker.engine.events import EventKind
from broker.engine.tickets import TicketState
from broker.queue_service import Operation, QueueService
from broker.store.sqlite_store import StoreError
from broker.ticket_links import TicketLinks
from broker.views import ticket_info
from contract.messages import (
    Answer,
    BadMessage,
    CancelTicket,
    CheckIn,
    CounterCommand,
    IssueOffline,
    IssueTicket,
    KioskRequest,
    ReserveNumbers,
    decode,
    decode_kiosk_request,
    encode,
)
from contract.reasons import Reason, reason_text

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Reply:
    """The answer to send back, if the sender can be answered.

    What a request changed reaches the displays another way: the queue service tells
    its listeners (see `QueueService.subscribe`).
    """

    answer: Answer | None = None
    # Answered from memory: the request was decided before.
    repeated: bool = False


def digest(message: Struct) -> str:
    """What a request asks, as a short digest of its canonical form (field order,
    spacing and unknown fields of the payload do not change it)."""
    return hashlib.sha256(encode(message)).hexdigest()[:32]


def refusal(request_id: str, reason: Reason, detail: str = "") -> Answer:
    message = reason_text(reason)
    return Answer(
        id=request_id,
        ok=False,
        reason=reason.value,
        message=f"{message}: {detail}" if detail and reason is Reason.BAD_REQUEST else message,
        message_en=reason_text(reason, "en"),
        # A booking too early to check in: from when it can (the refusal's detail).
        check_in_from=detail if reason is Reason.TOO_EARLY and detail else None,
    )


class RequestHandler:
    """Answers kiosk requests and counter commands through the queue service."""

    def __init__(
        self,
        service: QueueService,
        links: TicketLinks | None = None,
        bookings: BookingBook | None = None,
    ) -> None:
        self.service = service
        self.site = service.engine.site
        self.links = links
        # The bookings a `check_in` names (None: the central keeps none).
        self.bookings = bookings

    def kiosk(self, kiosk_id: str, payload: bytes) -> Reply:
        if not any(kiosk.id == kiosk_id for kiosk in self.site.kiosks):
            log.warning("dropped a request from unknown kiosk %r", kiosk_id)
            return Reply()
        try:
            request = decode_kiosk_request(payload)
        except BadMessage as e:
            return self._bad(f"kiosk {kiosk_id}", e)
        operation = _kiosk_operation(request, kiosk_id, self.bookings)
        key = f"kiosk/{kiosk_id}/{request.id}"
        reply = self.carry_out(key, request.id, operation, digest(request))
        answer = reply.answer
        refused = answer is not None and not answer.ok
        # (`unavailable` is not final: the kiosk hands the ticket in again.)
        final = answer is not None and answer.reason != Reason.UNAVAILABLE
        if isinstance(request, IssueOffline) and refused and final and not reply.repeated:
            # Someone holds this printed number and it is not in the queue: loud, for the
            # technician (`journalctl -g ALERT`), as a lost kiosk or an empty printer is.
            log.error(
                "ALERT %s: offline ticket %s refused (%s): its holder is not in the queue",
                kiosk_id,
                request.ticket,
                answer.reason if answer else "",
            )
        return reply

    def counter(self, counter: str, payload: bytes) -> Reply:
        number = int(counter) if counter.isdigit() else -1
        if number not in self.site.counters_by_number:
            log.warning("dropped a command for unknown counter %r", counter)
            return Reply()
        try:
            command = decode(payload, CounterCommand)
        except BadMessage as e:
            return self._bad(f"counter {counter}", e)
        actor = f"counter-{number}" + (f":{command.clerk}" if command.clerk else "")
        operation = self.counter_operation(number, command, actor)
        if isinstance(operation, Answer):
            return Reply(answer=operation)
        return self.carry_out(
            f"counter/{number}/{command.id}", command.id, operation, digest(command)
        )

    def counter_operation(
        self, number: int, command: CounterCommand, actor: str
    ) -> Operation | Answer:
        action = command.action
        if action == "transfer":
            target = command.service
            if target is None:
                return refusal(command.id, Reason.BAD_REQUEST, "transfer needs a service")
            return lambda engine, now: engine.transfer(number, target, now, actor=actor)
        if action == "bring_back":
            wanted = command.ticket
            if not wanted:
                return refusal(command.id, Reason.BAD_REQUEST, "bring_back needs a ticket")
            return lambda engine, now: engine.bring_back(
                _ticket_id(engine, wanted), now, actor=actor
            )
        simple = {
            "call_next": QueueEngine.call_next,
            "recall": QueueEngine.recall,
            "skip": QueueEngine.skip,
            "finish": QueueEngine.finish,
            "pause": QueueEngine.pause,
            "resume": QueueEngine.resume,
        }[action]
        return lambda engine, now: simple(engine, number, now, actor=actor)

    def carry_out(
        self, request_key: str, request_id: str, operation: Operation, asked: str
    ) -> Reply:
        """Decides a request once: a repeat of `request_key` asking the same (`asked`, its
        digest) is answered as the first time; one asking something else is refused."""
        before = self._answered_before(request_key, request_id, asked)
        if before is not None:
            return before
        try:
            decision = self.service.run(operation, request=request_key, digest=asked)
        except Refused as e:
            self._remember_refusal(request_key, asked, e)
            return Reply(answer=refusal(request_id, e.reason, e.detail))
        except StoreError as e:
            log.error("could not save %s: %s", request_key, e)
            return Reply(answer=refusal(request_id, Reason.UNAVAILABLE))
        answer = self._success(request_id, [e.ticket.id for e in decision.events if e.ticket])
        return Reply(answer=_noted(answer, decision.note))

    def _answered_before(self, request_key: str, request_id: str, asked: str) -> Reply | None:
        known = self.service.answered(request_key)
        if known is not None and known.digest != asked:
            log.warning("request %s: its id was used before for another request", request_key)
            reused = refusal(request_id, Reason.BAD_REQUEST, "this id was used for another request")
            return Reply(answer=reused, repeated=True)
        if known is not None and known.refusal is not None:
            log.info("request %s was refused before: answering the same", request_key)
            try:
                reason = Reason(known.refusal)
            except ValueError:  # a reason this release no longer knows
                reason = Reason.BAD_REQUEST
            return Reply(answer=refusal(request_id, reason, known.detail), repeated=True)
        # Carried out before: from the events it caused (requests decided before the
        # digests were kept have their events only).
        done = self.service.done_by(request_key)
        if known is None and not done:
            return None
        log.info("request %s was carried out before: answering the same", request_key)
        ticket_ids = [record.ticket_id for record in done if record.ticket_id]
        # A late check-in kept as a walk-in says why the second time too.
        kept = [r.detail for r in done if r.kind is EventKind.CHECK_IN_REFUSED]
        note = Reason(kept[0]) if kept and kept[0] in _REASON_CODES else None
        return Reply(answer=_noted(self._success(request_id, ticket_ids), note), repeated=True)

    def _remember_refusal(self, request_key: str, asked: str, refused: Refused) -> None:
        try:
            self.service.refused(request_key, asked, refused.reason.value, refused.detail)
        except StoreError as e:  # a full disk: a repeat is decided again, nothing worse
            log.warning("could not remember the refusal of %s: %s", request_key, e)

    def _success(self, request_id: str, ticket_ids: list[str]) -> Answer:
        """The answer to a request done, from the tickets it touched as they are now.

        The last ticket is the one the request is about (a call-next first finishes
        the current one); the numbers a `reserve` set aside are listed apart.
        """

        def info(engine: QueueEngine) -> Answer:
            now = self.service.now()
            tickets = []
            for ticket_id in dict.fromkeys(ticket_ids):
                try:
                    tickets.append(engine.ticket(ticket_id))
                except Refused:  # a ticket of a day gone by: say it was done, nothing more
                    continue
            if tickets and all(t.state is TicketState.RESERVED for t in tickets):
                reserved = [ticket_info(engine, t, now, self.links) for t in tickets]
                return Answer(id=request_id, ok=True, reserved=reserved)
            last = ticket_info(engine, tickets[-1], now, self.links) if tickets else None
            return Answer(id=request_id, ok=True, ticket=last)

        return self.service.read(info)

    def _bad(self, sender: str, error: BadMessage) -> Reply:
        if error.request_id is None:
            log.warning("dropped a message from %s: %s", sender, error.problem)
            return Reply()
        log.warning("refused a message from %s: %s", sender, error.problem)
        return Reply(answer=refusal(error.request_id, Reason.BAD_REQUEST, error.problem))


_REASON_CODES = frozenset(reason.value for reason in Reason)


def _noted(answer: Answer, note: Reason | None) -> Answer:
    """A success that carries a note (e.g. `queue_empty`) in its reason and words."""
    if note is not None:
        answer.reason = note.value
        answer.message = reason_text(note)
        answer.message_en = reason_text(note, "en")
    return answer


def _kiosk_operation(
    request: KioskRequest, kiosk_id: str, bookings: BookingBook | None
) -> Operation:
    if isinstance(request, IssueTicket):
        return _issuing(request, kiosk_id)
    if isinstance(request, CancelTicket):
        return _cancelling(request, kiosk_id)
    if isinstance(request, ReserveNumbers):
        service, count = request.service, request.count
        return lambda engine, now: engine.reserve(service, count, now, actor=kiosk_id)
    if isinstance(request, CheckIn):
        return _checking_in(request, kiosk_id, bookings)
    ticket_id, printed, priority = request.ticket, request.issued_at, request.priority
    return lambda engine, now: engine.issue_reserved(
        ticket_id, printed, now, priority=priority, actor=kiosk_id
    )


def _issuing(request: IssueTicket, kiosk_id: str) -> Operation:
    service, priority = request.service, request.priority

    def issue(engine: QueueEngine, now: dt.datetime) -> Decision:
        if request.expires is not None and now > request.expires:
            # The kiosk printed a reserved number instead: a ticket now would be a number
            # nobody holds.
            raise Refused(Reason.EXPIRED, f"{request.service} after {request.expires.isoformat()}")
        return engine.issue(service, now, priority=priority, actor=kiosk_id)

    return issue


def _checking_in(request: CheckIn, kiosk_id: str, bookings: BookingBook | None) -> Operation:
    if bookings is None:  # a central that keeps no bookings: every code is unknown
        code = request.code

        def unknown(engine: QueueEngine, now: dt.datetime) -> Decision:
            raise Refused(Reason.UNKNOWN_BOOKING, code)

        return unknown
    return check_in_operation(
        bookings,
        request.code,
        kiosk_id,
        offline_ticket=request.offline_ticket,
        scanned_at=request.scanned_at,
    )


def _cancelling(request: CancelTicket, kiosk_id: str) -> Operation:
    """A kiosk may withdraw only a ticket it issued itself."""
    ticket_id, why = request.ticket, request.reason

    def cancel(engine: QueueEngine, now: dt.datetime) -> Decision:
        if engine.ticket(ticket_id).issued_by != kiosk_id:
            raise Refused(Reason.NOT_CANCELLABLE, ticket_id)
        return engine.cancel(ticket_id, now, actor=kiosk_id, why=why)

    return cancel


def _ticket_id(engine: QueueEngine, wanted: str) -> str:
    """A ticket id from an id or a number of today ("A023")."""
    if "/" in wanted:
        return wanted
    return f"{engine.day.isoformat()}/{wanted}"
