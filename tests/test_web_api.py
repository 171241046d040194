"""The REST API: tokens, the same operations and answers as MQTT, the OpenAPI document."""

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from broker.web.context import WebContext
from tests.web_fixtures import Login

API = "/api/v1"


def token_of(web_ctx: WebContext, username: str) -> str:
    user = web_ctx.accounts.by_username(username)
    assert user is not None
    return web_ctx.accounts.new_token(user, "test")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(web_ctx: WebContext) -> dict[str, str]:
    return bearer(token_of(web_ctx, "admin"))


def body(response: TestResponse) -> dict[str, Any]:
    found = response.get_json()
    assert isinstance(found, dict), response.get_data(as_text=True)
    return found


# -- tokens ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/state"), ("post", "/tickets"), ("post", "/counters/1/commands")],
)
def test_no_token_no_answer(client: FlaskClient, method: str, path: str) -> None:
    # WHEN a call comes without a token
    response = getattr(client, method)(API + path, json={"service": "A"})
    # THEN it is a 401 in JSON, saying to use a bearer token
    assert response.status_code == 401
    assert body(response)["reason"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_or_disabled_token_is_refused(client: FlaskClient, web_ctx: WebContext) -> None:
    token = token_of(web_ctx, "budi")
    assert client.get(f"{API}/state", headers=bearer(token + "x")).status_code == 401
    assert client.get(f"{API}/state", headers={"Authorization": token}).status_code == 401
    assert client.get(f"{API}/state", headers=bearer(token)).status_code == 200
    budi = web_ctx.accounts.by_username("budi")
    assert budi is not None
    web_ctx.accounts.update(budi.id, name="Budi", role=budi.role, counters=[3], disabled=True)
    assert client.get(f"{API}/state", headers=bearer(token)).status_code == 401


def test_a_logged_in_browser_is_no_token(client: FlaskClient, login: Login) -> None:
    # GIVEN an admin logged in with a session cookie (the API skips the CSRF check)
    login("admin")
    # WHEN a page makes an API call with the cookie alone
    response = client.post(f"{API}/tickets", json={"service": "A"})
    # THEN it is refused: only a token counts
    assert response.status_code == 401


# -- issue, state, call -------------------------------------------------------------


def test_issue_then_state_then_call_next(
    client: FlaskClient, web_ctx: WebContext, admin: dict[str, str]
) -> None:
    # GIVEN an admin's token; WHEN it takes a ticket for A
    issued = client.post(f"{API}/tickets", json={"service": "A"}, headers=admin)
    # THEN 201 with the ticket as a kiosk prints it, issued by the API user
    assert issued.status_code == 201
    ticket = body(issued)
    assert ticket["id"] == "2026-11-30/A001"
    assert (ticket["number"], ticket["state"], ticket["counters"]) == ("A001", "waiting", [1, 2])
    assert ticket["url"].startswith("http://antre.local/t/")
    saved = web_ctx.queue.read(lambda engine: engine.ticket("2026-11-30/A001"))
    assert saved.issued_by == "api:admin"
    # AND the state shows one waiting for A, like the retained MQTT state
    state = body(client.get(f"{API}/state", headers=admin))
    assert state["v"] == 1
    assert (state["site"], state["day"]) == ("samarinda", "2026-11-30")
    assert state["at"].startswith("2026-11-30T09:00")
    waiting = {service["prefix"]: service["waiting"] for service in state["services"]}
    assert waiting["A"] == 1
    assert waiting["B"] == 0
    # WHEN counter 1 calls the next through the API
    called = client.post(f"{API}/counters/1/commands", json={"action": "call_next"}, headers=admin)
    # THEN it answers like the MQTT contract, with the ticket
    assert called.status_code == 200
    answer = body(called)
    assert (answer["v"], answer["ok"], answer["reason"]) == (1, True, None)
    assert answer["ticket"]["number"] == "A001"
    assert (answer["ticket"]["state"], answer["ticket"]["counter"]) == ("called", 1)
    after = body(client.get(f"{API}/state", headers=admin))
    assert after["seq"] > state["seq"]
    assert after["counters"][0] == {
        "number": 1,
        "name": "Loket 1",
        "paused": False,
        "serving": "A001",
        "service": "A",
    }
    assert after["recent"][0]["number"] == "A001"
    # AND the ticket can be read by id, by number and with the slash encoded
    for ticket_id in ("2026-11-30/A001", "A001", "2026-11-30%2FA001"):
        found = client.get(f"{API}/tickets/{ticket_id}", headers=admin)
        assert body(found)["state"] == "called", ticket_id


def test_a_repeated_request_id_issues_once(
    client: FlaskClient, web_ctx: WebContext, admin: dict[str, str]
) -> None:
    first = client.post(f"{API}/tickets", json={"service": "B", "id": "r-1"}, headers=admin)
    again = client.post(f"{API}/tickets", json={"service": "B", "id": "r-1"}, headers=admin)
    assert body(first)["number"] == body(again)["number"] == "B001"
    assert web_ctx.queue.read(lambda engine: engine.waiting_count("B")) == 1


def test_a_clerk_token_works_only_at_her_counters(
    client: FlaskClient, web_ctx: WebContext, admin: dict[str, str]
) -> None:
    client.post(f"{API}/tickets", json={"service": "A"}, headers=admin)
    budi = bearer(token_of(web_ctx, "budi"))  # counter 3 only
    siti = bearer(token_of(web_ctx, "siti"))  # counters 1 and 2
    # WHEN budi's token calls at counter 1
    refused = client.post(f"{API}/counters/1/commands", json={"action": "call_next"}, headers=budi)
    # THEN 403, and the ticket still waits
    assert refused.status_code == 403
    assert body(refused)["reason"] == "forbidden"
    assert web_ctx.queue.read(lambda engine: engine.waiting_count("A")) == 1
    # AND siti's token may
    done = client.post(f"{API}/counters/1/commands", json={"action": "call_next"}, headers=siti)
    assert body(done)["ticket"]["number"] == "A001"


def test_an_unknown_service_is_refused_in_the_contract_shape(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    response = client.post(f"{API}/tickets", json={"service": "Z"}, headers=admin)
    assert response.status_code == 422
    assert body(response) == {
        "ok": False,
        "reason": "unknown_service",
        "message": "Layanan tidak dikenal",
        "message_en": "Unknown service",
    }


def test_refusals_by_the_rules_are_409(client: FlaskClient, admin: dict[str, str]) -> None:
    # Nobody waits: counter 1 has nothing to call.
    empty = client.post(f"{API}/counters/1/commands", json={"action": "call_next"}, headers=admin)
    assert empty.status_code == 409
    answer = body(empty)
    assert (answer["ok"], answer["reason"], answer["ticket"]) == (False, "queue_empty", None)
    # A transfer needs a target, as over MQTT.
    transfer = client.post(f"{API}/counters/1/commands", json={"action": "transfer"}, headers=admin)
    assert transfer.status_code == 400
    assert body(transfer)["reason"] == "bad_request"


def test_unknown_counters_and_tickets_are_404(client: FlaskClient, admin: dict[str, str]) -> None:
    counter = client.post(f"{API}/counters/99/commands", json={"action": "pause"}, headers=admin)
    assert counter.status_code == 404
    assert body(counter)["reason"] == "unknown_counter"
    ticket = client.get(f"{API}/tickets/2026-11-30/A999", headers=admin)
    assert ticket.status_code == 404
    assert body(ticket)["reason"] == "unknown_ticket"
    route = client.get(f"{API}/nothing/here", headers=admin)
    assert route.status_code == 404
    assert body(route)["reason"] == "not_found"


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/tickets", b"{not json"),
        ("/tickets", b""),
        ("/tickets", b"[1, 2]"),
        ("/tickets", b'{"priority": true}'),
        ("/tickets", b'{"service": "a"}'),
        ("/tickets", b'{"service": "A", "priority": "ya"}'),
        ("/counters/1/commands", b"{not json"),
        ("/counters/1/commands", b'{"action": "dance"}'),
        ("/counters/1/commands", b"{}"),
    ],
)
def test_a_malformed_body_is_a_400_with_a_message(
    client: FlaskClient, admin: dict[str, str], path: str, payload: bytes
) -> None:
    response = client.post(API + path, data=payload, headers=admin, content_type="application/json")
    assert response.status_code == 400
    found = body(response)
    assert (found["ok"], found["reason"]) == (False, "bad_request")
    assert found["message"].startswith("Permintaan tidak valid: ")
    assert len(found["message"]) > len("Permintaan tidak valid: ")


def test_a_body_over_the_limit_is_refused_in_json(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    payload = json.dumps({"service": "A", "pad": "x" * 70_000})
    response = client.post(
        f"{API}/tickets", data=payload, headers=admin, content_type="application/json"
    )
    assert response.status_code == 413
    assert body(response)["ok"] is False


# -- the OpenAPI document -------------------------------------------------------------


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_the_openapi_document_describes_every_route(client: FlaskClient, app: Flask) -> None:
    # WHEN anyone asks for the document (no token needed)
    response = client.get(f"{API}/openapi.json")
    # THEN it is OpenAPI 3.1 JSON
    assert response.status_code == 200
    document = json.loads(response.get_data(as_text=True))
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    # AND every route of the blueprint is there with its methods
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule): (rule.methods or set())
        - {"HEAD", "OPTIONS"}
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.not_found"
    }
    assert len(routes) == 6
    for path, methods in routes.items():
        assert path in document["paths"], path
        assert set(document["paths"][path]) == {m.lower() for m in methods}
    assert set(document["paths"]) == set(routes)
    # AND every reference resolves, every operation answers something
    for ref in _refs(document):
        name = ref.removeprefix("#/components/")
        section, _, key = name.partition("/")
        assert key in document["components"][section], ref
    for path, operations in document["paths"].items():
        for operation in operations.values():
            assert operation["responses"], path
            params = {p["name"] for p in operation.get("parameters", [])}
            assert params == set(re.findall(r"{(\w+)}", path)), path
    # AND the contract's schemas come from msgspec, in JSON Schema 2020-12 form
    answer = document["components"]["schemas"]["Answer"]
    assert answer["properties"]["reason"]["anyOf"] == [{"type": "string"}, {"type": "null"}]
    assert "definitions" not in json.dumps(document)
