"""Check-in at the kiosk with a booking code, on simulated hardware against the real
Mosquitto, and the real central where it can answer.

Today's central refuses every code as `unknown_booking`, which plays the refusal path
end to end. A central that checks a booking in is played by `StandInCentral`, a test
peer answering the kiosk's request topic as the central would; once the bookings reach
the central it gives way to the real one.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from gpiozero.pins.mock import MockFactory

from contract.messages import (
    Answer,
    CheckIn,
    IssueOffline,
    KioskRequest,
    TicketInfo,
    decode_kiosk_request,
    encode,
)
from contract.reasons import Reason
from contract.site import Scanner, Site
from kiosk.app import KioskApp
from kiosk.check_in import CHECK_IN
from kiosk.link import KioskLink
from kiosk.outbox import Outbox, RequestState
from kiosk.panel import KioskPanel, Light
from kiosk.printer import SimulatedPrinter, TicketPrinter
from kiosk.scanner.thread import ScannerThread
from kiosk.ticket_layout import BOOKING_NOTICE
from tests.broker_fixtures import Mosquitto, Provisioned
from tests.central_fixtures import CentralProcess, Device
from tests.escpos_decode import decode as decode_escpos
from tests.escpos_decode import texts
from tests.kiosk_fixtures import RunningKiosk, cut_network, ready, until, waiting

# kiosk-2 has the buzzer (GPIO27) and the buttons M to X.
KIOSK = "kiosk-2"
BUZZER = 27
CODE = "M-7K3M9Q"


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


def requests(spy: Device, provisioned: Provisioned) -> list[KioskRequest]:
    topic = provisioned.topics.kiosk_request(KIOSK)
    with spy._lock:
        payloads = [payload for got, payload in spy.received if got == topic]
    return [decode_kiosk_request(payload) for payload in payloads]


def booked_ticket(slot: str | None = "09:30") -> TicketInfo:
    return TicketInfo(
        id="2026-11-30/M004",
        number="M004",
        service="M",
        service_name="Pendaftaran merek",
        agency="Kanwil Kemenkumham",
        priority=False,
        state="waiting",
        issued_at="2026-11-30T09:20:00+08:00",
        ahead=2,
        wait_minutes=15,
        counters=[20],
        slot=slot,
    )


class StandInCentral(Device):
    """Answers the kiosk's `check_in` requests as the central would, with `answer`
    (given the request's id); everything else it leaves unanswered."""

    def __init__(self, provisioned: Provisioned, answer: Callable[[str], Answer]) -> None:
        self.answer = answer
        self.answer_topic = provisioned.topics.kiosk_answer(KIOSK)
        self.check_ins: list[CheckIn] = []
        super().__init__(provisioned, "central", [provisioned.topics.kiosk_request(KIOSK)])

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        super()._on_message(client, userdata, message)
        request = decode_kiosk_request(bytes(message.payload))
        if isinstance(request, CheckIn):
            self.check_ins.append(request)
            client.publish(self.answer_topic, encode(self.answer(request.id)), qos=1)


@pytest.fixture
def stand_in(provisioned: Provisioned, mosquitto: Mosquitto) -> Iterator[list[StandInCentral]]:
    peers: list[StandInCentral] = []
    yield peers
    for peer in peers:
        peer.close()


def test_a_code_the_central_does_not_know_beeps_not_valid_and_prints_nothing(
    provisioned: Provisioned,
    central: CentralProcess,
    start_kiosk: Callable[..., RunningKiosk],
) -> None:
    kiosk = start_kiosk(kiosk_id=KIOSK)
    ready(kiosk)
    spy = Device(provisioned, "central", [provisioned.topics.kiosk_request(KIOSK)])
    quiet(kiosk)
    try:
        # WHEN a citizen scans a code, read loosely (lower case, O for 0)
        kiosk.app.scanned("m-7k3m9q")
        # THEN the central is asked with the code as written, refuses it, and the kiosk
        # beeps three times and blinks M's LED, and prints nothing
        until(lambda: kiosk.panel.light("M") is Light.FAULT, what="M's LED blinking")
        beeped(kiosk, 3)
        sent = [r for r in requests(spy, provisioned) if isinstance(r, CheckIn)]
        assert [r.code for r in sent] == [CODE]
        assert sent[0].offline_ticket is None
    finally:
        spy.close()
    assert b"NOMOR ANTREAN" not in kiosk.printed()
    assert kiosk.app.outbox.count(RequestState.DONE, kind=CHECK_IN) == 1
    # AND the LED is steady again a few seconds later
    until(lambda: kiosk.panel.light("M") is Light.AVAILABLE, what="M's LED steady again")


def test_junk_is_refused_at_once_sends_nothing_and_is_logged_escaped(
    provisioned: Provisioned,
    stand_in: list[StandInCentral],
    start_kiosk: Callable[..., RunningKiosk],
    caplog: pytest.LogCaptureFixture,
) -> None:
    stand_in.append(StandInCentral(provisioned, lambda rid: Answer(id=rid, ok=True)))
    kiosk = start_kiosk(kiosk_id=KIOSK)
    quiet(kiosk)
    caplog.set_level(logging.INFO, logger="kiosk")
    # WHEN the scanner reads something that is no booking code, with control characters
    kiosk.app.scanned("\x1b[2J\nALERT forged\x00" + "x" * 100)
    # THEN three beeps, nothing asked of the central, and the log line stays one line
    beeped(kiosk, 3)
    assert stand_in[0].check_ins == []
    assert kiosk.app.outbox.count(*RequestState, kind=CHECK_IN) == 0
    logged = [r.getMessage() for r in caplog.records if "no booking code" in r.getMessage()]
    assert len(logged) == 1
    assert "\x1b" not in logged[0]
    assert "\n" not in logged[0]
    assert "\\x1b[2J\\nALERT forged\\x00" in logged[0]
    assert logged[0].endswith("...")


def test_a_checked_in_citizen_gets_a_ticket_with_the_slot(
    provisioned: Provisioned,
    stand_in: list[StandInCentral],
    start_kiosk: Callable[..., RunningKiosk],
) -> None:
    # GIVEN a central that checks the booking in, answering with a ticket for its slot
    peer = StandInCentral(provisioned, lambda rid: Answer(id=rid, ok=True, ticket=booked_ticket()))
    stand_in.append(peer)
    kiosk = start_kiosk(kiosk_id=KIOSK)
    # WHEN the citizen scans their code
    kiosk.app.scanned(CODE + "\r")
    # THEN the ticket prints like any other, with the slot
    until(lambda: b"M004" in kiosk.printed(), what="the booked ticket")
    printed = kiosk.printed()
    assert b"NOMOR ANTREAN" in printed
    assert b"Jadwal booking 09:30" in printed
    assert b"Di depan Anda: 2 orang" in printed
    assert [r.code for r in peer.check_ins] == [CODE]
    until(
        lambda: kiosk.app.outbox.count(RequestState.DONE, kind=CHECK_IN) == 1,
        what="the check-in done",
    )


@pytest.mark.parametrize(
    ("reason", "count"),
    [
        (Reason.ALREADY_CHECKED_IN, 3),
        (Reason.BOOKING_CANCELLED, 3),
        (Reason.TOO_EARLY, 2),
        (Reason.NOT_TODAY, 2),
        (Reason.QUOTA_FULL, 5),
    ],
)
def test_each_family_of_refusal_has_its_beeps(
    provisioned: Provisioned,
    stand_in: list[StandInCentral],
    start_kiosk: Callable[..., RunningKiosk],
    caplog: pytest.LogCaptureFixture,
    reason: Reason,
    count: int,
) -> None:
    # GIVEN a central that refuses the check-in for `reason`
    since = "2026-11-30T09:15:00+08:00"
    stand_in.append(
        StandInCentral(
            provisioned,
            lambda rid: Answer(id=rid, ok=False, reason=reason.value, check_in_from=since),
        )
    )
    kiosk = start_kiosk(kiosk_id=KIOSK)
    quiet(kiosk)
    caplog.set_level(logging.INFO, logger="kiosk")
    # WHEN a citizen scans THEN the beeps say the family, M's LED blinks, nothing prints
    kiosk.app.scanned(CODE)
    until(lambda: kiosk.panel.light("M") is Light.FAULT, what="M's LED blinking")
    beeped(kiosk, count)
    assert b"NOMOR ANTREAN" not in kiosk.printed()
    if reason is Reason.TOO_EARLY:
        assert any(since in r.getMessage() for r in caplog.records)


def test_with_the_network_cut_a_scan_prints_a_reserved_number_and_hands_in_both_later(
    provisioned: Provisioned,
    central: CentralProcess,
    start_kiosk: Callable[..., RunningKiosk],
) -> None:
    kiosk = start_kiosk(kiosk_id=KIOSK)
    ready(kiosk)
    spy = Device(provisioned, "central", [provisioned.topics.kiosk_request(KIOSK)])
    try:
        # GIVEN the kiosk's network is cut
        cut_network(link_of(kiosk))
        until(lambda: not kiosk.app.central_there(), what="the central away")
        # WHEN a booked citizen scans
        kiosk.app.scanned(CODE)
        # THEN a reserved number of the code's service prints at once, with the code
        until(lambda: b"NOMOR ANTREAN" in kiosk.printed(), timeout=3, what="the offline ticket")
        printed = kiosk.printed()
        assert b"M001" in printed  # kiosk-2's first reserved M
        assert b"terputus" in printed
        assert CODE.encode() in printed
        words = " ".join(texts(decode_escpos(printed)))
        assert BOOKING_NOTICE in words
        assert kiosk.app.health()["offline_pending"] == 1
        # WHEN the network is back
        link_of(kiosk).start()
        # THEN the kiosk hands in the offline ticket, then the check-in tied to it
        until(lambda: kiosk.app.health()["outbox"] == 0, timeout=20, what="all handed in")
        sent = [r for r in requests(spy, provisioned) if isinstance(r, IssueOffline | CheckIn)]
    finally:
        spy.close()
    issued = [r for r in sent if isinstance(r, IssueOffline)]
    checked = [r for r in sent if isinstance(r, CheckIn)]
    assert issued
    assert checked
    assert sent.index(issued[0]) < sent.index(checked[0])
    assert {r.ticket for r in issued} == {"2026-11-30/M001"}
    assert {(r.code, r.offline_ticket) for r in checked} == {(CODE, "2026-11-30/M001")}
    # The scan's time is the ticket's printed time (to the second, as on the ticket).
    assert checked[0].scanned_at == issued[0].issued_at.replace(microsecond=0)
    # AND the central holds the ticket in M's queue (today it knows no booking)
    waiting(provisioned, "M", 1)


def test_with_no_reserve_for_the_code_the_kiosk_says_ask_staff_and_keeps_the_request(
    provisioned: Provisioned,
    central: CentralProcess,
    start_kiosk: Callable[..., RunningKiosk],
) -> None:
    kiosk = start_kiosk(kiosk_id=KIOSK)
    ready(kiosk)
    # GIVEN the network is cut WHEN a code of a service this kiosk has no button for
    # (A: passports, on kiosk-1) is scanned
    cut_network(link_of(kiosk))
    until(lambda: not kiosk.app.central_there(), what="the central away")
    quiet(kiosk)
    kiosk.app.scanned("A-7K3M9Q")
    # THEN five beeps send the citizen to the help desk, nothing prints, and the
    # check-in waits in the outbox
    beeped(kiosk, 5)
    assert b"NOMOR ANTREAN" not in kiosk.printed()
    assert kiosk.app.outbox.count(RequestState.PENDING, kind=CHECK_IN) == 1
    # AND once the network is back it is handed in and answered
    link_of(kiosk).start()
    until(
        lambda: kiosk.app.outbox.count(RequestState.DONE, kind=CHECK_IN) == 1,
        timeout=20,
        what="the check-in handed in",
    )


def test_a_scanner_on_a_pty_checks_in_and_its_loss_leaves_the_buttons_working(
    provisioned: Provisioned,
    central: CentralProcess,
    start_kiosk: Callable[..., RunningKiosk],
) -> None:
    kiosk = start_kiosk(kiosk_id=KIOSK)
    ready(kiosk)
    # GIVEN a serial scanner (a pty) read by the scanner thread into the kiosk
    master, slave = os.openpty()
    config = Scanner(type="serial", device=os.ttyname(slave), retry_seconds=0.2)
    scanner = ScannerThread(config, kiosk.app.scanned, kiosk.app.scanner_changed)
    scanner.start()
    try:
        until(lambda: kiosk.app.health().get("scanner") == "ok", what="scanner ok")
        # WHEN a code is scanned THEN it reaches the central (which refuses it)
        quiet(kiosk)
        os.write(master, f"{CODE}\r\n".encode())
        beeped(kiosk, 3)
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
    config = next(k for k in example_site.kiosks if k.id == KIOSK)
    now = [dt.datetime.fromisoformat("2026-11-30T12:30:00+08:00")]  # the lunch break
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    device = SimulatedPrinter()
    app = KioskApp(
        example_site, config, outbox, TicketPrinter(config.printer, example_site, device),
        lambda: now[0],
    )  # fmt: skip
    outbox.add_reserved(app.today(), [booked_ticket(slot=None)])
    factory = MockFactory()
    app.panel = KioskPanel(config, app.pressed, pin_factory=factory)
    try:
        # WHEN a booked citizen scans during M's break
        factory.pin(BUZZER).clear_states()
        app.check_in.scanned(CODE)
        # THEN "ask staff" (five beeps), nothing printed, the reserved number kept
        until(lambda: sum(s.state for s in factory.pin(BUZZER).states) == 5, what="5 beeps")
        assert b"NOMOR ANTREAN" not in device.output
        assert outbox.reserved_left(app.today(), "M") == 1
        # AND once M is open again the same scan prints the reserved number with the code
        now[0] = dt.datetime.fromisoformat("2026-11-30T13:05:00+08:00")
        app.check_in.scanned(CODE)
        assert b"M004" in device.output
        assert CODE.encode() in device.output
        assert outbox.count(RequestState.PENDING, kind="issue_offline") == 1
        assert outbox.count(RequestState.PENDING, kind="late_check_in") == 1
    finally:
        app.panel.close()
        factory.close()
        outbox.close()
