"""Runs a throwaway PostgreSQL cluster in a folder: for the hub's tests and benchmarks.

    server = PostgresServer(folder, port)
    server.init(); server.pg_ctl("start")
    url = server.create_database()
    server.pg_ctl("stop")

Debian's server (initdb and pg_ctl under /usr/lib/postgresql/<version>/bin), on a free
port, its unix socket in the folder. As root it runs as the `postgres` user, which
PostgreSQL insists on. A production hub uses the distribution's own cluster instead
(docs/hub.md).
"""

from __future__ import annotations

import itertools
import os
import pwd
import subprocess
from collections.abc import Sequence
from pathlib import Path

import psycopg

from hub.errors import HubError

LOCALHOST = "127.0.0.1"
PG_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "antre_test"
START_TIMEOUT_S = 30


class PostgresError(HubError, RuntimeError):
    """PostgreSQL is missing, or initdb or pg_ctl failed (their output says why)."""


def pg_bin_dir() -> Path:
    """The newest installed PostgreSQL's bin folder."""
    versions = sorted(
        (p for p in PG_ROOT.glob("*/bin") if (p / "pg_ctl").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not versions:
        raise PostgresError("PostgreSQL is not installed: scripts/ensure-system-packages.sh")
    return versions[-1]


class PostgresServer:
    """A PostgreSQL cluster in a folder of its own, started and stopped with pg_ctl."""

    def __init__(self, folder: Path, port: int, *, durable: bool = False) -> None:
        self.folder = folder
        # Tests need no durability across a power cut, only speed; a benchmark of the
        # ingest does (each commit waits for its WAL on disk, as in production).
        self.durable = durable
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
            raise PostgresError(f"{command} failed: {result.stdout}{result.stderr}")

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
        options = f"-p {self.port} -k {self.socket_dir} -h {LOCALHOST}"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
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
