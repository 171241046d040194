"""Pytest plugin: the web console on a real SQLite file, with one user of each role.

def test_x(client: FlaskClient, login: Login) -> None:
    login("siti")                     # a clerk at counters 1 and 2
    client.post("/counter/1/call", data={"csrf_token": login.csrf()})
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from broker.queue_service import QueueService
from broker.store.sqlite_store import SqliteStore
from broker.ticket_links import TicketLinks
from broker.web import create_app
from broker.web.accounts import Accounts, Role
from broker.web.context import WebContext
from broker.web.live import ChangeHub
from contract.clock import SimulatedClock
from contract.site import Site
from tests.conftest import at

PASSWORD = "rahasia-sekali-123"
USERS = {
    "admin": (Role.ADMIN, ()),
    "manajer": (Role.MANAGER, ()),
    "siti": (Role.CLERK, (1, 2)),
    "budi": (Role.CLERK, (3,)),
}


@pytest.fixture(scope="session")
def accounts_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the USERS in it, made once: scrypt is slow on purpose."""
    template = tmp_path_factory.mktemp("accounts") / "template.sqlite3"
    accounts = Accounts(template)
    for username, (role, counters) in USERS.items():
        accounts.create(username, username.title(), role, PASSWORD, counters)
    accounts.close()
    return template


@pytest.fixture
def web_ctx(tmp_path: Path, example_site: Site, accounts_template: Path) -> Iterator[WebContext]:
    database = tmp_path / "antre.sqlite3"
    shutil.copyfile(accounts_template, database)
    store = SqliteStore(database)
    accounts = Accounts(database)
    queue = QueueService(example_site, store, SimulatedClock(at(9)))
    hub = ChangeHub()
    queue.subscribe(hub.changed)
    links = TicketLinks(b"a test secret, 32 bytes long...!", example_site.site.ticket_url_base)
    ctx = WebContext(example_site, queue, accounts, hub, database, links=links)
    yield ctx
    hub.close()
    accounts.close()
    store.close()


@pytest.fixture
def app(web_ctx: WebContext) -> Flask:
    return create_app(web_ctx, {"SECRET_KEY": "test-secret", "TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Login:
    """Logs the test client in as one of USERS, and reads the CSRF token it got."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def __call__(self, username: str, password: str = PASSWORD) -> None:
        self.client.get("/login")
        response = self.client.post(
            "/login", data={"username": username, "password": password, "csrf_token": self.csrf()}
        )
        assert response.status_code == 302, f"{username} could not log in"

    def csrf(self) -> str:
        self.client.get("/login")
        with self.client.session_transaction() as session:
            token = session.get("csrf")
        assert isinstance(token, str)
        return token


@pytest.fixture
def login(client: FlaskClient) -> Login:
    return Login(client)


def open_streams(port: int, path: str, count: int, stack: ExitStack) -> None:
    """`count` phones, each holding the page's event stream open (its first event read)."""
    for _ in range(count):
        phone = socket.create_connection(("127.0.0.1", port), timeout=10)
        stack.callback(phone.close)
        phone.sendall(f"GET {path}/events HTTP/1.1\r\nHost: antre\r\n\r\n".encode())
        received = b""
        while b"\ndata: " not in received:
            chunk = phone.recv(4096)
            assert chunk, "the stream closed"
            received += chunk
        assert received.startswith(b"HTTP/1.1 200")
