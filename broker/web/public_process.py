"""The central's side of the citizens' pages process (`broker.web.public_main`).

Started with the central, watched, started again if it dies (the staff pages and the
queue go on meanwhile; the phones reconnect by themselves), stopped with the central.
It holds the child's standard input: if the central is killed, the child sees the end of
it and stops too, and no orphan keeps the port.
"""

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

from broker.web.public_main import READY
from contract.errors import AntreError

log = logging.getLogger(__name__)

# How long the child may take to listen; it imports Flask and reads today's queue.
START_SECONDS = 60.0
# After the child died: wait this long before starting it again, doubling up to the most.
RESTART_SECONDS = 1.0
RESTART_MOST_SECONDS = 30.0
STOP_SECONDS = 10.0


class PublicPagesError(AntreError):
    """The public pages could not be started."""


class PublicPages:
    """The citizens' pages in a child process, kept running."""

    def __init__(self, arguments: Sequence[str]) -> None:
        """`arguments`: `broker.web.public_main`'s, with `--port`."""
        self._arguments = list(arguments)
        self._stopping = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._watcher = threading.Thread(target=self._watch, name="public-pages", daemon=True)
        self.port: int | None = None

    def start(self) -> int | None:
        """Starts the child and waits until it listens; its port. If it cannot start (the
        port taken, say), that is logged and it is tried again and again: the queue and
        the staff pages serve meanwhile. None: not started yet."""
        try:
            self._started(self._spawn(self._arguments))
        except (PublicPagesError, OSError) as e:
            log.error("%s", e)
        self._watcher.start()
        return self.port

    def _started(self, port: int) -> None:
        self.port = port
        # Started again on the same port, even if the first asked for any free one.
        self._arguments = _with_port(self._arguments, port)

    def stop(self) -> None:
        self._stopping.set()
        process = self._process
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()  # the child's signal to stop
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            log.warning("the public pages did not stop: killed")
            process.kill()
            process.wait()
        self._watcher.join(timeout=STOP_SECONDS)

    def _spawn(self, arguments: list[str]) -> int:
        process = subprocess.Popen(
            [sys.executable, "-m", "broker.web.public_main", *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # Its own session: a Ctrl-C at the terminal stops the central, which stops it.
            start_new_session=True,
        )
        self._process = process
        assert process.stdout is not None
        line = _read_line(process, START_SECONDS)
        word, _, port = line.partition(" ")
        if word != READY or not port.isdigit():
            process.kill()
            code = process.wait()
            raise PublicPagesError(
                f"the public pages did not start (exit code {code}; the reason is logged above)"
            )
        return int(port)

    def _watch(self) -> None:
        pause = RESTART_SECONDS
        while not self._stopping.is_set():
            process = self._process
            assert process is not None
            started = time.monotonic()
            code = process.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - started > RESTART_MOST_SECONDS:
                pause = RESTART_SECONDS  # it had been running well: no back-off
            log.error(
                "the public pages stopped (exit code %s): starting them again in %.0f s",
                code,
                pause,
            )
            if self._stopping.wait(pause):
                return
            pause = min(pause * 2, RESTART_MOST_SECONDS)
            try:
                self._started(self._spawn(self._arguments))
                log.warning("the public pages are served again on port %s", self.port)
            except (PublicPagesError, OSError) as e:
                log.error("%s", e)


def _read_line(process: subprocess.Popen[bytes], timeout: float) -> str:
    """The child's first line, or "" if it ends or says nothing within `timeout`."""
    found: list[bytes] = []
    assert process.stdout is not None
    stdout = process.stdout
    reader = threading.Thread(target=lambda: found.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return found[0].decode(errors="replace").strip() if found else ""


def _with_port(arguments: list[str], port: int) -> list[str]:
    at = arguments.index("--port")
    return [*arguments[: at + 1], str(port), *arguments[at + 2 :]]
