"""Printing a ticket: the ESC/POS bytes decoded (a printer's health: test_printer_health.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from escpos.printer import File, Network  # type: ignore[import-untyped, unused-ignore]
from hypothesis import given, settings
from hypothesis import strategies as st

import kiosk.printer
from contract.health import PrinterHealth
from contract.messages import TicketInfo
from contract.site import Printer, Site
from kiosk.printer import (
    PrinterFault,
    SimulatedPrinter,
    TicketPrinter,
    make_escpos,
)
from kiosk.ticket_layout import BigNumber, QrCode, TextLine, number_size, ticket_layout
from tests.escpos_decode import (
    Cut,
    Feed,
    Init,
    Op,
    QrPrint,
    QrStore,
    RasterImage,
    StatusQuery,
    Text,
    UnknownCommand,
    decode,
    lines,
    texts,
)
from tests.printing_fixtures import PRINTER_58, PRINTER_80, URL, ticket

NOTICE = "Harap menunggu panggilan. Nomor hangus bila tidak hadir saat dipanggil."


def print_on(
    site: Site, config: Printer, info: TicketInfo | None = None, *, offline: bool = False
) -> list[Op]:
    """Prints a ticket on a healthy simulated printer; the decoded bytes it received."""
    device = SimulatedPrinter()
    TicketPrinter(config, site, device).print_ticket(info or ticket(), offline=offline)
    return decode(device.output)


def the_line(ops: list[Op], start: str) -> str:
    found = [text for text in texts(ops) if text.startswith(start)]
    assert len(found) == 1, f"{start!r} in {texts(ops)}"
    return found[0]


# -- an 80 mm ticket -------------------------------------------------------------------


def test_the_number_is_printed_in_native_large_text(example_site: Site) -> None:
    # GIVEN an 80 mm printer
    # WHEN ticket A023 is printed
    ops = print_on(example_site, PRINTER_80)
    # THEN "A023" is a text run (printer font, not an image) at 3x or more, centred, bold
    runs = [op for op in ops if isinstance(op, Text) and op.text == "A023"]
    assert len(runs) == 1
    style = runs[0].style
    assert style.width >= 3
    assert style.height >= 3
    assert (style.align, style.bold) == ("center", True)
    assert not any(isinstance(op, RasterImage) for op in ops)


def test_the_qr_code_carries_the_ticket_url(example_site: Site) -> None:
    # GIVEN an 80 mm printer with native QR and the site's url base "http://antre.local/t/"
    # WHEN ticket 2026-11-30/A023 is printed
    ops = print_on(example_site, PRINTER_80)
    # THEN one native QR store command carries exactly the base + the ticket id
    stores = [op for op in ops if isinstance(op, QrStore)]
    assert [store.data for store in stores] == [URL.encode()]
    # AND the stored code is printed after it
    assert any(isinstance(op, QrPrint) for op in ops[ops.index(stores[0]) :])


@pytest.mark.parametrize("config", [PRINTER_80, PRINTER_58], ids=["native", "raster"])
def test_without_a_page_address_no_qr_code_is_printed(example_site: Site, config: Printer) -> None:
    # GIVEN a ticket the central sent without a page address (no ticket pages set up)
    # WHEN it is printed
    ops = print_on(example_site, config, ticket(url=""))
    # THEN no code (native or raster) and no caption inviting a scan: a code would lead
    # nowhere and carry the number
    assert not any(isinstance(op, QrStore | QrPrint | RasterImage) for op in ops)
    assert not any("Pindai" in text for text in texts(ops))
    assert "A023" in texts(ops)


def test_an_80_mm_ticket_is_cut_after_its_last_line(example_site: Site) -> None:
    # GIVEN an 80 mm printer (a cutter by default)
    # WHEN a ticket is printed
    ops = print_on(example_site, PRINTER_80)
    # THEN a cut is sent, after every line of text
    cuts = [i for i, op in enumerate(ops) if isinstance(op, Cut)]
    last_text = max(i for i, op in enumerate(ops) if isinstance(op, Text))
    assert len(cuts) == 1
    assert cuts[0] > last_text


def test_every_line_of_an_80_mm_ticket_fits_48_columns(example_site: Site) -> None:
    # GIVEN an 80 mm printer of 48 columns and a priority ticket (the widest lines)
    # WHEN it is printed
    ops = print_on(example_site, PRINTER_80, ticket(priority=True))
    # THEN every line's characters times their width fit 48 columns
    widths = {line.text: line.columns for line in lines(ops)}
    assert max(widths.values()) <= 48, widths
    # AND the dashed rule uses the whole width (so the check above is not vacuous)
    assert widths["-" * 48] == 48


def test_the_ticket_says_what_a_citizen_needs(example_site: Site) -> None:
    # GIVEN an 80 mm printer
    # WHEN ticket A023 (4 ahead, 20 to 35 minutes, counters 1 and 2) is printed
    ops = print_on(example_site, PRINTER_80)
    printed = texts(ops)
    # THEN it names the site, agency, service and counters, and gives the estimate
    for line in (
        "Mal Pelayanan Publik Kota Samarinda",
        "Kantor Imigrasi",
        "Paspor (permohonan baru dan penggantian)",
        "NOMOR ANTREAN",
        "Di depan Anda: 4 orang",
        "Perkiraan tunggu: 20-35 menit",
        "Loket: 1, 2",
    ):
        assert line in printed
    # AND the notice is there, wrapped over lines
    assert NOTICE in " ".join(printed)
    # AND no priority line on a regular ticket
    assert "PRIORITAS" not in printed


def test_the_printer_is_reset_and_set_to_code_page_437_first(example_site: Site) -> None:
    # GIVEN an 80 mm printer
    # WHEN a ticket is printed
    ops = [op for op in print_on(example_site, PRINTER_80) if not isinstance(op, StatusQuery)]
    # THEN ESC @ comes first, and the text is plain ASCII in code page 0
    assert isinstance(ops[0], Init)
    runs = [op for op in ops if isinstance(op, Text)]
    assert all(run.text.isascii() and run.style.code_page == 0 for run in runs)


# -- a 58 mm ticket --------------------------------------------------------------------


def test_a_58_mm_ticket_is_not_cut_and_fits_32_columns(example_site: Site) -> None:
    # GIVEN the example site's kiosk-2 printer: 58 mm, no cutter, no native QR
    config = next(k.printer for k in example_site.kiosks if k.id == "kiosk-2")
    assert (config.type, config.width_mm, config.has_cutter) == ("dummy", 58, False)
    # WHEN a priority ticket is printed on it
    ops = print_on(example_site, config, ticket(priority=True))
    # THEN no cut is sent: the ticket is fed past the tear bar instead
    assert not any(isinstance(op, Cut) for op in ops)
    printed = [op for op in ops if not isinstance(op, StatusQuery)]
    assert isinstance(printed[-1], Feed)
    assert printed[-1].lines >= 4
    # AND every line fits 32 columns, and the long service name was wrapped to do so
    assert max(line.columns for line in lines(ops)) <= 32
    assert "Paspor (permohonan baru dan" in texts(ops)


def test_a_58_mm_ticket_still_has_a_big_number(example_site: Site) -> None:
    # GIVEN a 58 mm printer
    # WHEN ticket A023 is printed
    ops = print_on(example_site, PRINTER_58)
    # THEN the number is still native text at 3x or more
    (run,) = [op for op in ops if isinstance(op, Text) and op.text == "A023"]
    assert min(run.style.width, run.style.height) >= 3


def test_without_native_qr_the_code_is_the_only_image(example_site: Site) -> None:
    # GIVEN a 58 mm printer without a native QR command
    # WHEN a ticket is printed
    ops = print_on(example_site, PRINTER_58)
    # THEN there is no native QR command, and exactly one raster image within 384 dots
    assert not any(isinstance(op, QrStore | QrPrint) for op in ops)
    images = [op for op in ops if isinstance(op, RasterImage)]
    assert len(images) == 1
    assert images[0].width <= 384


def test_the_raster_code_is_sent_only_as_wide_as_it_is(example_site: Site) -> None:
    # GIVEN a 58 mm printer without a native QR command (384 dots a line)
    device = SimulatedPrinter()
    TicketPrinter(PRINTER_58, example_site, device).print_ticket(ticket())
    ops = decode(device.output)
    # THEN the image is the square code itself (its rows whole bytes), not padded to the
    # line: ESC a centres it
    (image,) = [op for op in ops if isinstance(op, RasterImage)]
    assert image.width == -(-image.height // 8) * 8
    assert image.width < 384
    # AND the whole ticket is well under the 8.4 KB a padded code made it
    assert len(device.output) < 6000


@pytest.mark.parametrize("baudrate", [9600, 19200, 115200])
def test_a_serial_printer_is_asked_how_it_is_only_once_the_ticket_has_reached_it(
    example_site: Site, baudrate: int
) -> None:
    # GIVEN a 58 mm printer on a serial line
    config = Printer(type="serial", serial_device="/dev/ttyUSB0", width_mm=58, baudrate=baudrate)
    waits: list[float] = []
    printer = TicketPrinter(config, example_site, SimulatedPrinter(), sleep=waits.append)
    # WHEN a ticket is printed
    size = len(printer.render(ticket()))
    printer.print_ticket(ticket())
    # THEN the check after printing waits as long as its bytes take on the line
    assert waits == [pytest.approx(size * 10 / baudrate)]
    if baudrate == 9600:
        assert waits[0] > 3.0  # seconds a 2-second settle would have cut short


def test_a_58_mm_printer_with_native_qr_and_cutter_uses_them(example_site: Site) -> None:
    # GIVEN a 58 mm printer configured with a native QR command and a cutter
    config = Printer(type="dummy", width_mm=58, native_qr=True, cutter=True)
    # WHEN a ticket is printed
    ops = print_on(example_site, config)
    # THEN the QR code is native and the ticket is cut
    assert [op.data for op in ops if isinstance(op, QrStore)] == [URL.encode()]
    assert any(isinstance(op, Cut) for op in ops)


@pytest.mark.parametrize("columns", [42, 48, 32, 24])
def test_the_widest_number_fits_the_configured_columns(example_site: Site, columns: int) -> None:
    # GIVEN a printer of `columns` columns
    config = Printer(type="dummy", width_mm=80 if columns >= 42 else 58, columns=columns)
    # WHEN ticket AB1000, the widest number a day can reach, is printed
    ops = print_on(example_site, config, ticket(number="AB1000", id="2026-11-30/AB1000"))
    # THEN it is printed big and within the width, as is every other line
    (run,) = [op for op in ops if isinstance(op, Text) and op.text == "AB1000"]
    assert run.style.width >= 3
    assert len("AB1000") * run.style.width <= columns
    assert max(line.columns for line in lines(ops)) <= columns


# -- what the ticket says --------------------------------------------------------------


def test_a_priority_ticket_says_prioritas(example_site: Site) -> None:
    # GIVEN a priority ticket
    # WHEN it is printed
    ops = print_on(example_site, PRINTER_80, ticket(priority=True))
    # THEN a PRIORITAS line is printed, bold and larger than normal
    (line,) = [line for line in lines(ops) if line.text == "PRIORITAS"]
    assert line.size == (2, 2)
    assert line.runs[0].style.bold


def test_an_offline_ticket_says_so_and_gives_no_estimate(example_site: Site) -> None:
    # GIVEN a ticket from a reserved number, printed while the central is unreachable
    info = ticket(ahead=0, wait_minutes=None)
    # WHEN it is printed offline
    printed = texts(print_on(example_site, PRINTER_80, info, offline=True))
    # THEN it says it was printed without the network
    assert "Dicetak saat jaringan terputus" in printed
    # AND neither the people ahead nor a wait estimate is printed
    assert not [line for line in printed if line.startswith(("Perkiraan", "Di depan"))]
    # AND the number and counters still are
    assert "A023" in printed
    assert "Loket: 1, 2" in printed


def test_an_unknown_wait_is_not_available_yet(example_site: Site) -> None:
    # GIVEN a ticket whose wait cannot be estimated (no open counter)
    # WHEN it is printed online
    unknown = ticket(wait_minutes=None, wait_min_minutes=None, wait_max_minutes=None)
    ops = print_on(example_site, PRINTER_80, unknown)
    # THEN the estimate line says it is not available yet
    assert the_line(ops, "Perkiraan tunggu") == "Perkiraan tunggu: belum tersedia"


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(0, "segera"), (7, "+/- 7 menit"), (60, "+/- 1 jam"), (95, "+/- 1 jam 35 menit")],
)
def test_a_central_without_the_range_gets_its_one_figure_printed(
    example_site: Site, minutes: int, expected: str
) -> None:
    # GIVEN a ticket from a central older than the range: an estimated wait of `minutes`
    info = ticket(wait_minutes=minutes, wait_min_minutes=None, wait_max_minutes=None)
    # WHEN it is printed
    ops = print_on(example_site, PRINTER_80, info)
    # THEN the estimate reads naturally
    assert the_line(ops, "Perkiraan tunggu") == f"Perkiraan tunggu: {expected}"


@pytest.mark.parametrize(
    ("wait", "low", "high", "expected"),
    [
        (2, 0, 5, "0-5 menit"),
        (24, 20, 35, "20-35 menit"),
        (104, 90, 125, "90-125 menit"),
        (0, 0, 0, "segera"),
    ],
)
def test_the_estimate_is_printed_as_a_range(
    example_site: Site, wait: int, low: int, high: int, expected: str
) -> None:
    # GIVEN a ticket whose wait should fall between `low` and `high` minutes
    info = ticket(wait_minutes=wait, wait_min_minutes=low, wait_max_minutes=high)
    # WHEN it is printed on either width
    for printer in (PRINTER_80, PRINTER_58):
        ops = print_on(example_site, printer, info)
        # THEN the line gives the range, on one line even at 32 columns
        assert the_line(ops, "Perkiraan tunggu") == f"Perkiraan tunggu: {expected}"
        assert max(line.columns for line in lines(ops)) <= printer.line_columns


def test_the_longest_range_still_fits_one_58_mm_line(example_site: Site) -> None:
    # GIVEN a wait of hours, as after a long morning queue and the lunch break
    info = ticket(wait_minutes=250, wait_min_minutes=195, wait_max_minutes=310)
    # WHEN it is printed on 58 mm paper (32 columns)
    ops = print_on(example_site, PRINTER_58, info)
    # THEN "Perkiraan tunggu: 195-310 menit" (31 characters) is one line, not wrapped
    assert the_line(ops, "Perkiraan tunggu") == "Perkiraan tunggu: 195-310 menit"


@pytest.mark.parametrize(
    ("issued_at", "expected"),
    [
        ("2026-11-30T01:12:00+00:00", "Senin, 30 Nov 2026 09:12 WITA"),
        ("2026-08-16T23:30:00+00:00", "Senin, 17 Agu 2026 07:30 WITA"),
        ("2027-01-02T16:05:00+00:00", "Minggu, 3 Jan 2027 00:05 WITA"),
        ("2026-12-31T16:30:00+00:00", "Jumat, 1 Jan 2027 00:30 WITA"),
        ("2026-11-30T09:12:00", "Senin, 30 Nov 2026 09:12 WITA"),
    ],
)
def test_the_issue_time_is_in_wita_and_indonesian(
    example_site: Site, issued_at: str, expected: str
) -> None:
    # GIVEN a ticket issued at `issued_at` (UTC, or local when it has no offset)
    # WHEN it is printed at the Samarinda site (Asia/Makassar)
    ops = print_on(example_site, PRINTER_80, ticket(issued_at=issued_at))
    # THEN the date and time are local, with Indonesian day and month names
    assert expected in texts(ops)


def test_config_text_cannot_inject_printer_commands(example_site: Site) -> None:
    # GIVEN an agency name with an escape character (ESC i would cut) and an accent
    info = ticket(agency="Caf\u00e9 \x1bi Imigrasi", service_name="Paspor \u2013 baru")
    # WHEN the ticket is printed
    ops = print_on(example_site, PRINTER_80, info)
    # THEN the decoder meets no unknown command, and the text is printed as ASCII
    assert "Cafe  i Imigrasi" in texts(ops)
    assert "Paspor - baru" in texts(ops)


def test_the_layout_sizes_the_number_for_the_widest_number() -> None:
    # GIVEN the printer widths in use
    # WHEN the number size is chosen
    sizes = {columns: number_size(columns, "A023") for columns in (24, 32, 42, 48, 64)}
    # THEN it is the largest that fits "AB1000", at most 6x6
    assert sizes == {24: 4, 32: 5, 42: 6, 48: 6, 64: 6}


@settings(max_examples=60, deadline=None)
@given(
    columns=st.integers(min_value=24, max_value=64),
    agency=st.text(min_size=1, max_size=120),
    service=st.text(min_size=1, max_size=120),
    counters=st.lists(st.integers(min_value=1, max_value=200), max_size=30),
    priority=st.booleans(),
    offline=st.booleans(),
)
def test_every_layout_line_fits_whatever_the_names(
    example_site: Site,
    columns: int,
    agency: str,
    service: str,
    counters: list[int],
    priority: bool,
    offline: bool,
) -> None:
    # GIVEN any agency and service names (any characters, long words) and any width
    info = ticket(agency=agency, service_name=service, counters=counters, priority=priority)
    # WHEN the ticket is laid out
    blocks = ticket_layout(example_site, info, columns=columns, offline=offline)
    # THEN every line fits at its width, in printable ASCII, and so does the number
    for block in blocks:
        if isinstance(block, TextLine):
            assert len(block.text) * block.width <= columns, block
            assert block.text.isascii(), block
            assert block.text.isprintable(), block
        elif isinstance(block, BigNumber):
            assert len(block.text) * block.size <= columns
    # AND the QR code leads to the ticket's page
    assert QrCode(URL) in blocks


def test_the_decoder_refuses_commands_it_does_not_know() -> None:
    # GIVEN bytes with a command the decoder does not know (ESC i, a partial cut)
    # WHEN they are decoded
    # THEN it refuses rather than reading them as text
    with pytest.raises(UnknownCommand):
        decode(b"abc\x1bi")


# -- printer types ---------------------------------------------------------------------


def test_a_file_printer_writes_the_ticket_to_its_path(example_site: Site, tmp_path: Path) -> None:
    # GIVEN a file printer, as the example site's kiosk-1 has, writing into tmp_path
    path = tmp_path / "kiosk-1.bin"
    config = Printer(type="file", path=str(path), width_mm=80)
    printer = TicketPrinter(config, example_site)
    # WHEN a ticket is printed
    try:
        health = printer.health()
        printer.print_ticket(ticket())
    finally:
        printer.close()
    # THEN its health is unknown (a file cannot answer), which still prints
    assert health is PrinterHealth.UNKNOWN
    # AND the file holds the ticket, and no status query was written into it
    ops = decode(path.read_bytes())
    assert "A023" in texts(ops)
    assert [op.data for op in ops if isinstance(op, QrStore)] == [URL.encode()]
    assert not any(isinstance(op, StatusQuery) for op in ops)


def test_make_escpos_builds_the_configured_connection(tmp_path: Path) -> None:
    # GIVEN network, file and dummy printer configs
    network = make_escpos(Printer(type="network", host="192.0.2.10", port=9101))
    file = make_escpos(Printer(type="file", path=str(tmp_path / "t.bin")))
    dummy = make_escpos(Printer(type="dummy"))
    # THEN each is the python-escpos class for it, none opened yet
    assert isinstance(network, Network)
    assert (network.host, network.port) == ("192.0.2.10", 9101)
    assert network.timeout == kiosk.printer.STATUS_TIMEOUT
    assert isinstance(file, File)
    assert file.devfile == str(tmp_path / "t.bin")
    assert isinstance(dummy, SimulatedPrinter)
    assert not (tmp_path / "t.bin").exists()


@pytest.mark.parametrize(
    ("config", "package"),
    [
        (Printer(type="usb", usb_vendor_id=0x0416, usb_product_id=0x5011), "pyusb"),
        (Printer(type="serial", serial_device="/dev/ttyUSB0"), "pyserial"),
    ],
)
def test_usb_and_serial_need_their_library(config: Printer, package: str) -> None:
    # GIVEN a usb or serial printer config
    usable = {"pyusb": "usb", "pyserial": "serial"}[package]
    try:
        __import__(usable)
    except ImportError:
        # WHEN python-escpos's connection library is missing
        # THEN make_escpos says so as an offline printer fault
        with pytest.raises(PrinterFault) as raised:
            make_escpos(config)
        assert raised.value.health is PrinterHealth.OFFLINE
        assert package in str(raised.value)
    else:
        # WHEN it is installed, THEN the right class is built
        device = make_escpos(config)
        assert type(device).__name__ == config.type.capitalize()
