"""The MQTT credentials file of one device or of the central.

`antre-provision` writes one small TOML file per MQTT user (mode 0600), and the
central, each kiosk, display and counter client reads its own with `load_credentials`:

    username = "kiosk-1"
    password = "..."
    host = "192.168.1.10"
    port = 1883
    site = "samarinda"

Every problem is a `ConfigError` naming the file and the key, like the site file's.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated

import msgspec
from msgspec import Meta, Struct

from contract.errors import ConfigError
from contract.site import Identifier
from contract.toml_text import toml_string

Port = Annotated[int, Meta(ge=1, le=65535)]
Host = Annotated[str, Meta(min_length=1, max_length=253)]
# Written by `secrets.token_urlsafe`; anything non-empty without a newline is accepted.
Password = Annotated[str, Meta(min_length=1, max_length=512, pattern=r"^[^\r\n]+$")]


class Credentials(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Who a client is on Mosquitto, where Mosquitto is, and which site it serves."""

    # "central", a kiosk, survey unit or display id, or "counter-<n>".
    username: Identifier
    password: Password
    host: Host
    port: Port
    site: Identifier
    # The site's CA certificate, when Mosquitto listens with TLS (antre-provision --tls):
    # the device trusts that certificate alone.
    tls_ca: str | None = None

    def __repr__(self) -> str:
        # Never print the secret: reprs end up in logs and test reports.
        return (
            f"Credentials(username={self.username!r}, password='***', host={self.host!r}, "
            f"port={self.port!r}, site={self.site!r}, tls_ca={self.tls_ca!r})"
        )


def load_credentials(path: str | Path) -> Credentials:
    """Reads and checks a credentials file; a `ConfigError` names the file and the key."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(source, "", f"cannot read the file ({e.strerror or e})") from e
    except UnicodeDecodeError as e:
        raise ConfigError(source, "", "the file is not UTF-8 text") from e
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(source, "", f"not valid TOML: {e}") from e
    try:
        return msgspec.convert(data, type=Credentials)
    except msgspec.ValidationError as e:
        key, problem = _split(str(e))
        raise ConfigError(source, key, problem) from e


def credentials_toml(credentials: Credentials) -> str:
    """The text of a credentials file, as `load_credentials` reads it back."""
    lines = [
        f"# MQTT credentials of {credentials.username!r} for the Antre site "
        f"{credentials.site!r}, written by antre-provision.",
        "# Keep this file secret (mode 0600). Provisioning again keeps the password and",
        "# refreshes host, port and site.",
        f"username = {toml_string(credentials.username)}",
        f"password = {toml_string(credentials.password)}",
        f"host = {toml_string(credentials.host)}",
        f"port = {credentials.port}",
        f"site = {toml_string(credentials.site)}",
    ]
    if credentials.tls_ca is not None:
        lines.append(f"tls_ca = {toml_string(credentials.tls_ca)}")
    return "\n".join(lines) + "\n"


_PATH = re.compile(r"^(?P<problem>.*) - at `\$\.?(?P<path>[^`]*)`$", re.DOTALL)
_FIELD = re.compile(r"^Object (?:contains unknown|missing required) field `(?P<field>[^`]+)`$")


def _split(message: str) -> tuple[str, str]:
    """msgspec says "Expected `int`, got `str` - at `$.port`"; make that ("port", ...)."""
    match = _PATH.match(message)
    path, problem = (match["path"], match["problem"]) if match else ("", message)
    field = _FIELD.match(problem)
    if field:
        path = f"{path}.{field['field']}" if path else field["field"]
    return path, problem
