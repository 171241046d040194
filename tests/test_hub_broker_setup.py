"""antre-hub-provision: the hub broker's files, passwords kept, bad input refused."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from contract.credentials import load_credentials
from contract.errors import ConfigError
from contract.hub_credentials import load_hub_credentials
from hub.broker_setup import main


def test_provisioning_writes_every_file_and_keeps_passwords_when_run_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "hub-broker"
    # GIVEN the hub broker provisioned for one site
    assert main([str(folder), "--site", "smd", "--public-host", "hub.example.go.id"]) == 0
    first = load_hub_credentials(folder / "credentials" / "site-smd.toml", "smd")
    # WHEN run again with a second site
    assert main([str(folder), "--site", "smd", "--site", "bpn"]) == 0
    # THEN the first site's password is kept, the new site has its own, files are private
    again = load_hub_credentials(folder / "credentials" / "site-smd.toml", "smd")
    assert again.password == first.password
    bpn = load_hub_credentials(folder / "credentials" / "site-bpn.toml", "bpn")
    assert bpn.password != first.password
    assert stat.S_IMODE((folder / "credentials" / "site-bpn.toml").stat().st_mode) == 0o600
    acl = (folder / "acl").read_text()
    assert (
        "user site-bpn\ntopic write antre-hub/v1/bpn/records\ntopic read antre-hub/v1/bpn/acked"
        in acl
    )
    passwd = (folder / "passwd").read_text()
    assert first.password not in passwd
    assert passwd.count("\n") == 3  # the hub and two sites
    assert "site-smd.toml" in capsys.readouterr().out


def test_tls_files_go_into_the_configuration_and_the_hubs_own_credentials(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "hub-broker"
    tls = ["--tls-cert", "/etc/ssl/hub.crt", "--tls-key", "/etc/ssl/hub.key"]
    assert main([str(folder), "--site", "smd", *tls, "--tls-ca", "/etc/ssl/ca.crt"]) == 0
    conf = (folder / "mosquitto.conf").read_text()
    assert "certfile /etc/ssl/hub.crt" in conf
    assert "allow_anonymous false" in conf
    assert load_credentials(folder / "credentials" / "antre-hub.toml").tls_ca == "/etc/ssl/ca.crt"


def test_a_sites_file_is_the_one_the_sites_hub_section_reads(tmp_path: Path) -> None:
    # GIVEN the hub broker provisioned for a site
    folder = tmp_path / "hub-broker"
    assert main([str(folder), "--site", "smd", "--public-host", "hub.example.go.id"]) == 0
    # WHEN the site reads the file it was handed, as its `[hub] credentials`
    path = folder / "credentials" / "site-smd.toml"
    credential = load_hub_credentials(path, "smd")
    # THEN it is the site's user on the hub, and the file is no other site's
    assert (credential.username, credential.site) == ("site-smd", "smd")
    assert "site-smd:" in (folder / "passwd").read_text()
    with pytest.raises(ConfigError, match="not 'bpn'"):
        load_hub_credentials(path, "bpn")


def test_a_bad_site_id_is_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "hub-broker"
    assert main([str(folder), "--site", "Bad Site/#"]) == 1
    assert "not a site id" in capsys.readouterr().err
    assert not folder.exists()
