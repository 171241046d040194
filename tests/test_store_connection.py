"""The one way the central's stores open its SQLite file and write to it."""

import sqlite3
from pathlib import Path

import pytest

from broker.store.connection import open_connection, write_transaction
from contract.errors import AntreError


class _Failed(AntreError):
    pass


def _rows(db: sqlite3.Connection) -> list[tuple[int]]:
    return db.execute("SELECT n FROM t ORDER BY n").fetchall()


def _insert(db: sqlite3.Connection, path: Path, *numbers: int) -> None:
    with write_transaction(db, path, _Failed):
        for n in numbers:
            db.execute("INSERT INTO t VALUES (?)", (n,))


def test_a_connection_is_in_wal_mode_and_syncs_every_commit(tmp_path: Path) -> None:
    # WHEN a store opens the file
    db = open_connection(tmp_path / "antre.db", busy_timeout_ms=1234)
    # THEN it is in WAL mode, FULL sync (2), and waits for other writers as asked
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.execute("PRAGMA synchronous").fetchone() == (2,)
    assert db.execute("PRAGMA busy_timeout").fetchone() == (1234,)
    db.close()


def test_a_write_is_kept_whole_or_not_at_all(tmp_path: Path) -> None:
    # GIVEN a table
    path = tmp_path / "antre.db"
    db = open_connection(path)
    db.execute("CREATE TABLE t (n INTEGER UNIQUE)")
    # WHEN one write ends and the next raises halfway
    _insert(db, path, 1)
    with pytest.raises(sqlite3.IntegrityError):
        _insert(db, path, 2, 1)
    # THEN the first is kept, nothing of the second, and no transaction is left open
    assert _rows(db) == [(1,)]
    assert not db.in_transaction
    db.close()


def test_a_write_that_cannot_start_raises_the_stores_error(tmp_path: Path) -> None:
    # GIVEN another connection holding the write lock
    path = tmp_path / "antre.db"
    holder = open_connection(path)
    holder.execute("BEGIN IMMEDIATE")
    db = open_connection(path, busy_timeout_ms=0)
    # WHEN a store tries to write THEN it gets its own error, naming the file
    with pytest.raises(_Failed, match="cannot start a write"):
        _insert(db, path, 1)
    holder.execute("ROLLBACK")
    holder.close()
    db.close()
