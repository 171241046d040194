"""Writes the hub's Mosquitto: its configuration, one password per site, and the ACL.

    antre-hub-provision /etc/antre-hub --site samarinda --site balikpapan \
        --port 8883 --public-host hub.example.go.id --tls-cert ... --tls-key ...

Site X may write only `antre-hub/v1/X/records` and read only `antre-hub/v1/X/acked`;
the hub's processes (user `antre-hub`) read every site's records and write every acked.
Each site's credentials file (`credentials/site-X.toml`, `contract.hub_credentials`) is
what the hub's administrator hands the site's technician with the CA certificate: the
site file's `[hub] credentials` names it and the site reads it as is. The hub's own
processes read `credentials/antre-hub.toml` (`contract.credentials`, with the broker's
address). Passwords are kept when run again.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec

from contract.credentials import Credentials, credentials_toml, load_credentials
from contract.errors import ConfigError
from contract.hub_credentials import HubCredentials, hub_credentials_toml, load_hub_credentials
from contract.hub_stream import ACKED, HUB_ROOT, RECORDS
from contract.mosquitto_files import PASSWD_TOOL, write_atomic, write_passwd
from contract.site import Identifier
from hub.errors import HubError

HUB_USER = "antre-hub"
# The hub's own user has no site: its credentials name the region instead.
HUB_SITE = "region"
GENERATED = "Written by antre-hub-provision: run it again rather than editing this file"


class ProvisionError(HubError):
    """The hub's broker files could not be written."""


def site_username(site: str) -> str:
    return f"site-{site}"


@dataclass(frozen=True)
class TlsFiles:
    """The hub broker's certificate, key and the CA sites check it against."""

    cert: Path
    key: Path
    ca: Path


@dataclass(frozen=True)
class HubBroker:
    """What `provision_hub_broker` wrote, and every user's credentials (the sites' with
    the hub's address too, for the hub's own tools: their files hold only the secret)."""

    directory: Path
    credentials: dict[str, Credentials]

    @property
    def conf(self) -> Path:
        return self.directory / "mosquitto.conf"

    @property
    def passwd(self) -> Path:
        return self.directory / "passwd"

    @property
    def acl(self) -> Path:
        return self.directory / "acl"

    @property
    def credentials_dir(self) -> Path:
        return self.directory / "credentials"


def provision_hub_broker(
    directory: Path,
    sites: Sequence[str],
    *,
    port: int,
    bind_address: str = "0.0.0.0",
    public_host: str = "localhost",
    tls: TlsFiles | None = None,
) -> HubBroker:
    """Writes conf, passwd, ACL and the credentials files; keeps existing passwords."""
    for site in sites:
        _check_site(site)
    tool = shutil.which(PASSWD_TOOL) or shutil.which(PASSWD_TOOL, path="/usr/bin:/usr/sbin")
    if tool is None:
        raise ProvisionError(f"{PASSWD_TOOL} is not installed (Debian: mosquitto)")
    report = HubBroker(directory, {})
    report.credentials_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    (directory / "data").mkdir(exist_ok=True)
    ca = str(tls.ca) if tls else None
    users = [(HUB_USER, HUB_SITE), *((site_username(site), site) for site in sites)]
    for username, site in users:
        path = report.credentials_dir / f"{username}.toml"
        password = _kept_password(path, username, site) or secrets.token_urlsafe(24)
        credential = Credentials(
            username=username, password=password, host=public_host, port=port, site=site, tls_ca=ca
        )
        if username == HUB_USER:
            text = credentials_toml(credential)
        else:
            # The site's file: what its `[hub]` section reads, nothing of the hub's side.
            text = hub_credentials_toml(
                HubCredentials(username=username, password=password, site=site)
            )
        write_atomic(path, text, 0o600)
        report.credentials[username] = credential
    entries = [(c.username, c.password) for c in report.credentials.values()]
    write_passwd(tool, directory, report.passwd, entries, ProvisionError)
    write_atomic(report.acl, acl_text(sites), 0o644)
    write_atomic(report.conf, conf_text(report, port, bind_address, tls), 0o644)
    return report


def _check_site(site: str) -> None:
    try:
        msgspec.convert(site, type=Identifier)
    except msgspec.ValidationError as e:
        raise ProvisionError(f"not a site id (a-z, 0-9, - and _): {site!r}") from e


def site_credentials_file(directory: Path, site: str) -> Path:
    """The file the hub's administrator hands the site's technician."""
    return directory / "credentials" / f"{site_username(site)}.toml"


def _kept_password(path: Path, username: str, site: str) -> str | None:
    if not path.exists():
        return None
    try:
        if username == HUB_USER:
            return load_credentials(path).password
        return load_hub_credentials(path, site).password
    except ConfigError as e:
        raise ProvisionError(f"cannot keep the password of {path}: {e}") from e


def acl_text(sites: Sequence[str]) -> str:
    """Each site its own two topics; the hub every site's."""
    lines = [
        f"# {GENERATED}.",
        "# Mosquitto ACL of the region's hub (contract/hub_stream.py).",
        "",
        f"user {HUB_USER}",
        f"topic read {HUB_ROOT}/+/{RECORDS}",
        f"topic write {HUB_ROOT}/+/{ACKED}",
    ]
    for site in sites:
        lines += [
            "",
            f"user {site_username(site)}",
            f"topic write {HUB_ROOT}/{site}/{RECORDS}",
            f"topic read {HUB_ROOT}/{site}/{ACKED}",
        ]
    return "\n".join(lines) + "\n"


def conf_text(report: HubBroker, port: int, bind_address: str, tls: TlsFiles | None) -> str:
    """The hub broker's mosquitto.conf, each setting with its reason."""
    tls_text = (
        f"# TLS: sites cross the internet; they check this certificate against tls_ca.\n"
        f"cafile {tls.ca}\ncertfile {tls.cert}\nkeyfile {tls.key}\ntls_version tlsv1.2\n"
        if tls
        else "# Plain TCP: for tests and a hub on one machine only; give --tls-* otherwise.\n"
    )
    return f"""\
# Mosquitto configuration of the region's Antre hub.
# {GENERATED}.
# Start with: mosquitto -c {report.conf}

per_listener_settings false
# Every site and hub process logs in with its own name: the ACL trusts the username.
allow_anonymous false
password_file {report.passwd}
acl_file {report.acl}

# Where sites' bridges and the hub's processes connect.
listener {port} {bind_address}
{tls_text}protocol mqtt
set_tcp_nodelay true

# Keep retained acks and queued QoS 1 batches across a restart of this broker.
persistence true
persistence_location {report.directory / "data"}/
autosave_interval 60

# A batch is at most contract.hub_stream.MAX_BATCH records: far below this.
max_packet_size 1048576
max_queued_messages 10000
max_inflight_messages 20

log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
connection_messages true
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="antre-hub-provision",
        description="Write the hub broker's mosquitto.conf, passwd, ACL and each site's "
        "credentials file.",
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--site", action="append", default=[], help="a site id (repeat)")
    parser.add_argument("--port", type=int, default=8883)
    parser.add_argument("--bind-address", default="0.0.0.0")
    parser.add_argument("--public-host", default="localhost", help="the name sites connect to")
    parser.add_argument("--tls-cert", type=Path)
    parser.add_argument("--tls-key", type=Path)
    parser.add_argument("--tls-ca", type=Path)
    args = parser.parse_args(argv)
    tls_args = (args.tls_cert, args.tls_key, args.tls_ca)
    if any(tls_args) and not all(tls_args):
        parser.error("--tls-cert, --tls-key and --tls-ca go together")
    tls = TlsFiles(args.tls_cert, args.tls_key, args.tls_ca) if all(tls_args) else None
    try:
        report = provision_hub_broker(
            args.directory,
            args.site,
            port=args.port,
            bind_address=args.bind_address,
            public_host=args.public_host,
            tls=tls,
        )
    except ProvisionError as e:
        print(f"antre-hub-provision: {e}", file=sys.stderr)
        return 1
    print(f"Mosquitto configuration: {report.conf}")
    for username in report.credentials:
        print(f"  {username}: {report.credentials_dir / (username + '.toml')}")
    print(
        "Give each site's technician its site-<id>.toml (keep it secret) and the CA "
        "certificate; the site file's [hub] section names both."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
