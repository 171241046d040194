"""A central restored from an older backup never gives a number twice: before it gives
one, it learns the day's last numbers from what Mosquitto keeps (its last queue state,
the kiosks' statuses with their reserves) and numbers on after them."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from broker.engine.engine import QueueEngine, Refused
from broker.engine.tickets import parse_ticket_id
from broker.numbering import known_numbers
from broker.queue_service import QueueService
from broker.store.sqlite_store import SqliteStore
from contract.health import DeviceState, HealthKey
from contract.messages import DeviceStatus, QueueState, ServiceView
from contract.reasons import Reason
from contract.site import Site
from tests.broker_fixtures import MqttClients, Provisioned
from tests.central_fixtures import CentralProcess, Device, Kiosk, wait_for_state
from tests.conftest import MONDAY, at
from tests.kiosk_fixtures import RunningKiosk, ready

# -- end to end: back up, give numbers, restore, give again ---------------------------------


def _copy_database(db: Path, into: Path) -> None:
    """A consistent copy of the live file, as antre-backup takes it (SQLite's backup)."""
    source, target = sqlite3.connect(db), sqlite3.connect(into)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def _restore(central: CentralProcess, backup: Path) -> None:
    """The technician's restore: the (stopped) central's file replaced, started again."""
    for leftover in (Path(f"{central.db}-wal"), Path(f"{central.db}-shm")):
        leftover.unlink(missing_ok=True)
    central.db.write_bytes(backup.read_bytes())
    central.start()


def _retained_status_tells(provisioned: Provisioned, device: str, text: str) -> None:
    """Waits until Mosquitto keeps a status of `device` whose reserves mention `text`."""
    topic = provisioned.topics.status(device)
    reader = Device(provisioned, "central", [topic])
    try:
        reader.wait_for(topic, lambda payload: text in payload.decode())
    finally:
        reader.close()


def _reserved_up_to(kiosk: RunningKiosk) -> dict[str, int]:
    words = str(kiosk.app.health()[HealthKey.RESERVED_UP_TO]).split()
    found = {}
    for word in words:
        parsed = parse_ticket_id(word)
        assert parsed is not None, word
        found[parsed[1]] = parsed[2]
    return found


@pytest.mark.parametrize("state_kept", [True, False], ids=["state-kept", "state-gone"])
def test_a_restored_central_numbers_on_after_what_was_given_since_the_backup(
    state_kept: bool,
    provisioned: Provisioned,
    central: CentralProcess,
    start_kiosk: Callable[..., RunningKiosk],
    mqtt_clients: MqttClients,
    tmp_path: Path,
) -> None:
    desk = Kiosk(provisioned, "kiosk-2")
    given: list[str] = []
    try:
        # GIVEN a few tickets, then last night's (here: this morning's) backup
        given += [desk.ask(f"before-{n}", "A").ticket.number for n in range(3)]  # type: ignore[union-attr]
        backup = tmp_path / "backup.sqlite3"
        _copy_database(central.db, backup)
        # AND twenty tickets and a kiosk's reserves given after it
        given += [
            desk.ask(f"after-{n}", "AB"[n % 2]).ticket.number  # type: ignore[union-attr]
            for n in range(20)
        ]
        kiosk = start_kiosk()
        ready(kiosk)
        reserved = _reserved_up_to(kiosk)
        assert reserved["A"] > 13
        wait_for_state(
            provisioned,
            lambda s: (
                next(v.numbered_up_to for v in s.services if v.prefix == "A") == reserved["A"]
            ),
        )
        _retained_status_tells(provisioned, "kiosk-1", f"/A{reserved['A']:03d}")
        central.kill()
        if not state_kept:
            # (Mosquitto lost its retained messages too: only the kiosk's status is left.)
            clear = mqtt_clients(provisioned, "central")
            clear.publish(provisioned.topics.state, b"", qos=1, retain=True).wait_for_publish(5)
        # WHEN the central is restored from the backup and numbers are asked again
        _restore(central, backup)
        again = [desk.ask(f"again-{n}", "AB"[n % 2], give_up=60).ticket.number for n in range(6)]  # type: ignore[union-attr]
    finally:
        desk.close()
    # THEN no number given before is given again: it numbers on after the kiosk's reserves
    if state_kept:
        assert not set(again) & set(given), (again, given)
    for number in again:
        prefix, seq = number[0], int(number[1:])
        assert seq > reserved[prefix], (number, reserved)
    assert "numbering A goes on after" in central.log()


# -- the rule, without processes -------------------------------------------------------------


def _status(device: str, reserved: str) -> DeviceStatus:
    return DeviceStatus(
        device=device, state=DeviceState.ONLINE, health={HealthKey.RESERVED_UP_TO: reserved}
    )


def _state(day: dt.date, numbered: dict[str, int]) -> QueueState:
    services = [
        ServiceView(prefix=p, name=p, agency="x", waiting=0, numbered_up_to=n)
        for p, n in numbered.items()
    ]
    return QueueState(
        seq=1, site="s", day=day.isoformat(), at="", services=services, counters=[], recent=[]
    )


def test_the_highest_of_the_file_the_state_and_the_kiosks_reserves_counts() -> None:
    last = {"A": 3, "B": 0, "C": 9}
    state = _state(MONDAY, {"A": 23, "B": 11})
    statuses = [
        _status("kiosk-1", f"{MONDAY}/A026 {MONDAY}/B014"),
        _status("kiosk-2", f"{MONDAY}/A020"),
    ]
    assert known_numbers(MONDAY, last, state, statuses) == {"A": 26, "B": 14, "C": 9}


def test_another_days_state_and_reserves_and_garbage_count_for_nothing() -> None:
    yesterday = MONDAY - dt.timedelta(days=1)
    last = {"A": 3}
    state = _state(yesterday, {"A": 80})
    statuses = [
        _status("kiosk-1", f"{yesterday}/A090 {MONDAY}/Z050 nonsense {MONDAY}/A000"),
        DeviceStatus(
            device="kiosk-2", state=DeviceState.LOST, health={HealthKey.RESERVED_UP_TO: 7}
        ),
    ]
    assert known_numbers(MONDAY, last, state, statuses) == {"A": 3}


def test_a_kiosk_cannot_push_the_numbering_beyond_one_reserve(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A kiosk writes its own status: a reserve far beyond anything known is a lie or a bug.
    statuses = [_status("kiosk-1", f"{MONDAY}/A999999 {MONDAY}/B012")]
    assert known_numbers(MONDAY, {"A": 10, "B": 10}, None, statuses) == {"A": 10, "B": 12}
    assert "ignored kiosk-1's reserve" in caplog.text


def test_numbering_held_gives_no_number_and_resumes_after_what_is_known(
    example_site: Site, tmp_path: Path
) -> None:
    store = SqliteStore(tmp_path / "antre.sqlite3")
    service = QueueService(example_site, store, lambda: at(9))
    service.run(lambda engine, now: engine.issue("A", now))
    # WHEN the numbering is held: issue and reserve are refused, calls go on
    service.hold_numbering()
    for ask in (
        lambda engine, now: engine.issue("A", now),
        lambda engine, now: engine.reserve("A", 3, now, actor="kiosk-1"),
    ):
        with pytest.raises(Refused) as refused:
            service.run(ask)
        assert refused.value.reason is Reason.UNAVAILABLE
    service.run(lambda engine, now: engine.call_next(1, now))
    # AND it resumes after A040 (a restore learned it), never backwards for B
    assert service.resume_numbering({"A": 40, "B": 0}) == {"A": 40}
    ticket = service.run(lambda engine, now: engine.issue("A", now)).ticket
    assert ticket is not None
    assert ticket.number == "A041"
    store.close()
    # THEN a restart numbers on after it too: the floor is in the file
    store = SqliteStore(tmp_path / "antre.sqlite3")
    again = QueueService(example_site, store, lambda: at(10))
    assert again.read(lambda engine: engine.last_number("A")) == 41
    ticket = again.run(lambda engine, now: engine.issue("A", now)).ticket
    assert ticket is not None
    assert ticket.number == "A042"
    store.close()


def test_number_after_only_ever_raises(example_site: Site) -> None:
    engine = QueueEngine(example_site, MONDAY)
    engine.apply(engine.issue("A", at(9)).events)
    assert engine.number_after({"A": 0, "B": 5, "NOPE": 9}) == {"B": 5}
    assert (engine.last_number("A"), engine.last_number("B")) == (1, 5)
