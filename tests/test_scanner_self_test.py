"""The kiosk's self-test with a scanner configured: the technician scans any code and
sees what was read. The scanner is a serial one on a pseudo-terminal pair; the command
runs as a technician runs it (on mock pins, answered on stdin)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract.site import Site
from tests.broker_fixtures import EXAMPLE_SITE
from tests.test_self_test import _saved

SCANNER = "pemindai / scanner"


def _site_with_scanner(folder: Path, device: str) -> Path:
    """The example site with a serial scanner at `device` on kiosk-1."""
    text = EXAMPLE_SITE.read_text(encoding="utf-8")
    anchor = '[[kiosks]]\nid = "kiosk-2"\n'
    table = f'[kiosks.scanner]\ntype = "serial"\ndevice = "{device}"\n\n'
    path = folder / "site.toml"
    path.write_text(text.replace(anchor, table + anchor, 1), encoding="utf-8")
    return path


def _run(site: Path, state: Path, answers: list[str]) -> tuple[int, str]:
    command = [
        sys.executable, "-m", "kiosk.main", "--site", str(site), "--kiosk", "kiosk-1",
        "--printer-file", str(state / "printer.bin"), "--pin-factory", "mock",
        "--state-dir", str(state), "--self-test", "--self-test-timeout", "2",
    ]  # fmt: skip
    result = subprocess.run(
        command,
        input="".join(f"{answer}\n" for answer in answers),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.returncode, result.stdout


def _every_step_right(site: Site) -> list[str]:
    """A technician who finds the test ticket right and presses and sees every button."""
    kiosk = next(k for k in site.kiosks if k.id == "kiosk-1")
    answers = ["y"]
    for service in [*(b.service for b in kiosk.buttons), "*"]:
        answers += [service, "y"]
    return answers


@pytest.fixture
def pty() -> Iterator[tuple[int, str]]:
    master, slave = os.openpty()
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)


def test_a_scanned_code_passes_and_shows_what_was_read(
    example_site: Site, tmp_path: Path, pty: tuple[int, str]
) -> None:
    master, device = pty
    site = _site_with_scanner(tmp_path, device)
    # GIVEN a technician who scans a booking code when asked (the scanner keeps sending
    # it: what arrives before the self-test opens the port is flushed by pyserial)
    stop = threading.Event()

    def scan() -> None:
        while not stop.wait(0.3):
            os.write(master, b"E-7K3M9Q\r\n")

    scanning = threading.Thread(target=scan, daemon=True)
    scanning.start()
    try:
        code, out = _run(site, tmp_path, _every_step_right(example_site))
    finally:
        stop.set()
        scanning.join()
    # THEN the scanner passes, showing the code and that it is a booking code
    assert code == 0, out
    assert "Pindai kode apa saja" in out
    assert "terbaca / read 'E-7K3M9Q' (kode booking / a booking code)" in out
    assert _saved(tmp_path)[SCANNER] == "passed"


def test_nothing_scanned_within_the_timeout_fails(
    example_site: Site, tmp_path: Path, pty: tuple[int, str]
) -> None:
    _, device = pty
    # GIVEN a scanner that reads nothing WHEN the self-test waits THEN the scanner fails
    code, out = _run(
        _site_with_scanner(tmp_path, device), tmp_path, _every_step_right(example_site)
    )
    assert code == 1
    assert "tidak ada kode dalam 2 s" in out
    assert _saved(tmp_path)[SCANNER] == "failed"


def test_a_scanner_not_plugged_in_fails_naming_its_device(
    example_site: Site, tmp_path: Path
) -> None:
    site = _site_with_scanner(tmp_path, "/dev/ttyACM-antre-none")
    code, out = _run(site, tmp_path, _every_step_right(example_site))
    assert code == 1
    assert "/dev/ttyACM-antre-none" in out
    assert _saved(tmp_path)[SCANNER] == "failed"
