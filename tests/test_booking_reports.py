"""Reports on bookings: per service and day the bookings, check-ins, no-shows and the
wait from the slot to the call, on the page and in the CSV.

The bookings are made through the booking desk; their check-ins and no-shows through
the booking store's own `check_in` and `expire` (what the central calls), and their
tickets through the queue, so the numbers come from the real tables.
"""

import datetime as dt

import pytest
from flask.testing import FlaskClient

from broker.bookings import BookingDesk, BookingSource
from broker.web.booking_report_queries import booking_report
from broker.web.context import WebContext
from tests.conftest import MONDAY, at
from tests.test_web_reports import Tables, call, download, issue, play
from tests.web_fixtures import Login

DAY = MONDAY.isoformat()


def book(desk: BookingDesk, slot: dt.time, nik_end: int) -> str:
    booking = desk.book(
        "A",
        MONDAY,
        slot,
        f"Warga {nik_end}",
        f"64720112039{nik_end:05d}",
        "",
        BookingSource.WEB,
        at(7, day=MONDAY - dt.timedelta(days=1)),
    )
    return booking.code


@pytest.fixture
def booked_day(web_ctx: WebContext, bookings_on: BookingDesk) -> WebContext:
    """Service A on Monday: five bookings.

    - 10:00 checked in on time at 09:50 (A001), called at 10:20: waited 20 from its slot;
    - 10:15 checked in late at 10:40 (A002, a walk-in ticket), called at 10:50: waited 10
      from its check-in;
    - 10:30 never came (no-show); 10:45 cancelled; 11:00 still booked.
    """
    on_time, late, absent, cancelled = (
        book(bookings_on, dt.time(10, 0), 1),
        book(bookings_on, dt.time(10, 15), 2),
        book(bookings_on, dt.time(10, 30), 3),
        book(bookings_on, dt.time(10, 45), 4),
    )
    book(bookings_on, dt.time(11, 0), 5)
    play(web_ctx, [(at(9, 50), issue("A"))])
    bookings_on.store.check_in(on_time, f"{DAY}/A001", at(9, 50), late=False)
    play(web_ctx, [(at(10, 20), call(1, "counter-1:siti")), (at(10, 40), issue("A"))])
    bookings_on.store.check_in(late, f"{DAY}/A002", at(10, 40), late=True)
    play(web_ctx, [(at(10, 50), call(2, "counter-2:siti"))])
    bookings_on.store.expire([absent], at(10, 46))
    bookings_on.cancel(cancelled, at(9, 0))
    return web_ctx


def test_the_numbers_per_service_and_day(booked_day: WebContext) -> None:
    # WHEN the bookings of the day are counted
    rows = booking_report(booked_day.database, MONDAY, MONDAY, booked_day.site.site.timezone)
    # THEN one row for A on Monday: four holding a place (the cancelled one apart), two
    # checked in, one no-show, and waits of 20 and 10 minutes from the slot or check-in
    assert len(rows) == 1
    row = rows[0]
    assert (row.service, row.day) == ("A", MONDAY)
    assert (row.bookings, row.check_ins, row.no_shows, row.cancelled) == (4, 2, 1, 1)
    assert row.wait_mean == pytest.approx(15.0)
    assert row.wait_p90 == pytest.approx(20.0)


def test_a_day_without_bookings_has_no_row(booked_day: WebContext) -> None:
    tuesday = MONDAY + dt.timedelta(days=1)
    assert booking_report(booked_day.database, tuesday, tuesday, dt.UTC) == []


def test_the_page_and_the_csv_show_the_bookings(
    booked_day: WebContext, client: FlaskClient, login: Login
) -> None:
    login("manajer")
    # WHEN a manager opens Monday's report
    html = client.get(f"/reports/?start={DAY}&end={DAY}").get_data(as_text=True)
    # THEN the bookings table shows the row, minutes with a decimal comma
    rows = Tables(html).body("bookings")
    assert rows == [
        [DAY, "A", "Paspor (permohonan baru dan penggantian)", "4", "2", "1", "1", "15,0", "20,0"]
    ]
    # AND the CSV holds the same numbers under stable headers
    table = download(client, f"/reports/bookings.csv?start={DAY}&end={DAY}")
    assert table[0][:4] == ["day", "service", "name", "bookings"]
    assert table[0][-2:] == ["wait_from_slot_mean_min", "wait_from_slot_9_in_10_at_most_min"]
    assert table[1][3:] == ["4", "2", "1", "1", "15.0", "20.0"]
