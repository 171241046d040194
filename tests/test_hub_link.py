"""The site's link to the hub, all real: the central, the site's Mosquitto with the bridge
antre-provision generates, TLS to the hub's Mosquitto from antre-hub-provision (the site
reading the credential file it wrote, as is), and antre-hub storing into PostgreSQL.
The faults (uplink cut, hub killed, PostgreSQL restarted, a batch dropped, two hub
processes) are in tests/test_hub_region.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest

from broker.queue_service import QueueService
from broker.store.sqlite_store import SqliteStore
from contract.hub_stream import Acked, HubTopics, QueueEvent
from hub.broker_setup import HUB_USER
from tests.broker_fixtures import MqttClients, wait_until
from tests.central_fixtures import MONDAY_MORNING
from tests.hub_fixtures import HubBrokerRun, HubProcesses
from tests.linked_site import CATCH_UP, HubHoldings, LinkedSite, RecordsTap, start_linked_site

SITE = "smd"
# Services of the example site with no daily quota.
UNLIMITED = ["D", "E", "F", "G"]


@dataclass
class Linked:
    site: LinkedSite
    hub: HubBrokerRun
    holdings: HubHoldings
    tap: RecordsTap


@pytest.fixture
def linked(
    tmp_path: Path,
    hub_broker: HubBrokerRun,
    hub_processes: HubProcesses,
    pg_database: str,
    mqtt_clients: MqttClients,
) -> Iterator[Linked]:
    hub_processes.start()
    site = start_linked_site(tmp_path / "site", hub_broker, SITE, "MPP Samarinda")
    try:
        yield Linked(
            site, hub_broker, HubHoldings(pg_database), RecordsTap(mqtt_clients, hub_broker, SITE)
        )
    finally:
        site.stop()


def test_a_sites_history_and_what_it_serves_reach_the_hub_in_order(linked: Linked) -> None:
    # GIVEN a site with 450 tickets of history before it joined the hub (three batches)
    store = SqliteStore(linked.site.db)
    morning = dt.datetime.fromisoformat(MONDAY_MORNING)
    queue = QueueService(linked.site.provisioned.site, store, lambda: morning)
    for n in range(450):
        prefix = UNLIMITED[n % len(UNLIMITED)]
        queue.run(lambda engine, now: engine.issue(prefix, now))  # noqa: B023 (run at once)
    store.close()
    # WHEN its central starts, linked to the hub, and serves more
    linked.site.start_central()
    linked.site.issue(5)
    # THEN PostgreSQL holds every record the central numbered, once, in order, and the
    # hub's counts are the site's
    records = linked.holdings.assert_holds_exactly(linked.site)
    assert len(records) == 450 + 5 + 1  # the tickets and the site's settings
    numbers = [r.body.number for r in records if isinstance(r.body, QueueEvent)]
    assert numbers[:3] == ["D001", "E001", "F001"]
    # AND the history crossed the bridge in more than one batch
    assert len(set(linked.tap.take())) >= 3


def test_a_restarted_central_goes_on_from_the_hubs_acknowledgement(linked: Linked) -> None:
    # GIVEN a linked site whose records the hub holds, up to N
    linked.site.start_central()
    linked.site.issue(4)
    acknowledged = len(linked.holdings.wait_for_all(linked.site))
    # WHEN the central restarts and serves on
    assert linked.site.central.stop() == 0
    linked.tap.take().clear()
    linked.site.start_central()
    linked.site.issue(3)
    records = linked.holdings.assert_holds_exactly(linked.site)
    # THEN it sent only what came after N, taken from the hub's retained acknowledgement
    assert len(records) == acknowledged + 3
    assert min(linked.tap.take()) == acknowledged + 1


def test_a_bad_acknowledgement_is_dropped_and_sending_goes_on(
    linked: Linked, mqtt_clients: MqttClients
) -> None:
    # GIVEN a linked site
    linked.site.start_central()
    linked.site.issue(2)
    linked.holdings.wait_for_all(linked.site)
    # WHEN a client with the hub's own login sends garbage, and an acknowledgement naming
    # another site, on this site's acked topic of the hub broker
    hub_user = mqtt_clients(linked.hub.report.credentials[HUB_USER])
    acked_topic = HubTopics(SITE).acked
    for payload in (b"not json", msgspec.json.encode(Acked(site="bpn", up_to=10**6))):
        hub_user.publish_and_wait(acked_topic, payload)
    linked.site.issue(3)
    # THEN the central says what it dropped and the hub still gets everything
    linked.holdings.assert_holds_exactly(linked.site)
    wait_until(
        lambda: "dropped an acknowledgement for site 'bpn'" in linked.site.central.log(),
        CATCH_UP,
        "the central's word on the foreign acknowledgement",
    )
    assert "dropped an unreadable acknowledgement" in linked.site.central.log()
    assert linked.site.central.is_running()
