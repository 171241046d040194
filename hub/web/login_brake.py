"""A brake on password guessing, shared by every web process through PostgreSQL.

At most `per_name` failed logins per window for one name from one address, and
`per_address` for all names from one address (a bot trying many names).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg

Connection = psycopg.Connection[tuple[object, ...]]


@dataclass(frozen=True, slots=True)
class LoginBrake:
    per_name: int = 5
    per_address: int = 20
    window: dt.timedelta = dt.timedelta(minutes=5)

    def blocked(
        self, connection: Connection, address: str, username: str, now: dt.datetime
    ) -> bool:
        row = connection.execute(
            "SELECT count(*) FILTER (WHERE username = %s), count(*) FROM login_failures"
            " WHERE address = %s AND at > %s",
            (username.lower(), address, now - self.window),
        ).fetchone()
        assert row is not None
        by_name, by_address = (int(str(value)) for value in row)
        return by_name >= self.per_name or by_address >= self.per_address

    def failed(self, connection: Connection, address: str, username: str, now: dt.datetime) -> None:
        with connection.transaction():
            connection.execute("DELETE FROM login_failures WHERE at <= %s", (now - self.window,))
            connection.execute(
                "INSERT INTO login_failures (address, username, at) VALUES (%s, %s, %s)",
                (address, username.lower(), now),
            )

    def succeeded(self, connection: Connection, address: str, username: str) -> None:
        connection.execute(
            "DELETE FROM login_failures WHERE address = %s AND username = %s",
            (address, username.lower()),
        )
