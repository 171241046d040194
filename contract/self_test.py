"""A device's self-test: the checklist a technician walks through after installing it.

`antre-kiosk --self-test`, `antre-survey --self-test` and `antre-display --self-test` ask
the technician to press each button, look at each light, read the test ticket, look at
the screen and listen; each answer is a `Check`. The result is printed as a checklist,
saved beside the device's state (`self-test.json`), and the device, once it runs as a
service again, sends it in its status (`HealthKey.SELF_TEST`), so the devices page says
"self-test passed" or what failed, and when.

The technician answers on the terminal: y (ya, yes) or n (tidak, no). A button not
pressed within the time given fails its check; the test goes on with the next one.
"""

import datetime as dt
import json
import queue
import sys
import threading
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from contract.health import HealthKey

FILE_NAME = "self-test.json"
YES = frozenset({"y", "ya", "yes"})
NO = frozenset({"n", "t", "tidak", "no"})


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    # Not there to test (no scanner configured, a button without a LED).
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the checklist."""

    name: str
    outcome: Outcome
    detail: str = ""

    def line(self) -> str:
        mark = {Outcome.PASSED: "[ OK ]", Outcome.FAILED: "[GAGAL]", Outcome.SKIPPED: "[ -- ]"}
        detail = f": {self.detail}" if self.detail else ""
        return f"{mark[self.outcome]} {self.name}{detail}"


@dataclass(slots=True)
class SelfTest:
    """A device's checklist, as it is saved and reported."""

    device: str
    role: str
    at: str = ""
    checks: list[Check] = field(default_factory=list)

    def add(self, name: str, outcome: Outcome, detail: str = "") -> Check:
        check = Check(name, outcome, detail)
        self.checks.append(check)
        return check

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if check.outcome is Outcome.FAILED]

    @property
    def passed(self) -> bool:
        return not self.failed and any(c.outcome is Outcome.PASSED for c in self.checks)

    def summary(self) -> str:
        """What the status and the devices page say: "passed 2026-12-07T07:05" or
        "failed 2026-12-07T07:05: tombol B, printer"."""
        if self.passed:
            return f"{Outcome.PASSED} {self.at}"
        names = ", ".join(check.name for check in self.failed) or "nothing was tested"
        return f"{Outcome.FAILED} {self.at}: {names}"

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / FILE_NAME
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1) + "\n")
        return path


def load_summary(folder: Path) -> dict[str, str | int | float | bool]:
    """The health figure a device adds to its status: its last self-test's summary, or
    nothing when it has none (or the file cannot be read: never a reason not to start)."""
    try:
        data = json.loads((folder / FILE_NAME).read_text(encoding="utf-8"))
        checks = [
            Check(c["name"], Outcome(c["outcome"]), c.get("detail", "")) for c in data["checks"]
        ]
        test = SelfTest(str(data["device"]), str(data["role"]), str(data["at"]), checks)
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {HealthKey.SELF_TEST: test.summary()}


def now_text(clock: dt.datetime | None = None) -> str:
    """The test's time, to the minute, in the device's own time zone."""
    moment = clock or dt.datetime.now().astimezone()
    return moment.isoformat(timespec="minutes")


class Technician:
    """The person at the terminal: what the test says, and their answers.

    Lines are read in a thread of their own, so a wait for a button press can also take
    a typed line (`--keyboard` on a laptop: "A" presses button A through its mock pin).
    """

    def __init__(self, source: TextIO = sys.stdin, out: TextIO = sys.stdout) -> None:
        self._out = out
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, args=(source,), name="keys", daemon=True).start()

    def _read(self, source: TextIO) -> None:
        for line in source:
            self._lines.put(line.strip())
        self._lines.put(None)  # end of input: every later question is unanswered

    def say(self, text: str) -> None:
        print(text, file=self._out, flush=True)

    def line(self, timeout: float) -> str | None:
        """The next line typed within `timeout` seconds; None if none (or input ended)."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            return None
        if line is None:
            self._lines.put(None)  # stays ended
        return line

    def confirm(self, question: str, timeout: float) -> bool | None:
        """Asks a yes/no question; None when no answer comes."""
        self.say(f"{question} [y/n]")
        while True:
            answer = self.line(timeout)
            if answer is None:
                return None
            if answer.lower() in YES:
                return True
            if answer.lower() in NO:
                return False
            self.say("Jawab y (ya) atau n (tidak) / answer y or n")

    def checklist(self, test: SelfTest, saved: Path | None) -> None:
        self.say("")
        self.say(f"Uji mandiri / self-test {test.role} {test.device}, {test.at}")
        for check in test.checks:
            self.say(check.line())
        verdict = "LULUS / passed" if test.passed else "GAGAL / failed"
        self.say(f"Hasil / result: {verdict}")
        if saved is not None:
            self.say(f"Disimpan / saved: {saved} (dikirim saat layanan berjalan lagi)")


def confirmed(test: SelfTest, name: str, answer: bool | None, failure: str = "") -> Check:
    """A check from the technician's answer: yes passes, no fails, silence fails."""
    if answer is None:
        return test.add(name, Outcome.FAILED, "tidak dijawab / no answer")
    if answer:
        return test.add(name, Outcome.PASSED)
    return test.add(name, Outcome.FAILED, failure)
