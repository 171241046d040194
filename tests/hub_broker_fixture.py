"""A second Mosquitto playing the region's hub broker: TLS, one credential per site, an ACL.

Stands in for the hub branch's generated broker configuration (hub/) until it is merged;
then this fixture is swapped for that one. What it holds is what a site relies on:

- TLS only, with its own CA (the site's bridge checks the certificate against it);
- the site's credential (username = the site id) in a password file, written for the site
  as the hub's administrator would hand it over (`contract.hub_credentials`);
- an ACL that lets the site write only `antre-hub/v1/<site>/records` and read only
  `antre-hub/v1/<site>/acked`, and lets the hub's ingest (`HUB_INGEST`) read every site's
  records and write every site's acknowledgement.
"""

from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

from broker.mosquitto_runner import LOCALHOST, free_port
from broker.provision import PASSWD_TOOL
from broker.tls import TlsFiles, ensure_tls
from contract.hub_credentials import HubCredentials, hub_credentials_toml
from contract.hub_stream import HubTopics
from tests.broker_fixtures import Mosquitto

# The hub's ingest process's user on its broker (the test's stand-in: tests/hub_peer.py).
HUB_INGEST = "hub-ingest"


@dataclass(frozen=True)
class HubBroker:
    """The hub's broker for one site: where it listens, its CA, the files a site is given."""

    broker: Mosquitto
    port: int
    ca_file: Path
    # The site's credential file, as the hub's administrator hands it over.
    site_credentials: Path
    ingest_password: str

    def site_section(self, resend_seconds: float) -> str:
        """The `[hub]` section of the site file that connects a site to this broker."""
        return (
            "\n[hub]\n"
            f'host = "{LOCALHOST}"\n'
            f"port = {self.port}\n"
            f'ca_file = "{self.ca_file}"\n'
            f'credentials = "{self.site_credentials}"\n'
            f"resend_seconds = {resend_seconds}\n"
        )


def start_hub_broker(folder: Path, site_id: str) -> HubBroker:
    """Makes the hub broker's files in `folder` and starts it (the caller stops it)."""
    folder.mkdir(parents=True)
    tls = ensure_tls(folder, LOCALHOST, "hub")
    site_password = secrets.token_urlsafe(24)
    ingest_password = secrets.token_urlsafe(24)
    passwd = folder / "passwd"
    passwd.write_text(f"{site_id}:{site_password}\n{HUB_INGEST}:{ingest_password}\n")
    passwd.chmod(0o600)
    subprocess.run([PASSWD_TOOL, "-U", str(passwd)], check=True, capture_output=True)
    topics = HubTopics(site_id)
    acl = folder / "acl"
    acl.write_text(
        f"user {site_id}\n"
        f"topic write {topics.records}\n"
        f"topic read {topics.acked}\n"
        f"\nuser {HUB_INGEST}\n"
        f"topic read {HubTopics.all_records()}\n"
        "topic write antre-hub/v1/+/acked\n"
    )
    port = free_port()
    conf = folder / "hub.conf"
    conf.write_text(_conf_text(folder, tls, passwd, acl, port))
    credentials = folder / f"{site_id}.hub.toml"
    credentials.write_text(
        hub_credentials_toml(HubCredentials(username=site_id, password=site_password, site=site_id))
    )
    credentials.chmod(0o600)
    broker = Mosquitto(conf, port, folder)
    broker.start()
    return HubBroker(broker, port, tls.ca_cert, credentials, ingest_password)


def _conf_text(folder: Path, tls: TlsFiles, passwd: Path, acl: Path, port: int) -> str:
    return f"""\
per_listener_settings false
allow_anonymous false
password_file {passwd}
acl_file {acl}
listener {port} {LOCALHOST}
cafile {tls.ca_cert}
certfile {tls.server_cert}
keyfile {tls.server_key}
tls_version tlsv1.2
# Sessions, queued messages and the retained acknowledgements survive a restart.
persistence true
persistence_location {folder}/
max_queued_messages 10000
log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
connection_messages true
"""
