"""`make run`'s program (`python -m local_mpp`) driven from its terminal, as a person would.

    with MakeRun(tmp_path) as run:
        addresses = run.start()  # waits for the greeting
        run.send("A", wait_for="button A pressed")
        ticket = run.wait_for_printout("kiosk-1")
        exit_code = run.stop()  # types `q`, collects the rest of the output
    assert "stopped Mosquitto" in run.output

It runs with its files in the test's folder and without a screen (the display runs headless),
in its own process group. Leaving the `with` block stops it whatever happened: SIGTERM, which
it takes as Ctrl-C (it stops Mosquitto, the central and the devices it started), then, as a
last resort, SIGKILL to the whole group.
"""

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Self

# Generous: a CI run may be using the CPU at the same time.
STARTING = 120.0
ANSWERING = 60.0
STOPPING = 60.0


@dataclass(frozen=True)
class Addresses:
    """What the greeting points people at."""

    web_console: str
    virtual_kiosk: str
    # The citizens' pages (tickets, bookings), on a port of their own.
    public_pages: str


class MakeRun:
    """One `python -m local_mpp` fed by the test; everything it printed is in `output`."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.lines: list[str] = []
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        # Lines as the program prints them; None once its output has ended.
        self._printed: queue.Queue[str | None] = queue.Queue()

    @property
    def output(self) -> str:
        """Everything read so far: up to the last awaited line, or all of it after `stop()`."""
        return "".join(self.lines)

    def start(self, *args: str, timeout: float = STARTING) -> Addresses:
        """Starts the program (with `args`) and waits for its greeting; the addresses it
        gives."""
        environment = {**os.environ, "ANTRE_RUN_DIR": str(self.run_dir)}
        environment.pop("DISPLAY", None)
        environment.pop("WAYLAND_DISPLAY", None)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "local_mpp", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=environment,
            text=True,
            # Its own process group: a last-resort kill takes its children with it.
            start_new_session=True,
        )
        assert self._process.stdout is not None
        self._reader = threading.Thread(
            target=self._read, args=(self._process.stdout,), name="make-run-output", daemon=True
        )
        self._reader.start()
        # The greeting comes in one piece (the prompt flushes it): the kiosk's line is in it.
        self.read_until("Virtual kiosk:", timeout)
        return Addresses(
            self._greeted("Web console"),
            self._greeted("Virtual kiosk"),
            self._greeted(r"Booking \(a citizen's phone\)"),
        )

    def send(self, line: str, wait_for: str | None = None, timeout: float = ANSWERING) -> None:
        """Types `line` at the prompt; then, if given, waits for a line containing `wait_for`."""
        stdin = self._running().stdin
        assert stdin is not None
        stdin.write(line + "\n")
        stdin.flush()
        if wait_for is not None:
            self.read_until(wait_for, timeout)

    def wait_for_printout(self, kiosk: str, timeout: float = ANSWERING) -> str:
        """Until `kiosk` has printed a ticket (its log says so); the number it printed.

        "button A pressed" only means the key reached the kiosk: its ticket comes a moment
        later, after the round trip to the central, and a counter that calls before then
        finds the queue empty."""
        log = self.run_dir / f"{kiosk}.log"
        printed = re.compile(rf"{re.escape(kiosk)} printed ([A-Z]\d{{3}})")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = printed.search(log.read_text(errors="replace")) if log.exists() else None
            if found:
                return found.group(1)
            time.sleep(0.1)
        raise AssertionError(f"{kiosk} printed nothing within {timeout} s:\n{self.output}")

    def line_with(self, text: str, timeout: float = ANSWERING) -> str:
        """The first line containing `text`, read already (lines from processes of their
        own may come before the one awaited) or read next."""
        for line in self.lines:
            if text in line:
                return line
        return self.read_until(text, timeout)

    def read_until(self, text: str, timeout: float = ANSWERING) -> str:
        """The next printed line containing `text`; fails the test, with the output, without it."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._printed.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {text!r} within {timeout} s:\n{self.output}") from None
            if line is None:
                self._printed.put(None)
                raise AssertionError(f"make run's output ended before {text!r}:\n{self.output}")
            self.lines.append(line)
            if text in line:
                return line

    def stop(self, timeout: float = STOPPING) -> int:
        """Types `q`, collects the rest of the output and returns the exit code.

        Fails the test if the program has not stopped within `timeout` (it is then killed)."""
        process = self._running()
        assert process.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            process.stdin.write("q\n")
            process.stdin.flush()
        with contextlib.suppress(BrokenPipeError):
            process.stdin.close()
        deadline = time.monotonic() + timeout
        ended = self._collect_until(deadline)
        try:
            return process.wait(timeout=max(0.0, deadline - time.monotonic()) if ended else 0)
        except subprocess.TimeoutExpired:
            self._kill()
            self._collect_until(time.monotonic() + 10)
            raise AssertionError(
                f"make run did not stop within {timeout} s of `q`:\n{self.output}"
            ) from None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process is None:
            return
        self._kill()
        if self._process.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                self._process.stdin.close()
        if self._reader is not None:
            self._reader.join(timeout=10)
            if not self._reader.is_alive() and self._process.stdout is not None:
                self._process.stdout.close()

    def _running(self) -> subprocess.Popen[str]:
        assert self._process is not None, "start() it first"
        return self._process

    def _greeted(self, label: str) -> str:
        found = re.search(rf"{label}: (http://127\.0\.0\.1:\d+/)", self.output)
        assert found, self.output
        return found.group(1)

    def _read(self, stdout: IO[str]) -> None:
        try:
            for line in stdout:
                self._printed.put(line)
        except (OSError, ValueError):  # closed under it: the test is over
            pass
        finally:
            self._printed.put(None)

    def _collect_until(self, deadline: float) -> bool:
        """Moves what is printed into `lines` until the output ends; False at `deadline`."""
        while True:
            try:
                line = self._printed.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return False
            if line is None:
                self._printed.put(None)
                return True
            self.lines.append(line)

    def _kill(self) -> None:
        """SIGTERM if it still runs, then SIGKILL to its whole process group as a last resort."""
        process = self._running()
        if process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOPPING)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
