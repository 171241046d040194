"""Pytest plugin: one real PostgreSQL server per session, a fresh database per test.

    def test_something(pg_database: str) -> None:
        with psycopg.connect(pg_database) as connection: ...

The server is `hub.pg_runner.PostgresServer` (Debian's PostgreSQL in a temporary folder,
on a free port, as the `postgres` user when the tests run as root). Creating a database
is cheap, so each test gets its own and tests never see each other's rows.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.pg_runner import PostgresServer as PostgresServer
from tests.broker_fixtures import free_port


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    folder = Path(tempfile.mkdtemp(prefix="antre-pg-"))
    server = PostgresServer(folder, free_port())
    try:
        server.init()
        server.pg_ctl("start")
        yield server
    finally:
        try:
            if (server.data / "postmaster.pid").exists():
                server.pg_ctl("stop")
        finally:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_database(pg_server: PostgresServer) -> str:
    """The URL of a database made for this test alone."""
    return pg_server.create_database()
