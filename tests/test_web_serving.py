"""The web console served for real: waitress over HTTP, with many live pages open."""

import http.client
import io
import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from flask import Flask

from broker.requests import RequestHandler
from broker.web.accounts import Accounts
from broker.web.admin_cli import main as admin_main
from broker.web.context import WebContext
from broker.web.serve import WebServer
from contract.messages import IssueTicket, encode

LIVE_PAGES = 60


@pytest.fixture
def server(app: Flask, web_ctx: WebContext) -> Iterator[WebServer]:
    web = WebServer(app, "127.0.0.1", 0)
    web.start()
    yield web
    web_ctx.hub.close()  # ends the open event streams, so their threads are free to stop
    web.stop()


def ticket_path(web_ctx: WebContext) -> str:
    reply = RequestHandler(web_ctx.queue, web_ctx.links).kiosk(
        "kiosk-1", encode(IssueTicket(id="req-1", service="A"))
    )
    assert reply.answer is not None
    assert reply.answer.ticket is not None
    return "/t/" + reply.answer.ticket.url.rsplit("/", 1)[1]


def test_posts_are_answered_while_60_live_pages_hold_streams(
    server: WebServer, web_ctx: WebContext
) -> None:
    path = ticket_path(web_ctx)
    with ExitStack() as streams:
        # GIVEN 60 phones and consoles each holding an event stream open
        for _ in range(LIVE_PAGES):
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            streams.callback(connection.close)
            connection.request("GET", path + "/events")
            response = connection.getresponse()
            assert response.status == 200
            assert response.readline().startswith(b"data: ")
        # WHEN someone logs in (a GET for the form, then a POST)
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        streams.callback(connection.close)
        connection.request("GET", "/login")
        page = connection.getresponse()
        page.read()
        connection.request("POST", "/login", body="username=x&password=y")
        answer = connection.getresponse()
        answer.read()
        # THEN both are answered at once (the POST lacks its CSRF token: a 400, not a hang)
        assert page.status == 200
        assert answer.status == 400


def test_a_change_reaches_an_open_stream(server: WebServer, web_ctx: WebContext) -> None:
    path = ticket_path(web_ctx)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", path + "/events")
        response = connection.getresponse()
        first = json.loads(response.readline().removeprefix(b"data: "))
        response.readline()
        web_ctx.queue.run(lambda engine, now: engine.call_next(1, now))
        second = json.loads(response.readline().removeprefix(b"data: "))
    finally:
        connection.close()
    assert first["state"] == "waiting"
    assert second["state"] == "called"
    assert "Loket 1" in second["headline"]


def test_the_first_admin_is_made_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = str(tmp_path / "antre.sqlite3")
    monkeypatch.setattr("sys.stdin", io.StringIO("kata-sandi-kuat-1\n"))
    assert (
        admin_main(
            ["--db", database, "create-user", "kepala", "--role", "admin", "--password-stdin"]
        )
        == 0
    )
    accounts = Accounts(database)
    try:
        user = accounts.authenticate("kepala", "kata-sandi-kuat-1")
        assert user is not None
        assert user.role.value == "admin"
    finally:
        accounts.close()
    monkeypatch.setattr("sys.stdin", io.StringIO("pendek\n"))
    assert admin_main(["--db", database, "create-user", "lain", "--password-stdin"]) == 1
