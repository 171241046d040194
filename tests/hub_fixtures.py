"""Pytest plugin: the hub's Mosquitto (from antre-hub-provision), hub processes, a site.

def test_x(hub_broker: HubBrokerRun, hub_processes: HubProcesses) -> None:
    hub_processes.start()
    site = SiteSender(hub_broker, "smd")
    site.send_until_acked(numbered_events("smd", 1, 10))
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest

from broker.mosquitto_runner import MosquittoRunner
from broker.tls import ensure_tls
from contract.hub_stream import Acked, HubTopics, RecordBatch
from hub.broker_setup import (
    HUB_USER,
    HubBroker,
    TlsFiles,
    provision_hub_broker,
    site_credentials_file,
    site_username,
)
from hub.ingest import SUBSCRIBED_LINE
from local_region.region import hub_section
from tests.broker_fixtures import (
    LOCALHOST,
    WAIT,
    BrokerClient,
    Mosquitto,
    MqttClients,
    free_port,
    wait_until,
)

SITES = ("smd", "bpn", "skw")
# A hub process's start (Python, psycopg, migrations) on a loaded machine.
PROCESS_WAIT = 20.0


@dataclass
class HubBrokerRun:
    report: HubBroker
    broker: MosquittoRunner
    tls: TlsFiles

    def site_section(self, site: str, resend_seconds: float) -> str:
        """The `[hub]` section a site file gets: the hub's address, its CA and the
        credential file antre-hub-provision wrote for the site, read as is."""
        credentials = site_credentials_file(self.report.directory, site)
        return hub_section(LOCALHOST, self.broker.port, self.tls.ca, credentials, resend_seconds)


def hub_tls(folder: Path) -> TlsFiles:
    """A throwaway CA and the hub broker's certificate for 127.0.0.1, as a regional IT
    team's own CA would issue them (made with the site's certificate tool, broker/tls.py)."""
    files = ensure_tls(folder, LOCALHOST, "hub")
    return TlsFiles(cert=files.server_cert, key=files.server_key, ca=files.ca_cert)


def start_hub_broker(
    folder: Path, sites: tuple[str, ...], *, remembered: bool = True
) -> HubBrokerRun:
    """The hub's Mosquitto from antre-hub-provision, over TLS, started (the caller stops
    it). `remembered=False` for one a whole module shares: the per-test safety net
    (`_no_broker_left_behind`) must not kill it."""
    port = free_port()
    tls = hub_tls(folder / "tls")
    report = provision_hub_broker(
        folder / "hub-broker",
        sites,
        port=port,
        bind_address=LOCALHOST,
        public_host=LOCALHOST,
        tls=tls,
    )
    runner = MosquittoRunner if not remembered else Mosquitto
    broker = runner(report.conf, port, report.directory)
    broker.start()
    return HubBrokerRun(report, broker, tls)


@pytest.fixture
def hub_broker(tmp_path: Path) -> Iterator[HubBrokerRun]:
    run = start_hub_broker(tmp_path, SITES)
    try:
        yield run
    finally:
        run.broker.stop()


class HubProcesses:
    """`antre-hub` processes (real subprocesses), stopped at the end of the test."""

    def __init__(self, hub_broker: HubBrokerRun, database: str, folder: Path) -> None:
        self.credentials = hub_broker.report.credentials_dir / f"{HUB_USER}.toml"
        self.database = database
        self.folder = folder
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, name: str = "hub-1", *, subscribed: bool = True) -> subprocess.Popen[bytes]:
        """Starts `antre-hub` `name`; by default, waits until it is subscribed."""
        log = (self.folder / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hub.main",
                "--credentials",
                str(self.credentials),
                "--database",
                self.database,
                "--client-id",
                name,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.processes.append(process)
        if not subscribed:
            return process
        # Subscribed: a batch published from now on reaches some hub process.
        wait_until(
            lambda: self.log(name).count(SUBSCRIBED_LINE) > 0 or process.poll() is not None,
            PROCESS_WAIT,
            f"{name} subscribed",
        )
        assert process.poll() is None, self.log(name)
        return process

    def log(self, name: str = "hub-1") -> str:
        path = self.folder / f"{name}.log"
        if not path.exists():
            return ""
        return path.read_text(encoding="utf-8", errors="replace")

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def hub_processes(
    hub_broker: HubBrokerRun, pg_database: str, tmp_path: Path
) -> Iterator[HubProcesses]:
    processes = HubProcesses(hub_broker, pg_database, tmp_path)
    try:
        yield processes
    finally:
        processes.stop_all()


class SiteSender:
    """A site, as the hub sees it: publishes batches, reads its retained ack, resends
    what the ack does not cover (as the real site sender does)."""

    def __init__(self, clients: MqttClients, hub_broker: HubBrokerRun, site: str) -> None:
        self.site = site
        self.topics = HubTopics(site)
        credentials = hub_broker.report.credentials[site_username(site)]
        self.client: BrokerClient = clients(credentials)
        self.client.subscribe(self.topics.acked, qos=1)
        self.acked = 0
        self.client.on_message = self._record_ack

    def _record_ack(self, client: object, userdata: object, message: object) -> None:
        ack = msgspec.json.decode(message.payload, type=Acked)  # type: ignore[attr-defined]
        self.acked = max(self.acked, ack.up_to)

    def publish(self, batch: RecordBatch) -> None:
        info = self.client.publish(self.topics.records, msgspec.json.encode(batch), qos=1)
        info.wait_for_publish(WAIT)

    def publish_all(self, batches: list[RecordBatch]) -> None:
        for batch in batches:
            self.publish(batch)

    def publish_raw(self, payload: bytes, topic: str | None = None) -> None:
        self.client.publish(topic or self.topics.records, payload, qos=1).wait_for_publish(WAIT)

    def wait_acked(self, up_to: int, timeout: float = PROCESS_WAIT) -> None:
        wait_until(lambda: self.acked >= up_to, timeout, f"{self.site} acked up to {up_to}")

    def send_until_acked(self, batches: list[RecordBatch], timeout: float = 60.0) -> None:
        """Sends every batch, then resends those the ack does not cover until all are."""
        last = max(record.seq for batch in batches for record in batch.records)
        for batch in batches:
            self.publish(batch)
        deadline = time.monotonic() + timeout
        while self.acked < last:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.site}: acked {self.acked} of {last}")
            time.sleep(1.0)
            for batch in batches:
                if batch.records[-1].seq > self.acked:
                    self.publish(batch)
