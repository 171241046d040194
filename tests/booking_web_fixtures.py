"""Pytest plugin: the web console with its booking desk, on the example site (service A,
passports, takes bookings), and served over real HTTP on both listeners.

def test_x(bookings_on: BookingDesk, client: FlaskClient) -> None:
    client.get("/b/A/")
"""

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from broker.bookings import BookingDesk, open_bookings
from broker.web.context import WebContext
from broker.web.serve import WebServer
from tests.conftest import MONDAY

# The example site's service A on the test Monday (the web context's clock says 09:00):
# sessions 08:00-10:00 for 20 and 10:00-12:00 for 20, in 15-minute slots of 3 or 2.
SERVICE = "A"
DAY = MONDAY
SLOT = dt.time(10, 0)
NIK = "6472011203900001"


@pytest.fixture
def bookings_on(web_ctx: WebContext) -> Iterator[BookingDesk]:
    """The web context's booking desk over its database (as the central opens it)."""
    desk = open_bookings(web_ctx.database, lambda: web_ctx.site)
    web_ctx.bookings = desk
    yield desk
    desk.store.close()


@dataclass(frozen=True, slots=True)
class Served:
    """The app served by uvicorn: the staff listener's and the public one's addresses."""

    staff: str
    public: str


@pytest.fixture
def served(app: Flask, web_ctx: WebContext, bookings_on: BookingDesk) -> Iterator[Served]:
    server = WebServer(app, "127.0.0.1", 0, hub=web_ctx.hub)
    public = WebServer(app, "127.0.0.1", 0, public_only=True)
    server.start()
    public.start()
    try:
        yield Served(f"http://127.0.0.1:{server.port}", f"http://127.0.0.1:{public.port}")
    finally:
        server.stop()
        public.stop()


def csrf_of(client: FlaskClient) -> str:
    """The session's CSRF token (made by the first page with a form)."""
    with client.session_transaction() as session:
        token = session.get("csrf")
    assert isinstance(token, str)
    return token


def code_in(html: str) -> str:
    """The booking code a page shows."""
    found = re.search(r'data-code="([A-Z]{1,2}-[0-9A-Z]{6})"', html)
    assert found is not None, html[:2000]
    return found[1]
