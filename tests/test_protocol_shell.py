"""The shell example of docs/protocol.md, run as written with the Mosquitto clients.

No code of ours speaks MQTT here: if the document drifts from what the central
does, this fails.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from tests.broker_fixtures import Provisioned
from tests.central_fixtures import CentralProcess

PROTOCOL = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"


def shell_example() -> str:
    text = PROTOCOL.read_text(encoding="utf-8")
    section = text[text.index("## From a shell") :]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match, "docs/protocol.md has no shell example"
    return match.group(1)


def test_a_ticket_is_taken_and_called_from_a_shell(
    provisioned: Provisioned, central: CentralProcess
) -> None:
    assert shutil.which("mosquitto_pub"), "mosquitto-clients is not installed"
    # GIVEN the documented commands, with the provisioned folder and port
    environment = {
        **os.environ,
        "DIR": str(provisioned.directory),
        "PORT": str(provisioned.port),
    }
    # WHEN they run in bash
    result = subprocess.run(
        ["bash", "-euc", shell_example()],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    # THEN the kiosk's answer, the counter's answer, the call and the state were printed
    call_line = next(line for line in lines if line.startswith("antre/v1/samarinda/calls "))
    call = json.loads(call_line.split(" ", 1)[1])
    assert (call["kind"], call["number"], call["counter"]) == ("called", "A001", 1)
    answers = [json.loads(line) for line in lines if line.startswith("{")]
    by_id = {answer.get("id"): answer for answer in answers if "id" in answer}
    assert by_id["shell-1"]["ok"] is True
    assert by_id["shell-1"]["ticket"]["number"] == "A001"
    assert by_id["shell-2"]["ticket"]["state"] == "called"
    state = next(answer for answer in answers if "seq" in answer)
    assert state["counters"][0]["serving"] == "A001"
