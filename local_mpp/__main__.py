"""`make run`: the whole MPP on this machine, from the example site.

Starts Mosquitto (the project's configuration, a free port), the central, two
simulated kiosks, the survey unit of counters 1-2 and the lobby display, then takes
commands from the terminal:

    A      kiosk button A (the kiosk that has it)      *A   priority, then A
    c5     counter 5 calls the next ticket             r5   counter 5 recalls
    f5     counter 5 finishes                          s5   counter 5 skips (no-show)
    +4     survey unit: sangat puas (+3 puas)          +1   tidak puas (+2 kurang puas)
    A-7K3M9Q  a booking code: scanned at the kiosk with its service's button
    q      stop everything (Ctrl-C does too)

The same kiosk and survey buttons are on the virtual kiosk page (local_mpp/virtual_kiosk.py),
whose address the greeting prints.

Each ticket issued is told with the address of its public page (the ticket's QR code
leads there: the run's copy of the site file points the QR codes at its public pages,
served apart from the staff console as on a real central).

The display opens a window when there is a screen, otherwise it runs headless and
writes var/local/display.png every few seconds. Everything it runs logs to var/local/.
"""

import argparse
import datetime as dt
import signal
import sys
from collections.abc import Iterator

from contract.site_loader import load_site
from local_mpp.demo_bookings import book_demo, greeting
from local_mpp.mall import ACTIONS, HOME, SITE_FILE, Mall, site_clock_args
from local_mpp.virtual_kiosk import VirtualKiosk


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make run", description=__doc__)
    parser.add_argument(
        "--simulate-from", help="start the clock here (default: now, or 09:00 if closed)"
    )
    args = parser.parse_args(argv)
    site = load_site(SITE_FILE)
    clock_args = site_clock_args(site, args.simulate_from)
    mall = Mall(site, clock_args)
    # A `kill` (or systemd, or a test) stops everything as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    virtual: VirtualKiosk | None = None
    try:
        mall.start()
        mall.wait_until_online()
        start = dt.datetime.fromisoformat(clock_args[1]) if clock_args else dt.datetime.now(dt.UTC)
        booked = book_demo(HOME / "antre.sqlite3", site, start)
        # The kiosk buttons and the survey unit in a browser, pressed as the terminal does.
        virtual = VirtualKiosk(site, mall.press, mall.survey, HOME)
        virtual.start()
        _greet(mall, virtual.url)
        print(greeting(booked), end="")
        _console(mall)
    except KeyboardInterrupt:
        print()
    finally:
        if virtual is not None:
            virtual.stop()
        mall.stop()
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _console(mall: Mall) -> None:
    for line in _lines():
        text = line.strip()
        if not text:
            continue
        if text.lower() in ("q", "quit", "exit"):
            return
        head, rest = text[0].lower(), text[1:]
        if head in ACTIONS and rest.isdigit():
            mall.counter(head, int(rest))
        elif head == "+" and rest in ("1", "2", "3", "4"):
            mall.survey(int(rest))
        else:
            mall.press(text.upper())
        for name, process in mall.processes.items():
            if process.poll() is not None:
                print(f"  {name} has stopped: see var/local/{name}.log")


def _lines() -> Iterator[str]:
    while True:
        try:
            yield input("antre> ")
        except EOFError:
            return


def _greet(mall: Mall, virtual_kiosk: str) -> None:
    print(
        "\nAntre is running: MPP Samarinda, 24 services, 2 kiosks, 1 survey unit, 1 display.\n"
        f"Web console: http://127.0.0.1:{mall.web_port}/  (log in as admin, password "
        f"{mall.password}; counters at /counter/, reports at /reports/)\n"
        f"Booking (a citizen's phone): http://127.0.0.1:{mall.public_port}/b/  (the help desk "
        "at /bookings/, the CSV import at /booking-import/)\n"
        f"Virtual kiosk: {virtual_kiosk}  (the kiosk and survey buttons in a browser)\n"
        "Type a service letter (A-X) to press its kiosk button, *A for priority;\n"
        "c5 / r5 / f5 / s5: counter 5 calls next / recalls / finishes / skips; q quits.\n"
        "+4 ... +1: the survey unit of counters 1-2, sangat puas ... tidak puas "
        "(survey at /reports/ikm).\n"
        f"Logs, printed tickets and the display's screenshot are in {HOME}.\n"
    )


if __name__ == "__main__":
    sys.exit(main())
