"""The real central (`python -m broker.central_main`) as a child process, for the
simulation and the benchmarks: started on a simulated clock, logging to a file, and
stopped as systemd would stop it."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from broker.provision import CREDENTIALS_DIR
from contract.topics import CENTRAL_ID

STOP_TIMEOUT = 10.0


def start_central(
    site_file: Path,
    provisioned: Path,
    database: Path,
    log_path: Path,
    *,
    simulate_from: str,
    speed: float | None = None,
    extra: tuple[str, ...] = (),
) -> subprocess.Popen[bytes]:
    """The central of `site_file` with the credentials of the `provisioned` folder, its
    clock starting at `simulate_from` (ISO time) and running `speed` times real time."""
    command = [
        sys.executable,
        "-m",
        "broker.central_main",
        "--site",
        str(site_file),
        "--credentials",
        str(provisioned / CREDENTIALS_DIR / f"{CENTRAL_ID}.toml"),
        "--db",
        str(database),
        "--simulate-from",
        simulate_from,
        "--log-level",
        "WARNING",
    ]
    if speed is not None:
        command += ["--speed", str(speed)]
    command += extra
    with log_path.open("ab") as log:
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )


def stop_process(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM (the central says goodbye and closes its store), then SIGKILL."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def public_pages_pid(central_pid: int) -> int | None:
    """The central's child serving the citizens' pages (`--public-port`): None unless
    exactly one is running."""
    found = public_pages_pids(central_pid)
    return found[0] if len(found) == 1 else None


def public_pages_pids(central_pid: int) -> list[int]:
    """Every child of the central serving the citizens' pages (any of its threads may
    have started one: the parent field of each process, not /proc/PID/task/PID/children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:  # it ended meanwhile
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == central_pid and b"broker.web.public_main" in cmdline:
            found.append(int(entry.name))
    return found
