"""The rush when booking opens: 1,000 citizens post the booking form at the same moment
for 100 places, over real HTTP, against the web console served by uvicorn in a process
of its own (the public listener, as phones reach it).

Each simulated citizen first opens the form (its session cookie and CSRF token), then
all post "confirm" at once (a barrier). Each connects from its own loopback address
(127.0.x.y: Linux routes all of 127.0.0.0/8 to the loopback), so the per-address brake
stays on with its defaults and sees 1,000 distinct clients of one attempt each, as a
city's phones would be. 500 NIKs try twice each (a citizen on two phones).

Prints how many bookings were made (must be exactly the places), places over capacity,
NIKs holding two bookings, the answers by status, and p50 and p99 of the answer times.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import math
import multiprocessing
import re
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.synchronize import Event as ProcessEvent
from pathlib import Path

from bench.mqtt_bench import EXAMPLE_SITE
from broker.bookings import BookingBook, open_bookings
from broker.queue_service import QueueService
from broker.store.sqlite_store import SqliteStore
from broker.web import create_app
from broker.web.accounts import Accounts
from broker.web.context import WebContext
from broker.web.live import ChangeHub
from broker.web.serve import WebServer
from contract.clock import SimulatedClock
from contract.site import Site
from contract.site_loader import parse_site

ATTEMPTS = 1000
PLACES = 100
LOCALHOST = "127.0.0.1"
SERVICE = "A"
# Booking for Monday 30 November 2026 opens a week before at 07:00 (the site's rules).
DAY = dt.date(2026, 11, 30)
SLOT = dt.time(8, 0)
_A_SESSIONS = re.compile(r'(prefix = "A".*?\[services\.booking\]\nsessions = )\{[^\n]*\}', re.S)
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def rush_site(places: int) -> Site:
    """The example site with service A's bookings one Monday session of `places`, in
    one 30-minute slot."""
    whole = EXAMPLE_SITE.read_text(encoding="utf-8")
    head, service_a, rest = whole.partition('prefix = "A"')
    rest, found = _A_SESSIONS.subn(
        rf'\1{{ mon = ["08:00-08:30/{places}"] }}', service_a + rest, count=1
    )
    assert found == 1, "service A's booking sessions moved in the example site"
    rest = rest.replace("daily_quota = 60\n", f"daily_quota = {places}\n", 1)
    rest, found = re.subn(r"slot_minutes = \d+\n", "slot_minutes = 30\n", rest, count=1)
    assert found == 1, "service A's booking slots moved in the example site"
    return parse_site(head + rest, source="rush site")


def opening(site: Site) -> dt.datetime:
    """The moment booking for DAY opens."""
    return dt.datetime.combine(DAY - dt.timedelta(days=7), dt.time(7), site.site.timezone)


@contextlib.contextmanager
def served_rush(folder: Path, places: int) -> Iterator[tuple[int, Path]]:
    """The console (staff and public listeners) over a new database in `folder`, its
    clock at the opening moment; yields the public port and the database."""
    site = rush_site(places)
    database = folder / "antre.sqlite3"
    store = SqliteStore(database)
    accounts = Accounts(database)
    queue = QueueService(site, store, SimulatedClock(opening(site)))
    hub = ChangeHub()
    ctx = WebContext(site, queue, accounts, hub, database)
    ctx.bookings = open_bookings(database, lambda: ctx.site)
    app = create_app(ctx, {"SECRET_KEY": "rush-bench-secret"})
    # The citizens' listener, where the phones book.
    server = WebServer(app, LOCALHOST, 0, hub=hub, public_only=True)
    server.start()
    try:
        yield server.port, database
    finally:
        server.stop()
        ctx.bookings.store.close()
        accounts.close()
        store.close()


@dataclass(frozen=True, slots=True)
class Attempt:
    """One citizen's post: its HTTP status, how long the answer took, the code if booked."""

    status: int
    seconds: float
    code: str | None


def source_address(n: int) -> str:
    """The n-th simulated citizen's own loopback address (never 127.0.0.1 itself)."""
    return f"127.{1 + n // 62500}.{(n // 250) % 250 + 1}.{n % 250 + 1}"


def rush(port: int, attempts: int, niks: int) -> list[Attempt]:
    """`attempts` citizens, each from its own address, open the form, then post it at
    the same moment; citizen n uses NIK number n % niks."""
    path = f"/b/{SERVICE}/{DAY.isoformat()}/{SLOT:%H%M}"
    start = threading.Barrier(attempts)
    results: list[Attempt | None] = [None] * attempts

    def citizen(n: int) -> None:
        connection = http.client.HTTPConnection(
            LOCALHOST, port, timeout=120, source_address=(source_address(n), 0)
        )
        try:
            connection.request("GET", path)
            page = connection.getresponse()
            html = page.read().decode()
            cookie = (page.getheader("Set-Cookie") or "").split(";")[0]
            token = _TOKEN.search(html)
            if page.status != 200 or token is None:
                raise RuntimeError(f"the form did not open: {page.status} {html[:300]}")
            form = urllib.parse.urlencode(
                {
                    "csrf_token": token[1],
                    "step": "confirm",
                    "name": f"Warga {n}",
                    "nik": f"6472{n % niks:012d}",
                    "phone": "",
                }
            )
            headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
            start.wait()
            began = time.perf_counter()
            connection.request("POST", path, form, headers)
            answer = connection.getresponse()
            answer.read()
            seconds = time.perf_counter() - began
            location = answer.getheader("Location") or ""
            code = location.rsplit("/", 1)[-1] if answer.status == 303 else None
            results[n] = Attempt(answer.status, seconds, code)
        finally:
            connection.close()

    threads = [threading.Thread(target=citizen, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = [r for r in results if r is not None]
    assert len(done) == attempts, f"{attempts - len(done)} citizens failed before posting"
    return done


@dataclass(frozen=True, slots=True)
class Kept:
    """What the database holds afterwards for the rush's slot."""

    bookings: int
    over_capacity: int
    niks_with_two: int
    codes: frozenset[str]


def kept(database: Path, places: int) -> Kept:
    book = BookingBook(database)
    try:
        found = book.bookings(SERVICE, DAY)
    finally:
        book.close()
    per_slot = Counter(b.slot for b in found)
    per_nik = Counter(b.nik_hash for b in found)
    return Kept(
        bookings=len(found),
        over_capacity=sum(max(0, count - places) for count in per_slot.values()),
        niks_with_two=sum(1 for count in per_nik.values() if count > 1),
        codes=frozenset(b.code for b in found),
    )


def percentile_ms(seconds: list[float], share: float) -> float:
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)] * 1000


def _serve(folder: str, places: int, port: multiprocessing.Queue[int], stop: ProcessEvent) -> None:
    """The server process: the console until `stop` is set."""
    with served_rush(Path(folder), places) as (public_port, _):
        port.put(public_port)
        stop.wait()


def main() -> None:
    print(
        f"Booking rush: {ATTEMPTS} citizens post at once for {PLACES} places (one slot), "
        f"{ATTEMPTS // 2} NIKs twice each, each from its own loopback address, over HTTP "
        "to the public listener in a process of its own"
    )
    with tempfile.TemporaryDirectory() as folder:
        context = multiprocessing.get_context("spawn")
        ports: multiprocessing.Queue[int] = context.Queue()
        stop = context.Event()
        server = context.Process(target=_serve, args=(folder, PLACES, ports, stop))
        server.start()
        try:
            port = ports.get(timeout=60)
            began = time.perf_counter()
            attempts = rush(port, ATTEMPTS, ATTEMPTS // 2)
            wall = time.perf_counter() - began
        finally:
            stop.set()
            server.join(timeout=30)
        found = kept(Path(folder) / "antre.sqlite3", PLACES)
    statuses = Counter(a.status for a in attempts)
    booked = sum(1 for a in attempts if a.code is not None)
    seconds = [a.seconds for a in attempts]
    print(
        f"  bookings made:            {found.bookings} (places {PLACES}; answered booked {booked})"
    )
    print(f"  over capacity:            {found.over_capacity}")
    print(f"  NIKs with two bookings:   {found.niks_with_two}")
    print(
        "  answers by status:        " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
    )
    p50, p99 = percentile_ms(seconds, 0.5), percentile_ms(seconds, 0.99)
    print(f"  answer time p50 / p99:    {p50:.0f} ms / {p99:.0f} ms (ratio {p99 / p50:.1f})")
    print(f"  whole rush (wall clock):  {wall:.1f} s, including opening the forms")
    verdict = found.bookings == PLACES and not found.over_capacity and not found.niks_with_two
    print(f"  exactly {PLACES}, none over, no NIK twice: {'yes' if verdict else 'NO'}")


if __name__ == "__main__":
    main()
