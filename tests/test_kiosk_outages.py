"""Three outages, two kiosks, the real Mosquitto and central: no printed ticket is lost.

The central frozen (SIGSTOP: it hangs while Mosquitto stays up and keeps its session),
the central killed and started again, and Mosquitto killed and started again. In each,
both kiosks print reserved numbers while the central is away; once it is back, every
printed ticket is in the central's queue exactly once and in print order, no press cost
a number, each reserve is full again and the next ticket counts the offline ones ahead.
"""

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

from kiosk.panel import Light
from tests.broker_fixtures import Mosquitto
from tests.central_fixtures import CentralProcess
from tests.kiosk_fixtures import RunningKiosk, ready, until

# Each kiosk's first service is pressed twice (its whole reserve of two), its second once.
PRESSES = {"kiosk-1": ["A", "A", "B"], "kiosk-2": ["M", "M", "N"]}
RESERVE = 2
OFFLINE_MARK = b"terputus"
# The printed number, in the printer's large text: a prefix and at least three digits.
NUMBER = re.compile(rb"\b([A-Z]{1,2}\d{3,})\b")


def printed_numbers(kiosk: RunningKiosk) -> list[str]:
    """The numbers a kiosk printed, in print order."""
    tickets = kiosk.printed().split(b"NOMOR ANTREAN")[1:]
    numbers = []
    for ticket in tickets:
        found = NUMBER.search(ticket)
        assert found is not None, f"no number on a ticket of {kiosk.config.id}: {ticket[:200]!r}"
        numbers.append(found[1].decode())
    return numbers


def central_tickets(db: Path) -> dict[str, tuple[str, str]]:
    """Every ticket the central holds: number -> (state, issued_at)."""
    connection = sqlite3.connect(db)
    try:
        rows = connection.execute("SELECT number, state, issued_at FROM tickets").fetchall()
    finally:
        connection.close()
    return {number: (state, issued_at) for number, state, issued_at in rows}


def press_and_print(kiosk: RunningKiosk, service: str) -> None:
    before = kiosk.printed().count(b"NOMOR ANTREAN")
    kiosk.press(service)
    until(
        lambda: kiosk.printed().count(b"NOMOR ANTREAN") == before + 1,
        what=f"{kiosk.config.id}'s ticket for {service}",
    )


def shows(kiosk: RunningKiosk, service: str, light: Light) -> Callable[[], bool]:
    return lambda: kiosk.panel.light(service) is light


def handed_in(kiosk: RunningKiosk) -> Callable[[], bool]:
    return lambda: kiosk.app.health()["offline_pending"] == 0


def live_through(
    central: CentralProcess,
    start_kiosk: Callable[..., RunningKiosk],
    cut: Callable[[], None],
    restore: Callable[[], None],
) -> None:
    kiosks = [
        start_kiosk(kiosk_id=kiosk_id, reserve_pool=RESERVE, cooldown_seconds=0.0)
        for kiosk_id in PRESSES
    ]
    for kiosk in kiosks:
        ready(kiosk)
    # GIVEN the central goes away while both kiosks are up
    cut()
    # WHEN citizens press at both kiosks
    for kiosk in kiosks:
        for service in PRESSES[kiosk.config.id]:
            press_and_print(kiosk, service)
    # THEN each press printed a reserved number, marked offline
    for kiosk in kiosks:
        assert kiosk.printed().count(OFFLINE_MARK) == len(PRESSES[kiosk.config.id])
        first, second = PRESSES[kiosk.config.id][0], PRESSES[kiosk.config.id][-1]
        # AND the service with no reserved number left blinks fast; the other still takes
        # presses
        until(shows(kiosk, first, Light.FAULT), what=f"{first}'s fault LED")
        assert kiosk.panel.light(second) is Light.AVAILABLE
        assert kiosk.app.health()["central"] is False
    # AND WHEN the central is back
    restore()
    # THEN every offline ticket is handed in and every reserve is full again
    for kiosk in kiosks:
        until(handed_in(kiosk), timeout=30, what=f"{kiosk.config.id}'s hand-in")
        ready(kiosk)
        assert kiosk.app.health()["central"] is True
        assert kiosk.panel.light(PRESSES[kiosk.config.id][0]) is Light.AVAILABLE
    # AND the next ticket counts the offline ones ahead of it
    first_kiosk = kiosks[0]
    press_and_print(first_kiosk, "A")
    last_ticket = first_kiosk.printed().split(b"NOMOR ANTREAN")[-1]
    assert OFFLINE_MARK not in last_ticket
    assert b"Di depan Anda: 2 orang" in last_ticket
    # AND every printed ticket is in the queue exactly once, in print order; no number was
    # given to a ticket nobody holds
    tickets = central_tickets(central.db)
    printed = [number for kiosk in kiosks for number in printed_numbers(kiosk)]
    assert len(printed) == len(set(printed)) == 7
    waiting = {number for number, (state, _) in tickets.items() if state == "waiting"}
    assert waiting == set(printed)
    for kiosk in kiosks:
        for service in set(PRESSES[kiosk.config.id]):
            in_print_order = [n for n in printed_numbers(kiosk) if n.startswith(service)]
            by_time = sorted(in_print_order, key=lambda number: tickets[number][1])
            assert by_time == in_print_order
    states = {state for state, _ in tickets.values()}
    assert states <= {"waiting", "reserved"}, f"a number was spent on nobody: {tickets}"


def test_a_frozen_central_gets_every_offline_ticket_once_it_answers_again(
    central: CentralProcess, start_kiosk: Callable[..., RunningKiosk]
) -> None:
    live_through(central, start_kiosk, central.freeze, central.thaw)


def test_a_central_killed_and_restarted_gets_every_offline_ticket(
    central: CentralProcess, start_kiosk: Callable[..., RunningKiosk]
) -> None:
    live_through(central, start_kiosk, central.kill, central.start)


def test_mosquitto_killed_and_restarted_loses_no_offline_ticket(
    mosquitto: Mosquitto, central: CentralProcess, start_kiosk: Callable[..., RunningKiosk]
) -> None:
    live_through(central, start_kiosk, mosquitto.kill, mosquitto.start)
