"""The booking desk: the rules of booking, cancelling and moving, over the kept bookings.

What the public pages, the staff's help desk and the import API all call, so a booking
is made one way whoever takes it. `now` is always passed in; a refusal is a `Refused`
with a stable reason code (contract/reasons.py) and changes nothing.
"""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from broker.bookings.book import BookingBook, NewBooking
from broker.bookings.calendar import (
    Slot,
    bookable_slot,
    check_bookable_day,
    day_slots,
    local_moment,
    rules_of,
)
from broker.bookings.nik import NikKey
from broker.bookings.records import Booking, BookingSource
from broker.engine.engine import Refused
from contract.booking_code import parse_code
from contract.reasons import Reason
from contract.site import Service, Site

_PHONE = re.compile(r"^\+?[0-9]{8,15}$")
NAME_LENGTH = 120
EXTERNAL_ID_LENGTH = 100


@dataclass(frozen=True, slots=True)
class OpenSlot:
    """A slot that can still be booked, with its places."""

    start: dt.time
    end: dt.time
    capacity: int
    free: int

    @property
    def text(self) -> str:
        """ "HH:MM", as shown and sent."""
        return f"{self.start:%H:%M}"


class BookingDesk:
    """Books, cancels, moves and finds bookings under the site's rules.

    `site` is asked each time, so a manager's live edit of the booking rules applies at
    once. Refusals (`broker.engine.engine.Refused`, `.reason` a `contract.reasons.Reason`):
    not_bookable, too_far_ahead, booking_not_open, booking_closed (the detail says from
    or until when), unknown_slot, slot_full, nik_already_booked, bad_nik, bad_request
    (name, phone, external id), unknown_booking, booking_cancelled, already_checked_in,
    too_late (expired as a no-show), already_moved.
    """

    def __init__(self, site: Callable[[], Site], store: BookingBook, nik_key: NikKey) -> None:
        self._site = site
        # The kept bookings, for what needs no rule: lists, history, the reports.
        self.store = store
        self._nik_key = nik_key

    def slots(self, service: str, day: dt.date, now: dt.datetime) -> list[OpenSlot]:
        """The slots of `day` still open for booking at `now`, with their free places
        (a full slot is listed with `free == 0`); `Refused` if the day cannot be booked."""
        site, entry = self._service(service)
        check_bookable_day(site, entry, day, now)
        rules = rules_of(entry)
        taken = self.store.taken(service, day)
        closing = dt.timedelta(minutes=rules.closes_minutes_before)
        return [
            OpenSlot(
                slot.start,
                slot.end,
                slot.capacity,
                max(0, slot.capacity - taken.get(slot.start, 0)),
            )
            for slot in day_slots(rules, day)
            if slot.capacity > 0 and now < local_moment(site, day, slot.start) - closing
        ]

    def book(
        self,
        service: str,
        day: dt.date,
        slot: dt.time,
        name: str,
        nik: str,
        phone: str,
        source: BookingSource,
        now: dt.datetime,
        external_id: str | None = None,
        actor: str = "",
    ) -> Booking:
        """Books a place in a slot and returns the booking with its new code.

        Idempotent for imports: the same (source, external_id) again returns the booking
        made the first time, whatever else it says and even once booking has closed.
        `phone` may be empty (a citizen booked by staff may have none).
        """
        site, entry = self._service(service)
        nik_hash = self._nik_key.hash(nik)
        clean_name, clean_phone = _checked_name(name), _checked_phone(phone)
        if external_id is not None:
            external_id = _checked_external_id(external_id)
            earlier = self.store.by_external_id(source, external_id)
            if earlier is not None:
                return earlier
        chosen: Slot = bookable_slot(site, entry, day, slot, now)
        new = NewBooking(
            service=service,
            day=day,
            slot=chosen.start,
            name=clean_name,
            phone=clean_phone,
            nik_hash=nik_hash,
            source=source,
            external_id=external_id,
            actor=actor or source.value,
        )
        return self.store.insert(new, chosen.capacity, now)

    def cancel(self, code: str, now: dt.datetime, actor: str = "") -> Booking:
        """Cancels a booking not yet checked in; its place is free again."""
        return self.store.cancel(self._known(code).code, now, actor)

    def move(
        self, code: str, new_day: dt.date, new_slot: dt.time, now: dt.datetime, actor: str = ""
    ) -> Booking:
        """Moves a booking to another slot of its service, once, while both its current
        slot and the new one are still open for booking."""
        booking = self._known(code)
        site, entry = self._service(booking.service)
        bookable_slot(site, entry, booking.day, booking.slot, now)
        chosen = bookable_slot(site, entry, new_day, new_slot, now)
        return self.store.move(booking.code, new_day, chosen.start, chosen.capacity, now, actor)

    def find(self, code: str) -> Booking | None:
        """The booking for a code as a citizen typed or a scanner read it (lower case,
        spaces, a missing dash and look-alike letters are forgiven), or None."""
        parsed = parse_code(code)
        return self.store.find(str(parsed)) if parsed is not None else None

    def bookings(self, service: str | None, day: dt.date) -> list[Booking]:
        """A day's bookings, of one service or of all, by slot."""
        return self.store.bookings(service, day)

    def nik_matches(self, booking: Booking, nik: str) -> bool:
        """Whether `nik` is the NIK the booking was made with (e.g. before a citizen
        cancels or moves it on the public pages)."""
        return booking.nik_hash == self._nik_key.hash(nik)

    def _known(self, code: str) -> Booking:
        booking = self.find(code)
        if booking is None:
            raise Refused(Reason.UNKNOWN_BOOKING, code.strip()[:20])
        return booking

    def _service(self, prefix: str) -> tuple[Site, Service]:
        site = self._site()
        entry = site.services_by_prefix.get(prefix)
        if entry is None:
            raise Refused(Reason.UNKNOWN_SERVICE, prefix[:10])
        return site, entry


def _checked_name(name: str) -> str:
    clean = " ".join(name.split())
    if not clean or len(clean) > NAME_LENGTH:
        raise Refused(Reason.BAD_REQUEST, f"a name of 1 to {NAME_LENGTH} characters")
    return clean


def _checked_phone(phone: str) -> str:
    clean = re.sub(r"[\s\-().]", "", phone)
    if clean and not _PHONE.match(clean):
        raise Refused(Reason.BAD_REQUEST, "a phone number of 8 to 15 digits")
    return clean


def _checked_external_id(external_id: str) -> str:
    clean = external_id.strip()
    if not clean or len(clean) > EXTERNAL_ID_LENGTH or not clean.isprintable():
        raise Refused(Reason.BAD_REQUEST, f"an external id of 1 to {EXTERNAL_ID_LENGTH} characters")
    return clean
