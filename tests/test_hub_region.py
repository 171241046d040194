"""A region end to end, under faults: real sites and the real hub, nothing played.

Each site: its Mosquitto from antre-provision with the bridge to the hub, the central
as a process, tickets asked and called over MQTT. The hub: its Mosquitto from
antre-hub-provision over TLS, antre-hub into PostgreSQL, antre-hub-web over HTTP. A
site's uplink runs through a relay the test can cut (local_region/uplink.py), as the
mall's internet goes. One hub and two sites serve the whole module; each test leaves
them running and checks every record the sites ever numbered, so faults add up.
"""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from broker.queue_service import QueueService
from broker.store.sqlite_store import SqliteStore
from hub.store.connect import connect
from hub.web.accounts import Role, create_account
from local_region.uplink import Uplink
from tests.broker_fixtures import LOCALHOST, MqttClients, free_port, wait_until
from tests.central_fixtures import MONDAY_MORNING
from tests.hub_fixtures import HubBrokerRun, HubProcesses, start_hub_broker
from tests.linked_site import (
    CATCH_UP,
    RESEND_SECONDS,
    HubHoldings,
    LinkedSite,
    RecordsTap,
    start_linked_site,
)
from tests.pg_fixtures import PostgresServer
from tests.test_hub_web import Browsing

SITES = {"smd": "MPP Samarinda", "bpn": "MPP Balikpapan"}
PASSWORD = "kata-sandi-hub-1"
# A site unheard of this long is "no news since" on the region page: short for the test.
SILENT_AFTER_S = 6.0
SILENT = "tidak ada kabar sejak"


@dataclass
class Region:
    hub: HubBrokerRun
    processes: HubProcesses
    holdings: HubHoldings
    sites: dict[str, LinkedSite]
    uplinks: dict[str, Uplink]
    web: str
    folder: Path
    database: str

    def assert_hub_holds_every_site_exactly(self) -> None:
        for site in self.sites.values():
            self.holdings.assert_holds_exactly(site)

    def running_hub(self) -> subprocess.Popen[bytes]:
        (process,) = [p for p in self.processes.processes if p.poll() is None]
        return process


def _linked_through_uplink(hub: HubBrokerRun, uplink: Uplink) -> HubBrokerRun:
    """The hub as the site reaches it: through its uplink's relay."""

    class Through(HubBrokerRun):
        def site_section(self, site: str, resend_seconds: float) -> str:
            text = super().site_section(site, resend_seconds)
            return text.replace(f"port = {hub.broker.port}\n", f"port = {uplink.port}\n")

    return Through(hub.report, hub.broker, hub.tls)


def _start_web(database: str, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    secret = folder / "web-secret"
    secret.write_text("test-secret-of-the-region\n")
    port = free_port()
    log = (folder / "web.log").open("ab")
    command = [sys.executable, "-m", "hub.web.serve", "--database", database]
    command += ["--secret-file", str(secret), "--host", LOCALHOST, "--port", str(port)]
    command += ["--silent-after-minutes", str(SILENT_AFTER_S / 60)]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    base = f"http://{LOCALHOST}:{port}"
    wait_until(lambda: _answers(base) or process.poll() is not None, 20.0, "antre-hub-web")
    assert process.poll() is None, (folder / "web.log").read_text()
    return process, base


@pytest.fixture(scope="module")
def region(pg_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Region]:
    folder = tmp_path_factory.mktemp("region")
    database = pg_server.create_database()
    hub = start_hub_broker(folder / "hub", ("smd", "bpn", "skw"), remembered=False)
    processes = HubProcesses(hub, database, folder)
    sites: dict[str, LinkedSite] = {}
    uplinks: dict[str, Uplink] = {}
    web: subprocess.Popen[bytes] | None = None
    try:
        processes.start("hub-1")
        with connect(database) as connection:
            create_account(connection, "rina", "Rina", Role.REGION, PASSWORD, None)
        web, base = _start_web(database, folder)
        for site_id, name in SITES.items():
            uplink = uplinks[site_id] = Uplink(hub.broker.port)
            uplink.start()
            through = _linked_through_uplink(hub, uplink)
            site = start_linked_site(folder / site_id, through, site_id, name, remembered=False)
            sites[site_id] = site
            site.start_central()
        yield Region(hub, processes, HubHoldings(database), sites, uplinks, base, folder, database)
    finally:
        for site in sites.values():
            site.stop()
        for uplink in uplinks.values():
            uplink.close()
        if web is not None:
            web.terminate()
            web.wait(10)
        processes.stop_all()
        hub.broker.stop()


def _answers(base: str) -> bool:
    try:
        return Browsing(base).get("/login")[0] == 200
    except OSError:
        return False


def _region_row(base: str, site: str) -> str:
    visitor = Browsing(base)
    fields = {"username": "rina", "password": PASSWORD, "csrf_token": visitor.csrf()}
    assert visitor.post("/login", fields)[0] == 200
    status, page = visitor.get("/region")
    assert status == 200
    return page.split(f'data-site="{site}"')[1].split("</tr>")[0]


def test_a_cut_uplink_shows_on_the_region_page_and_the_hub_catches_up(region: Region) -> None:
    smd, bpn = region.sites["smd"], region.sites["bpn"]
    # GIVEN two sites serving, everything they did held by the hub
    smd.issue(3)
    bpn.issue(2)
    region.assert_hub_holds_every_site_exactly()
    assert SILENT not in _region_row(region.web, "smd")
    # WHEN Samarinda's uplink is cut while it issues and calls
    region.uplinks["smd"].cut()
    acked_at_cut = region.holdings.acked("smd")
    smd.issue(6)
    smd.call(4)
    # THEN it served all along, and once it has been silent a while, the region page says
    # since when, while Balikpapan (still heard) does not
    time.sleep(SILENT_AFTER_S)
    bpn.issue(1)
    region.holdings.wait_for_all(bpn)
    assert SILENT in _region_row(region.web, "smd")
    assert SILENT not in _region_row(region.web, "bpn")
    assert region.holdings.acked("smd") == acked_at_cut < len(smd.stream())
    # WHEN the uplink comes back
    region.uplinks["smd"].restore()
    # THEN the hub catches up: every (site, seq) once, the hub's counts the site's, and
    # the site is heard from again
    region.assert_hub_holds_every_site_exactly()
    assert SILENT not in _region_row(region.web, "smd")
    assert smd.event_counts()["called"] >= 4


def test_the_hub_killed_mid_ingest_loses_and_doubles_nothing(
    region: Region, tmp_path: Path
) -> None:
    # GIVEN a third site joining with 2,000 tickets of history (ten batches)
    hub = region.hub
    skw = start_linked_site(tmp_path / "skw", hub, "skw", "MPP Samarinda Kota")
    try:
        store = SqliteStore(skw.db)
        morning = dt.datetime.fromisoformat(MONDAY_MORNING)
        queue = QueueService(skw.provisioned.site, store, lambda: morning)
        for n in range(2000):
            prefix = "DEFG"[n % 4]
            queue.run(lambda engine, now: engine.issue(prefix, now))  # noqa: B023 (at once)
        store.close()
        skw.start_central()
        # WHEN the hub is killed (-9) once it has stored part of it, and started again
        wait_until(lambda: region.holdings.acked("skw") > 0, CATCH_UP, "skw's first batch")
        killed = region.running_hub()
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        # (mid-ingest: the hub did not hold all of it yet)
        assert region.holdings.acked("skw") < len(skw.stream())
        region.processes.start("hub-2")
        # THEN the site's resends fill what the kill lost: each record once
        records = region.holdings.assert_holds_exactly(skw)
        assert len(records) == 2000 + 1
    finally:
        skw.stop()
    region.assert_hub_holds_every_site_exactly()


def test_postgresql_restarted_while_the_site_sends_loses_nothing(
    region: Region, pg_server: PostgresServer
) -> None:
    smd = region.sites["smd"]
    # GIVEN a site serving a steady stream of citizens
    serving = threading.Thread(target=smd.issue, args=(20,))
    serving.start()
    try:
        # WHEN PostgreSQL restarts in the middle
        first = len(smd.stream())
        wait_until(lambda: len(smd.stream()) > first + 5, CATCH_UP, "the first tickets")
        pg_server.pg_ctl("restart")
    finally:
        serving.join()
    # THEN the hub waited it out and holds everything, once
    region.assert_hub_holds_every_site_exactly()
    assert region.running_hub().poll() is None


def test_a_batch_the_hub_broker_took_but_nobody_stored_comes_again(
    region: Region, mqtt_clients: MqttClients
) -> None:
    bpn = region.sites["bpn"]
    region.assert_hub_holds_every_site_exactly()
    before = region.holdings.acked("bpn")
    resends = bpn.central.log().count("sending again")
    # GIVEN no antre-hub running: the shared subscription has no member, so the hub
    # broker accepts a batch and hands it to nobody (a tap, as the hub's user, sees it)
    region.processes.stop_all()
    tap = RecordsTap(mqtt_clients, region.hub, "bpn")
    # WHEN the site sends records meanwhile
    bpn.issue(3)
    wait_until(lambda: any(s > before for s in tap.take()), CATCH_UP, "the batch at the hub")
    assert region.holdings.acked("bpn") == before
    # AND antre-hub is back
    region.processes.start("hub-3")
    # THEN the acknowledgement stayed where it was until the site sent again from it
    wait_until(
        lambda: bpn.central.log().count("sending again") > resends,
        CATCH_UP + 4 * RESEND_SECONDS,
        "the site sending again from the hub's acknowledgement",
    )
    region.assert_hub_holds_every_site_exactly()
    assert region.holdings.acked("bpn") == before + 3


def test_two_hub_processes_ingest_two_sites_at_once(region: Region) -> None:
    # GIVEN two antre-hub processes sharing the records
    region.processes.start("hub-4")
    # WHEN both sites issue and call at once
    work = [threading.Thread(target=site.issue, args=(12,)) for site in region.sites.values()] + [
        threading.Thread(target=site.call, args=(3,)) for site in region.sites.values()
    ]
    for thread in work:
        thread.start()
    for thread in work:
        thread.join()
    # THEN every record of both sites is held once and counted once, by both processes alive
    region.assert_hub_holds_every_site_exactly()
    running = [p for p in region.processes.processes if p.poll() is None]
    assert len(running) == 2
    assert "refused" not in region.processes.log("hub-3") + region.processes.log("hub-4")
