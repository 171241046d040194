"""Check-in at the kiosk with a booking code, on simulated hardware against the real
Mosquitto and the real central, with bookings made in the central's own database file.

The central's clock starts on the test Monday at 09:00 WITA; the bookings were made the
day before. Passports (A, on kiosk-1's buttons) take the late as walk-ins; KTP (H)
refuses them. kiosk-2 has the buzzer, so the refusals are heard there: it checks in a
code of a service it has no button for as any other, online.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from broker.bookings import BookingDesk, BookingSource, BookingState, open_bookings
from contract.messages import CheckIn, IssueOffline, KioskRequest, TicketInfo, decode_kiosk_request
from contract.site import Scanner, Site
from kiosk.app import KioskApp
from kiosk.check_in import CHECK_IN
from kiosk.link import KioskLink
from kiosk.outbox import Outbox, RequestState
from kiosk.panel import KioskPanel
from kiosk.printer import SimulatedPrinter, TicketPrinter
from kiosk.scanner.thread import ScannerThread
from kiosk.ticket_layout import BOOKING_NOTICE
from tests.broker_fixtures import WAIT, Provisioned, wait_until
from tests.central_fixtures import CentralProcess, Device
from tests.conftest import MONDAY, at
from tests.escpos_decode import decode as decode_escpos
from tests.escpos_decode import texts
from tests.kiosk_fixtures import RunningKiosk, cut_network, ready, until, waiting

# kiosk-2 has the buzzer (GPIO27) and the buttons M to X; kiosk-1 the buttons A to L.
KIOSK = "kiosk-2"
BUZZER = 27
SUNDAY_MORNING = at(10, day=MONDAY - dt.timedelta(days=1))
TUESDAY = MONDAY + dt.timedelta(days=1)


@pytest.fixture
def desk(central: CentralProcess, example_site: Site) -> Iterator[BookingDesk]:
    """The booking desk on the running central's database file."""
    opened = open_bookings(central.db, lambda: example_site)
    yield opened
    opened.store.close()


def book(
    desk: BookingDesk, slot: dt.time, nik_end: int, service: str = "A", day: dt.date = MONDAY
) -> str:
    """Books `service` at `slot` on `day` (from the web, the day before); its code."""
    nik = f"647201120390{nik_end:04d}"
    booking = desk.book(
        service, day, slot, "Siti", nik, "081234567890", BookingSource.WEB, SUNDAY_MORNING
    )
    return booking.code


def beeps(kiosk: RunningKiosk) -> int:
    """How often the buzzer went on since the last `quiet`."""
    return sum(1 for state in kiosk.factory.pin(BUZZER).states if state.state)


def quiet(kiosk: RunningKiosk) -> None:
    kiosk.factory.pin(BUZZER).clear_states()


def beeped(kiosk: RunningKiosk, count: int) -> None:
    """Waits for `count` beeps, then checks no more follow."""
    until(lambda: beeps(kiosk) >= count, what=f"{count} beeps")
    time.sleep(1.5)
    assert beeps(kiosk) == count


def link_of(kiosk: RunningKiosk) -> KioskLink:
    link = kiosk.app.link
    assert isinstance(link, KioskLink)
    return link


def requests(spy: Device, provisioned: Provisioned, kiosk_id: str) -> list[KioskRequest]:
    topic = provisioned.topics.kiosk_request(kiosk_id)
    with spy._lock:
        payloads = [payload for got, payload in spy.received if got == topic]
    return [decode_kiosk_request(payload) for payload in payloads]


def checked_in_to(desk: BookingDesk, code: str, number: str) -> None:
    """Waits until the central's booking row ties `code` to ticket `number`."""

    def tied() -> bool:
        found = desk.find(code)
        return (
            found is not None
            and found.state is BookingState.CHECKED_IN
            and (found.ticket_id or "").endswith(f"/{number}")
        )

    wait_until(tied, WAIT, f"{code} checked in to {number}")


def ticket_states(db: Path) -> dict[str, tuple[str, str | None, str | None]]:
    """The state, booking and slot of every A ticket the central issued (not reserved)."""
    connection = sqlite3.connect(db)
    try:
        rows = connection.execute(
            "SELECT number, state, booking, slot FROM tickets "
            "WHERE service = 'A' AND state != 'reserved'"
        ).fetchall()
    finally:
        connection.close()
    return {number: (state, booking, slot) for number, state, booking, slot in rows}


def reserved_ticket(slot: str | None = None) -> TicketInfo:
    """A reserved number of M, as the central hands a kiosk its reserve."""
    return TicketInfo(
        id="2026-11-30/M004",
        number="M004",
        service="M",
        service_name="Pendaftaran merek",
        agency="Kanwil Kemenkumham",
        priority=False,
        state="reserved",
        issued_at="2026-11-30T09:20:00+08:00",
        ahead=2,
        wait_minutes=15,
        counters=[20],
        slot=slot,
    )


def test_a_booked_citizen_gets_a_ticket_with_the_slot_and_a_second_scan_is_refused(
    desk: BookingDesk, start_kiosk: Callable[..., RunningKiosk]
) -> None:
    # GIVEN a passport booking for 09:15 today (its window opened at 08:45)
    code = book(desk, dt.time(9, 15), 1)
    kiosk = start_kiosk(kiosk_id=KIOSK)
    ready(kiosk)
    # WHEN the citizen scans their code, read loosely (lower case, no dash), with the CR
    kiosk.app.scanned(code.lower().replace("-", "") + "\r")
    # THEN the central's ticket prints like any other, with the slot, and the booking is
    # checked in with it
    until(lambda: b"A001" in kiosk.printed(), what="the booked ticket")
    words = " ".join(texts(decode_escpos(kiosk.printed())))
    assert "NOMOR ANTREAN" in words
    assert "Jadwal booking 09:15" in words
    checked_in_to(desk, code, "A001")
    until(
        lambda: kiosk.app.outbox.count(RequestState.DONE, kind=CHECK_IN) == 1,
        what="the check-in done",
    )
    # WHEN the same code is scanned again THEN three beeps (not valid), nothing printed
    quiet(kiosk)
    kiosk.app.scanned(code)
    beeped(kiosk, 3)
    assert kiosk.printed().count(b"NOMOR ANTREAN") == 1


def test_each_refusal_the_central_gives_has_its_beeps(
    desk: BookingDesk,
    start_kiosk: Callable[..., RunningKiosk],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # GIVEN bookings for 10:30 today, for tomorrow, one cancelled, and a KTP booking of
    # 08:00 (KTP refuses the late), and a code nobody booked
    early = book(desk, dt.time(10, 30), 2)
    tomorrow = book(desk, dt.time(9), 3, day=TUESDAY)
    cancelled = book(desk, dt.time(9, 15), 4)
    desk.cancel(cancelled, SUNDAY_MORNING)
    late_ktp = book(desk, dt.time(8), 5, service="H")
    kiosk = start_kiosk(kiosk_id=KIOSK)
    ready(kiosk)
    caplog.set_level(logging.INFO, logger="kiosk")
    # WHEN each is scanned at about 09:00 THEN the beeps say the family: three for a code
    # that gives no ticket, two long for the wrong day or time; nothing is printed
    for code, count in (
        ("A-ZZZZZZ", 3),  # unknown_booking
        (cancelled, 3),  # booking_cancelled
        (early, 2),  # too_early
        (tomorrow, 2),  # not_today
        (late_ktp, 2),  # too_late
    ):
        quiet(kiosk)
        kiosk.app.scanned(code)
        beeped(kiosk, count)
    assert b"NOMOR ANTREAN" not in kiosk.printed()
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert [m.rsplit(": ", 1)[-1] for m in refused] == [
        "unknown_booking",
        "booking_cancelled",
        "not_today",
        "too_late",
    ]
    # AND too_early's time is in the log, for the help desk
    assert any("check-in from 2026-11-30T10:00:00+08:00" in r.getMessage() for r in caplog.records)
    assert kiosk.app.outbox.count(RequestState.DONE, kind=CHECK_IN) == 5


def test_junk_is_refused_at_once_sends_nothing_and_is_logged_escaped(
    provisioned: Provisioned,
    central: CentralProcess,
    start_kiosk: Callable[..., RunningKiosk],
    caplog: pytest.LogCaptureFixture,
) -> None:
    kiosk = start_kiosk(kiosk_id=KIOSK)
    ready(kiosk)
    spy = Device(provisioned, "central", [provisioned.topics.kiosk_request(KIOSK)])
    quiet(kiosk)
    caplog.set_level(logging.INFO, logger="kiosk")
    try:
        # WHEN the scanner reads something that is no booking code, with control characters
        kiosk.app.scanned("\x1b[2J\nALERT forged\x00" + "x" * 100)
        # THEN three beeps, nothing asked of the central, and the log line stays one line
        beeped(kiosk, 3)
        asked = [r for r in requests(spy, provisioned, KIOSK) if isinstance(r, CheckIn)]
    finally:
        spy.close()
    assert asked == []
    assert kiosk.app.outbox.count(*RequestState, kind=CHECK_IN) == 0
    logged = [r.getMessage() for r in caplog.records if "no booking code" in r.getMessage()]
    assert len(logged) == 1
    assert "\x1b" not in logged[0]
    assert "\n" not in logged[0]
    assert "\\x1b[2J\\nALERT forged\\x00" in logged[0]
    assert logged[0].endswith("...")


def test_with_the_network_cut_a_scan_prints_a_reserved_number_the_central_ties_to_the_booking(
    provisioned: Provisioned,
    desk: BookingDesk,
    start_kiosk: Callable[..., RunningKiosk],
) -> None:
    # GIVEN a passport booking for 09:15 and kiosk-1 (A's button, A's reserve) cut off
    code = book(desk, dt.time(9, 15), 6)
    kiosk = start_kiosk(kiosk_id="kiosk-1")
    ready(kiosk)
    spy = Device(provisioned, "central", [provisioned.topics.kiosk_request("kiosk-1")])
    try:
        cut_network(link_of(kiosk))
        until(lambda: not kiosk.app.central_there(), what="the central away")
        # WHEN the booked citizen scans
        kiosk.app.scanned(code)
        # THEN a reserved number of the code's service prints at once, with the code
        until(lambda: b"NOMOR ANTREAN" in kiosk.printed(), timeout=3, what="the offline ticket")
        printed = kiosk.printed()
        assert b"A001" in printed  # kiosk-1's first reserved A
        assert b"terputus" in printed
        assert code.encode() in printed
        words = " ".join(texts(decode_escpos(printed)))
        assert BOOKING_NOTICE in words
        assert kiosk.app.health()["offline_pending"] == 1
        # WHEN the network is back
        link_of(kiosk).start()
        # THEN the kiosk hands in the offline ticket, then the check-in tied to it
        until(lambda: kiosk.app.health()["outbox"] == 0, timeout=20, what="all handed in")
        sent = [
            r
            for r in requests(spy, provisioned, "kiosk-1")
            if isinstance(r, IssueOffline | CheckIn)
        ]
    finally:
        spy.close()
    issued = [r for r in sent if isinstance(r, IssueOffline)]
    checked = [r for r in sent if isinstance(r, CheckIn)]
    assert sent.index(issued[0]) < sent.index(checked[0])
    assert {r.ticket for r in issued} == {"2026-11-30/A001"}
    assert {(r.code, r.offline_ticket) for r in checked} == {(code, "2026-11-30/A001")}
    # The scan's time is the ticket's printed time (to the second, as on the ticket).
    assert checked[0].scanned_at == issued[0].issued_at.replace(microsecond=0)
    # AND the central checked the booking in with the ticket the citizen holds, at its slot
    checked_in_to(desk, code, "A001")
    waiting(provisioned, "A", 1)


def test_a_central_answering_after_the_kiosk_gave_up_leaves_one_ticket_at_the_slot(
    provisioned: Provisioned,
    central: CentralProcess,
    desk: BookingDesk,
    start_kiosk: Callable[..., RunningKiosk],
) -> None:
    # GIVEN a passport booking for 09:15 and kiosk-1 with its reserve
    code = book(desk, dt.time(9, 15), 7)
    kiosk = start_kiosk(kiosk_id="kiosk-1")
    ready(kiosk)
    # WHEN the central hangs just as the citizen scans (the kiosk still believes it there)
    central.freeze()
    try:
        kiosk.app.scanned(code)
        # THEN after a second the kiosk gives up and prints its reserved A001 with the code
        until(lambda: b"A001" in kiosk.printed(), timeout=5, what="the offline ticket")
    finally:
        central.thaw()
    # WHEN the central comes back and answers the first check-in with a ticket of its own,
    # then takes the offline ticket and the check-in tied to it
    until(lambda: kiosk.app.health()["outbox"] == 0, timeout=20, what="all handed in")
    # THEN the booking is checked in with the ticket the citizen holds, the central's own
    # ticket (A004, never printed) is cancelled, and A waits with A001 alone
    checked_in_to(desk, code, "A001")
    assert kiosk.printed().count(b"NOMOR ANTREAN") == 1
    assert b"A004" not in kiosk.printed()
    assert ticket_states(central.db) == {
        "A001": ("waiting", code, "2026-11-30T01:15:00+00:00"),  # 09:15 WITA
        "A004": ("cancelled", None, None),
    }
    waiting(provisioned, "A", 1)


def test_with_no_reserve_for_the_code_the_kiosk_says_ask_staff_and_prints_the_answer_later(
    desk: BookingDesk,
    start_kiosk: Callable[..., RunningKiosk],
) -> None:
    # GIVEN a passport booking, and kiosk-2 (no A button, so no A reserve) cut off
    code = book(desk, dt.time(9, 15), 8)
    kiosk = start_kiosk(kiosk_id=KIOSK)
    ready(kiosk)
    cut_network(link_of(kiosk))
    until(lambda: not kiosk.app.central_there(), what="the central away")
    quiet(kiosk)
    # WHEN the code is scanned
    kiosk.app.scanned(code)
    # THEN five beeps send the citizen to the help desk, nothing prints, and the
    # check-in waits in the outbox
    beeped(kiosk, 5)
    assert b"NOMOR ANTREAN" not in kiosk.printed()
    assert kiosk.app.outbox.count(RequestState.PENDING, kind=CHECK_IN) == 1
    # AND once the network is back it is handed in, and its ticket printed for the desk
    link_of(kiosk).start()
    until(
        lambda: kiosk.app.outbox.count(RequestState.DONE, kind=CHECK_IN) == 1,
        timeout=20,
        what="the check-in handed in",
    )
    assert b"Jadwal booking 09:15" in kiosk.printed()
    checked_in_to(desk, code, "A001")


def test_a_scanner_on_a_pty_checks_in_and_its_loss_leaves_the_buttons_working(
    desk: BookingDesk,
    start_kiosk: Callable[..., RunningKiosk],
) -> None:
    code = book(desk, dt.time(9, 30), 9)
    kiosk = start_kiosk(kiosk_id=KIOSK)
    ready(kiosk)
    # GIVEN a serial scanner (a pty) read by the scanner thread into the kiosk
    master, slave = os.openpty()
    config = Scanner(type="serial", device=os.ttyname(slave), retry_seconds=0.2)
    scanner = ScannerThread(config, kiosk.app.scanned, kiosk.app.scanner_changed)
    scanner.start()
    try:
        until(lambda: kiosk.app.health().get("scanner") == "ok", what="scanner ok")
        # WHEN a code is scanned THEN the central checks it in and its ticket prints
        os.write(master, f"{code}\r\n".encode())
        until(lambda: b"Jadwal booking 09:30" in kiosk.printed(), what="the booked ticket")
        # WHEN the scanner is unplugged THEN the status says so
        os.close(master)
        os.close(slave)
        # (failed, then missing once its device file is gone)
        until(
            lambda: kiosk.app.health().get("scanner") in ("failed", "missing"),
            what="scanner failed",
        )
        # AND a button still prints a ticket
        kiosk.press("N")
        until(lambda: b"N004" in kiosk.printed(), what="a ticket from a button")
    finally:
        scanner.stop()


def test_offline_a_closed_service_is_not_printed_for_even_with_a_reserve(
    example_site: Site, tmp_path: Path
) -> None:
    # GIVEN a kiosk that has never reached the central, holding a reserved M number
    code = "M-7K3M9Q"
    config = next(k for k in example_site.kiosks if k.id == KIOSK)
    now = [dt.datetime.fromisoformat("2026-11-30T12:30:00+08:00")]  # the lunch break
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    device = SimulatedPrinter()
    app = KioskApp(
        example_site, config, outbox, TicketPrinter(config.printer, example_site, device),
        lambda: now[0],
    )  # fmt: skip
    outbox.add_reserved(app.today(), [reserved_ticket()])
    factory = MockFactory()
    app.panel = KioskPanel(config, app.pressed, pin_factory=factory)
    try:
        # WHEN a booked citizen scans during M's break
        factory.pin(BUZZER).clear_states()
        app.check_in.scanned(code)
        # THEN "ask staff" (five beeps), nothing printed, the reserved number kept
        until(lambda: sum(s.state for s in factory.pin(BUZZER).states) == 5, what="5 beeps")
        assert b"NOMOR ANTREAN" not in device.output
        assert outbox.reserved_left(app.today(), "M") == 1
        # AND once M is open again the same scan prints the reserved number with the code
        now[0] = dt.datetime.fromisoformat("2026-11-30T13:05:00+08:00")
        app.check_in.scanned(code)
        assert b"M004" in device.output
        assert code.encode() in device.output
        assert outbox.count(RequestState.PENDING, kind="issue_offline") == 1
        assert outbox.count(RequestState.PENDING, kind="late_check_in") == 1
    finally:
        app.panel.close()
        factory.close()
        outbox.close()
