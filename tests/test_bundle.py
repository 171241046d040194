"""antre-bundle: provisioning again keeps every secret, the device's bundle holds what its Pi
needs, the new device gets in and the old ones still do; and MQTT over TLS end to end."""

from __future__ import annotations

import stat
import subprocess
import tarfile
import time
import tomllib
from pathlib import Path

import msgspec
import pytest

from broker import bundle as bundle_module
from broker.bundle import (
    DEVICE_CA,
    BundleError,
    main,
    make_bundle,
    previous_settings,
)
from broker.provision import provision
from contract.credentials import Credentials, credentials_toml, load_credentials
from contract.device_link import DeviceLink
from contract.errors import ConfigError
from contract.site_loader import load_site
from tests.broker_fixtures import (
    EXAMPLE_SITE,
    LOCALHOST,
    WAIT,
    ConnectRefused,
    Mosquitto,
    MqttClients,
    Provisioned,
    free_port,
    wait_until,
)
from tests.provision_fixtures import KIOSK_3


def site_file(folder: Path, extra: str = "") -> Path:
    path = folder / "site.toml"
    path.write_text(EXAMPLE_SITE.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def unpack(bundle: Path) -> dict[str, tuple[int, bytes]]:
    with tarfile.open(bundle, "r:gz") as tar:
        files = {}
        for member in tar.getmembers():
            source = tar.extractfile(member)
            assert source is not None
            assert member.isfile()
            files[member.name] = (member.mode, source.read())
        return files


def bundled_credentials(bundle: Path, ca: Path | None = None) -> Credentials:
    """The bundle's credentials, with the CA where this test keeps it (not /etc/antre)."""
    text = unpack(bundle)["credentials.toml"][1].decode()
    credentials = msgspec.convert(tomllib.loads(text), type=Credentials)
    return msgspec.structs.replace(credentials, tls_ca=str(ca) if ca else None)


# --- what a bundle holds ------------------------------------------------------------------------


def test_a_bundle_holds_the_site_the_credentials_and_a_manifest(tmp_path: Path) -> None:
    """GIVEN a site with kiosk-3 WHEN bundled THEN site.toml as given, kiosk-3's credentials
    (0600 in the archive, the file itself 0600), a manifest naming device, role and site;
    no CA without TLS."""
    site = site_file(tmp_path, KIOSK_3)
    out = tmp_path / "out" / "kiosk-3.tar.gz"
    result = make_bundle(site, tmp_path / "mqtt", "kiosk-3", out, host="192.168.1.10")
    assert result.role == "kiosk"
    assert result.report.created[:1] == ("central",)
    files = unpack(out)
    assert sorted(files) == ["bundle.toml", "credentials.toml", "site.toml"]
    assert files["site.toml"][1] == site.read_bytes()
    assert files["credentials.toml"][0] == 0o600
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    manifest = files["bundle.toml"][1].decode()
    for line in ('device = "kiosk-3"', 'role = "kiosk"', 'site = "samarinda"', "tls = false"):
        assert line in manifest
    credentials = bundled_credentials(out)
    assert credentials == msgspec.structs.replace(result.report.credentials["kiosk-3"], tls_ca=None)
    assert credentials.host == "192.168.1.10"


def test_bundling_twice_gives_the_same_bytes_and_keeps_every_password(tmp_path: Path) -> None:
    """GIVEN a provisioned central WHEN a bundle is made twice THEN the same bytes, and every
    user's password (kiosk-3's too) is the one it had."""
    site = site_file(tmp_path, KIOSK_3)
    first = make_bundle(site, tmp_path / "mqtt", "kiosk-3", tmp_path / "a.tar.gz", host="h1")
    second = make_bundle(site, tmp_path / "mqtt", "kiosk-3", tmp_path / "b.tar.gz")
    assert (tmp_path / "a.tar.gz").read_bytes() == (tmp_path / "b.tar.gz").read_bytes()
    assert second.report.created == ()
    assert {u: c.password for u, c in second.report.credentials.items()} == {
        u: c.password for u, c in first.report.credentials.items()
    }


def test_the_last_provisionings_address_port_and_listener_are_kept(tmp_path: Path) -> None:
    """GIVEN a central provisioned for 10.0.0.5:1884 on 10.0.0.5 WHEN bundled with no address
    THEN the same address, port and listener."""
    folder = tmp_path / "mqtt"
    provision(load_site(EXAMPLE_SITE), folder, host="10.0.0.5", port=1884, bind_address="10.0.0.5")
    result = make_bundle(site_file(tmp_path), folder, "display-lobby", tmp_path / "d.tar.gz")
    assert result.role == "display"
    credentials = result.report.credentials["display-lobby"]
    assert (credentials.host, credentials.port) == ("10.0.0.5", 1884)
    assert "listener 1884 10.0.0.5\n" in result.report.conf.read_text()
    settings = previous_settings(folder)
    assert settings is not None
    assert (settings.host, settings.port, settings.tls, settings.bind_address) == (
        "10.0.0.5",
        1884,
        False,
        "10.0.0.5",
    )


def test_a_survey_unit_gets_a_bundle_for_the_survey_role(tmp_path: Path) -> None:
    """GIVEN the example's survey-1 WHEN bundled THEN role survey (install.sh survey), in the
    result and the manifest, with survey-1's own credentials."""
    out = tmp_path / "survey-1.tar.gz"
    result = make_bundle(site_file(tmp_path), tmp_path / "mqtt", "survey-1", out, host="h")
    assert result.role == "survey"
    manifest = unpack(out)["bundle.toml"][1].decode()
    assert 'device = "survey-1"\nrole = "survey"\n' in manifest
    assert "#   sudo systemd/install.sh survey survey-1.tar.gz\n" in manifest
    assert bundled_credentials(out).username == "survey-1"


@pytest.mark.parametrize("device", ["kiosk-9", "survey-9", "counter-1", "central"])
def test_only_a_kiosk_survey_unit_or_display_of_the_site_gets_a_bundle(
    device: str, tmp_path: Path
) -> None:
    """GIVEN a device the site file has no kiosk, survey unit or display for WHEN bundled
    THEN refused, naming the devices there are (survey units too), and nothing written."""
    with pytest.raises(BundleError, match="add it to the site file") as refused:
        make_bundle(site_file(tmp_path), tmp_path / "mqtt", device, tmp_path / "x.tar.gz", host="h")
    assert "no kiosk, survey unit or display" in str(refused.value)
    assert "kiosk-1, kiosk-2, survey-1, display-lobby" in str(refused.value)
    assert not (tmp_path / "mqtt").exists()
    assert not (tmp_path / "x.tar.gz").exists()
    assert not (tmp_path / "mqtt").exists()
    assert not (tmp_path / "x.tar.gz").exists()


def test_a_first_bundle_needs_the_brokers_address(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="--host"):
        make_bundle(site_file(tmp_path), tmp_path / "mqtt", "kiosk-1", tmp_path / "x.tar.gz")


def test_the_command_line_says_what_it_did_and_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    site = site_file(tmp_path, KIOSK_3)
    out = tmp_path / "kiosk-3.tar.gz"
    args = [str(site), "--dir", str(tmp_path / "mqtt"), "--device", "kiosk-3", "--out", str(out)]
    assert main([*args, "--host", "192.168.1.10"]) == 0
    said = capsys.readouterr().out
    assert "kiosk-3 reaches 192.168.1.10:1883 (plain TCP)" in said
    assert "sudo systemd/install.sh kiosk kiosk-3.tar.gz" in said

    # --reload runs its commands (systemctl on a Pi; here, stand-ins) and reports a failure.
    monkeypatch.setattr(bundle_module, "RELOAD_COMMANDS", (("true",),))
    assert main([*args, "--reload"]) == 0
    assert "Reloaded Mosquitto" in capsys.readouterr().out
    monkeypatch.setattr(bundle_module, "RELOAD_COMMANDS", (("true",), ("false", "mosquitto")))
    assert main([*args, "--reload"]) == 1
    assert "false mosquitto" in capsys.readouterr().err

    broken = tmp_path / "broken.toml"
    broken.write_text("[site]\n")
    assert main([str(broken), *args[1:]]) == 1
    assert "broken.toml" in capsys.readouterr().err


# --- the new device gets in, the old ones still do -----------------------------------------------


def test_a_new_kiosk_connects_after_the_bundle_and_the_old_ones_still_do(
    provisioned: Provisioned, mosquitto: Mosquitto, mqtt_clients: MqttClients, tmp_path: Path
) -> None:
    """GIVEN a running broker and kiosk-1 connected WHEN kiosk-3 is added to the site, bundled
    and Mosquitto reloaded THEN kiosk-3 connects with the bundle's credentials, kiosk-1 and
    display-lobby still connect with theirs, and kiosk-3 may write only its own requests."""
    kiosk_1 = provisioned.credentials["kiosk-1"]
    mqtt_clients(kiosk_1)
    with pytest.raises(ConnectRefused):
        mqtt_clients(provisioned, "kiosk-3", password="not-yet")

    out = tmp_path / "kiosk-3.tar.gz"
    result = make_bundle(site_file(tmp_path, KIOSK_3), provisioned.directory, "kiosk-3", out)
    mosquitto.reload()

    assert result.report.created == ("kiosk-3",)
    new = bundled_credentials(out)
    assert (new.host, new.port) == (LOCALHOST, provisioned.port)
    client = mqtt_clients(new)
    topics = provisioned.topics
    assert not client.publish_and_wait(topics.kiosk_request("kiosk-3"), b"{}").is_failure
    assert client.publish_and_wait(topics.kiosk_request("kiosk-1"), b"{}").is_failure
    for old in ("kiosk-1", "display-lobby"):
        assert (
            load_credentials(provisioned.directory / "credentials" / f"{old}.toml")
            == (provisioned.credentials[old])
        )
        mqtt_clients(provisioned.credentials[old])


# --- TLS ----------------------------------------------------------------------------------------


@pytest.fixture
def tls_broker(tmp_path: Path) -> tuple[Path, Mosquitto, int]:
    """The example site provisioned with --tls on a free port, its Mosquitto running."""
    folder = tmp_path / "mqtt"
    port = free_port()
    report = provision(
        load_site(EXAMPLE_SITE), folder, host=LOCALHOST, port=port, bind_address=LOCALHOST, tls=True
    )
    broker = Mosquitto(report.conf, port, folder)
    broker.start()
    return folder, broker, port


def test_over_tls_a_bundled_display_connects_and_a_plain_client_does_not(
    tls_broker: tuple[Path, Mosquitto, int], mqtt_clients: MqttClients, tmp_path: Path
) -> None:
    """GIVEN a broker provisioned with --tls WHEN display-lobby is bundled THEN the bundle
    holds the site's CA and credentials naming it at /etc/antre/ca.crt; with that CA the
    display's own DeviceLink connects and says online; a client without TLS gets nowhere."""
    folder, broker, port = tls_broker
    out = tmp_path / "display-lobby.tar.gz"
    try:
        make_bundle(site_file(tmp_path), folder, "display-lobby", out)
        files = unpack(out)
        assert files["ca.crt"][1] == (folder / "tls" / "ca.crt").read_bytes()
        assert bundled_credentials(out, None).port == port
        text = files["credentials.toml"][1].decode()
        assert f'tls_ca = "{DEVICE_CA}"' in text
        ca = tmp_path / "ca.crt"
        ca.write_bytes(files["ca.crt"][1])
        credentials = bundled_credentials(out, ca)

        link = DeviceLink(
            "display-lobby",
            credentials,
            version="test",
            subscriptions=[],
            on_message=lambda topic, payload: None,
        )
        link.start()
        try:
            wait_until(lambda: link.connected, WAIT, "the display over TLS")
        finally:
            link.stop({})
        with pytest.raises((ConnectRefused, OSError, TimeoutError)):
            mqtt_clients(msgspec.structs.replace(credentials, tls_ca=None), timeout=2)
    finally:
        broker.stop()


def test_the_central_connects_over_tls_with_its_provisioned_credentials(
    tls_broker: tuple[Path, Mosquitto, int],
) -> None:
    folder, broker, _ = tls_broker
    credentials = load_credentials(folder / "credentials" / "central.toml")
    assert credentials.tls_ca == str(folder / "tls" / "ca.crt")
    link = DeviceLink(
        "central", credentials, version="test", subscriptions=[], on_message=lambda t, p: None
    )
    try:
        link.start()
        wait_until(lambda: link.connected, WAIT, "the central over TLS")
    finally:
        link.stop({})
        broker.stop()


def test_a_new_address_remakes_the_server_certificate_but_keeps_the_ca(tmp_path: Path) -> None:
    """GIVEN TLS provisioned for one address WHEN provisioned again for another THEN the CA
    (what devices trust) is the same, the server certificate names the new address and is
    signed by that CA; provisioning again unchanged leaves both as they are."""
    site = load_site(EXAMPLE_SITE)
    folder = tmp_path / "mqtt"
    provision(site, folder, host="192.168.1.10", port=8883, tls=True)
    ca = (folder / "tls" / "ca.crt").read_bytes()
    server = (folder / "mosquitto" / "server.crt").read_bytes()
    provision(site, folder, host="192.168.1.10", port=8883, tls=True)
    assert (folder / "mosquitto" / "server.crt").read_bytes() == server
    time.sleep(0.01)
    provision(site, folder, host="antre-central.local", port=8883, tls=True)
    assert (folder / "tls" / "ca.crt").read_bytes() == ca
    assert (folder / "mosquitto" / "server.crt").read_bytes() != server
    names = subprocess.run(
        [
            "openssl",
            "x509",
            "-noout",
            "-ext",
            "subjectAltName",
            "-in",
            folder / "mosquitto/server.crt",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "DNS:antre-central.local" in names
    verified = subprocess.run(
        ["openssl", "verify", "-CAfile", folder / "tls/ca.crt", folder / "mosquitto/server.crt"],
        capture_output=True,
        check=False,
    )
    assert verified.returncode == 0
    assert stat.S_IMODE((folder / "tls" / "ca.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((folder / "mosquitto" / "server.key").stat().st_mode) == 0o600
    conf = (folder / "mosquitto" / "antre.conf").read_text()
    assert f"certfile {folder / 'mosquitto' / 'server.crt'}\n" in conf
    assert "listener 8883 0.0.0.0\n" in conf


def test_turning_tls_off_drops_the_ca_from_every_credentials_file(tmp_path: Path) -> None:
    site = load_site(EXAMPLE_SITE)
    folder = tmp_path / "mqtt"
    with_tls = provision(site, folder, host="h", port=8883, tls=True)
    without = provision(site, folder, host="h", port=1883)
    assert all(c.tls_ca for c in with_tls.credentials.values())
    assert not any(c.tls_ca for c in without.credentials.values())
    assert "certfile" not in without.conf.read_text()
    for user, credentials in without.credentials.items():
        assert credentials.password == with_tls.credentials[user].password


def test_credentials_text_round_trips_with_tls_ca(tmp_path: Path) -> None:
    credentials = Credentials(
        username="kiosk-1", password="p", host="h", port=8883, site="samarinda", tls_ca=DEVICE_CA
    )
    path = tmp_path / "c.toml"
    path.write_text(credentials_toml(credentials))
    assert load_credentials(path) == credentials


def test_a_damaged_credentials_file_stops_the_bundle(tmp_path: Path) -> None:
    site = site_file(tmp_path)
    make_bundle(site, tmp_path / "mqtt", "kiosk-1", tmp_path / "a.tar.gz", host="h")
    (tmp_path / "mqtt" / "credentials" / "kiosk-2.toml").write_text("password = \n")
    with pytest.raises(ConfigError):
        make_bundle(site, tmp_path / "mqtt", "kiosk-1", tmp_path / "b.tar.gz")
    assert not (tmp_path / "b.tar.gz").exists()
