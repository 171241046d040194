"""The hub on PostgreSQL: ingest rate, a site's catch-up, the region page over history.

1. Ingest: 50 simulated sites, each sending batches of 50 queue events (issue, call,
   finish of its tickets) in turn, stored by `BatchWriter` (one transaction a batch, the
   roll-ups with it) on one connection, then on two at once (two hub processes).
2. Catch-up: one site back after a day offline sends a busy day (1,000 tickets: 3,000
   events) in batches of `MAX_BATCH`.
3. The region page: a history of 250 sites x 365 days of roll-up rows (generated with
   `generate_series`, as the ingest would have left them), then the page (Flask's test
   client: queries and rendering, no network) asked 200 times; the same after the history
   doubles to two years. The page reads today's roll-ups only: the ratio stays near 1.0.

PostgreSQL runs durable (fsync on), in a temporary folder. Prints figures, asserts none.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from contract.hub_stream import MAX_BATCH, QueueEvent, Record, RecordBatch
from hub.pg_runner import LOCALHOST, PostgresServer
from hub.store.batches import BatchWriter
from hub.store.connect import connect
from hub.web import create_app
from hub.web.accounts import Role, create_account

NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)
DAY = "2026-12-07"
PASSWORD = "bench-password-123"
SERVICES = ("A", "B", "C")
HOURS = range(8, 16)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOCALHOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _event(seq: int, ticket: int, kind: str, service: str) -> Record:
    minute = ticket % 50
    at = f"{DAY}T{8 + ticket % 8:02d}:{minute:02d}:00+08:00"
    state = {"issued": "waiting", "called": "called", "finished": "finished"}[kind]
    body = QueueEvent(
        kind=kind, at=at, day=DAY, actor="bench", ticket_id=f"{service}{ticket:04d}",
        number=f"{service}{ticket:04d}", service=service, state=state,
        counter=None if kind == "issued" else 1 + ticket % 6,
        issued_at=f"{DAY}T{8 + ticket % 8:02d}:00:00+08:00",
        called_at=None if kind == "issued" else at,
    )  # fmt: skip
    return Record(seq=seq, body=body)


def site_events(tickets: int) -> list[Record]:
    """A site's day: each ticket issued, called and finished, seq from 1."""
    records: list[Record] = []
    for ticket in range(tickets):
        service = SERVICES[ticket % len(SERVICES)]
        for kind in ("issued", "called", "finished"):
            records.append(_event(len(records) + 1, ticket, kind, service))
    return records


def batches(site: str, records: list[Record], size: int) -> list[RecordBatch]:
    return [
        RecordBatch(site=site, records=records[i : i + size]) for i in range(0, len(records), size)
    ]


def ingest_rate(url: str, sites: int, writers: int, tickets: int) -> float:
    """Records per second stored by `writers` connections, sites' batches interleaved."""
    work = [batches(f"site-{n:03d}", site_events(tickets), 50) for n in range(sites)]
    interleaved = [b for turn in zip(*work, strict=True) for b in turn]
    total = sum(len(b.records) for b in interleaved)

    def write(share: list[RecordBatch]) -> None:
        writer = BatchWriter()
        with connect(url) as connection:
            for batch in share:
                writer.store(connection, batch, NOW)

    # Each writer takes whole sites, as the broker hands batches of a site in turn.
    shares: list[list[RecordBatch]] = [[] for _ in range(writers)]
    for batch in interleaved:
        shares[int(batch.site.split("-")[1]) % writers].append(batch)
    threads = [threading.Thread(target=write, args=(share,)) for share in shares]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return total / (time.perf_counter() - start)


def catch_up_seconds(url: str, tickets: int) -> tuple[int, float]:
    records = site_events(tickets)
    writer = BatchWriter()
    with connect(url) as connection:
        start = time.perf_counter()
        for batch in batches("back-online", records, MAX_BATCH):
            writer.store(connection, batch, NOW)
        return len(records), time.perf_counter() - start


def generate_history(url: str, sites: int, first: dt.date, days: int) -> int:
    """Roll-up rows for `sites` over `days` from `first`, as the ingest keeps them."""
    with connect(url) as connection:
        connection.execute(
            "INSERT INTO sites (id, name, timezone, last_seen)"
            " SELECT 'site-' || lpad(n::text, 3, '0'), 'MPP ' || n, 'Asia/Makassar', %s"
            " FROM generate_series(1, %s::int) AS n ON CONFLICT DO NOTHING",
            (NOW, sites),
        )
        span = (first, first + dt.timedelta(days=days - 1))
        connection.execute(
            "INSERT INTO service_hours (site, day, service, hour, issued, called, served,"
            " no_shows, wait_seconds, waits)"
            " SELECT 'site-' || lpad(n::text, 3, '0'), d::date, s, h, 20, 19, 18, 1, 19 * 600, 19"
            " FROM generate_series(1, %s::int) AS n,"
            "  generate_series(%s::date, %s::date, interval '1 day') AS d,"
            "  unnest(%s::text[]) AS s, generate_series(%s::int, %s::int) AS h",
            (sites, *span, list(SERVICES), HOURS.start, HOURS.stop - 1),
        )
        connection.execute(
            "INSERT INTO wait_minutes (site, day, service, minute, count)"
            " SELECT 'site-' || lpad(n::text, 3, '0'), d::date, s, m, 5"
            " FROM generate_series(1, %s::int) AS n,"
            "  generate_series(%s::date, %s::date, interval '1 day') AS d,"
            "  unnest(%s::text[]) AS s, generate_series(1, 30) AS m",
            (sites, *span, list(SERVICES)),
        )
        # Settled, as a hub's tables are between bursts: the timing then measures the page,
        # not autovacuum and the checkpoint catching up with millions of fresh rows.
        connection.execute("VACUUM ANALYZE")
        connection.execute("CHECKPOINT")
        row = connection.execute("SELECT count(*) FROM service_hours").fetchone()
    assert row is not None
    count: int = row[0]  # type: ignore[assignment]
    return count


def region_page_times(url: str, requests: int) -> list[float]:
    app = create_app(url, {"SECRET_KEY": "bench", "NOW": NOW})
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as session:
        token = session["csrf"]
    reply = client.post(
        "/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token}
    )
    assert reply.status_code == 302
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        reply = client.get("/region")
        times.append(time.perf_counter() - start)
        assert reply.status_code == 200
    return times


def p99(times: list[float]) -> float:
    return statistics.quantiles(times, n=100)[98]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.hub_bench")
    parser.add_argument("--sites", type=int, default=250, help="sites in the history")
    parser.add_argument("--days", type=int, default=365, help="days of history")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="antre-hub-bench-"))
    server = PostgresServer(folder, _free_port(), durable=True)
    try:
        server.init()
        server.pg_ctl("start")
        print("Hub on PostgreSQL (durable: fsync on)")
        for writers in (1, 2):
            rate = ingest_rate(server.create_database(), sites=50, writers=writers, tickets=40)
            print(f"  ingest, 50 sites, {writers} writer(s): {rate:,.0f} records/s")
        count, seconds = catch_up_seconds(server.create_database(), tickets=1000)
        print(f"  catch-up after a day offline: {count:,} records in {seconds:.2f} s")
        url = server.create_database()
        with connect(url) as connection:
            create_account(connection, "bench", "Bench", Role.REGION, PASSWORD, None)
        today = NOW.date()
        rows = generate_history(url, args.sites, today - dt.timedelta(args.days - 1), args.days)
        one = region_page_times(url, 200)
        print(
            f"  region page, {args.sites} sites x {args.days} days ({rows:,} hourly rows):"
            f" median {statistics.median(one) * 1000:.1f} ms, p99 {p99(one) * 1000:.1f} ms"
        )
        earlier = today - dt.timedelta(2 * args.days - 1)
        rows = generate_history(url, args.sites, earlier, args.days)
        two = region_page_times(url, 200)
        print(
            f"  region page, history doubled ({rows:,} hourly rows):"
            f" median {statistics.median(two) * 1000:.1f} ms, p99 {p99(two) * 1000:.1f} ms,"
            f" ratio: median {statistics.median(two) / statistics.median(one):.2f},"
            f" p99 {p99(two) / p99(one):.2f}"
        )
    finally:
        try:
            if (server.data / "postmaster.pid").exists():
                server.pg_ctl("stop")
        finally:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
