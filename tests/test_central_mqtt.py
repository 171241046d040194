"""The central service against a real Mosquitto with the project's own configuration."""

import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from broker.store.sqlite_store import SqliteStore
from contract.messages import Answer, CallEvent, CounterCommand, decode, encode
from tests.broker_fixtures import Mosquitto, Provisioned
from tests.central_fixtures import (
    CentralProcess,
    Device,
    Kiosk,
    assert_displays_show_the_central,
    wait_for_state,
)

# Services with no daily quota, so a thousand tickets are all allowed.
UNLIMITED = ["D", "E", "F", "G"]


def test_a_ticket_request_is_answered_and_a_repeat_gets_the_same_ticket(
    provisioned: Provisioned, central: CentralProcess
) -> None:
    kiosk = Kiosk(provisioned, "kiosk-1")
    try:
        first = kiosk.ask("req-1", "A")
        again = kiosk.ask("req-1", "A")
        second = kiosk.ask("req-2", "A")
    finally:
        kiosk.close()
    assert first.ticket is not None
    assert again.ticket is not None
    assert second.ticket is not None
    assert first.ticket.number == again.ticket.number == "A001"
    assert second.ticket.number == "A002"


def test_bad_input_is_answered_or_dropped_and_serving_goes_on(
    provisioned: Provisioned, central: CentralProcess
) -> None:
    kiosk = Kiosk(provisioned, "kiosk-1")
    try:
        topic = kiosk.request_topic
        for payload in (
            b"{not json",
            b'{"v": 1, "type": "issue", "id": "bad-1"}',
            b'{"v": 1, "type": "issue", "id": "bad-2", "service": "Z"}',
            b'{"v": 7, "type": "issue", "id": "bad-3", "service": "A"}',
            b"\xff" * 50_000,
        ):
            kiosk.client.publish(topic, payload, qos=1)
        missing_field = decode(kiosk.wait_for(kiosk.answer_topic, _has_id("bad-1")), Answer)
        unknown = decode(kiosk.wait_for(kiosk.answer_topic, _has_id("bad-2")), Answer)
        good = kiosk.ask("good-1", "A")
    finally:
        kiosk.close()
    assert (missing_field.ok, missing_field.reason) == (False, "bad_request")
    assert "service" in missing_field.message
    assert (unknown.ok, unknown.reason) == (False, "unknown_service")
    assert good.ticket is not None
    assert good.ticket.number == "A001"
    # The unknown version and the unreadable payloads were dropped with a log line each.
    log = central.log()
    assert "unsupported version v=7" in log
    assert log.count("dropped a message from kiosk kiosk-1") == 3
    assert central.is_running()


def test_a_call_reaches_the_display_as_an_event_and_in_the_retained_state(
    provisioned: Provisioned, central: CentralProcess
) -> None:
    topics = provisioned.topics
    kiosk = Kiosk(provisioned, "kiosk-1")
    display = Device(provisioned, "display-lobby", [topics.calls])
    counter = Device(provisioned, "counter-1", [topics.counter_answer(1)])
    try:
        kiosk.ask("req-1", "A")
        command = CounterCommand(id="cmd-1", action="call_next", clerk="siti")
        counter.client.publish(topics.counter_command(1), encode(command), qos=1)
        answer = decode(counter.wait_for(topics.counter_answer(1), _has_id("cmd-1")), Answer)
        call = decode(display.wait_for(topics.calls, lambda p: True), CallEvent)
    finally:
        for device in (kiosk, display, counter):
            device.close()
    assert answer.ticket is not None
    assert answer.ticket.number == "A001"
    assert (call.kind, call.number, call.counter, call.counter_name) == (
        "called",
        "A001",
        1,
        "Loket 1",
    )
    state = wait_for_state(provisioned, lambda s: s.counters[0].serving == "A001")
    assert state.recent[0].id == call.id
    assert next(s for s in state.services if s.prefix == "A").last_called == "A001"


def test_kill_9_of_the_central_under_load_loses_and_doubles_nothing(
    provisioned: Provisioned, central: CentralProcess
) -> None:
    # GIVEN four kiosk clients (two per kiosk) asking for 1,000 tickets in all
    load = Load([Kiosk(provisioned, kiosk) for kiosk in ("kiosk-1", "kiosk-2") * 2], 250)
    answers = load.answers
    # WHEN the central is killed -9 in the middle of it, then started again
    _wait(lambda: len(answers) >= 300)
    central.kill()
    time.sleep(0.5)
    central.start()
    clients = load.finish()
    # THEN every request got a ticket, and every answer to one request names the same
    assert len(answers) == 1000
    assert all(answer.ok and answer.ticket for answer in answers.values()), central.log()
    for kiosk in clients:
        seen: dict[str, str] = {}
        for answer in kiosk.answers():
            assert answer.ticket is not None
            assert seen.setdefault(answer.id, answer.ticket.number) == answer.ticket.number
    # AND the numbers are each service's 1..n with no gap and no double
    _assert_numbers_complete(answers)
    # AND every display shows the restarted central's state
    assert_displays_show_the_central(provisioned, central.db)
    # AND the store holds exactly one ticket per request
    central.stop()
    store = SqliteStore(central.db)
    try:
        day = store.saved_day()
        assert day is not None
        stored = sorted(ticket.number for ticket in store.tickets_of(day))
    finally:
        store.close()
    assert stored == sorted(a.ticket.number for a in answers.values() if a.ticket)


def test_mosquitto_restarted_under_load_the_central_reconnects_and_republishes(
    provisioned: Provisioned, mosquitto: Mosquitto, central: CentralProcess
) -> None:
    before = wait_for_state(provisioned, lambda state: True)
    load = Load([Kiosk(provisioned, kiosk) for kiosk in ("kiosk-1", "kiosk-2")], 100)
    answers = load.answers
    _wait(lambda: len(answers) >= 50)
    mosquitto.restart()
    load.finish()
    assert len(answers) == 200, central.log()
    _assert_numbers_complete(answers)
    # The central came back by itself and painted a newer state for the displays.
    after = wait_for_state(
        provisioned, lambda s: s.seq > before.seq and sum(x.waiting for x in s.services) == 200
    )
    assert after.seq > before.seq
    assert "lost Mosquitto" in central.log()
    assert_displays_show_the_central(provisioned, central.db)


class Load:
    """Kiosk clients each asking for `per_client` tickets, one after another, in threads."""

    def __init__(self, clients: list[Kiosk], per_client: int) -> None:
        self.clients = clients
        self.answers: dict[str, Answer] = {}
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._work, args=(index, kiosk, per_client))
            for index, kiosk in enumerate(clients)
        ]
        for thread in self._threads:
            thread.start()

    def _work(self, index: int, kiosk: Kiosk, count: int) -> None:
        for n in range(count):
            request_id = f"k{index}-{n}"
            answer = kiosk.ask(request_id, UNLIMITED[n % len(UNLIMITED)])
            with self._lock:
                self.answers[request_id] = answer

    def finish(self) -> list[Kiosk]:
        """Waits for every client to be done and disconnects them."""
        for thread in self._threads:
            thread.join(timeout=120)
        for kiosk in self.clients:
            kiosk.close()
        return self.clients


def _assert_numbers_complete(answers: dict[str, Answer]) -> None:
    numbers = [a.ticket.number for a in answers.values() if a.ticket is not None]
    assert len(numbers) == len(set(numbers)), "a number was given twice"
    per_service = Counter(number[0] for number in numbers)
    for prefix, count in per_service.items():
        expected = {f"{prefix}{n:03d}" for n in range(1, count + 1)}
        assert {n for n in numbers if n[0] == prefix} == expected, f"a gap in {prefix}"


def _has_id(request_id: str) -> Callable[[bytes], bool]:
    def test(payload: bytes) -> bool:
        try:
            return decode(payload, Answer).id == request_id
        except ValueError:
            return False

    return test


def _wait(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_central_started_before_mosquitto_waits_for_it(
    provisioned: Provisioned, tmp_path: Path
) -> None:
    # GIVEN the central starts at 7 a.m. while Mosquitto is not up yet
    central = CentralProcess(provisioned, tmp_path / "antre.sqlite3")
    central.start()
    broker = Mosquitto(provisioned.conf, provisioned.port, provisioned.directory)
    try:
        _wait(lambda: "cannot reach Mosquitto" in central.log(), timeout=10)
        # WHEN Mosquitto comes up
        broker.start()
        # THEN the central connects by itself and publishes the state
        state = wait_for_state(provisioned, lambda s: True)
        assert state.site == "samarinda"
        assert central.is_running()
    finally:
        central.kill()
        broker.stop()
