"""MQTT topics of the contract, under `antre/v1/<site>/`.

| topic                               | from             | to                 | retained |
| ----------------------------------- | ---------------- | ------------------ | -------- |
| kiosk/<kiosk>/request               | that kiosk       | central            | no       |
| kiosk/<kiosk>/answer                | central          | that kiosk         | no       |
| counter/<number>/command            | that counter     | central            | no       |
| counter/<number>/answer             | central          | that counter       | no       |
| state                               | central          | everyone           | yes      |
| calls                               | central          | displays, counters | no       |
| status/<device>                     | that device      | central            | yes      |
| survey/<unit>/press                 | that survey unit | central            | no       |

The topic names the sender: Mosquitto's ACL lets a kiosk write only its own request
topic, so the central can trust the kiosk id in the topic and never reads one from the
payload. `docs/protocol.md` describes the payloads.
"""

from dataclasses import dataclass

ROOT = "antre/v1"
KIOSK = "kiosk"
COUNTER = "counter"
REQUEST = "request"
COMMAND = "command"
ANSWER = "answer"
STATE = "state"
CALLS = "calls"
STATUS = "status"
CENTRAL_ID = "central"
SURVEY = "survey"
PRESS = "press"


@dataclass(frozen=True, slots=True)
class Topics:
    """The topics of one site."""

    site: str

    @property
    def root(self) -> str:
        return f"{ROOT}/{self.site}"

    def kiosk_request(self, kiosk: str) -> str:
        return f"{self.root}/{KIOSK}/{kiosk}/{REQUEST}"

    def kiosk_answer(self, kiosk: str) -> str:
        return f"{self.root}/{KIOSK}/{kiosk}/{ANSWER}"

    def counter_command(self, counter: int | str) -> str:
        return f"{self.root}/{COUNTER}/{counter}/{COMMAND}"

    def counter_answer(self, counter: int | str) -> str:
        return f"{self.root}/{COUNTER}/{counter}/{ANSWER}"

    @property
    def state(self) -> str:
        return f"{self.root}/{STATE}"

    @property
    def calls(self) -> str:
        return f"{self.root}/{CALLS}"

    def status(self, device: str) -> str:
        return f"{self.root}/{STATUS}/{device}"

    def survey_press(self, unit: str) -> str:
        return f"{self.root}/{SURVEY}/{unit}/{PRESS}"

    # Subscriptions of the central.
    @property
    def all_kiosk_requests(self) -> str:
        return f"{self.root}/{KIOSK}/+/{REQUEST}"

    @property
    def all_counter_commands(self) -> str:
        return f"{self.root}/{COUNTER}/+/{COMMAND}"

    @property
    def all_survey_presses(self) -> str:
        return f"{self.root}/{SURVEY}/+/{PRESS}"

    @property
    def all_status(self) -> str:
        return f"{self.root}/{STATUS}/+"

    def parse(self, topic: str) -> tuple[str, str, str] | None:
        """(kind, device, leaf) of a device topic, e.g. ("kiosk", "kiosk-1", "request")."""
        prefix = self.root + "/"
        if not topic.startswith(prefix):
            return None
        parts = topic[len(prefix) :].split("/")
        if len(parts) == 3 and parts[0] in (KIOSK, COUNTER, SURVEY):
            return parts[0], parts[1], parts[2]
        if len(parts) == 2 and parts[0] == STATUS:
            return STATUS, parts[1], ""
        return None
