"""A web process holds as many connections as it may open files (`broker.web.open_files`):
systemd starts services with a soft limit of 1,024, below a hall of open ticket pages."""

import json
import resource
import socket
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest

from broker.mosquitto_runner import free_port
from broker.web.open_files import OTHER_FILES, connections_allowed
from broker.web.serve import MAX_CONNECTIONS
from tests.broker_fixtures import WAIT, Mosquitto, Provisioned, wait_until
from tests.central_fixtures import CentralProcess, serving, ticket_page_path
from tests.web_fixtures import open_streams

# What a child process reports: the connections it may hold, and its soft limit after.
REPORT = """
import json, logging, resource, sys
from broker.web.open_files import connections_allowed
logging.basicConfig(stream=sys.stdout, format="%(levelname)s %(message)s")
allowed = connections_allowed(int(sys.argv[1]))
print(json.dumps([allowed, resource.getrlimit(resource.RLIMIT_NOFILE)[0]]))
"""


def report(wanted: int, soft: int, hard: int | None = None) -> tuple[int, int, str]:
    """In a process started with `soft` (and `hard`) open files: the connections it may
    hold, its soft limit afterwards, and what it logged."""

    def limit() -> None:
        _, current_hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard or current_hard))

    done = subprocess.run(
        [sys.executable, "-c", REPORT, str(wanted)],
        capture_output=True,
        text=True,
        timeout=30,
        preexec_fn=limit,
        check=True,
    )
    *logged, last = done.stdout.strip().splitlines()
    allowed, after = json.loads(last)
    return allowed, after, "\n".join(logged)


def test_systemds_soft_limit_is_raised_to_what_the_listener_needs() -> None:
    # GIVEN a process started with systemd's soft limit, its hard limit high enough
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = MAX_CONNECTIONS + OTHER_FILES
    assert hard == resource.RLIM_INFINITY or hard >= needed, f"this machine's hard limit: {hard}"
    # WHEN its web listener asks for its connections
    allowed, after, logged = report(MAX_CONNECTIONS, 1024)
    # THEN it may hold them all: its soft limit was raised, and nothing to say
    assert allowed == MAX_CONNECTIONS
    assert after == MAX_CONNECTIONS + OTHER_FILES
    assert logged == ""


def test_a_hard_limit_below_the_need_caps_the_connections_and_says_so() -> None:
    # GIVEN a process whose hard limit is 1,024 open files
    allowed, after, logged = report(MAX_CONNECTIONS, 512, 1024)
    # THEN it holds what the files allow (a 503 past it, not a phone left hanging)
    assert after == 1024
    assert allowed == 1024 - OTHER_FILES
    assert "open files are limited to 1024" in logged
    assert "LimitNOFILE=" in logged


def test_a_refused_setrlimit_keeps_the_limit_it_has_and_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a process whose system call filter refuses setrlimit (as antre-central.service's
    # does, with EPERM, which Python raises as ValueError), its soft limit too low
    soft, hard = 1024, 524288
    monkeypatch.setattr(resource, "getrlimit", lambda which: (soft, hard))

    def refused(which: int, limits: tuple[int, int]) -> None:
        raise ValueError("not allowed to raise maximum limit")

    monkeypatch.setattr(resource, "setrlimit", refused)
    # WHEN its listener asks for its connections
    allowed = connections_allowed(MAX_CONNECTIONS)
    # THEN it holds what it has, and says why, instead of failing to start
    assert allowed == soft - OTHER_FILES
    assert "could not raise the limit on open files" in caplog.text
    assert "open files are limited to 1024" in caplog.text


def test_a_hall_of_pages_opens_on_a_central_started_with_few_open_files(
    provisioned: Provisioned, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    # GIVEN the central started with a soft limit of 128 open files, its public pages apart
    port = free_port()
    central = CentralProcess(
        provisioned, tmp_path / "antre.sqlite3", public_port=port, open_files=128
    )
    with serving(central), ExitStack() as hall:
        path = ticket_page_path(provisioned, "req-1")
        wait_until(lambda: _listening(port), WAIT, "the public pages")
        # WHEN 300 phones open the ticket's page and keep it open
        # THEN every one of them gets its live page
        open_streams(port, path, 300, hall)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True
