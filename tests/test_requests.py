"""Contract messages to queue operations and back, without the network."""

import datetime as dt
import logging
import math

import pytest

from broker.engine.engine import Decision
from broker.requests import RequestHandler
from contract.messages import Answer, decode, encode
from tests.conftest import at
from tests.request_fixtures import Clock, calls_in, command, issue, payload


def test_a_ticket_request_is_answered_with_the_ticket(handler: RequestHandler) -> None:
    answer = issue(handler, "req-1", "B", priority=True)
    assert answer.ok
    assert answer.id == "req-1"
    assert answer.ticket is not None
    assert (answer.ticket.number, answer.ticket.priority) == ("B001", True)
    assert answer.ticket.service_name == "Perpanjangan SIM"
    assert answer.ticket.agency == "Satlantas Polresta"
    assert answer.ticket.counters == [3, 4]
    assert answer.ticket.issued_at == "2026-11-30T09:00:00+08:00"


def test_a_repeated_request_gets_the_same_ticket_not_a_second(handler: RequestHandler) -> None:
    # GIVEN a request answered with A001
    first = issue(handler, "req-1")
    # WHEN the same request arrives again (QoS 1 redelivery, or the kiosk retried)
    again = issue(handler, "req-1")
    # THEN the answer names the same ticket, and the next new request gets A002
    assert first.ticket is not None
    assert again.ticket is not None
    assert again.ticket.number == first.ticket.number == "A001"
    answer = issue(handler, "req-2")
    assert answer.ticket is not None
    assert answer.ticket.number == "A002"


def test_a_refusal_carries_a_reason_and_words(handler: RequestHandler, clock: Clock) -> None:
    clock.now = at(12, 30)  # the lunch break
    answer = issue(handler, "req-1")
    assert not answer.ok
    assert answer.reason == "on_break"
    assert answer.message == "Layanan sedang istirahat"
    assert answer.message_en == "The service is on a break"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (payload(type="issue", id="r1"), "missing required field `service`"),
        (payload(type="issue", id="r1", service="a1"), "service"),
        (payload(type="refund", id="r1", service="A"), "Invalid value 'refund'"),
        (payload(type="issue", id="r1", service="A", priority="yes"), "Expected `bool`"),
    ],
)
def test_a_malformed_request_with_an_id_gets_an_error_answer(
    handler: RequestHandler, changes: list[Decision], raw: bytes, problem: str
) -> None:
    reply = handler.kiosk("kiosk-1", raw)
    assert reply.answer is not None
    assert (reply.answer.ok, reply.answer.reason, reply.answer.id) == (False, "bad_request", "r1")
    assert problem in reply.answer.message
    assert changes == []


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[1, 2, 3]",
        b'{"v": 2, "type": "issue", "id": "r1", "service": "A"}',
        b'{"type": "issue", "service": "A"}',
        b"x" * 20_000,
        b"",
    ],
    ids=["bad-json", "not-an-object", "unknown-version", "no-id", "oversized", "empty"],
)
def test_a_message_without_a_usable_id_is_dropped_with_one_log_line(
    handler: RequestHandler,
    changes: list[Decision],
    raw: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        reply = handler.kiosk("kiosk-1", raw)
    assert reply.answer is None
    assert changes == []
    assert len(caplog.records) == 1
    assert "kiosk kiosk-1" in caplog.records[0].getMessage()


def test_bad_input_touches_nothing_and_the_next_request_works(handler: RequestHandler) -> None:
    issue(handler, "good-1")
    for raw in (b"{", payload(type="issue", id="x", service="ZZ"), b"x" * 10_000):
        handler.kiosk("kiosk-1", raw)
    answer = issue(handler, "good-2")
    assert answer.ticket is not None
    assert answer.ticket.number == "A002"


def test_an_unknown_kiosk_or_counter_is_dropped(
    handler: RequestHandler, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert handler.kiosk("kiosk-9", payload(type="issue", id="r", service="A")).answer is None
        assert handler.counter("99", payload(id="c", action="call_next")).answer is None
        assert handler.counter("x", payload(id="c", action="call_next")).answer is None
    assert [r.getMessage().split(" ")[0] for r in caplog.records] == ["dropped"] * 3


def test_an_unknown_service_is_refused(handler: RequestHandler) -> None:
    answer = issue(handler, "r1", "Z")
    assert (answer.ok, answer.reason) == (False, "unknown_service")


def test_counter_commands_call_recall_transfer_and_finish(
    handler: RequestHandler, changes: list[Decision]
) -> None:
    issue(handler, "r1", "A")
    issue(handler, "r2", "A")
    called = command(handler, 1, "c1", action="call_next", clerk="siti")
    assert called.ticket is not None
    assert (called.ticket.number, called.ticket.state, called.ticket.counter) == (
        "A001",
        "called",
        1,
    )
    handler.counter("1", payload(id="c2", action="recall"))
    assert [call.kind for call in calls_in(handler, changes[-1:])] == ["recalled"]
    moved = command(handler, 1, "c3", action="transfer", service="B")
    assert moved.ticket is not None
    assert (moved.ticket.service, moved.ticket.state) == ("B", "waiting")
    assert command(handler, 1, "c4", action="call_next").ticket is not None
    finished = command(handler, 1, "c5", action="finish")
    assert finished.ticket is not None
    assert finished.ticket.state == "finished"


def test_a_call_is_announced_once_even_when_the_command_repeats(
    handler: RequestHandler, changes: list[Decision]
) -> None:
    issue(handler, "r1")
    handler.counter("1", payload(id="c1", action="call_next"))
    again = handler.counter("1", payload(id="c1", action="call_next"))
    calls = calls_in(handler, changes)
    assert [call.number for call in calls] == ["A001"]
    assert calls[0].counter_name == "Loket 1"
    assert again.answer is not None
    assert again.answer.ticket is not None
    assert again.answer.ticket.number == "A001"


def test_calling_an_empty_queue_says_so(handler: RequestHandler) -> None:
    answer = command(handler, 1, "c1", action="call_next")
    assert (answer.ok, answer.reason) == (False, "queue_empty")
    assert answer.message == "Tidak ada antrean yang menunggu"


def test_a_transfer_without_a_target_is_a_bad_request(handler: RequestHandler) -> None:
    answer = command(handler, 1, "c1", action="transfer")
    assert (answer.ok, answer.reason) == (False, "bad_request")


def test_bring_back_by_number(handler: RequestHandler, clock: Clock) -> None:
    issue(handler, "r1")
    command(handler, 1, "c1", action="call_next")
    command(handler, 1, "c2", action="skip")
    clock.now = at(9, 10)
    back = command(handler, 2, "c3", action="bring_back", ticket="A001")
    assert back.ticket is not None
    assert back.ticket.state == "waiting"


def test_a_kiosk_cancels_only_its_own_tickets(handler: RequestHandler) -> None:
    # GIVEN kiosk-1 issued A001 and its printer then failed
    ticket = issue(handler, "r1").ticket
    assert ticket is not None
    # WHEN kiosk-2 tries to cancel it, THEN that is refused
    other = handler.kiosk("kiosk-2", payload(type="cancel", id="x1", ticket=ticket.id))
    assert other.answer is not None
    assert other.answer.reason == "not_cancellable"
    # AND kiosk-1 may
    own = handler.kiosk(
        "kiosk-1", payload(type="cancel", id="x2", ticket=ticket.id, reason="paper out")
    )
    assert own.answer is not None
    assert own.answer.ok
    assert own.answer.ticket is not None
    assert own.answer.ticket.state == "cancelled"


def test_answers_round_trip_through_json(handler: RequestHandler) -> None:
    reply = handler.kiosk("kiosk-1", payload(type="issue", id="r1", service="A"))
    assert reply.answer is not None
    assert decode(encode(reply.answer), Answer) == reply.answer


def test_a_kiosk_reserves_numbers_and_hands_them_in_after_an_outage(
    handler: RequestHandler, clock: Clock
) -> None:
    # GIVEN kiosk-1 reserved two numbers of service D while online
    reply = handler.kiosk("kiosk-1", payload(type="reserve", id="res-1", service="D", count=2))
    assert reply.answer is not None
    reserved = [(t.number, t.state) for t in reply.answer.reserved]
    assert reserved == [("D001", "reserved"), ("D002", "reserved")]
    # AND an online ticket was issued meanwhile
    assert issue(handler, "r1", "D").ticket is not None
    # WHEN it hands in D001, printed offline at 09:05, at 09:20
    clock.now = at(9, 20)
    offline = payload(
        type="issue_offline", id="off-1", ticket="2026-11-30/D001", issued_at=at(9, 5).isoformat()
    )
    answer = handler.kiosk("kiosk-1", offline).answer
    again = handler.kiosk("kiosk-1", offline).answer
    # THEN it waits from 09:05, and handing it in twice changes nothing
    assert answer is not None
    assert again is not None
    assert answer.ticket is not None
    assert (answer.ticket.number, answer.ticket.state) == ("D001", "waiting")
    assert answer.ticket.issued_at == "2026-11-30T09:05:00+08:00"
    assert again == answer


def test_an_issue_read_after_the_kiosk_gave_up_costs_no_number(
    handler: RequestHandler, clock: Clock
) -> None:
    # GIVEN a kiosk that waits until 09:00:01 (central time) for its answer
    expires = (clock.now + dt.timedelta(seconds=1)).isoformat()
    # WHEN the central reads the request only at 09:00:05 (it hung meanwhile)
    clock.now += dt.timedelta(seconds=5)
    late = issue(handler, "late-1", expires=expires)
    # THEN it is refused as expired and no number is spent: the next ticket is A001
    assert (late.ok, late.reason, late.ticket) == (False, "expired", None)
    on_time = issue(handler, "on-time-1", expires=(clock.now + dt.timedelta(seconds=1)).isoformat())
    assert on_time.ticket is not None
    assert on_time.ticket.number == "A001"


def test_an_offline_ticket_needs_a_time_zone(handler: RequestHandler) -> None:
    handler.kiosk("kiosk-1", payload(type="reserve", id="res-1", service="D", count=1))
    naive = payload(
        type="issue_offline", id="off-1", ticket="2026-11-30/D001", issued_at="2026-11-30T09:05:00"
    )
    answer = handler.kiosk("kiosk-1", naive).answer
    assert answer is not None
    assert (answer.ok, answer.reason) == (False, "bad_request")


def test_a_ticket_taken_before_the_break_promises_the_wait_after_it(
    handler: RequestHandler, clock: Clock
) -> None:
    def minutes(wait: dt.timedelta) -> int:
        return math.ceil(wait.total_seconds() / 60)

    def work_ahead(ahead: int) -> dt.timedelta:
        work = handler.service.read(lambda engine: engine.estimate_wait("A", ahead))
        assert work is not None
        return work

    # GIVEN a morning queue for A: the last of seven promises the work ahead alone
    clock.now = at(9)
    morning = [issue(handler, f"queue-{n}", "A").ticket for n in range(7)][-1]
    assert morning is not None
    assert morning.ahead == 6
    assert morning.wait_minutes == minutes(work_ahead(6))
    # WHEN a citizen takes an A at 11:50, ten minutes before the 12:00-13:00 ishoma
    clock.now = at(11, 50)
    late = issue(handler, "before-ishoma", "A").ticket
    assert late is not None
    assert work_ahead(late.ahead) > dt.timedelta(minutes=10)
    # THEN the printed wait is the work ahead plus the hour the counters are away
    assert late.wait_minutes == minutes(work_ahead(late.ahead) + dt.timedelta(hours=1))


def test_an_offline_ticket_the_central_does_not_hold_for_the_kiosk_is_an_alert(
    handler: RequestHandler, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a number the central gave a citizen online while kiosk-1 holds it too (as when
    # a central restored from an older backup gives again a number the kiosk reserved)
    assert issue(handler, "r1", "D").ticket is not None
    # WHEN kiosk-1 hands in a ticket it printed offline with that number
    offline = payload(
        type="issue_offline", id="off-1", ticket="2026-11-30/D001", issued_at=at(9).isoformat()
    )
    with caplog.at_level(logging.ERROR, logger="broker.requests"):
        answer = handler.kiosk("kiosk-1", offline).answer
    # THEN it is refused, and the central's log says a citizen holds a ticket not queued
    assert answer is not None
    assert not answer.ok
    (alert,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert alert.getMessage() == (
        "ALERT kiosk-1: offline ticket 2026-11-30/D001 refused (not_reserved): "
        "its holder is not in the queue"
    )
