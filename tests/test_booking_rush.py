"""The rush when booking opens: many at once, never over capacity, never a NIK twice."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from broker.bookings import BookingBook, BookingDesk, BookingSource, load_nik_key
from broker.engine.engine import Refused
from contract.reasons import Reason
from tests.booking_fixtures import booking_site
from tests.conftest import MONDAY, at

# One session of 100 places in one slot, and nothing kept from walk-ins beyond it.
RUSH_RULES = """
[services.booking]
sessions = { mon = ["08:00-08:30/100"] }
slot_minutes = 30
kept_for_bookings = 0
days_ahead = 7
opens_at = "07:00"
"""


def test_a_thousand_at_once_for_a_hundred_places_get_exactly_a_hundred(tmp_path: Path) -> None:
    """GIVEN 100 places and two desks on two connections to one file (as the web
    server's threads and a second process would be) WHEN 1,000 attempts come at once,
    each NIK trying twice THEN exactly 100 are booked, the rest refused as slot_full or
    nik_already_booked, and no NIK holds two bookings."""
    site = booking_site(RUSH_RULES)
    database = tmp_path / "antre.sqlite3"
    key = load_nik_key(tmp_path)
    books = [BookingBook(database), BookingBook(database)]
    desks = [BookingDesk(lambda: site, book, key) for book in books]
    now = at(7, day=MONDAY - dt.timedelta(days=7))

    def attempt(i: int) -> str:
        nik = f"6472{i // 2:012d}"
        try:
            desks[i % 2].book(
                "A", MONDAY, dt.time(8), f"Warga {i}", nik, "", BookingSource.WEB, now
            )
        except Refused as e:
            return e.reason.value
        return "booked"

    with ThreadPoolExecutor(max_workers=64) as pool:
        outcomes = list(pool.map(attempt, range(1000)))
    kept = desks[0].bookings("A", MONDAY)
    assert outcomes.count("booked") == len(kept) == 100
    assert set(outcomes) <= {"booked", Reason.SLOT_FULL.value, Reason.NIK_ALREADY_BOOKED.value}
    assert len({b.nik_hash for b in kept}) == 100
    assert len({b.code for b in kept}) == 100
    for book in books:
        book.close()
