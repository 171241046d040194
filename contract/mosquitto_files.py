"""Writing a Mosquitto's files: whole or not at all, and passwords hashed before they land.

The site's provisioning (`broker.provision`) and the hub's (`hub.broker_setup`) both write
a passwd, an ACL, a configuration and credentials files; a power cut or a failing
`mosquitto_passwd` must leave the old file in place and no plaintext password on disk.
"""

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from contract.errors import AntreError

PASSWD_TOOL = "mosquitto_passwd"
# The plaintext file mosquitto_passwd hashes, in the given folder while it runs.
PASSWD_TEMP_PREFIX = ".passwd-plaintext-"


def write_passwd(
    tool: str,
    directory: Path,
    target: Path,
    entries: Sequence[tuple[str, str]],
    error: type[AntreError],
) -> None:
    """Hashes the (username, password) `entries` with `mosquitto_passwd -U` and installs
    the file at `target` atomically; raises `error` if the tool fails.

    The plaintext exists only in a 0600 temporary file in `directory`, hashed in place and
    then moved over the target; it is removed whatever happens.
    """
    fd, name = tempfile.mkstemp(prefix=PASSWD_TEMP_PREFIX, suffix=".tmp", dir=directory)
    temporary = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.writelines(f"{username}:{password}\n" for username, password in entries)
        result = subprocess.run(
            [tool, "-U", str(temporary)], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip() or f"exit {result.returncode}"
            raise error(f"{PASSWD_TOOL} -U failed: {detail}")
        hashed = temporary.read_text(encoding="utf-8").splitlines()
        users = [line.split(":", 1) for line in hashed]
        if [u[0] for u in users] != [username for username, _ in entries] or any(
            len(u) != 2 or not u[1].startswith("$") for u in users
        ):
            raise error(f"{PASSWD_TOOL} -U left an unexpected file; nothing installed")
        _fsync(temporary)
        temporary.replace(target)
        _fsync_dir(target.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def write_atomic(path: Path, text: str, mode: int) -> None:
    """Writes a file whole or not at all, with `mode`: a synced temporary file beside it,
    then a rename."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            os.fchmod(file.fileno(), mode)
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(path)
        _fsync_dir(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    # Not every file system lets a folder be synced; the rename is then as safe as it gets.
    with contextlib.suppress(OSError):
        _fsync(path)
