"""A button press to the first byte of its ticket at the printer, beside a bare MQTT echo.

In one run, against a Mosquitto on 127.0.0.1 provisioned for the example site:

- press: kiosk-1 runs in this process as in production (KioskApp, KioskLink, KioskPanel,
  TicketPrinter, its outbox on disk), on gpiozero's MockFactory pins and a simulated
  printer, against the real central (`python -m broker.central_main`, a child process on
  a simulated Monday 09:00). A press is a service button's mock pin driven low then high;
  the time runs from just before the pin goes low to the first write of the ticket's
  bytes to the printer. The presses go round the services of kiosk-1 without a daily
  quota, with the cool-down set to 0, one at a time: each waits for the previous ticket
  and for the kiosk to be done with it;
- echo: with the kiosk and the central stopped, mqtt_bench's bare echo (a plain paho
  client in its own process republishing each request at QoS 1 to the answer topic) and
  one client sending requests one after another: the round trip through Mosquitto
  that the press cannot beat.

The difference is what the kiosk and the central add to that round trip: the press
filter, the printer's status check, the request written to the outbox (an fsync), the
central's decision, its fsync and its state publication, the answer written to the outbox
(an fsync) and the ticket's layout rendered into ESC/POS.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
import threading
import time
from pathlib import Path

import msgspec
from gpiozero.pins.mock import MockFactory

from bench.mqtt_bench import (
    EXAMPLE_SITE,
    MONDAY_MORNING,
    READY_TIMEOUT,
    BenchError,
    Run,
    Setup,
    _echo_running,
    _measure,
    serving_central,
)
from broker.mosquitto_runner import LOCALHOST, MosquittoRunner, free_port
from broker.provision import provision
from contract import topics as t
from contract.clock import SimulatedClock
from contract.credentials import Credentials
from contract.site import Kiosk, Site
from contract.site_loader import load_site
from contract.topics import Topics
from kiosk.app import VERSION, KioskApp
from kiosk.link import KioskLink
from kiosk.outbox import Outbox
from kiosk.panel import KioskPanel, Light
from kiosk.printer import SimulatedPrinter, TicketPrinter
from simulation.central_process import stop_process

KIOSK = "kiosk-1"
# kiosk-1's services without a daily quota: nothing is refused however many we take.
SERVICES = ("D", "E", "F", "G", "J", "L")
PRESSES = 200
ROUND_TRIPS = 200
# Presses before the measured ones: connections, caches and SQLite warm up.
WARMUP = 5
# Between a ticket and the next press: the kiosk is idle, as before a citizen's press.
PAUSE = 0.02
# Bounded waits: generous for a loaded machine, never reached when things work.
TICKET_TIMEOUT = 10.0
# What every ticket prints (its heading), and what only an offline ticket prints.
TICKET_MARK = b"NOMOR ANTREAN"
OFFLINE_MARK = b"terputus"


class _TimedPrinter(SimulatedPrinter):
    """A simulated printer that notes when each ticket's first byte arrives.

    TicketPrinter.print_ticket sends a whole ticket in one `_raw` call, after its status
    queries (three-byte DLE EOT writes, answered in memory here). So the first write
    that holds the ticket's heading is the moment its first byte reaches the printer,
    with the layout already rendered; the time is taken before the bytes are kept.
    """

    def __init__(self) -> None:
        super().__init__()
        self.printed = threading.Event()
        self.printed_at = 0.0
        self.offline = False

    def expect_ticket(self) -> None:
        self.printed.clear()
        self.offline = False

    def _raw(self, msg: bytes) -> None:
        if TICKET_MARK in msg and not self.printed.is_set():
            self.printed_at = time.perf_counter()
            self.offline = OFFLINE_MARK in msg
            self.printed.set()
        super()._raw(msg)


class _RunningKiosk:
    """kiosk-1 in this process, on mock pins and the timed printer; `close` ends it all."""

    def __init__(self, site: Site, credentials: Credentials, folder: Path) -> None:
        # No cool-down: presses of the same button may follow each other at once.
        self.config: Kiosk = msgspec.structs.replace(
            next(k for k in site.kiosks if k.id == KIOSK), cooldown_seconds=0.0
        )
        self.printer = _TimedPrinter()
        self._cleanup = contextlib.ExitStack()
        try:
            self._start(site, credentials, folder)
        except BaseException:
            self.close()
            raise

    def _start(self, site: Site, credentials: Credentials, folder: Path) -> None:
        cleanup = self._cleanup
        clock = SimulatedClock(dt.datetime.fromisoformat(MONDAY_MORNING))
        outbox = Outbox(folder / "outbox.sqlite3")
        cleanup.callback(outbox.close)
        self.app = KioskApp(
            site, self.config, outbox, TicketPrinter(self.config.printer, site, self.printer), clock
        )
        self.factory = MockFactory()
        cleanup.callback(self.factory.close)
        self.panel = KioskPanel(self.config, self.app.pressed, pin_factory=self.factory)
        cleanup.callback(self.panel.close)
        link = KioskLink(
            KIOSK,
            credentials,
            version=VERSION,
            on_answer=self.app.answer_arrived,
            on_connected=self.app.connected,
            on_central=self.app.central_status,
        )
        self.app.attach(self.panel, link)
        link.start()
        cleanup.callback(lambda: link.stop(self.app.health()))
        loop = threading.Thread(target=self.app.run, name="bench-kiosk", daemon=True)
        loop.start()
        cleanup.callback(loop.join, READY_TIMEOUT)
        cleanup.callback(self.app.stop)

    def wait_until_ready(self) -> None:
        """Connected, with its reserve of numbers for every service (the central answered)."""
        wanted = self.app.reserve_pool * len(self.app.services)
        deadline = time.monotonic() + READY_TIMEOUT
        while self.app.health()["reserved"] != wanted:
            if time.monotonic() > deadline:
                raise BenchError(f"{KIOSK} did not get its reserved numbers")
            time.sleep(0.05)

    def press(self, service: str) -> float:
        """Presses a service button; returns the seconds until its ticket's first byte."""
        pin = self.factory.pin(next(b.pin for b in self.config.buttons if b.service == service))
        self.printer.expect_ticket()
        started = time.perf_counter()
        pin.drive_low()
        pin.drive_high()
        if not self.printer.printed.wait(TICKET_TIMEOUT):
            raise BenchError(f"no ticket for a press of {service} within {TICKET_TIMEOUT} s")
        if self.printer.offline:
            raise BenchError(f"a press of {service} printed offline: the central did not answer")
        # The kiosk is done with the press once the service's LED is steady again.
        deadline = time.monotonic() + TICKET_TIMEOUT
        while self.panel.light(service) is not Light.AVAILABLE:
            if time.monotonic() > deadline:
                raise BenchError(f"{service}'s LED did not come back after its ticket")
            time.sleep(0.001)
        return self.printer.printed_at - started

    def close(self) -> None:
        self._cleanup.close()


def _presses(site: Site, credentials: Credentials, folder: Path) -> Run:
    kiosk = _RunningKiosk(site, credentials, folder)
    try:
        kiosk.wait_until_ready()
        for n in range(WARMUP):
            kiosk.press(SERVICES[n % len(SERVICES)])
            time.sleep(PAUSE)
        latencies: list[float] = []
        started = time.perf_counter()
        for n in range(PRESSES):
            latencies.append(kiosk.press(SERVICES[n % len(SERVICES)]))
            time.sleep(PAUSE)
        return Run(latencies, time.perf_counter() - started)
    finally:
        kiosk.close()


def _run(site: Site, folder: Path) -> tuple[Run, Run]:
    """The presses against the central, then the bare echo; stops everything it started."""
    topics = Topics(site.site.id)
    port = free_port()
    report = provision(site, folder / "central", port=port, bind_address=LOCALHOST)
    credentials = report.credentials
    with contextlib.ExitStack() as cleanup:
        broker = MosquittoRunner(report.conf, port)
        cleanup.callback(broker.stop)
        broker.start()
        central = serving_central(cleanup, report, folder)
        presses = _presses(site, credentials[KIOSK], folder)
        stop_process(central)
        # One client, one request at a time; it logs in as kiosk-1, as the kiosk did.
        setup = Setup("bare echo", (1,), ROUND_TRIPS)
        with _echo_running(credentials[t.CENTRAL_ID]):
            echo = _measure(credentials, topics, setup, 1, "kiosk-echo")
    return presses, echo


def main() -> None:
    site = load_site(EXAMPLE_SITE)
    print(
        "Kiosk: a button press to the first byte of its ticket at the printer, through "
        "Mosquitto and the central, vs a bare QoS 1 echo (ms)"
    )
    with tempfile.TemporaryDirectory() as folder:
        presses, echo = _run(site, Path(folder))
    print(f"{'':<26} {'p50':>7} {'p99':>7}")
    print(f"{f'press to first byte ({PRESSES})':<26} {presses.p50:>7.2f} {presses.p99:>7.2f}")
    print(f"{f'bare round trip ({ROUND_TRIPS})':<26} {echo.p50:>7.2f} {echo.p99:>7.2f}")
    print(
        f"{'ratio press / echo':<26} {presses.p50 / echo.p50:>6.2f}x "
        f"{presses.p99 / echo.p99:>6.2f}x"
    )
    print(
        f"The press adds {presses.p50 - echo.p50:.2f} ms (p50) to the bare round trip: the press\n"
        "filter and the kiosk's queue, two printer status checks, the request and then the\n"
        "answer written to the outbox (an fsync each), the central's decision and its fsync\n"
        "(it publishes the answer before the calls and the state), and the ticket's layout\n"
        "rendered into ESC/POS."
    )


if __name__ == "__main__":
    main()
