"""The fault suite of issue 8: each fault, then the same questions afterwards.

Was a ticket lost? Was a number given twice? Does every display show the central's
state (`assert_displays_show_the_central`: each display user's latest retained state
against the waiting tickets and the counters as the central saved them)?

Where each fault is tested:

- kill -9 of the central during a burst from four kiosk clients, then a restart:
  test_central_mqtt.py, test_kill_9_of_the_central_under_load_loses_and_doubles_nothing
- Mosquitto restarted during a burst:
  test_central_mqtt.py, test_mosquitto_restarted_under_load_the_central_reconnects_and_...
- a kiosk cut off from Mosquitto for a minute while citizens keep pressing (the rest of
  the mall goes on; it prints reserved numbers and hands them in when it is back):
  test_kiosk.py, test_a_kiosk_cut_off_for_a_minute_keeps_printing_and_loses_nothing;
  and with Mosquitto down: test_with_the_broker_down_a_reserved_number_is_...
- a kiosk killed (-9) between publishing its request and printing:
  test_kiosk.py, test_a_kiosk_killed_between_publish_and_print_prints_the_same_ticket_once
- the central's disk full: here, through the queue service, through MQTT (a central in
  this process on the real Mosquitto) and through the web console and the API. SQLite's
  `PRAGMA max_page_count` stands in for the full disk: a write fails exactly as on a full
  disk ("database or disk is full"), without a filesystem to fill;
- MQTT fuzzing: here, thousands of random and malformed payloads from every device user
  on every topic it may write, against the central as a process;
- web fuzzing: test_web_fuzz.py, random form posts to every POST route (without, with a
  wrong and with the right CSRF token, as nobody, a clerk and an admin) and random calls
  to every API operation, generated from the API's own OpenAPI document.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from broker.central import Central
from broker.queue_service import QueueService
from broker.requests import RequestHandler
from broker.store.sqlite_store import SqliteStore
from broker.web.context import WebContext
from contract.clock import SimulatedClock
from contract.messages import (
    Answer,
    BadMessage,
    CounterCommand,
    IssueTicket,
    decode,
    decode_kiosk_request,
    encode,
)
from contract.site import Site
from tests.broker_fixtures import BrokerClient, Mosquitto, MqttClients, Provisioned
from tests.central_fixtures import (
    CentralProcess,
    Kiosk,
    assert_displays_show_the_central,
    wait_for_state,
)
from tests.conftest import at
from tests.fault_fixtures import (
    UNAVAILABLE_ID,
    assert_numbered_once,
    assert_unavailable,
    csrf_token,
    fill_the_disk,
    free_the_disk,
    log_in_as,
    mutated,
    random_json,
    stored,
    stored_tickets,
)

# -- the central's disk full -------------------------------------------------------------


def test_a_full_disk_refuses_with_a_clear_reason_changes_nothing_and_recovers(
    tmp_path: Path, example_site: Site
) -> None:
    db = tmp_path / "antre.sqlite3"
    store = SqliteStore(db)
    try:
        service = QueueService(example_site, store, SimulatedClock(at(9)))
        handler = RequestHandler(service)

        def press(request_id: str, prefix: str = "D") -> Answer:
            reply = handler.kiosk("kiosk-1", encode(IssueTicket(id=request_id, service=prefix)))
            assert reply.answer is not None
            return reply.answer

        for n, prefix in enumerate("AADD"):
            assert press(f"before-{n}", prefix).ok
        # GIVEN the central's disk fills up
        fill_the_disk(store)
        # WHEN citizens keep pressing (the first may still fit in the file's last page)
        for n in range(500):
            saved = stored(db)
            refused = press(f"full-{n}")
            if not refused.ok:
                break
        # THEN the kiosk is told why, in words, and nothing stored changed
        assert_unavailable(refused)
        assert stored(db) == saved
        # AND a counter's call is refused alike, changing nothing
        call = handler.counter("1", encode(CounterCommand(id="call-1", action="call_next")))
        assert call.answer is not None
        assert_unavailable(call.answer)
        assert stored(db) == saved
        # AND the queue in memory is still what is on disk
        fresh = SqliteStore(db)
        try:
            on_disk = sorted((t.id, t.state) for t in fresh.tickets_of(service.engine.day))
        finally:
            fresh.close()
        assert sorted((t.id, t.state) for t in service.engine.tickets()) == on_disk
        # WHEN space returns, the refused press is made again, then another
        free_the_disk(store)
        again, after = press(f"full-{n}"), press("after-1")
        # THEN they get the next numbers: none lost, none twice
        saved_d = [row for row in saved[0] if row[3] == "D"]
        assert again.ticket is not None
        assert after.ticket is not None
        assert again.ticket.number == f"D{len(saved_d) + 1:03d}"
        assert after.ticket.number == f"D{len(saved_d) + 2:03d}"
        assert handler.counter("1", encode(CounterCommand(id="call-2", action="call_next"))).answer
        assert_numbered_once(db)
    finally:
        store.close()


def test_a_full_disk_through_mqtt_is_refused_and_every_display_keeps_the_truth(
    provisioned: Provisioned, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    """The central in this process (so its store can be filled) on the real Mosquitto."""
    site = provisioned.site
    db = tmp_path / "antre.sqlite3"
    store = SqliteStore(db)
    clock = SimulatedClock(at(9))
    service = QueueService(site, store, clock)
    central = Central(site, service, provisioned.credentials["central"], clock=clock)
    serving = threading.Thread(target=central.serve, daemon=True)
    serving.start()
    kiosk: Kiosk | None = None
    try:
        wait_for_state(provisioned, lambda state: True)
        kiosk = Kiosk(provisioned, "kiosk-1")
        assert kiosk.ask("before-1", "D").ok
        # GIVEN the disk fills up (under the queue's lock: the central may be working)
        service.read(lambda engine: fill_the_disk(store))
        # WHEN citizens keep pressing
        for n in range(500):
            saved = stored(db)
            refused = kiosk.ask(f"full-{n}", "D")
            if not refused.ok:
                break
        # THEN the kiosk is told why, nothing stored changed, and the displays show what
        # was saved, nothing more
        assert_unavailable(refused)
        assert stored(db) == saved
        assert_displays_show_the_central(provisioned, db)
        # AND once space returns the next press gets the next number
        service.read(lambda engine: free_the_disk(store))
        after = kiosk.ask("after-full", "D")
        assert after.ticket is not None
        assert after.ticket.number == f"D{len(saved[0]) + 1:03d}"
        assert_numbered_once(db)
        assert_displays_show_the_central(provisioned, db)
    finally:
        if kiosk is not None:
            kiosk.close()
        central.stop()
        serving.join(timeout=10)
        store.close()


def test_a_full_disk_through_the_api_and_the_console_is_a_503_saying_why(
    client: FlaskClient, web_ctx: WebContext
) -> None:
    admin = web_ctx.accounts.by_username("admin")
    assert admin is not None
    headers = {"Authorization": f"Bearer {web_ctx.accounts.new_token(admin, 'test')}"}
    assert client.post("/api/v1/tickets", json={"service": "A"}, headers=headers).status_code == 201
    log_in_as(client, "siti")
    store: SqliteStore = web_ctx.queue._store
    fill_the_disk(store)
    for n in range(500):
        before = stored_tickets(web_ctx.database)
        response = client.post(
            "/api/v1/tickets", json={"service": "D", "id": f"api-{n}"}, headers=headers
        )
        if response.status_code != 201:
            break
    assert response.status_code == 503
    problem = response.get_json()
    assert (problem["reason"], problem["message"]) == ("unavailable", UNAVAILABLE_ID)
    assert stored_tickets(web_ctx.database) == before
    console = client.post(
        "/counter/1/call_next",
        data={"csrf_token": csrf_token(client) or ""},
        headers={"Accept": "application/json"},
    )
    assert console.status_code == 503
    assert console.get_json()["reason"] == "unavailable"
    assert stored_tickets(web_ctx.database) == before
    free_the_disk(store)
    response = client.post(
        "/api/v1/tickets", json={"service": "D", "id": f"api-{n}"}, headers=headers
    )
    assert response.status_code == 201
    assert_numbered_once(web_ctx.database)


# -- MQTT fuzzing ------------------------------------------------------------------------

VALID_KIOSK: list[dict[str, Any]] = [
    {"v": 1, "type": "issue", "id": "k-1", "service": "A", "priority": False},
    {"v": 1, "type": "cancel", "id": "k-2", "ticket": "2026-11-30/A001", "reason": "paper out"},
    {"v": 1, "type": "reserve", "id": "k-3", "service": "B", "count": 3},
    {
        "v": 1,
        "type": "issue_offline",
        "id": "k-4",
        "ticket": "2026-11-30/A031",
        "issued_at": "2026-11-30T10:02:11+08:00",
        "priority": False,
    },
]
VALID_COUNTER: list[dict[str, Any]] = [
    {"v": 1, "id": "c-1", "action": "call_next", "clerk": "siti"},
    {"v": 1, "id": "c-2", "action": "transfer", "service": "B"},
    {"v": 1, "id": "c-3", "action": "bring_back", "ticket": "A001"},
    {"v": 1, "id": "c-4", "action": "skip"},
]
VALID_STATUS: list[dict[str, Any]] = [
    {
        "v": 1,
        "device": "kiosk-1",
        "state": "online",
        "version": "0.1.0",
        "at": "2026-11-30T00:55:02+00:00",
        "health": {"printer": "ok", "outbox": 0},
    }
]


def fuzz_payload(rng: random.Random, examples: list[dict[str, Any]]) -> bytes:
    """One payload nobody should send: noise, broken JSON, wrong fields, too big."""
    what = rng.random()
    if what < 0.1:
        return rng.randbytes(rng.randint(0, 300))
    if what < 0.15:
        return b""
    if what < 0.25:
        text = json.dumps(rng.choice(examples))
        return text[: rng.randint(0, len(text) - 1)].encode()
    if what < 0.3:
        padding = "x" * rng.randint(8 * 1024, 20 * 1024)
        return json.dumps({**rng.choice(examples), "padding": padding}).encode()
    if what < 0.33:
        depth = rng.randint(200, 3000)
        return b"[" * depth + b"]" * depth
    if what < 0.36:
        # Not UTF-8 inside a string, a NaN, a duplicate key.
        return rng.choice(
            [
                b'{"v": 1, "id": "\xff\xfe", "type": "issue", "service": "A"}',
                b'{"v": NaN, "id": "n", "type": "issue", "service": "A"}',
                b'{"v": 1, "v": 2, "id": "d", "type": "issue", "service": "A"}',
            ]
        )
    if what < 0.45:
        return json.dumps(random_json(rng)).encode()
    return json.dumps(mutated(rng, rng.choice(examples)), ensure_ascii=rng.random() < 0.5).encode(
        "utf-8", "surrogatepass"
    )


def _valid_kiosk_request(payload: bytes) -> bool:
    try:
        decode_kiosk_request(payload)
    except BadMessage:
        return False
    return True


def _valid_command(payload: bytes) -> bool:
    try:
        decode(payload, CounterCommand)
    except BadMessage:
        return False
    return True


def invalid_payloads(
    rng: random.Random, examples: list[dict[str, Any]], count: int, valid: Callable[[bytes], bool]
) -> list[bytes]:
    """`count` payloads the contract refuses (a valid one drawn by chance is drawn again)."""
    found: list[bytes] = []
    while len(found) < count:
        payload = fuzz_payload(rng, examples)
        if not valid(payload):
            found.append(payload)
    return found


def _answers_until(client: BrokerClient, topic: str, last_id: str) -> list[Answer]:
    """Every answer on `topic` up to and with the one to `last_id`."""
    answers = []
    while True:
        message = client.next_message(timeout=60)
        if message.topic != topic:
            continue
        answer = decode(bytes(message.payload), Answer)
        answers.append(answer)
        if answer.id == last_id:
            return answers


def _flood(client: BrokerClient, topic: str, payloads: list[bytes], rng: random.Random) -> None:
    """Publishes them all at QoS 1 and waits until Mosquitto has every one."""
    infos = [
        client.publish(topic, payload, qos=1, retain=rng.random() < 0.2 and "/status/" in topic)
        for payload in payloads
    ]
    for info in infos:
        info.wait_for_publish(timeout=60)
        assert info.is_published()


def test_thousands_of_malformed_mqtt_payloads_crash_nothing_and_change_nothing(
    provisioned: Provisioned, central: CentralProcess, mqtt_clients: MqttClients
) -> None:
    rng = random.Random(20261130)
    topics = provisioned.topics
    site = provisioned.site
    # GIVEN a queue with tickets waiting and counter 1 serving one
    kiosk = Kiosk(provisioned, "kiosk-1")
    try:
        for n, prefix in enumerate("AAABD"):
            assert kiosk.ask(f"valid-{n}", prefix).ok
    finally:
        kiosk.close()
    counter_1 = mqtt_clients(provisioned, "counter-1")
    counter_1.subscribe_and_wait(topics.counter_answer(1))
    counter_1.publish(
        topics.counter_command(1), encode(CounterCommand(id="call", action="call_next")), qos=1
    )
    (called,) = _answers_until(counter_1, topics.counter_answer(1), "call")
    assert called.ticket is not None
    assert called.ticket.number == "A001"
    before = stored(central.db)
    # WHEN every device user floods every topic it may write with garbage: the displays'
    # and the devices' status topics first, then the kiosks' requests and the counters'
    # commands, each device ending with one good request, answered only after the rest
    sent = 0
    for display in site.displays:
        client = mqtt_clients(provisioned, display.id)
        payloads = invalid_payloads(rng, VALID_STATUS, 20, lambda p: False)
        _flood(client, topics.status(display.id), payloads, rng)
        sent += len(payloads)
    kiosks: dict[str, BrokerClient] = {}
    for config in site.kiosks:
        client = mqtt_clients(provisioned, config.id)
        client.subscribe_and_wait(topics.kiosk_answer(config.id))
        _flood(
            client,
            topics.status(config.id),
            invalid_payloads(rng, VALID_STATUS, 20, lambda p: False),
            rng,
        )
        payloads = invalid_payloads(rng, VALID_KIOSK, 700, _valid_kiosk_request)
        _flood(client, topics.kiosk_request(config.id), payloads, rng)
        sent += len(payloads) + 20
        kiosks[config.id] = client
    counters: dict[int, BrokerClient] = {1: counter_1}
    for counter in site.counters:
        number = counter.number
        client = counters.get(number) or mqtt_clients(provisioned, f"counter-{number}")
        if number != 1:
            client.subscribe_and_wait(topics.counter_answer(number))
        status = invalid_payloads(rng, VALID_STATUS, 10, lambda p: False)
        _flood(client, topics.status(f"counter-{number}"), status, rng)
        payloads = invalid_payloads(rng, VALID_COUNTER, 30, _valid_command)
        _flood(client, topics.counter_command(number), payloads, rng)
        sent += len(payloads) + len(status)
        counters[number] = client
    assert sent > 2000
    for kiosk_id, client in kiosks.items():
        client.publish(
            topics.kiosk_request(kiosk_id), encode(IssueTicket(id="last", service="D")), qos=1
        )
    for number, client in counters.items():
        # Resuming an open counter is refused and changes nothing: a sentinel.
        client.publish(
            topics.counter_command(number),
            encode(CounterCommand(id="last", action="resume")),
            qos=1,
        )
    # THEN every fuzzed payload with a readable id was refused as a bad request
    issued = []
    for kiosk_id, client in kiosks.items():
        *refused, last = _answers_until(client, topics.kiosk_answer(kiosk_id), "last")
        assert len(refused) > 50  # the rest had no readable id: dropped, as documented
        assert {(a.ok, a.reason) for a in refused} <= {(False, "bad_request")}
        assert last.ok
        assert last.ticket is not None
        issued.append(last.ticket.id)
    for number, client in counters.items():
        *refused, last = _answers_until(client, topics.counter_answer(number), "last")
        assert {(a.ok, a.reason) for a in refused} <= {(False, "bad_request")}
        assert (last.ok, last.reason) == (False, "counter_not_paused")
    # AND the central never faltered
    assert central.is_running()
    assert "could not handle a message" not in central.log()
    # AND the stored tickets are exactly those the valid requests made
    tickets, counter_rows, events = stored(central.db)
    assert [row for row in tickets if row[0] not in issued] == before[0]
    assert sorted(row[0] for row in tickets if row[0] in issued) == sorted(issued)
    assert counter_rows == before[1]
    assert events == before[2] + len(issued)
    assert_numbered_once(central.db)
    # AND a good command still works, and every display shows the central's state
    counter_1.publish(
        topics.counter_command(1), encode(CounterCommand(id="again", action="call_next")), qos=1
    )
    (again,) = [
        a for a in _answers_until(counter_1, topics.counter_answer(1), "again") if a.id == "again"
    ]
    assert again.ticket is not None
    assert again.ticket.number == "A002"
    assert_displays_show_the_central(provisioned, central.db)
