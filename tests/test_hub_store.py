"""The hub's store on a real PostgreSQL: each record once, the ack, the roll-ups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import psycopg
import pytest

from hub.store.batches import BatchWriter
from hub.store.connect import Connection, connect
from hub.store.migrations import migrate, migrations
from tests.hub_records import (
    batch,
    called,
    devices,
    finished,
    issued,
    numbered_events,
    response,
    settings,
)

NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def db(pg_database: str) -> Iterator[Connection]:
    connection = connect(pg_database)
    yield connection
    connection.close()


def scalar(connection: Connection, sql: str, *params: object) -> object:
    row = connection.execute(sql, params).fetchone()
    assert row is not None
    return row[0]


def test_migrating_twice_changes_nothing(db: Connection) -> None:
    # GIVEN a migrated database WHEN migrated again THEN its version stays the newest
    assert migrate(db) == len(migrations())
    assert scalar(db, "SELECT count(*) FROM schema_versions") == len(migrations())


def test_a_duplicate_batch_changes_nothing(db: Connection) -> None:
    # GIVEN a batch stored once
    writer = BatchWriter()
    sent = batch("smd", issued(1, "A001"), called(2, "A001", 12), finished(3, "A001"))
    assert writer.store(db, sent, NOW) == 3
    # WHEN the same batch arrives again
    assert writer.store(db, sent, NOW) == 3
    # THEN each record is held once and the roll-ups counted it once
    assert scalar(db, "SELECT count(*) FROM records WHERE site = 'smd'") == 3
    assert scalar(db, "SELECT count(*) FROM queue_events") == 3
    row = db.execute(
        "SELECT issued, called, served, waits, wait_seconds FROM service_hours"
        " WHERE site = 'smd' AND service = 'A' AND hour = 9"
    ).fetchone()
    assert row == (1, 1, 0, 1, 12 * 60)
    assert scalar(db, "SELECT sum(served) FROM service_hours") == 1
    assert scalar(db, "SELECT count FROM wait_minutes WHERE minute = 12") == 1


def test_a_gap_holds_the_ack_until_it_is_filled(db: Connection) -> None:
    writer = BatchWriter()
    # GIVEN seqs 1-3 and then 6-8 (4 and 5 lost on the way)
    assert writer.store(db, numbered_events("smd", 1, 3), NOW) == 3
    # WHEN 6-8 arrive THEN the ack stays at 3
    assert writer.store(db, numbered_events("smd", 6, 8), NOW) == 3
    # WHEN 4-5 arrive THEN the ack moves over everything held
    assert writer.store(db, numbered_events("smd", 4, 5), NOW) == 8
    assert scalar(db, "SELECT acked_up_to FROM sites WHERE id = 'smd'") == 8


def test_out_of_order_events_leave_the_ticket_in_its_latest_state(db: Connection) -> None:
    writer = BatchWriter()
    # GIVEN a ticket's call arrives before its issue
    assert writer.store(db, batch("smd", called(2, "A001", 5)), NOW) == 0
    assert writer.store(db, batch("smd", issued(1, "A001")), NOW) == 2
    # THEN it is not waiting, and both events counted
    assert scalar(db, "SELECT coalesce(sum(waiting), 0) FROM waiting_now") == 0
    assert scalar(db, "SELECT state FROM ticket_now WHERE ticket_id = 'A001'") == "called"
    assert scalar(db, "SELECT sum(issued) + sum(called) FROM service_hours") == 2


def test_waiting_now_follows_issues_and_calls(db: Connection) -> None:
    writer = BatchWriter()
    writer.store(
        db, batch("smd", issued(1, "A001"), issued(2, "A002"), issued(3, "B001", "B")), NOW
    )
    writer.store(db, batch("smd", called(4, "A001", 3)), NOW)
    rows = db.execute("SELECT service, waiting FROM waiting_now ORDER BY service").fetchall()
    assert rows == [("A", 1), ("B", 1)]
    assert scalar(db, "SELECT open FROM counter_now WHERE counter = 1") is True


def test_survey_responses_add_up_per_element(db: Connection) -> None:
    writer = BatchWriter()
    writer.store(
        db, batch("smd", response(1, [4] * 9), response(2, [3, 3, 3, 3, 3, 3, 3, 3, 2])), NOW
    )
    writer.store(db, batch("smd", response(2, [3, 3, 3, 3, 3, 3, 3, 3, 2])), NOW)
    row = db.execute("SELECT respondents, sums FROM ikm_days").fetchone()
    assert row == (2, [7, 7, 7, 7, 7, 7, 7, 7, 6])


def test_newer_settings_and_devices_win_and_late_older_ones_do_not(db: Connection) -> None:
    writer = BatchWriter()
    writer.store(db, batch("smd", settings(2, "MPP Samarinda"), devices(3, {"k1": "lost"})), NOW)
    writer.store(db, batch("smd", settings(1, "Lama"), devices(1, {"k1": "online"})), NOW)
    assert scalar(db, "SELECT name FROM sites WHERE id = 'smd'") == "MPP Samarinda"
    assert scalar(db, "SELECT timezone FROM sites WHERE id = 'smd'") == "Asia/Makassar"
    assert scalar(db, "SELECT lost FROM device_states WHERE site = 'smd'") == 1


def test_events_go_into_their_months_partition(db: Connection) -> None:
    BatchWriter().store(db, numbered_events("smd", 1, 2), NOW)
    assert scalar(db, "SELECT count(*) FROM queue_events_2026_12") == 2


def test_a_bad_time_refuses_the_whole_batch_and_writes_nothing(db: Connection) -> None:
    from hub.rules import RecordRefused

    good = issued(1, "A001")
    bad = issued(2, "A002")
    bad.body.at = "yesterday"
    with pytest.raises(RecordRefused, match="at"):
        BatchWriter().store(db, batch("smd", good, bad), NOW)
    assert scalar(db, "SELECT count(*) FROM records") == 0


def test_a_failed_transaction_forgets_the_partition_it_made(pg_database: str) -> None:
    # GIVEN a writer whose transaction fails after creating a partition
    writer = BatchWriter()
    with connect(pg_database) as first:
        first.execute("ALTER TABLE service_hours ADD CONSTRAINT few CHECK (issued < 1)")
        first.commit()
        with pytest.raises(psycopg.errors.CheckViolation):
            writer.store(first, numbered_events("smd", 1, 1), NOW)
        first.execute("ALTER TABLE service_hours DROP CONSTRAINT few")
        first.commit()
        # WHEN it stores again THEN it makes the partition again rather than trusting a cache
        assert writer.store(first, numbered_events("smd", 1, 1), NOW) == 1


def test_a_seq_sent_twice_in_one_batch_counts_once(db: Connection) -> None:
    # GIVEN a batch that holds seq 1 twice (a faulty sender)
    writer = BatchWriter()
    assert writer.store(db, batch("smd", issued(1, "A001"), issued(1, "A002")), NOW) == 1
    # THEN the first is kept, and counted once
    assert scalar(db, "SELECT body->>'ticket_id' FROM records WHERE seq = 1") == "A001"
    assert scalar(db, "SELECT sum(issued) FROM service_hours") == 1
