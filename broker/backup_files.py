"""What a backup of the central carries, and where each part lies in the archive.

Every member sits where install.sh and antre-central keep it, so that `tar -xzf ARCHIVE
-C /` puts it back, with its mode and owner: the database's folder is the central's user's,
the rest root's. The MQTT folder's root-only files come from systemd's copies
(LoadCredential=) where the backup cannot read them itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import grp
import io
import os
import pwd
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path

from broker.provision import CREDENTIALS_DIR, MOSQUITTO_DIR
from broker.tls import TLS_DIR
from contract.errors import AntreError

CENTRAL_DIR = "var/lib/antre/central"
MQTT_DIR = "var/lib/antre/mqtt"
ETC_DIR = "etc/antre"
DATABASE = "antre.sqlite3"
TICKET_LINKS_SECRET = "ticket-links.secret"  # beside the database, as antre-central has it
# The key of the bookings' NIK hashes, beside the database too (broker/bookings/nik.py);
# a central from before bookings has none.
NIK_SECRET = "booking-nik.secret"
ETC_FILES = ("site.toml", "antre.env")
# The folders of the MQTT folder that systemd may hand over, as FOLDER_FILE.
MQTT_FOLDERS = (CREDENTIALS_DIR, MOSQUITTO_DIR, TLS_DIR)
# Not archived: Mosquitto's live database (sessions, retained messages: the central
# publishes its state again) and its server key, readable by Mosquitto alone; install.sh
# makes a new key and certificate from the CA, which is what the devices trust.
MQTT_SKIPPED = (f"{MOSQUITTO_DIR}/data", f"{MOSQUITTO_DIR}/server.key")
# What to do about a root-only file no credential stands in for.
_HINT = ": root-only files reach antre-backup.service through its LoadCredential="


class BackupError(AntreError):
    """No archive was written (or the old ones could not be removed): the path and why."""


@dataclass(frozen=True)
class CentralFiles:
    """Where the central keeps what a backup carries; the installed layout by default."""

    database: Path = Path("/var/lib/antre/central/antre.sqlite3")
    mqtt_dir: Path = Path("/var/lib/antre/mqtt")
    etc: Path = Path("/etc/antre")
    # systemd's copies of the MQTT folder's root-only files ($CREDENTIALS_DIRECTORY): a
    # folder's files arrive as FOLDER_FILE (credentials_kiosk-1.toml), a file as its id.
    credentials: Path | None = None


# A member of the archive: its header, and its bytes, a file to read, or None (a folder).
Member = tuple[tarfile.TarInfo, bytes | Path | None]


def central_members(
    database: Path, copy: Path, secret: bytes, moment: dt.datetime, nik_secret: bytes | None = None
) -> list[Member]:
    """The central's folder, owned by the user the central runs as (antre). Without the
    NIK key a restored central could not tell the NIKs of the bookings already made."""
    owner = database.stat()
    members = [
        _member(CENTRAL_DIR, _mode(database.parent, 0o750), None, moment, owner),
        _member(f"{CENTRAL_DIR}/{DATABASE}", _mode(database, 0o600), copy, moment, owner),
        _member(f"{CENTRAL_DIR}/{TICKET_LINKS_SECRET}", 0o600, secret, moment, owner),
    ]
    if nik_secret is not None:
        members.append(_member(f"{CENTRAL_DIR}/{NIK_SECRET}", 0o600, nik_secret, moment, owner))
    return members


def etc_members(etc: Path, moment: dt.datetime) -> list[Member]:
    members = [_member(ETC_DIR, _mode(etc, 0o755), None, moment)]
    for name in ETC_FILES:
        path = etc / name
        members.append(_member(f"{ETC_DIR}/{name}", _mode(path, 0o644), read_file(path), moment))
    return members


def mqtt_members(files: CentralFiles, moment: dt.datetime) -> list[Member]:
    """The provisioned MQTT folder: its own files where readable, systemd's copies else."""
    root = files.mqtt_dir
    handed = _handed_over(files.credentials)
    handed_folders = {name.split("/")[0] for name in handed}

    def unreadable(e: OSError) -> None:
        # A root-only folder (credentials/) is fine if systemd handed its files over.
        if Path(e.filename).relative_to(root).parts[:1] in {(f,) for f in handed_folders}:
            return
        hint = _HINT if e.errno == errno.EACCES else ""
        raise BackupError(f"{e.filename}: cannot read it ({e.strerror}){hint}")

    if not root.is_dir():
        raise BackupError(f"{root}: no such folder")
    found: dict[str, bytes] = {}
    for folder, subfolders, names in os.walk(root, onerror=unreadable):
        here = Path(folder).relative_to(root)
        subfolders[:] = [d for d in subfolders if _wanted((here / d).as_posix())]
        for name in names:
            relative = (here / name).as_posix()
            if _wanted(relative) and relative not in handed:
                found[relative] = read_file(Path(folder) / name, _HINT)
    found.update(handed)
    if f"{CREDENTIALS_DIR}/central.toml" not in found:
        raise BackupError(f"{root}: not a provisioned MQTT folder (no credentials/central.toml)")
    folders = sorted({str(Path(name).parent) for name in found} - {"."})
    members = [_member(MQTT_DIR, _mode(root, 0o755), None, moment)]
    for folder in folders:
        members.append(_member(f"{MQTT_DIR}/{folder}", _mode(root / folder, 0o700), None, moment))
    for name in sorted(found):
        # The real mode where it can be seen (ca.crt stays readable by Mosquitto); a file
        # in a folder this user cannot enter is root-only.
        mode = _mode(root / name, 0o600)
        members.append(_member(f"{MQTT_DIR}/{name}", mode, found[name], moment))
    return members


def _handed_over(folder: Path | None) -> dict[str, bytes]:
    """The MQTT folder's files among systemd's credentials, by their path in the folder."""
    if folder is None:
        return {}
    found = {}
    try:
        entries = sorted(folder.iterdir())
    except OSError as e:
        raise BackupError(f"{folder}: cannot read the credentials ({e.strerror})") from e
    for path in entries:
        top, underscore, name = path.name.partition("_")
        if top in MQTT_FOLDERS and underscore and name not in ("", ".", ".."):
            found[f"{top}/{name}"] = read_file(path)
    return found


def _wanted(relative: str) -> bool:
    # Dot files are provisioning's half-written temporary files.
    skipped = any(relative == s or relative.startswith(f"{s}/") for s in MQTT_SKIPPED)
    return not skipped and not Path(relative).name.startswith(".")


def _member(
    name: str,
    mode: int,
    payload: bytes | Path | None,
    moment: dt.datetime,
    owner: os.stat_result | None = None,
) -> Member:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if payload is None else tarfile.REGTYPE
    info.mode = mode
    info.mtime = int(moment.timestamp())
    # Owner names, so that tar gives the files to the same users on another Pi.
    info.uid, info.gid = (owner.st_uid, owner.st_gid) if owner else (0, 0)
    info.uname, info.gname = _user_name(info.uid), _group_name(info.gid)
    return info, payload


def write_archive(path: Path, members: list[Member]) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        with tarfile.open(fileobj=file, mode="w:gz") as tar:
            for info, payload in members:
                if payload is None:
                    tar.addfile(info)
                elif isinstance(payload, bytes):
                    info.size = len(payload)
                    tar.addfile(info, io.BytesIO(payload))
                else:
                    info.size = payload.stat().st_size
                    with payload.open("rb") as data:
                        tar.addfile(info, data)
        file.flush()
        os.fsync(file.fileno())


def read_file(path: Path, hint: str = "") -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        hint = hint if e.errno == errno.EACCES else ""
        raise BackupError(f"{path}: cannot read it ({e.strerror}){hint}") from e


def _mode(path: Path, default: int) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return default


def _user_name(uid: int) -> str:
    with contextlib.suppress(KeyError):
        return pwd.getpwuid(uid).pw_name
    return ""  # tar then keeps the number


def _group_name(gid: int) -> str:
    with contextlib.suppress(KeyError):
        return grp.getgrgid(gid).gr_name
    return ""


def fsync_folder(path: Path) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
