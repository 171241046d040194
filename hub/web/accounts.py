"""The hub's web accounts in PostgreSQL: who may see which sites."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import psycopg
from werkzeug.security import check_password_hash, generate_password_hash

from hub.errors import HubError

Connection = psycopg.Connection[tuple[object, ...]]
MIN_PASSWORD = 12


class Role(StrEnum):
    # The region's administrator: every site.
    REGION = "region"
    # A site's head: their own site only.
    SITE_HEAD = "site_head"


class AccountError(HubError, ValueError):
    """An account that cannot be made as asked."""


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    name: str
    role: Role
    site: str | None
    session_epoch: int

    def may_see(self, site: str) -> bool:
        return self.role is Role.REGION or self.site == site


_COLUMNS = "id, username, name, role, site, session_epoch"


def _user(row: tuple[object, ...]) -> User:
    id_, username, name, role, site, epoch = row
    return User(
        int(id_),  # type: ignore[call-overload]
        str(username),
        str(name),
        Role(str(role)),
        None if site is None else str(site),
        int(epoch),  # type: ignore[call-overload]
    )


def create_account(
    connection: Connection, username: str, name: str, role: Role, password: str, site: str | None
) -> User:
    """Adds an account; AccountError if the name is taken or the input does not fit."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
    if (role is Role.SITE_HEAD) != (site is not None):
        raise AccountError("a site's head names their site; a region administrator none")
    try:
        with connection.transaction():
            row = connection.execute(
                f"INSERT INTO accounts (username, name, role, site, password_hash)"
                f" VALUES (%s, %s, %s, %s, %s) RETURNING {_COLUMNS}",
                (username, name, role.value, site, generate_password_hash(password)),
            ).fetchone()
    except psycopg.errors.UniqueViolation as e:
        raise AccountError(f"the username {username!r} is taken") from e
    assert row is not None
    return _user(row)


def authenticate(connection: Connection, username: str, password: str) -> User | None:
    row = connection.execute(
        f"SELECT {_COLUMNS}, password_hash FROM accounts WHERE username = %s", (username,)
    ).fetchone()
    if row is None or not check_password_hash(str(row[-1]), password):
        return None
    return _user(row[:-1])


def get_user(connection: Connection, user_id: int) -> User | None:
    row = connection.execute(
        f"SELECT {_COLUMNS} FROM accounts WHERE id = %s", (user_id,)
    ).fetchone()
    return None if row is None else _user(row)


def end_sessions(connection: Connection, user_id: int) -> None:
    connection.execute(
        "UPDATE accounts SET session_epoch = session_epoch + 1 WHERE id = %s", (user_id,)
    )
    connection.commit()
