"""A booked citizen's ticket on paper: the slot after a check-in, the booking code on
one printed offline; a walk-in's ticket carries neither."""

from contract.site import Site
from kiosk.printer import SimulatedPrinter, TicketPrinter
from kiosk.ticket_layout import BOOKING_NOTICE, TextLine, ticket_layout
from tests.escpos_decode import decode, texts
from tests.printing_fixtures import PRINTER_58, PRINTER_80, ticket

SLOT = "Jadwal booking 09:30 / Booking slot 09:30"


def _texts(blocks: list[object]) -> list[str]:
    return [block.text for block in blocks if isinstance(block, TextLine)]


def test_a_checked_in_ticket_shows_its_slot_bold_under_the_issue_time(example_site: Site) -> None:
    # GIVEN the central's ticket for a booking with the 09:30 slot

    blocks = ticket_layout(example_site, ticket(slot="09:30"), columns=48)
    lines = [block for block in blocks if isinstance(block, TextLine)]
    # THEN one bold, centred line says the slot, right after the issue time
    slot = next(line for line in lines if line.text == SLOT)
    assert slot.bold
    assert slot.align == "center"
    assert lines[lines.index(slot) - 1].text == "Senin, 30 Nov 2026 09:12 WITA"
    # AND the rest is a ticket like any other: people ahead and the estimate
    assert "Di depan Anda: 4 orang" in _texts(list(blocks))


def test_the_slot_wraps_on_a_58_mm_printer_and_prints(example_site: Site) -> None:
    device = SimulatedPrinter()
    TicketPrinter(PRINTER_58, example_site, device).print_ticket(ticket(slot="14:00"))
    printed = texts(decode(device.output))
    # THEN it is on paper, one language a line, no line wider than the 32 columns
    at = printed.index("Jadwal booking 14:00")
    assert printed[at + 1] == "Booking slot 14:00"
    assert all(len(line) <= 32 for line in printed)


def test_an_offline_ticket_for_a_booking_shows_the_code_and_what_to_do(
    example_site: Site,
) -> None:
    device = SimulatedPrinter()
    printer = TicketPrinter(PRINTER_80, example_site, device)
    printer.print_ticket(ticket(), offline=True, booking="A-7K3M9Q")
    printed = texts(decode(device.output))
    # THEN the code and the words for staff follow the offline mark; no estimate
    at = printed.index("Dicetak saat jaringan terputus")
    assert printed[at + 1] == "Kode booking: A-7K3M9Q"
    assert printed[at + 2] == BOOKING_NOTICE
    assert not any(line.startswith("Perkiraan tunggu") for line in printed)


def test_a_walk_in_ticket_has_no_booking_lines(example_site: Site) -> None:
    for offline in (False, True):
        device = SimulatedPrinter()
        TicketPrinter(PRINTER_80, example_site, device).print_ticket(ticket(), offline=offline)
        printed = " ".join(texts(decode(device.output)))
        assert "booking" not in printed.lower()
        assert BOOKING_NOTICE not in printed
