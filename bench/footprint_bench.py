"""Each role's resident memory and CPU per operation, each in a process of its own.

Goals (issue #15): a kiosk within 60 MB, a display within 120 MB after a day, the central
within 80 MB; the survey unit is reported. A Raspberry Pi Zero 2 has 512 MB in all.

In one run, against a Mosquitto on 127.0.0.1 provisioned for the example site (with the
survey unit's cool-down at 0, so that presses may follow each other), every role runs as
production runs it, as a process of its own on a simulated Monday 09:00:

- central: `python -m broker.central_main`, with its web console and public pages on
  plain HTTP (as systemd starts it, less TLS);
- kiosk: `python -m kiosk.main --pin-factory mock --keyboard --printer-file FILE` for
  kiosk-1: a line on its stdin is a press (a service of kiosk-1 without a daily quota),
  and a press is done when its ticket is in the printer file, online;
- survey unit: `python -m survey.main --pin-factory mock --keyboard` for survey-1: a
  line is a press through its mock pin, done when it reaches Mosquitto;
- display: `python -m display.main --headless` for display-lobby (every service, English
  too: the most clips and renders), 1920x1080 on SDL's dummy video and audio drivers, with
  a voice pack of 20 ms silent clips.

The workload, one step after another: PRESSES presses at the kiosk, one at a time;
SURVEY_PRESSES presses at the survey unit, one at a time; then CALLS calls, in batches of
SAMPLE_EVERY: the batch's tickets taken over MQTT as kiosk-2 (no process of its own:
kiosk-1's process must not get answers it did not ask for), then the counters serving
them each call_next and finish until their queues are empty. Every call reaches the
display as in production: the CallEvent and the new retained state.

For each process, from /proc: VmRSS when every role is started and idle ("start"), after
the workload and SETTLE_SECONDS idle ("after"), VmHWM (the peak); utime + stime, idle
(per second, over IDLE_SECONDS before the workload) and in each step of the workload (per
operation: a press, a survey press, a call, which costs the central three requests). The
display's VmRSS is read after every SAMPLE_EVERY calls: the curve says whether its memory
levels off (a bounded cache) or keeps growing (a leak).

The calls come far faster than a display speaks them (a chime and a score of clips: a
few seconds a call), so at the end most calls are still queued in its announcer, which a
day's pace never lets build up; the log says how many it announced. And a few hundred
bytes a call would hide in the RSS of a process: so, last, a LobbyDisplay in this process
(no MQTT, a silent player) speaks every call to the end before the next, and tracemalloc
counts what its Python objects keep per call once its bounded caches are full, and what
a call queued unspoken holds (`bench/display_heap.py`).

Nothing here asserts a figure: it prints what one run measured (docs/benchmarks.md).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from bench.display_heap import HEAP_WARMUP, Heap, heap_per_call
from bench.mqtt_bench import EXAMPLE_SITE, MONDAY_MORNING, BenchError, _wait_until_serving
from bench.system_bench import Usage, usage
from broker.mosquitto_runner import LOCALHOST, MosquittoRunner, free_port
from broker.provision import CREDENTIALS_DIR, ProvisionReport, provision
from contract.health import DeviceState, HealthKey
from contract.messages import (
    BadMessage,
    CallEvent,
    CounterCommand,
    DeviceStatus,
    IssueTicket,
    decode,
    encode,
)
from contract.reasons import Reason
from contract.site import Site
from contract.site_loader import load_site
from contract.topics import Topics
from display.text_render import RENDER_CACHE_BYTES
from display.voice_pack_generator import write_silent_pack
from simulation.central_process import public_pages_pid, start_central, stop_process
from simulation.link import Requester, Subscriber, client_id

KIOSK = "kiosk-1"
# kiosk-1's services without a daily quota: no press is refused however many we make.
KIOSK_SERVICES = ("D", "E", "F", "G", "J", "L")
PRESSES = 500
SURVEY_UNIT = "survey-1"
SURVEY_PRESSES = 300
DISPLAY = "display-lobby"
CALLS = 5000
SAMPLE_EVERY = 500
# Who takes the calls' tickets, for which services (kiosk-2's, without a daily quota).
ISSUER = "kiosk-2"
CALL_SERVICES = ("M", "N", "P", "Q", "T", "U", "W", "X")
ISSUER_CLIENTS = 4
# Every role started, before the workload: their idle CPU is measured over this long.
IDLE_SECONDS = 5.0
# After the workload, before the "after" figures: the last messages handled.
SETTLE_SECONDS = 5.0
# Bounded waits: generous for a loaded machine, never reached when things work.
READY_TIMEOUT = 30.0
PRESS_TIMEOUT = 10.0
# What every ticket prints (its heading), and what only an offline ticket prints.
TICKET_MARK = b"NOMOR ANTREAN"
OFFLINE_MARK = b"terputus"
# A line of the display's log for each announcement said to the end (display/main.py).
ANNOUNCED = " display: announced "

MB = 2**20
GOALS_MB = {"central": 80, "kiosk": 60, "display": 120}
# "public pages": the central's child that serves the citizens' pages (on the same Pi).
ROLES = ("central", "public pages", "kiosk", "survey unit", "display", "mosquitto")


def bench_site_text() -> str:
    """The example site with the survey unit's cool-down at 0 (presses one after another)."""
    text = EXAMPLE_SITE.read_text(encoding="utf-8")
    anchor = "\nwindow_minutes = 5\n"
    if text.count(anchor) != 1:
        raise BenchError(f"cannot find {anchor.strip()!r} once in {EXAMPLE_SITE}")
    return text.replace(anchor, anchor + "cooldown_seconds = 0.0\n")


# -- the processes ----------------------------------------------------------------------


@dataclass
class _Process:
    """A role's process, its log, and (for the kiosk and the survey unit) its keyboard."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def type(self, line: str) -> None:
        """A line on its stdin, as typed at `--keyboard`."""
        keys = self.process.stdin
        assert keys is not None
        keys.write(line.encode("ascii") + b"\n")
        keys.flush()

    def check(self) -> None:
        if self.process.poll() is not None:
            log = self.log.read_text(encoding="utf-8", errors="replace")
            raise BenchError(f"the {self.name} exited ({self.process.returncode}):\n{log}")

    def stop(self) -> None:
        stop_process(self.process)
        if self.process.stdin is not None:
            self.process.stdin.close()


def _start(
    cleanup: contextlib.ExitStack, name: str, command: list[str], log: Path, *, keys: bool
) -> _Process:
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", *command],
            stdin=subprocess.PIPE if keys else subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    started = _Process(name, process, log)
    cleanup.callback(started.stop)
    return started


class _Tap(Subscriber):
    """The bench's eyes on Mosquitto, logged in as the central (another client id): the
    devices' retained statuses, the survey presses and the calls."""

    def __init__(self, report: ProvisionReport, topics: Topics) -> None:
        self._topics = topics
        self._lock = threading.Condition()
        self.statuses: dict[str, DeviceStatus] = {}
        self.survey_presses = 0
        self.calls: list[CallEvent] = []
        subscriptions = [topics.all_status, topics.all_survey_presses, topics.calls]
        super().__init__(report.credentials["central"], subscriptions, client_id("bench-tap"))

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        payload = bytes(message.payload)
        try:
            if message.topic == self._topics.calls:
                call = decode(payload, CallEvent)
                with self._lock:
                    self.calls.append(call)
            elif message.topic.startswith(self._topics.status("")):
                status = decode(payload, DeviceStatus)
                with self._lock:
                    self.statuses[status.device] = status
                    self._lock.notify_all()
            else:
                with self._lock:
                    self.survey_presses += 1
                    self._lock.notify_all()
        except BadMessage:
            return

    def wait_for(self, what: str, ready: Callable[[_Tap], bool], alive: Callable[[], None]) -> None:
        """Until `ready(self)` holds; `alive()` raises if a process died meanwhile."""
        deadline = time.monotonic() + READY_TIMEOUT
        with self._lock:
            while not ready(self):
                alive()
                if time.monotonic() > deadline:
                    seen = "\n".join(f"  {status}" for status in self.statuses.values())
                    raise BenchError(f"{what}: not within {READY_TIMEOUT:.0f} s; seen:\n{seen}")
                self._lock.wait(0.05)

    def online(self, device: str) -> bool:
        status = self.statuses.get(device)
        return status is not None and status.state is DeviceState.ONLINE


class _PrinterFile:
    """The kiosk's printer file, read as it grows: tickets printed, and offline ones."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._counts = {TICKET_MARK: 0, OFFLINE_MARK: 0}
        # The end of what was read, for a mark that straddles two reads: one byte short
        # of the mark, so that no mark is counted twice.
        self._tails = dict.fromkeys(self._counts, b"")

    @property
    def tickets(self) -> int:
        return self._counts[TICKET_MARK]

    @property
    def offline(self) -> int:
        return self._counts[OFFLINE_MARK]

    def read(self) -> None:
        if not self.path.exists():
            return
        with self.path.open("rb") as printed:
            printed.seek(self._offset)
            new = printed.read()
        self._offset += len(new)
        for mark, tail in self._tails.items():
            text = tail + new
            self._counts[mark] += text.count(mark)
            self._tails[mark] = text[len(text) - len(mark) + 1 :]

    def wait_for(self, tickets: int, kiosk: _Process) -> None:
        deadline = time.monotonic() + PRESS_TIMEOUT
        while True:
            self.read()
            if self.tickets >= tickets:
                return
            kiosk.check()
            if time.monotonic() > deadline:
                raise BenchError(f"ticket {tickets} was not printed within {PRESS_TIMEOUT:.0f} s")
            time.sleep(0.001)


# -- the measurements -------------------------------------------------------------------


Usages = dict[str, Usage]


@dataclass(frozen=True)
class Step:
    """One step of the workload: its operations, wall time, and CPU seconds per role."""

    label: str
    operations: int
    wall: float
    cpu: dict[str, float]


@dataclass
class Result:
    start: Usages = field(default_factory=dict)
    after: Usages = field(default_factory=dict)
    idle_cpu: dict[str, float] = field(default_factory=dict)  # seconds per second
    steps: list[Step] = field(default_factory=list)
    central_requests: int = 0
    # (calls made so far, every role's figures then), one every SAMPLE_EVERY calls, and
    # each batch's wall time (seconds)
    curve: list[tuple[int, Usages]] = field(default_factory=list)
    batch_walls: list[float] = field(default_factory=list)
    # Calls the display's process announced to the end (its log), of those it was sent.
    spoken: int = 0
    sent: int = 0
    # Tickets the kiosk printed from its reserve: the central answered after 1 s.
    offline_tickets: int = 0
    heap: Heap = field(default_factory=lambda: Heap(0, 0, 0))


class _Meter:
    """Reads every role's /proc figures, and the CPU each step of the workload used."""

    def __init__(self, pids: dict[str, int], result: Result) -> None:
        self.pids = pids
        self.result = result

    def read(self) -> Usages:
        return {name: usage(pid) for name, pid in self.pids.items()}

    @contextlib.contextmanager
    def step(self, label: str, operations: int) -> Iterator[None]:
        before, started = self.read(), time.perf_counter()
        yield
        wall = time.perf_counter() - started
        after = self.read()
        cpu = {name: after[name].cpu - before[name].cpu for name in self.pids}
        self.result.steps.append(Step(label, operations, wall, cpu))


def run(folder: Path) -> Result:
    """Everything above, in `folder`; every process it starts is stopped on the way out."""
    site_file = folder / "site.toml"
    site_file.write_text(bench_site_text(), encoding="utf-8")
    site = load_site(site_file)
    unit = next(u for u in site.survey_units if u.id == SURVEY_UNIT)
    if unit.cooldown_seconds != 0:
        raise BenchError(f"{SURVEY_UNIT}'s cool-down is {unit.cooldown_seconds} s, not 0")
    topics = Topics(site.site.id)
    port = free_port()
    report = provision(site, folder / "central", port=port, bind_address=LOCALHOST)
    credentials = report.directory / CREDENTIALS_DIR
    pack = folder / "voice"
    write_silent_pack(pack, english=True)
    printer = _PrinterFile(folder / "kiosk-1.bin")
    result = Result()
    with contextlib.ExitStack() as cleanup:
        broker = MosquittoRunner(report.conf, port, folder)
        broker.start()
        cleanup.callback(broker.stop)
        assert broker.pid is not None
        central_log = folder / "central.log"
        web = ("--web-host", LOCALHOST, "--web-port", str(free_port()))
        public = ("--public-port", str(free_port()))
        central = start_central(
            site_file,
            report.directory,
            folder / "antre.sqlite3",
            central_log,
            simulate_from=MONDAY_MORNING,
            extra=(*web, *public),
        )
        cleanup.callback(stop_process, central)
        _wait_until_serving(central, report.credentials[DISPLAY], topics, central_log)
        tap = _Tap(report, topics)
        cleanup.callback(tap.close)
        device = ["--site", str(site_file)]
        clock = ["--simulate-from", MONDAY_MORNING]
        kiosk = _start(
            cleanup,
            "kiosk",
            [
                "kiosk.main",
                *device,
                *clock,
                *("--kiosk", KIOSK, "--credentials", str(credentials / f"{KIOSK}.toml")),
                *("--pin-factory", "mock", "--keyboard", "--printer-file", str(printer.path)),
                *("--state-dir", str(folder / "kiosk-state")),
            ],
            folder / "kiosk.log",
            keys=True,
        )
        survey = _start(
            cleanup,
            "survey unit",
            [
                "survey.main",
                *device,
                *("--unit", SURVEY_UNIT, "--credentials", str(credentials / f"{SURVEY_UNIT}.toml")),
                *("--pin-factory", "mock", "--keyboard"),
            ],
            folder / "survey.log",
            keys=True,
        )
        display = _start(
            cleanup,
            "display",
            [
                "display.main",
                *device,
                *clock,
                *("--display", DISPLAY, "--credentials", str(credentials / f"{DISPLAY}.toml")),
                *("--voice-pack", str(pack), "--headless"),
            ],
            folder / "display.log",
            keys=False,
        )
        processes = (kiosk, survey, display)

        def alive() -> None:
            for process in processes:
                process.check()
            if central.poll() is not None:
                raise BenchError(f"the central exited:\n{central_log.read_text()}")

        def kiosk_ready(tap: _Tap) -> bool:
            status = tap.statuses.get(KIOSK)
            return (
                tap.online(KIOSK)
                and status is not None
                and bool(status.health.get(HealthKey.CENTRAL))
            )

        tap.wait_for(f"{KIOSK} online with the central", kiosk_ready, alive)
        tap.wait_for(f"{SURVEY_UNIT} online", lambda tap: tap.online(SURVEY_UNIT), alive)
        tap.wait_for(f"{DISPLAY} online", lambda tap: tap.online(DISPLAY), alive)
        # One press each before measuring: the kiosk's printer opened, its reserves taken.
        _press_kiosk(kiosk, printer, KIOSK_SERVICES[0])
        _press_survey(survey, tap, 4)

        public_pid = public_pages_pid(central.pid)
        if public_pid is None:
            raise BenchError("the central's public pages process is not running")
        pids = {
            "central": central.pid,
            "public pages": public_pid,
            "kiosk": kiosk.pid,
            "survey unit": survey.pid,
            "display": display.pid,
            "mosquitto": broker.pid,
        }
        meter = _Meter(pids, result)
        time.sleep(1.0)
        result.start = meter.read()
        time.sleep(IDLE_SECONDS)
        idle = meter.read()
        result.idle_cpu = {
            name: (idle[name].cpu - result.start[name].cpu) / IDLE_SECONDS for name in pids
        }

        with meter.step(f"{PRESSES:,} kiosk presses", PRESSES):
            for n in range(PRESSES):
                _press_kiosk(kiosk, printer, KIOSK_SERVICES[n % len(KIOSK_SERVICES)])
        result.offline_tickets = printer.offline
        with meter.step(f"{SURVEY_PRESSES:,} survey presses", SURVEY_PRESSES):
            for n in range(SURVEY_PRESSES):
                _press_survey(survey, tap, 4 - n % 4)
        calls = _Calls(site, report, topics, meter)
        cleanup.callback(calls.close)
        with meter.step(f"{CALLS:,} calls (issue, call_next, finish)", CALLS):
            calls.run()
        result.central_requests = PRESSES + SURVEY_PRESSES + calls.requests
        result.curve = calls.curve
        result.batch_walls = calls.walls
        alive()
        time.sleep(SETTLE_SECONDS)
        result.after = meter.read()

    log = display.log.read_text(encoding="utf-8", errors="replace")
    result.spoken = log.count(ANNOUNCED)
    result.sent = sum(call.kind == "called" for call in tap.calls)
    result.heap = heap_per_call(site, DISPLAY, pack)
    return result


def _press_kiosk(kiosk: _Process, printer: _PrinterFile, service: str) -> None:
    """A press at the kiosk's keyboard; returns once its ticket is in the printer file."""
    printer.read()
    wanted = printer.tickets + 1
    kiosk.type(service)
    printer.wait_for(wanted, kiosk)


def _press_survey(survey: _Process, tap: _Tap, rating: int) -> None:
    """A press at the survey unit's keyboard; returns once it is on Mosquitto."""
    wanted = tap.survey_presses + 1
    survey.type(str(rating))
    tap.wait_for(f"survey press {wanted}", lambda tap: tap.survey_presses >= wanted, survey.check)


class _Calls:
    """Tickets taken as kiosk-2 and called and finished at the counters, in batches."""

    def __init__(self, site: Site, report: ProvisionReport, topics: Topics, meter: _Meter) -> None:
        self.meter = meter
        self.requests = 0
        self.curve: list[tuple[int, Usages]] = [(0, meter.read())]
        self.walls: list[float] = []
        self._lock = threading.Lock()
        wanted = set(CALL_SERVICES)
        self.counters = [c.number for c in site.counters if wanted & set(c.services)]
        user = report.credentials[ISSUER]
        self.issuers = [
            Requester(user, topics.kiosk_request(ISSUER), topics.kiosk_answer(ISSUER), ISSUER)
            for _ in range(ISSUER_CLIENTS)
        ]
        self.clerks = {
            number: Requester(
                report.credentials[f"counter-{number}"],
                topics.counter_command(number),
                topics.counter_answer(number),
                f"counter-{number}",
            )
            for number in self.counters
        }

    def close(self) -> None:
        for client in [*self.issuers, *self.clerks.values()]:
            client.close()

    def run(self) -> None:
        made = 0
        for batch in range(CALLS // SAMPLE_EVERY):
            started = time.perf_counter()
            self._issue(batch)
            called = _in_threads([self._caller(batch, n) for n in self.counters])
            made += sum(called)
            if made != (batch + 1) * SAMPLE_EVERY:
                raise BenchError(f"{made} calls made, not {(batch + 1) * SAMPLE_EVERY}")
            self.curve.append((made, self.meter.read()))
            self.walls.append(time.perf_counter() - started)

    def _issue(self, batch: int) -> None:
        def issuer(index: int) -> Callable[[], int]:
            def work() -> int:
                for n in range(index, SAMPLE_EVERY, len(self.issuers)):
                    request_id = f"t-{batch}-{n}"
                    service = CALL_SERVICES[n % len(CALL_SERVICES)]
                    payload = encode(IssueTicket(id=request_id, service=service))
                    asked = self.issuers[index].ask(request_id, payload)
                    if not asked.answer.ok:
                        raise BenchError(f"{request_id} was refused: {asked.answer.reason}")
                    self._count()
                return 0

            return work

        _in_threads([issuer(index) for index in range(len(self.issuers))])

    def _caller(self, batch: int, number: int) -> Callable[[], int]:
        clerk = self.clerks[number]

        def work() -> int:
            for n in range(SAMPLE_EVERY + 1):
                request_id = f"c-{number}-{batch}-{n}"
                command = CounterCommand(id=request_id, action="call_next", clerk="bench")
                answer = clerk.ask(request_id, encode(command)).answer
                self._count()
                if not answer.ok:
                    if answer.reason == Reason.QUEUE_EMPTY:
                        return n  # the calls made before this one
                    raise BenchError(f"call_next at {number} was refused: {answer.reason}")
                request_id = f"f-{number}-{batch}-{n}"
                command = CounterCommand(id=request_id, action="finish", clerk="bench")
                answer = clerk.ask(request_id, encode(command)).answer
                self._count()
                if not answer.ok:
                    raise BenchError(f"finish at {number} was refused: {answer.reason}")
            raise BenchError(f"counter {number} called more than the batch's tickets")

        return work

    def _count(self) -> None:
        with self._lock:
            self.requests += 1


def _in_threads(work: Sequence[Callable[[], int]]) -> list[int]:
    """Runs each callable in a thread of its own; their results, or the first error."""
    results = [0] * len(work)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            results[index] = work[index]()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


# -- the report -------------------------------------------------------------------------


def _print(result: Result) -> None:
    print(
        "Footprint per role, each a process of its own as on its Pi, on a simulated Monday "
        f"09:00 (one run, {dt.datetime.now():%Y-%m-%d %H:%M})"
    )
    cpu_total = {name: sum(step.cpu[name] for step in result.steps) for name in ROLES}
    per_op = {
        "central": (cpu_total["central"], result.central_requests, "request"),
        "public pages": (cpu_total["public pages"], result.central_requests, "request"),
        "kiosk": (result.steps[0].cpu["kiosk"], PRESSES, "press"),
        "survey unit": (result.steps[1].cpu["survey unit"], SURVEY_PRESSES, "press"),
        "display": (result.steps[2].cpu["display"], CALLS, "call"),
        "mosquitto": (cpu_total["mosquitto"], result.central_requests, "request"),
    }
    print(
        f"{'role':<12} {'RSS MiB: start':>14} {'after':>6} {'peak':>6} {'goal MB':>7} "
        f"{'peak/goal':>9} {'idle CPU ms/s':>13}  CPU ms per operation"
    )
    for name in ROLES:
        start, after = result.start[name], result.after[name]
        goal = GOALS_MB.get(name)
        ratio = f"{after.peak_rss / MB / goal:>8.2f}x" if goal else f"{'-':>9}"
        cpu, ops, unit = per_op[name]
        print(
            f"{name:<12} {start.rss / MB:>14.1f} {after.rss / MB:>6.1f} "
            f"{after.peak_rss / MB:>6.1f} {goal or '-':>7} {ratio} "
            f"{result.idle_cpu[name] * 1000:>13.1f}  {cpu * 1000 / ops:.2f} per {unit} ({ops:,})"
        )
    central_start_peak = result.start["central"].peak_rss / MB
    together = (result.after["central"].rss + result.after["public pages"].rss) / MB
    print(f"the central's Pi runs the central and its public pages: {together:.1f} MiB after")
    print(
        "start: every role started, connected and idle (one press each made); after: the\n"
        f"workload done and {SETTLE_SECONDS:.0f} s idle; peak: VmHWM, the most it ever held "
        f"(the central's\nwas {central_start_peak:.1f} MiB by the end of its start-up). "
        "Goals in MB as issue #15 puts them,\nread as MiB. Idle CPU over "
        f"{IDLE_SECONDS:.0f} s, in 10 ms clock ticks. A call costs the central\nthree "
        "requests: issue, call_next, finish."
    )
    if result.offline_tickets:
        print(
            "(kiosk tickets printed offline, from its reserve, the central's answer coming "
            f"after the\nkiosk's 1 s: {result.offline_tickets})"
        )

    print(
        f"\nCPU ms per operation in each step (user + system)\n{'step':<38} {'wall s':>6}", end=""
    )
    print("".join(f" {name:>11}" for name in ROLES))
    for step in result.steps:
        print(f"{step.label:<38} {step.wall:>6.1f}", end="")
        print("".join(f" {step.cpu[name] * 1000 / step.operations:>11.2f}" for name in ROLES))

    print(
        f"\nOver the {CALLS:,} calls: VmRSS (MiB), and CPU ms per call of each batch of "
        f"{SAMPLE_EVERY}\n{'calls':>11} {'display':>8} {'change':>7} {'central':>8} "
        f"{'change':>7} {'display CPU':>12} {'central CPU':>12} {'batch s':>8}"
    )
    rows = [*result.curve, (-1, result.after)]
    for (calls, now), (_, before) in zip(rows, [rows[0], *rows], strict=False):
        label = f"{calls:,}" if calls >= 0 else f"+{SETTLE_SECONDS:.0f} s idle"
        cells = [f"{label:>11}"]
        for name in ("display", "central"):
            change = (now[name].rss - before[name].rss) / MB
            cells.append(f"{now[name].rss / MB:>8.1f} {change:>+7.1f}")
        if calls > 0:
            for name in ("display", "central"):
                used = now[name].cpu - before[name].cpu
                cells.append(f"{used * 1000 / SAMPLE_EVERY:>12.2f}")
            cells.append(f"{result.batch_walls[calls // SAMPLE_EVERY - 1]:>8.1f}")
        print(" ".join(cells))
    curve = dict(result.curve)
    first = (curve[SAMPLE_EVERY]["display"].rss - curve[0]["display"].rss) / MB
    rest = (curve[CALLS]["display"].rss - curve[SAMPLE_EVERY]["display"].rss) / MB
    heap = result.heap
    unspoken = result.sent - result.spoken
    print(
        f"The display grew {first:+.1f} MiB over the first {SAMPLE_EVERY} calls (its text "
        f"render cache holds up to\n{RENDER_CACHE_BYTES / MB:.0f} MiB), then {rest:+.1f} MiB "
        f"over calls {SAMPLE_EVERY}-{CALLS:,}. The calls came far faster than it\nspeaks, "
        f"as a day never brings them: it announced {result.spoken:,} to the end; "
        f"{unspoken:,} were still\nqueued (or skipped), and a call queued holds "
        f"{heap.per_queued:,} bytes (below): {unspoken * heap.per_queued / MB:.1f} MiB at most."
    )
    print(
        f"\nA display's Python objects, call after call (this process, no MQTT, tracemalloc):"
        f"\n- each call spoken to the end before the next: over {heap.calls:,} calls, after "
        f"{HEAP_WARMUP + heap.calls:,},\n  they grew {heap.grown / 1024:+.0f} KiB, "
        f"{heap.grown / heap.calls:+.0f} bytes per call;\n- calls queued faster than they "
        f"are spoken: {heap.per_queued:+,} bytes per call."
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        result = run(Path(folder))
    _print(result)


if __name__ == "__main__":
    main()
