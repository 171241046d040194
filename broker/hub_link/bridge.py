"""The site Mosquitto's bridge to the region's hub broker, from the site file's `[hub]`.

`antre-provision` appends this to the site's Mosquitto configuration: the site's two hub
topics cross over TLS with the site's own credential, `records` out and `acked` in, in a
persistent session. The bridge is only a transport: what it drops, the central sends again
(`broker.hub_link.window`). Mosquitto publishes the bridge's state (1 up, 0 down) on a
local topic; the central's sender waits while it is down instead of heaping resends into
the bridge's queue.
"""

from dataclasses import dataclass
from pathlib import Path

from contract.errors import ConfigError
from contract.hub_credentials import HubCredentials, load_hub_credentials
from contract.hub_stream import HubTopics
from contract.site import HubConnection, Site
from contract.topics import Topics

CONNECTION = "antre-hub"
# The hub's CA, copied beside the broker's other files (Mosquitto reads it as its own user).
CA_NAME = "hub-ca.crt"
PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"


def bridge_state_topic(site_id: str) -> str:
    """Where the site's Mosquitto says, retained, whether the bridge is up ("1") or not."""
    return f"{Topics(site_id).root}/hub/bridge"


def central_hub_rules(site: Site) -> tuple[tuple[str, str], ...]:
    """What the central may do on the hub topics: write its records, read the hub's word."""
    if site.enabled_hub is None:
        return ()
    topics = HubTopics(site.site.id)
    return (("write", topics.records), ("read", topics.acked))


@dataclass(frozen=True)
class Bridge:
    """What the bridge needs: the site file's section, the credential, the hub's CA."""

    site_id: str
    hub: HubConnection
    credentials: HubCredentials
    ca_text: str


def read_bridge(site: Site, source: str | None = None) -> Bridge | None:
    """The bridge of an enabled `[hub]` (None without one); `ConfigError` names the file."""
    hub = site.enabled_hub
    if hub is None:
        return None
    credentials = load_hub_credentials(hub.credentials, site.site.id)
    where = source or f"site {site.site.id!r}"
    try:
        ca_text = Path(hub.ca_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(where, "hub.ca_file", f"cannot read {hub.ca_file} ({e})") from e
    if PEM_CERTIFICATE not in ca_text:
        raise ConfigError(where, "hub.ca_file", f"{hub.ca_file} holds no PEM certificate")
    return Bridge(site.site.id, hub, credentials, ca_text)


def bridge_conf_text(bridge: Bridge, ca_file: Path) -> str:
    """The bridge section of the site's Mosquitto configuration, each setting with its reason."""
    topics = HubTopics(bridge.site_id)
    return f"""
# --- The region's hub (the site file's [hub]) ---------------------------------------------
# The site's history goes to the hub's broker; the hub's acknowledgement comes back.
connection {CONNECTION}
address {bridge.hub.host}:{bridge.hub.port}
bridge_protocol_version mqttv50
# TLS, checking the hub broker's certificate against the hub's CA alone.
bridge_cafile {ca_file}
bridge_insecure false
bridge_tls_version tlsv1.2
# The site's own credential on the hub (from the hub's administrator): the hub's ACL
# lets it write only its records and read only its acknowledgement.
remote_username {bridge.credentials.username}
remote_password {bridge.credentials.password}
remote_clientid antre-site-{bridge.site_id}
local_clientid antre-bridge-{bridge.site_id}
# A persistent session on both sides: what is queued survives a reconnect. While the
# uplink is down the bridge's queue is bounded by max_queued_messages above; the central
# keeps at most five batches in flight and waits while the bridge is down, so only a few
# ever wait there.
cleansession false
# Try again soon after the uplink comes back, backing off to half a minute.
restart_timeout 2 30
keepalive_interval 60
# The bridge's state, for the central's sender only: never sent to the hub.
notifications true
notifications_local_only true
notification_topic {bridge_state_topic(bridge.site_id)}
topic {topics.records} out 1
topic {topics.acked} in 1
"""
