"""Opening hours on the Samarinda example: when may a service issue a ticket?

Service A (paspor) is open 08:00-14:00 and D (Kejaksaan) 08:00-15:00, both with the
default 30-minute cut-off; the break is 12:00-13:00 Monday to Thursday and 11:30-13:30
on Friday. 2026-12-07 is a Monday; 2026-12-25 is a site holiday.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contract.hours import issuing_refusal, local_time, service_day, wait_across_breaks
from contract.reasons import Reason
from contract.site import Site
from contract.site_loader import load_site, parse_site

EXAMPLE = Path(__file__).parent.parent / "examples" / "samarinda" / "site.toml"
WITA = ZoneInfo("Asia/Makassar")
UTC = dt.UTC


def wita(text: str) -> dt.datetime:
    """An aware local time from "2026-12-07 09:00"."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=WITA)


@pytest.fixture(scope="module")
def example() -> Site:
    return load_site(EXAMPLE)


@pytest.mark.parametrize(
    ("prefix", "when", "expected"),
    [
        pytest.param("A", "2026-12-07 09:00", None, id="monday-inside-hours"),
        pytest.param("A", "2026-12-07 08:00", None, id="monday-at-opening"),
        pytest.param("A", "2026-12-07 07:59", Reason.NOT_YET_OPEN, id="before-opening"),
        pytest.param("A", "2026-12-07 11:45", None, id="monday-11:45-open"),
        pytest.param("A", "2026-12-07 12:00", Reason.ON_BREAK, id="ishoma-starts-12:00"),
        pytest.param("A", "2026-12-07 12:30", Reason.ON_BREAK, id="during-ishoma"),
        pytest.param("A", "2026-12-07 13:00", None, id="after-ishoma"),
        pytest.param("A", "2026-12-11 11:29", None, id="friday-morning"),
        pytest.param("A", "2026-12-11 11:45", Reason.ON_BREAK, id="friday-11:45-prayer-break"),
        pytest.param("D", "2026-12-11 12:00", Reason.ON_BREAK, id="friday-12:00-prayer-break"),
        pytest.param("D", "2026-12-11 13:30", None, id="friday-after-prayer"),
        pytest.param("A", "2026-12-07 13:29", None, id="just-before-cutoff"),
        pytest.param("A", "2026-12-07 13:30", Reason.PAST_CUTOFF, id="cutoff-starts"),
        pytest.param("A", "2026-12-07 13:45", Reason.PAST_CUTOFF, id="within-cutoff"),
        pytest.param("D", "2026-12-07 13:45", None, id="later-service-still-open"),
        # A 14:00 service's Friday afternoon (13:30-14:00) lies wholly in its cut-off.
        pytest.param("A", "2026-12-11 13:35", Reason.PAST_CUTOFF, id="friday-afternoon-cutoff"),
        pytest.param("A", "2026-12-07 14:00", Reason.CLOSED, id="at-closing"),
        pytest.param("D", "2026-12-07 16:00", Reason.CLOSED, id="after-closing"),
        pytest.param("A", "2026-12-12 10:00", Reason.CLOSED_TODAY, id="saturday"),
        pytest.param("A", "2026-12-13 10:00", Reason.CLOSED_TODAY, id="sunday"),
        pytest.param("A", "2026-12-25 10:00", Reason.HOLIDAY, id="site-holiday-natal"),
        pytest.param("D", "2027-01-01 09:00", Reason.HOLIDAY, id="site-holiday-new-year"),
    ],
)
def test_issuing_refusal_on_the_example(
    example: Site, prefix: str, when: str, expected: Reason | None
) -> None:
    """GIVEN a service of the example site and a local WITA time WHEN asking whether it may
    issue a ticket THEN the answer is None (yes) or the expected reason."""
    service = example.services_by_prefix[prefix]
    assert issuing_refusal(example, service, wita(when)) == expected


def test_utc_now_is_read_in_the_site_time_zone(example: Site) -> None:
    """GIVEN now = 2026-11-30 23:30 UTC (Monday night in UTC) WHEN asking THEN the site sees
    Tuesday 2026-12-01 07:30 WITA: its service day is the 1st and A is not open yet."""
    now = dt.datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    assert local_time(example, now) == wita("2026-12-01 07:30")
    assert service_day(example, now) == dt.date(2026, 12, 1)
    service = example.services_by_prefix["A"]
    # Read as a Monday 23:30 it would be CLOSED; in WITA it is before opening.
    assert issuing_refusal(example, service, now) == Reason.NOT_YET_OPEN
    assert issuing_refusal(example, service, now + dt.timedelta(hours=1)) is None


def test_utc_date_before_a_holiday_is_already_the_holiday_in_wita(example: Site) -> None:
    """GIVEN 2026-12-24 16:00 UTC, which is midnight starting 2026-12-25 in WITA, THEN the
    Christmas holiday applies, while the same UTC time a day earlier is merely before opening."""
    now = dt.datetime(2026, 12, 24, 16, 0, tzinfo=UTC)
    service = example.services_by_prefix["D"]
    assert service_day(example, now) == dt.date(2026, 12, 25)
    assert issuing_refusal(example, service, now) == Reason.HOLIDAY
    day_before = now - dt.timedelta(days=1)
    assert issuing_refusal(example, service, day_before) == Reason.NOT_YET_OPEN


def test_naive_now_is_refused(example: Site) -> None:
    """GIVEN a datetime without a time zone THEN hours refuse to guess."""
    with pytest.raises(ValueError, match="aware"):
        issuing_refusal(example, example.services[0], dt.datetime(2026, 12, 7, 9, 0))


SERVICE_HOLIDAY_SITE = """
[site]
id = "uji"
name = "MPP Uji"
timezone = "Asia/Makassar"

[[agencies]]
id = "bpn"
name = "Kantor Pertanahan"

[[schedules]]
id = "kerja"
mon = ["08:00-12:00", "13:00-15:00"]
tue = ["08:00-12:00", "13:00-15:00"]

[[services]]
prefix = "O"
name = "Layanan pertanahan"
agency = "bpn"
schedule = "kerja"
# The land office holds its annual stock-take (opname) on this day.
holidays = [2026-12-08]

[[services]]
prefix = "P"
name = "Informasi pertanahan"
agency = "bpn"
schedule = "kerja"

[[counters]]
number = 1
services = ["O", "P"]
"""


def test_service_holiday_closes_only_that_service() -> None:
    """GIVEN service O with its own holiday on Tuesday 2026-12-08 WHEN asking at 09:00 THEN O
    is refused as a holiday while P, same schedule, is open; O is open the day before."""
    site = parse_site(SERVICE_HOLIDAY_SITE)
    o, p = site.services_by_prefix["O"], site.services_by_prefix["P"]
    assert issuing_refusal(site, o, wita("2026-12-08 09:00")) == Reason.HOLIDAY
    assert issuing_refusal(site, p, wita("2026-12-08 09:00")) is None
    assert issuing_refusal(site, o, wita("2026-12-07 09:00")) is None


@pytest.mark.parametrize(
    ("prefix", "when", "work", "expected"),
    [
        pytest.param("A", "2026-12-07 09:00", 40, 40, id="morning-no-break-ahead"),
        pytest.param("A", "2026-12-07 11:20", 40, 40, id="ends-as-the-break-starts"),
        pytest.param("A", "2026-12-07 11:40", 40, 100, id="runs-into-ishoma"),
        pytest.param("A", "2026-12-11 11:00", 40, 160, id="runs-into-the-friday-prayer"),
        pytest.param("A", "2026-12-07 12:30", 10, 40, id="seen-during-the-break"),
        pytest.param("A", "2026-12-07 07:30", 10, 40, id="before-opening"),
        pytest.param("A", "2026-12-07 13:50", 30, 30, id="past-closing-same-pace"),
        pytest.param("A", "2026-12-07 11:00", 200, 260, id="past-the-break-and-closing"),
        pytest.param("A", "2026-12-25 10:00", 25, 25, id="holiday-adds-nothing"),
    ],
)
def test_a_wait_lasts_over_the_breaks_on_its_way(
    example: Site, prefix: str, when: str, work: int, expected: int
) -> None:
    # GIVEN `work` minutes of queue at `when`, WHEN turned into a wait on the wall clock
    service = example.services_by_prefix[prefix]
    wait = wait_across_breaks(example, service, wita(when), dt.timedelta(minutes=work))
    # THEN every break between now and the end of the work is added to it
    assert wait == dt.timedelta(minutes=expected)


def test_a_wait_is_reckoned_in_the_site_time_zone(example: Site) -> None:
    # 03:40 UTC is 11:40 WITA: the break at 12:00 WITA is 20 minutes ahead
    service = example.services_by_prefix["A"]
    now = dt.datetime(2026, 12, 7, 3, 40, tzinfo=UTC)
    wait = wait_across_breaks(example, service, now, dt.timedelta(minutes=40))
    assert wait == dt.timedelta(minutes=100)
