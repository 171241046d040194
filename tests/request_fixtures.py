"""Pytest plugin: the central's request handler on a real SQLite file, and helpers
that hand it payloads as MQTT would (no network)."""

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from broker.engine.engine import Decision
from broker.queue_service import QueueService
from broker.requests import RequestHandler
from broker.store.sqlite_store import SqliteStore
from broker.views import call_events
from contract.messages import Answer, CallEvent
from contract.site import Site
from tests.conftest import at


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(at(9))


@pytest.fixture
def handler(tmp_path: Path, example_site: Site, clock: Clock) -> Iterator[RequestHandler]:
    store = SqliteStore(tmp_path / "antre.sqlite3")
    yield RequestHandler(QueueService(example_site, store, clock))
    store.close()


@pytest.fixture
def changes(handler: RequestHandler) -> list[Decision]:
    """Every change the queue service reports to its listeners (the central publishes them)."""
    seen: list[Decision] = []
    handler.service.subscribe(seen.append)
    return seen


def calls_in(handler: RequestHandler, changes: list[Decision]) -> list[CallEvent]:
    return [call for d in changes for call in call_events(handler.site, d.events)]


def payload(**fields: object) -> bytes:
    return json.dumps({"v": 1, **fields}).encode()


def issue(handler: RequestHandler, request_id: str, service: str = "A", **more: object) -> Answer:
    reply = handler.kiosk("kiosk-1", payload(type="issue", id=request_id, service=service, **more))
    assert reply.answer is not None
    return reply.answer


def command(handler: RequestHandler, counter: int, request_id: str, **fields: object) -> Answer:
    reply = handler.counter(str(counter), payload(id=request_id, **fields))
    assert reply.answer is not None
    return reply.answer
