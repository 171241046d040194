"""Runs one Mosquitto process from a configuration file `antre-provision` wrote.

    with MosquittoRunner(report.conf, port) as broker:
        ...  # the port accepts connections here
    # stopped (SIGTERM, then SIGKILL if it lingers)

For `make run`, the benchmarks and the tests: a production install runs Mosquitto under
systemd as its own user instead. Its log goes to `mosquitto.log` beside the
configuration (or in `folder`); `log()` reads it back, for error messages.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

from contract.errors import AntreError

LOCALHOST = "127.0.0.1"
# Bounded waits: generous for a loaded machine, never reached when things work.
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
# Debian installs the broker in /usr/sbin, which is off a normal user's PATH.
SBIN_PATH = "/usr/sbin:/usr/local/sbin"
# Mosquitto logs this line when a SIGHUP makes it reread its files.
RELOAD_MARKER = "Reloading config."
ROOT_CONF_NAME = "mosquitto-as-root.conf"


class MosquittoError(AntreError, RuntimeError):
    """Mosquitto is not installed, would not start or reload, or was used out of turn."""


def free_port(host: str = LOCALHOST) -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def mosquitto_binary() -> str:
    """The broker executable: on PATH, or where Debian puts it (/usr/sbin)."""
    found = shutil.which("mosquitto") or shutil.which("mosquitto", path=SBIN_PATH)
    if found is None:
        raise MosquittoError("mosquitto is not installed (Debian: apt-get install mosquitto)")
    return found


class MosquittoRunner:
    """One Mosquitto process run from a configuration file, logging to a file.

    `port` is the one the configuration listens on (on `host`): `start` returns once it
    accepts connections. `folder` holds the log (and the run-as-root configuration); it
    defaults to the configuration's folder.
    """

    def __init__(
        self, conf: Path, port: int, folder: Path | None = None, *, host: str = LOCALHOST
    ) -> None:
        self.conf = conf
        self.port = port
        self.host = host
        self.folder = folder or conf.parent
        self.log_path = self.folder / "mosquitto.log"
        self._process: subprocess.Popen[bytes] | None = None

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Starts the broker and returns once its port accepts connections.

        Raises `MosquittoError` if it is missing, exits (the log says why) or does not
        listen within `timeout` seconds (then it is killed).
        """
        if self.is_running():
            raise MosquittoError("mosquitto is already running")
        command = [mosquitto_binary(), "-c", str(self._run_conf())]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while True:
            code = self._process.poll()
            if code is not None:
                self._process = None
                raise MosquittoError(f"mosquitto exited with status {code}:\n{self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.kill()
                    raise MosquittoError(
                        f"mosquitto did not accept connections on port {self.port} "
                        f"within {timeout} s:\n{self.log()}"
                    ) from None
                time.sleep(0.02)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM (Mosquitto saves its database), then SIGKILL if it does not exit."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def kill(self) -> None:
        """SIGKILL, as a power cut would: no database save."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def reload(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGHUP: Mosquitto rereads its configuration, passwd and ACL files."""
        if self._process is None or not self.is_running():
            raise MosquittoError("mosquitto is not running")
        seen = self.log().count(RELOAD_MARKER)
        self._run_conf()
        self._process.send_signal(signal.SIGHUP)
        # Mosquitto logs the marker, then reloads in the same loop iteration, before it
        # reads any new connection: once the line shows, new clients meet the new files.
        if not _poll(lambda: self.log().count(RELOAD_MARKER) > seen, timeout):
            raise MosquittoError(f"mosquitto did not reload within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def _run_conf(self) -> Path:
        """The file to start from: the configuration itself, unless running as root.

        Started as root, Mosquitto drops to the `mosquitto` user, which cannot read the
        0600 passwd that root owns; `user root` keeps it as root. This override is for
        running as root on a dev machine or in CI only: a production install runs
        Mosquitto under systemd as its own user, which owns its files. Rewritten before
        every start and reload, so it follows the configuration.
        """
        if os.geteuid() != 0:
            return self.conf
        run_conf = self.folder / ROOT_CONF_NAME
        text = self.conf.read_text(encoding="utf-8")
        run_conf.write_text(
            f"{text}\n# Dev machine or CI only: started as root, stay root to read the files.\n"
            "user root\n",
            encoding="utf-8",
        )
        return run_conf

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _poll(condition: Callable[[], bool], timeout: float) -> bool:
    """Polls `condition()` until it holds (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
