"""The whole system under a mall's load: 20 kiosks, 26 counters and 4 displays at once.

In one run, against a Mosquitto on 127.0.0.1 and the real central (`python -m
broker.central_main`, a child process on a simulated Monday 09:00, running at real
speed), for the example site widened to 20 kiosks and 4 displays (each its own MQTT
user, as provisioned):

1. issuance: 20 kiosk clients (threads of this process, one per kiosk user) each take
   tickets one after another, round the 24 services: publish an IssueTicket at QoS 1,
   wait for its answer;
2. the same again while the 26 counter clients (one per counter user) each send
   call_next commands one after another: the call latency runs from publishing the
   command to its answer, and the call-to-display latency from publishing it to the
   CallEvent reaching each of the 4 display subscribers (in a process of their own,
   bench/display_watch.py, as on their own Pis);
3. the bare broker round trip, in the same run, on the same broker: with the central
   stopped, mqtt_bench's echo (a plain paho client in its own process, logged in as the
   central, republishing each request to the answer topic), asked by the same 20 kiosk
   clients and by one alone.

CPU time (user + system, from /proc/<pid>/stat) and resident memory (VmRSS and its peak
VmHWM, from /proc/<pid>/status) of the central, Mosquitto, this process (the kiosk and
counter clients) and the displays' process cover steps 1 and 2. The ratios say what the
central and the displays add to Mosquitto's own round trip. Nothing here asserts a time:
it prints what one run measured.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec

from bench.display_watch import DisplayWatch, WatchError
from bench.mqtt_bench import (
    EXAMPLE_SITE,
    MONDAY_MORNING,
    BenchError,
    _echo_running,
)
from broker.mosquitto_runner import LOCALHOST, MosquittoRunner, free_port
from broker.provision import CREDENTIALS_DIR, provision
from contract import topics as t
from contract.credentials import Credentials
from contract.messages import Answer, CounterCommand, IssueTicket, encode
from contract.site_loader import load_site
from contract.topics import Topics
from simulation.central_process import start_central, stop_process
from simulation.link import Requester

KIOSKS = 20
DISPLAYS = 4
# Per kiosk: before measuring (connections, caches, SQLite warm up), then in steps 1 and 2.
WARMUP = 2
ISSUES_ALONE = 10
ISSUES_WITH_CALLS = 20
# Per counter, in step 2.
CALLS = 10
# The lone echo client's round trips.
ECHO_ALONE = 200
READY_TIMEOUT = 30.0
# After the last call: the displays' copies still on their way.
SETTLE_SECONDS = 2.0


def bench_site_text() -> str:
    """The example site with kiosks up to `KIOSKS` and displays up to `DISPLAYS`.

    TOML lets an array of tables go on further down the file: the extra kiosks and
    displays are appended to the example's text, which is otherwise unchanged.
    """
    site = load_site(EXAMPLE_SITE)
    parts = [EXAMPLE_SITE.read_text(encoding="utf-8"), "\n# --- added by bench/system_bench.py"]
    for number in range(len(site.kiosks) + 1, KIOSKS + 1):
        parts.append(
            f'\n[[kiosks]]\nid = "kiosk-{number}"\nbuttons = [{{ service = "A", pin = 2 }}]\n'
            '[kiosks.printer]\ntype = "dummy"\n'
        )
    for number in range(len(site.displays) + 1, DISPLAYS + 1):
        parts.append(f'\n[[displays]]\nid = "display-{number}"\n')
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class Usage:
    """CPU seconds used so far and resident memory now and at its peak (bytes)."""

    cpu: float
    rss: int
    peak_rss: int


def usage(pid: int) -> Usage:
    """From /proc: utime + stime of /proc/<pid>/stat, VmRSS and VmHWM of its status."""
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    # Fields after the command name (which may hold spaces), from field 3 (state) on.
    fields = stat.rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    memory = {}
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            memory[key] = int(value.split()[0]) * 1024
    return Usage(ticks / os.sysconf("SC_CLK_TCK"), memory["VmRSS"], memory["VmHWM"])


def percentile_ms(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of seconds, in milliseconds."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)] * 1000


class _EchoReply(msgspec.Struct):
    id: str


class _EchoClient(Requester):
    """A kiosk client of the echo: the answer is its own request, sent back."""

    def read(self, payload: bytes) -> Answer | None:
        try:
            return Answer(id=msgspec.json.decode(payload, type=_EchoReply).id, ok=True)
        except msgspec.DecodeError:
            return None


@dataclass
class _Measured:
    issue_alone: list[float]
    issue_with_calls: list[float]
    calls: list[float]
    empty_calls: int
    # (number, when the command went out): for the call-to-display latency.
    sent: list[tuple[str, float]]


def _in_threads(work: Sequence[Callable[[], None]]) -> None:
    """Runs each callable in a thread of its own, all released at once; re-raises."""
    go = threading.Barrier(len(work))
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        go.wait()
        try:
            job()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(job,), daemon=True) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _issuer(
    kiosk: Requester, index: int, tag: str, count: int, services: list[str], out: list[float]
) -> Callable[[], None]:
    def work() -> None:
        for n in range(count):
            service = services[(index + n * KIOSKS) % len(services)]
            request_id = f"{tag}-{index}-{n}"
            asked = kiosk.ask(request_id, encode(IssueTicket(id=request_id, service=service)))
            if not asked.answer.ok:
                raise BenchError(f"{request_id} was refused: {asked.answer.reason}")
            out.append(asked.seconds)

    return work


def _caller(number: int, counter: Requester, measured: _Measured) -> Callable[[], None]:
    def work() -> None:
        for n in range(CALLS):
            request_id = f"call-{number}-{n}"
            command = CounterCommand(id=request_id, action="call_next", clerk="bench")
            sent = time.perf_counter()
            asked = counter.ask(request_id, encode(command))
            measured.calls.append(asked.seconds)
            if asked.answer.ticket is None:
                measured.empty_calls += 1
            else:
                measured.sent.append((asked.answer.ticket.number, sent))

    return work


@dataclass
class Result:
    measured: _Measured
    display: list[float]
    displays_missing: int
    echo_many: list[float]
    echo_one: list[float]
    central: tuple[Usage, Usage]
    mosquitto: tuple[Usage, Usage]
    clients: tuple[Usage, Usage]
    displays: tuple[Usage, Usage]
    wall: float
    counters: int


def run(folder: Path) -> Result:
    """Everything above, in `folder`; every process it starts is stopped on the way out."""
    site_file = folder / "site.toml"
    site_file.write_text(bench_site_text(), encoding="utf-8")
    site = load_site(site_file)
    topics = Topics(site.site.id)
    services = [service.prefix for service in site.services]
    port = free_port()
    report = provision(site, folder / "central", port=port, bind_address=LOCALHOST)
    credentials = report.credentials
    with contextlib.ExitStack() as cleanup:
        broker = MosquittoRunner(report.conf, port, folder)
        broker.start()
        cleanup.callback(broker.stop)
        assert broker.pid is not None
        log_path = folder / "central.log"
        central = start_central(
            site_file,
            report.directory,
            folder / "antre.sqlite3",
            log_path,
            simulate_from=MONDAY_MORNING,
        )
        cleanup.callback(stop_process, central)
        # The displays in a process of their own, as on their own Pis (bench/display_watch.py).
        displays = DisplayWatch(
            topics.state,
            topics.calls,
            [report.directory / CREDENTIALS_DIR / f"{d.id}.toml" for d in site.displays],
            folder / "displays.log",
        )
        cleanup.callback(displays.close)
        try:
            displays.wait_ready(READY_TIMEOUT, alive=lambda: central.poll() is None)
        except WatchError as e:
            raise BenchError(f"{e}\nthe central's log:\n{log_path.read_text()}") from e
        kiosks = [
            _requester(credentials, topics, f"kiosk-{n}", kiosk=True) for n in range(1, KIOSKS + 1)
        ]
        counters = {c.number: _requester(credentials, topics, str(c.number)) for c in site.counters}
        for client in [*kiosks, *counters.values()]:
            cleanup.callback(client.close)

        warm: list[float] = []
        _in_threads([_issuer(k, i, "warm", WARMUP, services, warm) for i, k in enumerate(kiosks)])
        pids = (central.pid, broker.pid, os.getpid(), displays.pid)
        before = [usage(pid) for pid in pids]
        started = time.perf_counter()
        measured = _Measured([], [], [], 0, [])
        _in_threads(
            [
                _issuer(k, i, "alone", ISSUES_ALONE, services, measured.issue_alone)
                for i, k in enumerate(kiosks)
            ]
        )
        _in_threads(
            [
                _issuer(k, i, "mixed", ISSUES_WITH_CALLS, services, measured.issue_with_calls)
                for i, k in enumerate(kiosks)
            ]
            + [_caller(number, counter, measured) for number, counter in counters.items()]
        )
        wall = time.perf_counter() - started
        after = [usage(pid) for pid in pids]
        time.sleep(SETTLE_SECONDS)
        heard = displays.heard()
        display_latencies = []
        missing = 0
        for number, sent in measured.sent:
            for display in site.displays:
                when = heard.get(display.id, {}).get(number)
                if when is None:
                    missing += 1
                else:
                    display_latencies.append(when - sent)
        stop_process(central)

        echo_many: list[float] = []
        echo_one: list[float] = []
        with _echo_running(credentials[t.CENTRAL_ID]):
            echoes = [
                _requester(credentials, topics, f"kiosk-{n}", echo=True)
                for n in range(1, KIOSKS + 1)
            ]
            try:
                warm_echo = [
                    _issuer(k, i, "ew", WARMUP, services, []) for i, k in enumerate(echoes)
                ]
                _in_threads(warm_echo)
                _in_threads(
                    [
                        _issuer(k, i, "echo", ISSUES_ALONE, services, echo_many)
                        for i, k in enumerate(echoes)
                    ]
                )
                _issuer(echoes[0], 0, "one", ECHO_ALONE, services, echo_one)()
            finally:
                for client in echoes:
                    client.close()
    return Result(
        measured,
        display_latencies,
        missing,
        echo_many,
        echo_one,
        (before[0], after[0]),
        (before[1], after[1]),
        (before[2], after[2]),
        (before[3], after[3]),
        wall,
        len(counters),
    )


def _requester(
    credentials: dict[str, Credentials],
    topics: Topics,
    device: str,
    *,
    kiosk: bool = False,
    echo: bool = False,
) -> Requester:
    if kiosk or echo:
        user = credentials[device]
        kind = _EchoClient if echo else Requester
        return kind(user, topics.kiosk_request(device), topics.kiosk_answer(device), device)
    user = credentials[f"counter-{device}"]
    return Requester(
        user, topics.counter_command(device), topics.counter_answer(device), f"counter-{device}"
    )


def _print(result: Result) -> None:
    m = result.measured
    issues = m.issue_alone + m.issue_with_calls
    operations = len(issues) + len(m.calls)
    rows = [
        (f"issuance, {KIOSKS} kiosks alone", m.issue_alone),
        (f"issuance, {KIOSKS} kiosks while {result.counters} counters call", m.issue_with_calls),
        ("call_next, command to answer", m.calls),
        (f"call to display ({DISPLAYS} displays)", result.display),
        (f"bare round trip, echo, {KIOSKS} clients", result.echo_many),
        ("bare round trip, echo, 1 client", result.echo_one),
    ]
    print(
        f"System: {KIOSKS} kiosks, {result.counters} counters, {DISPLAYS} displays through "
        f"Mosquitto and the central (one run, {dt.datetime.now():%Y-%m-%d %H:%M})"
    )
    print(f"{'':<44} {'n':>5} {'p50 ms':>8} {'p99 ms':>8}")
    for label, values in rows:
        print(
            f"{label:<44} {len(values):>5} {percentile_ms(values, 0.5):>8.2f} "
            f"{percentile_ms(values, 0.99):>8.2f}"
        )
    if m.empty_calls or result.displays_missing:
        print(
            f"({m.empty_calls} calls found nobody waiting; "
            f"{result.displays_missing} display copies did not arrive)"
        )
    print(
        f"\n{'process (steps 1 and 2)':<24} {'CPU s':>7} {'CPU ms/op':>10} "
        f"{'RSS MiB':>8} {'peak MiB':>9}"
    )
    for name, (before, after) in (
        ("central", result.central),
        ("mosquitto", result.mosquitto),
        ("kiosks and counters", result.clients),
        (f"{DISPLAYS} displays", result.displays),
    ):
        cpu = after.cpu - before.cpu
        print(
            f"{name:<24} {cpu:>7.2f} {cpu * 1000 / operations:>10.3f} "
            f"{after.rss / 2**20:>8.1f} {after.peak_rss / 2**20:>9.1f}"
        )
    echo50 = percentile_ms(result.echo_many, 0.5)
    alone50 = percentile_ms(m.issue_alone, 0.5)
    call50 = percentile_ms(m.calls, 0.5)
    central_cpu = result.central[1].cpu - result.central[0].cpu
    broker_cpu = result.mosquitto[1].cpu - result.mosquitto[0].cpu
    print(
        f"\n{operations} operations in {result.wall:.1f} s ({operations / result.wall:,.0f}/s)."
        "\nratios (p50):"
        f"\n  issuance / bare round trip ({KIOSKS} clients)       {alone50 / echo50:6.2f}x"
        f"\n  issuance with calls / issuance alone          "
        f"{percentile_ms(m.issue_with_calls, 0.5) / alone50:6.2f}x"
        f"\n  call / bare round trip                        {call50 / echo50:6.2f}x"
        f"\n  call to display / call                        "
        f"{percentile_ms(result.display, 0.5) / call50:6.2f}x"
        f"\n  bare round trip {KIOSKS} clients / 1 client         "
        f"{echo50 / percentile_ms(result.echo_one, 0.5):6.2f}x"
        f"\n  central CPU / mosquitto CPU                   "
        f"{central_cpu / broker_cpu if broker_cpu else math.nan:6.2f}x"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        _print(run(Path(folder)))


if __name__ == "__main__":
    main()
