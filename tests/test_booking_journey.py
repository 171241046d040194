"""Issue #13's journey end to end, with real parts: a citizen books on the public pages
over HTTP, scans the code at the kiosk (a serial scanner on a pty), gets a printed ticket
with the slot, is called at the slot's place among walk-ins, and shows up in the reports.

The central runs as its own process with its web console (staff and public listeners) on
a simulated clock from 09:14:30 on the test Monday, so the 09:15 slot can be booked and
is passed half a minute later: walk-ins are issued before the scan, between the scan and
the slot, and after the slot, and the call order shows where the booking was placed.
"""

from __future__ import annotations

import csv
import datetime as dt
import http.cookiejar
import io
import os
import re
import sqlite3
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from broker.web.admin_cli import main as admin_main
from contract.messages import Answer, CounterAction, CounterCommand, decode, encode
from contract.site import Scanner
from kiosk.scanner.thread import ScannerThread
from tests.booking_web_fixtures import code_in
from tests.broker_fixtures import WAIT, Mosquitto, Provisioned, free_port
from tests.central_fixtures import CentralProcess, Device, _answer_id, serving
from tests.conftest import MONDAY
from tests.escpos_decode import decode as decode_escpos
from tests.escpos_decode import texts
from tests.kiosk_fixtures import RunningKiosk, has_printed, ready, until
from tests.test_web_reports import Tables

START = "2026-11-30T09:14:30+08:00"
SLOT = dt.datetime.fromisoformat("2026-11-30T09:15:00+08:00")
PASSWORD = "kata-sandi-manajer-1"


class Browser:
    """A plain HTTP client with cookies, posting forms with their CSRF token as a phone's
    browser would (the Chromium flow itself is tested in test_booking_e2e.py)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=WAIT) as response:
            return str(response.read().decode("utf-8"))

    def post(self, path: str, fields: dict[str, str], token_from: str) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', token_from)
        assert found is not None, token_from[:1000]
        data = urllib.parse.urlencode({**fields, "csrf_token": found[1]}).encode()
        with self.opener.open(self.base + path, data=data, timeout=WAIT) as response:
            return str(response.read().decode("utf-8"))


@pytest.fixture
def central(
    provisioned: Provisioned,
    mosquitto: Mosquitto,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[CentralProcess]:
    """The central with its console on both listeners, and a manager (kepala)."""
    database = tmp_path / "antre.sqlite3"
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    command = ["--db", str(database), "create-user", "kepala", "--role", "manager"]
    assert admin_main([*command, "--password-stdin"]) == 0
    process = CentralProcess(
        provisioned,
        database,
        web_port=free_port(),
        public_port=free_port(),
        simulate_from=START,
    )
    with serving(process):
        yield process


def book_on_the_phone(public: str) -> str:
    """Books the first slot offered for passports today; the code the page shows."""
    phone = Browser(public)
    assert 'href="/b/A/"' in phone.get("/b/")
    slots = phone.get(f"/b/A/{MONDAY.isoformat()}/")
    first = re.search(rf'href="(/b/A/{MONDAY.isoformat()}/\d{{4}})"', slots)
    assert first is not None, slots[:2000]
    form_path = first[1]
    assert form_path.endswith("/0915")
    fields = {"name": "Siti Aminah", "nik": "6472011203900001", "phone": "0812 3456 7890"}
    form = phone.get(form_path)
    checked = phone.post(form_path, {**fields, "step": "check"}, form)
    done = phone.post(form_path, {**fields, "step": "confirm"}, checked)
    return code_in(done)


def central_time(kiosk: RunningKiosk) -> dt.datetime:
    """The central's clock as its heartbeats tell the kiosk."""
    now = kiosk.app.presence.central_time(kiosk.app.clock())
    assert now is not None
    return now


def issued(db: Path) -> dict[str, tuple[dt.datetime, dt.datetime | None, dt.datetime | None]]:
    """Every A ticket given out: its issue time, slot and call time."""
    connection = sqlite3.connect(db)
    try:
        rows = connection.execute(
            "SELECT number, issued_at, slot, called_at FROM tickets "
            "WHERE service = 'A' AND state != 'reserved'"
        ).fetchall()
    finally:
        connection.close()

    def when(text: str | None) -> dt.datetime | None:
        return dt.datetime.fromisoformat(text) if text else None

    return {n: (dt.datetime.fromisoformat(i), when(s), when(c)) for n, i, s, c in rows}


def test_a_citizen_books_on_a_phone_checks_in_at_the_kiosk_and_is_called_at_the_slot(
    provisioned: Provisioned,
    central: CentralProcess,
    start_kiosk: Callable[..., RunningKiosk],
) -> None:
    assert central.web_port is not None
    assert central.public_port is not None
    kiosk = start_kiosk(START, kiosk_id="kiosk-1", cooldown_seconds=0.0)
    ready(kiosk)  # A001-A003 reserved: the tickets below are A004 on
    master, slave = os.openpty()
    scanner = ScannerThread(
        Scanner(type="serial", device=os.ttyname(slave), retry_seconds=0.2),
        kiosk.app.scanned,
        kiosk.app.scanner_changed,
    )
    scanner.start()
    counter = Device(provisioned, "counter-1", [provisioned.topics.counter_answer(1)])
    try:
        # GIVEN a citizen who books the 09:15 passport slot on their phone at about 09:14
        code = book_on_the_phone(f"http://127.0.0.1:{central.public_port}")
        # AND a walk-in who takes a ticket before they arrive
        kiosk.press("A")
        until(has_printed(kiosk, "A004"), what="the first walk-in")
        # WHEN the citizen scans the code at the kiosk, before their slot
        until(lambda: kiosk.app.health().get("scanner") == "ok", what="the scanner")
        os.write(master, f"{code}\r\n".encode())
        # THEN their ticket is printed like any other, with the slot
        until(has_printed(kiosk, "A005"), what="the booked ticket")
        words = " ".join(texts(decode_escpos(kiosk.printed())))
        assert "Jadwal booking 09:15" in words
        # AND walk-ins come after them: one before 09:15, one after
        kiosk.press("A")
        until(has_printed(kiosk, "A006"), what="a walk-in before the slot")
        until(lambda: central_time(kiosk) > SLOT + dt.timedelta(seconds=2), 40, "09:15")
        kiosk.press("A")
        until(has_printed(kiosk, "A007"), what="a walk-in after the slot")
        # WHEN counter 1 (passports only) calls next four times, and the clerk finishes
        called = []
        calls: list[CounterAction] = ["call_next"] * 4
        actions: list[CounterAction] = [*calls, "finish"]
        for n, action in enumerate(actions):
            request = CounterCommand(id=f"cmd-{n}", action=action, clerk="siti")
            counter.client.publish(provisioned.topics.counter_command(1), encode(request), qos=1)
            raw = counter.wait_for(
                provisioned.topics.counter_answer(1), lambda p, i=request.id: _answer_id(p) == i
            )
            answer = decode(raw, Answer)
            assert answer.ok, answer
            if action == "call_next":
                assert answer.ticket is not None
                called.append(answer.ticket.number)
    finally:
        counter.close()
        scanner.stop()
        os.close(master)
        os.close(slave)
    tickets = issued(central.db)
    # (the walk-ins came when they were meant to: before the scan, between scan and slot,
    # after the slot)
    assert tickets["A004"][0] < tickets["A005"][0] < tickets["A006"][0] < SLOT
    assert tickets["A007"][0] > SLOT
    # THEN the booked ticket is called at its slot's place: after the walk-ins who came
    # before 09:15 (one of them after the scan), before the one who came after
    assert called == ["A004", "A006", "A005", "A007"]
    assert tickets["A005"][1] == SLOT
    called_at = tickets["A005"][2]
    assert called_at is not None
    wait = (called_at - SLOT).total_seconds() / 60
    # WHEN a manager opens today's reports
    staff = Browser(f"http://127.0.0.1:{central.web_port}")
    login = staff.get("/login")
    staff.post("/login", {"username": "kepala", "password": PASSWORD}, login)
    day = MONDAY.isoformat()
    page = staff.get(f"/reports/?start={day}&end={day}")
    table = list(csv.reader(io.StringIO(staff.get(f"/reports/bookings.csv?start={day}&end={day}"))))
    # THEN the page and the CSV show the booking checked in and its wait from slot to call
    rows = Tables(page).body("bookings")
    assert [row[:7] for row in rows] == [
        [day, "A", "Paspor (permohonan baru dan penggantian)", "1", "1", "0", "0"]
    ]
    assert float(rows[0][7].replace(",", ".")) == pytest.approx(wait, abs=0.051)
    assert table[0][:7] == [
        "day",
        "service",
        "name",
        "bookings",
        "check_ins",
        "no_shows",
        "cancelled",
    ]
    assert table[1][:7] == [
        day,
        "A",
        "Paspor (permohonan baru dan penggantian)",
        "1",
        "1",
        "0",
        "0",
    ]
    assert float(table[1][-2]) == pytest.approx(wait, abs=0.051)
