"""`antre-backup`: an online, verified, rotated backup of the central.

    antre-backup [--db PATH] [--mqtt-dir DIR] [--etc DIR] [--out DIR] [--keep N]

writes one archive, `antre-central-<site>-<YYYYmmdd-HHMMSS>.tar.gz`, mode 0600 (it holds
every device's password and the CA key), and keeps only the newest `--keep` of the site.
Its members sit where install.sh and antre-central keep them, so `tar -xzf ARCHIVE -C /`
on a fresh Pi puts them back (docs/technician.md, section 10):

- `var/lib/antre/central/antre.sqlite3`: SQLite's online backup of the database, taken
  while the central writes, then checked (`PRAGMA integrity_check`, and opened as the
  store opens it) before it is archived;
- `var/lib/antre/central/ticket-links.secret`: the key of the QR codes already printed;
- `var/lib/antre/central/booking-nik.secret`: the key of the bookings' NIK hashes, when
  the central has one;
- `var/lib/antre/mqtt/`: the devices' credentials, passwd, ACL, Mosquitto's configuration,
  the CA and its key;
- `etc/antre/site.toml` and `etc/antre/antre.env`.

antre-backup.service runs it as `antre` and hands it the root-only files of the MQTT
folder (LoadCredential=, in `--credentials`).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import errno
import logging
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from broker.backup_files import (
    DATABASE,
    NIK_SECRET,
    TICKET_LINKS_SECRET,
    BackupError,
    CentralFiles,
    central_members,
    etc_members,
    fsync_folder,
    mqtt_members,
    read_file,
    write_archive,
)
from broker.store.sqlite_store import SqliteStore
from contract.errors import AntreError
from contract.logs import configure_logging

log = logging.getLogger("antre-backup")

DEFAULT_KEEP = 14  # a week, at two backups a day
ARCHIVE_PREFIX = "antre-central-"
STAMP = "%Y%m%d-%H%M%S"
# The copy of the database and the archive are made in a folder of this name in `out`;
# one older than a day is what a run cut short left (a run lasts minutes at most).
WORK_PREFIX = ".antre-backup-"
STALE_SECONDS = 24 * 3600
_NEARLY_FULL = 1 << 20  # bytes free: less is a full disk
_SITE_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")  # contract.site's Identifier


@dataclass(frozen=True)
class Backup:
    """One archive written, and what was found in its database."""

    archive: Path
    size: int
    seconds: float
    schema_version: int
    day: dt.date | None
    tickets: int  # of that day
    removed: tuple[Path, ...]


def back_up(
    files: CentralFiles, out: Path, *, keep: int = DEFAULT_KEEP, now: dt.datetime | None = None
) -> Backup:
    """Writes the archive into `out`, then removes the site's archives beyond `keep`."""
    started = time.monotonic()
    moment = now or dt.datetime.now()
    if not files.database.is_file():
        raise BackupError(f"{files.database}: no database there")
    if not out.is_dir():
        raise BackupError(f"{out}: no such folder")
    site = site_id(files.etc / "site.toml")
    # Everything read before anything is written: a missing file stops the run cleanly.
    members = [*etc_members(files.etc, moment), *mqtt_members(files, moment)]
    secret = read_file(files.database.parent / TICKET_LINKS_SECRET)
    nik_key = files.database.parent / NIK_SECRET
    nik_secret = read_file(nik_key) if nik_key.exists() else None
    archive = out / f"{ARCHIVE_PREFIX}{site}-{moment.strftime(STAMP)}.tar.gz"
    _remove_stale_work(out)
    try:
        work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=out))
    except OSError as e:
        raise _write_error(out, e) from e
    try:
        copy = work / DATABASE
        _copy_database(files.database, copy, out)
        version, day, tickets = _check_copy(files.database, copy, out)
        members += central_members(files.database, copy, secret, moment, nik_secret)
        # Written beside its final name, on the same disk, then renamed: no half archive
        # ever carries the final name.
        partial = work / archive.name
        write_archive(partial, members)
        partial.replace(archive)
        fsync_folder(out)
    except OSError as e:
        raise _write_error(out, e) from e
    finally:
        shutil.rmtree(work, ignore_errors=True)
    removed = rotate(out, site, keep)
    seconds = time.monotonic() - started
    return Backup(archive, archive.stat().st_size, seconds, version, day, tickets, removed)


def rotate(out: Path, site: str, keep: int) -> tuple[Path, ...]:
    """Removes the site's archives but the newest `keep`; any other file is left alone."""
    pattern = re.compile(rf"{re.escape(ARCHIVE_PREFIX + site)}-\d{{8}}-\d{{6}}\.tar\.gz")
    try:
        # The time in the name sorts them, oldest first.
        archives = sorted(p for p in out.iterdir() if pattern.fullmatch(p.name) and p.is_file())
    except OSError as e:
        raise BackupError(f"{out}: cannot list the old archives ({e.strerror})") from e
    old = tuple(archives[: max(len(archives) - keep, 0)])
    for path in old:
        try:
            path.unlink()
        except OSError as e:
            raise BackupError(f"{path}: cannot remove this old archive ({e.strerror})") from e
    return old


def _remove_stale_work(out: Path) -> None:
    """Removes what runs cut short (a power cut) left: a stick would fill up with them."""
    for work in out.glob(f"{WORK_PREFIX}*"):
        with contextlib.suppress(OSError):
            if work.is_dir() and time.time() - work.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(work, ignore_errors=True)


def site_id(site_file: Path) -> str:
    """The site's id, read without checking the rest: a broken edit stops no backup."""
    try:
        site = tomllib.loads(site_file.read_text(encoding="utf-8")).get("site", {})
    except OSError as e:
        raise BackupError(f"{site_file}: cannot read the site file ({e.strerror})") from e
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise BackupError(f"{site_file}: not valid TOML ({e})") from e
    sid = site.get("id") if isinstance(site, dict) else None
    if not isinstance(sid, str) or not _SITE_ID.fullmatch(sid):
        raise BackupError(f"{site_file}: no valid [site] id")
    return sid


# --- the database ---------------------------------------------------------------------


def _copy_database(database: Path, copy: Path, out: Path) -> None:
    """SQLite's online backup: one consistent snapshot, the central writing meanwhile."""
    try:
        # mode=rw: an existing file only, never a new empty one.
        source = sqlite3.connect(f"{database.resolve().as_uri()}?mode=rw", uri=True, timeout=10)
        try:
            source.execute("PRAGMA query_only = 1")
            target = sqlite3.connect(copy)
            try:
                # In one step: a single read transaction, so one snapshot, while WAL lets
                # the central go on writing. Copied in several steps, each commit of the
                # central would start the copy over.
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.Error as e:
        if _code(e) == sqlite3.SQLITE_FULL:
            raise _write_error(out, OSError(errno.ENOSPC, "")) from e
        raise BackupError(f"{database}: cannot copy the database ({e})") from e


def _check_copy(database: Path, copy: Path, out: Path) -> tuple[int, dt.date | None, int]:
    """(schema version, saved day, tickets of that day) of a sound copy; else BackupError."""
    problems, version = ["ok"], 0
    try:
        connection = sqlite3.connect(copy)  # a new connection: it reads what is on the disk
        try:
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            version = connection.execute("PRAGMA user_version").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error as e:
        if _code(e) not in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            _raise_sqlite(e, out)
        problems = [str(e)]
    if problems != ["ok"]:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise BackupError(
            f"{database}: damaged, no backup made: SQLite's integrity check of its copy "
            f"says {problems[0]!r}{more}"
        )
    if version == 0:
        raise BackupError(f"{database}: not an Antre database (no schema)")
    try:
        # As antre-central opens it, but migrating nothing: the copy is kept as it was.
        store = SqliteStore(copy, migrate_up_to=version)
    except AntreError as e:
        if isinstance(e.__cause__, sqlite3.Error):
            _raise_sqlite(e.__cause__, out)
        raise BackupError(f"{database}: {e}") from e
    try:
        day = store.saved_day()
        tickets = len(store.tickets_of(day)) if day else 0
    except (sqlite3.Error, ValueError) as e:
        raise BackupError(f"{database}: not an Antre database ({e})") from e
    finally:
        store.close()
    return version, day, tickets


def _code(e: sqlite3.Error) -> int:
    """SQLite's primary result code (0 for errors raised by Python itself)."""
    return int(getattr(e, "sqlite_errorcode", 0) or 0) & 0xFF


def _raise_sqlite(e: sqlite3.Error, out: Path) -> NoReturn:
    """A failure to check the copy, which lies in `out`: that disk's trouble, not damage."""
    # SQLite says "disk I/O error" when the disk fills as its -shm file grows.
    if _code(e) == sqlite3.SQLITE_FULL or shutil.disk_usage(out).free < _NEARLY_FULL:
        raise _write_error(out, OSError(errno.ENOSPC, "")) from e
    raise BackupError(f"{out}: cannot check the database's copy there ({e})") from e


# --- small helpers ----------------------------------------------------------------------


def _write_error(out: Path, e: OSError) -> BackupError:
    if e.errno == errno.ENOSPC:
        return BackupError(f"{out}: the disk is full, no backup made")
    if e.errno == errno.EROFS:
        return BackupError(
            f"{out}: cannot write there (read-only: antre-backup.service may write only "
            "to its ReadWritePaths=)"
        )
    return BackupError(f"{e.filename or out}: cannot write there ({e.strerror})")


def _size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"


# --- the command --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logging(args.log_level)
    files = CentralFiles(args.db, args.mqtt_dir, args.etc, args.credentials)
    try:
        done = back_up(files, args.out, keep=args.keep)
    except BackupError as e:
        log.error("%s", e)
        return 1
    day = f"{done.tickets} tickets on {done.day}" if done.day else "no day yet"
    log.info(
        "backup %s: %s in %.1f s (schema %d, %s; %d older removed)",
        done.archive,
        _size(done.size),
        done.seconds,
        done.schema_version,
        day,
        len(done.removed),
    )
    if args.out.stat().st_dev == args.db.stat().st_dev:
        log.warning(
            "%s is on the same disk as the database: mount a USB stick there, or the "
            "backups die with the SD card",
            args.out,
        )
    return 0


def _path(text: str) -> Path:
    if not text:
        raise argparse.ArgumentTypeError("an empty path (is it set in /etc/antre/antre.env?)")
    return Path(text)


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of archives (1 or more)")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="antre-backup",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    layout = CentralFiles()
    parser.add_argument(
        "--db", type=_path, default=layout.database, help="the database (%(default)s)"
    )
    parser.add_argument(
        "--mqtt-dir",
        type=_path,
        default=layout.mqtt_dir,
        help="the provisioned MQTT folder (%(default)s)",
    )
    parser.add_argument(
        "--etc", type=_path, default=layout.etc, help="the site and env files (%(default)s)"
    )
    parser.add_argument(
        "--out",
        type=_path,
        default=Path("/var/backups/antre"),
        help="where archives go (%(default)s)",
    )
    parser.add_argument(
        "--keep",
        type=_count,
        default=DEFAULT_KEEP,
        help="how many of the site's archives to keep (%(default)s)",
    )
    parser.add_argument(
        "--credentials",
        type=_path,
        default=os.environ.get("CREDENTIALS_DIRECTORY") or None,
        help="systemd's copies of the root-only MQTT files (default: $CREDENTIALS_DIRECTORY)",
    )
    parser.add_argument("--log-level", default="INFO")
    return parser


if __name__ == "__main__":
    sys.exit(main())
