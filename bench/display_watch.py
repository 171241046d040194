"""The system benchmark's lobby displays, in a process of their own, as on their own Pis.

    python -m bench.display_watch STATE_TOPIC CALLS_TOPIC CREDENTIALS.toml [...]

One display subscriber (`simulation.link.Observer`: it decodes every state and call, as a
display does) per credentials file. Prints `ready` once every display holds a queue state;
then, at a line `stop` on stdin (or its end), prints one JSON object, display id ->
{number: when it first heard the number called} and exits.

The times are `time.perf_counter()`, which on Linux is CLOCK_MONOTONIC, one clock for
every process of the machine: the benchmark compares them with when its counters sent
their commands. Run in the benchmark's own process, the displays' decoding of every state
competed with 46 client threads for one interpreter lock and made the displays look
slower than they are.
"""

from __future__ import annotations

import json
import selectors
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from contract.credentials import load_credentials
from contract.errors import AntreError
from simulation.link import Observer

READY_TIMEOUT = 30.0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    state_topic, calls_topic, *files = args
    users = [load_credentials(path) for path in files]
    displays = [Observer(user, state_topic, calls_topic) for user in users]
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        for display in displays:
            display.wait_for_state(max(0.0, deadline - time.monotonic()))
        print("ready", flush=True)
        for line in sys.stdin:
            if line.strip() == "stop":
                break
        pairs = zip(users, displays, strict=True)
        heard = {user.username: display.heard_numbers() for user, display in pairs}
        print(json.dumps(heard), flush=True)
    finally:
        for display in displays:
            display.close()
    return 0


class WatchError(AntreError):
    """The displays' process did not start, or ended without its report."""


class DisplayWatch:
    """The benchmark's side: starts the displays' process and collects what it heard."""

    def __init__(
        self, state_topic: str, calls_topic: str, credentials: Sequence[Path], log: Path
    ) -> None:
        self._log = log
        with log.open("ab") as errors:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench.display_watch", state_topic, calls_topic]
                + [str(path) for path in credentials],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout: float, alive: Callable[[], bool]) -> None:
        """Until every display holds a state; `alive()` False (the central died) gives up."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline and alive():
                if selector.select(0.1):
                    if self.process.stdout.readline().strip() == "ready":
                        return
                    break
        raise WatchError(f"the displays got no queue state:\n{self._log.read_text()}")

    def heard(self) -> dict[str, dict[str, float]]:
        """Stops the displays: when each heard each number (perf_counter, CLOCK_MONOTONIC)."""
        output, _ = self.process.communicate("stop\n", timeout=READY_TIMEOUT)
        if self.process.returncode != 0 or not output.strip():
            raise WatchError(f"the displays ended without a report:\n{self._log.read_text()}")
        report: dict[str, dict[str, float]] = json.loads(output)
        return report

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


if __name__ == "__main__":
    sys.exit(main())
