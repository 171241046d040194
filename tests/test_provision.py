"""antre-provision: credentials, passwd, ACL and Mosquitto config (what a real Mosquitto
2.0 then lets each user do: test_mosquitto_acl.py)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from broker.provision import ProvisionError, main, provision
from contract.credentials import Credentials, credentials_toml, load_credentials
from contract.errors import ConfigError
from contract.site_loader import load_site, parse_site
from tests.broker_fixtures import (
    EXAMPLE_SITE,
)
from tests.provision_fixtures import (
    USERS,
    example_text,
    with_kiosk_3,
    without_display_disdukcapil,
)


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
