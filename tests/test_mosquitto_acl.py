"""What a real Mosquitto 2.0 lets each user do once antre-provision has written its
credentials, passwd, ACL and configuration."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from broker.provision import provision
from contract.site import Site
from contract.site_loader import load_site, parse_site
from tests.broker_fixtures import (
    EXAMPLE_SITE,
    BrokerClient,
    ConnectRefused,
    Mosquitto,
    MqttClients,
    Provisioned,
    connect,
    free_port,
)
from tests.provision_fixtures import (
    GRANTED_QOS_1,
    NO_MATCHING_SUBSCRIBERS,
    NOT_AUTHORIZED,
    SUCCESS,
    USERS,
    example_text,
    with_kiosk_3,
    without_display_disdukcapil,
)


def assert_denied(reason: ReasonCode) -> None:
    assert (reason.value, str(reason)) == (NOT_AUTHORIZED, "Not authorized")


def assert_allowed(reason: ReasonCode) -> None:
    assert not reason.is_failure, str(reason)
    assert reason.value in (SUCCESS, NO_MATCHING_SUBSCRIBERS)


def listen_to_everything(provisioned: Provisioned, mqtt_clients: MqttClients) -> BrokerClient:
    central = mqtt_clients(provisioned, "central")
    assert [r.value for r in central.subscribe_and_wait(f"{provisioned.topics.root}/#")] == [1]
    return central


@pytest.mark.usefixtures("mosquitto")
def test_anonymous_and_wrong_logins_are_refused(provisioned: Provisioned) -> None:
    """GIVEN the provisioned broker WHEN a client connects without a username, with a wrong
    password, or as an unknown user THEN CONNACK refuses it: "Not authorized" (135; Mosquitto
    2.0 does not say "Bad user name or password")."""
    attempts: list[Callable[[], BrokerClient]] = [
        lambda: connect(provisioned, anonymous=True),
        lambda: connect(provisioned, "kiosk-1", password="wrong"),
        lambda: connect(
            provisioned, "kiosk-1", password=provisioned.credentials["kiosk-2"].password
        ),
        lambda: connect(provisioned, "kiosk-9", password="whatever"),
    ]
    for attempt in attempts:
        with pytest.raises(ConnectRefused) as raised:
            attempt()
        assert_denied(raised.value.reason)
    client = connect(provisioned.credentials["kiosk-1"])
    client.close()


@pytest.mark.usefixtures("mosquitto")
def test_a_kiosk_publishes_only_its_own_request_and_status(
    provisioned: Provisioned, mqtt_clients: MqttClients
) -> None:
    """GIVEN the central listening to the whole site WHEN kiosk-1 publishes THEN its request
    and status are acknowledged and delivered; another kiosk's request, a counter command,
    state, calls, its own answer topic and another's status are "Not authorized" and never
    reach the central."""
    t = provisioned.topics
    central = listen_to_everything(provisioned, mqtt_clients)
    kiosk = mqtt_clients(provisioned, "kiosk-1")

    assert kiosk.publish_and_wait(t.kiosk_request("kiosk-1"), b"mine").value == SUCCESS
    for topic in (
        t.kiosk_request("kiosk-2"),
        t.counter_command(1),
        t.state,
        t.calls,
        t.kiosk_answer("kiosk-1"),
        t.status("kiosk-2"),
        "antre/v1/other-site/kiosk/kiosk-1/request",
    ):
        assert_denied(kiosk.publish_and_wait(topic, b"forged"))
    assert_allowed(kiosk.publish_and_wait(t.status("kiosk-1"), b"online", retain=True))

    # One publisher's messages arrive in order: the status closes the sequence.
    first, second = central.next_message(), central.next_message()
    assert (first.topic, first.payload) == (t.kiosk_request("kiosk-1"), b"mine")
    assert (second.topic, second.payload) == (t.status("kiosk-1"), b"online")


@pytest.mark.usefixtures("mosquitto")
def test_a_display_only_reads_but_for_its_own_status(
    provisioned: Provisioned, mqtt_clients: MqttClients
) -> None:
    """GIVEN the central listening WHEN display-lobby publishes on state, calls, a request, a
    command or the other display's status THEN "Not authorized"; on its own status THEN
    acknowledged and delivered."""
    t = provisioned.topics
    central = listen_to_everything(provisioned, mqtt_clients)
    display = mqtt_clients(provisioned, "display-lobby")
    for topic in (
        t.state,
        t.calls,
        t.kiosk_request("kiosk-1"),
        t.counter_command(12),
        t.status("display-disdukcapil"),
    ):
        assert_denied(display.publish_and_wait(topic, b"forged"))
    assert display.publish_and_wait(t.status("display-lobby"), b"online").value == SUCCESS
    message = central.next_message()
    assert (message.topic, message.payload) == (t.status("display-lobby"), b"online")
    assert central.received_so_far() == []


@pytest.mark.usefixtures("mosquitto")
def test_a_counter_publishes_only_its_own_command_and_status(
    provisioned: Provisioned, mqtt_clients: MqttClients
) -> None:
    """GIVEN the central listening WHEN counter-7 publishes THEN its command and status pass;
    counter 8's command, state, calls and a kiosk request are "Not authorized"."""
    t = provisioned.topics
    central = listen_to_everything(provisioned, mqtt_clients)
    counter = mqtt_clients(provisioned, "counter-7")
    assert counter.publish_and_wait(t.counter_command(7), b"next").value == SUCCESS
    for topic in (t.counter_command(8), t.state, t.calls, t.kiosk_request("kiosk-1")):
        assert_denied(counter.publish_and_wait(topic, b"forged"))
    assert counter.publish_and_wait(t.status("counter-7"), b"online").value == SUCCESS
    topics = [central.next_message().topic, central.next_message().topic]
    assert topics == [t.counter_command(7), t.status("counter-7")]


@pytest.mark.usefixtures("mosquitto")
def test_an_answer_reaches_only_its_kiosk(
    provisioned: Provisioned, mqtt_clients: MqttClients
) -> None:
    """GIVEN kiosk-1 on its answer topic and kiosk-2 subscribed to kiosk-1's answer, to the
    whole site and to state WHEN the central answers kiosk-1, then publishes state THEN
    kiosk-1 gets the answer; kiosk-2 gets only state. Mosquitto 2.0.11 grants a subscription
    the ACL forbids (SUBACK "Granted QoS 1", not a failure) and silently filters delivery."""
    t = provisioned.topics
    kiosk_1 = mqtt_clients(provisioned, "kiosk-1")
    kiosk_2 = mqtt_clients(provisioned, "kiosk-2")
    central = mqtt_clients(provisioned, "central")
    assert [r.value for r in kiosk_1.subscribe_and_wait(t.kiosk_answer("kiosk-1"))] == [1]
    for topic in (t.kiosk_answer("kiosk-1"), f"{t.root}/#", t.state):
        reasons = kiosk_2.subscribe_and_wait(topic)
        assert [(r.value, r.is_failure) for r in reasons] == [(GRANTED_QOS_1, False)]

    assert central.publish_and_wait(t.kiosk_answer("kiosk-1"), b"A023").value == SUCCESS
    assert central.publish_and_wait(t.state, b"seq 1").value == SUCCESS

    answer = kiosk_1.next_message()
    assert (answer.topic, answer.payload) == (t.kiosk_answer("kiosk-1"), b"A023")
    # The central's messages reach kiosk-2 in order: had the answer got through, it would
    # come before state. (Overlapping subscriptions may deliver state more than once.)
    seen = kiosk_2.next_message()
    assert (seen.topic, seen.payload) == (t.state, b"seq 1")
    assert {m.topic for m in kiosk_2.received_so_far()} <= {t.state}


def test_state_is_retained_and_survives_a_restart(
    provisioned: Provisioned, mosquitto: Mosquitto, mqtt_clients: MqttClients
) -> None:
    """GIVEN the central published a retained state WHEN Mosquitto restarts THEN a display,
    a counter and a kiosk subscribing afterwards each get that state at once."""
    t = provisioned.topics
    central = mqtt_clients(provisioned, "central")
    assert_allowed(central.publish_and_wait(t.state, b'{"seq": 7}', retain=True))
    central.close()
    mosquitto.restart()

    for username in ("display-lobby", "counter-3", "kiosk-2"):
        reader = mqtt_clients(provisioned, username)
        reader.subscribe_and_wait(t.state)
        retained = reader.next_message()
        assert (retained.topic, retained.payload, retained.retain) == (t.state, b'{"seq": 7}', True)


@pytest.mark.usefixtures("mosquitto")
def test_a_last_will_is_delivered_only_on_the_own_status(
    provisioned: Provisioned, mqtt_clients: MqttClients
) -> None:
    """GIVEN kiosk-1 connected twice, once with a last will on kiosk-2's status and once on its
    own WHEN both leave with their will THEN the central gets only the own one (Mosquitto
    2.0.11 accepts the forged will at connect and drops it when sent)."""
    t = provisioned.topics
    central = listen_to_everything(provisioned, mqtt_clients)
    forged = mqtt_clients(provisioned, "kiosk-1", "forger", will=(t.status("kiosk-2"), b"lost"))
    honest = mqtt_clients(provisioned, "kiosk-1", "honest", will=(t.status("kiosk-1"), b"lost"))
    with_will = ReasonCode(PacketTypes.DISCONNECT, "Disconnect with will message")
    for client in (forged, honest):
        client.disconnect(reasoncode=with_will)
        client.loop_stop()
    message = central.next_message()
    assert (message.topic, message.payload) == (t.status("kiosk-1"), b"lost")
    # A fence: both clients were gone before this one connected, so a forged will, had it
    # been sent, would have come before this.
    fence = mqtt_clients(provisioned, "kiosk-1")
    fence.publish_and_wait(t.kiosk_request("kiosk-1"), b"fence")
    assert central.next_message().payload == b"fence"
    assert central.received_so_far() == []


@pytest.mark.parametrize("how", ["restart", "sighup"])
def test_a_new_kiosk_gets_in_after_provisioning_again(
    provisioned: Provisioned, mosquitto: Mosquitto, mqtt_clients: MqttClients, how: str
) -> None:
    """GIVEN a running broker WHEN kiosk-3 is added, the Disdukcapil display removed, the site
    provisioned again and Mosquitto restarted (or sent SIGHUP) THEN kiosk-3 connects and
    publishes its request, kiosk-1 still connects with its old password, and the removed
    display is refused."""
    t = provisioned.topics
    changed = parse_site(with_kiosk_3(without_display_disdukcapil(example_text())))
    again = provisioned.again(changed)
    kiosk_3 = again.credentials["kiosk-3"]
    with pytest.raises(ConnectRefused):
        connect(kiosk_3)  # not before Mosquitto rereads its files

    pid = mosquitto.pid
    if how == "restart":
        mosquitto.restart()
    else:
        mosquitto.reload()
        assert mosquitto.pid == pid
        assert mosquitto.is_running()

    central = listen_to_everything(again, mqtt_clients)
    kiosk = mqtt_clients(kiosk_3)
    assert kiosk.publish_and_wait(t.kiosk_request("kiosk-3"), b"hello").value == SUCCESS
    assert central.next_message().topic == t.kiosk_request("kiosk-3")
    assert_denied(kiosk.publish_and_wait(t.kiosk_request("kiosk-1"), b"forged"))
    old = mqtt_clients(provisioned.credentials["kiosk-1"])
    assert old.publish_and_wait(t.kiosk_request("kiosk-1"), b"still").value == SUCCESS
    with pytest.raises(ConnectRefused) as raised:
        connect(provisioned.credentials["display-disdukcapil"])
    assert_denied(raised.value.reason)


def test_the_broker_fixture_leaves_no_process(tmp_path: Path) -> None:
    """GIVEN a Mosquitto started from a provisioned config WHEN stopped, started and killed
    THEN its port is closed each time and its log tells of the start."""
    port = free_port()
    report = provision(load_site(EXAMPLE_SITE), tmp_path, port=port, bind_address="127.0.0.1")
    with Mosquitto(report.conf, port) as broker:
        assert broker.is_running()
        broker.kill()
        assert not broker.is_running()
        broker.start()
    assert not broker.is_running()
    assert broker.log().count("mosquitto version 2.0") >= 2
    assert "Opening ipv4 listen socket on port" in broker.log()


def test_site_fixture_is_the_example(provisioned: Provisioned) -> None:
    """GIVEN the provisioned fixture THEN it holds the example site and all 32 credentials."""
    assert isinstance(provisioned.site, Site)
    assert provisioned.site.site.id == "samarinda"
    assert sorted(provisioned.credentials) == sorted(USERS)
    assert all(c.port == provisioned.port for c in provisioned.credentials.values())
