"""`make run`'s program, driven from its terminal as a person would."""

import re
import time
import urllib.request
from pathlib import Path

from tests.make_run_harness import MakeRun


def printed_on(printer_file: Path, text: bytes, timeout: float = 15.0) -> bool:
    """Whether `text` reaches the kiosk's printer file within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if printer_file.exists() and text in printer_file.read_bytes():
            return True
        time.sleep(0.1)
    return False


def test_the_whole_mpp_runs_takes_a_ticket_checks_a_booking_in_and_calls(tmp_path: Path) -> None:
    with MakeRun(tmp_path) as run:
        # GIVEN `python -m local_mpp` with its terminal fed by the test, on a Monday at 09:00
        addresses = run.start("--simulate-from", "2026-11-30T09:00:00+08:00")
        web, public = addresses.web_console, addresses.public_pages
        # WHEN a citizen presses A and opens the page its QR code leads to, a booked one
        # scans their code, and counter 1 calls; then the person quits
        login_page = urllib.request.urlopen(web + "login", timeout=10).read()
        run.send("A", wait_for="button A pressed")
        issued = run.line_with(" issued, ")
        ticket = run.wait_for_printout("kiosk-1")
        page_address = re.search(r"its page: (\S+)", issued)
        assert page_address, issued
        ticket_page = urllib.request.urlopen(page_address[1], timeout=10).read().decode()
        # (the code of the first booking the greeting names, typed at the prompt)
        booked = re.search(
            r"Booked for today: (A-[0-9A-Z]{6}) at 09:15", run.line_with("Booked for today")
        )
        assert booked, run.output
        run.send(booked[1], wait_for=f"kiosk-1: booking {booked[1]} scanned")
        slot_printed = printed_on(tmp_path / "kiosk-1.bin", b"Jadwal booking 09:15")
        run.send("c1", wait_for="loket 1:")
        exit_code = run.stop()
    # THEN the web console answered, the terminal told the ticket and its page (on this
    # run's public pages, apart from the console), counter 1 called the ticket and
    # everything stopped cleanly
    assert b"Masuk" in login_page
    assert f"kiosk-1: {ticket} issued" in issued
    assert page_address[1].startswith(public + "t/")
    assert public != web
    assert ticket in ticket_page
    # (A001-A003 are kiosk-1's reserve for an outage, so the first printed one is A004.)
    assert f"loket 1: ok {ticket}" in run.output, run.output
    # AND the scanned booking's ticket was printed with its slot (called after A004: 09:15)
    assert slot_printed
    assert re.fullmatch(r"A\d{3}", ticket)
    assert "stopped Mosquitto" in run.output
    assert exit_code == 0
    assert (tmp_path / "display.png").exists() or (tmp_path / "display-lobby.log").exists()
