"""`make run`'s program, driven from its terminal as a person would."""

import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path


def test_the_whole_mpp_runs_takes_a_ticket_and_calls_it(tmp_path: Path) -> None:
    # GIVEN `python -m local_mpp` with its terminal fed by the test
    environment = {**os.environ, "ANTRE_RUN_DIR": str(tmp_path)}
    environment.pop("DISPLAY", None)
    environment.pop("WAYLAND_DISPLAY", None)
    run = subprocess.Popen(
        [sys.executable, "-m", "local_mpp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=environment,
        text=True,
        # Its own process group: a last-resort kill takes its children with it.
        start_new_session=True,
    )
    assert run.stdin is not None
    assert run.stdout is not None
    output: list[str] = []
    try:
        for line in run.stdout:
            output.append(line)
            if "Web console:" in line:
                break
        web = re.search(r"http://127\.0\.0\.1:\d+/", "".join(output))
        assert web, "".join(output)
        # WHEN a citizen presses A and counter 1 calls, then the person quits
        login_page = urllib.request.urlopen(web.group(0) + "login", timeout=10).read()
        run.stdin.write("A\n")
        run.stdin.flush()
        for line in run.stdout:
            output.append(line)
            if "button A pressed" in line:
                break
        rest, _ = run.communicate("c1\nq\n", timeout=60)
        output.append(rest)
    finally:
        if run.poll() is None:
            # SIGTERM: it stops Mosquitto, the central and the devices it started.
            run.terminate()
            try:
                run.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()
    text = "".join(output)
    # THEN the web console answered, counter 1 called A001 and everything stopped cleanly
    assert b"Masuk" in login_page
    # (A001-A003 are kiosk-1's reserve for an outage, so the first printed one is A004.)
    assert re.search(r"loket 1: ok A\d{3}", text), text
    assert "stopped Mosquitto" in text
    assert run.returncode == 0
    assert (tmp_path / "display.png").exists() or (tmp_path / "display-lobby.log").exists()
