"""The processes of `make run`'s MPP: started in order, driven, stopped in reverse.

Mosquitto with the project's configuration on a free port, the central and its web
console, the kiosks and the survey unit on mock buttons, and the lobby display, each
logging to its own file in the run's folder (`HOME`).
"""

import contextlib
import datetime as dt
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from broker.mosquitto_runner import MosquittoRunner, free_port
from broker.provision import provision
from broker.web.accounts import Accounts, Role
from contract.booking_code import parse_code
from contract.credentials import Credentials
from contract.device_link import DeviceLink
from contract.health import DeviceState
from contract.hours import issuing_refusal
from contract.messages import (
    Answer,
    CounterAction,
    CounterCommand,
    DeviceStatus,
    decode,
    encode,
)
from contract.site import Site
from contract.topics import Topics
from local_mpp.issued import IssuedTickets

ROOT = Path(__file__).resolve().parent.parent
SITE_FILE = ROOT / "examples" / "samarinda" / "site.toml"
# Where the run keeps its files; tests point it at a temporary folder.
HOME = Path(os.environ.get("ANTRE_RUN_DIR", ROOT / "var" / "local"))
ACTIONS: dict[str, CounterAction] = {"c": "call_next", "r": "recall", "f": "finish", "s": "skip"}


class Mall:
    """The processes of one local MPP, started in order and stopped in reverse."""

    def __init__(self, site: Site, clock_args: list[str]) -> None:
        self.site = site
        self.clock_args = clock_args
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.broker: MosquittoRunner | None = None
        self.credentials: dict[str, Credentials] = {}
        self.password = ""
        self.web_port = 0
        # The citizens' pages (tickets, survey, bookings), apart as on a real central.
        self.public_port = 0
        # The example site with its QR codes pointing at this run's public pages.
        self.site_file = HOME / "site.toml"
        self.issued: IssuedTickets | None = None

    def start(self) -> None:
        HOME.mkdir(parents=True, exist_ok=True)
        # Each run is a fresh day at the mall: a new queue, empty outboxes, no tickets.
        # (Only the voice pack is kept: it takes a while to make.)
        for stale in HOME.iterdir():
            if stale.is_dir() and stale.name != "voice":
                shutil.rmtree(stale)
            elif stale.is_file():
                stale.unlink()
        self.web_port = free_port()
        self.public_port = free_port()
        self.site_file.write_text(
            local_site_text(SITE_FILE.read_text(encoding="utf-8"), self.public_port),
            encoding="utf-8",
        )
        step("provisioning credentials, ACL and the Mosquitto configuration")
        port = free_port()
        report = provision(self.site, HOME / "central", port=port, bind_address="127.0.0.1")
        self.credentials = report.credentials
        voice = HOME / "voice"
        if not (voice / "chime.wav").exists():
            step("making the default Indonesian voice pack with espeak-ng (once)")
            run([_tool("antre-voice-pack"), "--out", str(voice), "--english"])
        step(f"starting Mosquitto on 127.0.0.1:{port}")
        self.broker = MosquittoRunner(report.conf, port)
        self.broker.start()
        central_creds = HOME / "central" / "credentials"
        self.password = _admin_password(HOME / "antre.sqlite3")
        step(
            f"starting the central, its web console on http://127.0.0.1:{self.web_port}, "
            f"the citizens' pages on http://127.0.0.1:{self.public_port}"
        )
        self._spawn(
            "central",
            [
                _tool("antre-central"),
                "--site",
                str(self.site_file),
                "--db",
                str(HOME / "antre.sqlite3"),
                "--credentials",
                str(central_creds / "central.toml"),
                "--web-port",
                str(self.web_port),
                "--web-host",
                "127.0.0.1",
                "--public-port",
                str(self.public_port),
                *self.clock_args,
            ],
        )
        step("waiting for the central to answer")
        if not _wait(lambda: _answers(self.web_port), 30):
            raise SystemExit("antre: the central did not start: see var/local/central.log")
        self.issued = IssuedTickets(self.credentials["central"], Topics(self.site.site.id))
        for kiosk in self.site.kiosks:
            step(f"starting {kiosk.id} (mock buttons, tickets printed to var/local/{kiosk.id}.bin)")
            self._spawn(
                kiosk.id,
                [
                    _tool("antre-kiosk"),
                    "--site",
                    str(self.site_file),
                    "--kiosk",
                    kiosk.id,
                    "--credentials",
                    str(central_creds / f"{kiosk.id}.toml"),
                    "--state-dir",
                    str(HOME / kiosk.id),
                    "--pin-factory",
                    "mock",
                    "--keyboard",
                    "--printer-file",
                    str(HOME / f"{kiosk.id}.bin"),
                    *self.clock_args,
                ],
                stdin=True,
            )
        for unit in self.site.survey_units:
            step(f"starting {unit.id} (mock buttons: type +4 sangat puas ... +1 tidak puas)")
            self._spawn(
                unit.id,
                [
                    *_survey_command(),
                    "--site",
                    str(self.site_file),
                    "--unit",
                    unit.id,
                    "--credentials",
                    str(central_creds / f"{unit.id}.toml"),
                    "--pin-factory",
                    "mock",
                    "--keyboard",
                ],
                stdin=True,
            )
        display = self.site.displays[0]
        screen = ["--window", "1366x768"] if _has_screen() else ["--headless"]
        step(f"starting {display.id} ({'a window' if _has_screen() else 'headless'})")
        self._spawn(
            display.id,
            [
                _tool("antre-display"),
                "--site",
                str(self.site_file),
                "--display",
                display.id,
                "--credentials",
                str(central_creds / f"{display.id}.toml"),
                "--voice-pack",
                str(voice),
                "--screenshot-dir",
                str(HOME),
                *screen,
                *self.clock_args,
            ],
        )

    def wait_until_online(self) -> None:
        """Until every kiosk and display says `online`: then a press is a ticket."""
        step("waiting for the kiosks and the display to connect")
        devices = [k.id for k in self.site.kiosks] + [self.site.displays[0].id]
        devices += [unit.id for unit in self.site.survey_units]
        online: set[str] = set()
        topics = Topics(self.site.site.id)

        def heard(topic: str, payload: bytes) -> None:
            with contextlib.suppress(ValueError):
                status = decode(payload, DeviceStatus)
                if status.state is DeviceState.ONLINE:
                    online.add(status.device)

        watcher = DeviceLink(
            "make-run",
            self.credentials["central"],
            version="local",
            subscriptions=[topics.all_status],
            on_message=heard,
        )
        watcher.start()
        try:
            if not _wait(lambda: online >= set(devices), 60):
                missing = ", ".join(sorted(set(devices) - online))
                raise SystemExit(f"antre: {missing} did not connect: see their logs")
        finally:
            watcher.stop({})

    def _spawn(self, name: str, command: list[str], *, stdin: bool = False) -> None:
        log = (HOME / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            command,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def press(self, key: str) -> None:
        """Presses a kiosk button ("A", "*A" for priority), or scans a booking code at
        the kiosk with its service's button (the kiosk's `--keyboard` reads a longer line
        as scanned)."""
        code = parse_code(key)
        service = code.service if code is not None else key.lstrip("*")
        for kiosk in self.site.kiosks:
            if any(button.service == service for button in kiosk.buttons):
                pipe = self.processes[kiosk.id].stdin
                assert pipe is not None
                pipe.write(f"{key}\n".encode())
                pipe.flush()
                done = f"booking {code} scanned" if code is not None else f"button {key} pressed"
                print(f"  {kiosk.id}: {done} (its ticket: var/local/{kiosk.id}.log)")
                return
        print(f"  no kiosk has a button {service!r}")

    def survey(self, rating: int) -> None:
        """Presses a button of the first survey unit (through its mock pin)."""
        if not self.site.survey_units:
            print("  no survey unit in the site file")
            return
        unit = self.site.survey_units[0]
        pipe = self.processes[unit.id].stdin
        assert pipe is not None
        pipe.write(f"{rating}\n".encode())
        pipe.flush()
        words = {4: "sangat puas", 3: "puas", 2: "kurang puas", 1: "tidak puas"}[rating]
        print(f"  {unit.id}: {words} pressed (see var/local/{unit.id}.log)")

    def counter(self, action: str, number: int) -> None:
        user = f"counter-{number}"
        if user not in self.credentials:
            print(f"  no counter {number}")
            return
        answers: list[Answer] = []
        topics = Topics(self.site.site.id)
        link = DeviceLink(
            user,
            self.credentials[user],
            version="local",
            subscriptions=[topics.counter_answer(number)],
            on_message=lambda topic, payload: answers.append(decode(payload, Answer)),
        )
        link.start()
        try:
            _wait(lambda: link.connected, 5)
            command = CounterCommand(id=uuid.uuid4().hex, action=ACTIONS[action])
            link.publish(topics.counter_command(number), encode(command))
            _wait(lambda: bool(answers), 5)
        finally:
            link.stop({})
        if not answers:
            print("  no answer from the central")
            return
        answer = answers[0]
        ticket = f" {answer.ticket.number}" if answer.ticket else ""
        print(f"  loket {number}: {'ok' if answer.ok else answer.message}{ticket}")

    def stop(self) -> None:
        if self.issued is not None:
            self.issued.close()
        for name, process in reversed(self.processes.items()):
            if process.poll() is None:
                process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            if process.poll() is None:
                process.kill()
            if process.stdin is not None:
                process.stdin.close()
            print(f"stopped {name}")
        if self.broker is not None:
            self.broker.stop()
            print("stopped Mosquitto")


def local_site_text(example: str, public_port: int) -> str:
    """The example site's text with its tickets' QR codes leading to this run's public
    pages."""
    line = re.compile(r'^ticket_url_base = ".*"$', re.MULTILINE)
    if not line.search(example):
        raise SystemExit(
            f"antre: {SITE_FILE} has no ticket_url_base line to point at the public pages"
        )
    return line.sub(f'ticket_url_base = "http://127.0.0.1:{public_port}/t/"', example, count=1)


def site_clock_args(site: Site, simulate_from: str | None) -> list[str]:
    """Real time when the mall is open; otherwise a simulated 09:00, said out loud."""
    if simulate_from:
        return ["--simulate-from", simulate_from]
    now = dt.datetime.now(dt.UTC)
    if issuing_refusal(site, site.services[0], now) is None:
        return []
    local = now.astimezone(site.site.timezone)
    day = local.date()
    while day.weekday() >= 5 or day in site.site.holidays:
        day += dt.timedelta(days=1)
    start = dt.datetime.combine(day, dt.time(9, 0), tzinfo=site.site.timezone)
    print(f"The mall is closed now: running on a simulated clock from {start:%A %d %B %H:%M}.")
    return ["--simulate-from", start.isoformat()]


def _admin_password(database: Path) -> str:
    """The demo's admin, with a new random password each run: there is no default one."""
    password = secrets.token_urlsafe(9)
    accounts = Accounts(database)
    try:
        accounts.create("admin", "Admin", Role.ADMIN, password)
    finally:
        accounts.close()
    return password


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


def step(text: str) -> None:
    print(f"antre: {text}", flush=True)


def run(command: list[str]) -> None:
    subprocess.run(command, check=True)


def _tool(name: str) -> str:
    """A console script of this project, from the same virtual environment."""
    found = Path(sys.executable).parent / name
    return str(found) if found.exists() else (shutil.which(name) or name)


def _survey_command() -> list[str]:
    """`antre-survey`, or the module itself while the console script is not installed yet."""
    found = Path(sys.executable).parent / "antre-survey"
    return [str(found)] if found.exists() else [sys.executable, "-m", "survey.main"]


def _has_screen() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
