"""`make run`'s bookings for today, for trying the check-in at once."""

import datetime as dt
from pathlib import Path

from broker.bookings import BookingState, open_bookings
from contract.site import Site
from local_mpp.demo_bookings import book_demo, greeting
from tests.conftest import MONDAY, at


def test_make_run_books_the_next_slot_and_a_later_one(tmp_path: Path, example_site: Site) -> None:
    """GIVEN the example site at 09:00 on a Monday WHEN make run starts THEN two passport
    bookings for today are made, at 09:15 (the next slot still open) and 10:45, and the
    greeting names their codes and the help desk."""
    made = book_demo(tmp_path / "antre.sqlite3", example_site, at(9))
    assert [(b.service, b.day, b.slot_text, b.state) for b in made] == [
        ("A", MONDAY, "09:15", BookingState.BOOKED),
        ("A", MONDAY, "10:45", BookingState.BOOKED),
    ]
    text = greeting(made)
    assert made[0].code in text
    assert "type its code here" in text
    assert "/help-desk/" in text
    desk = open_bookings(tmp_path / "antre.sqlite3", lambda: example_site)
    assert [b.code for b in desk.bookings("A", MONDAY)] == [b.code for b in made]
    desk.store.close()


def test_nothing_is_booked_on_a_day_without_sessions(tmp_path: Path, example_site: Site) -> None:
    """GIVEN a Saturday WHEN make run starts THEN no booking, and nothing is said."""
    saturday = MONDAY + dt.timedelta(days=5)
    assert book_demo(tmp_path / "antre.sqlite3", example_site, at(9, day=saturday)) == []
    assert greeting([]) == ""
