"""`make run`'s program, driven from its terminal as a person would."""

import re
import urllib.request
from pathlib import Path

from tests.make_run_harness import MakeRun


def test_the_whole_mpp_runs_takes_a_ticket_and_calls_it(tmp_path: Path) -> None:
    with MakeRun(tmp_path) as run:
        # GIVEN `python -m local_mpp` with its terminal fed by the test
        web = run.start().web_console
        # WHEN a citizen presses A, opens the page its QR code leads to, and counter 1
        # calls; then the person quits
        login_page = urllib.request.urlopen(web + "login", timeout=10).read()
        run.send("A", wait_for="button A pressed")
        issued = run.line_with(" issued, ")
        ticket = run.wait_for_printout("kiosk-1")
        page_address = re.search(r"its page: (\S+)", issued)
        assert page_address, issued
        ticket_page = urllib.request.urlopen(page_address[1], timeout=10).read().decode()
        run.send("c1", wait_for="loket 1:")
        exit_code = run.stop()
    # THEN the web console answered, the terminal told the ticket and its page (on this
    # run's console), counter 1 called the ticket and everything stopped cleanly
    assert b"Masuk" in login_page
    assert f"kiosk-1: {ticket} issued" in issued
    assert page_address[1].startswith(web + "t/")
    assert ticket in ticket_page
    # (A001-A003 are kiosk-1's reserve for an outage, so the first printed one is A004.)
    assert f"loket 1: ok {ticket}" in run.output, run.output
    assert re.fullmatch(r"A\d{3}", ticket)
    assert "stopped Mosquitto" in run.output
    assert exit_code == 0
    assert (tmp_path / "display.png").exists() or (tmp_path / "display-lobby.log").exists()
