"""The web console served for real: uvicorn over HTTP, with many live pages open."""

import http.client
import io
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from broker.requests import RequestHandler
from broker.tls import WEB_DIR, ensure_tls
from broker.web.accounts import Accounts
from broker.web.admin_cli import main as admin_main
from broker.web.context import WebContext
from broker.web.live import ENDED_EVENT
from broker.web.serve import Tls, WebServer
from contract.messages import IssueTicket, encode
from tests.web_fixtures import Login, open_streams

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


# -- live pages hold no thread; stale posts are not carried out; TLS and the public port --

HALL = 300


def api_call_next(port: int, token: str, request_id: str) -> tuple[int, dict[str, object]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        body = json.dumps({"id": request_id, "action": "call_next"})
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        connection.request("POST", "/api/v1/counters/1/commands", body, headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_a_hall_of_open_ticket_pages_holds_no_threads_and_call_next_is_answered(
    server: WebServer, web_ctx: WebContext
) -> None:
    path = ticket_path(web_ctx)
    issue_more = RequestHandler(web_ctx.queue, web_ctx.links)
    issue_more.kiosk("kiosk-1", encode(IssueTicket(id="req-2", service="A")))
    admin = web_ctx.accounts.by_username("admin")
    assert admin is not None
    token = web_ctx.accounts.new_token(admin, "test")
    threads_before = threading.active_count()
    with ExitStack() as hall:
        # GIVEN a few hundred citizens keep their ticket page open
        open_streams(server.port, path, HALL, hall)
        # THEN the server holds no thread for them
        assert threading.active_count() < threads_before + 20
        # AND a clerk's call-next is answered, and every page hears of it
        status, answer = api_call_next(server.port, token, "call-1")
        assert status == 200
        assert answer["ok"] is True


def open_console(port: int, number: int, cookie: str, stack: ExitStack) -> socket.socket:
    """A counter console's event stream over HTTP, under a session cookie (its first
    event read)."""
    console = socket.create_connection(("127.0.0.1", port), timeout=10)
    stack.callback(console.close)
    request = (
        f"GET /counter/{number}/events HTTP/1.1\r\nHost: antre\r\nCookie: session={cookie}\r\n\r\n"
    )
    console.sendall(request.encode())
    assert read_until(console, b"\ndata: ").startswith(b"HTTP/1.1 200")
    return console


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def read_until(connection: socket.socket, mark: bytes) -> bytes:
    received = b""
    while mark not in received:
        chunk = connection.recv(4096)
        assert chunk, f"the stream closed before {mark!r}: {received!r}"
        received += chunk
    return received


def test_a_console_stream_on_the_event_loop_ends_with_its_session(
    server: WebServer, app: Flask, web_ctx: WebContext
) -> None:
    # GIVEN siti's console of counter 1 and budi's of counter 3, open on the event loop
    siti, budi = app.test_client(), app.test_client()
    Login(siti)("siti")
    Login(budi)("budi")
    with ExitStack() as stack:
        hers = open_console(server.port, 1, session_cookie(siti), stack)
        his = open_console(server.port, 3, session_cookie(budi), stack)
        # WHEN she logs out
        siti.post("/logout", data={"csrf_token": Login(siti).csrf()})
        # THEN her stream says it is over and its response ends (the last, empty chunk)
        rest = read_until(hers, b"\r\n0\r\n\r\n")
        assert ENDED_EVENT.encode() in rest
        assert b"data: {" not in rest
        # AND his goes on: a ticket for his counter reaches it
        service = web_ctx.site.counters_by_number[3].services[0]
        web_ctx.queue.run(lambda engine, now: engine.issue(service, now))
        assert b"data: {" in read_until(his, b"data: {")


def test_a_post_that_waited_too_long_for_a_thread_is_not_carried_out(
    app: Flask, web_ctx: WebContext
) -> None:
    web = WebServer(app, "127.0.0.1", 0, threads=1, stale_after=0.5)
    web.start()
    admin = web_ctx.accounts.by_username("admin")
    assert admin is not None
    token = web_ctx.accounts.new_token(admin, "test")
    for n in range(2):
        RequestHandler(web_ctx.queue, web_ctx.links).kiosk(
            "kiosk-1", encode(IssueTicket(id=f"req-{n}", service="A"))
        )
    answers: dict[str, tuple[int, dict[str, object]]] = {}

    def call(request_id: str) -> None:
        answers[request_id] = api_call_next(web.port, token, request_id)

    try:
        # GIVEN the server's one thread is stuck (the queue is busy for two seconds)
        with web_ctx.queue._lock:
            first = threading.Thread(target=call, args=("first",))
            first.start()
            time.sleep(0.3)
            # WHEN a second clerk's call-next waits behind it for longer than allowed
            second = threading.Thread(target=call, args=("second",))
            second.start()
            time.sleep(2.0)
        first.join(timeout=10)
        second.join(timeout=10)
    finally:
        web_ctx.hub.close()
        web.stop()
    # THEN the first is carried out, the second refused, not carried out late
    assert answers["first"][0] == 200
    assert answers["second"][0] == 503
    called = [t for t in web_ctx.queue.engine.tickets() if t.state.value == "called"]
    assert len(called) == 1


def test_staff_pages_over_tls_and_the_citizens_pages_apart(
    app: Flask, web_ctx: WebContext, tmp_path: Path
) -> None:
    files = ensure_tls(tmp_path, "127.0.0.1", "test", server_dir=WEB_DIR)
    web = WebServer(
        app,
        "127.0.0.1",
        0,
        tls=Tls(files.server_cert, files.server_key),
    )
    web.start()
    # The citizens' listener (in its own process under the central, see test_public_pages)
    public_web = WebServer(app, "127.0.0.1", 0, public_only=True)
    public_web.start()
    path = ticket_path(web_ctx)
    trusted = ssl.create_default_context(cafile=str(files.ca_cert))
    connections: list[http.client.HTTPConnection] = []

    def connect(port: int, secure: bool) -> http.client.HTTPConnection:
        made = (
            http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=trusted)
            if secure
            else http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        )
        connections.append(made)
        return made

    try:
        # the staff's login page over HTTPS, its cookie Secure
        staff = connect(web.port, secure=True)
        staff.request("GET", "/login")
        login = staff.getresponse()
        login.read()
        assert login.status == 200
        assert "Secure" in (login.getheader("Set-Cookie") or "")
        # plain HTTP on the staff port gets no page
        plain = connect(web.port, secure=False)
        plain.request("GET", "/login")
        with pytest.raises((http.client.HTTPException, OSError)):
            plain.getresponse()
        # the public port: the ticket page, and no staff page at all
        public = connect(public_web.port, secure=False)
        public.request("GET", path)
        ticket = public.getresponse()
        assert ticket.status == 200
        ticket.read()
        for staff_path in ("/login", "/admin/", "/api/v1/state", "/counter/1"):
            public.request("GET", staff_path)
            refused = public.getresponse()
            refused.read()
            assert refused.status == 404, staff_path
        # the survey form of a finished ticket, its session cookie usable over plain HTTP
        web_ctx.queue.run(lambda engine, now: engine.call_next(1, now))
        web_ctx.queue.run(lambda engine, now: engine.finish(1, now))
        public.request("GET", path + "/survei")
        form = public.getresponse()
        form.read()
        assert form.status == 200
        cookie = form.getheader("Set-Cookie") or ""
        assert cookie.startswith("session=")
        assert "Secure" not in cookie
    finally:
        for connection in connections:
            connection.close()
        web_ctx.hub.close()
        web.stop()
        public_web.stop()
