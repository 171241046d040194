"""antre-backup on real files and a real SQLite database: a backup taken while tickets are
issued, what the archive holds, rotation, and a restore with tar onto a fresh root that
install.sh then brings up as it was. Its refusals: tests/test_backup_refusals.py."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import stat
import subprocess
import threading
import time
from pathlib import Path

from broker.backup import back_up
from broker.backup_files import MQTT_SKIPPED, NIK_SECRET, CentralFiles
from broker.bookings import load_nik_key
from broker.provision import provision
from broker.queue_service import QueueService
from broker.store.migrations import migrations
from broker.store.sqlite_store import SqliteStore
from broker.ticket_links import load_secret
from contract.credentials import load_credentials
from contract.site_loader import load_site
from tests.backup_fixtures import (
    CENTRAL,
    HOST,
    MQTT,
    REPO,
    backup_command,
    issue,
    only_archive,
    run,
    small_site,
    tickets_in,
    unpacked,
)
from tests.conftest import EXAMPLE_SITE, MONDAY, at
from tests.test_install import installed, passwords
from tests.test_systemd_units import settings

# --- the backup ----------------------------------------------------------------------------


class Issuer(threading.Thread):
    """Issues tickets through the real store as fast as it can, like a busy central."""

    def __init__(self, db: Path) -> None:
        super().__init__()
        self.db = db
        self.issued: list[str] = []  # appended only once the ticket is committed
        self.failure: BaseException | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        store = SqliteStore(self.db)
        try:
            service = QueueService(small_site(), store, lambda: at(10))
            while not self.stop.is_set():
                decision = service.run(lambda e, now: e.issue("B", now))
                assert decision.ticket is not None
                self.issued.append(decision.ticket.id)
        except BaseException as e:
            self.failure = e
        finally:
            store.close()


def test_a_backup_while_tickets_are_issued_holds_every_ticket_committed_before_it(
    central_files: CentralFiles, tmp_path: Path
) -> None:
    # GIVEN a central with history, tickets being issued without pause, and a reader that
    # pins the WAL as a long report does: what is issued now lives only in the -wal file,
    # where a copy of the database file alone would miss it
    issue(central_files.database, 300)
    report = sqlite3.connect(central_files.database)
    report.execute("BEGIN")
    report.execute("SELECT count(*) FROM tickets").fetchone()
    issuer = Issuer(central_files.database)
    issuer.start()
    try:
        while len(issuer.issued) < 20 and issuer.failure is None:
            threading.Event().wait(0.01)
        before = set(issuer.issued)
        # WHEN antre-backup runs, in its own process as under systemd
        out = tmp_path / "out"
        out.mkdir()
        result = run(backup_command(central_files, out))
        during = len(issuer.issued)
    finally:
        issuer.stop.set()
        issuer.join()
        report.close()
    assert result.returncode == 0, result.stderr
    # THEN the issuing never failed and went on while the backup ran
    assert issuer.failure is None
    assert during > len(before)
    # AND the archived database is sound and holds every ticket committed before it began
    db = unpacked(only_archive(out), tmp_path / "x") / CENTRAL / "antre.sqlite3"
    connection = sqlite3.connect(db)
    assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    connection.close()
    archived = tickets_in(db)
    assert before <= archived <= tickets_in(central_files.database)
    assert len(archived) >= 30 + 300 + len(before)
    assert "tickets on 2026-11-30" in result.stderr


def test_the_archive_holds_exactly_the_centrals_files_root_only(
    central_files: CentralFiles, tmp_path: Path
) -> None:
    """GIVEN a central with TLS WHEN backed up THEN one archive, 0600, holding the database,
    the ticket-links secret, the site and env files and the MQTT folder but Mosquitto's
    live database and server key; each file with its bytes and mode, where it was."""
    out = tmp_path / "out"
    out.mkdir()
    done = back_up(central_files, out, now=dt.datetime(2026, 11, 30, 21, 30, 5))
    archive = only_archive(out)
    assert archive == done.archive
    assert archive.name == "antre-central-kecil-20261130-213005.tar.gz"
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert (done.schema_version, done.day, done.tickets) == (len(migrations()), MONDAY, 30)

    root = central_files.database.parents[4]
    mqtt_files = {
        f"{MQTT}/{p.relative_to(central_files.mqtt_dir).as_posix()}"
        for p in central_files.mqtt_dir.rglob("*")
        if p.is_file() and not str(p.relative_to(central_files.mqtt_dir)).startswith(MQTT_SKIPPED)
    }
    assert f"{MQTT}/tls/ca.key" in mqtt_files
    expected = mqtt_files | {
        f"{CENTRAL}/antre.sqlite3",
        f"{CENTRAL}/ticket-links.secret",
        "etc/antre/site.toml",
        "etc/antre/antre.env",
    }
    restored = unpacked(archive, tmp_path / "x")
    files = {str(p.relative_to(restored)) for p in restored.rglob("*") if p.is_file()}
    assert files == expected
    for name in expected - {f"{CENTRAL}/antre.sqlite3"}:
        original, copy = root / name, restored / name
        assert copy.read_bytes() == original.read_bytes(), name
        assert copy.stat().st_mode == original.stat().st_mode, name
    assert stat.S_IMODE((restored / MQTT / "credentials").stat().st_mode) == 0o700


def test_systemds_copies_stand_in_for_the_root_only_files(
    central_files: CentralFiles, tmp_path: Path
) -> None:
    """GIVEN the MQTT folder as the antre user sees it (no credentials/ to enter, no CA key
    to read) and systemd's copies named as LoadCredential= names them WHEN backed up THEN
    each copy is archived where its file belongs, root-only; the CA certificate keeps its
    mode (Mosquitto reads it); a credential of another kind is left out."""
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    shutil.move(central_files.mqtt_dir / "credentials", hidden / "credentials")
    shutil.move(central_files.mqtt_dir / "tls/ca.key", hidden / "ca.key")
    handed = tmp_path / "credentials"
    handed.mkdir()
    for path in (hidden / "credentials").iterdir():
        shutil.copy(path, handed / f"credentials_{path.name}")
    shutil.copy(hidden / "ca.key", handed / "tls_ca.key")
    shutil.copy(central_files.mqtt_dir / "tls/ca.crt", handed / "tls_ca.crt")
    (handed / "something-else").write_text("not ours")
    files = CentralFiles(central_files.database, central_files.mqtt_dir, central_files.etc, handed)
    out = tmp_path / "out"
    out.mkdir()

    back_up(files, out)

    restored = unpacked(only_archive(out), tmp_path / "x") / MQTT
    for path in (hidden / "credentials").iterdir():
        copy = restored / "credentials" / path.name
        assert copy.read_bytes() == path.read_bytes()
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert (restored / "tls/ca.key").read_bytes() == (hidden / "ca.key").read_bytes()
    assert stat.S_IMODE((restored / "tls/ca.crt").stat().st_mode) == 0o644
    assert "something-else" not in {p.name for p in restored.rglob("*")}


def test_rotation_keeps_the_newest_archives_and_leaves_other_files_alone(
    central_files: CentralFiles, tmp_path: Path
) -> None:
    # GIVEN five backups of the site, one each evening, and files that are not its backups
    out = tmp_path / "out"
    out.mkdir()
    evenings = [dt.datetime(2026, 11, day, 21, 30) for day in range(24, 29)]
    for evening in evenings:
        back_up(central_files, out, now=evening, keep=10)
    others = [
        "antre-central-lain-20261101-213000.tar.gz",  # another site's
        "antre-central-kecil-before-upgrade.tar.gz",  # kept by hand
        ".antre-central-kecil-20261101-213000.tar.gz",
        "notes.txt",
    ]
    for name in others:
        (out / name).write_text("keep me")
    # (and what a backup cut short by a power cut left two days ago, and one running now)
    stale, running = out / ".antre-backup-cut-short", out / ".antre-backup-running"
    for work in (stale, running):
        work.mkdir()
        (work / "antre.sqlite3").write_text("half a copy")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(stale, (two_days_ago, two_days_ago))
    # WHEN a sixth is made, keeping 3
    done = back_up(central_files, out, now=dt.datetime(2026, 11, 30, 12, 30), keep=3)
    # THEN the three newest of the site remain, the rest of the folder is untouched but
    # for the work folder left two days ago
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [*others, running.name]
        + [
            f"antre-central-kecil-{stamp}.tar.gz"
            for stamp in ("20261127-213000", "20261128-213000")
        ]
        + [done.archive.name]
    )
    assert [p.name for p in done.removed] == [
        f"antre-central-kecil-202611{day}-213000.tar.gz" for day in (24, 25, 26)
    ]
    assert all((out / name).read_text() == "keep me" for name in others)


def test_the_unit_hands_over_every_root_only_file_provisioning_writes(tmp_path: Path) -> None:
    """GIVEN the MQTT folder of a central with TLS THEN each file the antre user cannot read
    (its mode, or a folder it cannot enter) is loaded by antre-backup.service, or is one
    the backup leaves out on purpose: nothing root-only is missed when provisioning grows."""
    mqtt = tmp_path / "mqtt"
    provision(small_site(), mqtt, host=HOST, tls=True)
    loaded = [
        Path(value.partition(":")[2]).relative_to("/var/lib/antre/mqtt")
        for value in settings(REPO / "systemd/antre-backup.service")["Service.LoadCredential"]
    ]
    root_only = [
        path.relative_to(mqtt)
        for path in mqtt.rglob("*")
        if path.is_file()
        and (
            not path.stat().st_mode & stat.S_IROTH
            or any(not f.stat().st_mode & stat.S_IXOTH for f in path.parents if mqtt in f.parents)
        )
    ]
    assert Path("credentials/central.toml") in root_only
    for path in root_only:
        covered = any(path == p or p in path.parents for p in loaded)
        assert covered or str(path).startswith(MQTT_SKIPPED), path


# --- restore -------------------------------------------------------------------------------


def test_a_restored_archive_brings_the_central_back_as_it_was(tmp_path: Path) -> None:
    """GIVEN an installed central with tickets WHEN its backup is unpacked on a fresh root
    with tar, as section 10 of the technician's guide says, and install.sh is run there
    THEN the queue service sees the same tickets, and every device keeps its password, the
    central its address and the QR codes their secret."""
    old = tmp_path / "old"
    installed(old, "central", EXAMPLE_SITE, "--host", HOST)
    db = old / CENTRAL / "antre.sqlite3"
    db.parent.mkdir(parents=True)
    secret = load_secret(db.parent / "ticket-links.secret")
    example = load_site(EXAMPLE_SITE)
    issue(db, 12, example)
    out = tmp_path / "out"
    out.mkdir()
    files = CentralFiles(db, old / MQTT, old / "etc/antre")
    assert run(backup_command(files, out)).returncode == 0

    new = tmp_path / "new"
    new.mkdir()
    subprocess.run(["tar", "-xzf", str(only_archive(out)), "-C", str(new)], check=True)
    store = SqliteStore(new / CENTRAL / "antre.sqlite3")
    service = QueueService(example, store, lambda: at(10))
    assert sorted(t.number for t in service.engine.tickets()) == [f"B{n:03d}" for n in range(1, 13)]
    store.close()
    installed(new, "central", new / "etc/antre/site.toml")

    mqtt_old, mqtt_new = old / MQTT, new / MQTT
    assert passwords(mqtt_new / "mosquitto/passwd", mqtt_new / "credentials") == passwords(
        mqtt_old / "mosquitto/passwd", mqtt_old / "credentials"
    )
    assert load_credentials(mqtt_new / "credentials/central.toml").host == HOST
    assert (new / CENTRAL / "ticket-links.secret").read_bytes() == secret
    assert tickets_in(new / CENTRAL / "antre.sqlite3") == tickets_in(db)


def test_the_bookings_nik_key_is_archived_with_the_database(
    central_files: CentralFiles, tmp_path: Path
) -> None:
    """GIVEN a central that keeps bookings (its NIK key beside the database) WHEN backed up
    THEN the key is in the archive, 0600, with its bytes: a restored central still knows
    the NIKs of the bookings already made."""
    key = load_nik_key(central_files.database.parent)
    secret = (central_files.database.parent / NIK_SECRET).read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    back_up(central_files, out, now=dt.datetime(2026, 11, 30, 21, 30, 5))
    restored = unpacked(only_archive(out), tmp_path / "x") / CENTRAL / NIK_SECRET
    assert restored.read_bytes() == secret
    assert stat.S_IMODE(restored.stat().st_mode) == 0o600
    assert load_nik_key(restored.parent).hash("6472011203900001") == key.hash("6472011203900001")
