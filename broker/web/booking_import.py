"""Bookings taken by another system (a regional portal, an agency's app), imported once.

The other system names itself (`source`, e.g. "portal-kaltim") and its own id for the
booking (`external_id`); the pair is kept as the booking's external id
("portal-kaltim:123"), so the same pair again gives the same booking and never a second
one. A repeat that says something else (another slot, name or NIK) is a conflict and is
refused: the first import stands. Both the REST API and the CSV page go through here.
"""

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from broker.bookings import Booking, BookingDesk, BookingSource, checked_nik
from broker.bookings.calendar import bookable_slot
from broker.bookings.desk import EXTERNAL_ID_LENGTH
from broker.engine.engine import Refused
from contract.reasons import Reason, reason_text
from contract.site import Site

SOURCE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
# An import conflicting with the booking its (source, external_id) already made.
IMPORT_CONFLICT = "import_conflict"
_CONFLICT_WORDS = (
    "source dan external_id ini sudah diimpor dengan isi lain; booking pertama tetap",
    "this source and external_id were imported before with other details; the first stands",
)


class Outcome(StrEnum):
    """What became of one imported booking."""

    BOOKED = "booked"
    ALREADY_IMPORTED = "already_imported"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class ImportRequest:
    """One booking to import, as the other system sent it (fields already parsed)."""

    source: str
    external_id: str
    service: str
    day: dt.date
    slot: dt.time
    name: str
    nik: str
    phone: str

    @property
    def key(self) -> str:
        """The booking's external id: the system's name and its id."""
        return f"{self.source.lower()}:{self.external_id.strip()}"


@dataclass(frozen=True, slots=True)
class ImportResult:
    outcome: Outcome
    booking: Booking | None = None
    # The refusal's code and words (Bahasa Indonesia, English); empty when not refused.
    reason: str = ""
    message: str = ""
    message_en: str = ""


def refused(reason: str, indonesian: str, english: str) -> ImportResult:
    return ImportResult(Outcome.REFUSED, reason=reason, message=indonesian, message_en=english)


def refusal(error: Refused) -> ImportResult:
    """A desk's refusal; a bad request says what was wrong, in English as sent."""
    detail = f": {error.detail}" if error.reason is Reason.BAD_REQUEST and error.detail else ""
    return refused(
        error.reason.value,
        reason_text(error.reason) + detail,
        reason_text(error.reason, "en") + detail,
    )


def import_booking(desk: BookingDesk, asked: ImportRequest, now: dt.datetime) -> ImportResult:
    """Books `asked` once: booked, already imported (the same booking as before), or
    refused (the desk's reason, or a conflict with the earlier import)."""
    problem = _source_problem(asked)
    if problem is not None:
        return problem
    earlier = desk.store.by_external_id(BookingSource.IMPORT, asked.key)
    try:
        booking = desk.book(
            asked.service,
            asked.day,
            asked.slot,
            asked.name,
            asked.nik,
            asked.phone,
            BookingSource.IMPORT,
            now,
            external_id=asked.key,
            actor=f"import:{asked.source.lower()}",
        )
    except Refused as e:
        return refusal(e)
    if _conflicts(desk, booking, asked):
        return refused(
            IMPORT_CONFLICT, f"{_CONFLICT_WORDS[0]} ({booking.code})", _CONFLICT_WORDS[1]
        )
    outcome = Outcome.ALREADY_IMPORTED if earlier is not None else Outcome.BOOKED
    return ImportResult(outcome, booking)


def precheck(
    desk: BookingDesk, site: Site, rows: list[ImportRequest], now: dt.datetime
) -> list[ImportResult | None]:
    """Each row's refusal if importing the rows together would refuse it, else None:
    the rules, places left after the rows before it, one NIK a service and day, a pair
    twice in the file, a conflict with an earlier import. Changes nothing."""
    results: list[ImportResult | None] = []
    seen_keys: dict[str, int] = {}
    seen_niks: set[tuple[str, str, dt.date]] = set()
    wanted: Counter[tuple[str, dt.date, dt.time]] = Counter()
    for number, asked in enumerate(rows, start=1):
        results.append(_row_problem(desk, site, asked, now, seen_keys, seen_niks, wanted))
        seen_keys.setdefault(asked.key, number)
    return results


def _row_problem(
    desk: BookingDesk,
    site: Site,
    asked: ImportRequest,
    now: dt.datetime,
    seen_keys: dict[str, int],
    seen_niks: set[tuple[str, str, dt.date]],
    wanted: Counter[tuple[str, dt.date, dt.time]],
) -> ImportResult | None:
    problem = _source_problem(asked)
    if problem is not None:
        return problem
    if asked.key in seen_keys:
        row = seen_keys[asked.key]
        return refused(
            Reason.BAD_REQUEST.value,
            f"source dan external_id sama dengan baris {row}",
            f"the same source and external_id as row {row}",
        )
    earlier = desk.store.by_external_id(BookingSource.IMPORT, asked.key)
    if earlier is not None:
        if _conflicts(desk, earlier, asked):
            return refused(
                IMPORT_CONFLICT, f"{_CONFLICT_WORDS[0]} ({earlier.code})", _CONFLICT_WORDS[1]
            )
        return None
    service = site.services_by_prefix.get(asked.service)
    try:
        checked_nik(asked.nik)
        if service is None:
            raise Refused(Reason.UNKNOWN_SERVICE, asked.service[:10])
        slot = bookable_slot(site, service, asked.day, asked.slot, now)
    except Refused as e:
        return refusal(e)
    place = (asked.service, asked.day, slot.start)
    if (
        desk.store.taken(asked.service, asked.day).get(slot.start, 0) + wanted[place]
        >= slot.capacity
    ):
        return refusal(Refused(Reason.SLOT_FULL))
    nik_day = (checked_nik(asked.nik), asked.service, asked.day)
    if nik_day in seen_niks:
        return refusal(Refused(Reason.NIK_ALREADY_BOOKED))
    wanted[place] += 1
    seen_niks.add(nik_day)
    return None


def _source_problem(asked: ImportRequest) -> ImportResult | None:
    external_id = asked.external_id.strip()
    if not SOURCE.match(asked.source.lower()):
        return refused(
            Reason.BAD_REQUEST.value,
            "source: 1-40 huruf kecil, angka, titik, - atau _",
            "source: 1-40 lower-case letters, digits, dots, - or _",
        )
    if not external_id or len(asked.key) > EXTERNAL_ID_LENGTH or not external_id.isprintable():
        limit = EXTERNAL_ID_LENGTH - len(asked.source) - 1
        return refused(
            Reason.BAD_REQUEST.value,
            f"external_id: 1-{limit} karakter, satu baris",
            f"external_id: 1-{limit} characters, on one line",
        )
    return None


def _conflicts(desk: BookingDesk, booking: Booking, asked: ImportRequest) -> bool:
    """Whether `asked` says something else than the booking its pair made (a booking
    the citizen moved since keeps its new slot: the day and slot are not compared)."""
    try:
        same_nik = desk.nik_matches(booking, asked.nik)
    except Refused:
        return True
    same_slot = booking.moved_once or (booking.day, booking.slot) == (asked.day, asked.slot)
    same_name = booking.name == " ".join(asked.name.split())
    return not (same_nik and same_slot and same_name and booking.service == asked.service)
