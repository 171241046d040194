"""Check-in at the kiosk: `check_in` requests through a real Mosquitto to the real central,
against bookings kept in the central's own database file."""

import datetime as dt
from collections.abc import Iterator

import pytest
from msgspec import Struct

from broker.bookings import BookingDesk, BookingSource, BookingState, open_bookings
from contract.messages import Answer, CheckIn, IssueOffline, ReserveNumbers, decode, encode
from contract.reasons import Reason
from contract.site import Site
from tests.broker_fixtures import WAIT, Provisioned, wait_until
from tests.central_fixtures import CentralProcess, Kiosk, _answer_id
from tests.conftest import MONDAY, at

# The central's clock starts on MONDAY at 09:00 WITA; bookings were made the day before.
SUNDAY_MORNING = at(10, day=MONDAY - dt.timedelta(days=1))
TUESDAY = MONDAY + dt.timedelta(days=1)


@pytest.fixture
def desk(central: CentralProcess, example_site: Site) -> Iterator[BookingDesk]:
    """The booking desk on the running central's database file."""
    opened = open_bookings(central.db, lambda: example_site)
    yield opened
    opened.store.close()


@pytest.fixture
def kiosk(provisioned: Provisioned, central: CentralProcess) -> Iterator[Kiosk]:
    device = Kiosk(provisioned, "kiosk-1")
    yield device
    device.close()


def book(
    desk: BookingDesk, slot: dt.time, nik_end: int, service: str = "A", day: dt.date = MONDAY
) -> str:
    nik = f"647201120390{nik_end:04d}"
    booking = desk.book(
        service, day, slot, "Siti", nik, "081234567890", BookingSource.WEB, SUNDAY_MORNING
    )
    return booking.code


def send(kiosk: Kiosk, message: Struct, request_id: str) -> Answer:
    """Publishes a request as the kiosk does and waits for its answer."""
    kiosk.client.publish(kiosk.request_topic, encode(message), qos=1)
    raw = kiosk.wait_for(kiosk.answer_topic, lambda p: _answer_id(p) == request_id, 2 * WAIT)
    return decode(raw, Answer)


def check_in(
    kiosk: Kiosk,
    request_id: str,
    code: str,
    offline_ticket: str | None = None,
    scanned_at: dt.datetime | None = None,
) -> Answer:
    request = CheckIn(
        id=request_id, code=code, offline_ticket=offline_ticket, scanned_at=scanned_at
    )
    return send(kiosk, request, request_id)


def test_a_booking_on_time_gets_a_ticket_marked_with_its_slot(
    kiosk: Kiosk, desk: BookingDesk
) -> None:
    """GIVEN a passport booking for 09:00 WHEN its code is scanned at 09:00, read loosely
    (lower case, no dash) THEN the answer is a ticket A001 of Paspor marked 09:00, and the
    booking is checked in with that ticket; a repeat of the request gets the same
    ticket, a new scan of the code already_checked_in."""
    code = book(desk, dt.time(9), 1)
    answer = check_in(kiosk, "scan-1", code.lower().replace("-", ""))
    assert answer.ok, answer
    assert answer.ticket is not None
    assert (answer.ticket.number, answer.ticket.service, answer.ticket.slot) == (
        "A001",
        "A",
        "09:00",
    )
    wait_until(
        lambda: (found := desk.find(code)) is not None and found.state is BookingState.CHECKED_IN,
        WAIT,
        "the booking marked checked in",
    )
    found = desk.find(code)
    assert found is not None
    assert found.ticket_id == answer.ticket.id
    again = check_in(kiosk, "scan-1", code.lower().replace("-", ""))
    assert again.ticket is not None
    assert (again.ok, again.ticket.number) == (True, "A001")
    twice = check_in(kiosk, "scan-2", code)
    assert (twice.ok, twice.reason) == (False, Reason.ALREADY_CHECKED_IN.value)


def test_refusals_say_why_and_too_early_says_from_when(kiosk: Kiosk, desk: BookingDesk) -> None:
    """GIVEN bookings for 10:30 today, for tomorrow, one cancelled, and a KTP booking of
    08:00 (KTP refuses the late) WHEN each is scanned at 09:00 THEN too_early from 10:00,
    not_today, booking_cancelled, too_late; an unknown code is unknown_booking. No ticket
    is given, and a repeat of the too_early request says the same."""
    early = book(desk, dt.time(10, 30), 2)
    tomorrow = book(desk, dt.time(9), 3, day=TUESDAY)
    cancelled = book(desk, dt.time(9, 15), 4)
    desk.cancel(cancelled, SUNDAY_MORNING)
    late_ktp = book(desk, dt.time(8), 5, service="H")
    answers = {
        name: check_in(kiosk, f"scan-{name}", code)
        for name, code in [
            ("early", early),
            ("tomorrow", tomorrow),
            ("cancelled", cancelled),
            ("late", late_ktp),
            ("unknown", "A-ZZZZZZ"),
        ]
    }
    assert {name: (a.ok, a.reason) for name, a in answers.items()} == {
        "early": (False, "too_early"),
        "tomorrow": (False, "not_today"),
        "cancelled": (False, "booking_cancelled"),
        "late": (False, "too_late"),
        "unknown": (False, "unknown_booking"),
    }
    assert answers["early"].check_in_from == "2026-11-30T10:00:00+08:00"
    assert answers["early"].message == "Terlalu awal untuk check-in"
    assert all(a.ticket is None for a in answers.values())
    repeat = check_in(kiosk, "scan-early", early)
    assert (repeat.reason, repeat.check_in_from) == ("too_early", "2026-11-30T10:00:00+08:00")


def test_a_late_passport_booking_becomes_a_walk_in(kiosk: Kiosk, desk: BookingDesk) -> None:
    """GIVEN a passport booking for 08:00 (Paspor takes the late as walk-ins) WHEN it is
    scanned at 09:00, past its window THEN a ticket without a slot, the booking marked
    late."""
    code = book(desk, dt.time(8), 6)
    answer = check_in(kiosk, "scan-late", code)
    assert answer.ok
    assert answer.ticket is not None
    assert answer.ticket.slot is None
    wait_until(
        lambda: (found := desk.find(code)) is not None and found.late,
        WAIT,
        "the booking marked checked in late",
    )


def test_an_offline_kiosk_ties_the_booking_to_the_ticket_it_printed(
    kiosk: Kiosk, desk: BookingDesk
) -> None:
    """GIVEN kiosk-1 printed reserved number A001 at a scan at 08:55 while offline WHEN it
    sends issue_offline and then check_in with the ticket and the scan time THEN the
    booking is tied to A001, whose slot is 09:00; a cancelled booking scanned offline
    leaves its ticket a walk-in, answered ok with the reason."""
    code = book(desk, dt.time(9), 7)
    cancelled = book(desk, dt.time(9, 15), 8)
    desk.cancel(cancelled, SUNDAY_MORNING)
    reserved = send(kiosk, ReserveNumbers(id="res-1", service="A", count=2), "res-1")
    first, second = (ticket.id for ticket in reserved.reserved)
    scanned = dt.datetime.fromisoformat("2026-11-30T08:55:00+08:00")
    for request_id, ticket in (("off-1", first), ("off-2", second)):
        handed_in = send(
            kiosk, IssueOffline(id=request_id, ticket=ticket, issued_at=scanned), request_id
        )
        assert handed_in.ok, handed_in
    tied = check_in(kiosk, "late-1", code, offline_ticket=first, scanned_at=scanned)
    assert tied.ok
    assert tied.ticket is not None
    assert (tied.ticket.id, tied.ticket.slot) == (first, "09:00")
    kept = check_in(kiosk, "late-2", cancelled, offline_ticket=second, scanned_at=scanned)
    assert (kept.ok, kept.reason) == (True, "booking_cancelled")
    assert kept.ticket is not None
    assert (kept.ticket.id, kept.ticket.slot, kept.ticket.state) == (second, None, "waiting")
    wait_until(
        lambda: (found := desk.find(code)) is not None and found.ticket_id == first,
        WAIT,
        "the booking tied to the offline ticket",
    )
