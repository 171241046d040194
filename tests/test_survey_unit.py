"""The survey unit through the real broker and the real central process: a button press at
the desk between counters 1 and 2 ends up in the central's file, tied to the ticket."""

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from broker.survey import COUNTED, NO_TICKET, PressRecord, SurveyStore
from contract.messages import Answer, CounterCommand, DeviceStatus, SurveyPress, decode, encode
from survey.app import SurveyLink, SurveyUnitApp
from survey.panel import SurveyPanel
from tests.broker_fixtures import EXAMPLE_SITE, WAIT, MqttClients, Provisioned, wait_until
from tests.central_fixtures import CentralProcess, Device, Kiosk
from tests.conftest import MONDAY
from tests.make_run_harness import MakeRun

NOT_AUTHORIZED = 135
SUCCESS = 0
# survey-1 in the example site: sangat puas on GPIO 5 with its LED on GPIO 12.
VERY_SATISFIED_PIN, VERY_SATISFIED_LED = 5, 12


def counter_does(
    provisioned: Provisioned, mqtt_clients: MqttClients, number: int, action: str
) -> Answer:
    """Counter `number`'s clerk presses `action`; the central's answer."""
    t = provisioned.topics
    counter = mqtt_clients(provisioned, f"counter-{number}")
    counter.subscribe_and_wait(t.counter_answer(number))
    command = CounterCommand(id=uuid.uuid4().hex, action=action)  # type: ignore[arg-type]
    counter.publish_and_wait(t.counter_command(number), encode(command))
    while True:
        answer = decode(bytes(counter.next_message(10 * WAIT).payload), Answer)
        if answer.id == command.id:
            return answer


def presses_in(db: Path) -> list[PressRecord]:
    with closing(SurveyStore(db)) as store:
        return store.presses(MONDAY, MONDAY)


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    factory = MockFactory()
    try:
        yield factory
    finally:
        factory.reset()


@pytest.mark.usefixtures("mosquitto")
def test_a_survey_unit_writes_only_its_presses_and_its_status(
    provisioned: Provisioned, mqtt_clients: MqttClients
) -> None:
    """GIVEN the provisioned example WHEN survey-1 publishes THEN its press and status topics
    are acknowledged; another unit's presses, a kiosk request, a counter command, the state
    and another device's status are "Not authorized"."""
    t = provisioned.topics
    unit = mqtt_clients(provisioned, "survey-1")
    press = encode(SurveyPress(id="p", rating=4))
    assert unit.publish_and_wait(t.survey_press("survey-1"), press).value in (SUCCESS, 16)
    assert unit.publish_and_wait(t.status("survey-1"), b"online").value in (SUCCESS, 16)
    for topic in (
        t.survey_press("survey-2"),
        t.kiosk_request("kiosk-1"),
        t.counter_command(1),
        t.state,
        t.calls,
        t.status("kiosk-1"),
    ):
        assert unit.publish_and_wait(topic, press).value == NOT_AUTHORIZED, topic
    # AND no other device may press for it
    kiosk = mqtt_clients(provisioned, "kiosk-1")
    assert kiosk.publish_and_wait(t.survey_press("survey-1"), press).value == NOT_AUTHORIZED


def test_a_press_at_the_unit_is_stored_for_the_ticket_counter_1_finished(
    central: CentralProcess,
    provisioned: Provisioned,
    mqtt_clients: MqttClients,
    factory: MockFactory,
) -> None:
    # GIVEN a citizen took A at kiosk 1, and counter 1 called and finished the ticket
    kiosk = Kiosk(provisioned, "kiosk-1")
    try:
        ticket = kiosk.ask("issue-1", "A").ticket
    finally:
        kiosk.close()
    assert ticket is not None
    called = counter_does(provisioned, mqtt_clients, 1, "call_next")
    assert called.ticket is not None
    assert called.ticket.id == ticket.id
    assert counter_does(provisioned, mqtt_clients, 1, "finish").ok
    # AND survey-1 (counters 1 and 2) running on mock pins, connected to Mosquitto
    unit = provisioned.site.survey_units[0]
    app = SurveyUnitApp(unit)
    link = SurveyLink(unit.id, provisioned.credentials[unit.id], on_connected=app.connected)
    app.attach(link)
    panel = SurveyPanel(unit, app.pressed, pin_factory=factory)
    loop = threading.Thread(target=app.run, daemon=True)
    link.start()
    loop.start()
    try:
        wait_until(lambda: link.connected, WAIT, "survey-1 to connect")
        # WHEN the citizen presses "sangat puas", bouncing
        button = factory.pin(VERY_SATISFIED_PIN)
        button.drive_low()
        button.drive_high()
        button.drive_low()
        button.drive_high()
        # THEN the LED beside it thanks them, Mosquitto acknowledges one press
        assert factory.pin(VERY_SATISFIED_LED).state
        wait_until(lambda: app.acknowledged == 1, 10 * WAIT, "the press to be acknowledged")
        # AND the central stores it, once, for the ticket counter 1 finished
        wait_until(lambda: bool(presses_in(central.db)), 10 * WAIT, "the press in the file")
    finally:
        app.stop()
        loop.join(WAIT)
        panel.close()
        link.stop(app.health())
    (press,) = presses_in(central.db)
    assert (press.unit, press.rating, press.mark) == ("survey-1", 4, COUNTED)
    assert (press.ticket_id, press.counter, press.service) == (ticket.id, 1, "A")
    assert press.agency == "kantor-imigrasi"
    assert app.health() == {"pending": 0, "acknowledged": 1, "dropped": 0}


def test_the_antre_survey_command_takes_presses_from_the_keyboard(
    central: CentralProcess, provisioned: Provisioned, tmp_path: Path
) -> None:
    # GIVEN `antre-survey` for survey-1 on mock pins with --keyboard, and nobody served yet
    watcher = Device(provisioned, "central", [provisioned.topics.status("survey-1")])
    log = (tmp_path / "survey-1.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "survey.main",
            "--site",
            str(EXAMPLE_SITE),
            "--unit",
            "survey-1",
            "--credentials",
            str(provisioned.directory / "credentials" / "survey-1.toml"),
            "--pin-factory",
            "mock",
            "--keyboard",
        ],
        stdin=subprocess.PIPE,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdin is not None
    try:
        status = provisioned.topics.status("survey-1")
        watcher.wait_for(status, lambda p: decode(p, DeviceStatus).state == "online", 10 * WAIT)
        # WHEN "3" (puas) is typed
        process.stdin.write(b"3\n")
        process.stdin.flush()
        # THEN the central keeps the press, marked: no ticket was finished at counters 1-2
        wait_until(lambda: bool(presses_in(central.db)), 10 * WAIT, "the press in the file")
        (press,) = presses_in(central.db)
        assert (press.rating, press.mark, press.ticket_id, press.counter) == (
            3,
            NO_TICKET,
            None,
            None,
        )
        # AND a clean stop says offline
        process.send_signal(signal.SIGTERM)
        assert process.wait(WAIT * 2) == 0
        watcher.wait_for(status, lambda p: decode(p, DeviceStatus).state == "offline")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdin.close()
        log.close()
        watcher.close()
    assert "pressed 3 (puas)" in (tmp_path / "survey-1.log").read_text(encoding="utf-8")


def test_a_press_sent_again_after_a_lost_acknowledgement_is_stored_once(
    central: CentralProcess, provisioned: Provisioned, mqtt_clients: MqttClients
) -> None:
    # GIVEN survey-1 publishing one press twice, as it does when an acknowledgement is lost
    unit = mqtt_clients(provisioned, "survey-1")
    press = encode(SurveyPress(id="same-press", rating=2))
    topic = provisioned.topics.survey_press("survey-1")
    unit.publish_and_wait(topic, press)
    unit.publish_and_wait(topic, press)
    # THEN the central stores it once (a later press proves both were handled)
    unit.publish_and_wait(topic, encode(SurveyPress(id="next-press", rating=1)))
    wait_until(lambda: len(presses_in(central.db)) >= 2, 10 * WAIT, "both presses")
    assert [p.press_id for p in presses_in(central.db)] == ["same-press", "next-press"]


def test_make_run_has_a_survey_unit_pressed_from_the_terminal(tmp_path: Path) -> None:
    with MakeRun(tmp_path) as run:
        # GIVEN `python -m local_mpp` (make run) with its terminal fed by the test
        run.start()
        # WHEN a citizen takes an A, counter 1 calls and finishes it, and they press +4
        run.send("A", wait_for="button A pressed")
        ticket = run.wait_for_printout("kiosk-1")
        run.send("c1", wait_for=f"loket 1: ok {ticket}")
        run.send("f1", wait_for="loket 1: ok")
        run.send("+4", wait_for="survey-1: sangat puas pressed")
        # THEN the central keeps the press for that ticket
        database = tmp_path / "antre.sqlite3"
        wait_until(lambda: bool(presses_in_any_day(database)), 10 * WAIT, "the press")
        exit_code = run.stop()
    (press,) = presses_in_any_day(tmp_path / "antre.sqlite3")
    assert (press.unit, press.rating, press.mark, press.counter) == ("survey-1", 4, COUNTED, 1)
    assert press.ticket_id is not None
    assert "stopped survey-1" in run.output
    assert exit_code == 0


def presses_in_any_day(db: Path) -> list[PressRecord]:
    with closing(SurveyStore(db)) as store:
        return store.presses(MONDAY - dt.timedelta(days=3650), MONDAY + dt.timedelta(days=3650))
