"""The site's own certificate authority and Mosquitto's server certificate (MQTT over TLS).

`antre-provision --tls` makes, with the `openssl` command (on every Raspberry Pi OS):

- `tls/ca.crt` and `tls/ca.key`: the site's CA, made once and then kept. Devices trust
  this certificate alone (`tls_ca` in their credentials); its key never leaves the central.
- `mosquitto/server.crt` and `mosquitto/server.key`: the broker's certificate, signed by
  the CA, naming the address devices connect to (and localhost). Made again only when that
  address changes or the CA is no longer the one that signed it; devices need nothing new
  then, since they trust the CA, not the server certificate.

The server's files sit in `mosquitto/` because Mosquitto reads them as its own user.
`antre-provision --web-tls` makes the web console's certificate the same way, signed by the
same CA, in `web/` (`WEB_DIR`): the staff's browsers trust the site's CA once, and every
certificate the central ever makes after.
"""

from __future__ import annotations

import contextlib
import ipaddress
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from contract.errors import AntreError

OPENSSL = "openssl"
TLS_DIR = "tls"
MOSQUITTO_DIR = "mosquitto"
WEB_DIR = "web"
# A LAN appliance: long lives, so no certificate expires while the mall is open.
CA_DAYS = 20 * 365
SERVER_DAYS = 10 * 365
# The address the server certificate was made for, beside it.
HOST_FILE = "server.host"

_CONFIG = """\
[req]
distinguished_name = dn
prompt = no

[dn]
O = Antre
CN = {common_name}

[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = {names}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""
_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]


class TlsError(AntreError):
    """The certificates could not be made (openssl missing or failing)."""


@dataclass(frozen=True)
class TlsFiles:
    """Where the CA and the server certificate of a provisioned folder are."""

    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path

    @classmethod
    def of(cls, directory: Path, server_dir: str = MOSQUITTO_DIR) -> TlsFiles:
        tls, server = directory / TLS_DIR, directory / server_dir
        return cls(tls / "ca.crt", tls / "ca.key", server / "server.crt", server / "server.key")


def openssl_tool() -> str:
    """The openssl command, or a `TlsError` saying how to install it."""
    tool = shutil.which(OPENSSL)
    if tool is None:
        raise TlsError("openssl not found on PATH: install it (Debian: apt-get install openssl)")
    return tool


def ensure_tls(
    directory: Path, host: str, site_id: str, server_dir: str = MOSQUITTO_DIR
) -> TlsFiles:
    """Makes what is missing or stale of the CA and a server certificate (Mosquitto's, or
    the web console's in `WEB_DIR`); keeps the rest."""
    tool = openssl_tool()
    files = TlsFiles.of(directory, server_dir)
    files.ca_cert.parent.mkdir(parents=True, exist_ok=True)
    files.server_cert.parent.mkdir(parents=True, exist_ok=True)
    if not (files.ca_cert.exists() and files.ca_key.exists()):
        _make_ca(tool, files, site_id)
    host_file = files.server_cert.with_name(HOST_FILE)
    made_for = host_file.read_text(encoding="utf-8").strip() if host_file.exists() else None
    if (
        made_for != host
        or not files.server_key.exists()
        or not _signed_by(tool, files.server_cert, files.ca_cert)
    ):
        _make_server(tool, files, host)
        _replace(host_file, f"{host}\n", 0o644)
    return files


def _make_ca(tool: str, files: TlsFiles, site_id: str) -> None:
    with _workspace(files.ca_cert.parent) as work:
        config = _config(work, f"Antre CA {site_id}", "DNS:localhost")
        key, cert = work / "ca.key", work / "ca.crt"
        _run(tool, "req", "-x509", "-config", config, "-extensions", "ca", *_KEY,
             "-keyout", key, "-out", cert, "-days", str(CA_DAYS))  # fmt: skip
        # The certificate first: a CA key without its certificate would be made again.
        _install(cert, files.ca_cert, 0o644)
        _install(key, files.ca_key, 0o600)


def _make_server(tool: str, files: TlsFiles, host: str) -> None:
    with _workspace(files.server_cert.parent) as work:
        config = _config(work, host, _subject_names(host))
        key, request, cert = work / "server.key", work / "server.csr", work / "server.crt"
        _run(tool, "req", "-new", "-config", config, *_KEY, "-keyout", key, "-out", request)
        _run(tool, "x509", "-req", "-in", request, "-CA", files.ca_cert, "-CAkey", files.ca_key,
             "-set_serial", f"0x{secrets.token_hex(16)}", "-days", str(SERVER_DAYS),
             "-extfile", config, "-extensions", "server", "-out", cert)  # fmt: skip
        _install(key, files.server_key, 0o600)
        _install(cert, files.server_cert, 0o644)


def _subject_names(host: str) -> str:
    """The names the server certificate is valid for: the devices' address, localhost."""
    try:
        ipaddress.ip_address(host)
        names = [f"IP:{host}"]
    except ValueError:
        names = [f"DNS:{host}"]
    for local in ("DNS:localhost", "IP:127.0.0.1"):
        if local not in names:
            names.append(local)
    return ", ".join(names)


def _signed_by(tool: str, cert: Path, ca: Path) -> bool:
    if not cert.exists():
        return False
    result = subprocess.run(
        [tool, "verify", "-CAfile", str(ca), str(cert)], capture_output=True, check=False
    )
    return result.returncode == 0


def _config(work: Path, common_name: str, names: str) -> Path:
    if any(char in common_name for char in "\n/=\\"):
        raise TlsError(f"{common_name!r} cannot name a certificate")
    path = work / "openssl.cnf"
    path.write_text(_CONFIG.format(common_name=common_name, names=names), encoding="utf-8")
    return path


def _run(tool: str, *args: str | Path) -> None:
    result = subprocess.run([tool, *map(str, args)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip() or f"exit {result.returncode}"
        raise TlsError(f"openssl {args[0]} failed: {detail}")


@contextlib.contextmanager
def _workspace(beside: Path) -> Iterator[Path]:
    """A private folder on the same file system, removed afterwards (keys are made in it)."""
    work = Path(tempfile.mkdtemp(prefix=".tls-", dir=beside))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _install(source: Path, target: Path, mode: int) -> None:
    source.chmod(mode)
    source.replace(target)


def _replace(path: Path, text: str, mode: int) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.chmod(mode)
    temporary.replace(path)
