"""Pytest plugin: a site whose service A takes bookings, and a booking desk over a real
SQLite file in the test's folder."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from broker.bookings import BookingDesk, BookingSource, open_bookings
from broker.bookings.records import Booking
from contract.site import Site
from contract.site_loader import parse_site
from tests.conftest import MONDAY, SMALL_SITE, at

# Service A of the small site, with bookings: on Mondays and Tuesdays 08:00-09:00 for 4
# (two 30-minute slots of 2) and 13:00-14:00 for 2 (two slots of 1). 20 tickets a day,
# 6 kept for bookings, so 14 for walk-ins. Bookable 7 days ahead from 07:00.
BOOKING_RULES = """
[services.booking]
sessions = { mon = ["08:00-09:00/4", "13:00-14:00/2"], tue = ["08:00-09:00/4"] }
slot_minutes = 30
kept_for_bookings = 6
days_ahead = 7
opens_at = "07:00"
check_in_before_minutes = 30
check_in_after_minutes = 15
late = "walk_in"
"""
# A Monday a week before MONDAY: bookings for MONDAY open then at 07:00.
WEEK_BEFORE = MONDAY - dt.timedelta(days=7)
# A NIK as people write it (16 digits), and another.
NIK = "6472011203900001"
OTHER_NIK = "6472011203900002"


def booking_site_text(rules: str = BOOKING_RULES, quota: int = 20) -> str:
    """The small site's TOML with service A booked under `rules` (the TOML table), and
    `quota` tickets a day."""
    old = "daily_quota = 5\nexpected_service_minutes = 6\n"
    assert SMALL_SITE.count(old) == 1
    new = f"daily_quota = {quota}\nexpected_service_minutes = 6\n"
    return SMALL_SITE.replace(old, new + rules)


def booking_site(rules: str = BOOKING_RULES, quota: int = 20) -> Site:
    """The small site with service A booked under `rules`, `quota` tickets a day."""
    return parse_site(booking_site_text(rules, quota), source="booking_site")


@pytest.fixture
def booked_site() -> Site:
    return booking_site()


@pytest.fixture
def desk(tmp_path: Path, booked_site: Site) -> Iterator[BookingDesk]:
    """The booking desk over `antre.sqlite3` in the test's folder."""
    opened = open_bookings(tmp_path / "antre.sqlite3", lambda: booked_site)
    yield opened
    opened.store.close()


def book_a(
    desk: BookingDesk,
    slot: dt.time = dt.time(8, 0),
    nik: str = NIK,
    day: dt.date = MONDAY,
    now: dt.datetime | None = None,
    name: str = "Siti Aminah",
) -> Booking:
    """Books service A on `day` at `slot` from the web, by default the day before."""
    when = now if now is not None else at(10, day=day - dt.timedelta(days=1))
    return desk.book("A", day, slot, name, nik, "0812 3456 7890", BookingSource.WEB, when)
