"""antre-provision and a site file's [hub]: the bridge to the hub's broker, the central's ACL."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from broker.provision import main as provision_main
from broker.provision import provision
from broker.tls import ensure_tls
from contract.errors import ConfigError
from contract.hub_credentials import HubCredentials, hub_credentials_toml
from contract.site import Site
from contract.site_loader import load_site
from tests.broker_fixtures import EXAMPLE_SITE

HUB_HOST = "hub.kaltim.example.id"


def linked_site(tmp_path: Path, credentials: HubCredentials, ca_text: str | None = None) -> Path:
    """The example site file with a [hub] whose credential and CA are files in `tmp_path`."""
    if ca_text is None:
        ca_text = ensure_tls(tmp_path / "hub-tls", "127.0.0.1", "hub").ca_cert.read_text()
    ca_file = tmp_path / "hub-ca.crt"
    ca_file.write_text(ca_text)
    credentials_file = tmp_path / "hub-credentials.toml"
    credentials_file.write_text(hub_credentials_toml(credentials))
    site_file = tmp_path / "site.toml"
    site_file.write_text(
        EXAMPLE_SITE.read_text(encoding="utf-8")
        + f'\n[hub]\nhost = "{HUB_HOST}"\nca_file = "{ca_file}"\n'
        f'credentials = "{credentials_file}"\n'
    )
    return site_file


def settings(conf: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in conf.splitlines():
        if line and not line.startswith("#"):
            key, value = line.split(" ", 1)
            found.setdefault(key, []).append(value)
    return found


SAMARINDA = HubCredentials(username="samarinda", password="s3cret-Hub_pw", site="samarinda")


def test_a_site_with_a_hub_gets_a_tls_bridge_of_its_two_topics(tmp_path: Path) -> None:
    # GIVEN the example site with a [hub], its credential and the hub's CA
    site = load_site(linked_site(tmp_path, SAMARINDA))
    # WHEN provisioned
    report = provision(site, tmp_path / "central")
    # THEN its Mosquitto bridges records out and acked in, over TLS, with the credential
    conf = settings(report.conf.read_text())
    hub_ca = tmp_path / "central" / "mosquitto" / "hub-ca.crt"
    assert conf["connection"] == ["antre-hub"]
    assert conf["address"] == [f"{HUB_HOST}:8883"]
    assert conf["bridge_protocol_version"] == ["mqttv50"]
    assert conf["cleansession"] == ["false"]
    assert conf["bridge_cafile"] == [str(hub_ca)]
    assert (conf["remote_username"], conf["remote_password"]) == (["samarinda"], ["s3cret-Hub_pw"])
    assert conf["remote_clientid"] == ["antre-site-samarinda"]
    assert conf["topic"] == [
        "antre-hub/v1/samarinda/records out 1",
        "antre-hub/v1/samarinda/acked in 1",
    ]
    # AND the CA is copied beside Mosquitto's files, and the password is readable by it alone
    assert hub_ca.read_text() == (tmp_path / "hub-ca.crt").read_text()
    assert stat.S_IMODE(report.conf.stat().st_mode) == 0o600
    # AND the central may write its records and read the hub's acknowledgement, no more
    acl = report.acl.read_text()
    central = acl[acl.index("user central\n") : acl.index("\n\n", acl.index("user central\n"))]
    assert central.splitlines()[1:] == [
        "topic readwrite antre/v1/samarinda/#",
        "topic write antre-hub/v1/samarinda/records",
        "topic read antre-hub/v1/samarinda/acked",
    ]


def test_a_site_without_a_hub_gets_no_bridge(tmp_path: Path, example_site: Site) -> None:
    report = provision(example_site, tmp_path)
    assert "connection" not in settings(report.conf.read_text())
    assert "antre-hub" not in report.acl.read_text()
    assert stat.S_IMODE(report.conf.stat().st_mode) == 0o644


def test_a_disabled_hub_gets_no_bridge(tmp_path: Path) -> None:
    site_file = linked_site(tmp_path, SAMARINDA)
    site_file.write_text(site_file.read_text() + "enabled = false\n")
    report = provision(load_site(site_file), tmp_path / "central")
    assert "connection" not in settings(report.conf.read_text())


@pytest.mark.parametrize(
    ("credentials", "ca_text", "named"),
    [
        (HubCredentials(username="balikpapan", password="pw", site="balikpapan"), None, "site"),
        (SAMARINDA, "not a certificate\n", "hub.ca_file"),
    ],
    ids=["another-sites-credential", "ca-not-pem"],
)
def test_a_wrong_hub_file_is_refused_and_nothing_is_written(
    tmp_path: Path, credentials: HubCredentials, ca_text: str | None, named: str
) -> None:
    # GIVEN a [hub] naming another site's credential, or a CA file that holds none
    site = load_site(linked_site(tmp_path, credentials, ca_text))
    # WHEN provisioned THEN a ConfigError names the key, and no file is written
    with pytest.raises(ConfigError) as caught:
        provision(site, tmp_path / "central")
    assert caught.value.key == named
    assert not (tmp_path / "central").exists()


def test_antre_provision_says_which_hub_file_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site_file = linked_site(tmp_path, SAMARINDA)
    (tmp_path / "hub-credentials.toml").unlink()
    assert provision_main([str(site_file), "--dir", str(tmp_path / "central")]) == 1
    err = capsys.readouterr().err
    assert "hub-credentials.toml" in err
    assert "cannot read" in err
