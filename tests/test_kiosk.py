"""The kiosk on simulated hardware, against the real central and Mosquitto.

Mock pins stand in for the buttons and LEDs, a simulated printer for the ESC/POS
printer; everything else is real: the outbox on disk, MQTT, the central's SQLite.
"""

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from contract.health import DeviceState, PrinterHealth
from contract.messages import Answer, CounterCommand, DeviceStatus, decode, encode
from kiosk.link import KioskLink
from kiosk.outbox import RequestState
from kiosk.panel import Light
from tests.broker_fixtures import EXAMPLE_SITE, Mosquitto, MqttClients, Provisioned
from tests.central_fixtures import (
    MONDAY_MORNING,
    CentralProcess,
    Device,
    Kiosk,
    assert_displays_show_the_central,
    wait_for_state,
)
from tests.kiosk_fixtures import RunningKiosk, cut_network, has_printed, ready, until, waiting


def test_a_press_prints_a_ticket(
    provisioned: Provisioned, central: CentralProcess, start_kiosk: Callable[..., RunningKiosk]
) -> None:
    kiosk = start_kiosk()
    ready(kiosk)
    # WHEN a citizen presses the passport button
    kiosk.press("A")
    # THEN a ticket with the first free number is printed and waits at the central
    until(lambda: b"NOMOR ANTREAN" in kiosk.printed(), what="the ticket")
    assert b"A004" in kiosk.printed()  # A001-A003 are kiosk-1's reserve
    assert b"PRIORITAS" not in kiosk.printed()
    waiting(provisioned, "A", 1)
    until(lambda: kiosk.panel.light("A") is Light.AVAILABLE, what="the LED back on")


def test_priority_then_service_prints_a_priority_ticket(
    provisioned: Provisioned, central: CentralProcess, start_kiosk: Callable[..., RunningKiosk]
) -> None:
    kiosk = start_kiosk()
    ready(kiosk)
    kiosk.press_priority()
    kiosk.press("B")
    until(lambda: b"PRIORITAS" in kiosk.printed(), what="a priority ticket")
    assert b"B004" in kiosk.printed()


def test_a_closed_service_prints_nothing_and_its_led_is_off(
    provisioned: Provisioned, central: CentralProcess, start_kiosk: Callable[..., RunningKiosk]
) -> None:
    # GIVEN the kiosk's clock says the lunch break
    kiosk = start_kiosk("2026-11-30T12:30:00+08:00")
    until(lambda: kiosk.panel.light("A") is Light.UNAVAILABLE, what="the LED off")
    kiosk.press("A")
    time.sleep(0.5)
    assert b"NOMOR ANTREAN" not in kiosk.printed()
    assert kiosk.app.outbox.count(*RequestState, kind="issue") == 0


def test_a_full_quota_prints_nothing_and_turns_the_led_off(
    provisioned: Provisioned, central: CentralProcess, start_kiosk: Callable[..., RunningKiosk]
) -> None:
    # GIVEN kiosk-1 holds 3 of service A's 60 and the other kiosk took the other 57
    kiosk = start_kiosk()
    ready(kiosk)
    other = Kiosk(provisioned, "kiosk-2")
    try:
        for n in range(57):
            assert other.ask(f"fill-{n}", "A").ok
    finally:
        other.close()
    # WHEN a citizen presses A
    kiosk.press("A")
    # THEN nothing is printed and A's LED goes off for the day
    until(lambda: kiosk.panel.light("A") is Light.UNAVAILABLE, what="the LED off")
    assert b"NOMOR ANTREAN" not in kiosk.printed()
    assert kiosk.panel.light("B") is Light.AVAILABLE


def test_paper_out_prints_nothing_issues_nothing_and_recovers(
    provisioned: Provisioned,
    central: CentralProcess,
    start_kiosk: Callable[..., RunningKiosk],
    mqtt_clients: MqttClients,
) -> None:
    kiosk = start_kiosk()
    ready(kiosk)
    status = mqtt_clients(provisioned, "central")
    status.subscribe_and_wait(provisioned.topics.status("kiosk-1"))
    # GIVEN the roll runs out
    kiosk.printer.simulate(PrinterHealth.PAPER_OUT)
    # WHEN a citizen presses A
    pressed = time.monotonic()
    kiosk.press("A")
    # THEN every LED blinks the fault, nothing is printed or issued, and the central knows
    # (the lights are set one after another: wait for the last, not only the first)
    until(
        lambda: all(kiosk.panel.light(s) is Light.FAULT for s in ("A", "L")),
        what="the fault LEDs",
    )
    assert b"NOMOR ANTREAN" not in kiosk.printed()
    until(
        lambda: any(
            decode(bytes(m.payload), DeviceStatus).health.get("printer") == "paper_out"
            for m in status.received_so_far()
        ),
        what="the paper_out status",
    )
    waiting(provisioned, "A", 0)
    # AND WHEN a new roll goes in, the kiosk takes presses again by itself
    kiosk.printer.simulate(PrinterHealth.OK)
    until(lambda: kiosk.panel.light("A") is Light.AVAILABLE, what="the LED back")
    time.sleep(max(0.0, pressed + kiosk.config.cooldown_seconds + 0.1 - time.monotonic()))
    kiosk.press("A")
    until(lambda: b"A004" in kiosk.printed(), what="the ticket after the new roll")


def test_an_idle_kiosk_notices_its_printer_run_out_before_anyone_presses(
    provisioned: Provisioned,
    central: CentralProcess,
    start_kiosk: Callable[..., RunningKiosk],
    mqtt_clients: MqttClients,
) -> None:
    kiosk = start_kiosk(printer_check_seconds=1.0)
    ready(kiosk)
    status = mqtt_clients(provisioned, "central")
    status.subscribe_and_wait(provisioned.topics.status("kiosk-1"))
    assert kiosk.panel.light("A") is Light.AVAILABLE
    # GIVEN a quiet hall WHEN the roll runs out (nobody presses)
    kiosk.printer.simulate(PrinterHealth.PAPER_OUT)
    # THEN within a few seconds every LED blinks the fault and the status says why
    until(lambda: kiosk.panel.light("A") is Light.FAULT, timeout=5, what="the fault LED")
    until(
        lambda: any(
            decode(bytes(m.payload), DeviceStatus).health.get("printer") == "paper_out"
            for m in status.received_so_far()
        ),
        timeout=5,
        what="the paper_out status",
    )
    # AND the checks asked the printer only: nothing was printed
    assert b"NOMOR ANTREAN" not in kiosk.printed()


def test_with_the_broker_down_a_reserved_number_is_printed_and_reaches_the_queue_later(
    provisioned: Provisioned,
    mosquitto: Mosquitto,
    central: CentralProcess,
    start_kiosk: Callable[..., RunningKiosk],
) -> None:
    # (An answer timeout far longer than the wait for the printout below: a kiosk that
    # knows it is offline prints at once, without waiting for an answer.)
    kiosk = start_kiosk(answer_timeout=600.0)
    ready(kiosk)
    # GIVEN Mosquitto goes down
    mosquitto.stop()
    until(lambda: not kiosk.app.link or not kiosk.app.link.connected, what="the kiosk offline")
    # WHEN a citizen presses A twice (after the cool-down)
    kiosk.press("A")
    # THEN the citizen is not kept waiting: a reserved number, marked offline
    until(lambda: b"A001" in kiosk.printed(), what="the first offline ticket")
    assert b"terputus" in kiosk.printed()
    time.sleep(3.1)
    kiosk.press("A")
    until(lambda: b"A002" in kiosk.printed(), what="the second offline ticket")
    assert kiosk.app.health()["offline_pending"] == 2
    # AND WHEN Mosquitto is back, both tickets join the queue, each number once
    mosquitto.start()
    until(lambda: kiosk.app.health()["offline_pending"] == 0, timeout=30, what="hand-in")
    state = waiting(provisioned, "A", 2)
    assert state.services[0].waiting == 2
    assert_displays_show_the_central(provisioned, central.db)


def test_a_kiosk_cut_off_for_a_minute_keeps_printing_and_loses_nothing(
    provisioned: Provisioned,
    central: CentralProcess,
    start_kiosk: Callable[..., RunningKiosk],
) -> None:
    kiosk = start_kiosk()
    ready(kiosk)
    link = kiosk.app.link
    assert isinstance(link, KioskLink)
    other = Kiosk(provisioned, "kiosk-2")
    try:
        # GIVEN kiosk-1 loses its network for a minute (the rest of the mall goes on)
        cut_network(link)
        until(lambda: not link.connected, what="kiosk-1 offline")
        cut = time.monotonic()
        # WHEN citizens keep pressing its buttons, one every five seconds, across services
        services = [button.service for button in kiosk.config.buttons]
        pressed = 0
        while time.monotonic() - cut < 60:
            service = services[pressed % len(services)]
            kiosk.press(service)
            until(has_printed(kiosk, f"{service}001"), what=f"{service} printed offline")
            pressed += 1
            # meanwhile the other kiosk issues a passport ticket online
            if pressed == 1:
                assert other.ask("online-a", "A").ok
            time.sleep(5)
        # THEN every press printed a reserved number at once
        assert kiosk.app.health()["offline_pending"] == pressed
        # AND WHEN the network is back, every offline ticket reaches the queue, once
        link.start()
        until(lambda: kiosk.app.health()["offline_pending"] == 0, timeout=30, what="hand-in")
    finally:
        other.close()
    state = wait_for_state(
        provisioned, lambda s: sum(view.waiting for view in s.services) == pressed + 1
    )
    waiting_a = next(view.waiting for view in state.services if view.prefix == "A")
    assert waiting_a == 2  # A001 printed offline, and the other kiosk's online ticket
    assert_displays_show_the_central(provisioned, central.db)
    # AND A001, printed first, is called first: it waited from its printing time
    desk = Device(provisioned, "counter-1", [provisioned.topics.counter_answer(1)])
    try:
        command = CounterCommand(id="first-call", action="call_next")
        desk.client.publish(provisioned.topics.counter_command(1), encode(command), qos=1)
        answer = decode(desk.wait_for(provisioned.topics.counter_answer(1), lambda p: True), Answer)
    finally:
        desk.close()
    assert answer.ticket is not None
    assert answer.ticket.number == "A001"


def test_a_kiosk_killed_between_publish_and_print_prints_the_same_ticket_once(
    provisioned: Provisioned,
    mosquitto: Mosquitto,
    tmp_path: Path,
    mqtt_clients: MqttClients,
) -> None:
    """The kiosk runs as its own process (antre-kiosk, keyboard presses), so it can be killed."""
    printed = tmp_path / "printer.bin"
    command = [
        sys.executable,
        "-m",
        "kiosk.main",
        "--site",
        str(EXAMPLE_SITE),
        "--kiosk",
        "kiosk-1",
        "--credentials",
        str(provisioned.directory / "credentials" / "kiosk-1.toml"),
        "--state-dir",
        str(tmp_path / "state"),
        "--pin-factory",
        "mock",
        "--keyboard",
        "--printer-file",
        str(printed),
        "--simulate-from",
        MONDAY_MORNING,
        # Long enough that a loaded machine cannot turn this press into an offline one.
        "--answer-timeout",
        "20",
    ]
    watcher = mqtt_clients(provisioned, "central")
    watcher.subscribe_and_wait(provisioned.topics.kiosk_request("kiosk-1"))
    watcher.subscribe_and_wait(provisioned.topics.status("kiosk-1"))
    with (tmp_path / "kiosk.log").open("wb") as log:
        # GIVEN a central that beats but does not answer (it hangs): the kiosk publishes
        # its request and waits for the answer
        kiosk = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=log, stderr=log)
        try:
            # (a citizen presses once the kiosk is up: it says so on its status topic)
            while b'"state":"online"' not in watcher.next_message(timeout=20).payload:
                pass
            beat = DeviceStatus(device="central", state=DeviceState.ONLINE, at=MONDAY_MORNING)
            watcher.publish_and_wait(
                provisioned.topics.status("central"), encode(beat), retain=True
            )
            while b'"central":true' not in watcher.next_message(timeout=20).payload:
                pass
            assert kiosk.stdin is not None
            kiosk.stdin.write(b"A\n")
            kiosk.stdin.flush()
            # WHEN the kiosk is killed -9 as soon as its ticket request is on Mosquitto
            while b'"type":"issue"' not in watcher.next_message(timeout=10).payload:
                pass
        finally:
            _end(kiosk, kill=True)
        assert not printed.exists() or b"NOMOR ANTREAN" not in printed.read_bytes()
        # AND the central starts, then the kiosk comes back
        central = CentralProcess(provisioned, tmp_path / "antre.sqlite3")
        central.start()
        kiosk = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=log, stderr=log)
        try:
            until(lambda: printed.exists() and b"NOMOR ANTREAN" in printed.read_bytes(), 30)
            time.sleep(1.0)
            # THEN the ticket was printed once, and the central issued exactly one
            assert printed.read_bytes().count(b"NOMOR ANTREAN") == 1
            state = waiting(provisioned, "A", 1)
            assert state.services[0].waiting == 1
            assert_displays_show_the_central(provisioned, central.db)
        finally:
            _end(kiosk, kill=False)
            central.kill()


def _end(process: "subprocess.Popen[bytes]", *, kill: bool) -> None:
    """kill -9 (a power cut) or a clean stop; the pipe closed either way."""
    if kill:
        process.kill()
    else:
        process.terminate()
    process.wait(timeout=10)
    if process.stdin is not None:
        process.stdin.close()


def test_the_status_is_refreshed_periodically_with_its_health(
    provisioned: Provisioned,
    mosquitto: Mosquitto,
    start_kiosk: Callable[..., RunningKiosk],
    mqtt_clients: MqttClients,
) -> None:
    # GIVEN the central's user watches kiosk-1's status before the kiosk starts
    watcher = mqtt_clients(provisioned, "central")
    topic = provisioned.topics.status("kiosk-1")
    watcher.subscribe_and_wait(topic)
    # WHEN the kiosk runs, with nothing changing (no press, no printer change)
    start_kiosk(status_every=0.2)
    # THEN it says it is online again and again, each time with its health figures
    online: list[DeviceStatus] = []

    def refreshed() -> bool:
        for message in watcher.received_so_far():
            status = decode(bytes(message.payload), DeviceStatus)
            if message.topic == topic and status.state == "online":
                online.append(status)
        return len(online) >= 3

    until(refreshed, what="three online statuses")
    for status in online:
        assert status.device == "kiosk-1"
        assert {"printer", "outbox", "offline_pending", "reserved", "version"} <= set(status.health)
