"""Pytest plugin: one real PostgreSQL server per session, a fresh database per test.

    def test_something(pg_database: str) -> None:
        with psycopg.connect(pg_database) as connection: ...

The server is Debian's (initdb and pg_ctl under /usr/lib/postgresql/<version>/bin), in a
temporary folder, on a free port, with its unix socket in that folder. As root (CI) it
runs as the `postgres` user, which PostgreSQL insists on. Creating a database is cheap,
so each test gets its own and tests never see each other's rows.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import psycopg
import pytest

from tests.broker_fixtures import LOCALHOST, free_port

PG_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "antre_test"
START_TIMEOUT_S = 30


def pg_bin_dir() -> Path:
    """The newest installed PostgreSQL's bin folder."""
    versions = sorted(
        (p for p in PG_ROOT.glob("*/bin") if (p / "pg_ctl").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not versions:
        raise RuntimeError("PostgreSQL is not installed: scripts/ensure-system-packages.sh")
    return versions[-1]


class PostgresServer:
    """A PostgreSQL cluster in a folder of its own, started and stopped with pg_ctl."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self.data = folder / "data"
        self.socket_dir = folder / "socket"
        self.bin = pg_bin_dir()
        self._as_postgres = os.getuid() == 0
        self._numbers = itertools.count(1)

    def _run(self, command: Sequence[str]) -> None:
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{command} failed: {result.stdout}{result.stderr}")

    def init(self) -> None:
        self.socket_dir.mkdir(parents=True)
        if self._as_postgres:
            record = pwd.getpwnam("postgres")
            for path in (self.folder, self.socket_dir):
                os.chown(path, record.pw_uid, record.pw_gid)
        self._run(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        )

    def pg_ctl(self, action: str) -> None:
        """`start`, `stop` or `restart`, waiting until done."""
        # fsync off: a test server needs no durability across a power cut, only speed.
        options = (
            f"-p {self.port} -k {self.socket_dir} -h {LOCALHOST} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        command = [str(self.bin / "pg_ctl"), "-D", str(self.data), "-w"]
        command += ["-t", str(START_TIMEOUT_S), "-m", "fast"]
        if action != "stop":
            command += ["-o", options, "-l", str(self.folder / "postgres.log")]
        self._run([*command, action])

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@{LOCALHOST}:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; its connection URL."""
        name = f"test_{os.getpid()}_{next(self._numbers)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


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
