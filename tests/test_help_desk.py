"""The help desk: a clerk checks a booked citizen in by code, over real HTTP."""

import datetime as dt
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
from flask import Flask

from broker.bookings import BookingDesk, BookingSource, BookingState, open_bookings
from broker.bookings.arrival import CheckInRecorder
from broker.web.context import WebContext
from broker.web.serve import WebServer
from tests.conftest import MONDAY, at
from tests.web_fixtures import PASSWORD

SUNDAY = at(10, day=MONDAY - dt.timedelta(days=1))
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A clerk's browser: cookies kept, forms posted with their CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.token = ""

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as response:
            return self._read(response.read())

    def post(self, path: str, **form: str) -> tuple[int, str]:
        data = urllib.parse.urlencode({"csrf_token": self.token, **form}).encode()
        try:
            with self.opener.open(self.base + path, data=data, timeout=10) as response:
                return response.status, self._read(response.read())
        except urllib.error.HTTPError as e:
            return e.code, self._read(e.read())

    def _read(self, body: bytes) -> str:
        """The page, keeping the CSRF token its forms carry (it changes at login)."""
        page = body.decode()
        found = _TOKEN.search(page)
        if found:
            self.token = found[1]
        return page


@pytest.fixture
def desk(web_ctx: WebContext) -> Iterator[BookingDesk]:
    opened = open_bookings(web_ctx.database, lambda: web_ctx.site)
    web_ctx.bookings = opened
    web_ctx.queue.subscribe(CheckInRecorder(opened.store))
    yield opened
    opened.store.close()


@pytest.fixture
def clerk(app: Flask, web_ctx: WebContext, desk: BookingDesk) -> Iterator[Browser]:
    """Siti, a clerk, logged in to the console served on a free port."""
    server = WebServer(app, "127.0.0.1", 0)
    server.start()
    browser = Browser(f"http://127.0.0.1:{server.port}")
    browser.get("/login")
    status, _ = browser.post("/login", username="siti", password=PASSWORD)
    assert status == 200
    yield browser
    web_ctx.hub.close()
    server.stop()


def book(desk: BookingDesk, slot: dt.time, nik_end: int, name: str = "Ani") -> str:
    nik = f"647201120390{nik_end:04d}"
    return desk.book("A", MONDAY, slot, name, nik, "", BookingSource.STAFF, SUNDAY).code


def number_on(page: str) -> str:
    found = re.search(r'<p class="number">([A-Z]+\d+)</p>', page)
    assert found, page
    return found[1]


def test_a_clerk_checks_a_citizen_in_and_sees_the_number_large(
    clerk: Browser, desk: BookingDesk
) -> None:
    """GIVEN Ani's passport booking for 09:00 WHEN a clerk types its code (lower case, no
    dash) at the help desk THEN the page shows ticket A001 large, for Ani, at 09:00, and
    the booking is checked in by the help desk; typed again, it says already checked in
    with the same number."""
    code = book(desk, dt.time(9), 1)
    form = clerk.get("/help-desk/")
    assert "Kode booking" in form
    status, page = clerk.post("/help-desk/check-in", code=code.lower().replace("-", ""))
    assert status == 200
    assert number_on(page) == "A001"
    assert 'class="booking-name">Ani<' in page
    assert 'class="slot">09:00<' in page
    booking = desk.find(code)
    assert booking is not None
    assert booking.state is BookingState.CHECKED_IN
    assert desk.store.events(MONDAY)[-1].actor == "help-desk:siti"
    again_status, again = clerk.post("/help-desk/check-in", code=code)
    assert again_status == 409
    assert 'data-reason="already_checked_in"' in again
    assert number_on(again) == "A001"


def test_the_help_desk_says_why_not_and_from_when(clerk: Browser, desk: BookingDesk) -> None:
    """GIVEN a booking for 11:00 WHEN checked in at 09:00 THEN too early, from 10:30, no
    ticket; an unknown code says so; nothing was issued."""
    code = book(desk, dt.time(11), 2)
    status, page = clerk.post("/help-desk/check-in", code=code)
    assert status == 409
    assert 'data-reason="too_early"' in page
    assert 'class="from">10:30<' in page
    assert "Terlalu awal untuk check-in" in page
    unknown_status, unknown = clerk.post("/help-desk/check-in", code="A-ZZZZZZ")
    assert unknown_status == 409
    assert "Kode booking tidak dikenal" in unknown


def test_the_help_desk_needs_a_login(app: Flask, desk: BookingDesk, web_ctx: WebContext) -> None:
    """GIVEN nobody logged in WHEN the help desk is opened THEN the login page comes."""
    server = WebServer(app, "127.0.0.1", 0)
    server.start()
    try:
        page = Browser(f"http://127.0.0.1:{server.port}").get("/help-desk/")
        assert 'name="password"' in page
    finally:
        web_ctx.hub.close()
        server.stop()
