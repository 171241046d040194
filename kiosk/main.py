"""`antre-kiosk`: runs one kiosk from the site file and its credentials.

On a Raspberry Pi the buttons are real; on a laptop, `--pin-factory mock` with
`--keyboard` takes presses from the terminal (a line "A" presses service A, "*A" the
priority button then A) and `--printer-file` writes the ESC/POS bytes to a file.
"""

import argparse
import datetime as dt
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import msgspec

from contract.clock import SimulatedClock, system_clock
from contract.credentials import load_credentials
from contract.errors import AntreError
from contract.logs import configure_logging
from contract.sd_notify import Notifier, Watchdog
from contract.site import Kiosk, Printer, Site
from contract.site_loader import load_site
from kiosk.app import VERSION, KioskApp
from kiosk.link import KioskLink
from kiosk.outbox import Outbox
from kiosk.panel import KioskPanel, pin_factory_from_name
from kiosk.presses import Press
from kiosk.printer import TicketPrinter


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        site = load_site(args.site)
        kiosk = _kiosk(site, args.kiosk, args.printer_file)
        credentials = load_credentials(args.credentials)
        clock = (
            SimulatedClock(args.simulate_from, args.speed) if args.simulate_from else system_clock
        )
        Path(args.state_dir).mkdir(parents=True, exist_ok=True)
        outbox = Outbox(Path(args.state_dir) / "outbox.sqlite3")
        pin_factory = pin_factory_from_name(args.pin_factory)
    except (AntreError, ValueError, OSError) as e:
        print(f"antre-kiosk: {e}", file=sys.stderr)
        return 1

    app = KioskApp(
        site,
        kiosk,
        outbox,
        TicketPrinter(kiosk.printer, site),
        clock,
        answer_timeout=args.answer_timeout,
    )
    link = KioskLink(
        kiosk.id,
        credentials,
        version=VERSION,
        on_answer=app.answer_arrived,
        on_connected=app.connected,
        on_central=app.central_status,
    )
    panel = KioskPanel(kiosk, app.pressed, pin_factory=pin_factory)
    app.attach(panel, link)

    notifier = Notifier.from_environment()

    def stop(signum: int, frame: FrameType | None) -> None:
        notifier.stopping()
        app.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.keyboard:
        threading.Thread(target=_read_keys, args=(app, kiosk), daemon=True).start()
    link.start()
    # systemd (Type=notify): the outbox is open, the pins are set up, the link is started.
    notifier.ready(f"kiosk {kiosk.id}: {len(kiosk.buttons)} buttons, printer {kiosk.printer.type}")
    try:
        app.run(watchdog=Watchdog(notifier))
    finally:
        panel.close()
        link.stop(app.health())
        outbox.close()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="antre-kiosk", description=__doc__)
    parser.add_argument("--site", required=True, help="the site TOML file")
    parser.add_argument("--kiosk", required=True, help="this kiosk's id in the site file")
    parser.add_argument("--credentials", required=True, help="this kiosk's credentials file")
    parser.add_argument("--state-dir", required=True, help="where the outbox is kept")
    parser.add_argument(
        "--pin-factory",
        help="gpiozero pin factory: mock, lgpio, rpigpio, native (default: gpiozero's choice, "
        "which honours GPIOZERO_PIN_FACTORY)",
    )
    parser.add_argument("--keyboard", action="store_true", help="take presses from stdin")
    parser.add_argument(
        "--answer-timeout",
        type=float,
        default=1.0,
        help="seconds to wait for the central before printing a reserved number (about 1)",
    )
    parser.add_argument("--printer-file", help="print to this file instead of the printer")
    parser.add_argument("--simulate-from", type=dt.datetime.fromisoformat, metavar="ISO-TIME")
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--log-level", default="INFO")
    return parser


def _kiosk(site: Site, kiosk_id: str, printer_file: str | None) -> Kiosk:
    for kiosk in site.kiosks:
        if kiosk.id == kiosk_id:
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
    known = ", ".join(k.id for k in site.kiosks) or "none"
    raise AntreError(f"no kiosk {kiosk_id!r} in the site file (kiosks: {known})")


def _read_keys(app: KioskApp, kiosk: Kiosk) -> None:
    services = {button.service for button in kiosk.buttons}
    for line in sys.stdin:
        key = line.strip().upper()
        priority = key.startswith("*")
        service = key.lstrip("*")
        if service in services:
            app.pressed(Press(service, priority))
        elif key:
            print(f"antre-kiosk: no button for {key!r} (buttons: {sorted(services)})")


if __name__ == "__main__":
    sys.exit(main())
