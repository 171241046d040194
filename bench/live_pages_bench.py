"""Live pages vs the clerks: 2,000 open ticket pages and 50 staff consoles while 26 counters
call, against the real central (its web console on uvicorn) as a process of its own.

Prints call-next's p50 and p99 over the API with the hall open and without it (their
ratio), the events the pages received, and the resident memory of the central and of
its public pages' process (which holds the phones' pages) before the pages open, with
them open and after the calls. Goal: call-next p99 within 50 ms here.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import math
import multiprocessing
import random
import re
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from multiprocessing.synchronize import Event as ProcessEvent
from pathlib import Path
from typing import Any

from bench.mqtt_bench import EXAMPLE_SITE, serving_central
from broker.mosquitto_runner import LOCALHOST, MosquittoRunner, free_port
from broker.provision import provision
from broker.web.accounts import Accounts, Role
from contract.site import Site
from contract.site_loader import load_site
from simulation.central_process import public_pages_pid

TICKET_PAGES = 2000
STAFF_PAGES = 50
CALLS_PER_COUNTER = 10
GOAL_P99_MS = 50.0
PASSWORD = "bench-password-123"


@dataclass
class Run:
    latencies: list[float]

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)] * 1000


class _Api:
    """The console's REST API with a token, one keep-alive connection per caller."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(self, path: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
        connection = http.client.HTTPConnection(LOCALHOST, self.port, timeout=60)
        try:
            connection.request("POST", path, json.dumps(body), self.headers)
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _issue(api: _Api, site: Site, count: int) -> list[str]:
    """`count` tickets over services without a quota; the paths of their pages."""
    open_services = [s.prefix for s in site.services if s.daily_quota is None]
    paths = []
    for n in range(count):
        status, ticket = api.post(
            "/api/v1/tickets",
            {"id": f"bench-{n}", "service": open_services[n % len(open_services)]},
        )
        if status != 201:
            raise RuntimeError(f"could not issue ticket {n}: {status} {ticket}")
        url = str(ticket["url"])
        paths.append("/t/" + url.rsplit("/", 1)[1])
    return paths


def _session_cookie(port: int) -> str:
    """Logs the bench's admin in through the login form; its session cookie."""
    connection = http.client.HTTPConnection(LOCALHOST, port, timeout=30)
    try:
        connection.request("GET", "/login")
        form = connection.getresponse()
        page = form.read().decode()
        cookie = (form.getheader("Set-Cookie") or "").split(";", 1)[0]
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if found is None:
            raise RuntimeError("no CSRF token on the login page")
        body = urllib.parse.urlencode(
            {"username": "bench", "password": PASSWORD, "csrf_token": found[1]}
        )
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        connection.request("POST", "/login", body, headers)
        answer = connection.getresponse()
        answer.read()
        if answer.status != 302:
            raise RuntimeError(f"the bench could not log in: {answer.status}")
        return (answer.getheader("Set-Cookie") or "").split(";", 1)[0]
    finally:
        connection.close()


class _Hall:
    """Thousands of open pages, each an event stream, read in a process of its own: the
    readers' work must not slow the callers' own timing (one interpreter, one GIL)."""

    def __init__(self, port: int, paths: list[str], cookie: str) -> None:
        self._opened = multiprocessing.Event()
        self._stop = multiprocessing.Event()
        self._events = multiprocessing.Value("i", 0)
        self._process = multiprocessing.Process(
            target=_read_hall,
            args=(port, paths, cookie, self._opened, self._stop, self._events),
            daemon=True,
        )

    @property
    def events(self) -> int:
        return int(self._events.value)

    def open(self) -> None:
        self._process.start()
        if not self._opened.wait(300):
            raise RuntimeError("the pages did not open")

    def close(self) -> None:
        self._stop.set()
        self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.kill()


def _read_hall(
    port: int,
    paths: list[str],
    cookie: str,
    opened: ProcessEvent,
    stop: ProcessEvent,
    events: Any,
) -> None:
    async def read(reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                # (chunked transfer encoding: the size comes before each event)
                chunk = await reader.readuntil(b"\n\n")
                found = chunk.count(b"data: ")
                if found:
                    with events.get_lock():
                        events.value += found

    async def hall() -> None:
        writers, readers = [], []
        for path in paths:
            reader, writer = await asyncio.open_connection(LOCALHOST, port)
            writers.append(writer)
            header = f"Cookie: {cookie}\r\n" if cookie else ""
            writer.write(f"GET {path} HTTP/1.1\r\nHost: antre\r\n{header}\r\n".encode())
            first = await reader.readuntil(b"\n\n")
            if not first.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"{path}: {first[:80]!r}")
            readers.append(asyncio.ensure_future(read(reader)))
        opened.set()
        while not stop.is_set():
            await asyncio.sleep(0.2)
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        for writer in writers:
            writer.close()

    asyncio.run(hall())


def _calls(api: _Api, counters: list[int], rounds: int) -> Run:
    """Each counter calls `rounds` times, one call every 4-8 s (some 4 calls a second in
    all: fifty times a busy hall, where a clerk calls every few minutes), all counters at
    once; every call's latency."""
    latencies: list[float] = []
    lock = threading.Lock()
    pause = random.Random(7)

    def counter(number: int) -> None:
        # Clerks do not press at the same instant: each counter starts at a moment of its
        # own (26 calls fired at once would measure a burst, not a hall).
        time.sleep(pause.uniform(0.0, 8.0))
        for n in range(rounds):
            started = time.perf_counter()
            status, answer = api.post(
                f"/api/v1/counters/{number}/commands",
                {"id": f"call-{number}-{n}-{started}", "action": "call_next"},
            )
            took = time.perf_counter() - started
            if status != 200 and answer.get("reason") != "queue_empty":
                raise RuntimeError(f"counter {number}: {status} {answer}")
            with lock:
                latencies.append(took)
            time.sleep(pause.uniform(4.0, 8.0))

    threads = [threading.Thread(target=counter, args=(number,)) for number in counters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Run(latencies)


def main() -> None:
    site = load_site(EXAMPLE_SITE)
    counters = [c.number for c in site.counters]
    print(
        f"Live pages: {TICKET_PAGES} ticket pages and {STAFF_PAGES} staff consoles open while "
        f"{len(counters)} counters call ({CALLS_PER_COUNTER} calls each, every 4-8 s), "
        "call-next over the API"
    )
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as cleanup:
        work = Path(folder)
        port, web_port = free_port(), free_port()
        report = provision(site, work / "central", port=port, bind_address=LOCALHOST)
        broker = MosquittoRunner(report.conf, port)
        cleanup.callback(broker.stop)
        broker.start()
        accounts = Accounts(work / "antre.sqlite3")
        user = accounts.create("bench", "Bench", Role.ADMIN, PASSWORD)
        api = _Api(web_port, accounts.new_token(user, "bench"))
        accounts.close()
        public_port = free_port()
        web = (
            "--web-port",
            str(web_port),
            "--web-host",
            LOCALHOST,
            "--public-port",
            str(public_port),
        )
        central = serving_central(cleanup, report, work, web)
        paths = _issue(api, site, TICKET_PAGES + 3 * len(counters) * CALLS_PER_COUNTER)
        _calls(api, counters, 2)  # warm-up: the server's threads and connections made
        quiet = _calls(api, counters, CALLS_PER_COUNTER)
        public_pid = public_pages_pid(central.pid)
        if public_pid is None:
            raise RuntimeError("the central's public pages process is not running")
        rss_before = _rss_mb(central.pid), _rss_mb(public_pid)
        staff = [f"/counter/{counters[n % len(counters)]}/events" for n in range(STAFF_PAGES)]
        tickets = [f"{path}/events" for path in paths[:TICKET_PAGES]]
        # The phones on the public port (the guest Wi-Fi), the consoles on the staff one.
        hall = _Hall(public_port, tickets, "")
        cleanup.callback(hall.close)
        hall.open()
        consoles = _Hall(web_port, staff, _session_cookie(web_port))
        cleanup.callback(consoles.close)
        consoles.open()
        pages = tickets + staff
        rss_open = _rss_mb(central.pid), _rss_mb(public_pid)
        crowded = _calls(api, counters, CALLS_PER_COUNTER)
        time.sleep(2.0)  # the last events on their way
        rss_after = _rss_mb(central.pid), _rss_mb(public_pid)
    print(f"{'':<34} {'p50':>8} {'p99':>8}")
    quiet_p50, quiet_p99 = quiet.percentile(0.5), quiet.percentile(0.99)
    print(f"{'call-next, no page open (ms)':<34} {quiet_p50:>8.1f} {quiet_p99:>8.1f}")
    print(
        f"{f'call-next, {len(pages)} pages open (ms)':<34} "
        f"{crowded.percentile(0.5):>8.1f} {crowded.percentile(0.99):>8.1f}"
        f"   goal p99 <= {GOAL_P99_MS:.0f}"
    )
    print(
        f"{'ratio crowded / quiet':<34} {crowded.percentile(0.5) / quiet.percentile(0.5):>7.2f}x "
        f"{crowded.percentile(0.99) / quiet.percentile(0.99):>7.2f}x"
    )
    slow = sum(1 for took in crowded.latencies if took > GOAL_P99_MS / 1000)
    print(
        f"crowded p90 {crowded.percentile(0.9):.1f} ms, p95 {crowded.percentile(0.95):.1f} ms; "
        f"{slow} of {len(crowded.latencies)} calls over {GOAL_P99_MS:.0f} ms "
        f"(quiet: p90 {quiet.percentile(0.9):.1f}, p95 {quiet.percentile(0.95):.1f})"
    )
    print(
        f"events received by the open pages: {hall.events + consoles.events} "
        f"({consoles.events} by the staff consoles)"
    )
    for n, name in enumerate(("the central's", "its public pages'")):
        print(
            f"{name} memory (MB): {rss_before[n]:.0f} before the pages, {rss_open[n]:.0f} "
            f"with them open, {rss_after[n]:.0f} after the calls"
        )


if __name__ == "__main__":
    main()
