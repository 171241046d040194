"""systemd/install.sh hub against a throwaway root: the unit, the settings and the hub's
credentials (root-only) installed, twice with the same result, a wrong file refused."""

from __future__ import annotations

import stat
from pathlib import Path

from hub.broker_setup import provision_hub_broker
from tests.test_install import install, installed, snapshot


def test_the_hub_installs_twice_alike_and_keeps_its_credentials_secret(tmp_path: Path) -> None:
    # GIVEN the hub broker provisioned (its antre-hub.toml)
    report = provision_hub_broker(tmp_path / "broker", ["smd"], port=8883)
    credentials = report.credentials_dir / "antre-hub.toml"
    root = tmp_path / "root"
    # WHEN installed twice
    installed(root, "hub", credentials)
    first = snapshot(root)
    installed(root, "hub", credentials)
    # THEN the same files, the unit and settings in place, the credentials root-only
    assert snapshot(root) == first
    assert (root / "etc/systemd/system/antre-hub.service").exists()
    assert (root / "etc/systemd/system/antre-hub-web.service").exists()
    secret = root / "etc/antre/hub-web.secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert len(secret.read_text().strip()) >= 32
    assert "ANTRE_HUB_DATABASE=" in (root / "etc/antre/hub.env").read_text()
    installed_credentials = root / "etc/antre/hub-broker/credentials/antre-hub.toml"
    assert installed_credentials.read_bytes() == credentials.read_bytes()
    assert stat.S_IMODE(installed_credentials.stat().st_mode) == 0o600


def test_a_site_credentials_file_is_refused_before_anything_changes(tmp_path: Path) -> None:
    report = provision_hub_broker(tmp_path / "broker", ["smd"], port=8883)
    root = tmp_path / "root"
    result = install(root, "hub", report.credentials_dir / "site-smd.toml")
    assert result.returncode != 0
    assert "not the hub's credentials file" in result.stderr
    assert not root.exists() or not any(root.rglob("*.service"))
