"""Web fuzzing (issue 8's fault suite, `test_faults.py`): random form posts to every POST
route (without, with a wrong and with the right CSRF token, as nobody, a clerk and an
admin) and random calls to every API operation, generated from the API's own OpenAPI
document. Nothing crashes, and no ticket changes unless the persona may change it."""

from __future__ import annotations

import datetime as dt
import functools
import json
import random
import re
import string
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from broker.engine.engine import Decision, QueueEngine
from broker.web.context import WebContext
from contract.site import Site
from tests.fault_fixtures import (
    WEIRD_STRINGS,
    assert_numbered_once,
    csrf_token,
    log_in_as,
    mutated,
    random_json,
    stored_tickets,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "broker" / "web" / "templates"


PERSONAS = ("nobody", "siti", "admin")


def _form_fields() -> list[str]:
    """Every form field name the console's templates use."""
    names = set()
    for template in TEMPLATES.glob("*.html"):
        names.update(re.findall(r'name="([A-Za-z0-9_\-]+)"', template.read_text(encoding="utf-8")))
    return sorted(names)


def _random_text(rng: random.Random) -> str:
    return rng.choice(
        [*WEIRD_STRINGS, "".join(rng.choices(string.printable, k=rng.randint(0, 40))), "on", "1"]
    )


def _fill_path(rng: random.Random, rule: str, site: Site) -> str:
    def value(match: re.Match[str]) -> str:
        converter = match.group(1) or ""
        if converter.startswith("int"):
            return str(rng.choice([0, 1, 2, 3, 26, 27, 99999, rng.randint(1, 30)]))
        choices = [
            "call_next",
            "recall",
            "skip",
            "finish",
            "transfer",
            "pause",
            "resume",
            "bring_back",
            *[s.prefix for s in site.services[:3]],
            *WEIRD_STRINGS[:8],
        ]
        return urllib.parse.quote(rng.choice(choices), safe="") or "x"

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", value, rule)


def _issue(prefix: str, engine: QueueEngine, now: dt.datetime) -> Decision:
    return engine.issue(prefix, now)


@pytest.fixture
def queue_with_tickets(web_ctx: WebContext) -> WebContext:
    for prefix in "AAABBD":
        web_ctx.queue.run(functools.partial(_issue, prefix))
    web_ctx.queue.run(lambda engine, now: engine.call_next(1, now))
    return web_ctx


def test_random_form_posts_to_every_route_crash_nothing_and_change_no_ticket_unless_allowed(
    app: Flask, queue_with_tickets: WebContext
) -> None:
    rng = random.Random(8)
    ctx = queue_with_tickets
    site = ctx.site
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or set()) and not rule.rule.startswith("/api/")
    ]
    assert len(rules) >= 6
    fields = _form_fields()
    clients = {persona: app.test_client() for persona in PERSONAS}
    for persona in ("siti", "admin"):
        assert log_in_as(clients[persona], persona)
    changed_by_valid_calls = 0
    for n in range(400):
        persona = rng.choice(PERSONAS)
        client = clients[persona]
        if n % 100 == 99 and persona != "nobody":
            log_in_as(client, persona)  # the fuzzing may have logged it out
        if rng.random() < 0.3:
            # A counter's action, most of them well formed: the calls that may change tickets.
            action = rng.choice(["call_next", "recall", "skip", "finish", "pause", "resume"])
            path = f"/counter/{rng.choice([1, 2, 3])}/{action}"
        else:
            path = _fill_path(rng, rng.choice(rules).rule, site)
        data = {rng.choice(fields): _random_text(rng) for _ in range(rng.randint(0, 6))}
        if rng.random() < 0.2:
            data[_random_text(rng) or "k"] = _random_text(rng)
        token = rng.choice(["none", "wrong", "right"])
        data.pop("csrf_token", None)
        if token == "right":
            data["csrf_token"] = csrf_token(client) or "none-yet"
        elif token == "wrong":
            data["csrf_token"] = _random_text(rng)
        headers = {"Accept": "application/json"} if rng.random() < 0.3 else {}
        match = re.fullmatch(r"/counter/(\d+)/(\w+)", path)
        user = ctx.accounts.by_username(persona)
        may_act = (
            match is not None
            and user is not None
            and not user.disabled
            and user.may_use_counter(int(match.group(1)))
        )
        before = stored_tickets(ctx.database)
        response = client.post(path, data=data, headers=headers)
        what = f"POST {path} as {persona}, {token} CSRF, {data!r}: {response.status_code}"
        assert response.status_code < 500, what
        if token != "right":
            assert response.status_code == 400, what
        after = stored_tickets(ctx.database)
        if after != before:
            # Only an action at a counter the user may work, with the right token.
            assert token == "right", what
            assert may_act, what
            changed_by_valid_calls += 1
    assert changed_by_valid_calls > 0
    assert_numbered_once(ctx.database)


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def from_schema(rng: random.Random, schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A value the JSON schema allows (most of the time: a few keywords are not read)."""
    schema = _resolve(schema, components)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return from_schema(rng, rng.choice(schema[key]), components)
    if "enum" in schema:
        return rng.choice(schema["enum"])
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = rng.choice(kind)
    if kind == "object":
        required = set(schema.get("required", []))
        return {
            name: from_schema(rng, sub, components)
            for name, sub in schema.get("properties", {}).items()
            if name in required or rng.random() < 0.6
        }
    if kind == "array":
        return [
            from_schema(rng, schema.get("items", {}), components) for _ in range(rng.randint(0, 3))
        ]
    if kind == "string":
        pattern = re.fullmatch(r"\^\[A-Z\]\{(\d+),(\d+)\}\$", schema.get("pattern", ""))
        if pattern:
            low, high = int(pattern.group(1)), int(pattern.group(2))
            return "".join(rng.choices(string.ascii_uppercase[:26], k=rng.randint(low, high)))
        low = schema.get("minLength", 0)
        high = schema.get("maxLength", low + 12)
        return "".join(
            rng.choices(
                string.ascii_letters + string.digits + "-_", k=rng.randint(low, min(high, low + 30))
            )
        )
    if kind == "integer":
        low = schema.get("minimum", -5)
        return rng.randint(low, schema.get("maximum", low + 30))
    if kind == "number":
        return rng.uniform(-10, 10)
    if kind == "boolean":
        return rng.random() < 0.5
    return None


def _path_value(rng: random.Random, parameter: dict[str, Any], components: dict[str, Any]) -> str:
    if rng.random() < 0.2:
        return rng.choice(["-1", "abc", "0", "1.5", "%00", "A001", "2026-11-30%2FA001", "🎫"])
    value = from_schema(rng, parameter.get("schema", {}), components)
    if parameter["name"] == "ticket_id" and rng.random() < 0.5:
        value = f"{rng.choice('ABD')}{rng.randint(1, 4):03d}"
    return urllib.parse.quote(str(value), safe="")


def test_random_api_calls_from_the_openapi_document_answer_as_documented(
    client: FlaskClient, queue_with_tickets: WebContext
) -> None:
    rng = random.Random(9)
    ctx = queue_with_tickets
    document = client.get("/api/v1/openapi.json").get_json()
    components = document["components"]["schemas"]
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]
    assert {operation["operationId"] for _, _, operation in operations} >= {
        "getState",
        "issueTicket",
        "getTicket",
        "counterCommand",
    }
    tokens = {}
    for username in ("admin", "budi"):
        user = ctx.accounts.by_username(username)
        assert user is not None
        tokens[username] = ctx.accounts.new_token(user, "fuzz")
    changed = 0
    for _ in range(600):
        template, method, operation = rng.choice(operations)
        path = template
        for parameter in operation.get("parameters", []):
            value = _path_value(rng, parameter, components)
            path = path.replace("{" + parameter["name"] + "}", value)
        body: bytes | None = None
        if "requestBody" in operation:
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            draw = rng.random()
            if draw < 0.5:
                body = json.dumps(from_schema(rng, schema, components)).encode()
            elif draw < 0.8:
                valid = from_schema(rng, schema, components)
                body = json.dumps(mutated(rng, valid if isinstance(valid, dict) else {})).encode()
            elif draw < 0.9:
                body = json.dumps(random_json(rng)).encode()
            else:
                body = rng.choice([b"", b"{", rng.randbytes(rng.randint(1, 200)), b"[" * 500])
        who = rng.choice(["admin", "budi", "bogus", "none"])
        headers = {}
        if who in tokens:
            headers["Authorization"] = f"Bearer {tokens[who]}"
        elif who == "bogus":
            headers["Authorization"] = rng.choice(["Bearer nope", "Basic abc", "Bearer", "x"])
        before = stored_tickets(ctx.database)
        response = client.open(
            path, method=method.upper(), data=body, headers=headers, content_type="application/json"
        )
        status = response.status_code
        what = f"{method.upper()} {path} as {who}, body {body[:200] if body else body!r}: {status}"
        documented = set(operation["responses"])
        assert str(status) in documented, what
        assert status < 500 or (status == 503 and "503" in documented), what
        found = response.get_json(silent=True)
        assert isinstance(found, dict), what
        if status >= 400:
            assert found.get("reason"), what
            assert "message" in found, what
        after = stored_tickets(ctx.database)
        if after != before:
            # Only a ticket taken (201) or a counter command carried out (200) changes one.
            assert (operation["operationId"], status) in {
                ("issueTicket", 201),
                ("counterCommand", 200),
            }, what
            changed += 1
    assert changed > 0
    assert_numbered_once(ctx.database)
