"""Bookings (appointments): the rules, the store, and one factory to open both.

The API the console, the public pages and the import use:

    desk = open_bookings(database_path, lambda: ctx.site)
    desk.slots("A", day, now)                     # -> [OpenSlot(start, end, capacity, free)]
    booking = desk.book("A", day, dt.time(8, 15), "Siti", "6472...", "0812...",
                        BookingSource.WEB, now)   # -> Booking with .code "A-7K3M9Q"
    desk.cancel(booking.code, now); desk.move(code, day, slot, now); desk.find(code)
    desk.bookings("A", day); desk.store.events(day)   # for the lists and the reports

Every refusal is a `broker.engine.engine.Refused` whose `.reason` is a stable code from
`contract.reasons`; its Indonesian and English words come from `reason_text`.
"""

from collections.abc import Callable
from pathlib import Path

from broker.bookings.book import BookingBook
from broker.bookings.calendar import Slot, day_slots
from broker.bookings.desk import BookingDesk, OpenSlot
from broker.bookings.nik import NikKey, checked_nik, load_nik_key
from broker.bookings.records import Booking, BookingEvent, BookingSource, BookingState
from broker.engine.check_ins import check_in_window
from contract.site import Site

__all__ = [
    "Booking",
    "BookingBook",
    "BookingDesk",
    "BookingEvent",
    "BookingSource",
    "BookingState",
    "NikKey",
    "OpenSlot",
    "Slot",
    "check_in_window",
    "checked_nik",
    "day_slots",
    "load_nik_key",
    "open_bookings",
]


def open_bookings(database: Path, site: Callable[[], Site]) -> BookingDesk:
    """The booking desk over the central's database, with the NIK key kept beside it."""
    return BookingDesk(site, BookingBook(database), load_nik_key(database.resolve().parent))
