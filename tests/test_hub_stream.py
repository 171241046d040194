"""The central's stream to the hub (migrations 0009, 0010): a gapless sequence, in commit
order, each queue event with its ticket's times and slot as they stood after it."""

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from broker.engine.check_ins import BookedVisit
from broker.hub_link import bodies
from broker.hub_link.stream import HubStream
from broker.queue_service import QueueService
from broker.store.migrations import migrate
from broker.store.sqlite_store import SqliteStore
from broker.survey import SurveyService, SurveyStore, TicketFacts, respond
from contract.hub_stream import (
    DeviceStates,
    QueueEvent,
    Record,
    SiteSettings,
    SurveyPressRecord,
    SurveyResponseRecord,
)
from contract.site import Site
from hub.rules import event_effect
from tests.conftest import at
from tests.request_fixtures import Clock


@dataclass
class Central:
    """The central's writers on one SQLite file: the queue, the survey, the hub's stream."""

    site: Site
    store: SqliteStore
    queue: QueueService
    survey: SurveyService
    stream: HubStream

    def serve(self, counter: int, moment: dt.datetime) -> str:
        """A citizen takes an A ticket, `counter` calls and finishes it: its id."""
        issued = self.queue.run(lambda e, now: e.issue("A", now), moment)
        ticket = issued.events[0].ticket
        assert ticket is not None
        self.queue.run(lambda e, now: e.call_next(counter, now), moment)
        self.queue.run(lambda e, now: e.finish(counter, now), moment + dt.timedelta(minutes=3))
        return ticket.id

    def close(self) -> None:
        self.stream.close()
        self.survey.store.close()
        self.store.close()


def open_central(site: Site, db: Path) -> Central:
    store = SqliteStore(db)
    queue = QueueService(site, store, Clock(at(8)))
    return Central(site, store, queue, SurveyService(queue, SurveyStore(db)), HubStream(db))


@pytest.fixture
def central(example_site: Site, tmp_path: Path) -> Iterator[Central]:
    central = open_central(example_site, tmp_path / "antre.sqlite3")
    yield central
    central.close()


def everything(stream: HubStream) -> list[Record]:
    return stream.records(0, stream.last_seq())


def test_every_fact_gets_the_next_number_in_the_order_it_was_written(central: Central) -> None:
    # GIVEN a morning: a ticket served and rated by button and by form, a device change,
    # the settings recorded
    ticket_id = central.serve(1, at(9))
    unit = central.site.survey_units[0]
    central.survey.record(unit, "press-1", 4, at(9, 4))
    facts = central.queue.read(lambda e: TicketFacts.of(e.ticket(ticket_id)))
    respond(central.survey.store, central.site, facts, [4, 3, 4, 4, 3, 4, 4, 4, 2], at(9, 6))
    central.stream.append(bodies.device_states({"kiosk-1": "lost"}, at(9, 7).isoformat()))
    central.stream.append(bodies.site_settings(central.site, at(9, 8).isoformat()))
    # WHEN the stream is read from the start
    records = everything(central.stream)
    # THEN every fact is there once, numbered 1..n with no gap, in the order written
    assert [r.seq for r in records] == list(range(1, 8))
    kinds = [type(r.body).__name__ for r in records]
    assert kinds == ["QueueEvent"] * 3 + [
        "SurveyPressRecord",
        "SurveyResponseRecord",
        "DeviceStates",
        "SiteSettings",
    ]
    issued, called, finished = (r.body for r in records[:3])
    assert isinstance(issued, QueueEvent)
    assert isinstance(finished, QueueEvent)
    assert (issued.kind, issued.ticket_id, issued.number) == ("issued", ticket_id, "A001")
    # AND a queue event carries the ticket's times as they stood after it
    assert issued.issued_at is not None
    assert issued.called_at is None
    assert isinstance(called, QueueEvent)
    assert called.called_at is not None
    assert finished.called_at == called.called_at
    assert finished.counter == 1
    press, response = records[3].body, records[4].body
    assert isinstance(press, SurveyPressRecord)
    assert press.mark == "counted"
    assert (press.ticket_id, press.rating, press.unit) == (ticket_id, 4, unit.id)
    assert isinstance(response, SurveyResponseRecord)
    assert response.ratings == [4, 3, 4, 4, 3, 4, 4, 4, 2]
    devices = records[5].body
    assert isinstance(devices, DeviceStates)
    assert devices.devices == {"kiosk-1": "lost"}
    settings = records[6].body
    assert isinstance(settings, SiteSettings)
    assert settings.name == central.site.site.name
    assert [c.number for c in settings.counters] == [c.number for c in central.site.counters]


def test_a_booked_tickets_events_carry_its_slot_and_a_walk_ins_none(central: Central) -> None:
    # GIVEN a walk-in at 09:02 and a passport booking for 09:15 checked in at 09:05
    central.queue.run(lambda e, now: e.issue("A", now), at(9, 2))
    visit = BookedVisit("A-7K3M9Q", "A", at(9).date(), dt.time(9, 15))
    central.queue.run(lambda e, now: e.check_in(visit, now, actor="kiosk-1"), at(9, 5))
    # WHEN counter 1 calls both, at 09:20 and 09:25
    central.queue.run(lambda e, now: e.call_next(1, now), at(9, 20))
    central.queue.run(lambda e, now: e.call_next(1, now), at(9, 25))
    # THEN the booked ticket's events carry its slot (a moment in UTC, like the other times)
    events = [r.body for r in everything(central.stream) if isinstance(r.body, QueueEvent)]
    slots = [(e.kind, e.number, e.slot) for e in events if e.kind in ("checked_in", "called")]
    assert slots == [
        ("checked_in", "A002", at(9, 15).astimezone(dt.UTC).isoformat()),
        ("called", "A001", None),
        ("called", "A002", at(9, 15).astimezone(dt.UTC).isoformat()),
    ]
    # AND the hub counts the booked citizen's wait from the slot: 10 minutes, not 20
    called = [e for e in events if e.kind == "called"]
    assert [event_effect(e).wait_seconds for e in called] == [18 * 60, 10 * 60]


def test_writers_on_three_threads_leave_no_gap_and_keep_each_ones_order(
    central: Central,
) -> None:
    # GIVEN the queue, the survey units and the device states written at once, each on
    # its own thread and connection, as in the running central
    unit = central.site.survey_units[0]

    def tickets() -> None:
        for minute in range(30):
            central.queue.run(lambda e, now: e.issue("B", now), at(9, minute))

    def presses() -> None:
        for n in range(30):
            central.survey.record(unit, f"press-{n}", 1 + n % 4, at(9, n))

    def devices() -> None:
        for n in range(30):
            states = {"kiosk-1": "online" if n % 2 else "lost"}
            central.stream.append(bodies.device_states(states, at(9, n).isoformat()))

    threads = [threading.Thread(target=f) for f in (tickets, presses, devices)]
    # WHEN they all run
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN every record is numbered, 1..n with no gap
    records = everything(central.stream)
    assert [r.seq for r in records] == list(range(1, 1 + 30 + 30 + 30))
    # AND each writer's records come in the order it wrote them
    numbers = [r.body.number for r in records if isinstance(r.body, QueueEvent)]
    assert numbers == [f"B{n:03d}" for n in range(1, 31)]
    ratings = [r.body.rating for r in records if isinstance(r.body, SurveyPressRecord)]
    assert ratings == [1 + n % 4 for n in range(30)]
    states = [r.body.devices["kiosk-1"] for r in records if isinstance(r.body, DeviceStates)]
    assert states == ["online" if n % 2 else "lost" for n in range(30)]


def test_a_write_rolled_back_leaves_no_gap(central: Central, tmp_path: Path) -> None:
    # GIVEN a counted press of a ticket, and the stream's end
    ticket_id = central.serve(1, at(9))
    unit = central.site.survey_units[0]
    record = central.survey.record(unit, "press-1", 4, at(9, 4))
    before = central.stream.last_seq()
    # WHEN a second counted press for it is refused by the schema (its transaction, and
    # the stream's row the trigger wrote, rolled back), and an event insert is undone
    with pytest.raises(sqlite3.IntegrityError):
        central.survey.store.add_press(replace(record, press_id="press-2"))
    other = sqlite3.connect(tmp_path / "antre.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute(
        "INSERT INTO events (at, day, kind, actor, detail) VALUES ('x', 'y', 'paused', 'z', '')"
    )
    other.execute("ROLLBACK")
    other.close()
    assert central.stream.last_seq() == before
    # THEN the next fact takes the very next number
    central.serve(2, at(9, 10))
    records = everything(central.stream)
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    assert len(records) == before + 3
    assert ticket_id not in {
        r.body.ticket_id for r in records[before:] if isinstance(r.body, QueueEvent)
    }


def test_a_database_from_before_the_stream_sends_its_history(
    example_site: Site, tmp_path: Path
) -> None:
    # GIVEN a file of the release before the stream (schema 7) with a day of history:
    # a priority ticket issued and called, and a press
    db = tmp_path / "antre.sqlite3"
    old = sqlite3.connect(db, isolation_level=None)
    migrate(old, up_to=7)
    issued, called = "2026-11-30T01:00:00+00:00", "2026-11-30T01:05:00+00:00"
    old.execute(
        "INSERT INTO tickets VALUES ('2026-11-30/A001', '2026-11-30', 'A001', 'A', 1, 'A', 1, "
        f"'called', '{issued}', 'kiosk-1', NULL, 1, '{called}', NULL, NULL, 0)"
    )
    for kind, moment, state in (("issued", issued, "waiting"), ("called", called, "called")):
        old.execute(
            "INSERT INTO events (at, day, kind, actor, ticket_id, number, service, state, "
            "counter, detail) VALUES (?, '2026-11-30', ?, 'kiosk-1', '2026-11-30/A001', "
            "'A001', 'A', ?, 1, '')",
            (moment, kind, state),
        )
    old.execute(
        "INSERT INTO survey_presses (unit, press_id, at, day, rating, mark) "
        "VALUES ('survey-1', 'p1', '2026-11-30T01:10:00+00:00', '2026-11-30', 3, 'no_ticket')"
    )
    old.close()
    # WHEN this release opens it
    central = open_central(example_site, db)
    try:
        records = everything(central.stream)
        # THEN its history is in the stream, first, in order, with the ticket's times
        assert [r.seq for r in records] == [1, 2, 3]
        first, second, press = (r.body for r in records)
        assert isinstance(first, QueueEvent)
        assert isinstance(second, QueueEvent)
        assert (first.kind, second.kind) == ("issued", "called")
        assert (first.priority, first.issued_at, second.called_at) == (True, issued, called)
        assert isinstance(press, SurveyPressRecord)
        assert press.rating == 3
        # AND what happens next follows it with no gap
        central.queue.run(lambda e, now: e.issue("B", now), at(9, 30))
        assert [r.seq for r in everything(central.stream)][:4] == [1, 2, 3, 4]
    finally:
        central.close()
