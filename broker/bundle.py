"""`antre-bundle`: provisions the site again and packs one device's files for its Pi.

    sudo antre-bundle /etc/antre/site.toml --dir /var/lib/antre/mqtt --device kiosk-3 \\
        --out kiosk-3.tar.gz --reload

A technician adds the kiosk, survey unit or display to the site file on the central, runs
this, and copies the bundle to the new Pi, where `sudo systemd/install.sh kiosk
kiosk-3.tar.gz` (or `survey`, `display`: the bundle's role) installs it. Provisioning keeps
every existing password (`broker/provision.py`), so the devices already installed keep
working; the broker address, port and TLS setting are those of the last provisioning
unless given.

The bundle (a .tar.gz, mode 0600: it holds a password) contains:

- `bundle.toml`: the device, its role (kiosk, survey or display) and the site;
- `site.toml`: the site file, the same on every device;
- `credentials.toml`: the device's MQTT credentials, naming the CA where the device keeps
  it (`DEVICE_CA`), when TLS is on;
- `ca.crt`: the site's CA certificate, when TLS is on.

The same site, folder and device always give the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec

from broker.provision import (
    CREDENTIALS_DIR,
    PLAIN_PORT,
    TLS_PORT,
    ProvisionError,
    ProvisionReport,
    provision,
)
from broker.tls import TlsError, TlsFiles
from contract import topics
from contract.credentials import credentials_toml, load_credentials
from contract.errors import AntreError, ConfigError
from contract.site import Site
from contract.site_loader import load_site
from contract.toml_text import toml_string

# Where systemd/install.sh puts the files on the device.
DEVICE_CA = "/etc/antre/ca.crt"
MANIFEST = "bundle.toml"
SITE_FILE = "site.toml"
CREDENTIALS_FILE = "credentials.toml"
CA_FILE = "ca.crt"
# What `systemctl` does with --reload: Mosquitto rereads passwd and ACL, the central the site.
RELOAD_COMMANDS = (
    ("systemctl", "reload", "mosquitto.service"),
    ("systemctl", "try-restart", "antre-central.service"),
)
_LISTENER = re.compile(r"^listener (\d+) (\S+)$", re.MULTILINE)


class BundleError(AntreError):
    """No bundle can be made for this device (unknown, not a kiosk, survey unit or display)."""


@dataclass(frozen=True)
class BrokerSettings:
    """How devices reach the broker: what provisioning writes into every credentials file."""

    host: str
    port: int
    tls: bool
    bind_address: str = "0.0.0.0"


@dataclass(frozen=True)
class Bundle:
    """A bundle written: where, for which device and role, and the provisioning it followed."""

    path: Path
    device: str
    role: str
    report: ProvisionReport


def previous_settings(directory: Path) -> BrokerSettings | None:
    """The settings of the last provisioning of `directory`, from the central's files."""
    central = directory / CREDENTIALS_DIR / f"{topics.CENTRAL_ID}.toml"
    if not central.exists():
        return None
    credentials = load_credentials(central)
    bind = "0.0.0.0"
    conf = directory / "mosquitto" / "antre.conf"
    if conf.exists():
        listener = _LISTENER.search(conf.read_text(encoding="utf-8"))
        if listener is not None:
            bind = listener[2]
    return BrokerSettings(credentials.host, credentials.port, credentials.tls_ca is not None, bind)


def device_role(site: Site, device_id: str) -> str:
    """What the device is in the site file: `kiosk`, `survey` (a survey unit) or `display`.

    The role names install.sh's argument and the unit it installs (`antre-survey`).
    """
    if any(kiosk.id == device_id for kiosk in site.kiosks):
        return "kiosk"
    if any(unit.id == device_id for unit in site.survey_units):
        return "survey"
    if any(display.id == device_id for display in site.displays):
        return "display"
    devices = (
        [k.id for k in site.kiosks]
        + [u.id for u in site.survey_units]
        + [d.id for d in site.displays]
    )
    raise BundleError(
        f"no kiosk, survey unit or display {device_id!r} in the site file (devices: "
        f"{', '.join(devices) or 'none'}); add it to the site file first"
    )


def bundle_files(
    site_text: str, report: ProvisionReport, device_id: str, role: str
) -> dict[str, bytes]:
    """The bundle's files by name: manifest, site, credentials and, with TLS, the CA."""
    credentials = report.credentials[device_id]
    tls = credentials.tls_ca is not None
    on_device = msgspec.structs.replace(credentials, tls_ca=DEVICE_CA if tls else None)
    manifest = "\n".join(
        [
            "# An Antre device bundle, written by antre-bundle. Install it on the device:",
            f"#   sudo systemd/install.sh {role} {device_id}.tar.gz",
            f"device = {toml_string(device_id)}",
            f"role = {toml_string(role)}",
            f"site = {toml_string(report.site_id)}",
            f"tls = {'true' if tls else 'false'}",
        ]
    )
    files = {
        MANIFEST: f"{manifest}\n".encode(),
        SITE_FILE: site_text.encode(),
        CREDENTIALS_FILE: credentials_toml(on_device).encode(),
    }
    if tls:
        files[CA_FILE] = TlsFiles.of(report.directory).ca_cert.read_bytes()
    return files


def write_bundle(files: dict[str, bytes], out: Path) -> None:
    """A reproducible .tar.gz (no times, no owners), mode 0600, replaced whole or not at all."""
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as packed,
        tarfile.open(fileobj=packed, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mode = 0o600 if name == CREDENTIALS_FILE else 0o644
            tar.addfile(info, io.BytesIO(files[name]))
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    temporary = Path(name)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(buffer.getvalue())
        temporary.replace(out)
    finally:
        temporary.unlink(missing_ok=True)


def make_bundle(
    site_path: Path,
    directory: Path,
    device_id: str,
    out: Path,
    *,
    host: str | None = None,
    port: int | None = None,
    tls: bool | None = None,
) -> Bundle:
    """Provisions `directory` from the site file (keeping secrets), then writes the bundle."""
    site = load_site(site_path)
    role = device_role(site, device_id)
    before = previous_settings(directory)
    if host is None and before is None:
        raise BundleError(
            f"{directory} was never provisioned: give the broker's address with --host"
        )
    tls = tls if tls is not None else (before.tls if before else False)
    settings = BrokerSettings(
        host=host or (before.host if before else ""),
        port=port or (before.port if before and before.tls == tls else _default_port(tls)),
        tls=tls,
        bind_address=before.bind_address if before else "0.0.0.0",
    )
    report = provision(
        site,
        directory,
        host=settings.host,
        port=settings.port,
        bind_address=settings.bind_address,
        source=str(site_path),
        tls=settings.tls,
    )
    files = bundle_files(site_path.read_text(encoding="utf-8"), report, device_id, role)
    write_bundle(files, out)
    return Bundle(out, device_id, role, report)


def _default_port(tls: bool) -> int:
    return TLS_PORT if tls else PLAIN_PORT


def _reload() -> list[str]:
    """Runs RELOAD_COMMANDS; the problems, if any."""
    problems = []
    for command in RELOAD_COMMANDS:
        try:
            result = subprocess.run(command, capture_output=True, text=True, check=False)
        except OSError as e:
            problems.append(f"{' '.join(command)}: {e}")
            continue
        if result.returncode != 0:
            problems.append(f"{' '.join(command)}: {(result.stderr or result.stdout).strip()}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="antre-bundle",
        description="Provision the site again (passwords are kept) and write one kiosk's, "
        "survey unit's or display's bundle: the site file, its credentials and, with TLS, the "
        "CA certificate.",
    )
    parser.add_argument("site", type=Path, help="the site file, with the new device in it")
    parser.add_argument("--dir", required=True, type=Path, help="the central's provisioned folder")
    parser.add_argument(
        "--device", required=True, help="the kiosk's, survey unit's or display's id"
    )
    parser.add_argument("--out", required=True, type=Path, help="the bundle to write (.tar.gz)")
    parser.add_argument("--host", help="the broker address (default: as last provisioned)")
    parser.add_argument("--port", type=int, help="the broker port (default: as last provisioned)")
    parser.add_argument(
        "--tls",
        action=argparse.BooleanOptionalAction,
        help="MQTT over TLS (default: as last provisioned)",
    )
    parser.add_argument(
        "--reload",
        action="store_true",
        help="then reload Mosquitto (the new password and ACL) and restart antre-central "
        "(the new site file)",
    )
    args = parser.parse_args(argv)
    try:
        bundle = make_bundle(
            args.site, args.dir, args.device, args.out, host=args.host, port=args.port, tls=args.tls
        )
    except ConfigError as e:
        print(e, file=sys.stderr)
        return 1
    except (BundleError, ProvisionError, TlsError, ValueError) as e:
        print(f"antre-bundle: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"antre-bundle: {e}", file=sys.stderr)
        return 1
    report = bundle.report
    credentials = report.credentials[args.device]
    print(f"Provisioned site {report.site_id!r} in {report.directory}")
    print(f"  new: {', '.join(report.created) or '-'}; revoked: {', '.join(report.revoked) or '-'}")
    tls = "TLS" if credentials.tls_ca is not None else "plain TCP"
    print(f"Wrote {args.out}: {args.device} reaches {credentials.host}:{credentials.port} ({tls})")
    if args.reload:
        problems = _reload()
        for problem in problems:
            print(f"antre-bundle: {problem}", file=sys.stderr)
        if problems:
            return 1
        print("Reloaded Mosquitto and restarted antre-central.")
    else:
        print("Then: sudo systemctl reload mosquitto && sudo systemctl restart antre-central")
    print(
        f"Copy {args.out} to the device and run there: "
        f"sudo systemd/install.sh {bundle.role} {args.out.name}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
