"""Opening the central's SQLite file and writing to it: one way for every store that shares it.

The queue's store, the bookings, the survey and the hub's stream each keep a connection of
their own to the same file; they must agree on WAL and on syncing every commit, or one of
them would weaken what the others promise.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from contract.errors import AntreError


def open_connection(path: Path, *, busy_timeout_ms: int = 5000) -> sqlite3.Connection:
    """A connection to the central's database file in WAL mode, each commit synced to disk.

    Raises `sqlite3.Error`; the caller names the store in the error it raises.
    """
    # Autocommit mode: transactions are opened and closed explicitly (`write_transaction`).
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode = WAL")
    # FULL syncs the WAL on every commit: an acknowledged change survives power loss.
    db.execute("PRAGMA synchronous = FULL")
    # Another connection to the same file may be writing: wait for it, not fail.
    db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    return db


@contextmanager
def write_transaction(
    db: sqlite3.Connection, path: Path, error: type[AntreError]
) -> Iterator[sqlite3.Connection]:
    """Runs the block in one `BEGIN IMMEDIATE` transaction: committed when the block ends,
    rolled back when anything raises, the exception passed on unchanged.

    SQLite's write lock is taken before the block reads, so a count and the insert it
    allows cannot be split by another writer. A write that cannot start raises `error`.
    """
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as e:
        raise error(f"{path}: cannot start a write ({e})") from e
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        # A full disk or an I/O error: undo the whole change, keep serving reads.
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
