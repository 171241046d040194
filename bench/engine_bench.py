"""Queue engine and store throughput as the waiting queue grows.

For queues of 100, 10,000 and 100,000 waiting tickets it measures, in one run:
- engine operations per second (decide and apply, in memory): issue and call-next,
  taken in turn so the queue keeps its length;
- durable operations per second through the store (SQLite WAL, synchronous=FULL):
  each one committed to disk before it returns;
- the time to rebuild the engine from the file, as after a restart.
The last lines compare call-next at the largest queue against the smallest: the
waiting line is a heap, so that ratio should stay near 1.
"""

import datetime as dt
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from broker.engine.engine import QueueEngine
from broker.queue_service import QueueService
from broker.store.sqlite_store import SqliteStore
from contract.site import Site
from contract.site_loader import parse_site

SIZES = (100, 10_000, 100_000)
ENGINE_OPS = 5_000
DURABLE_OPS = 300
WITA = ZoneInfo("Asia/Makassar")
START = dt.datetime(2026, 11, 30, 0, 1, tzinfo=WITA)

# One service open all day with no quota, so the queue can be as long as we like;
# two counters share it, as at a busy agency.
BENCH_SITE = """
[site]
id = "bench"
name = "Benchmark"
timezone = "Asia/Makassar"
[[agencies]]
id = "a"
name = "Agency"
[[schedules]]
id = "all-day"
mon = ["00:00-23:59"]
[[services]]
prefix = "A"
name = "Service"
agency = "a"
schedule = "all-day"
cutoff_minutes = 0
[[counters]]
number = 1
services = ["A"]
[[counters]]
number = 2
services = ["A"]
"""


def _moment(i: int) -> dt.datetime:
    """Distinct, rising moments within the one open day."""
    return START + dt.timedelta(microseconds=i * 100)


def _filled_engine(site: Site, waiting: int) -> QueueEngine:
    engine = QueueEngine(site, START.date())
    for i in range(waiting):
        engine.apply(engine.issue("A", _moment(i), priority=i % 5 == 0).events)
    return engine


def _paired_rates(
    count: int, issue: Callable[[int], object], call: Callable[[int], object]
) -> tuple[float, float]:
    """Issues and calls in turn, timing each apart: the queue keeps its length."""
    issuing = calling = 0.0
    for i in range(count):
        started = time.perf_counter()
        issue(i)
        issued = time.perf_counter()
        call(i)
        issuing += issued - started
        calling += time.perf_counter() - issued
    return count / issuing, count / calling


def _engine_rates(site: Site, waiting: int) -> tuple[float, float]:
    engine = _filled_engine(site, waiting)
    offset = waiting

    def issue(i: int) -> None:
        engine.apply(engine.issue("A", _moment(offset + 2 * i)).events)

    def call(i: int) -> None:
        engine.apply(engine.call_next(1 + i % 2, _moment(offset + 2 * i + 1)).events)

    return _paired_rates(ENGINE_OPS, issue, call)


def _durable_rates(site: Site, waiting: int, folder: Path) -> tuple[float, float, float]:
    path = folder / f"bench-{waiting}.sqlite3"
    store = SqliteStore(path)
    store.set_day(START.date())
    filler = QueueEngine(site, START.date())
    events = []
    for i in range(waiting):
        decision = filler.issue("A", _moment(i))
        filler.apply(decision.events)
        events.extend(decision.events)
    store.save(events)
    store.close()

    started = time.perf_counter()
    store = SqliteStore(path)
    service = QueueService(site, store, lambda: START)
    rebuild = time.perf_counter() - started
    offset = waiting

    def issue(i: int) -> None:
        service.run(lambda e, now: e.issue("A", now), _moment(offset + 2 * i))

    def call(i: int) -> None:
        service.run(lambda e, now: e.call_next(1 + i % 2, now), _moment(offset + 2 * i + 1))

    issue_rate, call_rate = _paired_rates(DURABLE_OPS, issue, call)
    store.close()
    return issue_rate, call_rate, rebuild


def main() -> None:
    site = parse_site(BENCH_SITE, source="bench site")
    print("Queue engine and store (one service, two counters; ops per second)")
    header = (
        f"{'waiting':>9} {'issue':>10} {'call-next':>10} "
        f"{'durable issue':>14} {'durable call':>13} {'rebuild s':>10}"
    )
    print(header)
    calls = {}
    with tempfile.TemporaryDirectory() as folder:
        for size in SIZES:
            issue, call = _engine_rates(site, size)
            d_issue, d_call, rebuild = _durable_rates(site, size, Path(folder))
            calls[size] = call
            print(
                f"{size:>9,} {issue:>10,.0f} {call:>10,.0f} "
                f"{d_issue:>14,.0f} {d_call:>13,.0f} {rebuild:>10.2f}"
            )
    small, large = SIZES[0], SIZES[-1]
    print(
        f"call-next at {large:,} waiting runs at {calls[large] / calls[small]:.2f}x "
        f"its speed at {small:,} waiting (1.00 = no slowdown)"
    )


if __name__ == "__main__":
    main()
