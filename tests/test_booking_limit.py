"""The per-address brake on booking attempts: a family passes, a bot is slowed."""

import pytest
from flask.testing import FlaskClient

from broker.bookings import BookingDesk
from broker.web import create_app
from broker.web.booking_limit import AttemptLimiter
from broker.web.context import WebContext
from tests.booking_web_fixtures import csrf_of


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_family_booking_three_people_is_never_slowed() -> None:
    # GIVEN the default brake WHEN one address posts six times in a minute (three
    # bookings, each a check and a confirm)
    clock = Clock()
    limiter = AttemptLimiter(clock=clock)
    waits = []
    for _ in range(6):
        waits.append(limiter.attempt("10.0.0.7"))
        clock.now += 10
    # THEN none of them waits
    assert waits == [0.0] * 6


def test_a_hammering_address_waits_and_others_do_not() -> None:
    # GIVEN 12 attempts at once and one more every ten seconds
    clock = Clock()
    limiter = AttemptLimiter(burst=12, per_minute=6, clock=clock)
    # WHEN one address posts 13 times at once
    allowed = [limiter.attempt("10.0.0.66") for _ in range(12)]
    refused = limiter.attempt("10.0.0.66")
    # THEN the 13th must wait ten seconds, while another address is not touched
    assert allowed == [0.0] * 12
    assert refused == pytest.approx(10.0)
    assert limiter.attempt("10.0.0.7") == 0.0
    # AND after those ten seconds one more is allowed, and only one
    clock.now += 10
    assert limiter.attempt("10.0.0.66") == 0.0
    assert limiter.attempt("10.0.0.66") > 0


def test_the_table_of_addresses_is_bounded() -> None:
    limiter = AttemptLimiter(max_keys=100)
    for n in range(1000):
        limiter.attempt(f"10.0.{n // 256}.{n % 256}")
    assert len(limiter) == 100


def test_a_braked_post_gets_a_429_page_saying_when(
    web_ctx: WebContext, bookings_on: BookingDesk
) -> None:
    # GIVEN the console with a brake of two attempts
    app = create_app(web_ctx, {"SECRET_KEY": "s", "TESTING": True, "BOOKING_ATTEMPTS_BURST": 2})
    client: FlaskClient = app.test_client()
    client.get("/b/manage/")
    data = {"code": "A-ZZZZZZ", "nik": "6472011203900001", "csrf_token": csrf_of(client)}
    # WHEN the same address posts three times
    statuses = [client.post("/b/manage/", data=data).status_code for _ in range(2)]
    braked = client.post("/b/manage/", data=data)
    # THEN the third is a 429 with Retry-After and the seconds in words
    assert statuses == [404, 404]
    assert braked.status_code == 429
    assert braked.headers["Retry-After"] == "10"
    assert "Coba lagi dalam 10 detik" in braked.get_data(as_text=True)
