"""The processes of `make run-region`: a hub and three simulated sites on this machine.

The hub: PostgreSQL in the run's folder (hub/pg_runner.py), its Mosquitto from
antre-hub-provision over TLS (a CA made for the run), antre-hub and antre-hub-web. Each
site: the example site under its own id and name, with a `[hub]` section naming the
credential file antre-hub-provision wrote for it; its Mosquitto from antre-provision
(with the bridge), its central, and simulated citizens and clerks. Each site reaches
the hub through its own uplink relay (local_region/uplink.py), which the terminal can
cut and restore. Everything logs to the run's folder.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psycopg

from broker.mosquitto_runner import LOCALHOST, MosquittoRunner, free_port
from broker.provision import provision
from broker.tls import ensure_tls
from contract.site_loader import load_site
from hub.broker_setup import TlsFiles, provision_hub_broker, site_credentials_file
from hub.pg_runner import PostgresServer
from hub.store.connect import connect
from hub.web.accounts import Role, create_account
from local_mpp.mall import SITE_FILE, step
from local_region.traffic import Traffic
from local_region.uplink import Uplink

ROOT = Path(__file__).resolve().parent.parent
HOME = Path(os.environ.get("ANTRE_REGION_DIR", ROOT / "var" / "region"))
# (id, name, seconds between citizens): three MPPs of East Kalimantan.
SITES = (
    ("smd", "MPP Kota Samarinda", 4.0),
    ("bpn", "MPP Kota Balikpapan", 6.0),
    ("btg", "MPP Kota Bontang", 9.0),
)
DATABASE = "antre_hub"
ADMIN = "admin"
# A site unheard of this long is "no news since" on the region page (production: 15).
SILENT_AFTER_MINUTES = 0.5
# Short, so a cut link's catch-up shows within seconds (production: 30).
RESEND_SECONDS = 5


def site_file_text(example: str, site_id: str, name: str, hub_section: str) -> str:
    """The example site under another id and name, linked to a hub by `hub_section`."""
    text = re.sub(r'(?m)^id = "samarinda"$', f'id = "{site_id}"', example, count=1)
    text = re.sub(r'(?m)^name = "Mal Pelayanan Publik Kota Samarinda"$', f'name = "{name}"', text)
    return text + hub_section


def hub_section(host: str, port: int, ca: Path, credentials: Path, resend_seconds: float) -> str:
    """A site file's `[hub]` section."""
    return (
        '\n# The region\'s hub (docs/hub.md, "Connect a site").\n[hub]\n'
        f'host = "{host}"\nport = {port}\nca_file = "{ca}"\n'
        f'credentials = "{credentials}"\nresend_seconds = {resend_seconds}\n'
    )


@dataclass
class RegionSite:
    site_id: str
    name: str
    uplink: Uplink
    broker: MosquittoRunner
    traffic: Traffic | None = None


class Region:
    """The hub and its sites, started in order and stopped in reverse."""

    def __init__(self, clock_args: list[str]) -> None:
        self.clock_args = clock_args
        self.postgres: PostgresServer | None = None
        self.hub_broker: MosquittoRunner | None = None
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.sites: dict[str, RegionSite] = {}
        self.web_port = 0
        self.password = secrets.token_urlsafe(9)

    @property
    def web(self) -> str:
        return f"http://{LOCALHOST}:{self.web_port}/"

    def start(self) -> None:
        if HOME.exists():
            shutil.rmtree(HOME)  # each run a fresh region: a new hub, new sites
        HOME.mkdir(parents=True)
        database = self._start_postgres()
        hub = HOME / "hub"
        step("making the hub broker's certificate (a CA of this run's own)")
        made = ensure_tls(hub, LOCALHOST, "region")
        tls = TlsFiles(cert=made.server_cert, key=made.server_key, ca=made.ca_cert)
        port = free_port()
        step(f"antre-hub-provision: the hub's Mosquitto on {LOCALHOST}:{port} (TLS)")
        report = provision_hub_broker(
            hub / "broker",
            [site_id for site_id, _, _ in SITES],
            port=port,
            bind_address=LOCALHOST,
            public_host=LOCALHOST,
            tls=tls,
        )
        self.hub_broker = MosquittoRunner(report.conf, port, report.directory)
        self.hub_broker.start()
        hub_credentials = report.credentials_dir / "antre-hub.toml"
        self._spawn("antre-hub", "hub.main", "--credentials", str(hub_credentials),
                    "--database", database, "--client-id", "antre-hub-1")  # fmt: skip
        with connect(database) as connection:
            create_account(connection, ADMIN, "Admin Wilayah", Role.REGION, self.password, None)
        secret = hub / "web-secret"
        secret.write_text(secrets.token_urlsafe(32) + "\n")
        secret.chmod(0o600)
        self.web_port = free_port()
        step(f"antre-hub-web on {self.web}")
        self._spawn("antre-hub-web", "hub.web.serve", "--database", database,
                    "--secret-file", str(secret), "--host", LOCALHOST,
                    "--port", str(self.web_port),
                    "--silent-after-minutes", str(SILENT_AFTER_MINUTES))  # fmt: skip
        example = SITE_FILE.read_text(encoding="utf-8")
        for seed, (site_id, name, every_s) in enumerate(SITES):
            self._start_site(site_id, name, every_s, seed, example, tls.ca, report.directory)

    def _start_postgres(self) -> str:
        step("starting PostgreSQL (hub/pg_runner.py) in the run's folder")
        folder = HOME / "postgres"
        folder.mkdir()
        self.postgres = PostgresServer(folder, free_port())
        self.postgres.init()
        self.postgres.pg_ctl("start")
        with psycopg.connect(self.postgres.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{DATABASE}"')
        return self.postgres.url(DATABASE)

    def _start_site(
        self, site_id: str, name: str, every_s: float, seed: int, example: str, ca: Path,
        hub_directory: Path,
    ) -> None:  # fmt: skip
        assert self.hub_broker is not None
        folder = HOME / site_id
        folder.mkdir()
        uplink = Uplink(self.hub_broker.port)
        uplink.start()
        credentials = site_credentials_file(hub_directory, site_id)
        section = hub_section(LOCALHOST, uplink.port, ca, credentials, RESEND_SECONDS)
        site_file = folder / "site.toml"
        site_file.write_text(site_file_text(example, site_id, name, section), encoding="utf-8")
        site = load_site(site_file)
        port = free_port()
        step(f"{site_id}: antre-provision (with the bridge), Mosquitto on {LOCALHOST}:{port}")
        report = provision(site, folder / "central", port=port, bind_address=LOCALHOST)
        broker = MosquittoRunner(report.conf, port, report.directory)
        broker.start()
        self.sites[site_id] = RegionSite(site_id, name, uplink, broker)
        self._spawn(f"{site_id}-central", "broker.central_main", "--site", str(site_file),
                    "--credentials", str(report.directory / "credentials" / "central.toml"),
                    "--db", str(folder / "antre.sqlite3"), *self.clock_args)  # fmt: skip
        traffic = Traffic(site_id, report.credentials, every_s, seed)
        traffic.start()
        self.sites[site_id].traffic = traffic

    def _spawn(self, name: str, module: str, *args: str) -> None:
        log = (HOME / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def web_answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.web + "login", timeout=2) as reply:
                return bool(reply.status == 200)
        except OSError:
            return False

    def cut(self, site_id: str) -> bool:
        if site_id not in self.sites:
            return False
        self.sites[site_id].uplink.cut()
        return True

    def restore(self, site_id: str) -> bool:
        if site_id not in self.sites:
            return False
        self.sites[site_id].uplink.restore()
        return True

    def stop(self) -> None:
        for site in self.sites.values():
            if site.traffic is not None:
                site.traffic.stop()
        for name, process in reversed(self.processes.items()):
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            print(f"stopped {name}")
        for site in self.sites.values():
            site.broker.stop()
            site.uplink.close()
        if self.hub_broker is not None:
            self.hub_broker.stop()
            print("stopped the hub's Mosquitto")
        if self.postgres is not None:
            self.postgres.pg_ctl("stop")
            print("stopped PostgreSQL")
