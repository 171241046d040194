"""install.sh central with a site file's [hub] (the site side of a hub): the hub's files
checked first, the bridge provisioned (against a throwaway root, as test_install does)."""

from __future__ import annotations

import stat
from pathlib import Path

from broker.tls import ensure_tls
from contract.hub_credentials import HubCredentials, hub_credentials_toml
from tests.broker_fixtures import EXAMPLE_SITE
from tests.test_install import HOST, assert_refused, install, installed


def site_with_hub(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The example site with a [hub] naming a CA and a credential in `tmp_path`."""
    ca_file = ensure_tls(tmp_path / "hub-tls", "127.0.0.1", "hub").ca_cert
    credentials = tmp_path / "hub-credentials.toml"
    credentials.write_text(
        hub_credentials_toml(HubCredentials(username="samarinda", password="pw-hub"))
    )
    site = tmp_path / "site.toml"
    site.write_text(
        EXAMPLE_SITE.read_text() + f'\n[hub]\nhost = "hub.example.id"\nca_file = "{ca_file}"\n'
        f'credentials = "{credentials}"\n'
    )
    return site, ca_file, credentials


def test_a_central_with_a_hub_gets_the_bridge(tmp_path: Path) -> None:
    # GIVEN a site file with a [hub] and the hub's files on the central
    site, ca_file, _ = site_with_hub(tmp_path)
    root = tmp_path / "root"
    # WHEN the central is installed
    installed(root, "central", site, "--host", HOST)
    # THEN Mosquitto's configuration holds the bridge, readable by Mosquitto alone, and the
    # hub's CA is beside it
    mosquitto = root / "var/lib/antre/mqtt/mosquitto"
    conf = (mosquitto / "antre.conf").read_text()
    assert "\nconnection antre-hub\n" in conf
    assert "\nremote_password pw-hub\n" in conf
    assert stat.S_IMODE((mosquitto / "antre.conf").stat().st_mode) == 0o600
    assert (mosquitto / "hub-ca.crt").read_text() == ca_file.read_text()


def test_a_hub_whose_credential_is_not_there_is_refused_before_anything(tmp_path: Path) -> None:
    site, _, credentials = site_with_hub(tmp_path)
    credentials.unlink()
    root = tmp_path / "root"
    assert_refused(install(root, "central", site, "--host", HOST), root, "hub.credentials")
