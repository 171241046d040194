"""Pytest plugin: a central's files laid out as installed, for antre-backup's tests.

    def test_something(central_files: CentralFiles, tmp_path: Path) -> None:
        result = run(backup_command(central_files, tmp_path / "out"))

`central_files` is a central with TLS under a throwaway root: its MQTT folder provisioned, the
site and env files, a database with 30 tickets and the ticket-links secret.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from broker.backup_files import CentralFiles
from broker.provision import provision
from broker.queue_service import QueueService
from broker.store.sqlite_store import SqliteStore
from broker.ticket_links import load_secret
from contract.site import Site
from contract.site_loader import parse_site
from tests.conftest import MONDAY, SMALL_SITE, at

HOST = "192.168.1.10"
REPO = Path(__file__).resolve().parent.parent
CENTRAL = "var/lib/antre/central"
MQTT = "var/lib/antre/mqtt"


def small_site() -> Site:
    return parse_site(SMALL_SITE, source="small_site")


def issue(db: Path, count: int, site: Site | None = None) -> None:
    """Issues `count` B tickets (B has no quota) through the real queue service."""
    store = SqliteStore(db)
    try:
        service = QueueService(site or small_site(), store, lambda: at(10))
        for _ in range(count):
            service.run(lambda e, now: e.issue("B", now))
    finally:
        store.close()


def tickets_in(db: Path) -> set[str]:
    store = SqliteStore(db)
    try:
        return {ticket.id for ticket in store.tickets_of(MONDAY)}
    finally:
        store.close()


def lay_out_central(root: Path) -> CentralFiles:
    """A central's files where install.sh and antre-central keep them, under `root`."""
    files = CentralFiles(root / CENTRAL / "antre.sqlite3", root / MQTT, root / "etc/antre")
    provision(small_site(), files.mqtt_dir, host=HOST, tls=True)
    files.etc.mkdir(parents=True)
    (files.etc / "site.toml").write_text(SMALL_SITE, encoding="utf-8")
    shutil.copy(REPO / "systemd/antre.env", files.etc / "antre.env")
    files.database.parent.mkdir(parents=True)
    load_secret(files.database.parent / "ticket-links.secret")
    issue(files.database, 30)
    return files


@pytest.fixture
def central_files(tmp_path: Path) -> CentralFiles:
    return lay_out_central(tmp_path / "root")


def backup_command(files: CentralFiles, out: Path, *more: str) -> list[str]:
    return [
        sys.executable, "-m", "broker.backup", "--db", str(files.database),
        "--mqtt-dir", str(files.mqtt_dir), "--etc", str(files.etc), "--out", str(out), *more,
    ]  # fmt: skip


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=60, cwd=REPO
    )


def only_archive(out: Path) -> Path:
    found = list(out.iterdir())
    assert len(found) == 1, found
    assert found[0].name.endswith(".tar.gz"), found
    return found[0]


def unpacked(archive: Path, into: Path) -> Path:
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="tar")
    return into


def assert_refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 1 and one line on stderr, naming the path and the problem."""
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    for word in words:
        assert word in lines[0], lines[0]
