"""The by-hand path of docs/protocol.md, run as written: provision a folder, start
Mosquitto and the central, take a ticket and call it with the Mosquitto clients, meet a
refusal, stop everything.

Nothing of ours is imported to start a process or to speak MQTT: the document's shell
blocks run in one bash, with only `DIR` and `PORT` changed (a temporary folder, a free
port). If the document drifts from what the commands do, this fails.
"""

import json
import os
import re
import shlex
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from broker.mosquitto_runner import free_port
from tests.broker_fixtures import Provisioned

REPO = Path(__file__).resolve().parent.parent
PROTOCOL = REPO / "docs" / "protocol.md"
SECTION = "## Running by hand"
# The whole path takes a few seconds; this is only reached when something hangs.
TIMEOUT = 60
# What mosquitto_pub prints, on stderr, for a QoS 1 publish the ACL refuses (it exits 0).
REFUSED_PUBLISH = "Warning: Publish 1 failed: Not authorized."
# How the document shows where it provisions.
DOC_DIR = "/home/you/antre-by-hand"


def by_hand_section() -> str:
    text = PROTOCOL.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start : end if end != -1 else len(text)]


def by_hand_script(directory: Path, port: int) -> str:
    """Every shell block of the section, in order, with `DIR` and `PORT` set to ours."""
    blocks = re.findall(r"```sh\n(.*?)```", by_hand_section(), re.DOTALL)
    assert blocks, "docs/protocol.md has no shell block under 'Running by hand'"
    script = "\n".join(blocks)
    for name, value in (("DIR", str(directory)), ("PORT", str(port))):
        script, count = re.subn(
            rf"^{name}=.*$", f"{name}={shlex.quote(value)}", script, flags=re.MULTILINE
        )
        assert count == 1, f"the by-hand path should set {name} once, not {count} times"
    return script


def run_in_bash(script: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """Runs `script` with `bash -eu` from the project's folder, in a process group of its
    own: whatever it leaves running is killed afterwards, and said."""
    process = subprocess.Popen(
        ["bash", "-euc", script],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    left_running = True
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        stderr += f"\n[timed out after {TIMEOUT} s]"
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            left_running = False
    if left_running:
        stderr += "\n[processes of the by-hand path were still running: killed]"
    logs = "".join(
        f"\n--- {log.name}\n{log.read_text(errors='replace')}"
        for log in sorted(folder.glob("*.log"))
    )
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr + logs)


def json_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_the_by_hand_path_provisions_starts_calls_a_ticket_and_stops(tmp_path: Path) -> None:
    assert (REPO / ".venv" / "bin" / "antre-central").exists(), "run `make install` first"
    folder = tmp_path / "antre-by-hand"
    # GIVEN the documented commands, with a temporary folder and a free port
    script = by_hand_script(folder, free_port())
    # WHEN they run in bash, one after the other, from a fresh machine's point of view
    result = run_in_bash(script, folder)
    # THEN every command succeeded and the stop step left nothing running
    assert result.returncode == 0, result.stderr
    assert "still running" not in result.stderr, result.stderr
    printed = json_lines(result.stdout)
    # the central said it was online before anything was asked
    assert (printed[0]["device"], printed[0]["state"]) == ("central", "online"), result.stdout
    # the kiosk got ticket A001, and the counter's call_next called it at counter 1
    by_id = {line["id"]: line for line in printed if "ok" in line}
    assert by_id["shell-1"]["ok"] is True, by_id["shell-1"]
    assert by_id["shell-1"]["ticket"]["number"] == "A001"
    assert by_id["shell-2"]["ok"] is True, by_id["shell-2"]
    called = by_id["shell-2"]["ticket"]
    assert (called["number"], called["state"], called["counter"]) == ("A001", "called", 1)
    # the display's watch printed the call
    calls = [line for line in result.stdout.splitlines() if line.startswith("antre/v1/")]
    assert len(calls) == 1, result.stdout
    topic, payload = calls[0].split(" ", 1)
    call = json.loads(payload)
    assert topic == "antre/v1/samarinda/calls"
    assert (call["kind"], call["number"], call["counter"]) == ("called", "A001", 1)
    # the retained state shows counter 1 serving it
    (state,) = [line for line in printed if "seq" in line]
    serving = {counter["number"]: counter["serving"] for counter in state["counters"]}
    assert serving[1] == "A001"
    # the refused publish: only the warning the document quotes, and bash went on (exit 0)
    assert REFUSED_PUBLISH in result.stderr
    assert REFUSED_PUBLISH in by_hand_section()


@pytest.mark.skipif(os.geteuid() != 0, reason="only Mosquitto started as root drops to its user")
def test_mosquitto_started_as_root_cannot_read_the_password_file(
    provisioned: Provisioned,
) -> None:
    # GIVEN a provisioned folder, as root
    # WHEN Mosquitto starts on its configuration as it is
    result = subprocess.run(
        ["/usr/sbin/mosquitto", "-c", str(provisioned.conf)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    # THEN it stops at once, saying what the document says it says
    assert result.returncode == 13, result.stderr
    said = result.stderr.replace(str(provisioned.directory), DOC_DIR)
    quoted = [line for line in by_hand_section().splitlines() if line.startswith("Error")]
    assert len(quoted) == 2, "the document no longer quotes Mosquitto's refusal"
    for line in quoted:
        assert line in said, said
