"""Why the queue refused something: a stable code plus words for people.

The code travels in messages and drives a kiosk's LEDs; the words are shown to
citizens and clerks, in Bahasa Indonesia first and English second.
"""

from enum import StrEnum


class Reason(StrEnum):
    """Why an operation was refused."""

    UNKNOWN_SERVICE = "unknown_service"
    UNKNOWN_COUNTER = "unknown_counter"
    UNKNOWN_TICKET = "unknown_ticket"
    HOLIDAY = "holiday"
    CLOSED_TODAY = "closed_today"
    NOT_YET_OPEN = "not_yet_open"
    ON_BREAK = "on_break"
    PAST_CUTOFF = "past_cutoff"
    CLOSED = "closed"
    QUOTA_FULL = "quota_full"
    QUEUE_EMPTY = "queue_empty"
    COUNTER_PAUSED = "counter_paused"
    COUNTER_NOT_PAUSED = "counter_not_paused"
    COUNTER_BUSY = "counter_busy"
    NO_CURRENT_TICKET = "no_current_ticket"
    NOT_SKIPPED = "not_skipped"
    GRACE_PASSED = "grace_passed"
    SAME_SERVICE = "same_service"
    NOT_CANCELLABLE = "not_cancellable"
    NOT_RESERVED = "not_reserved"
    BAD_REQUEST = "bad_request"
    # The kiosk had already given up waiting for this request (see `IssueTicket.expires`).
    EXPIRED = "expired"
    # An offline ticket's print time is not on its day, in its hours, or before it arrived.
    IMPLAUSIBLE_TIME = "implausible_time"
    UNAVAILABLE = "unavailable"
    # A `check_in` refused: see docs/protocol.md.
    UNKNOWN_BOOKING = "unknown_booking"
    NOT_TODAY = "not_today"
    TOO_EARLY = "too_early"
    TOO_LATE = "too_late"
    ALREADY_CHECKED_IN = "already_checked_in"
    BOOKING_CANCELLED = "booking_cancelled"
    # Booking, cancelling and moving refused: see broker/bookings.
    NOT_BOOKABLE = "not_bookable"
    TOO_FAR_AHEAD = "too_far_ahead"
    BOOKING_NOT_OPEN = "booking_not_open"
    BOOKING_CLOSED = "booking_closed"
    UNKNOWN_SLOT = "unknown_slot"
    SLOT_FULL = "slot_full"
    NIK_ALREADY_BOOKED = "nik_already_booked"
    BAD_NIK = "bad_nik"
    ALREADY_MOVED = "already_moved"


# (Bahasa Indonesia, English)
REASON_TEXT: dict[Reason, tuple[str, str]] = {
    Reason.UNKNOWN_SERVICE: ("Layanan tidak dikenal", "Unknown service"),
    Reason.UNKNOWN_COUNTER: ("Loket tidak dikenal", "Unknown counter"),
    Reason.UNKNOWN_TICKET: ("Nomor antrean tidak dikenal", "Unknown ticket"),
    Reason.HOLIDAY: ("Hari libur, layanan tutup", "Public holiday, the service is closed"),
    Reason.CLOSED_TODAY: ("Layanan tidak buka hari ini", "The service is not open today"),
    Reason.NOT_YET_OPEN: ("Layanan belum buka", "The service is not open yet"),
    Reason.ON_BREAK: ("Layanan sedang istirahat", "The service is on a break"),
    Reason.PAST_CUTOFF: (
        "Pengambilan nomor antrean hari ini sudah ditutup",
        "No more tickets are issued today",
    ),
    Reason.CLOSED: ("Layanan sudah tutup", "The service has closed"),
    Reason.QUOTA_FULL: ("Kuota hari ini sudah habis", "Today's quota is used up"),
    Reason.QUEUE_EMPTY: ("Tidak ada antrean yang menunggu", "Nobody is waiting"),
    Reason.COUNTER_PAUSED: ("Loket sedang istirahat", "The counter is paused"),
    Reason.COUNTER_NOT_PAUSED: ("Loket tidak sedang istirahat", "The counter is not paused"),
    Reason.COUNTER_BUSY: (
        "Selesaikan atau lewati nomor yang sedang dilayani dahulu",
        "Finish or skip the ticket being served first",
    ),
    Reason.NO_CURRENT_TICKET: ("Loket belum memanggil nomor", "The counter is serving nobody"),
    Reason.NOT_SKIPPED: ("Nomor ini tidak dilewati", "This ticket was not skipped"),
    Reason.GRACE_PASSED: (
        "Batas waktu untuk kembali sudah lewat",
        "Too late to bring this ticket back",
    ),
    Reason.SAME_SERVICE: ("Nomor sudah berada di layanan ini", "The ticket is in this service"),
    Reason.NOT_CANCELLABLE: (
        "Nomor ini tidak dapat dibatalkan",
        "This ticket can no longer be cancelled",
    ),
    Reason.NOT_RESERVED: (
        "Nomor ini tidak dicadangkan untuk anjungan ini",
        "This number is not reserved for this kiosk",
    ),
    Reason.BAD_REQUEST: ("Permintaan tidak valid", "Invalid request"),
    Reason.IMPLAUSIBLE_TIME: (
        "Waktu cetak nomor antrean tidak wajar",
        "The ticket's print time is not plausible",
    ),
    Reason.EXPIRED: (
        "Permintaan terlambat sampai, tidak diproses",
        "The request arrived too late and was not carried out",
    ),
    Reason.UNAVAILABLE: (
        "Sistem antrean sedang gangguan, silakan hubungi petugas",
        "The queue system has a fault; please ask a member of staff",
    ),
    Reason.UNKNOWN_BOOKING: ("Kode booking tidak dikenal", "Unknown booking code"),
    Reason.NOT_TODAY: ("Booking ini bukan untuk hari ini", "This booking is not for today"),
    Reason.TOO_EARLY: ("Terlalu awal untuk check-in", "Too early to check in"),
    Reason.TOO_LATE: ("Waktu check-in sudah lewat", "Too late to check in"),
    Reason.ALREADY_CHECKED_IN: ("Booking ini sudah check-in", "This booking has checked in"),
    Reason.BOOKING_CANCELLED: ("Booking ini sudah dibatalkan", "This booking was cancelled"),
    Reason.NOT_BOOKABLE: (
        "Layanan ini tidak menerima booking pada tanggal itu",
        "This service takes no bookings on that date",
    ),
    Reason.TOO_FAR_AHEAD: (
        "Tanggal itu belum dapat dibooking, terlalu jauh ke depan",
        "That date is too far ahead to book yet",
    ),
    Reason.BOOKING_NOT_OPEN: (
        "Booking untuk tanggal itu belum dibuka",
        "Booking for that date has not opened yet",
    ),
    Reason.BOOKING_CLOSED: (
        "Booking untuk jam itu sudah ditutup",
        "Booking for that time has closed",
    ),
    Reason.UNKNOWN_SLOT: ("Jam kedatangan itu tidak tersedia", "No such arrival time"),
    Reason.SLOT_FULL: ("Kuota jam itu sudah penuh", "That time is fully booked"),
    Reason.NIK_ALREADY_BOOKED: (
        "NIK ini sudah memiliki booking untuk layanan dan tanggal itu",
        "This NIK already has a booking for that service and date",
    ),
    Reason.BAD_NIK: ("NIK harus 16 angka", "The NIK must be 16 digits"),
    Reason.ALREADY_MOVED: (
        "Booking ini sudah pernah dipindah jadwalnya",
        "This booking has already been moved once",
    ),
}


def reason_text(reason: Reason, language: str = "id") -> str:
    """The words for a reason, in "id" (default) or "en"."""
    indonesian, english = REASON_TEXT[reason]
    return english if language == "en" else indonesian
