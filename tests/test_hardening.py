"""One message has one boundary: whatever it holds, it is answered or logged once, and it
never changes what other services, devices or days get (issue 12, items 1-7)."""

import datetime as dt
import logging
import sqlite3
import threading
from pathlib import Path

import pytest

from broker.central import Central, _Inbound
from broker.queue_service import QueueService
from broker.requests import RequestHandler
from broker.store.sqlite_store import SqliteStore
from contract.clock import SimulatedClock
from contract.logs import OneLineFormatter, escape_controls
from contract.messages import MAX_PAYLOAD_BYTES, SurveyPress, encode
from tests.broker_fixtures import Mosquitto, MqttClients, Provisioned
from tests.central_fixtures import CentralProcess, wait_for_state
from tests.conftest import at
from tests.kiosk_fixtures import until
from tests.request_fixtures import Clock, command, issue, payload

TODAY = "2026-11-30"


def hand_in(
    handler: RequestHandler, request_id: str, ticket: str, printed: str
) -> tuple[bool, str]:
    """kiosk-1 hands in an offline ticket; (ok, reason) of the answer."""
    message = payload(type="issue_offline", id=request_id, ticket=ticket, issued_at=printed)
    answer = handler.kiosk("kiosk-1", message).answer
    assert answer is not None
    return answer.ok, answer.reason or ""


def alerts(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("ALERT")]


# -- 1. a number from nowhere ---------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    ["E9223372036854775807", "B654495", "A051", "A000", "A0001", "A01"],
)
def test_an_offline_number_no_reserve_explains_is_refused_with_one_alert(
    handler: RequestHandler, caplog: pytest.LogCaptureFixture, number: str
) -> None:
    # GIVEN a fresh day: nothing issued, so a kiosk's reserve reaches at most A050
    # WHEN kiosk-1 hands in an offline ticket with a number no reserve could hold
    with caplog.at_level(logging.INFO):
        ok, reason = hand_in(handler, "far-1", f"{TODAY}/{number}", at(9).isoformat())
        # (the kiosk hands it in again: the same answer, and no second alert)
        again = hand_in(handler, "far-1", f"{TODAY}/{number}", at(9).isoformat())
    # THEN it is refused with one ALERT
    assert (ok, reason) == (False, "unknown_ticket")
    assert again == (ok, reason)
    assert len(alerts(caplog)) == 1
    # AND the numbering did not move: every service still issues its first number
    prefix = number.rstrip("0123456789")
    first = issue(handler, "next-1", prefix)
    assert first.ticket is not None
    assert first.ticket.number == f"{prefix}001"
    reserve = handler.kiosk("kiosk-1", payload(type="reserve", id="res-1", service=prefix))
    assert reserve.answer is not None
    assert reserve.answer.ok


def test_an_offline_number_within_a_reserve_of_the_highest_is_taken_in(
    handler: RequestHandler,
) -> None:
    # GIVEN A001 and A002 issued online (a central restored from an older backup, say)
    for n in range(2):
        issue(handler, f"online-{n}", "A")
    # WHEN kiosk-1 hands in A052: fifty beyond the highest, as a reserve may reach
    ok, _ = hand_in(handler, "near-1", f"{TODAY}/A052", at(9).isoformat())
    # THEN it is taken in, and numbering goes on after it
    assert ok
    after = issue(handler, "after-1", "A")
    assert after.ticket is not None
    assert after.ticket.number == "A053"


# -- 2. print times from another age --------------------------------------------------------


@pytest.mark.parametrize(
    "printed",
    [
        "0001-01-01T00:00:00+08:00",  # crashed the handler
        "1970-01-01T08:00:00+08:00",  # went to the head of the queue
        "2026-11-29T10:00:00+08:00",  # yesterday
        "2026-11-30T07:00:00+08:00",  # before opening
        "2026-11-30T12:30:00+08:00",  # in the ishoma break
        "2026-11-30T09:10:00+08:00",  # ten minutes after it reached the central
        "9999-12-31T23:59:59-12:00",
    ],
)
def test_an_offline_ticket_printed_at_an_impossible_time_is_refused_with_one_alert(
    handler: RequestHandler, caplog: pytest.LogCaptureFixture, printed: str
) -> None:
    # GIVEN kiosk-1 reserved A001 at 09:00, and the central's clock still says 09:00
    handler.kiosk("kiosk-1", payload(type="reserve", id="res-1", service="A", count=1))
    # WHEN it hands A001 in with a print time that cannot be
    with caplog.at_level(logging.INFO):
        ok, reason = hand_in(handler, "odd-1", f"{TODAY}/A001", printed)
    # THEN it is refused, with one ALERT, and A still issues
    assert (ok, reason) == (False, "implausible_time")
    assert len(alerts(caplog)) == 1
    assert issue(handler, "next-1", "A").ok


def test_an_offline_ticket_a_little_ahead_of_the_central_clock_is_taken_in(
    handler: RequestHandler,
) -> None:
    handler.kiosk("kiosk-1", payload(type="reserve", id="res-1", service="A", count=1))
    # A kiosk clock one minute fast, a press a moment before the break: both ordinary
    ok, _ = hand_in(handler, "skew-1", f"{TODAY}/A001", at(9, 1).isoformat())
    assert ok


def test_a_press_just_before_the_break_printed_just_after_it_is_taken_in(
    handler: RequestHandler, clock: Clock
) -> None:
    clock.now = at(11, 59)
    handler.kiosk("kiosk-1", payload(type="reserve", id="res-1", service="A", count=1))
    clock.now = at(12, 5)
    printed = (at(12) + dt.timedelta(seconds=20)).isoformat()
    assert hand_in(handler, "edge-1", f"{TODAY}/A001", printed)[0]


# -- 3. deep JSON, 6. oversized payloads ------------------------------------------------------


def deep(request_id: str, levels: int = 1000) -> bytes:
    nested = "[" * levels + "]" * levels
    return f'{{"v": 1, "type": "issue", "id": "{request_id}", "service": {nested}}}'.encode()


def test_a_request_nested_a_thousand_deep_is_answered_bad_request(
    handler: RequestHandler,
) -> None:
    assert len(deep("deep-1")) < MAX_PAYLOAD_BYTES
    for reply in (handler.kiosk("kiosk-1", deep("deep-1")), handler.counter("1", deep("deep-2"))):
        assert reply.answer is not None
        assert (reply.answer.ok, reply.answer.reason) == (False, "bad_request")
        assert "nested" in reply.answer.message
    assert issue(handler, "after-1", "A").ok


def test_deep_json_without_an_id_is_one_log_line_on_every_topic(
    provisioned: Provisioned, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = SqliteStore(tmp_path / "antre.sqlite3")
    clock = SimulatedClock(at(9))
    central = Central(
        provisioned.site,
        QueueService(provisioned.site, store, clock),
        provisioned.credentials["central"],
        clock=clock,
    )
    nested = b"[" * 1000 + b"]" * 1000
    payloads = [b'{"v": 1, "x": ' + nested + b"}", b'{"id": ' + nested + b"}"]
    topics = provisioned.topics
    try:
        with caplog.at_level(logging.INFO):
            for topic in (
                topics.kiosk_request("kiosk-1"),
                topics.counter_command(1),
                topics.survey_press("survey-1"),
                topics.status("kiosk-1"),
            ):
                for body in payloads:
                    central._handle(_Inbound(topic, body, mid=0, qos=0))
    finally:
        central.survey.store.close()
        store.close()
    assert not [r for r in caplog.records if r.exc_info], "a traceback"
    assert len([r for r in caplog.records if "nested" in r.getMessage()]) == 8


def test_an_oversized_request_whose_id_can_be_read_is_answered(handler: RequestHandler) -> None:
    big = payload(type="issue", id="big-1", service="A", note="x" * MAX_PAYLOAD_BYTES)
    reply = handler.kiosk("kiosk-1", big)
    assert reply.answer is not None
    assert (reply.answer.id, reply.answer.ok, reply.answer.reason) == (
        "big-1",
        False,
        "bad_request",
    )
    assert f"over {MAX_PAYLOAD_BYTES}" in reply.answer.message


def test_an_oversized_request_over_mqtt_reaches_the_kiosk_as_a_refusal(
    provisioned: Provisioned, central: CentralProcess, mqtt_clients: MqttClients
) -> None:
    kiosk = mqtt_clients(provisioned, "kiosk-1")
    kiosk.subscribe_and_wait(provisioned.topics.kiosk_answer("kiosk-1"))
    big = payload(type="issue", id="big-2", service="A", note="x" * 20_000)
    kiosk.publish_and_wait(provisioned.topics.kiosk_request("kiosk-1"), big)
    answer = kiosk.next_message(timeout=10)
    assert b'"id":"big-2"' in answer.payload
    assert b'"reason":"bad_request"' in answer.payload


# -- 4. acknowledged only once stored -------------------------------------------------------


def refuse_writes(db: sqlite3.Connection) -> None:
    """Every write of this connection fails from now on, as on a full disk. (A full disk's
    own error needs a new page; a press fits in the free space of one the table has.)"""
    db.execute("PRAGMA query_only = ON")


def test_a_survey_press_on_a_full_disk_stays_with_mosquitto_until_it_is_stored(
    provisioned: Provisioned,
    mosquitto: Mosquitto,
    tmp_path: Path,
    mqtt_clients: MqttClients,
    caplog: pytest.LogCaptureFixture,
) -> None:
    site = provisioned.site
    db = tmp_path / "antre.sqlite3"

    def start() -> tuple[Central, threading.Thread, SqliteStore]:
        store = SqliteStore(db)
        clock = SimulatedClock(at(9))
        service = QueueService(site, store, clock)
        central = Central(site, service, provisioned.credentials["central"], clock=clock)
        thread = threading.Thread(target=central.serve, daemon=True)
        thread.start()
        wait_for_state(provisioned, lambda state: True)
        return central, thread, store

    def presses() -> int:
        reader = SqliteStore(db)
        try:
            return int(reader._db.execute("SELECT count(*) FROM survey_presses").fetchone()[0])
        finally:
            reader.close()

    # GIVEN the central's disk is full
    central, thread, store = start()
    refuse_writes(central.survey.store._db)
    # WHEN a survey unit sends a press
    unit = mqtt_clients(provisioned, "survey-1")
    press = encode(SurveyPress(id="press-1", rating=4))
    unit.publish_and_wait(provisioned.topics.survey_press("survey-1"), press)
    # AND the central stops before the disk has room again
    until(lambda: "could not save a survey press" in caplog.text, what="the failed save")
    assert presses() == 0
    central.stop()
    thread.join(timeout=10)
    central.survey.store.close()
    store.close()
    # THEN Mosquitto kept the press (it was never acknowledged): the next central stores it
    central, thread, store = start()
    try:
        until(lambda: presses() == 1, what="the press stored")
    finally:
        central.stop()
        thread.join(timeout=10)
        store.close()


# -- 5. forged log lines ----------------------------------------------------------------------


def test_control_characters_from_a_device_cannot_start_a_log_line() -> None:
    formatter = OneLineFormatter("%(levelname)s %(message)s")
    record = logging.LogRecord(
        "broker.requests",
        logging.INFO,
        __file__,
        1,
        "request %s: ok",
        ("x\nALERT forged\r\x1b[2J",),
        None,
    )
    line = formatter.format(record)
    assert not any(control in line for control in "\n\r\x1b")
    assert line == "INFO request x\\nALERT forged\\r\\x1b[2J: ok"
    assert escape_controls("Loket 1 · Paspor") == "Loket 1 · Paspor"
    assert escape_controls("a\u2028b") == "a\\u2028b"


def test_the_central_logs_a_forged_id_on_its_own_line(
    provisioned: Provisioned, central: CentralProcess, mqtt_clients: MqttClients
) -> None:
    kiosk = mqtt_clients(provisioned, "kiosk-1")
    kiosk.subscribe_and_wait(provisioned.topics.kiosk_answer("kiosk-1"))
    forged = "x\nALERT kiosk-2 printer: paper_out"
    request = payload(type="issue", id=forged, service="A")
    kiosk.publish_and_wait(provisioned.topics.kiosk_request("kiosk-1"), request)
    kiosk.next_message(timeout=10)
    log = central.log()
    assert "x\\nALERT kiosk-2 printer: paper_out" in log
    assert not [line for line in log.splitlines() if line.startswith("ALERT")]


# -- 7. an id reused for another request ------------------------------------------------------


def test_an_id_reused_for_another_request_is_refused_and_a_repeat_answered_the_same(
    handler: RequestHandler,
) -> None:
    first = issue(handler, "same-id", "A")
    assert first.ticket is not None
    # a repeat, even spelled differently (field order, spacing), is the same request
    repeat = handler.kiosk("kiosk-1", b'{"service":"A", "id":"same-id","type":"issue","v":1}')
    assert repeat.answer is not None
    assert repeat.answer.ticket is not None
    assert repeat.answer.ticket.number == first.ticket.number
    # another request under the same id is refused
    other = issue(handler, "same-id", "B")
    assert (other.ok, other.reason) == (False, "bad_request")
    assert "another request" in other.message
    # ids are per device: kiosk-2 may use the same id for its own request
    theirs = handler.kiosk("kiosk-2", payload(type="issue", id="same-id", service="M")).answer
    assert theirs is not None
    assert theirs.ok
    # a counter command's id too
    called = command(handler, 1, "cmd-1", action="call_next")
    assert called.ok
    paused = command(handler, 1, "cmd-1", action="pause")
    assert (paused.ok, paused.reason) == (False, "bad_request")


def test_a_refused_request_repeated_gets_the_same_refusal(
    handler: RequestHandler, clock: Clock
) -> None:
    clock.now = at(12, 30)  # the break: A refuses
    assert issue(handler, "break-1", "A").reason == "on_break"
    clock.now = at(13, 5)
    # the same request again, now that A is open: the same answer, not a ticket
    assert issue(handler, "break-1", "A").reason == "on_break"
    assert issue(handler, "break-2", "A").ok
