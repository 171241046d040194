"""antre-backup's refusals: exit 1 and one line naming the path and the problem, and
nothing left in the backup folder (no copy of the database, no partial archive)."""

from __future__ import annotations

import base64
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from broker.backup_files import CentralFiles
from broker.store.sqlite_store import SqliteStore
from tests.backup_fixtures import assert_refused, backup_command, issue, run


def test_a_missing_database_is_refused_and_not_created(
    central_files: CentralFiles, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    missing = tmp_path / "nowhere.sqlite3"
    files = CentralFiles(missing, central_files.mqtt_dir, central_files.etc)
    assert_refused(run(backup_command(files, out)), str(missing), "no database there")
    assert not missing.exists()
    assert list(out.iterdir()) == []


def test_a_missing_backup_folder_is_refused(central_files: CentralFiles, tmp_path: Path) -> None:
    out = tmp_path / "stick-not-mounted"
    assert_refused(run(backup_command(central_files, out)), str(out), "no such folder")
    assert not out.exists()


@pytest.mark.parametrize(
    ("index", "where"),
    [("tickets", "header"), ("tickets_by_day", "last bytes")],
)
def test_a_damaged_database_is_refused_and_no_archive_is_left(
    central_files: CentralFiles, tmp_path: Path, index: str, where: str
) -> None:
    """GIVEN a database whose tickets table (or index) a failing card damaged, which SQLite
    still opens and copies page by page WHEN backed up THEN the integrity check of the copy
    refuses it: no archive, and the copy removed."""
    issue(central_files.database, 300)
    connection = sqlite3.connect(central_files.database)
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    (root,) = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (index,))
    connection.close()
    with central_files.database.open("r+b") as file:
        if where == "header":  # a page that is no b-tree page at all
            file.seek((root[0] - 1) * page_size)
            file.write(b"\xff" * 8)
        else:  # the first row of the index, bits flipped: it no longer matches the table
            file.seek(root[0] * page_size - 8)
            row = file.read(8)
            file.seek(root[0] * page_size - 8)
            file.write(bytes(byte ^ 0x01 for byte in row))
    out = tmp_path / "out"
    out.mkdir()
    result = run(backup_command(central_files, out))
    assert_refused(result, str(central_files.database), "damaged", "integrity check")
    assert list(out.iterdir()) == []


# Mounts a tmpfs on $2 with options $1, runs the rest, then lists what it left there.
MOUNTED = (
    'mount -t tmpfs -o "$1" tmpfs "$2" || exit 99; o=$2; shift 2; "$@"; s=$?; ls -A "$o"; exit $s'
)


def on_own_mount(options: str, out: Path, command: list[str]) -> subprocess.CompletedProcess[str]:
    """Runs `command` with a tmpfs mounted on `out`, in a user and mount namespace of its
    own (`unshare`): this machine's mounts are not touched. Its stdout: what was left."""
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True, check=False)
    # Not a skip: a refusal left untested would pass unseen.
    assert probe.returncode == 0, (
        f"these tests need user and mount namespaces (unshare -rm): {probe.stderr.decode()}"
    )
    return run(["unshare", "-rm", "sh", "-c", MOUNTED, "sh", options, str(out), *command])


def test_a_read_only_backup_folder_is_refused(central_files: CentralFiles, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = on_own_mount("ro", out, backup_command(central_files, out))
    assert_refused(result, str(out), "cannot write there", "read-only")
    assert result.stdout == ""


def noisy(files: CentralFiles) -> int:
    """Makes the database about 500 kB, mostly noise gzip cannot shrink; its size."""
    store = SqliteStore(files.database)
    store.set_setting("noise", base64.b64encode(os.urandom(300_000)).decode())
    store.close()
    return files.database.stat().st_size


@pytest.mark.parametrize("stage", ["copying the database", "writing the archive"])
def test_a_full_disk_is_refused_and_leaves_nothing_behind(
    central_files: CentralFiles, tmp_path: Path, stage: str
) -> None:
    """GIVEN a backup disk too small for the copy of the database, or with room for the copy
    and its checks (SQLite's -wal and -shm) but not for the archive beside it WHEN backed
    up THEN the disk is said to be full and neither the copy nor a partial archive stays."""
    size = noisy(central_files)
    # The archive is about 300 kB: 150 kB more than the copy leaves room for its checks.
    room = size // 2 if stage == "copying the database" else size + 150_000
    out = tmp_path / "out"
    out.mkdir()
    result = on_own_mount(f"size={room}", out, backup_command(central_files, out))
    assert_refused(result, str(out), "the disk is full")
    assert result.stdout == ""
