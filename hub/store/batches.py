"""Stores a site's record batch in one transaction: records once, roll-ups, the ack.

The site's row is locked first, so two hub processes given batches of one site take
turns, while different sites go in parallel. A record already held (same site and seq)
changes nothing; a new one is written with everything it adds to the roll-ups, in the
same transaction, and the acknowledged sequence then moves over every seq now held
without a gap.
"""

from __future__ import annotations

import datetime as dt

import msgspec
import psycopg
from psycopg.types.json import Jsonb

from contract.health import DeviceState
from contract.hub_stream import (
    DeviceStates,
    QueueEvent,
    Record,
    RecordBatch,
    SiteSettings,
    SurveyPressRecord,
    SurveyResponseRecord,
)
from hub import rules
from hub.store.partitions import Partitions, month_of

Connection = psycopg.Connection[tuple[object, ...]]


def check_batch(batch: RecordBatch) -> None:
    """Every time in the batch parses, or RecordRefused (before anything is written)."""
    for record in batch.records:
        body = record.body
        if isinstance(body, QueueEvent):
            rules.event_effect(body)
            for name in ("issued_at", "called_at"):
                value = getattr(body, name)
                if value is not None:
                    rules.parse_time(value, name)
        else:
            rules.parse_time(body.at, "at")
        day = getattr(body, "day", None)
        if day is not None:
            rules.parse_day(day)


class BatchWriter:
    """Writes batches into PostgreSQL; holds nothing but a cache of known partitions."""

    def __init__(self) -> None:
        self.partitions = Partitions()

    def store(self, connection: Connection, batch: RecordBatch, now: dt.datetime) -> int:
        """Stores the batch in one transaction; returns the site's acknowledged seq."""
        check_batch(batch)
        committed = False
        try:
            with connection.transaction():
                acked = self._store(connection, batch, now)
            committed = True
            return acked
        finally:
            self.partitions.settle(committed)

    def _store(self, connection: Connection, batch: RecordBatch, now: dt.datetime) -> int:
        site = batch.site
        connection.execute(
            "INSERT INTO sites (id, last_seen) VALUES (%s, %s) ON CONFLICT (id) DO NOTHING",
            (site, now),
        )
        row = connection.execute(
            "SELECT acked_up_to FROM sites WHERE id = %s FOR UPDATE", (site,)
        ).fetchone()
        assert row is not None
        acked = int(row[0])  # type: ignore[call-overload]
        new = self._insert_records(connection, site, batch.records, now)
        # Pipelined: the roll-up statements go out together, not one round trip each.
        with connection.pipeline():
            for record in batch.records:
                if record.seq in new:
                    new.discard(record.seq)  # a seq twice in one batch counts once
                    self._apply(connection, site, record)
        acked = self._advance(connection, site, acked)
        connection.execute(
            "UPDATE sites SET acked_up_to = %s, last_seen = %s WHERE id = %s", (acked, now, site)
        )
        return acked

    @staticmethod
    def _insert_records(
        connection: Connection, site: str, records: list[Record], now: dt.datetime
    ) -> set[int]:
        """Inserts the batch's records in one statement; the seqs that were new."""
        rows = connection.execute(
            "INSERT INTO records (site, seq, type, body, received_at)"
            " SELECT %s, seq, type, body, %s"
            " FROM unnest(%s::bigint[], %s::text[], %s::jsonb[]) AS r(seq, type, body)"
            " ON CONFLICT (site, seq) DO NOTHING RETURNING seq",
            (
                site,
                now,
                [record.seq for record in records],
                [type(record.body).__name__ for record in records],
                [Jsonb(msgspec.to_builtins(record.body)) for record in records],
            ),
        ).fetchall()
        return {int(row[0]) for row in rows}  # type: ignore[call-overload]

    @staticmethod
    def _advance(connection: Connection, site: str, acked: int) -> int:
        """The highest seq held with none missing from `acked` + 1 up to it."""
        # Seqs in an unbroken run after `acked` have seq - row_number() == acked.
        row = connection.execute(
            "SELECT max(seq) FROM (SELECT seq, seq - row_number() OVER (ORDER BY seq) AS run"
            " FROM records WHERE site = %s AND seq > %s) AS held WHERE run = %s",
            (site, acked, acked),
        ).fetchone()
        return int(row[0]) if row is not None and row[0] is not None else acked  # type: ignore[call-overload]

    def _apply(self, connection: Connection, site: str, record: Record) -> None:
        body = record.body
        if isinstance(body, QueueEvent):
            self._queue_event(connection, site, record.seq, body)
        elif isinstance(body, SurveyResponseRecord):
            _survey_response(connection, site, record.seq, body)
        elif isinstance(body, SurveyPressRecord):
            _survey_press(connection, site, record.seq, body)
        elif isinstance(body, SiteSettings):
            _settings(connection, site, record.seq, body)
        else:
            _devices(connection, site, record.seq, body)

    def _queue_event(self, connection: Connection, site: str, seq: int, event: QueueEvent) -> None:
        at = rules.parse_time(event.at, "at")
        self.partitions.ensure(connection, month_of(at))
        connection.execute(
            "INSERT INTO queue_events (site, seq, at, day, kind, actor, ticket_id, number,"
            " service, state, counter, detail, priority, issued_at, called_at, slot)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                site, seq, at, event.day, event.kind, event.actor, event.ticket_id,
                event.number, event.service, event.state, event.counter, event.detail,
                event.priority, event.issued_at, event.called_at, event.slot,
            ),
        )  # fmt: skip
        if event.service is not None:
            _roll_up_event(connection, site, event)
        if event.ticket_id is not None and event.service is not None and event.state:
            _move_ticket(connection, site, seq, event)
        opens = rules.counter_opens(event.kind)
        if event.counter is not None and opens is not None:
            connection.execute(
                "INSERT INTO counter_now (site, day, counter, open, seq)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (site, day, counter) DO UPDATE"
                " SET open = EXCLUDED.open, seq = EXCLUDED.seq"
                " WHERE counter_now.seq < EXCLUDED.seq",
                (site, event.day, event.counter, opens, seq),
            )


def _roll_up_event(connection: Connection, site: str, event: QueueEvent) -> None:
    effect = rules.event_effect(event)
    waited = effect.wait_seconds
    connection.execute(
        "INSERT INTO service_hours AS h (site, day, service, hour, issued, called, served,"
        " no_shows, wait_seconds, waits) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (site, day, service, hour) DO UPDATE SET"
        " issued = h.issued + EXCLUDED.issued, called = h.called + EXCLUDED.called,"
        " served = h.served + EXCLUDED.served, no_shows = h.no_shows + EXCLUDED.no_shows,"
        " wait_seconds = h.wait_seconds + EXCLUDED.wait_seconds, waits = h.waits + EXCLUDED.waits",
        (
            site, event.day, event.service, effect.hour, effect.issued, effect.called,
            effect.served, effect.no_shows, waited or 0, int(waited is not None),
        ),
    )  # fmt: skip
    if waited is not None:
        connection.execute(
            "INSERT INTO wait_minutes AS w (site, day, service, minute, count)"
            " VALUES (%s, %s, %s, %s, 1) ON CONFLICT (site, day, service, minute)"
            " DO UPDATE SET count = w.count + 1",
            (site, event.day, event.service, rules.wait_minute(waited)),
        )


def _move_ticket(connection: Connection, site: str, seq: int, event: QueueEvent) -> None:
    """Follows the ticket's latest state (by seq: a late older event changes nothing)."""
    assert event.ticket_id is not None
    assert event.service is not None
    assert event.state
    row = connection.execute(
        "SELECT state, seq FROM ticket_now WHERE site = %s AND day = %s AND ticket_id = %s",
        (site, event.day, event.ticket_id),
    ).fetchone()
    if row is not None and int(row[1]) > seq:  # type: ignore[call-overload]
        return
    old_state = str(row[0]) if row is not None else None
    connection.execute(
        "INSERT INTO ticket_now (site, day, ticket_id, service, state, seq)"
        " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (site, day, ticket_id) DO UPDATE"
        " SET service = EXCLUDED.service, state = EXCLUDED.state, seq = EXCLUDED.seq",
        (site, event.day, event.ticket_id, event.service, event.state, seq),
    )
    change = rules.waiting_change(old_state, event.state)
    if change:
        connection.execute(
            "INSERT INTO waiting_now AS w (site, day, service, waiting) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (site, day, service) DO UPDATE SET waiting = w.waiting + %s",
            (site, event.day, event.service, change, change),
        )


def _survey_response(
    connection: Connection, site: str, seq: int, response: SurveyResponseRecord
) -> None:
    connection.execute(
        "INSERT INTO survey_responses (site, seq, at, day, ticket_id, service, agency, counter,"
        " ratings) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            site, seq, response.at, response.day, response.ticket_id, response.service,
            response.agency, response.counter, response.ratings,
        ),
    )  # fmt: skip
    connection.execute(
        "INSERT INTO ikm_days AS k (site, day, agency, service, respondents, sums)"
        " VALUES (%s, %s, %s, %s, 1, %s) ON CONFLICT (site, day, agency, service) DO UPDATE"
        " SET respondents = k.respondents + 1,"
        " sums = ARRAY(SELECT a + b FROM unnest(k.sums, EXCLUDED.sums) AS t(a, b))",
        (site, response.day, response.agency, response.service, response.ratings),
    )


def _survey_press(connection: Connection, site: str, seq: int, press: SurveyPressRecord) -> None:
    connection.execute(
        "INSERT INTO survey_presses (site, seq, at, day, unit, rating, mark, ticket_id, counter,"
        " service, agency) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            site, seq, press.at, press.day, press.unit, press.rating, press.mark,
            press.ticket_id, press.counter, press.service, press.agency,
        ),
    )  # fmt: skip


def _settings(connection: Connection, site: str, seq: int, settings: SiteSettings) -> None:
    connection.execute(
        "UPDATE sites SET name = %s, timezone = %s, settings = %s, settings_seq = %s"
        " WHERE id = %s AND settings_seq < %s",
        (
            settings.name, settings.timezone, Jsonb(msgspec.to_builtins(settings)), seq,
            site, seq,
        ),
    )  # fmt: skip


def _devices(connection: Connection, site: str, seq: int, states: DeviceStates) -> None:
    lost = sum(1 for state in states.devices.values() if state == DeviceState.LOST)
    connection.execute(
        "INSERT INTO device_states (site, seq, at, devices, lost) VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (site) DO UPDATE SET seq = EXCLUDED.seq, at = EXCLUDED.at,"
        " devices = EXCLUDED.devices, lost = EXCLUDED.lost WHERE device_states.seq < EXCLUDED.seq",
        (site, seq, states.at, Jsonb(states.devices), lost),
    )
