"""One PostgreSQL connection per request, closed at its end."""

from __future__ import annotations

import psycopg
from flask import Flask, current_app, g

Connection = psycopg.Connection[tuple[object, ...]]
CONNECT_TIMEOUT_S = 5


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close)


def db() -> Connection:
    """This request's connection (read-mostly: autocommit)."""
    connection: Connection | None = g.get("db")
    if connection is None:
        connection = psycopg.connect(
            current_app.config["DATABASE_URL"], autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
        )
        g.db = connection
    return connection


def _close(error: BaseException | None) -> None:
    connection: Connection | None = g.pop("db", None)
    if connection is not None:
        connection.close()
