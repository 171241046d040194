"""What a printed ticket says, line by line: a pure function of the site and the ticket.

The layout knows nothing of ESC/POS or python-escpos; `kiosk.printer` renders its
blocks. Every `TextLine` already fits the printer's columns at its own character
width, so what the tests check here is what the paper shows.

Text is ASCII only. Cheap 58 mm printers (Xprinter and its clones) often start in
Chinese (GB18030) mode, where a byte above 0x7F swallows the next byte as half of a
Chinese character; an Epson prints the same byte from code page 437. ASCII prints
alike on both, so "±" becomes "+/-", accented letters lose their accents and control
characters from a config file become spaces (they could otherwise smuggle ESC/POS
commands onto the ticket). The replacement happens here, before wrapping, so the
line widths are those of what is printed.
"""

from __future__ import annotations

import datetime as dt
import textwrap
import unicodedata
from dataclasses import dataclass
from typing import Literal

from contract.messages import TicketInfo
from contract.site import Printer, Site

Align = Literal["left", "center", "right"]

# The widest number a day can give: a two-letter prefix and a four-digit sequence.
WIDEST_NUMBER = "AB1000"
# Native character sizes go up to 8x8; past 6x6 the number only eats paper.
MAX_NUMBER_SIZE = 6

DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")

NOTICE = "Harap menunggu panggilan. Nomor hangus bila tidak hadir saat dipanggil."
QR_CAPTION = "Pindai untuk melihat status antrean"
OFFLINE_LINE = "Dicetak saat jaringan terputus"
# A booked citizen's ticket, printed after check-in.
SLOT_LINE = "Jadwal booking {slot} / Booking slot {slot}"
# A booked citizen's ticket printed offline: the kiosk could not check the code, the
# central ties the booking to the ticket later; the code lets staff put things right.
BOOKING_LINE = "Kode booking: {code}"
BOOKING_NOTICE = "Tunjukkan ke petugas bila dipanggil terlambat"


@dataclass(frozen=True, slots=True)
class TextLine:
    """One printed line in the native font, `width` x `height` times its normal size."""

    text: str
    align: Align = "left"
    bold: bool = False
    width: int = 1
    height: int = 1


@dataclass(frozen=True, slots=True)
class BigNumber:
    """The ticket number in native large text (`size` x `size`), centred."""

    text: str
    size: int


@dataclass(frozen=True, slots=True)
class QrCode:
    """A QR code of the ticket's public status page, centred."""

    url: str


@dataclass(frozen=True, slots=True)
class Feed:
    """Blank lines."""

    lines: int = 1


@dataclass(frozen=True, slots=True)
class Cut:
    """The end of the ticket: the printer cuts, or feeds it past the tear bar."""


Block = TextLine | BigNumber | QrCode | Feed | Cut


def ticket_layout(
    site: Site,
    ticket: TicketInfo,
    *,
    columns: int,
    offline: bool = False,
    booking: str | None = None,
) -> list[Block]:
    """The blocks of one ticket for a printer of `columns` normal characters a line.

    An offline ticket (printed from a reserved number while the central could not
    be reached) says so and gives neither the people ahead nor an estimate: the
    kiosk knows neither. A booked citizen's ticket shows its slot; one printed offline
    for a booking code (`booking`) shows the code and what to do if called late.
    """
    rule = TextLine("-" * columns)
    blocks: list[Block] = []
    blocks += _lines(site.site.name, columns, align="center", bold=True)
    blocks.append(rule)
    blocks += _lines(ticket.agency, columns, align="center", bold=True)
    blocks += _lines(ticket.service_name, columns, align="center")
    blocks.append(Feed())
    blocks += _lines("NOMOR ANTREAN", columns, align="center")
    blocks.append(BigNumber(printable(ticket.number), number_size(columns, ticket.number)))
    if ticket.priority:
        blocks += _lines("PRIORITAS", columns, align="center", bold=True, size=2)
    blocks.append(Feed())
    blocks += _lines(issued_text(site, ticket.issued_at), columns, align="center")
    if ticket.slot:
        slot = SLOT_LINE.format(slot=ticket.slot)
        # Too wide for the paper: the two languages on a line each, not broken mid-phrase.
        for part in [slot] if len(slot) <= columns else slot.split(" / "):
            blocks += _lines(part, columns, align="center", bold=True)
    blocks.append(rule)
    if offline:
        blocks += _lines(OFFLINE_LINE, columns, bold=True)
        if booking:
            blocks += _lines(BOOKING_LINE.format(code=booking), columns, bold=True)
            blocks += _lines(BOOKING_NOTICE, columns)
    else:
        blocks += _lines(f"Di depan Anda: {ticket.ahead} orang", columns)
        wait = wait_text(ticket.wait_minutes, ticket.wait_min_minutes, ticket.wait_max_minutes)
        blocks += _lines(f"Perkiraan tunggu: {wait}", columns)
    if ticket.counters:
        blocks += _lines("Loket: " + ", ".join(str(n) for n in ticket.counters), columns)
    blocks.append(Feed())
    # The page address the central sent (a token, not the number). Without one there is
    # no page to lead to: no code at all rather than a dead link that shows the number.
    if ticket.url:
        blocks.append(QrCode(ticket.url))
        blocks += _lines(QR_CAPTION, columns, align="center")
        blocks.append(Feed())
    blocks += _lines(NOTICE, columns, align="center")
    blocks.append(Cut())
    return blocks


def self_test_ticket_layout(site: Site, kiosk_id: str, printer: Printer) -> list[Block]:
    """The self-test's ticket: the printer's settings, a column ruler to check the
    width, the large number, a QR code with a test address, and the cut or tear line."""
    columns = printer.line_columns
    yes_no = {True: "ya", False: "tidak"}
    blocks: list[Block] = []
    blocks += _lines("UJI MANDIRI / SELF-TEST", columns, align="center", bold=True)
    blocks += _lines(f"{site.site.name}, {kiosk_id}", columns, align="center")
    blocks.append(TextLine("-" * columns))
    blocks += _lines(f"Printer: {printer.type}, {printer.width_mm} mm, {columns} kolom", columns)
    blocks += _lines(f"Pemotong: {yes_no[printer.has_cutter]}", columns)
    blocks += _lines(f"QR bawaan printer: {yes_no[printer.has_native_qr]}", columns)
    blocks += _lines("Penggaris (harus pas satu baris):", columns)
    blocks.append(TextLine(column_ruler(columns)))
    blocks.append(Feed())
    blocks.append(BigNumber("A001", number_size(columns, "A001")))
    blocks.append(Feed())
    blocks.append(QrCode(site.site.ticket_url_base + "uji-mandiri"))
    blocks += _lines("QR uji: harus dapat dipindai", columns, align="center")
    blocks.append(Feed())
    blocks += _lines("Akhir tiket uji", columns, align="center")
    blocks.append(Cut())
    return blocks


def column_ruler(columns: int) -> str:
    """ "1234567890123..." exactly `columns` long: a printer set to the wrong width wraps
    it or leaves it short."""
    return "".join(str((n + 1) % 10) for n in range(columns))


def number_size(columns: int, number: str) -> int:
    """The largest native size (width = height) at which the widest number fits.

    Sized for `WIDEST_NUMBER`, not this number, so every ticket of a day looks alike.
    """
    chars = max(len(number), len(WIDEST_NUMBER))
    return max(1, min(MAX_NUMBER_SIZE, columns // chars))


def wait_text(minutes: int | None, low: int | None = None, high: int | None = None) -> str:
    """The estimate: the range the wait should fall in, "20-35 menit" (in minutes even past
    an hour, so it stays short: "95-130 menit"); "belum tersedia" when unknown. From a
    central that sends no range, the single figure: "± 20 menit", "± 1 jam 5 menit"."""
    if minutes is None:
        return "belum tersedia"
    if low is not None and high is not None:
        return "segera" if high <= 0 else f"{low}-{high} menit"
    if minutes <= 0:
        return "segera"
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"± {rest} menit"
    return f"± {hours} jam" + (f" {rest} menit" if rest else "")


def issued_text(site: Site, issued_at: str) -> str:
    """The issue time in the site's time zone: "Senin, 30 Nov 2026 09:12 WITA".

    A time without an offset is taken as the site's local time.
    """
    moment = dt.datetime.fromisoformat(issued_at)
    zone = site.site.timezone
    local = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
    text = (
        f"{DAYS[local.weekday()]}, {local.day} {MONTHS[local.month - 1]} {local.year} {local:%H:%M}"
    )
    # WIB, WITA, WIT; zones whose abbreviation is a bare offset ("+08") print none.
    abbreviation = local.tzname() or ""
    return f"{text} {abbreviation}" if abbreviation.isalpha() else text


_REPLACEMENTS = {
    "±": "+/-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2026": "...",
    "\u2022": "-",
}


def printable(text: str) -> str:
    """`text` in printable ASCII (see the module's docstring for why)."""
    out: list[str] = []
    for char in text:
        if char in _REPLACEMENTS:
            out.append(_REPLACEMENTS[char])
        elif char.isascii():
            out.append(char if char.isprintable() else " ")
        else:
            base = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            out.append(base if base.isprintable() and base else "?")
    return "".join(out)


def wrap(text: str, columns: int) -> list[str]:
    """Lines of at most `columns` characters, broken between words; a word longer
    than a line is cut."""
    return textwrap.wrap(printable(text), columns, break_long_words=True, break_on_hyphens=False)


def _lines(
    text: str, columns: int, *, align: Align = "left", bold: bool = False, size: int = 1
) -> list[TextLine]:
    """`text` wrapped into lines; `size` (double width and height) only if it fits."""
    if size > 1 and len(printable(text)) * size > columns:
        size = 1
    return [
        TextLine(line, align=align, bold=bold, width=size, height=size)
        for line in wrap(text, columns // size)
    ]
