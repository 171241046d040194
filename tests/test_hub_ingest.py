"""`antre-hub` processes between a real Mosquitto (the hub's own config) and PostgreSQL."""

from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass

import psycopg
import pytest

from contract.hub_stream import RecordBatch
from hub.ingest import SUBSCRIBED_LINE
from tests.broker_fixtures import ConnectRefused, MqttClients, connect, wait_until
from tests.hub_fixtures import PROCESS_WAIT, HubBrokerRun, HubProcesses, SiteSender
from tests.hub_records import batch, called, issued, numbered_events
from tests.pg_fixtures import PostgresServer


@dataclass(frozen=True)
class Ingest:
    """The hub's Mosquitto, its `antre-hub` processes and its database, as a test drives them."""

    broker: HubBrokerRun
    processes: HubProcesses
    clients: MqttClients
    database: str

    def site(self, name: str) -> SiteSender:
        return SiteSender(self.clients, self.broker, name)

    def count(self, sql: str) -> int:
        """The first column of the one row `sql` answers."""
        with psycopg.connect(self.database) as connection:
            row = connection.execute(sql).fetchone()
        assert row is not None
        return int(row[0])

    def records(self) -> int:
        return self.count("SELECT count(*) FROM records")


@pytest.fixture
def ingest(
    hub_broker: HubBrokerRun,
    hub_processes: HubProcesses,
    mqtt_clients: MqttClients,
    pg_database: str,
) -> Ingest:
    return Ingest(hub_broker, hub_processes, mqtt_clients, pg_database)


def batches_of(site: str, total: int, size: int) -> list[RecordBatch]:
    return [
        numbered_events(site, first, min(first + size - 1, total))
        for first in range(1, total + 1, size)
    ]


def test_a_batch_is_stored_once_and_acknowledged(ingest: Ingest) -> None:
    # GIVEN a hub process and a site
    ingest.processes.start()
    site = ingest.site("smd")
    # WHEN the site sends a batch twice
    site.send_until_acked([numbered_events("smd", 1, 5)])
    site.publish(numbered_events("smd", 1, 5))
    site.publish(batch("smd", issued(6, "A006")))
    site.wait_acked(6)
    # THEN each record is held once
    assert ingest.records() == 6
    assert ingest.count("SELECT sum(issued) FROM service_hours") == 6


def test_a_gap_holds_the_ack_until_filled(ingest: Ingest) -> None:
    ingest.processes.start()
    site = ingest.site("smd")
    site.publish(numbered_events("smd", 1, 2))
    site.wait_acked(2)
    # WHEN 5-6 arrive before 3-4 THEN the ack waits at 2 (both later batches stored)
    site.publish(numbered_events("smd", 5, 6))
    wait_until(lambda: ingest.records() == 4, PROCESS_WAIT, "5-6")
    assert site.acked == 2
    site.publish(numbered_events("smd", 3, 4))
    site.wait_acked(6)


def test_malformed_and_wrong_site_batches_are_refused_and_the_process_lives(ingest: Ingest) -> None:
    process = ingest.processes.start()
    site = ingest.site("smd")
    # WHEN a site sends garbage with control characters, then another site's batch
    site.publish_raw(b"{not json\n\x1b[31mALERT forged")
    site.publish(numbered_events("bpn", 1, 1))
    # and a batch with a value PostgreSQL cannot hold (a NUL character in a text)
    site.publish(batch("smd", issued(1, "A\x00001")))
    # THEN all three are refused, logged on one line each, and the next good batch is stored
    site.send_until_acked([numbered_events("smd", 1, 1)])
    assert process.poll() is None
    assert ingest.count("SELECT count(*) FROM records WHERE site = 'bpn'") == 0
    log = ingest.processes.log()
    assert "malformed batch" in log
    assert "batch of site 'bpn' on the topic of 'smd'" in log
    assert "NUL" in log
    assert log.count("refused a batch") == 3
    # the forged line stays inside the refusal's one line
    assert "\x1b" not in log
    assert not any(line.startswith("ALERT") for line in log.splitlines())


def test_the_acl_keeps_each_site_to_its_own_topics(
    hub_broker: HubBrokerRun, mqtt_clients: MqttClients
) -> None:
    # GIVEN site A's credentials
    creds = hub_broker.report.credentials
    spy = mqtt_clients(creds["antre-hub"])
    spy.subscribe("antre-hub/v1/+/records", qos=1)
    a = SiteSender(mqtt_clients, hub_broker, "smd")
    b = SiteSender(mqtt_clients, hub_broker, "bpn")
    # WHEN A publishes on B's records topic THEN the hub never receives it
    a.client.publish(b.topics.records, b"forged", qos=1).wait_for_publish(5)
    # and WHEN the hub writes B's ack THEN A does not read it
    spy.publish(b.topics.acked, b'{"site":"bpn","up_to":3}', qos=1, retain=True).wait_for_publish(5)
    b.wait_acked(3, timeout=5)
    a_reader = mqtt_clients(creds["site-smd"])
    a_reader.subscribe(b.topics.acked, qos=1)
    a.publish_raw(b"own", a.topics.records)
    wait_until(lambda: spy.messages.qsize() >= 1, 5, "A's own record at the hub")
    assert [m.topic for m in list(spy.messages.queue)] == [a.topics.records]
    assert a_reader.messages.empty()
    # and an unknown user is refused
    with pytest.raises(ConnectRefused):
        connect(creds["site-smd"], password="wrong")


def test_killed_hub_restarted_loses_and_doubles_nothing(ingest: Ingest) -> None:
    process = ingest.processes.start()
    site = ingest.site("smd")
    site.publish(numbered_events("smd", 1, 1))
    site.wait_acked(1)
    batches = batches_of("smd", 2000, 50)
    # WHEN the hub is killed (-9) while the batches pour in, and started again
    sender = threading.Thread(target=site.publish_all, args=(batches,))
    sender.start()
    wait_until(lambda: ingest.records() > 100, PROCESS_WAIT, "some")
    process.send_signal(signal.SIGKILL)
    process.wait()
    # (it was killed mid-ingest: not everything was stored yet)
    assert ingest.records() < 2000
    sender.join()
    ingest.processes.start("hub-2")
    site.send_until_acked(batches)
    # THEN every seq is held exactly once and counted once
    assert ingest.records() == 2000
    assert ingest.count("SELECT sum(issued) FROM service_hours") == 2000
    assert ingest.count("SELECT sum(waiting) FROM waiting_now") == 2000


def test_postgres_restarted_while_ingesting_loses_nothing(
    ingest: Ingest, pg_server: PostgresServer
) -> None:
    process = ingest.processes.start()
    site = ingest.site("bpn")
    site.send_until_acked([numbered_events("bpn", 1, 1)])
    batches = batches_of("bpn", 1000, 50)
    # WHEN PostgreSQL restarts while batches arrive
    sender = threading.Thread(target=site.publish_all, args=(batches,))
    sender.start()
    pg_server.pg_ctl("restart")
    sender.join()
    # THEN the hub lives, resumes, and holds every record once
    site.send_until_acked(batches)
    assert process.poll() is None
    assert ingest.records() == 1000
    assert ingest.count("SELECT sum(issued) FROM service_hours") == 1000


def test_two_hub_processes_ingest_at_once(ingest: Ingest) -> None:
    # GIVEN two hub processes sharing the subscription
    ingest.processes.start("hub-1")
    ingest.processes.start("hub-2")
    sites = [ingest.site(name) for name in ("smd", "bpn", "skw")]
    # wait until both have subscribed: a first batch each is acked
    for site in sites:
        site.send_until_acked([batch(site.site, issued(1, "A001"), called(2, "A001", 7))])
    # WHEN three sites send 600 records each, in small batches, overlapping the first
    threads = [
        threading.Thread(target=site.send_until_acked, args=(batches_of(site.site, 600, 10),))
        for site in sites
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN every record is held once and counted once (seq 1 and 2 were sent first)
    assert ingest.records() == 3 * 600
    assert ingest.count("SELECT sum(issued) FROM service_hours") == 3 * 599
    assert ingest.count("SELECT sum(called) FROM service_hours") == 3
    assert "refused" not in ingest.processes.log("hub-1") + ingest.processes.log("hub-2")


def test_while_postgres_is_down_nothing_is_acked_and_the_outage_is_logged_once(
    ingest: Ingest, pg_server: PostgresServer
) -> None:
    # GIVEN a hub that stored seq 1
    process = ingest.processes.start()
    site = ingest.site("skw")
    site.send_until_acked([numbered_events("skw", 1, 1)])
    # WHEN PostgreSQL is down and batches arrive
    pg_server.pg_ctl("stop")
    try:
        site.publish_all([numbered_events("skw", 2, 3), numbered_events("skw", 4, 5)])
        wait_until(
            lambda: "PostgreSQL unreachable" in ingest.processes.log(), PROCESS_WAIT, "the outage"
        )
        time.sleep(2)  # several retries
        # THEN nothing is acknowledged, the process lives, and the outage is logged once
        assert site.acked == 1
        assert process.poll() is None
        assert ingest.processes.log().count("PostgreSQL unreachable") == 1
    finally:
        pg_server.pg_ctl("start")
    # WHEN it is back THEN the held batches are stored and acknowledged
    site.wait_acked(5)
    assert "PostgreSQL reachable again" in ingest.processes.log()
    assert ingest.records() == 5


def test_a_hub_started_before_postgres_waits_for_it(
    ingest: Ingest, pg_server: PostgresServer
) -> None:
    # GIVEN PostgreSQL down when the hub starts
    pg_server.pg_ctl("stop")
    try:
        process = ingest.processes.start()
        site = ingest.site("smd")
        site.publish(numbered_events("smd", 1, 3))
        wait_until(
            lambda: "PostgreSQL unreachable" in ingest.processes.log(), PROCESS_WAIT, "the outage"
        )
        assert process.poll() is None
    finally:
        pg_server.pg_ctl("start")
    # WHEN PostgreSQL comes up THEN the hub migrates, stores and acknowledges
    site.wait_acked(3)
    assert ingest.records() == 3


def test_a_hub_started_before_its_mosquitto_waits_for_it(ingest: Ingest) -> None:
    # GIVEN the hub's Mosquitto down when antre-hub starts (a region's machine booting)
    ingest.broker.broker.stop()
    try:
        process = ingest.processes.start(subscribed=False)
        wait_until(
            lambda: "is unreachable: trying again" in ingest.processes.log(),
            PROCESS_WAIT,
            "the hub to say its Mosquitto is unreachable",
        )
        # THEN it lives on, trying, and says so once
        time.sleep(2.5)
        assert process.poll() is None, ingest.processes.log()
        assert ingest.processes.log().count("is unreachable") == 1
    finally:
        ingest.broker.broker.start()
    # WHEN Mosquitto is up THEN the hub subscribes and stores what a site sends
    wait_until(
        lambda: SUBSCRIBED_LINE in ingest.processes.log(), 2 * PROCESS_WAIT, "the subscription"
    )
    site = ingest.site("smd")
    site.send_until_acked([numbered_events("smd", 1, 3)])
    assert ingest.records() == 3
