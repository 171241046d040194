"""No-shows expire when they can no longer check in; check-ins a crash left unmarked are
mended: the booking sweep, on a real SQLite file, and in the running central."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from broker.bookings import BookingDesk, BookingSource, BookingState, open_bookings
from broker.bookings.arrival import BookingSweep, CheckInRecorder, check_in_operation
from broker.queue_service import QueueService
from broker.store.sqlite_store import SqliteStore
from contract.site import Site
from tests.booking_fixtures import NIK, OTHER_NIK, book_a, booking_site
from tests.broker_fixtures import WAIT, Mosquitto, Provisioned, wait_until
from tests.central_fixtures import CentralProcess, wait_for_state
from tests.conftest import MONDAY, at
from tests.request_fixtures import Clock

LATE_REFUSED = """
[services.booking]
sessions = { mon = ["08:00-09:00/4", "13:00-14:00/2"] }
slot_minutes = 30
kept_for_bookings = 6
check_in_before_minutes = 30
check_in_after_minutes = 15
late = "refuse"
"""


@pytest.fixture
def queue(tmp_path: Path, booked_site: Site) -> Iterator[QueueService]:
    store = SqliteStore(tmp_path / "antre.sqlite3")
    yield QueueService(booked_site, store, Clock(at(8)))
    store.close()


def test_a_booking_that_can_still_come_late_expires_at_closing(
    queue: QueueService, desk: BookingDesk
) -> None:
    """GIVEN a booking for 08:00 at a service that takes the late as walk-ins WHEN swept at
    10:00 THEN it stays booked (it may still come); at 15:00, closing, it is a no-show,
    recorded in the bookings' history."""
    booking = book_a(desk)
    sweep = BookingSweep(desk.store, queue)
    assert sweep.sweep(at(10)) == []
    expired = sweep.sweep(at(15))
    assert [(b.code, b.state) for b in expired] == [(booking.code, BookingState.NO_SHOW)]
    assert [e.kind for e in desk.store.events(MONDAY)] == ["booked", "no_show"]


def test_a_booking_expires_when_its_window_closes_if_the_late_are_refused(
    tmp_path: Path,
) -> None:
    """GIVEN late = "refuse" and a booking for 08:30 WHEN swept at 08:44 and 08:45 THEN it
    is still booked, then a no-show; one of yesterday is a no-show whatever the rules."""
    site = booking_site(LATE_REFUSED)
    store = SqliteStore(tmp_path / "antre.sqlite3")
    desk = open_bookings(tmp_path / "antre.sqlite3", lambda: site)
    try:
        queue = QueueService(site, store, Clock(at(8)))
        booking = book_a(desk, slot=dt.time(8, 30))
        sweep = BookingSweep(desk.store, queue)
        assert sweep.sweep(at(8, 44)) == []
        assert [b.state for b in sweep.sweep(at(8, 45))] == [BookingState.NO_SHOW]
        found = desk.find(booking.code)
        assert found is not None
        assert found.state is BookingState.NO_SHOW
    finally:
        desk.store.close()
        store.close()


def test_a_check_in_left_unmarked_by_a_crash_is_mended(
    queue: QueueService, desk: BookingDesk
) -> None:
    """GIVEN a booking checked in at the queue but whose row was not marked (the central
    died between the two writes) WHEN swept THEN it is checked in with its ticket, not
    a no-show; with the recorder listening, a check-in marks the row at once."""
    crashed = book_a(desk, nik=NIK)
    ticket = queue.run(check_in_operation(desk.store, crashed.code, "kiosk-1"), at(8, 20)).ticket
    assert ticket is not None
    still = desk.find(crashed.code)
    assert still is not None
    assert still.state is BookingState.BOOKED
    [mended] = BookingSweep(desk.store, queue).sweep(at(15))
    assert (mended.state, mended.ticket_id) == (BookingState.CHECKED_IN, ticket.id)

    queue.subscribe(CheckInRecorder(desk.store))
    listened = book_a(desk, slot=dt.time(8, 30), nik=OTHER_NIK)
    queue.run(check_in_operation(desk.store, listened.code, "help-desk:siti"), at(8, 21))
    marked = desk.find(listened.code)
    assert marked is not None
    assert (marked.state, marked.late) == (BookingState.CHECKED_IN, False)
    assert desk.store.events(MONDAY)[-1].actor == "help-desk:siti"


def test_the_central_expires_no_shows_as_it_runs(
    provisioned: Provisioned, mosquitto: Mosquitto, tmp_path: Path, example_site: Site
) -> None:
    """GIVEN a KTP booking for 08:00 (KTP refuses the late: its window closed 08:10) and a
    passport booking for 11:00 WHEN the central starts at 09:00 THEN the first becomes a
    no-show, the second stays booked."""
    database = tmp_path / "antre.sqlite3"
    desk = open_bookings(database, lambda: example_site)
    sunday = at(10, day=MONDAY - dt.timedelta(days=1))
    gone = desk.book("H", MONDAY, dt.time(8), "Budi", NIK, "", BookingSource.STAFF, sunday)
    coming = desk.book("A", MONDAY, dt.time(11), "Ani", NIK, "", BookingSource.WEB, sunday)
    central = CentralProcess(provisioned, database)
    central.start()
    try:
        wait_for_state(provisioned, lambda state: True)
        wait_until(
            lambda: (
                (found := desk.find(gone.code)) is not None and found.state is BookingState.NO_SHOW
            ),
            2 * WAIT,
            "the KTP booking expired",
        )
        still = desk.find(coming.code)
        assert still is not None
        assert still.state is BookingState.BOOKED
    finally:
        central.kill()
        desk.store.close()
