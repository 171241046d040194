"""The staff audit log: logins, failed logins, logouts, passwords and API tokens.

Managers read it in the console (newest first). It lives in the central's SQLite file
and keeps `KEEP_DAYS` of entries: enough for a month's questions, never a full disk.
"""

import datetime as dt
import sqlite3
import threading
from dataclasses import dataclass
from enum import StrEnum

from contract.logs import escape_controls

KEEP_DAYS = 90
# What a name or a detail may add to one entry: a guessing bot cannot fill the disk.
FIELD_MAX = 120


class AuditEvent(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGIN_BLOCKED = "login_blocked"
    LOGOUT = "logout"
    PASSWORD_RESET = "password_reset"
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: dt.datetime
    event: AuditEvent
    username: str
    address: str
    detail: str


class AuditLog:
    """Appends and reads the audit log, on the accounts' connection (`Accounts.audit`)."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock) -> None:
        self._db = db
        self._lock = lock

    def record(self, event: AuditEvent, username: str, address: str, detail: str = "") -> None:
        now = dt.datetime.now(dt.UTC)
        with self._lock:
            self._db.execute(
                "INSERT INTO audit_log (at, event, username, address, detail) "
                "VALUES (?, ?, ?, ?, ?)",
                (now.isoformat(), event.value, _field(username), _field(address), _field(detail)),
            )
            self._db.execute(
                "DELETE FROM audit_log WHERE at < ?",
                ((now - dt.timedelta(days=KEEP_DAYS)).isoformat(),),
            )

    def newest(self, limit: int = 200) -> list[AuditEntry]:
        rows = self._db.execute(
            "SELECT at, event, username, address, detail FROM audit_log ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [
            AuditEntry(dt.datetime.fromisoformat(at), AuditEvent(event), username, address, detail)
            for at, event, username, address, detail in rows
        ]


def _field(text: str) -> str:
    return escape_controls(text)[:FIELD_MAX]
