"""antre-provision: credentials, passwd, ACL and Mosquitto config; and what a real
Mosquitto 2.0 then lets each user do."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from broker.provision import ProvisionError, main, provision
from contract.credentials import Credentials, credentials_toml, load_credentials
from contract.errors import ConfigError
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

COUNTERS = [f"counter-{n}" for n in range(1, 27)]
DEVICES = ["central", "kiosk-1", "kiosk-2", "display-lobby", "display-disdukcapil"]
USERS = [*DEVICES, *COUNTERS, "survey-1"]
# MQTT v5 reason codes.
SUCCESS = 0
NO_MATCHING_SUBSCRIBERS = 16
NOT_AUTHORIZED = 135
GRANTED_QOS_1 = 1

KIOSK_3 = """
[[kiosks]]
id = "kiosk-3"
buttons = [{ service = "H", pin = 2, led_pin = 14 }]

[kiosks.printer]
type = "dummy"
"""
DISPLAY_DISDUKCAPIL = '[[displays]]\nid = "display-disdukcapil"\n'


def example_text() -> str:
    return EXAMPLE_SITE.read_text(encoding="utf-8")


def with_kiosk_3(text: str) -> str:
    return text + KIOSK_3


def without_display_disdukcapil(text: str) -> str:
    """The example without its last table, the Disdukcapil display."""
    assert text.count(DISPLAY_DISDUKCAPIL) == 1
    return text[: text.index(DISPLAY_DISDUKCAPIL)]


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def acl_rules(acl: str) -> dict[str, set[tuple[str, str]]]:
    """user -> {(access, topic)} of an acl_file; a rule before any user line fails."""
    rules: dict[str, set[tuple[str, str]]] = {}
    user: str | None = None
    for line in acl.splitlines():
        if not line or line.startswith("#"):
            continue
        word, rest = line.split(" ", 1)
        if word == "user":
            user = rest
            assert user not in rules, f"user {user} twice"
            rules[user] = set()
        else:
            assert word == "topic"
            assert user is not None, f"{line!r} would apply to every user"
            access, topic = rest.split(" ")
            rules[user].add((access, topic))
    return rules


def passwd_users(passwd: str) -> dict[str, str]:
    return dict(line.split(":", 1) for line in passwd.splitlines())


def conf_settings(conf: str) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in conf.splitlines():
        if line and not line.startswith("#"):
            key, value = line.split(" ", 1)
            settings.setdefault(key, []).append(value)
    return settings


def fake_passwd_tool(folder: Path, script: str) -> Path:
    """A folder holding a `mosquitto_passwd` that runs `script` instead."""
    folder.mkdir()
    tool = folder / "mosquitto_passwd"
    tool.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    tool.chmod(0o755)
    return folder


# --- what provisioning writes ---------------------------------------------------------------


def test_provision_writes_credentials_for_every_user(tmp_path: Path) -> None:
    """GIVEN the example site WHEN provisioned THEN one 0600 credentials file per user (central,
    2 kiosks, 2 displays, 26 counters, 1 survey unit) in a 0700 folder, each with a distinct
    long password, the Mosquitto address and the site."""
    site = load_site(EXAMPLE_SITE)
    report = provision(site, tmp_path, host="192.168.1.10", port=1884)
    folder = tmp_path / "credentials"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{u}.toml" for u in USERS)
    assert mode(folder) == 0o700
    assert report.created == tuple(USERS)
    assert report.kept == ()
    assert report.revoked == ()
    passwords = set()
    for username in USERS:
        path = folder / f"{username}.toml"
        assert mode(path) == 0o600, path
        credentials = load_credentials(path)
        assert credentials == report.credentials[username]
        assert (credentials.username, credentials.host, credentials.port, credentials.site) == (
            username,
            "192.168.1.10",
            1884,
            "samarinda",
        )
        assert len(credentials.password) >= 32
        passwords.add(credentials.password)
    assert len(passwords) == len(USERS)


def test_passwd_holds_hashes_and_no_plaintext_is_left(tmp_path: Path) -> None:
    """GIVEN a provisioned site THEN passwd has one hashed entry per user, no password appears
    in any file under mosquitto/, and no temporary file is left anywhere."""
    report = provision(load_site(EXAMPLE_SITE), tmp_path)
    passwd = report.passwd.read_text(encoding="utf-8")
    entries = passwd_users(passwd)
    assert list(entries) == USERS
    assert all(hashed.startswith("$7$") for hashed in entries.values())  # PBKDF2-SHA512
    assert mode(report.passwd) == 0o600
    for path in files_under(tmp_path / "mosquitto"):
        content = path.read_bytes()
        for credentials in report.credentials.values():
            assert credentials.password.encode() not in content, path
    expected = [tmp_path / "credentials" / f"{u}.toml" for u in USERS]
    expected += [report.acl, report.conf, report.passwd]
    assert files_under(tmp_path) == sorted(expected)
    assert report.data_dir.is_dir()


def test_acl_gives_each_role_only_its_topics(tmp_path: Path) -> None:
    """GIVEN a provisioned site THEN the ACL, marked as generated, names every user and gives
    the central the whole site, a kiosk its request/answer/state/status and the central's
    heartbeat, a display state,
    calls and its own status, a counter its command/answer/state/calls/status."""
    report = provision(load_site(EXAMPLE_SITE), tmp_path)
    acl = report.acl.read_text(encoding="utf-8")
    assert acl.startswith("# generated by antre-provision; do not edit")
    rules = acl_rules(acl)
    root = "antre/v1/samarinda"
    assert list(rules) == USERS
    assert rules["central"] == {("readwrite", f"{root}/#")}
    assert rules["kiosk-1"] == {
        ("write", f"{root}/kiosk/kiosk-1/request"),
        ("read", f"{root}/kiosk/kiosk-1/answer"),
        ("read", f"{root}/state"),
        ("read", f"{root}/status/central"),
        ("write", f"{root}/status/kiosk-1"),
    }
    assert "user kiosk-1\ntopic write antre/v1/samarinda/kiosk/kiosk-1/request\n" in acl
    assert rules["display-lobby"] == {
        ("read", f"{root}/state"),
        ("read", f"{root}/calls"),
        ("write", f"{root}/status/display-lobby"),
    }
    assert rules["counter-7"] == {
        ("write", f"{root}/counter/7/command"),
        ("read", f"{root}/counter/7/answer"),
        ("read", f"{root}/state"),
        ("read", f"{root}/calls"),
        ("write", f"{root}/status/counter-7"),
    }


def test_conf_holds_the_settings_each_with_its_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a site provisioned into a relative folder for 127.0.0.1 THEN antre.conf refuses
    anonymous clients, names passwd and ACL by absolute path, listens where asked, persists
    into the data folder and limits packets and queues; every setting follows a comment."""
    monkeypatch.chdir(tmp_path)
    report = provision(load_site(EXAMPLE_SITE), Path("central"), bind_address="127.0.0.1")
    conf = report.conf.read_text(encoding="utf-8")
    settings = conf_settings(conf)
    folder = tmp_path.resolve() / "central" / "mosquitto"
    assert {key: values for key, values in settings.items() if key != "log_type"} == {
        "per_listener_settings": ["false"],
        "allow_anonymous": ["false"],
        "password_file": [str(folder / "passwd")],
        "acl_file": [str(folder / "acl")],
        "listener": ["1883 127.0.0.1"],
        "protocol": ["mqtt"],
        "set_tcp_nodelay": ["true"],
        "persistence": ["true"],
        "persistence_location": [f"{folder / 'data'}/"],
        "autosave_interval": ["60"],
        "max_packet_size": ["262144"],
        "max_queued_messages": ["10000"],
        "max_inflight_messages": ["20"],
        "log_dest": ["stderr"],
        "connection_messages": ["true"],
    }
    assert settings["log_type"] == ["error", "warning", "notice", "information"]
    assert "generated by antre-provision; do not edit" in conf
    lines = conf.splitlines()
    for i, line in enumerate(lines):
        if line and not line.startswith("#"):
            previous = [p for p in lines[:i] if not p.startswith("log_type")]
            assert previous[-1].startswith("#"), f"{line!r} has no comment"


# --- provisioning again ---------------------------------------------------------------------


def test_provisioning_twice_keeps_passwords_and_outputs(tmp_path: Path) -> None:
    """GIVEN a provisioned site WHEN provisioned again THEN every password is kept, ACL and
    config are byte for byte the same, and the report says kept, not created."""
    site = load_site(EXAMPLE_SITE)
    first = provision(site, tmp_path)
    acl, conf = first.acl.read_bytes(), first.conf.read_bytes()
    second = provision(site, tmp_path)
    assert second.credentials == first.credentials
    assert (second.created, second.kept, second.revoked) == ((), tuple(USERS), ())
    assert second.acl.read_bytes() == acl
    assert second.conf.read_bytes() == conf
    assert list(passwd_users(second.passwd.read_text(encoding="utf-8"))) == USERS


def test_provisioning_for_a_new_address_keeps_the_passwords(tmp_path: Path) -> None:
    """GIVEN a provisioned site WHEN provisioned for another host and port THEN every file has
    the new address and the old password, and Mosquitto listens on the new port."""
    site = load_site(EXAMPLE_SITE)
    first = provision(site, tmp_path)
    second = provision(site, tmp_path, host="10.0.0.2", port=8883)
    for username, old in first.credentials.items():
        new = load_credentials(tmp_path / "credentials" / f"{username}.toml")
        assert new.password == old.password
        assert (new.host, new.port) == ("10.0.0.2", 8883)
    assert conf_settings(second.conf.read_text(encoding="utf-8"))["listener"] == ["8883 0.0.0.0"]


def test_a_site_change_adds_and_revokes_users(tmp_path: Path) -> None:
    """GIVEN a provisioned site WHEN a kiosk is added and a display removed THEN the kiosk gets
    new credentials, every other password is kept, the display is reported revoked, keeps its
    file but leaves passwd and ACL; WHEN the display comes back THEN with its old password."""
    first = provision(load_site(EXAMPLE_SITE), tmp_path)
    changed = parse_site(with_kiosk_3(without_display_disdukcapil(example_text())))
    assert [k.id for k in changed.kiosks] == ["kiosk-1", "kiosk-2", "kiosk-3"]

    second = provision(changed, tmp_path)

    assert second.created == ("kiosk-3",)
    assert second.revoked == ("display-disdukcapil",)
    assert "display-disdukcapil" not in second.kept
    assert "kiosk-3" not in second.kept
    for username in set(USERS) - {"display-disdukcapil"}:
        assert second.credentials[username].password == first.credentials[username].password
    revoked_file = tmp_path / "credentials" / "display-disdukcapil.toml"
    assert load_credentials(revoked_file) == first.credentials["display-disdukcapil"]
    users = passwd_users(second.passwd.read_text(encoding="utf-8"))
    rules = acl_rules(second.acl.read_text(encoding="utf-8"))
    for listed in (users, rules):
        assert "kiosk-3" in listed
        assert "display-disdukcapil" not in listed
    assert "display-disdukcapil" not in second.acl.read_text(encoding="utf-8")

    third = provision(load_site(EXAMPLE_SITE), tmp_path)
    assert third.created == ()
    assert third.revoked == ("kiosk-3",)
    assert third.credentials["display-disdukcapil"] == first.credentials["display-disdukcapil"]


def test_a_damaged_credentials_file_stops_provisioning(tmp_path: Path) -> None:
    """GIVEN a provisioned site whose kiosk-1 file was damaged WHEN provisioned again THEN a
    ConfigError names that file and the file is left as it was, not given a new secret."""
    site = load_site(EXAMPLE_SITE)
    first = provision(site, tmp_path)
    damaged = tmp_path / "credentials" / "kiosk-1.toml"
    damaged.write_text('username = "kiosk-1"\npassword = \n', encoding="utf-8")
    acl_before = first.acl.read_bytes()
    with pytest.raises(ConfigError) as raised:
        provision(site, tmp_path, port=1999)
    assert raised.value.source == str(damaged)
    assert damaged.read_text(encoding="utf-8") == 'username = "kiosk-1"\npassword = \n'
    assert load_credentials(tmp_path / "credentials" / "central.toml").port == 1883
    assert first.acl.read_bytes() == acl_before


@pytest.mark.parametrize(
    ("script", "problem"),
    [
        ('echo "Error: disk full" >&2; exit 3', "Error: disk full"),
        ("exit 0", "unexpected file"),  # a tool that "succeeds" but hashes nothing
    ],
    ids=["tool-fails", "tool-hashes-nothing"],
)
def test_a_failed_hashing_leaves_no_plaintext(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str, problem: str
) -> None:
    """GIVEN a mosquitto_passwd that fails (or hashes nothing) WHEN provisioning THEN a
    ProvisionError says so, no passwd is installed and no plaintext file remains."""
    monkeypatch.setenv("PATH", str(fake_passwd_tool(tmp_path / "bin", script)))
    directory = tmp_path / "central"
    with pytest.raises(ProvisionError, match=problem):
        provision(load_site(EXAMPLE_SITE), directory)
    assert not (directory / "mosquitto" / "passwd").exists()
    leftovers = [p for p in files_under(directory) if p.parent.name != "credentials"]
    assert leftovers == []


def test_plaintext_left_by_an_interrupted_run_is_removed(tmp_path: Path) -> None:
    """GIVEN the plaintext file of a run killed while hashing WHEN provisioned again THEN that
    file is gone."""
    tmp_path.joinpath(".passwd-plaintext-x1y2.tmp").write_text("central:secret\n")
    provision(load_site(EXAMPLE_SITE), tmp_path)
    assert list(tmp_path.glob(".passwd*")) == []


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('id = "kiosk-2"', 'id = "central"', "kiosks[1].id"),
        ('id = "display-lobby"', 'id = "counter-3"', "displays[0].id"),
    ],
)
def test_a_device_named_like_another_user_is_refused(
    tmp_path: Path, old: str, new: str, key: str
) -> None:
    """GIVEN a site whose device takes the central's or a counter's username WHEN provisioned
    THEN a ConfigError names the key, and nothing is written."""
    site = parse_site(example_text().replace(old, new), source="site.toml")
    with pytest.raises(ConfigError) as raised:
        provision(site, tmp_path / "central", source="site.toml")
    assert (raised.value.source, raised.value.key) == ("site.toml", key)
    assert "already taken" in raised.value.problem
    assert not (tmp_path / "central").exists()


# --- the credentials file -------------------------------------------------------------------


def test_credentials_round_trip_and_hide_the_password(tmp_path: Path) -> None:
    """GIVEN credentials with a TLS CA WHEN written and read back THEN equal; their repr never
    shows the password."""
    credentials = Credentials(
        username="kiosk-1",
        password='s3cret-"quoted"-\\',
        host="antre.local",
        port=1883,
        site="samarinda",
        tls_ca="/etc/antre/ca.pem",
    )
    path = tmp_path / "kiosk-1.toml"
    path.write_text(credentials_toml(credentials), encoding="utf-8")
    assert load_credentials(path) == credentials
    assert "s3cret" not in repr(credentials)
    assert "kiosk-1" in repr(credentials)


GOOD = 'username = "kiosk-1"\npassword = "p"\nhost = "h"\nport = 1883\nsite = "samarinda"\n'


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        (None, "", "cannot read the file"),
        ("username = ", "", "not valid TOML"),
        (GOOD.replace('password = "p"\n', ""), "password", "missing required field"),
        (GOOD + "colour = 1\n", "colour", "unknown field"),
        (GOOD.replace("1883", "70000"), "port", "<= 65535"),
        (GOOD.replace("1883", '"1883"'), "port", "Expected `int`"),
        (GOOD.replace('"kiosk-1"', '"Kiosk 1"'), "username", "regex"),
    ],
    ids=["missing", "not-toml", "no-password", "unknown-key", "port-range", "port-type", "user"],
)
def test_load_credentials_names_the_file_and_key(
    tmp_path: Path, text: str | None, key: str, problem: str
) -> None:
    """GIVEN a bad or missing credentials file WHEN loaded THEN a ConfigError names the file,
    the key and the problem."""
    path = tmp_path / "kiosk-1.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_credentials(path)
    assert (raised.value.source, raised.value.key) == (str(path), key)
    assert problem in raised.value.problem


# --- the command ----------------------------------------------------------------------------


def test_main_provisions_and_summarises(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN the example site WHEN antre-provision runs twice THEN exit 0; the first summary
    lists 32 created, the second 32 kept."""
    argv = [str(EXAMPLE_SITE), "--dir", str(tmp_path), "--host", "10.1.1.1", "--port", "1885"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "created (32): central, kiosk-1, kiosk-2, display-lobby" in out
    assert "kept (0): -" in out
    assert "revoked (0): -" in out
    assert str(tmp_path / "mosquitto" / "antre.conf") in out
    assert load_credentials(tmp_path / "credentials" / "counter-26.toml").port == 1885
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "created (0): -" in out
    assert "kept (32): central," in out


def test_main_with_a_bad_site_names_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """GIVEN a site file with a misspelt kiosk key WHEN antre-provision runs THEN exit 1, the
    file and key on stderr, and nothing written."""
    broken = tmp_path / "site.toml"
    broken.write_text(example_text().replace("cooldown_seconds", "cooldown"), encoding="utf-8")
    assert main([str(broken), "--dir", str(tmp_path / "out")]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"{broken}: kiosks[0].cooldown: ")
    assert not (tmp_path / "out").exists()


def test_main_without_mosquitto_passwd_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN no mosquitto_passwd on PATH WHEN antre-provision runs THEN exit 1 with a message
    naming the tool and the package, and nothing written."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert main([str(EXAMPLE_SITE), "--dir", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "mosquitto_passwd not found" in err
    assert "apt-get install mosquitto" in err
    assert not (tmp_path / "out").exists()


def test_main_refuses_a_bad_port(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN --port 0 WHEN antre-provision runs THEN argparse's usage error (exit 2)."""
    with pytest.raises(SystemExit) as raised:
        main([str(EXAMPLE_SITE), "--dir", str(tmp_path), "--port", "0"])
    assert raised.value.code == 2
    assert "not a TCP port" in capsys.readouterr().err


# --- against a real Mosquitto ---------------------------------------------------------------


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
