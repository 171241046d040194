"""The kiosk's durable memory: requests not yet done, and its reserved numbers.

paho keeps unsent messages in memory only. A request is written here, and synced
to disk, before it is published; it leaves only when its answer has been acted on
(the ticket printed, or the refusal shown). So a power cut between the press and
the printout loses nothing and, since the request keeps its id, prints no second
number: the central answers a repeated id with the same ticket.
"""

import datetime as dt
import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import msgspec

from contract.errors import AntreError
from contract.messages import TicketInfo, encode

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id       TEXT PRIMARY KEY,
    kind     TEXT NOT NULL,
    service  TEXT NOT NULL,
    payload  BLOB NOT NULL,
    state    TEXT NOT NULL,
    answer   BLOB,
    created  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reserved (
    ticket_id TEXT PRIMARY KEY,
    day       TEXT NOT NULL,
    service   TEXT NOT NULL,
    info      BLOB NOT NULL,
    used_at   TEXT
);
"""


class OutboxError(AntreError):
    """The kiosk's state file cannot be used."""


class RequestState(StrEnum):
    # Written, maybe published, no answer yet: publish again until answered.
    PENDING = "pending"
    # A ticket came back and is to be printed (again, after a crash).
    ANSWERED = "answered"
    # Given up waiting: a ticket that still comes back for it was never printed
    # and is cancelled at the central.
    ABANDONED = "abandoned"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class Pending:
    id: str
    kind: str
    service: str
    payload: bytes
    state: RequestState
    answer: bytes | None


class Outbox:
    """Requests and reserved numbers in one SQLite file, every change synced."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.executescript(SCHEMA)
        except sqlite3.Error as e:
            raise OutboxError(f"{self.path}: cannot open the kiosk's state file ({e})") from e

    def close(self) -> None:
        self._db.close()

    # -- requests ----------------------------------------------------------------------

    def add(self, request_id: str, kind: str, service: str, payload: bytes) -> None:
        self._write(
            "INSERT INTO requests (id, kind, service, payload, state, created) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (request_id, kind, service, payload, RequestState.PENDING.value, _now()),
        )

    def set_state(self, request_id: str, state: RequestState, answer: bytes | None = None) -> None:
        if answer is None:
            self._write("UPDATE requests SET state = ? WHERE id = ?", (state.value, request_id))
        else:
            self._write(
                "UPDATE requests SET state = ?, answer = ? WHERE id = ?",
                (state.value, answer, request_id),
            )

    def get(self, request_id: str) -> Pending | None:
        row = self._db.execute(
            "SELECT id, kind, service, payload, state, answer FROM requests WHERE id = ?",
            (request_id,),
        ).fetchone()
        return _pending(row) if row else None

    def unfinished(self) -> list[Pending]:
        """Requests not done, oldest first: what to publish again or act on after a restart."""
        rows = self._db.execute(
            "SELECT id, kind, service, payload, state, answer FROM requests "
            "WHERE state != ? ORDER BY created, rowid",
            (RequestState.DONE.value,),
        )
        return [_pending(row) for row in rows]

    def count(self, *states: RequestState, kind: str | None = None) -> int:
        marks = ", ".join("?" for _ in states)
        sql = f"SELECT COUNT(*) FROM requests WHERE state IN ({marks})"
        params: list[str] = [state.value for state in states]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        count: int = self._db.execute(sql, params).fetchone()[0]
        return count

    def forget_done(self, before: dt.datetime) -> None:
        """Drops finished requests older than `before`: the file stays small."""
        self._write(
            "DELETE FROM requests WHERE state = ? AND created < ?",
            (RequestState.DONE.value, before.astimezone(dt.UTC).isoformat()),
        )

    # -- reserved numbers ------------------------------------------------------------------

    def add_reserved(self, day: dt.date, tickets: list[TicketInfo]) -> None:
        with self._transaction():
            for ticket in tickets:
                self._db.execute(
                    "INSERT OR IGNORE INTO reserved (ticket_id, day, service, info) "
                    "VALUES (?, ?, ?, ?)",
                    (ticket.id, day.isoformat(), ticket.service, encode(ticket)),
                )

    def reserved_left(self, day: dt.date, service: str) -> int:
        count: int = self._db.execute(
            "SELECT COUNT(*) FROM reserved WHERE day = ? AND service = ? AND used_at IS NULL",
            (day.isoformat(), service),
        ).fetchone()[0]
        return count

    def highest_reserved(self, day: dt.date) -> list[str]:
        """Per service, the id of the highest number reserved for the day, used or not."""
        highest: dict[str, str] = {}
        for service, ticket_id in self._db.execute(
            "SELECT service, ticket_id FROM reserved WHERE day = ?", (day.isoformat(),)
        ):
            # Same day and prefix: a longer number is a higher one (A999, A1000).
            known = highest.get(service)
            if known is None or (len(ticket_id), ticket_id) > (len(known), known):
                highest[service] = ticket_id
        return sorted(highest.values())

    def take_reserved(self, day: dt.date, service: str, at: dt.datetime) -> TicketInfo | None:
        """The lowest unused reserved number of the service, marked used (synced)."""
        with self._transaction():
            row = self._db.execute(
                "SELECT ticket_id, info FROM reserved "
                "WHERE day = ? AND service = ? AND used_at IS NULL ORDER BY ticket_id LIMIT 1",
                (day.isoformat(), service),
            ).fetchone()
            if row is None:
                return None
            self._db.execute(
                "UPDATE reserved SET used_at = ? WHERE ticket_id = ?", (at.isoformat(), row[0])
            )
        # Stored by this kiosk itself, not a message off the wire: no envelope to check.
        return msgspec.json.decode(row[1], type=TicketInfo)

    def drop_reserved_before(self, day: dt.date) -> None:
        """Numbers reserved on a past day are void (the central marks them unused)."""
        self._write("DELETE FROM reserved WHERE day < ?", (day.isoformat(),))

    # -- plumbing --------------------------------------------------------------------------

    def _write(self, sql: str, params: tuple[object, ...]) -> None:
        with self._transaction():
            self._db.execute(sql, params)

    def _transaction(self) -> "_Transaction":
        return _Transaction(self._db, self.path)


class _Transaction:
    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self._path = path

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if error is None:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as e:
                self._db.execute("ROLLBACK")
                raise OutboxError(f"{self._path}: cannot save ({e})") from e
        elif self._db.in_transaction:
            self._db.execute("ROLLBACK")


def _pending(row: tuple[Any, ...]) -> Pending:
    request_id, kind, service, payload, state, answer = row
    return Pending(request_id, kind, service, payload, RequestState(state), answer)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()
