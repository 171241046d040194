"""Fixtures shared by the tests: sites, times in WITA, a store in a temporary folder."""

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contract.site import Site
from contract.site_loader import load_site, parse_site

WITA = ZoneInfo("Asia/Makassar")
EXAMPLE_SITE = Path(__file__).resolve().parent.parent / "examples" / "samarinda" / "site.toml"
# A Monday.
MONDAY = dt.date(2026, 11, 30)

# Two services of one agency, two counters: counter 1 serves A only, counter 2 both.
SMALL_SITE = """
[site]
id = "kecil"
name = "MPP Kecil"
timezone = "Asia/Makassar"
holidays = [2026-12-25]

[priority]
priority_calls = 2
regular_calls = 1

[queue]
no_show_grace_minutes = 30
estimate_window = 3

[[agencies]]
id = "disdukcapil"
name = "Disdukcapil"

[[schedules]]
id = "kerja"
mon = ["08:00-12:00", "13:00-15:00"]
tue = ["08:00-12:00", "13:00-15:00"]
wed = ["08:00-12:00", "13:00-15:00"]
thu = ["08:00-12:00", "13:00-15:00"]
fri = ["08:00-11:30", "13:30-15:00"]

[[services]]
prefix = "A"
name = "KTP elektronik"
agency = "disdukcapil"
schedule = "kerja"
daily_quota = 5
expected_service_minutes = 6

[[services]]
prefix = "B"
name = "Kartu Keluarga"
agency = "disdukcapil"
schedule = "kerja"

[[counters]]
number = 1
services = ["A"]

[[counters]]
number = 2
services = ["A", "B"]
"""


def at(hour: int, minute: int = 0, day: dt.date = MONDAY) -> dt.datetime:
    """A moment in WITA on the test Monday (or another day)."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=WITA)


@pytest.fixture
def small_site() -> Site:
    return parse_site(SMALL_SITE, source="small_site")


@pytest.fixture(scope="session")
def example_site() -> Site:
    return load_site(EXAMPLE_SITE)


# Mosquitto, provisioning, MQTT clients, the central process and in-process kiosks live in
# their own modules.
pytest_plugins = [
    "tests.broker_fixtures",
    "tests.central_fixtures",
    "tests.kiosk_fixtures",
    "tests.request_fixtures",
    "tests.web_fixtures",
    "tests.browser_fixtures",
    "tests.backup_fixtures",
    "tests.pg_fixtures",
    "tests.hub_fixtures",
    "tests.booking_fixtures",
    "tests.booking_web_fixtures",
]
