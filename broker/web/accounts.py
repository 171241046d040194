"""Staff accounts: who may log in, with which role, at which counters.

Passwords are hashed with scrypt (Werkzeug's default); API tokens are random and
only their SHA-256 is stored. The accounts live in the central's SQLite file.

A user's sessions share an epoch: a session cookie is good only while it names the
current one, so logging out, a password change or a reset ends every session of that
user, on every browser, copied cookies included.
"""

import datetime as dt
import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from broker.store.connection import open_connection
from broker.store.migrations import migrate
from broker.web.audit import AuditLog
from contract.errors import AntreError

MIN_PASSWORD_LENGTH = 10


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    CLERK = "clerk"


class AccountError(AntreError, ValueError):
    """An account that cannot be made or changed as asked."""


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    name: str
    role: Role
    counters: tuple[int, ...]
    disabled: bool
    # Sessions made under an older epoch are over (see the module).
    session_epoch: int = 0

    def holds_session(self, epoch: object) -> bool:
        """A session made under `epoch` still stands: not after a logout, a password
        change or a reset (a newer epoch), nor while the account is disabled."""
        return not self.disabled and epoch == self.session_epoch

    def may_use_counter(self, number: int) -> bool:
        """Managers and admins may work any counter; a clerk only theirs."""
        return self.role is not Role.CLERK or number in self.counters

    @property
    def manages(self) -> bool:
        return self.role in (Role.ADMIN, Role.MANAGER)


@dataclass(frozen=True, slots=True)
class ApiToken:
    """An API token as the staff page lists it."""

    number: int
    username: str
    label: str
    created: str
    last_used: str | None
    revoked: str | None


class Accounts:
    """Users and API tokens, in the central's database file."""

    def __init__(self, path: str | Path) -> None:
        self._db = open_connection(Path(path))
        migrate(self._db)
        self._lock = threading.Lock()
        self.audit = AuditLog(self._db, self._lock)
        # A real hash to compare against when the user does not exist, so a login
        # takes as long for an unknown name as for a wrong password.
        self._decoy = generate_password_hash(secrets.token_hex(8))
        self._watchers: list[Callable[[], None]] = []

    def close(self) -> None:
        self._db.close()

    def watch(self, watcher: Callable[[], None]) -> None:
        """Calls `watcher` after every change of an account that may end its sessions
        or narrow them (an edit, a password, a logout): the open consoles look again."""
        self._watchers.append(watcher)

    def _changed(self) -> None:
        for watcher in self._watchers:
            watcher()

    def create(
        self, username: str, name: str, role: Role, password: str, counters: tuple[int, ...] = ()
    ) -> User:
        username = username.strip().lower()
        if not username or not username.replace("-", "").replace(".", "").isalnum():
            raise AccountError(f"invalid username {username!r}: letters, digits, '.' and '-'")
        _check_password(password)
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO users (username, name, role, password_hash, counters, created) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        username,
                        name.strip() or username,
                        role.value,
                        generate_password_hash(password),
                        _counters(counters),
                        _now(),
                    ),
                )
            except sqlite3.IntegrityError as e:
                raise AccountError(f"the username {username!r} is taken") from e
        user = self.by_username(username)
        assert user is not None
        return user

    def authenticate(self, username: str, password: str) -> User | None:
        row = self._row("WHERE username = ?", (username.strip().lower(),))
        if row is None:
            check_password_hash(self._decoy, password)
            return None
        user, password_hash = _user(row), row[7]
        if user.disabled or not check_password_hash(password_hash, password):
            return None
        return user

    def get(self, user_id: int) -> User | None:
        row = self._row("WHERE id = ?", (user_id,))
        return _user(row) if row else None

    def session_user(self, user_id: object, epoch: object) -> User | None:
        """The user a session of `user_id` made under `epoch` stands for, while it stands
        (`User.holds_session`; None once the account is gone)."""
        user = self.get(user_id) if isinstance(user_id, int) else None
        return user if user is not None and user.holds_session(epoch) else None

    def by_username(self, username: str) -> User | None:
        row = self._row("WHERE username = ?", (username.strip().lower(),))
        return _user(row) if row else None

    def all(self) -> list[User]:
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM users ORDER BY role, username")
        return [_user(row) for row in rows]

    def by_id(self) -> dict[int, User]:
        """Every account by its id, in one read."""
        return {user.id: user for user in self.all()}

    def count(self) -> int:
        count: int = self._db.execute("SELECT COUNT(*) FROM users").fetchone()[0]
        return count

    def update(
        self, user_id: int, *, name: str, role: Role, counters: list[int], disabled: bool
    ) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE users SET name = ?, role = ?, counters = ?, disabled = ? WHERE id = ?",
                (
                    name.strip(),
                    role.value,
                    _counters(counters),
                    int(disabled),
                    user_id,
                ),
            )
        self._changed()

    def set_password(self, user_id: int, password: str) -> None:
        """A new password; every session of the user ends."""
        _check_password(password)
        with self._lock:
            self._db.execute(
                "UPDATE users SET password_hash = ?, session_epoch = session_epoch + 1 "
                "WHERE id = ?",
                (generate_password_hash(password), user_id),
            )
        self._changed()

    def end_sessions(self, user_id: int) -> None:
        """Every session of the user ends: they must log in again, on every browser."""
        with self._lock:
            self._db.execute(
                "UPDATE users SET session_epoch = session_epoch + 1 WHERE id = ?", (user_id,)
            )
        self._changed()

    def new_token(self, user: User, label: str) -> str:
        """A new API token for `user`: shown once, stored only as a hash."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._db.execute(
                "INSERT INTO api_tokens (token_hash, user_id, label, created) VALUES (?, ?, ?, ?)",
                (_digest(token), user.id, label, _now()),
            )
        return token

    def user_for_token(self, token: str) -> User | None:
        digest = _digest(token)
        row = self._db.execute(
            "SELECT user_id, last_used FROM api_tokens WHERE token_hash = ? AND revoked IS NULL",
            (digest,),
        ).fetchone()
        user = self.get(row[0]) if row else None
        if user is None or user.disabled:
            return None
        used = _now()[:16]  # to the minute: one write a minute, not one per call
        if row[1] != used:
            with self._lock:
                self._db.execute(
                    "UPDATE api_tokens SET last_used = ? WHERE token_hash = ?", (used, digest)
                )
        return user

    def tokens(self) -> list[ApiToken]:
        """Every API token, newest first, by its number (never the secret)."""
        rows = self._db.execute(
            "SELECT t.rowid, u.username, t.label, t.created, t.last_used, t.revoked "
            "FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.rowid DESC"
        )
        return [ApiToken(*row) for row in rows]

    def revoke_token(self, number: int) -> ApiToken | None:
        """Stops token `number` working from now on; the token, or None if there is none."""
        with self._lock:
            self._db.execute(
                "UPDATE api_tokens SET revoked = ? WHERE rowid = ? AND revoked IS NULL",
                (_now(), number),
            )
        return next((token for token in self.tokens() if token.number == number), None)

    def _row(self, where: str, params: tuple[object, ...]) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self._db.execute(
            f"SELECT {_COLUMNS}, password_hash FROM users {where}", params
        ).fetchone()
        return row


_COLUMNS = "id, username, name, role, counters, disabled, session_epoch"


def _user(row: tuple[Any, ...]) -> User:
    user_id, username, name, role, counters, disabled, epoch = row[:7]
    return User(
        user_id, username, name, Role(role), tuple(json.loads(counters)), bool(disabled), epoch
    )


def _counters(counters: list[int] | tuple[int, ...]) -> str:
    return json.dumps(sorted(set(counters)))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
