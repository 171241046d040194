"""A real site linked to a real hub, and what each of them holds, for the hub's end-to-end tests.

The site is the example site under another id: its Mosquitto from antre-provision with
the bridge to the hub broker (TLS, the credential file antre-hub-provision wrote), and
the real central as a process. The hub side is `tests.hub_fixtures` (its Mosquitto from
antre-hub-provision, antre-hub processes) on `tests.pg_fixtures`' PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from broker.hub_link.stream import HubStream
from broker.mosquitto_runner import MosquittoRunner
from broker.provision import provision
from contract.hub_stream import HubTopics, Record, RecordBatch, RecordBody
from contract.messages import Answer, CounterCommand, decode, encode
from contract.site_loader import load_site
from hub.broker_setup import HUB_USER
from hub.store.connect import connect
from local_region.region import site_file_text
from tests.broker_fixtures import (
    EXAMPLE_SITE,
    LOCALHOST,
    Mosquitto,
    MqttClients,
    Provisioned,
    free_port,
)
from tests.broker_fixtures import wait_until as wait_until
from tests.central_fixtures import CentralProcess, Device, Kiosk, wait_for_state
from tests.hub_fixtures import HubBrokerRun

# Short, so a lost batch is sent again within a test's patience.
RESEND_SECONDS = 2.0
# Everything arrives well within this; a link coming back waits for the bridge's retry.
CATCH_UP = 60.0
# Service B (150 a day) and a counter that serves it (examples/samarinda/site.toml).
SERVICE = "B"
COUNTER = 3


@dataclass
class LinkedSite:
    """One site: its files, its Mosquitto (with the bridge) and its central."""

    site_id: str
    provisioned: Provisioned
    broker: MosquittoRunner
    central: CentralProcess
    _request_numbers: list[int] = field(default_factory=lambda: [0])

    @property
    def db(self) -> Path:
        return self.central.db

    def start_central(self) -> None:
        self.central.start()
        wait_for_state(self.provisioned, lambda state: True)

    def stop(self) -> None:
        self.central.kill()
        self.broker.stop()

    def stream(self) -> list[Record]:
        """Every record the central numbered, read from its file."""
        stream = HubStream(self.db)
        try:
            return stream.records(0, stream.last_seq())
        finally:
            stream.close()

    def issue(self, count: int, service: str = SERVICE) -> None:
        """`count` tickets asked at a kiosk over MQTT, each answered before the next."""
        kiosk = Kiosk(self.provisioned, "kiosk-1")
        try:
            for _ in range(count):
                self._request_numbers[0] += 1
                answer = kiosk.ask(f"t-{self._request_numbers[0]}", service)
                assert answer.ok, answer
        finally:
            kiosk.close()

    def call(self, count: int, counter: int = COUNTER) -> None:
        """The counter's clerk presses "call next" `count` times."""
        topics = self.provisioned.topics
        device = Device(self.provisioned, f"counter-{counter}", [topics.counter_answer(counter)])
        try:
            for _ in range(count):
                self._request_numbers[0] += 1
                request = f"c-{self._request_numbers[0]}"
                command = CounterCommand(id=request, action="call_next")
                device.client.publish(topics.counter_command(counter), encode(command), qos=1)
                raw = device.wait_for(
                    topics.counter_answer(counter),
                    lambda p: decode(p, Answer).id == request,  # noqa: B023 (at once)
                )
                assert decode(raw, Answer).ok, raw
        finally:
            device.close()

    def event_counts(self) -> dict[str, int]:
        """How many events of each kind the site's own history holds."""
        connection = sqlite3.connect(self.db)
        try:
            rows = connection.execute("SELECT kind, count(*) FROM events GROUP BY kind")
            return {kind: int(n) for kind, n in rows.fetchall()}
        finally:
            connection.close()


def start_linked_site(
    folder: Path,
    hub: HubBrokerRun,
    site_id: str,
    name: str,
    *,
    remembered: bool = True,
    resend_seconds: float = RESEND_SECONDS,
) -> LinkedSite:
    """Provisions the site with its `[hub]` section, starts its Mosquitto (the bridge
    with it); the central is started by the caller (`start_central`)."""
    folder.mkdir(parents=True)
    site_file = folder / "site.toml"
    example = EXAMPLE_SITE.read_text(encoding="utf-8")
    section = hub.site_section(site_id, resend_seconds)
    site_file.write_text(site_file_text(example, site_id, name, section))
    site = load_site(site_file)
    port = free_port()
    report = provision(site, folder / "central", port=port, bind_address=LOCALHOST)
    provisioned = Provisioned(site, report.directory, port, report.credentials)
    runner = Mosquitto if remembered else MosquittoRunner
    broker = runner(provisioned.conf, port, provisioned.directory)
    broker.start()
    central = CentralProcess(provisioned, folder / "antre.sqlite3", site_file=site_file)
    return LinkedSite(site_id, provisioned, broker, central)


# -- what the hub holds ----------------------------------------------------------------------


class HubHoldings:
    """What the hub's PostgreSQL holds of a site, read with a connection of its own."""

    def __init__(self, database: str) -> None:
        self.database = database

    def _rows(self, query: str, site: str) -> list[tuple[object, ...]]:
        # Migrated here too (under the hub's advisory lock): antre-hub may not have yet.
        with connect(self.database) as connection:
            return connection.execute(query, (site,)).fetchall()

    def records(self, site: str) -> list[Record]:
        """Every record held of the site, by sequence (a duplicate would show twice)."""
        rows = self._rows("SELECT seq, body FROM records WHERE site = %s ORDER BY seq", site)
        return [
            Record(seq=msgspec.convert(seq, int), body=msgspec.convert(body, type=RecordBody))
            for seq, body in rows
        ]

    def acked(self, site: str) -> int:
        rows = self._rows("SELECT acked_up_to FROM sites WHERE id = %s", site)
        return int(rows[0][0]) if rows else 0  # type: ignore[call-overload]

    def counts(self, site: str) -> dict[str, int]:
        """Tickets issued and called, from the hub's roll-ups (what its pages read)."""
        rows = self._rows(
            "SELECT coalesce(sum(issued), 0), coalesce(sum(called), 0) FROM service_hours "
            "WHERE site = %s",
            site,
        )
        issued, called = rows[0]
        return {"issued": int(issued), "called": int(called)}  # type: ignore[call-overload]

    def wait_for_all(self, site: LinkedSite, timeout: float = CATCH_UP) -> list[Record]:
        """Waits until the hub acknowledges every record the site numbered; returns them."""
        records = site.stream()
        wait_until(
            lambda: self.acked(site.site_id) >= len(records),
            timeout,
            f"the hub acknowledging {site.site_id}'s {len(records)} records "
            f"(acknowledged {self.acked(site.site_id)})",
        )
        return records

    def assert_holds_exactly(self, site: LinkedSite) -> list[Record]:
        """Every record of the site once, in order, and the roll-ups count what the site did."""
        records = self.wait_for_all(site)
        # The central may number one more record (a device's state) meanwhile: settle.
        while len(site.stream()) > len(records):
            records = self.wait_for_all(site)
        assert self.records(site.site_id) == records
        assert [r.seq for r in records] == list(range(1, len(records) + 1))
        done = site.event_counts()
        assert self.counts(site.site_id) == {
            "issued": done.get("issued", 0),
            "called": done.get("called", 0),
        }
        return records


class RecordsTap:
    """Listens on the hub broker, as the hub's user, to one site's records: which batches
    arrived. Not a shared subscription, so it takes nothing from antre-hub's share."""

    def __init__(self, clients: MqttClients, hub: HubBrokerRun, site: str) -> None:
        self.client = clients(hub.report.credentials[HUB_USER])
        self.client.subscribe_and_wait(HubTopics(site).records)
        self.batch_starts: list[int] = []

    def take(self) -> list[int]:
        """The first seq of every batch seen so far (resends included), in order."""
        for message in self.client.received_so_far():
            batch = msgspec.json.decode(message.payload, type=RecordBatch)
            self.batch_starts.append(batch.records[0].seq)
        return self.batch_starts
