"""The SQLite store and the service that keeps it in step with the engine."""

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from broker.engine.engine import QueueEngine
from broker.engine.events import EventKind
from broker.engine.tickets import TicketState
from broker.queue_service import Operation, QueueService
from broker.store.migrations import SchemaError, migrations
from broker.store.sqlite_store import SqliteStore, StoreError
from contract.site import Site
from tests.conftest import MONDAY, at
from tests.request_fixtures import Clock

TUESDAY = MONDAY + dt.timedelta(days=1)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "antre.sqlite3"


@pytest.fixture
def open_service(db_path: Path, small_site: Site) -> Iterator[Callable[[Clock], QueueService]]:
    """Opens the service on the test's database file; closes every store at the end."""
    stores: list[SqliteStore] = []

    def open_(clock: Clock) -> QueueService:
        store = SqliteStore(db_path)
        stores.append(store)
        return QueueService(small_site, store, clock)

    yield open_
    for store in stores:
        store.close()


def snapshot(engine: QueueEngine) -> tuple[object, ...]:
    return (
        engine.day,
        sorted(engine.tickets(), key=lambda t: t.id),
        sorted(engine.counters(), key=lambda c: c.number),
    )


def issuing(prefix: str, priority: bool = False) -> Operation:
    return lambda engine, now: engine.issue(prefix, now, priority=priority)


def busy_morning(service: QueueService) -> None:
    """Issues, calls, skips, transfers, pauses: a bit of everything."""
    for minute, (prefix, priority) in enumerate([("A", False), ("B", True), ("A", True)]):
        service.run(issuing(prefix, priority), at(9, minute))
    service.run(lambda e, now: e.call_next(2, now, actor="clerk-siti"), at(9, 10))
    service.run(lambda e, now: e.recall(2, now), at(9, 11))
    service.run(lambda e, now: e.call_next(1, now), at(9, 12))
    service.run(lambda e, now: e.skip(1, now), at(9, 13))
    service.run(lambda e, now: e.transfer(2, "A", now), at(9, 14))
    service.run(lambda e, now: e.pause(2, now), at(9, 15))


def test_a_restart_rebuilds_exactly_the_acknowledged_state(
    open_service: Callable[[Clock], QueueService],
) -> None:
    # GIVEN a morning of operations, each saved before it was applied
    clock = Clock(at(9))
    before = open_service(clock)
    busy_morning(before)
    # WHEN the central restarts on the same file
    after = open_service(clock)
    # THEN the engine is the same, ticket for ticket and counter for counter
    assert snapshot(after.engine) == snapshot(before.engine)
    # AND numbering goes on where it stopped
    decision = after.run(lambda e, now: e.issue("A", now), at(9, 30))
    assert decision.ticket is not None
    assert decision.ticket.number == "A003"


def test_every_change_is_in_the_history_with_who_and_when(
    open_service: Callable[[Clock], QueueService], db_path: Path
) -> None:
    service = open_service(Clock(at(9)))
    busy_morning(service)
    store = SqliteStore(db_path)
    history = store.events(MONDAY)
    store.close()
    kinds = [record.kind for record in history]
    assert kinds == [
        EventKind.ISSUED,
        EventKind.ISSUED,
        EventKind.ISSUED,
        EventKind.CALLED,
        EventKind.RECALLED,
        EventKind.CALLED,
        EventKind.SKIPPED,
        EventKind.TRANSFERRED,
        EventKind.PAUSED,
    ]
    first_call = history[3]
    assert (first_call.actor, first_call.counter, first_call.number) == ("clerk-siti", 2, "B001")
    assert first_call.at == at(9, 10)
    assert history[7].detail == "B"  # transferred from B


def test_a_failed_write_changes_nothing(
    open_service: Callable[[Clock], QueueService], db_path: Path
) -> None:
    # GIVEN a service with one ticket, and a disk that then fills up
    service = open_service(Clock(at(9)))
    service.run(lambda e, now: e.issue("A", now), at(9))
    before = snapshot(service.engine)
    full = sqlite3.connect(db_path)
    pages = full.execute("PRAGMA page_count").fetchone()[0]
    full.close()
    service._store._db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's "disk full"
    # WHEN a burst of tickets is asked for
    failure = None
    for minute in range(1, 200):
        try:
            service.run(issuing("B"), at(9, minute % 60))
        except StoreError as e:
            failure = e
            break
    assert failure is not None
    assert "not saved" in str(failure)
    # THEN the engine matches what is on disk, and a restart agrees
    on_disk = open_service(Clock(at(10)))
    assert snapshot(on_disk.engine) == snapshot(service.engine)
    assert before[1] != snapshot(service.engine)[1]  # some tickets fitted before it filled
    # AND once space returns the next number follows the last saved one
    service._store._db.execute("PRAGMA max_page_count = 1073741823")
    saved_b = [t for t in service.engine.tickets() if t.prefix == "B"]
    decision = service.run(lambda e, now: e.issue("B", now), at(10))
    assert decision.ticket is not None
    assert decision.ticket.seq == len(saved_b) + 1


def test_the_day_rolls_over_on_disk(
    open_service: Callable[[Clock], QueueService], db_path: Path
) -> None:
    # GIVEN Monday ends with a waiting ticket and a paused counter
    service = open_service(Clock(at(9)))
    service.run(lambda e, now: e.issue("A", now), at(9))
    service.run(lambda e, now: e.pause(1, now), at(9, 1))
    # WHEN Tuesday morning the central rolls the day over and restarts
    service.run(lambda e, now: e.roll_over(now), at(7, day=TUESDAY))
    restarted = open_service(Clock(at(7, 1, day=TUESDAY)))
    # THEN it starts on Tuesday with nobody waiting and every counter open
    assert restarted.engine.day == TUESDAY
    assert restarted.engine.tickets() == []
    assert not restarted.engine.counter(1).paused
    # AND Monday's ticket is final on disk, with its reason in the history
    store = SqliteStore(db_path)
    (monday_ticket,) = store.tickets_of(MONDAY)
    assert monday_ticket.state is TicketState.EXPIRED
    assert store.events(MONDAY)[-1].kind is EventKind.EXPIRED
    assert store.events(TUESDAY)[-1].kind is EventKind.DAY_STARTED
    store.close()


def test_a_fresh_file_starts_on_the_clocks_day(
    open_service: Callable[[Clock], QueueService],
) -> None:
    service = open_service(Clock(at(6, day=TUESDAY)))
    assert service.engine.day == TUESDAY


def test_durability_settings(db_path: Path) -> None:
    store = SqliteStore(db_path)
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    store.close()


def test_a_file_of_an_older_release_opens_and_keeps_its_data(db_path: Path) -> None:
    # GIVEN a file written by the first release (schema 1) holding a ticket
    old = SqliteStore(db_path, migrate_up_to=1)
    assert old.schema_version == 1
    old.set_day(MONDAY)
    old._db.execute(
        "INSERT INTO tickets VALUES ('2026-11-30/A001', '2026-11-30', 'A001', 'A', 1, 'A', 0, "
        "'waiting', '2026-11-30T01:00:00+00:00', 'kiosk-1', NULL, NULL, NULL, NULL, NULL, 0)"
    )
    old.close()
    # WHEN this release opens it
    store = SqliteStore(db_path)
    # THEN it is brought to the newest schema and the ticket is still there
    assert store.schema_version == len(migrations()) > 1
    assert [t.number for t in store.tickets_of(MONDAY)] == ["A001"]
    indexes = {row[0] for row in store._db.execute("SELECT name FROM sqlite_master")}
    assert "tickets_by_day" in indexes
    store.close()


def test_a_file_of_a_newer_release_is_refused(db_path: Path) -> None:
    connection = sqlite3.connect(db_path)
    connection.execute("PRAGMA user_version = 999")
    connection.close()
    with pytest.raises(SchemaError, match="newer than this release"):
        SqliteStore(db_path)


def test_an_unreadable_file_gives_a_clear_error(tmp_path: Path) -> None:
    garbage = tmp_path / "not-a-database.sqlite3"
    garbage.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open the database"):
        SqliteStore(garbage)
