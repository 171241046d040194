"""install.sh's checks before it changes anything, with the system's python3 alone.

    python3 systemd/preflight.py central SITE.toml [PROVISIONED_DIR]
    python3 systemd/preflight.py kiosk|survey|display BUNDLE.tar.gz UNPACK_DIR

Checks the Python version, reads the site file (and for a device, unpacks its bundle
into UNPACK_DIR and checks that it is whole and made for this role), then prints what
install.sh needs as KEY=value lines. On a problem it prints it to stderr and exits 1.
The full check of the site file (`antre-check-config`) needs the installed packages and
runs later, still before any configuration is written.
"""

from __future__ import annotations

import re
import sys
import tarfile
from pathlib import Path
from typing import Any

MINIMUM_PYTHON = (3, 11)
BUNDLE_FILES = {"bundle.toml", "site.toml", "credentials.toml", "ca.crt"}
REQUIRED_FILES = {"bundle.toml", "site.toml", "credentials.toml"}
IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
HOST = re.compile(r"^[A-Za-z0-9.:_-]{1,253}$")
# Each device role's table in the site file.
DEVICE_TABLES = {"kiosk": "kiosks", "survey": "survey_units", "display": "displays"}


class Refused(Exception):
    """The configuration cannot be installed; the message says why."""


def main(argv: list[str]) -> int:
    if sys.version_info < MINIMUM_PYTHON:
        found = ".".join(map(str, sys.version_info[:3]))
        print(f"install.sh: Python 3.11 or newer is needed (found {found})", file=sys.stderr)
        return 1
    try:
        if len(argv) >= 2 and argv[0] == "central":
            facts = central(Path(argv[1]), Path(argv[2]) if len(argv) > 2 else None)
        elif len(argv) == 3 and argv[0] in DEVICE_TABLES:
            facts = device(argv[0], Path(argv[1]), Path(argv[2]))
        else:
            raise Refused(
                "usage: preflight.py central SITE [DIR] | kiosk|survey|display BUNDLE DIR"
            )
    except Refused as e:
        print(f"install.sh: {e}", file=sys.stderr)
        return 1
    for key, value in facts.items():
        print(f"{key}={value}")
    return 0


def central(site_path: Path, provisioned: Path | None) -> dict[str, str]:
    site = read_toml(site_path, "site file")
    facts = {"SITE_ID": site_id(site, site_path)}
    hub_files(site, site_path)
    # The last provisioning's broker settings, to keep them on an upgrade.
    previous = provisioned / "credentials" / "central.toml" if provisioned else None
    if previous is not None and previous.exists():
        credentials = read_toml(previous, "central's credentials")
        host, port = credentials.get("host"), credentials.get("port")
        if isinstance(host, str) and HOST.match(host) and isinstance(port, int):
            facts["PREVIOUS_HOST"] = host
            facts["PREVIOUS_PORT"] = str(port)
            facts["PREVIOUS_TLS"] = "1" if credentials.get("tls_ca") else "0"
    return facts


def hub_files(site: dict[str, Any], site_path: Path) -> None:
    """An enabled [hub] names the hub's CA and the site's credential: both must be here
    (provisioning puts them into the bridge), or nothing is installed."""
    hub = site.get("hub")
    if not isinstance(hub, dict) or hub.get("enabled", True) is False:
        return
    for key in ("ca_file", "credentials"):
        name = hub.get(key)
        if not isinstance(name, str) or not Path(name).is_file():
            raise Refused(
                f"{site_path}: hub.{key}: no file {name!r} on this central: put the hub's "
                "files here first (docs/technician.md, section 13)"
            )


def device(role: str, bundle: Path, into: Path) -> dict[str, str]:
    unpack(bundle, into)
    manifest = read_toml(into / "bundle.toml", f"{bundle}: bundle.toml")
    if manifest.get("role") != role:
        raise Refused(
            f"{bundle} is a bundle for a {manifest.get('role')!r}, not a {role}: "
            f"run install.sh {manifest.get('role')} {bundle}"
        )
    device_id = manifest.get("device")
    if not isinstance(device_id, str) or not IDENTIFIER.match(device_id):
        raise Refused(f"{bundle}: bundle.toml names no device")
    site = read_toml(into / "site.toml", f"{bundle}: site.toml")
    sid = site_id(site, bundle)
    tables = site.get(DEVICE_TABLES[role], [])
    entry = next((t for t in tables if isinstance(t, dict) and t.get("id") == device_id), None)
    if entry is None:
        what = "survey unit" if role == "survey" else role
        raise Refused(f"{bundle}: the site file has no {what} {device_id!r}")
    credentials = read_toml(into / "credentials.toml", f"{bundle}: credentials.toml")
    if credentials.get("username") != device_id or credentials.get("site") != sid:
        raise Refused(
            f"{bundle}: credentials.toml is not {device_id!r}'s of site {sid!r}: "
            "make the bundle again with antre-bundle"
        )
    tls = bool(credentials.get("tls_ca"))
    if tls and not (into / "ca.crt").exists():
        raise Refused(f"{bundle}: TLS is on but the bundle has no ca.crt")
    facts = {"SITE_ID": sid, "DEVICE": device_id, "TLS": "1" if tls else "0"}
    if role == "display":
        facts["ENGLISH"] = "1" if entry.get("english") else "0"
    elif role == "kiosk":
        facts["USB_PRINTER"] = usb_ids(entry.get("printer", {}))
    return facts


def unpack(bundle: Path, into: Path) -> None:
    """Extracts the bundle's known files only: no paths, links or devices from a tar."""
    try:
        with tarfile.open(bundle, "r:gz") as tar:
            names = set()
            for member in tar.getmembers():
                name = member.name.removeprefix("./")
                if name not in BUNDLE_FILES or not member.isfile():
                    raise Refused(f"{bundle}: unexpected {member.name!r} in the bundle")
                source = tar.extractfile(member)
                assert source is not None
                (into / name).write_bytes(source.read())
                names.add(name)
    except (OSError, tarfile.TarError) as e:
        raise Refused(f"cannot read the bundle {bundle}: {e}") from e
    missing = REQUIRED_FILES - names
    if missing:
        raise Refused(f"{bundle}: the bundle lacks {', '.join(sorted(missing))}")


def read_toml(path: Path, what: str) -> dict[str, Any]:
    import tomllib

    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except OSError as e:
        raise Refused(f"cannot read the {what} {path}: {e.strerror or e}") from e
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise Refused(f"the {what} {path} is not valid TOML: {e}") from e


def site_id(site: dict[str, Any], source: Path) -> str:
    info = site.get("site")
    value = info.get("id") if isinstance(info, dict) else None
    if not isinstance(value, str) or not IDENTIFIER.match(value):
        raise Refused(f"{source}: [site] id is missing or not an identifier")
    return value


def usb_ids(printer: Any) -> str:
    """A USB printer's ids for its udev rule, as `0416:5011`; empty for other printers."""
    if not isinstance(printer, dict) or printer.get("type") != "usb":
        return ""
    vendor, product = printer.get("usb_vendor_id"), printer.get("usb_product_id")
    if not isinstance(vendor, int) or not isinstance(product, int):
        return ""
    return f"{vendor:04x}:{product:04x}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
