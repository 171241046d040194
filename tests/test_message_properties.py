"""Whatever well-formed message an authorised device sends, on any topic it may write, the
central answers or logs it once and goes on: afterwards every service still issues its
next number and every counter still calls.

The central here is in this process on a real SQLite file, fed through the same dispatch
its worker runs (`Central._handle`), without Mosquitto: the MQTT edge has its own fuzz
test (test_faults.py). `SLOW_MESSAGES` per topic run in the slow variant.
"""

import itertools
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from broker.central import Central, _Inbound
from broker.engine.engine import QueueEngine
from broker.queue_service import QueueService
from broker.requests import RequestHandler
from broker.store.sqlite_store import SqliteStore
from contract.hours import service_day
from tests.broker_fixtures import Provisioned
from tests.conftest import at
from tests.message_strategies import encoded, writable
from tests.request_fixtures import Clock, payload

FAST_MESSAGES = 150
SLOW_MESSAGES = 10_000


@pytest.fixture
def central(provisioned: Provisioned, tmp_path: Path) -> Iterator[Central]:
    # The slow variant writes thousands of times: on tmpfs, where a sync costs nothing.
    folder = Path("/dev/shm") if Path("/dev/shm").is_dir() else tmp_path
    db = folder / f"antre-properties-{os.getpid()}-{tmp_path.name}.sqlite3"
    store = SqliteStore(db)
    clock = Clock(at(9, 30))
    service = QueueService(provisioned.site, store, clock)
    made = Central(provisioned.site, service, provisioned.credentials["central"], clock=clock)
    # As after its first connection: Mosquitto knew no number beyond the file's.
    service.resume_numbering({})
    yield made
    made.survey.store.close()
    store.close()
    for leftover in folder.glob(f"{db.name}*"):
        leftover.unlink()


def feed(central: Central, messages: int, caplog: pytest.LogCaptureFixture) -> None:
    """`messages` generated messages on each writable topic, each handled as the worker would."""
    for kind, (topic, strategy) in writable(central.topics).items():
        with caplog.at_level(logging.WARNING):
            fuzz(central, topic, strategy, messages)
        tracebacks = [r for r in caplog.records if r.exc_info]
        assert not tracebacks, f"{kind}: {tracebacks[0].getMessage()}"
        caplog.clear()


def fuzz(
    central: Central, topic: str, strategy: st.SearchStrategy[dict[str, Any]], messages: int
) -> None:
    numbers = itertools.count()

    @settings(
        max_examples=messages,
        deadline=None,
        database=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def handle(message: dict[str, Any]) -> None:
        # Hypothesis draws the same few ids again and again: most messages get an id of
        # their own, or nearly all would be refused as an id reused for another request.
        n = next(numbers)
        if n % 4 and "id" in message:
            message = {**message, "id": f"{n}:{message['id']}"[:64]}
        central._handle(_Inbound(topic, encoded(message), mid=0, qos=0))

    handle()


def still_serves(handler: RequestHandler) -> None:
    """Every ticket waits from a time of its own day; every service issues its next
    number, and every counter calls."""
    site = handler.site
    tickets = handler.service.read(lambda engine: engine.tickets())
    for ticket in tickets:
        assert service_day(site, ticket.issued_at) == ticket.day, ticket
    for number, spec in enumerate(site.services, start=1):
        reply = handler.kiosk(
            "kiosk-1", payload(type="issue", id=f"check-{number}", service=spec.prefix)
        )
        answer = reply.answer
        assert answer is not None, spec.prefix
        if not answer.ok:
            # Only the day's own limits may refuse: the fuzz may have used a quota up.
            assert answer.reason in {"quota_full", "not_yet_open", "closed_today", "closed"}, (
                spec.prefix,
                answer.reason,
            )
            continue
        assert answer.ticket is not None
        highest = handler.service.read(highest_seq(spec.prefix))
        assert answer.ticket.number == f"{spec.prefix}{highest:03d}"
    for counter in site.counters:
        for action in ("finish", "resume", "call_next"):
            command = payload(id=f"check-{counter.number}-{action}", action=action)
            called = handler.counter(str(counter.number), command).answer
        assert called is not None
        assert called.ok or called.reason == "queue_empty", (counter.number, called.reason)


def highest_seq(prefix: str) -> Callable[[QueueEngine], int]:
    return lambda engine: max(t.seq for t in engine.tickets() if t.prefix == prefix)


def test_extreme_messages_on_every_topic_leave_every_service_and_counter_working(
    central: Central, caplog: pytest.LogCaptureFixture
) -> None:
    feed(central, FAST_MESSAGES, caplog)
    still_serves(central.handler)


@pytest.mark.slow
def test_ten_thousand_extreme_messages_per_topic_leave_everything_working(
    central: Central, caplog: pytest.LogCaptureFixture
) -> None:
    feed(central, SLOW_MESSAGES, caplog)
    still_serves(central.handler)
