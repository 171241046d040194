"""`make run-region`'s program (`python -m local_region`), driven from its terminal."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.broker_fixtures import wait_until
from tests.test_hub_web import Browsing

STARTING = 120.0
NAMES = ("MPP Kota Samarinda", "MPP Kota Balikpapan", "MPP Kota Bontang")


def _read_until(lines: queue.Queue[str], seen: list[str], text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no {text!r} within {timeout} s:\n{''.join(seen)}") from None
        seen.append(line)
        if text in line:
            return line


@pytest.fixture
def region_dir() -> Iterator[Path]:
    """Outside pytest's private folder: PostgreSQL runs as `postgres` when the tests run
    as root, and must reach its folder."""
    folder = Path(tempfile.mkdtemp(prefix="antre-region-"))
    folder.chmod(0o755)
    try:
        yield folder / "region"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_hub_and_three_sites_run_with_one_command(region_dir: Path) -> None:
    environment = {**os.environ, "ANTRE_REGION_DIR": str(region_dir)}
    # GIVEN `python -m local_region` with its terminal fed by the test
    process = subprocess.Popen(
        [sys.executable, "-m", "local_region"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=environment,
        text=True,
        start_new_session=True,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []
    stdout = process.stdout

    def read() -> None:
        for line in stdout:
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        hub_line = _read_until(lines, seen, "Hub: ", STARTING)
        found = re.search(r"Hub: (http://\S+)/region .*log in as (\S+), password (\S+)\)", hub_line)
        assert found, hub_line
        base, username, password = found[1], found[2], found[3]
        # WHEN the regional administrator logs in with what it printed
        visitor = Browsing(base)
        fields = {"username": username, "password": password, "csrf_token": visitor.csrf()}
        assert visitor.post("/login", fields)[0] == 200

        def every_site_heard() -> bool:
            status, page = visitor.get("/region")
            rows = page.split('<tr data-site="')[1:]
            return (
                status == 200
                and len(rows) == 3
                and all(name in page for name in NAMES)
                and "belum pernah" not in page
            )

        # THEN the region page lists the three sites, each with its records at the hub
        wait_until(every_site_heard, 60.0, "three sites on the region page")
        # AND a site's link can be cut from the terminal, and everything stops on q
        process.stdin.write("cut smd\n")
        process.stdin.flush()
        _read_until(lines, seen, "smd: link cut", 10.0)
        process.stdin.write("q\n")
        process.stdin.flush()
        assert process.wait(60) == 0
        _read_until(lines, seen, "stopped PostgreSQL", 10.0)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        reader.join(10)
        process.stdin.close()
        stdout.close()
