"""`antre-central`: runs the central service from a site file and its credentials.

With `--web-port` the web console (counters, administration, reports, the citizens'
ticket pages and the REST API) is served from the same process, on the same queue.
"""

import argparse
import datetime as dt
import logging
import signal
import ssl
import sys
from pathlib import Path
from types import FrameType

from broker.bookings import BookingDesk, open_bookings
from broker.central import Central
from broker.hub_link.sender import HubSender
from broker.queue_service import Clock, QueueService
from broker.site_overrides import SETTING as SITE_OVERRIDES
from broker.site_overrides import site_at_start
from broker.store.sqlite_store import SqliteStore
from broker.ticket_links import TicketLinks, load_secret
from broker.web import create_app
from broker.web.accounts import Accounts
from broker.web.context import WebContext
from broker.web.live import ChangeHub
from broker.web.public_process import PublicPages
from broker.web.serve import Tls, WebServer
from contract.clock import SimulatedClock, system_clock
from contract.credentials import Credentials, load_credentials
from contract.errors import AntreError
from contract.logs import configure_logging
from contract.sd_notify import Notifier
from contract.site import Site
from contract.site_loader import load_site

log = logging.getLogger("antre-central")


# How long a Python thread keeps the interpreter before another may run (5 ms by
# default). The central's threads mostly hand work to each other (a clerk's post crosses
# the web loop, a worker thread, the store, Mosquitto); while the hall's live pages are
# rendered, each hand-off waited up to the default, and call-next's slowest 5% took over
# 90 ms instead of about 35 (bench/live_pages_bench.py).
SWITCH_INTERVAL_SECONDS = 0.0005


def main(argv: list[str] | None = None) -> int:
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    args = _parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        site = load_site(args.site)
        credentials = load_credentials(args.credentials)
        clock = (
            SimulatedClock(args.simulate_from, args.speed) if args.simulate_from else system_clock
        )
        store = SqliteStore(args.db)
        secrets = Path(args.db).resolve().parent
        links = TicketLinks(load_secret(secrets / "ticket-links.secret"), site.site.ticket_url_base)
        # Bookings are ruled by the site as the queue runs it (live edits included).
        bookings = open_bookings(Path(args.db), lambda: queue.engine.site)
        _tls(args)  # a bad certificate is said here, in one line, before anything starts
    except (AntreError, ValueError, OSError) as e:
        print(f"antre-central: {e}", file=sys.stderr)
        return 1
    # The managers' live edits of services and counters, kept on top of the file.
    file_site, site = site, site_at_start(site, store.setting(SITE_OVERRIDES))
    queue = QueueService(site, store, clock)
    # systemd (Type=notify): READY=1 once the web server is up and Mosquitto connected.
    notifier = Notifier.from_environment()
    try:
        hub = _hub_sender(site, credentials, Path(args.db), clock)
    except AntreError as e:
        print(f"antre-central: {e}", file=sys.stderr)
        return 1
    central = Central(
        site,
        queue,
        credentials,
        clock=clock,
        links=links,
        notifier=notifier,
        hub=hub,
        bookings=bookings.store,
    )
    web = None
    if args.web_port is not None:
        web = _web(site, file_site, queue, central, links, Path(args.db), bookings, secrets, args)
    public = _public_pages(args, clock)

    def stop(signum: int, frame: FrameType | None) -> None:
        central.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        central.serve()
    finally:
        if public is not None:
            public.stop()
        if web is not None:
            web.stop()
        store.close()
    return 0


def _web(
    site: Site,
    file_site: Site,
    queue: QueueService,
    central: Central,
    links: TicketLinks,
    database: Path,
    bookings: BookingDesk,
    secrets: Path,
    args: argparse.Namespace,
) -> WebServer:
    hub = ChangeHub()
    queue.subscribe(hub.changed)
    ctx = WebContext(
        site,
        queue,
        Accounts(database),
        hub,
        database,
        devices=central.devices,
        notice=central.notice,
        set_notice=central.set_notice,
        links=links,
        replace_site=central.replace_site,
        file_site=file_site,
        bookings=bookings,
    )
    # Asked for the site at each call: a manager's live edit of the rules applies at once.
    ctx.bookings = open_bookings(database, lambda: ctx.site)
    secret_key = load_secret(secrets / "web-session.secret")
    app = create_app(ctx, {"SECRET_KEY": secret_key})
    server = WebServer(
        app,
        args.web_host,
        args.web_port,
        hub=hub,
        tls=_tls(args),
    )
    server.start()
    if ctx.accounts.count() == 0:
        log.warning(
            "no staff account yet: create the first admin with "
            "`antre-admin --db %s create-user NAME --role admin`",
            database,
        )
    return server


def _public_pages(args: argparse.Namespace, clock: Clock) -> PublicPages | None:
    """The citizens' pages in a process of their own, when a public port is asked for."""
    if args.public_port is None:
        return None
    host = args.public_host or args.web_host
    arguments = ["--site", args.site, "--db", args.db, "--host", host]
    arguments += ["--port", str(args.public_port), "--log-level", args.log_level]
    if isinstance(clock, SimulatedClock):
        arguments += ["--simulate-from", clock.start.isoformat(), "--speed", str(clock.speed)]
        arguments += ["--clock-started", repr(clock.started)]
    public = PublicPages(arguments)
    public.start()
    return public


def _hub_sender(
    site: Site, credentials: Credentials, database: Path, clock: Clock
) -> HubSender | None:
    """The sender of the history to the region's hub, when the site file names one."""
    hub = site.enabled_hub
    if hub is None:
        return None
    return HubSender(site, credentials, database, resend_seconds=hub.resend_seconds, clock=clock)


def _tls(args: argparse.Namespace) -> Tls | None:
    """The console's certificate, checked (it loads, the key is its own); None: plain HTTP."""
    if not (args.web_tls_cert or args.web_tls_key):
        return None
    if not (args.web_tls_cert and args.web_tls_key):
        raise ValueError("--web-tls-cert and --web-tls-key go together")
    tls = Tls(Path(args.web_tls_cert), Path(args.web_tls_key))
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
            tls.certificate, tls.key
        )
    except ssl.SSLError as e:
        raise ValueError(f"{tls.certificate}: not a certificate and its key ({e})") from e
    return tls


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="antre-central", description=__doc__)
    parser.add_argument("--site", required=True, help="the site TOML file")
    parser.add_argument("--credentials", required=True, help="the central's credentials file")
    parser.add_argument("--db", required=True, help="the SQLite file (created if missing)")
    parser.add_argument("--web-port", type=int, help="serve the web console on this port")
    parser.add_argument("--web-host", default="0.0.0.0", help="the web console's address")
    parser.add_argument(
        "--web-tls-cert", help="serve the console over TLS with this certificate (PEM)"
    )
    parser.add_argument("--web-tls-key", help="the private key of --web-tls-cert (PEM)")
    parser.add_argument(
        "--public-port",
        type=int,
        help="also serve the citizens' pages (tickets, survey), and only those, over plain "
        "HTTP on this port (e.g. for the guest Wi-Fi)",
    )
    parser.add_argument("--public-host", help="the public pages' address (default: --web-host)")
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
    return parser


if __name__ == "__main__":
    sys.exit(main())
