"""The public pages' copy of the queue (`broker.web.follow`), read from the central's file.

The central's queue writes as it does in production; the follower opens the same file
over its own connections, as the public pages' process does.
"""

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from msgspec.structs import replace

from broker.engine.engine import QueueEngine
from broker.queue_service import QueueService
from broker.site_overrides import SETTING, dump_overrides, overrides_between
from broker.store.sqlite_store import SqliteStore
from broker.web.follow import Poller, QueueFollower
from contract.clock import SimulatedClock
from contract.site import Site
from tests.conftest import MONDAY, at

TUESDAY = MONDAY + dt.timedelta(days=1)


@pytest.fixture
def central_queue(example_site: Site, tmp_path: Path) -> Iterator[QueueService]:
    store = SqliteStore(tmp_path / "antre.sqlite3")
    yield QueueService(example_site, store, SimulatedClock(at(9)))
    store.close()


@pytest.fixture
def follower(
    example_site: Site, tmp_path: Path, central_queue: QueueService
) -> Iterator[QueueFollower]:
    followed = QueueFollower(example_site, tmp_path / "antre.sqlite3", SimulatedClock(at(9)))
    yield followed
    followed.close()


def test_the_follower_takes_in_only_what_the_central_saved_since(
    central_queue: QueueService, follower: QueueFollower
) -> None:
    before = follower.queue
    assert follower.catch_up() is False
    # WHEN the central issues tickets, a counter calls and finishes one
    for _ in range(4):
        central_queue.run(lambda engine, now: engine.issue("A", now))
    central_queue.run(lambda engine, now: engine.call_next(1, now))
    central_queue.run(lambda engine, now: engine.finish(1, now))
    central_queue.run(lambda engine, now: engine.call_next(1, now))
    # THEN the follower's queue is the central's: tickets, counters, places and estimates
    assert follower.catch_up() is True
    assert follower.catch_up() is False
    assert follower.queue is before  # taken in, not built again
    assert _seen(follower.queue) == _seen(central_queue)
    assert len(_seen(follower.queue)[0]) == 4


def test_a_new_day_builds_the_followers_queue_again(
    central_queue: QueueService, follower: QueueFollower
) -> None:
    central_queue.run(lambda engine, now: engine.issue("A", now))
    before = follower.queue
    # WHEN the central's next operation falls on Tuesday
    central_queue.run(lambda engine, now: engine.issue("A", now), at(9, day=TUESDAY))
    assert follower.catch_up() is True
    assert follower.queue is not before
    assert follower.queue.engine.day == TUESDAY
    assert _seen(follower.queue) == _seen(central_queue)


def _seen(queue: QueueService) -> tuple[dict[str, object], list[object], dict[str, object]]:
    """What the pages show of a queue: tickets, counters, places with their estimates."""

    def read(engine: QueueEngine) -> tuple[dict[str, object], list[object], dict[str, object]]:
        tickets: dict[str, object] = {
            t.id: (t.state, t.counter, t.called_at, t.closed_at) for t in engine.tickets()
        }
        counters: list[object] = [engine.counter(c.number) for c in engine.site.counters]
        positions: dict[str, object] = dict(engine.waiting_now().positions())
        return tickets, counters, positions

    return queue.read(read)


def test_a_managers_live_edit_reaches_the_follower(
    example_site: Site, central_queue: QueueService, follower: QueueFollower
) -> None:
    a = example_site.services_by_prefix["A"]
    edited = replace(
        example_site, services=[replace(a, name="Paspor Baru"), *example_site.services[1:]]
    )
    central_queue.set_setting(SETTING, dump_overrides(overrides_between(example_site, edited)))
    assert follower.catch_up() is True
    assert follower.site.services_by_prefix["A"].name == "Paspor Baru"
    assert follower.queue.engine.site.services_by_prefix["A"].name == "Paspor Baru"


def test_the_poller_keeps_catching_up_after_a_failure() -> None:
    calls: list[int] = []

    def catch_up() -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("the file is locked")
        return True

    poller = Poller(catch_up, interval=0.01)
    poller.start()
    try:
        deadline = time.monotonic() + 5
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        poller.stop()
    assert len(calls) >= 3


def test_two_processes_given_the_same_start_keep_the_same_simulated_time() -> None:
    first = SimulatedClock(at(9), 60.0)
    time.sleep(0.05)
    # (the public pages' process is given the central's start, speed and monotonic origin)
    second = SimulatedClock(first.start, first.speed, started=first.started)
    late = SimulatedClock(first.start, first.speed)
    # (read in this order so that no pause of a busy machine between reads can fail it)
    c, a_before, b, a_after = late(), first(), second(), first()
    assert a_before <= b <= a_after
    assert (a_before - c).total_seconds() >= 2.9  # 50 ms behind at 60x: what `started` prevents
