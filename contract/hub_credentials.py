"""A site's credential on its region's hub broker, as the hub's administrator gives it.

One small TOML file per site (mode 0600), named in the site file's `[hub]` section:

    username = "samarinda"
    password = "..."
    site = "samarinda"

`antre-provision` puts the username and password into the site Mosquitto's bridge
(`remote_username`, `remote_password`); nothing else on the site reads them. `site`, when
given, must be the site's own id: a file meant for another site is refused, not used.
Every problem is a `ConfigError` naming the file and the key.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

import msgspec
from msgspec import Meta, Struct

from contract.errors import ConfigError
from contract.site import Identifier
from contract.toml_text import toml_string

# No whitespace or quote: the value goes into Mosquitto's configuration file as is.
BridgeWord = Annotated[str, Meta(min_length=1, max_length=256, pattern=r"^[^\s\"#]+$")]


class HubCredentials(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Who the site's bridge is on the hub's broker."""

    username: BridgeWord
    password: BridgeWord
    site: Identifier | None = None

    def __repr__(self) -> str:
        # Never print the secret: reprs end up in logs and test reports.
        return f"HubCredentials(username={self.username!r}, password='***', site={self.site!r})"


def load_hub_credentials(path: str | Path, site_id: str) -> HubCredentials:
    """Reads and checks the file; a `ConfigError` names the file and the key."""
    source = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(source, "", f"cannot read the file ({e.strerror or e})") from e
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(source, "", f"not a TOML text file: {e}") from e
    try:
        credentials = msgspec.convert(data, type=HubCredentials)
    except msgspec.ValidationError as e:
        raise ConfigError(source, "", str(e)) from e
    if credentials.site is not None and credentials.site != site_id:
        raise ConfigError(
            source, "site", f"the credential is for site {credentials.site!r}, not {site_id!r}"
        )
    return credentials


def hub_credentials_toml(credentials: HubCredentials) -> str:
    """The text of the file, as `load_hub_credentials` reads it back (for the hub's tools)."""
    lines = [
        "# The site's credential on the region's hub broker. Keep it secret (mode 0600).",
        f"username = {toml_string(credentials.username)}",
        f"password = {toml_string(credentials.password)}",
    ]
    if credentials.site is not None:
        lines.append(f"site = {toml_string(credentials.site)}")
    return "\n".join(lines) + "\n"
