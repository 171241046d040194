"""`antre-kiosk`: runs one kiosk from the site file and its credentials.

On a Raspberry Pi the buttons are real; on a laptop, `--pin-factory mock` with
`--keyboard` takes presses from the terminal (a line "A" presses service A, "*A" the
priority button then A, a longer line is scanned like a booking code, "A-7K3M9Q") and
`--printer-file` writes the ESC/POS bytes to a file.
"""

import argparse
import dataclasses
import sys
from functools import partial

import msgspec

from contract.device_start import (
    DeviceRole,
    DeviceSetup,
    RunningDevice,
    SelfTestSetup,
    device_parser,
    run_device,
)
from contract.gpio_panel import pin_factory_from_name
from contract.presses import Press
from contract.sd_notify import Watchdog
from contract.site import Kiosk, Printer
from kiosk.app import VERSION, KioskApp
from kiosk.link import KioskLink
from kiosk.outbox import Outbox
from kiosk.panel import KioskPanel
from kiosk.printer import TicketPrinter
from kiosk.scanner.thread import ScannerThread
from kiosk.self_test import run_self_test

ROLE: DeviceRole[Kiosk] = DeviceRole(
    command="antre-kiosk",
    what="kiosk",
    table="kiosks",
    id_flag="kiosk",
    devices=lambda site: site.kiosks,
    has_pins=True,
)


def main(argv: list[str] | None = None) -> int:
    return run_device(ROLE, _parser(), argv, _set_up, self_test=_self_test)


def _self_test(setup: SelfTestSetup[Kiosk]) -> int:
    kiosk = _with_printer_file(setup.device, setup.args.printer_file)
    printer = TicketPrinter(kiosk.printer, setup.site)
    try:
        return run_self_test(dataclasses.replace(setup, device=kiosk), printer)
    finally:
        printer.close()


def _set_up(setup: DeviceSetup[Kiosk]) -> RunningDevice:
    args = setup.args
    kiosk = _with_printer_file(setup.device, args.printer_file)
    pin_factory = pin_factory_from_name(args.pin_factory)
    setup.state_dir.mkdir(parents=True, exist_ok=True)
    outbox = Outbox(setup.state_dir / "outbox.sqlite3")
    app = KioskApp(
        setup.site,
        kiosk,
        outbox,
        TicketPrinter(kiosk.printer, setup.site),
        setup.clock,
        answer_timeout=args.answer_timeout,
    )
    link = KioskLink(
        kiosk.id,
        setup.credentials,
        version=VERSION,
        on_answer=app.answer_arrived,
        on_connected=app.connected,
        on_central=app.central_status,
        noted=setup.noted,
    )
    try:
        panel = KioskPanel(kiosk, app.pressed, pin_factory=pin_factory)
    except BaseException:
        outbox.close()
        raise
    app.attach(panel, link)
    # Its own thread: a scanner missing or unplugged never holds up the buttons.
    scanner = (
        ScannerThread(kiosk.scanner, app.scanned, app.scanner_changed)
        if kiosk.scanner is not None
        else None
    )

    def start() -> None:
        link.start()
        if scanner is not None:
            scanner.start()

    def close() -> None:
        if scanner is not None:
            scanner.stop()
        panel.close()
        link.stop(app.health())
        outbox.close()

    return RunningDevice(
        start=start,
        run=lambda notifier: app.run(watchdog=Watchdog(notifier)),
        stop=app.stop,
        close=close,
        # systemd: the outbox is open, the pins are set up, the link is started.
        ready=f"kiosk {kiosk.id}: {len(kiosk.buttons)} buttons, printer {kiosk.printer.type}"
        + (f", scanner {kiosk.scanner.type} {kiosk.scanner.device}" if kiosk.scanner else ""),
        read_keys=partial(_read_keys, app) if args.keyboard else None,
    )


def _parser() -> argparse.ArgumentParser:
    parser = device_parser(ROLE, __doc__)
    parser.add_argument("--keyboard", action="store_true", help="take presses from stdin")
    parser.add_argument(
        "--answer-timeout",
        type=float,
        default=1.0,
        help="seconds to wait for the central before printing a reserved number (about 1)",
    )
    parser.add_argument("--printer-file", help="print to this file instead of the printer")
    return parser


def _with_printer_file(kiosk: Kiosk, printer_file: str | None) -> Kiosk:
    """The kiosk, printing to a file when one is given (a laptop, a test)."""
    if printer_file is None:
        return kiosk
    printer = Printer(
        type="file",
        path=printer_file,
        width_mm=kiosk.printer.width_mm,
        cutter=kiosk.printer.has_cutter,
        native_qr=kiosk.printer.has_native_qr,
    )
    return msgspec.structs.replace(kiosk, printer=printer)


def _read_keys(app: KioskApp) -> None:
    services = {button.service for button in app.kiosk.buttons}
    for line in sys.stdin:
        key = line.strip().upper()
        priority = key.startswith("*")
        service = key.lstrip("*")
        if service in services:
            app.pressed(Press(service, priority))
        elif len(key) > 2:
            # Longer than any prefix: what a scanner would read.
            app.scanned(line.strip())
        elif key:
            print(f"antre-kiosk: no button for {key!r} (buttons: {sorted(services)})")


if __name__ == "__main__":
    sys.exit(main())
