"""Opening the hub's PostgreSQL connection, with the schema brought up to date."""

from __future__ import annotations

import psycopg

from hub.store.migrations import migrate

Connection = psycopg.Connection[tuple[object, ...]]
# A dead server is noticed in seconds, not after the kernel's TCP timeout.
CONNECT_TIMEOUT_S = 5


def connect(url: str) -> Connection:
    """A connection to the hub's database, migrated; raises psycopg.OperationalError."""
    # Autocommit: every write is inside an explicit `transaction()`, which then is a real
    # transaction (committed at its end), never a savepoint of some forgotten one.
    connection = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
    try:
        migrate(connection)
    except BaseException:
        connection.close()
        raise
    return connection
