"""The central's stream to the hub (migration 0009), on a SQLite connection of its own.

Queue events and survey rows join the stream by the database's triggers, in the writer's
own transaction; settings and device states are appended here, their body kept whole.
Reading never holds the queue's lock: SQLite's WAL lets it read beside the writers.
"""

import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import msgspec

from broker.hub_link import bodies
from broker.store.connection import open_connection
from broker.store.migrations import migrate
from contract.errors import AntreError
from contract.hub_stream import DeviceStates, Record, RecordBody, SiteSettings

SETTINGS = "settings"
DEVICES = "devices"


class StreamError(AntreError):
    """The stream cannot be read or written (the file, or a record that cannot be built)."""


class HubStream:
    """Reads records by sequence; appends settings and device states."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            # As the queue's store: a record once numbered survives a power cut.
            self._db = open_connection(self.path)
            migrate(self._db)
        except sqlite3.Error as e:
            raise StreamError(f"{self.path}: cannot open the database ({e})") from e

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def last_seq(self) -> int:
        """The highest sequence number given (0: none yet)."""
        row = self._query("SELECT max(seq) FROM hub_stream", ())
        return int(row[0][0] or 0)

    def append(self, body: SiteSettings | DeviceStates) -> int:
        """Numbers and keeps a settings or device-state record; returns its sequence."""
        source = SETTINGS if isinstance(body, SiteSettings) else DEVICES
        with self._lock:
            try:
                cursor = self._db.execute(
                    "INSERT INTO hub_stream (source, body) VALUES (?, ?)",
                    (source, msgspec.json.encode(body).decode()),
                )
            except sqlite3.Error as e:
                raise StreamError(f"{self.path}: the {source} record was not saved ({e})") from e
        return int(cursor.lastrowid or 0)

    def last_settings(self) -> SiteSettings | None:
        found = self._last(SETTINGS, SiteSettings)
        return found if isinstance(found, SiteSettings) else None

    def last_devices(self) -> DeviceStates | None:
        found = self._last(DEVICES, DeviceStates)
        return found if isinstance(found, DeviceStates) else None

    def records(self, after: int, up_to: int) -> list[Record]:
        """The records with `after` < seq <= `up_to`, in order."""
        rows = self._query(
            "SELECT seq, source, row_id, body FROM hub_stream WHERE seq > ? AND seq <= ? "
            "ORDER BY seq",
            (after, up_to),
        )
        by_source: dict[str, list[int]] = {}
        for _, source, row_id, _ in rows:
            if row_id is not None:
                by_source.setdefault(source, []).append(row_id)
        events = self._rows("events", "id", bodies.EVENT_COLUMNS, by_source.get("event", []))
        presses = self._rows(
            "survey_presses", "id", bodies.PRESS_COLUMNS, by_source.get("survey_press", [])
        )
        responses = self._rows(
            "survey_responses",
            "rowid",
            bodies.RESPONSE_COLUMNS,
            by_source.get("survey_response", []),
        )
        found: dict[str, tuple[dict[int, Sequence[Any]], Callable[[Sequence[Any]], RecordBody]]]
        found = {
            "event": (events, bodies.queue_event),
            "survey_press": (presses, bodies.survey_press),
            "survey_response": (responses, bodies.survey_response),
        }
        records = []
        for seq, source, row_id, body in rows:
            try:
                if body is not None:
                    kept = msgspec.json.decode(body, type=SiteSettings | DeviceStates)
                    records.append(Record(seq=seq, body=kept))
                    continue
                table, build = found[source]
                records.append(Record(seq=seq, body=build(table[row_id])))
            except (KeyError, ValueError, TypeError, msgspec.ValidationError) as e:
                # Never skipped: the hub acknowledges no further than a gap.
                raise StreamError(
                    f"{self.path}: record {seq} ({source} {row_id}) cannot be built: {e!r}"
                ) from e
        return records

    def _last(self, source: str, kind: type[Any]) -> Any:
        rows = self._query(
            "SELECT body FROM hub_stream WHERE source = ? ORDER BY seq DESC LIMIT 1", (source,)
        )
        if not rows:
            return None
        try:
            return msgspec.json.decode(rows[0][0], type=kind)
        except msgspec.DecodeError:
            return None  # unreadable: recorded again, which is harmless

    def _rows(self, table: str, key: str, columns: str, ids: list[int]) -> dict[int, Sequence[Any]]:
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        rows = self._query(f"SELECT {columns} FROM {table} WHERE {key} IN ({marks})", tuple(ids))
        return {row[0]: row for row in rows}

    def _query(self, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as e:
                raise StreamError(f"{self.path}: cannot read the stream ({e})") from e
