"""The counter console: choosing a counter, the clerk's actions, live updates."""

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from broker.engine.engine import Decision, QueueEngine
from broker.engine.tickets import Ticket, TicketState
from broker.queue_service import QueueService
from broker.requests import RequestHandler
from broker.store.sqlite_store import SqliteStore, StoreError
from broker.web.context import WebContext
from contract.clock import SimulatedClock
from contract.messages import TicketInfo
from contract.site import Site
from tests.conftest import at
from tests.web_fixtures import Login

JSON = "application/json"


def issue(ctx: WebContext, service: str = "A", *, priority: bool = False) -> Ticket:
    """A ticket from a kiosk, as a citizen takes it."""
    return issue_in(ctx.queue, service, priority=priority)


def issue_in(queue: QueueService, service: str = "A", *, priority: bool = False) -> Ticket:
    def issuing(engine: QueueEngine, now: dt.datetime) -> Decision:
        return engine.issue(service, now, priority=priority, actor="kiosk-1")

    decision = queue.run(issuing)
    assert decision.ticket is not None
    return decision.ticket


def act(client: FlaskClient, login: Login, number: int, action: str, **form: str) -> TestResponse:
    """What the page's script sends: a fetch asking for JSON, the token in a header."""
    return client.post(
        f"/counter/{number}/{action}",
        data=form,
        headers={"Accept": JSON, "X-CSRF-Token": login.csrf()},
    )


def answer(response: TestResponse) -> dict[str, Any]:
    body = response.get_json()
    assert isinstance(body, dict), response.get_data(as_text=True)
    return body


def ticket(ctx: WebContext, number: str) -> Ticket:
    return ctx.queue.read(lambda e: e.ticket(f"{e.day.isoformat()}/{number}"))


def serving_at(ctx: WebContext, counter: int) -> str | None:
    return ctx.queue.read(lambda e: e.counter(counter).current)


def serving_box(page: str) -> str:
    found = re.search(r'id="serving-number"[^>]*>([^<]*)<', page)
    assert found is not None
    return found.group(1).strip()


# -- choosing a counter ------------------------------------------------------------------


def test_a_clerk_is_offered_only_her_own_counters(client: FlaskClient, login: Login) -> None:
    # GIVEN siti, a clerk at counters 1 and 2
    login("siti")
    # WHEN she opens the counter list
    page = client.get("/counter/").get_data(as_text=True)
    # THEN it offers counters 1 and 2 and nothing else
    assert re.findall(r'href="/counter/(\d+)"', page) == ["1", "2"]
    assert "Paspor" in page


def test_a_manager_is_offered_every_counter(
    client: FlaskClient, login: Login, example_site: Site
) -> None:
    # GIVEN a manager and a counter that is serving someone
    login("manajer")
    # WHEN the manager opens the counter list
    page = client.get("/counter/").get_data(as_text=True)
    # THEN every counter of the site is there
    offered = re.findall(r'href="/counter/(\d+)"', page)
    assert offered == [str(c.number) for c in example_site.counters]


def test_the_counter_list_shows_who_is_served_and_who_pauses(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN counter 1 serving A001 and counter 2 paused
    issue(web_ctx)
    login("siti")
    act(client, login, 1, "call_next")
    act(client, login, 2, "pause")
    # WHEN siti opens the counter list
    page = client.get("/counter/").get_data(as_text=True)
    # THEN both states show
    assert "<strong>A001</strong>" in page
    assert "Loket sedang istirahat" in page


def test_a_page_of_the_console_needs_a_login(client: FlaskClient) -> None:
    response = client.get("/counter/1")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_clerk_opens_her_counter_and_no_other(client: FlaskClient, login: Login) -> None:
    # GIVEN siti, a clerk at counters 1 and 2
    login("siti")
    # WHEN she opens counter 1, budi's counter 3 and a counter that does not exist
    mine = client.get("/counter/1")
    theirs = client.get("/counter/3")
    nowhere = client.get("/counter/99")
    # THEN only her own opens
    assert mine.status_code == 200
    assert "Loket 1" in mine.get_data(as_text=True)
    assert theirs.status_code == 403
    assert client.get("/counter/3/events").status_code == 403
    assert nowhere.status_code == 404


def test_the_console_loads_its_script_and_token_without_inline_code(
    client: FlaskClient, login: Login
) -> None:
    login("siti")
    page = client.get("/counter/1").get_data(as_text=True)
    # The content security policy allows no inline script: only the file.
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/counter.js" defer>']
    assert f'<meta name="csrf-token" content="{login.csrf()}">' in page
    assert 'data-events="/counter/1/events"' in page
    script = client.get("/static/counter.js")
    assert script.status_code == 200
    assert b"EventSource" in script.data
    script.close()


# -- the clerk's actions -----------------------------------------------------------------


def test_a_kiosk_ticket_is_called_and_shows_as_served(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN a ticket issued at a kiosk
    issued = issue(web_ctx)
    assert issued.number == "A001"
    login("siti")
    # WHEN siti calls next at counter 1
    response = act(client, login, 1, "call_next")
    # THEN A001 is called to counter 1 and the console shows it served
    body = answer(response)
    assert response.status_code == 200
    assert body["ok"] is True
    assert body["reason"] is None
    assert body["message"] == "Nomor A001 dipanggil"
    assert body["ticket"]["number"] == "A001"
    assert body["ticket"]["state"] == "called"
    assert body["ticket"]["counter"] == 1
    assert body["live"]["serving"]["number"] == "A001"
    assert serving_at(web_ctx, 1) == issued.id
    page = client.get("/counter/1").get_data(as_text=True)
    assert serving_box(page) == "A001"
    assert "Paspor" in page


def test_the_action_is_recorded_as_the_clerk_at_the_counter(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    issue(web_ctx)
    login("siti")
    act(client, login, 1, "call_next")
    with sqlite3.connect(web_ctx.database) as db:
        actors = [row[0] for row in db.execute("SELECT actor FROM events WHERE kind = 'called'")]
    assert actors == ["web:siti@counter-1"]


def test_recall_counts_the_calls_again(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN A001 being served at counter 1
    issue(web_ctx)
    login("siti")
    act(client, login, 1, "call_next")
    # WHEN siti recalls it twice
    act(client, login, 1, "recall")
    body = answer(act(client, login, 1, "recall"))
    # THEN the ticket counts two recalls, still called, and the console says so
    assert body["ok"] is True
    assert body["message"] == "Nomor A001 dipanggil ulang"
    assert ticket(web_ctx, "A001").recalls == 2
    assert ticket(web_ctx, "A001").state is TicketState.CALLED
    page = client.get("/counter/1").get_data(as_text=True)
    assert '<strong id="serving-recalls-count">2</strong>' in page


def test_skip_then_bring_back_by_number(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN A001 and A002 waiting, A001 called and skipped (the citizen did not come)
    issue(web_ctx)
    issue(web_ctx)
    login("siti")
    act(client, login, 1, "call_next")
    skipped = answer(act(client, login, 1, "skip"))
    assert skipped["ticket"]["state"] == "skipped"
    assert serving_at(web_ctx, 1) is None
    page = client.get("/counter/1").get_data(as_text=True)
    assert 'class="skipped-number">A001<' in page
    # WHEN the citizen turns up and siti brings A001 back by its number
    back = answer(act(client, login, 1, "bring_back", ticket="a001"))
    # THEN it waits again at the head of the queue: the next call takes it before A002
    assert back["ok"] is True
    assert back["ticket"]["state"] == "waiting"
    assert (
        "skipped-number"
        not in client.get("/counter/1").get_data(as_text=True).split("<template")[0]
    )
    assert answer(act(client, login, 1, "call_next"))["ticket"]["number"] == "A001"


def test_bringing_back_a_ticket_that_was_not_skipped_is_refused(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    issue(web_ctx)
    login("siti")
    response = act(client, login, 1, "bring_back", ticket="A001")
    body = answer(response)
    assert response.status_code == 200
    assert body["ok"] is False
    assert body["reason"] == "not_skipped"
    assert body["message"] == "Nomor ini tidak dilewati"
    assert ticket(web_ctx, "A001").state is TicketState.WAITING


def test_transfer_to_another_service_keeps_the_number(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN A001 served at counter 1 (passports) who needs a driving licence (B)
    issue(web_ctx)
    login("siti")
    act(client, login, 1, "call_next")
    # WHEN siti transfers it to B
    body = answer(act(client, login, 1, "transfer", service="B"))
    # THEN it waits in B under its own number, and budi's counter 3 (B) calls it
    assert body["ok"] is True
    assert body["message"] == "Nomor A001 dialihkan ke Perpanjangan SIM"
    assert body["ticket"]["number"] == "A001"
    assert body["ticket"]["service"] == "B"
    assert body["ticket"]["state"] == "waiting"
    assert serving_at(web_ctx, 1) is None
    login("budi")
    called = answer(act(client, login, 3, "call_next"))
    assert called["ticket"]["number"] == "A001"


def test_transfer_without_a_service_is_a_bad_request(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    issue(web_ctx)
    login("siti")
    act(client, login, 1, "call_next")
    response = act(client, login, 1, "transfer")
    assert response.status_code == 400
    assert answer(response)["reason"] == "bad_request"
    assert ticket(web_ctx, "A001").state is TicketState.CALLED


def test_finish_closes_the_ticket_and_frees_the_counter(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    issue(web_ctx)
    login("siti")
    act(client, login, 1, "call_next")
    body = answer(act(client, login, 1, "finish"))
    assert body["ok"] is True
    assert body["ticket"]["state"] == "finished"
    assert ticket(web_ctx, "A001").state is TicketState.FINISHED
    assert serving_at(web_ctx, 1) is None
    assert serving_box(client.get("/counter/1").get_data(as_text=True)) == "Belum ada"


def test_call_next_with_nobody_waiting_says_the_queue_is_empty(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN an empty queue
    login("siti")
    # WHEN siti calls next
    response = act(client, login, 1, "call_next")
    # THEN it is refused in words, not with an error page
    body = answer(response)
    assert response.status_code == 200
    assert body == {
        "ok": False,
        "reason": "queue_empty",
        "message": "Tidak ada antrean yang menunggu",
        "ticket": None,
        "live": body["live"],
    }


def test_call_next_while_serving_the_last_one_finishes_it_and_says_empty(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN A001 served and nobody else waiting
    issue(web_ctx)
    login("siti")
    act(client, login, 1, "call_next")
    # WHEN siti presses call-next for the next citizen
    body = answer(act(client, login, 1, "call_next"))
    # THEN A001 is finished and she is told the queue is empty, as over MQTT
    assert body["ok"] is True
    assert body["reason"] == "queue_empty"
    assert body["message"] == "Tidak ada antrean yang menunggu"
    assert body["ticket"]["number"] == "A001"
    assert body["ticket"]["state"] == "finished"
    assert serving_at(web_ctx, 1) is None


def test_the_refusal_is_in_the_session_language(client: FlaskClient, login: Login) -> None:
    login("siti")
    client.post("/language", data={"lang": "en", "csrf_token": login.csrf(), "next": "/"})
    assert answer(act(client, login, 1, "call_next"))["message"] == "Nobody is waiting"


def test_a_paused_counter_calls_nobody_until_it_resumes(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN a waiting ticket and counter 1 paused
    issue(web_ctx)
    login("siti")
    paused = answer(act(client, login, 1, "pause"))
    assert paused["ok"] is True
    assert paused["live"]["paused"] is True
    # WHEN siti calls next
    refused = answer(act(client, login, 1, "call_next"))
    # THEN she is told the counter is paused and the ticket still waits
    assert refused["ok"] is False
    assert refused["reason"] == "counter_paused"
    assert refused["message"] == "Loket sedang istirahat"
    assert ticket(web_ctx, "A001").state is TicketState.WAITING
    page = client.get("/counter/1").get_data(as_text=True)
    assert re.search(r'<p id="paused-banner"[^>]*>', page)
    assert not re.search(r'<p id="paused-banner"[^>]*\bhidden\b', page)
    # AND after resuming, the call goes through
    assert answer(act(client, login, 1, "resume"))["ok"] is True
    assert answer(act(client, login, 1, "call_next"))["ticket"]["number"] == "A001"


def test_pausing_while_serving_is_refused(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    issue(web_ctx)
    login("siti")
    act(client, login, 1, "call_next")
    body = answer(act(client, login, 1, "pause"))
    assert body["ok"] is False
    assert body["reason"] == "counter_busy"
    assert web_ctx.queue.read(lambda e: e.counter(1).paused) is False


def test_an_unknown_action_is_not_found(client: FlaskClient, login: Login) -> None:
    login("siti")
    assert act(client, login, 1, "cancel").status_code == 404


# -- safety ------------------------------------------------------------------------------


def test_a_post_without_the_csrf_token_changes_nothing(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN a waiting ticket and siti logged in
    issue(web_ctx)
    login("siti")
    # WHEN a post to call next comes without the token (a forged form elsewhere)
    response = client.post("/counter/1/call_next", headers={"Accept": JSON})
    # THEN it is refused and nobody is called
    assert response.status_code == 400
    assert serving_at(web_ctx, 1) is None
    assert ticket(web_ctx, "A001").state is TicketState.WAITING


def test_a_clerk_cannot_act_at_another_counter(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN a waiting ticket and budi, a clerk at counter 3 only
    issue(web_ctx)
    login("budi")
    # WHEN budi posts call-next for counter 1
    response = act(client, login, 1, "call_next")
    # THEN he is refused and nothing changed
    assert response.status_code == 403
    assert serving_at(web_ctx, 1) is None
    assert ticket(web_ctx, "A001").state is TicketState.WAITING


def test_a_double_tap_calls_one_citizen(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN two waiting tickets
    issue(web_ctx)
    issue(web_ctx)
    login("siti")
    # WHEN the same post (same request id) arrives twice
    first = answer(act(client, login, 1, "call_next", request_id="tap-0123456789"))
    second = answer(act(client, login, 1, "call_next", request_id="tap-0123456789"))
    # THEN one ticket is called and both answers name it
    assert first["ticket"]["number"] == second["ticket"]["number"] == "A001"
    assert ticket(web_ctx, "A002").state is TicketState.WAITING
    assert ticket(web_ctx, "A001").state is TicketState.CALLED


def test_a_store_that_cannot_write_answers_unavailable(
    client: FlaskClient, login: Login, web_ctx: WebContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a waiting ticket and a disk that refuses to write
    issue(web_ctx)
    login("siti")

    def broken(*_: object, **__: object) -> None:
        raise StoreError("disk full")

    monkeypatch.setattr(web_ctx.queue._store, "save", broken)
    # WHEN siti calls next
    response = act(client, login, 1, "call_next")
    # THEN she is told the system has a fault, and nothing changed
    assert response.status_code == 503
    body = answer(response)
    assert body["ok"] is False
    assert body["reason"] == "unavailable"
    assert body["message"].startswith("Sistem antrean sedang gangguan")
    assert serving_at(web_ctx, 1) is None


def test_without_script_a_form_post_redirects_and_says_it_once(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN a waiting ticket and a browser without JavaScript
    issue(web_ctx)
    login("siti")
    # WHEN the call-next form is posted the ordinary way
    response = client.post(
        "/counter/1/call_next",
        data={"csrf_token": login.csrf()},
        headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )
    # THEN the browser goes back to the console, which says it once
    assert response.status_code == 302
    assert response.headers["Location"] == "/counter/1"
    page = client.get("/counter/1").get_data(as_text=True)
    assert "Nomor A001 dipanggil" in page
    assert serving_box(page) == "A001"
    assert "Nomor A001 dipanggil" not in client.get("/counter/1").get_data(as_text=True)


# -- live updates ------------------------------------------------------------------------


def first_event(response: TestResponse) -> dict[str, Any]:
    """The first server-sent event of an endless stream; the stream is closed after it."""
    chunks: Iterator[bytes] = iter(response.response)  # type: ignore[arg-type]
    try:
        chunk = next(chunks)
    finally:
        response.close()
    text = chunk.decode() if isinstance(chunk, bytes) else str(chunk)
    assert text.endswith("\n\n")
    data = "\n".join(line[len("data: ") :] for line in text.splitlines() if line)
    found = json.loads(data)
    assert isinstance(found, dict)
    return found


def test_the_event_stream_starts_with_the_served_ticket(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN A001 served at counter 1, A002 waiting
    issue(web_ctx)
    issue(web_ctx, priority=True)
    issue(web_ctx)
    login("siti")
    act(client, login, 1, "call_next")
    # WHEN the console's script opens the event stream
    response = client.get("/counter/1/events", buffered=False)
    # THEN it is an unbuffered event stream whose first event carries the state
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Accel-Buffering"] == "no"
    live = first_event(response)
    # (the priority ticket A002 is called first)
    assert live["serving"]["number"] == "A002"
    assert live["serving"]["priority"] is True
    assert live["paused"] is False
    assert live["services"] == [
        {
            "prefix": "A",
            "name": "Paspor (permohonan baru dan penggantian)",
            "waiting": 2,
            "reserved": [],
        }
    ]
    assert live["skipped"] == []


def test_the_console_names_the_numbers_kiosks_hold_in_reserve(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN kiosk-1 holds A001-A003 for an outage and a citizen took A004 online
    web_ctx.queue.run(lambda engine, now: engine.reserve("A", 3, now, actor="kiosk-1"))
    issue(web_ctx)
    # WHEN siti opens counter 1's console, whose first call will be A004
    login("siti")
    page = client.get("/counter/1").get_data(as_text=True)
    # THEN the gap is explained: A001-A003 are kiosk reserve numbers, not lost citizens
    assert "Nomor cadangan anjungan, belum dipakai" in page
    assert "A001, A002, A003" in page
    # AND once a kiosk printed one offline and handed it in, it is no longer listed
    printed_at = web_ctx.queue.now()
    web_ctx.queue.run(
        lambda engine, now: engine.issue_reserved(
            f"{engine.day.isoformat()}/A001", printed_at, now, actor="kiosk-1"
        )
    )
    live = first_event(client.get("/counter/1/events", buffered=False))
    assert live["services"][0]["reserved"] == ["A002", "A003"]


# -- the same rules as the MQTT side ------------------------------------------------------


def mqtt_command(
    handler: RequestHandler, counter: int, request_id: str, **fields: str
) -> dict[str, Any]:
    payload = json.dumps({"v": 1, "id": request_id, **fields}).encode()
    reply = handler.counter(str(counter), payload)
    assert reply.answer is not None
    shown = reply.answer.ticket
    return {
        "ok": reply.answer.ok,
        "reason": reply.answer.reason,
        "ticket": _essentials(shown) if shown else None,
    }


def _essentials(ticket: TicketInfo | dict[str, Any]) -> dict[str, Any]:
    fields = ("number", "service", "priority", "state", "counter", "ahead")
    if isinstance(ticket, TicketInfo):
        return {name: getattr(ticket, name) for name in fields}
    return {name: ticket[name] for name in fields}


SCENARIO: list[tuple[str, dict[str, str]]] = [
    ("call_next", {}),
    ("recall", {}),
    ("skip", {}),
    ("call_next", {}),
    ("transfer", {"service": "B"}),
    ("pause", {}),
    ("call_next", {}),
    ("resume", {}),
    ("bring_back", {"ticket": "A002"}),
    ("call_next", {}),
    ("finish", {}),
    ("finish", {}),
    ("call_next", {}),
    ("call_next", {}),
]


def test_the_web_and_the_mqtt_side_follow_the_same_rules(
    client: FlaskClient,
    login: Login,
    web_ctx: WebContext,
    example_site: Site,
    tmp_path: Path,
) -> None:
    # GIVEN two identical queues, one worked over MQTT and one from the web console
    store = SqliteStore(tmp_path / "mqtt.sqlite3")
    mqtt_queue = QueueService(example_site, store, SimulatedClock(at(9)))
    handler = RequestHandler(mqtt_queue)
    for queue in (mqtt_queue, web_ctx.queue):
        for priority in (False, True, False):
            issue_in(queue, priority=priority)
    login("siti")
    # WHEN the same clerk's actions are made on both
    for step, (action, fields) in enumerate(SCENARIO):
        over_mqtt = mqtt_command(handler, 1, f"step-{step}", action=action, **fields)
        body = answer(act(client, login, 1, action, **fields))
        from_web = {
            "ok": body["ok"],
            "reason": body["reason"],
            "ticket": _essentials(body["ticket"]) if body["ticket"] else None,
        }
        # THEN each answer is the same ...
        assert from_web == over_mqtt, f"step {step}: {action}"

    # ... and so is every ticket in the end
    def tickets(engine: QueueEngine) -> list[tuple[object, ...]]:
        return sorted(
            (t.number, t.service, t.state, t.counter, t.recalls, t.priority)
            for t in engine.tickets()
        )

    assert web_ctx.queue.read(tickets) == mqtt_queue.read(tickets)
    assert mqtt_queue.read(lambda e: e.counter(1)) == web_ctx.queue.read(lambda e: e.counter(1))
    store.close()
