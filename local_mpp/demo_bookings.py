"""Bookings for today, made when `make run` starts, so the check-in can be tried at once:
at the help desk (/help-desk/) or with a scanner at a kiosk."""

import datetime as dt
from pathlib import Path

from broker.bookings import Booking, BookingSource, open_bookings
from broker.engine.refusal import Refused
from contract.hours import service_day
from contract.site import Site

# Made-up NIKs (16 digits); a real one is never needed to try the check-in.
DEMO_NIKS = ("6472000000000001", "6472000000000002")
# The second booking is this far after the first: too early to check in at first.
LATER = dt.timedelta(minutes=90)


def book_demo(database: Path, site: Site, now: dt.datetime) -> list[Booking]:
    """Up to two bookings of the first service that takes them, for today: the next slot
    still open and one about 90 minutes later. None when nothing can be booked today."""
    service = next((s for s in site.services if s.booking is not None), None)
    if service is None:
        return []
    desk = open_bookings(database, lambda: site)
    today = service_day(site, now)
    try:
        slots = [slot for slot in desk.slots(service.prefix, today, now) if slot.free]
    except Refused:
        desk.store.close()
        return []
    chosen = slots[:1]
    if slots:
        first = dt.datetime.combine(today, slots[0].start)
        chosen += [s for s in slots if dt.datetime.combine(today, s.start) >= first + LATER][:1]
    try:
        return [
            desk.book(
                service.prefix,
                today,
                slot.start,
                "Warga Contoh",
                nik,
                "",
                BookingSource.STAFF,
                now,
                actor="make run",
            )
            for slot, nik in zip(chosen, DEMO_NIKS, strict=False)
        ]
    finally:
        desk.store.close()


def greeting(bookings: list[Booking]) -> str:
    """What `make run` prints about them."""
    if not bookings:
        return ""
    listed = ", ".join(f"{b.code} at {b.slot_text}" for b in bookings)
    return (
        f"Booked for today: {listed}. To check one in, type its code here (scanned at the\n"
        f"kiosk with {bookings[0].service}'s button: a ticket marked with the slot, or the"
        " later one refused\nas too early), or check it in at the help desk, /help-desk/.\n"
    )
