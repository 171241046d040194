"""The site's link to the hub, all real: the central, the site's Mosquitto with the bridge
antre-provision generates, TLS to a second Mosquitto playing the hub's broker
(tests/hub_broker_fixture.py), and a stand-in for the hub's ingest (tests/hub_peer.py)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest

from broker.hub_link.stream import HubStream
from broker.provision import provision
from broker.queue_service import QueueService
from broker.store.sqlite_store import SqliteStore
from contract.hub_stream import Acked, HubTopics, QueueEvent, Record
from contract.site_loader import load_site
from tests.broker_fixtures import (
    EXAMPLE_SITE,
    LOCALHOST,
    Mosquitto,
    Provisioned,
    free_port,
    wait_until,
)
from tests.central_fixtures import MONDAY_MORNING, CentralProcess, Kiosk, wait_for_state
from tests.hub_broker_fixture import HubBroker, start_hub_broker
from tests.hub_peer import HubPeer

SITE = "samarinda"
# Short, so a lost batch is sent again within the test's patience.
RESEND_SECONDS = 2.0
# Everything arrives well within this; a link coming back waits for the bridge's retry.
CATCH_UP = 60.0
# Services of the example site with no daily quota.
UNLIMITED = ["D", "E", "F", "G"]


@dataclass
class HubSite:
    """One site linked to the hub: its files, its broker, its central, the hub's side."""

    provisioned: Provisioned
    site_broker: Mosquitto
    hub: HubBroker
    peer: HubPeer
    central: CentralProcess

    @property
    def db(self) -> Path:
        return self.central.db

    def stream(self) -> list[Record]:
        """Every record the central numbered, read from its file."""
        stream = HubStream(self.db)
        try:
            return stream.records(0, stream.last_seq())
        finally:
            stream.close()

    def wait_all_acknowledged(self, timeout: float = CATCH_UP) -> list[Record]:
        records = self.stream()
        self.peer.wait_acked(SITE, len(records), timeout)
        return records

    def start_central(self) -> None:
        self.central.start()
        wait_for_state(self.provisioned, lambda state: True)


@pytest.fixture
def hub_site(tmp_path: Path) -> Iterator[HubSite]:
    hub = start_hub_broker(tmp_path / "hub", SITE)
    site_file = tmp_path / "site.toml"
    site_file.write_text(
        EXAMPLE_SITE.read_text(encoding="utf-8") + hub.site_section(RESEND_SECONDS)
    )
    site = load_site(site_file)
    port = free_port()
    report = provision(site, tmp_path / "central", port=port, bind_address=LOCALHOST)
    provisioned = Provisioned(site, report.directory, port, report.credentials)
    site_broker = Mosquitto(provisioned.conf, port, provisioned.directory)
    site_broker.start()
    peer = HubPeer(hub)
    central = CentralProcess(provisioned, tmp_path / "antre.sqlite3", site_file=site_file)
    try:
        yield HubSite(provisioned, site_broker, hub, peer, central)
    finally:
        central.kill()
        peer.close()
        site_broker.stop()
        hub.broker.stop()


def issue_tickets(hub_site: HubSite, count: int, prefix: str = "run") -> None:
    kiosk = Kiosk(hub_site.provisioned, "kiosk-1")
    try:
        for n in range(count):
            answer = kiosk.ask(f"{prefix}-{n}", UNLIMITED[n % len(UNLIMITED)])
            assert answer.ok, answer
    finally:
        kiosk.close()


def test_a_sites_history_and_what_it_serves_reach_the_hub_in_order(hub_site: HubSite) -> None:
    # GIVEN a site with 450 tickets of history before it joined the hub (three batches)
    store = SqliteStore(hub_site.db)
    morning = dt.datetime.fromisoformat(MONDAY_MORNING)
    queue = QueueService(hub_site.provisioned.site, store, lambda: morning)
    for n in range(450):
        prefix = UNLIMITED[n % len(UNLIMITED)]
        queue.run(lambda engine, now: engine.issue(prefix, now))  # noqa: B023 (run at once)
    store.close()
    # WHEN its central starts, linked to the hub, and serves more
    hub_site.start_central()
    issue_tickets(hub_site, 5)
    # THEN the hub holds every record the central numbered, once, in order
    records = hub_site.wait_all_acknowledged()
    assert len(records) == 450 + 5 + 1  # the tickets and the site's settings
    assert hub_site.peer.stored(SITE) == records
    numbers = [r.body.number for r in records if isinstance(r.body, QueueEvent)]
    assert numbers[:3] == ["D001", "E001", "F001"]
    # AND the history went in more than one batch, none over the contract's limit
    assert len(hub_site.peer.batch_starts) >= 3


def test_a_batch_lost_on_the_way_is_sent_again_and_nothing_is_lost(hub_site: HubSite) -> None:
    # GIVEN a linked site whose records so far the hub holds
    hub_site.start_central()
    issue_tickets(hub_site, 3, "before")
    before = len(hub_site.wait_all_acknowledged())
    # WHEN the batch holding the next record is lost between the site and the hub
    hub_site.peer.drop_batch_containing(before + 1)
    issue_tickets(hub_site, 6, "after")
    # THEN it is sent again after the resend time, and the hub ends with everything, once
    records = hub_site.wait_all_acknowledged(timeout=10 * RESEND_SECONDS)
    assert hub_site.peer.dropped
    assert hub_site.peer.stored(SITE) == records
    assert len(records) == before + 6
    assert "sending again" in hub_site.central.log()


def test_a_restarted_central_goes_on_from_the_hubs_acknowledgement(hub_site: HubSite) -> None:
    # GIVEN a linked site whose records the hub holds, up to N
    hub_site.start_central()
    issue_tickets(hub_site, 4, "before")
    acknowledged = len(hub_site.wait_all_acknowledged())
    # WHEN the central restarts and serves on
    assert hub_site.central.stop() == 0
    hub_site.peer.batch_starts.clear()
    hub_site.start_central()
    issue_tickets(hub_site, 3, "after")
    records = hub_site.wait_all_acknowledged()
    # THEN it sent only what came after N, taken from the hub's retained acknowledgement
    assert len(records) == acknowledged + 3
    assert min(hub_site.peer.batch_starts) == acknowledged + 1
    assert hub_site.peer.stored(SITE) == records


def test_an_uplink_cut_while_serving_loses_and_doubles_nothing(hub_site: HubSite) -> None:
    # GIVEN a linked site serving a steady stream of citizens
    hub_site.start_central()
    issue_tickets(hub_site, 2, "warm-up")
    hub_site.wait_all_acknowledged()
    serving = threading.Thread(target=issue_tickets, args=(hub_site, 30, "busy"))
    serving.start()
    try:
        # WHEN the uplink goes (the hub's broker stops) in the middle, and comes back
        wait_until(lambda: len(hub_site.stream()) > 8, CATCH_UP, "the first busy tickets")
        hub_site.hub.broker.stop()
        wait_until(lambda: len(hub_site.stream()) > 20, CATCH_UP, "tickets during the cut")
        held_during_cut = hub_site.peer.acked[SITE]
        hub_site.hub.broker.start()
    finally:
        serving.join()
    # THEN the central served all along, and the hub catches up with every record once
    records = hub_site.wait_all_acknowledged()
    assert len(records) == 1 + 2 + 30
    assert held_during_cut < len(records)
    assert hub_site.peer.stored(SITE) == records
    assert [r.seq for r in hub_site.peer.stored(SITE)] == list(range(1, len(records) + 1))


def test_a_bad_acknowledgement_is_dropped_and_sending_goes_on(hub_site: HubSite) -> None:
    # GIVEN a linked site
    hub_site.start_central()
    issue_tickets(hub_site, 2, "before")
    hub_site.wait_all_acknowledged()
    # WHEN the hub's side sends garbage, and an acknowledgement naming another site, on
    # this site's acked topic
    acked_topic = HubTopics(SITE).acked
    for payload in (b"not json", msgspec.json.encode(Acked(site="balikpapan", up_to=10**6))):
        hub_site.peer.client.publish(acked_topic, payload, qos=1).wait_for_publish(5)
    issue_tickets(hub_site, 3, "after")
    # THEN the central says what it dropped and the hub still gets everything
    records = hub_site.wait_all_acknowledged()
    assert hub_site.peer.stored(SITE) == records
    wait_until(
        lambda: "dropped an acknowledgement for site 'balikpapan'" in hub_site.central.log(),
        CATCH_UP,
        "the central's word on the foreign acknowledgement",
    )
    assert "dropped an unreadable acknowledgement" in hub_site.central.log()
    assert hub_site.central.is_running()
