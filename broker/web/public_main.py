"""The citizens' pages (tickets, survey, bookings), served in a process of their own.

`antre-central --public-port` starts it (`broker.web.public_process`); nobody else needs
to. A hall of phones holding their ticket pages open is hundreds of thousands of Python
objects and a render of every page after each call: in the central's own interpreter
that cost the clerks' call-next pauses of a quarter of a second (the garbage collector
walking the phones' connections). Here it costs them nothing. The queue is read from the
central's SQLite file (`broker.web.follow`); bookings and survey answers are written to
it as the central's own pages would.

It says `ready <port>` on its standard output once it listens, and stops when its
standard input ends: the central holds it, so a central that dies takes it along.
"""

import argparse
import contextlib
import datetime as dt
import logging
import sys
from pathlib import Path

from broker.bookings import open_bookings
from broker.ticket_links import TicketLinks, load_secret
from broker.web import create_public_app
from broker.web.context import WebContext
from broker.web.follow import Poller, QueueFollower
from broker.web.live import ChangeHub
from broker.web.serve import WebServer
from contract.clock import SimulatedClock, system_clock
from contract.errors import AntreError
from contract.logs import configure_logging
from contract.site_loader import load_site

log = logging.getLogger(__name__)

READY = "ready"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logging(args.log_level)
    database = Path(args.db)
    secrets = database.resolve().parent
    try:
        file_site = load_site(args.site)
        clock = (
            SimulatedClock(args.simulate_from, args.speed, started=args.clock_started)
            if args.simulate_from
            else system_clock
        )
        follower = QueueFollower(file_site, database, clock)
        links = TicketLinks(
            load_secret(secrets / "ticket-links.secret"), file_site.site.ticket_url_base
        )
        secret_key = load_secret(secrets / "web-session.secret")
    except (AntreError, ValueError, OSError) as e:
        print(f"antre-central (public pages): {e}", file=sys.stderr)
        return 1
    hub = ChangeHub()
    ctx = WebContext(follower.site, follower.queue, None, hub, database, links=links)
    ctx.bookings = open_bookings(database, lambda: ctx.site)

    def catch_up() -> bool:
        if not follower.catch_up():
            return False
        ctx.site, ctx.queue = follower.site, follower.queue
        hub.changed()
        return True

    ctx.catch_up = catch_up
    app = create_public_app(ctx, {"SECRET_KEY": secret_key})
    try:
        server = WebServer(app, args.host, args.port, hub=hub, public_only=True)
    except OSError as e:
        print(f"antre-central (public pages): port {args.port}: {e}", file=sys.stderr)
        return 1
    poller = Poller(catch_up)
    server.start()
    poller.start()
    print(f"{READY} {server.port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        sys.stdin.buffer.read()  # until the central closes it, or is gone
    poller.stop()
    server.stop()
    ctx.bookings.store.close()
    follower.close()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="antre-public", description=__doc__)
    parser.add_argument("--site", required=True, help="the site TOML file")
    parser.add_argument("--db", required=True, help="the central's SQLite file")
    parser.add_argument("--host", required=True, help="the address to listen on")
    parser.add_argument("--port", type=int, required=True, help="the port (0: any free one)")
    parser.add_argument("--simulate-from", type=dt.datetime.fromisoformat, metavar="ISO-TIME")
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument(
        "--clock-started",
        type=float,
        help="the central's simulated clock's start, in this machine's monotonic seconds",
    )
    parser.add_argument("--log-level", default="INFO")
    return parser


if __name__ == "__main__":
    sys.exit(main())
