"""The booking desk: slots, booking, cancelling, moving, imports, on a real SQLite file."""

import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

import pytest

from broker.bookings import BookingDesk, BookingSource, BookingState, day_slots
from broker.engine.engine import Refused
from contract.reasons import Reason
from contract.site import Site
from tests.booking_fixtures import NIK, OTHER_NIK, WEEK_BEFORE, book_a
from tests.conftest import MONDAY, at

TUESDAY = MONDAY + dt.timedelta(days=1)
WEDNESDAY = MONDAY + dt.timedelta(days=2)
SUNDAY_BEFORE = MONDAY - dt.timedelta(days=1)


def refusal_of(error: pytest.ExceptionInfo[Refused]) -> Reason:
    return error.value.reason


# --- slots -----------------------------------------------------------------------------------


def test_a_sessions_capacity_is_spread_over_its_slots(booked_site: Site) -> None:
    """GIVEN Monday's sessions 08:00-09:00/4 and 13:00-14:00/2 in 30-minute slots
    WHEN the slots are listed THEN each session's places are shared by its slots."""
    rules = booked_site.services_by_prefix["A"].booking
    assert rules is not None
    slots = day_slots(rules, MONDAY)
    assert [(s.text, f"{s.end:%H:%M}", s.capacity) for s in slots] == [
        ("08:00", "08:30", 2),
        ("08:30", "09:00", 2),
        ("13:00", "13:30", 1),
        ("13:30", "14:00", 1),
    ]


def test_free_places_go_down_as_people_book(desk: BookingDesk) -> None:
    """GIVEN one booking at 08:00 WHEN the slots are listed THEN 08:00 has one place left."""
    book_a(desk)
    slots = desk.slots("A", MONDAY, at(10, day=SUNDAY_BEFORE))
    assert [(s.text, s.free) for s in slots] == [
        ("08:00", 1),
        ("08:30", 2),
        ("13:00", 1),
        ("13:30", 1),
    ]


def test_slots_that_have_started_are_no_longer_offered(desk: BookingDesk) -> None:
    """GIVEN the morning of the day itself WHEN the slots are listed at 08:40 THEN only
    the slots still to come are offered."""
    assert [s.text for s in desk.slots("A", MONDAY, at(8, 40))] == ["13:00", "13:30"]


# --- when a day can be booked ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "now", "reason"),
    [
        (MONDAY, at(6, 59, day=WEEK_BEFORE), Reason.BOOKING_NOT_OPEN),
        (MONDAY, at(10, day=WEEK_BEFORE - dt.timedelta(days=1)), Reason.TOO_FAR_AHEAD),
        (WEDNESDAY, at(10), Reason.NOT_BOOKABLE),  # no sessions on Wednesdays
        (MONDAY + dt.timedelta(days=5), at(10), Reason.NOT_BOOKABLE),  # Saturday: closed
        (MONDAY, at(10, day=TUESDAY), Reason.BOOKING_CLOSED),  # the day has passed
    ],
    ids=["before-07:00", "eight-days-ahead", "no-sessions", "closed-day", "past"],
)
def test_a_day_outside_the_booking_window_is_refused(
    desk: BookingDesk, day: dt.date, now: dt.datetime, reason: Reason
) -> None:
    """GIVEN a day booking does not take at `now` WHEN booked THEN refused with why."""
    with pytest.raises(Refused) as refused:
        book_a(desk, day=day, now=now)
    assert refusal_of(refused) is reason
    assert desk.bookings("A", day) == []


def test_a_day_opens_for_booking_at_the_set_time_seven_days_ahead(desk: BookingDesk) -> None:
    """GIVEN days_ahead 7 and opens_at 07:00 WHEN booking at 07:00 a week before THEN
    it is taken, and the refusal a minute earlier says when booking opens."""
    with pytest.raises(Refused) as refused:
        book_a(desk, now=at(6, 59, day=WEEK_BEFORE))
    assert refused.value.detail == at(7, day=WEEK_BEFORE).isoformat()
    booking = book_a(desk, now=at(7, day=WEEK_BEFORE))
    assert booking.state is BookingState.BOOKED


def test_a_holiday_takes_no_bookings(desk: BookingDesk) -> None:
    """GIVEN the site's holiday on a Friday WHEN the slots are asked THEN not bookable."""
    with pytest.raises(Refused) as refused:
        desk.slots("A", dt.date(2026, 12, 25), at(10, day=dt.date(2026, 12, 20)))
    assert refusal_of(refused) is Reason.NOT_BOOKABLE


def test_a_service_without_booking_rules_takes_no_bookings(desk: BookingDesk) -> None:
    """GIVEN service B without bookings WHEN booked THEN not_bookable."""
    with pytest.raises(Refused) as refused:
        desk.book("B", MONDAY, dt.time(8), "Budi", NIK, "", BookingSource.WEB, at(9))
    assert refusal_of(refused) is Reason.NOT_BOOKABLE


def test_a_slot_that_is_not_in_the_sessions_is_refused(desk: BookingDesk) -> None:
    """GIVEN slots at 08:00 and 08:30 WHEN 08:15 is booked THEN unknown_slot."""
    with pytest.raises(Refused) as refused:
        book_a(desk, slot=dt.time(8, 15))
    assert refusal_of(refused) is Reason.UNKNOWN_SLOT


def test_a_slot_that_has_started_is_closed(desk: BookingDesk) -> None:
    """GIVEN the 08:00 slot WHEN booked at 08:00 that day THEN booking_closed."""
    with pytest.raises(Refused) as refused:
        book_a(desk, now=at(8))
    assert refusal_of(refused) is Reason.BOOKING_CLOSED
    assert book_a(desk, slot=dt.time(8, 30), now=at(8)).slot == dt.time(8, 30)


# --- booking ---------------------------------------------------------------------------------


def test_a_booking_gets_a_code_of_its_service(desk: BookingDesk) -> None:
    """GIVEN an open slot WHEN booked THEN the code names service A and finds the booking,
    typed loosely too."""
    booking = book_a(desk)
    assert booking.code.startswith("A-")
    assert len(booking.code) == 8
    assert (booking.service, booking.day, booking.slot_text) == ("A", MONDAY, "08:00")
    assert (booking.name, booking.phone) == ("Siti Aminah", "081234567890")
    assert desk.find(booking.code.lower().replace("-", " ")) == booking
    assert desk.find("A-ZZZZZZ") is None


def test_the_nik_is_kept_only_as_a_keyed_hash(desk: BookingDesk, tmp_path: Path) -> None:
    """GIVEN a booking WHEN the database file is read THEN the NIK is nowhere in it, the
    hash is not its plain SHA-256, and the key file is readable by its owner only."""
    booking = book_a(desk)
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("antre"))
    assert NIK.encode() not in raw
    assert booking.nik_hash != hashlib.sha256(NIK.encode()).hexdigest()
    assert (tmp_path / "booking-nik.secret").stat().st_mode & 0o777 == 0o600
    assert desk.nik_matches(booking, "6472-0112-0390-0001")
    assert not desk.nik_matches(booking, OTHER_NIK)


@pytest.mark.parametrize("nik", ["647201120390000", "64720112039000011", "647201120390000X", ""])
def test_a_nik_that_is_not_16_digits_is_refused(desk: BookingDesk, nik: str) -> None:
    """GIVEN a NIK of the wrong length or with letters WHEN booked THEN bad_nik."""
    with pytest.raises(Refused) as refused:
        book_a(desk, nik=nik)
    assert refusal_of(refused) is Reason.BAD_NIK


@pytest.mark.parametrize(
    ("name", "phone"), [("   ", "0812345678"), ("Siti", "12ab"), ("x" * 121, "")]
)
def test_a_missing_name_or_bad_phone_is_refused(desk: BookingDesk, name: str, phone: str) -> None:
    """GIVEN a blank or too long name, or a phone that is not a number WHEN booked
    THEN bad_request and nothing is kept."""
    with pytest.raises(Refused) as refused:
        desk.book(
            "A", MONDAY, dt.time(8), name, NIK, phone, BookingSource.STAFF, at(9, day=SUNDAY_BEFORE)
        )
    assert refusal_of(refused) is Reason.BAD_REQUEST
    assert desk.bookings("A", MONDAY) == []


def test_a_full_slot_is_refused(desk: BookingDesk) -> None:
    """GIVEN the 08:00 slot's two places taken WHEN a third books THEN slot_full."""
    book_a(desk, nik=NIK)
    book_a(desk, nik=OTHER_NIK)
    with pytest.raises(Refused) as refused:
        book_a(desk, nik="6472011203900003")
    assert refusal_of(refused) is Reason.SLOT_FULL
    assert len(desk.bookings("A", MONDAY)) == 2


def test_one_active_booking_per_nik_service_and_day(desk: BookingDesk) -> None:
    """GIVEN a NIK booked on Monday WHEN it books Monday again THEN refused; Tuesday is
    fine, and once the first is cancelled Monday is free again."""
    first = book_a(desk)
    with pytest.raises(Refused) as refused:
        book_a(desk, slot=dt.time(13))
    assert refusal_of(refused) is Reason.NIK_ALREADY_BOOKED
    book_a(desk, day=TUESDAY)
    desk.cancel(first.code, at(11, day=SUNDAY_BEFORE))
    assert book_a(desk, slot=dt.time(13)).slot == dt.time(13)


def test_the_database_refuses_a_second_active_booking_of_a_nik(
    desk: BookingDesk, tmp_path: Path
) -> None:
    """GIVEN a booking WHEN another writer inserts a second one of the same NIK, service
    and day behind the desk's back THEN the partial unique index refuses it."""
    booking = book_a(desk)
    connection = sqlite3.connect(tmp_path / "antre.sqlite3")
    with pytest.raises(sqlite3.IntegrityError):
        connection.execute(
            "INSERT INTO bookings (code, service, day, slot, name, phone, nik_hash, source, "
            "state, created_at, updated_at) VALUES ('A-000000', 'A', ?, '13:00', 'X', '', ?, "
            "'web', 'booked', '', '')",
            (MONDAY.isoformat(), booking.nik_hash),
        )
    connection.close()


def test_an_import_sent_twice_books_once(desk: BookingDesk) -> None:
    """GIVEN an imported booking WHEN the same source and external id come again (even
    after booking closed) THEN the first booking is returned and no place is taken."""
    now = at(9, day=SUNDAY_BEFORE)
    first = desk.book("A", MONDAY, dt.time(8), "Siti", NIK, "", BookingSource.IMPORT, now, "p-17")
    again = desk.book("A", MONDAY, dt.time(8), "Siti", NIK, "", BookingSource.IMPORT, at(9), "p-17")
    assert again == first
    assert [b.external_id for b in desk.bookings("A", MONDAY)] == ["p-17"]
    assert [e.kind for e in desk.store.events(MONDAY)] == ["booked"]


# --- cancelling and moving -------------------------------------------------------------------


def test_cancel_gives_the_place_back_and_cannot_be_done_twice(desk: BookingDesk) -> None:
    """GIVEN a booking WHEN cancelled THEN its slot has its place again; cancelled again:
    booking_cancelled; an unknown code: unknown_booking."""
    booking = book_a(desk)
    cancelled = desk.cancel(booking.code, at(11, day=SUNDAY_BEFORE), actor="web")
    assert cancelled.state is BookingState.CANCELLED
    assert desk.slots("A", MONDAY, at(12, day=SUNDAY_BEFORE))[0].free == 2
    with pytest.raises(Refused) as twice:
        desk.cancel(booking.code, at(12, day=SUNDAY_BEFORE))
    assert refusal_of(twice) is Reason.BOOKING_CANCELLED
    with pytest.raises(Refused) as unknown:
        desk.cancel("A-ZZZZZZ", at(12, day=SUNDAY_BEFORE))
    assert refusal_of(unknown) is Reason.UNKNOWN_BOOKING


def test_a_booking_moves_once(desk: BookingDesk) -> None:
    """GIVEN a booking on Monday 08:00 WHEN moved to Tuesday 08:30 THEN it is there and
    Monday's place is free; a second move is refused as already_moved."""
    booking = book_a(desk)
    moved = desk.move(booking.code, TUESDAY, dt.time(8, 30), at(11, day=SUNDAY_BEFORE))
    assert (moved.code, moved.day, moved.slot, moved.moved_once) == (
        booking.code,
        TUESDAY,
        dt.time(8, 30),
        True,
    )
    assert desk.slots("A", MONDAY, at(12, day=SUNDAY_BEFORE))[0].free == 2
    with pytest.raises(Refused) as refused:
        desk.move(booking.code, MONDAY, dt.time(8), at(12, day=SUNDAY_BEFORE))
    assert refusal_of(refused) is Reason.ALREADY_MOVED
    kinds = [e.kind for e in desk.store.events()]
    assert kinds == ["booked", "moved"]


def test_a_move_to_a_full_slot_changes_nothing(desk: BookingDesk) -> None:
    """GIVEN 13:00 (one place) taken WHEN another booking moves there THEN slot_full and
    it stays where it was, still movable."""
    book_a(desk, slot=dt.time(13), nik=OTHER_NIK)
    booking = book_a(desk)
    with pytest.raises(Refused) as refused:
        desk.move(booking.code, MONDAY, dt.time(13), at(11, day=SUNDAY_BEFORE))
    assert refusal_of(refused) is Reason.SLOT_FULL
    kept = desk.find(booking.code)
    assert kept is not None
    assert (kept.slot, kept.moved_once) == (dt.time(8), False)


def test_a_booking_whose_slot_has_started_cannot_be_moved(desk: BookingDesk) -> None:
    """GIVEN a booking at 08:00 WHEN moved at 08:05 that day THEN booking_closed."""
    booking = book_a(desk)
    with pytest.raises(Refused) as refused:
        desk.move(booking.code, MONDAY, dt.time(13), at(8, 5))
    assert refusal_of(refused) is Reason.BOOKING_CLOSED


def test_a_move_to_a_day_the_nik_already_booked_is_refused(desk: BookingDesk) -> None:
    """GIVEN one NIK booked on Monday and on Tuesday WHEN Monday's is moved to Tuesday
    THEN nik_already_booked, and both stay where they were."""
    monday = book_a(desk)
    book_a(desk, day=TUESDAY)
    with pytest.raises(Refused) as refused:
        desk.move(monday.code, TUESDAY, dt.time(8, 30), at(11, day=SUNDAY_BEFORE))
    assert refusal_of(refused) is Reason.NIK_ALREADY_BOOKED
    assert [b.day for b in desk.bookings("A", TUESDAY)] == [TUESDAY]
    assert desk.find(monday.code) == monday
