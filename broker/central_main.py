"""`antre-central`: runs the central service from a site file and its credentials."""

import argparse
import datetime as dt
import logging
import signal
import sys
from types import FrameType

from broker.central import Central
from broker.queue_service import QueueService
from broker.store.sqlite_store import SqliteStore
from contract.clock import SimulatedClock, system_clock
from contract.credentials import load_credentials
from contract.errors import AntreError
from contract.site_loader import load_site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="antre-central", description=__doc__)
    parser.add_argument("--site", required=True, help="the site TOML file")
    parser.add_argument("--credentials", required=True, help="the central's credentials file")
    parser.add_argument("--db", required=True, help="the SQLite file (created if missing)")
    parser.add_argument(
        "--simulate-from",
        type=dt.datetime.fromisoformat,
        metavar="ISO-TIME",
        help="run on a simulated clock from this moment (demos, tests), e.g. "
        "2026-11-30T09:00+08:00",
    )
    parser.add_argument(
        "--speed", type=float, default=1.0, help="how fast the simulated clock runs"
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        site = load_site(args.site)
        credentials = load_credentials(args.credentials)
        clock = (
            SimulatedClock(args.simulate_from, args.speed) if args.simulate_from else system_clock
        )
        store = SqliteStore(args.db)
    except (AntreError, ValueError) as e:
        print(f"antre-central: {e}", file=sys.stderr)
        return 1
    central = Central(site, QueueService(site, store, clock), credentials, clock=clock)

    def stop(signum: int, frame: FrameType | None) -> None:
        central.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        central.serve()
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
