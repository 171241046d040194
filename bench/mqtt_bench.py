"""Ticket issuance through the real broker, beside a bare MQTT echo: what the central costs.

In one run, against a Mosquitto on 127.0.0.1 provisioned for the example site:

- central: the real central (`python -m broker.central_main`, a child process on a
  simulated Monday 09:00) answers IssueTicket requests, each for a service without a daily
  quota, so none is refused. Each ticket is decided by the queue engine, committed to
  SQLite (WAL, synchronous=FULL: an fsync per ticket) before the answer goes out, and
  followed by a retained state publication, as in production;
- echo: with the central stopped, a plain paho MQTT v5 client (another process, logged in
  as `central`) republishes each request's payload at QoS 1 to the matching answer topic,
  with no parsing beyond the topic. That is the limit of this design: MQTT v5, QoS 1 both
  ways, one broker hop each way.

For 1 and 8 client kiosks, each client sends requests one after another (publish at QoS 1,
wait for the answer with its id, next) and the bench reports the latency from publish to
answer received (p50, p99) and the throughput (answers per second over the wall time).
The example site has two kiosk users, so the 8 clients share them (distinct client ids):
every answer reaches the 4 clients of its kiosk, in both columns alike, and each client
keeps only its own ids. The clients are threads of this one Python process.

Sockets as shipped: Mosquitto with `set_tcp_nodelay true` (antre-provision writes it) and
every client with TCP_NODELAY (`contract.mqtt_socket`). Without it, a small request waits
for the peer's delayed ACK (40 ms on Linux) at each end, and that floor (about 88 ms a
round trip, measured here) hid everything else. The ratios compare the central to the
echo: its overhead over the echo is what we own.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.synchronize import Event as ProcessEvent
from pathlib import Path
from typing import Any

import msgspec
import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from broker.mosquitto_runner import LOCALHOST, MosquittoRunner, free_port
from broker.provision import ProvisionReport, provision
from contract import topics as t
from contract.credentials import Credentials
from contract.errors import AntreError
from contract.messages import IssueTicket, encode
from contract.site import Site
from contract.site_loader import load_site
from contract.topics import Topics
from simulation.central_process import start_central, stop_process
from simulation.link import Subscriber, mqtt_client

EXAMPLE_SITE = Path(__file__).resolve().parent.parent / "examples" / "samarinda" / "site.toml"
MONDAY_MORNING = "2026-11-30T09:00:00+08:00"
# Per client, before the measured requests: connections and caches warm up.
WARMUP = 5
KIOSKS = ("kiosk-1", "kiosk-2")
# Services without a daily quota: nothing is refused however many tickets we take.
SERVICES = ("D", "E", "F", "G", "J", "L", "M", "N", "P", "Q", "T", "U", "W", "X")
DISPLAY = "display-lobby"
# Bounded waits: generous for a loaded machine, never reached when things work.
ANSWER_TIMEOUT = 10.0
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Setup:
    """One table: the sockets' setup, the client counts, the requests per configuration."""

    title: str
    client_counts: tuple[int, ...]
    # Per configuration, shared out evenly between its clients.
    requests: int


SETUPS = (Setup("as provisioned (TCP_NODELAY on every socket)", (1, 8), 400),)


class BenchError(AntreError):
    """The benchmark could not measure what it means to (no answer, a refusal, no start)."""


class _Reply(msgspec.Struct):
    """What a client reads of an answer: the central's `Answer` or an echoed request."""

    id: str
    ok: bool = True
    reason: str | None = None


@dataclass(frozen=True)
class Run:
    """The latencies (seconds) of one configuration and its wall time."""

    latencies: list[float]
    wall: float

    def percentile_ms(self, fraction: float) -> float:
        """Nearest-rank percentile, in milliseconds."""
        ordered = sorted(self.latencies)
        index = max(0, math.ceil(fraction * len(ordered)) - 1)
        return ordered[index] * 1000

    @property
    def p50(self) -> float:
        return self.percentile_ms(0.50)

    @property
    def p99(self) -> float:
        return self.percentile_ms(0.99)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall


class _StateWatcher(Subscriber):
    """A display: waits for the retained state, the sign the central is serving."""

    def __init__(self, credentials: Credentials, topics: Topics) -> None:
        self.seen = threading.Event()
        super().__init__(credentials, [topics.state], "bench-display")

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.seen.set()


class _Kiosk(Subscriber):
    """One client of a kiosk user: one request at a time, answers matched by id."""

    def __init__(self, credentials: Credentials, client_id: str, topics: Topics) -> None:
        self._request_topic = topics.kiosk_request(credentials.username)
        self._waiting: str | None = None
        self._answered = threading.Event()
        self._answered_at = 0.0
        self._reply: _Reply | None = None
        answers = topics.kiosk_answer(credentials.username)
        super().__init__(credentials, [answers], client_id)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        received = time.perf_counter()
        try:
            reply = msgspec.json.decode(message.payload, type=_Reply)
        except msgspec.DecodeError:
            return
        # The kiosk's other clients' answers come here too: keep only our own.
        if reply.id == self._waiting:
            self._answered_at = received
            self._reply = reply
            self._waiting = None
            self._answered.set()

    def ask(self, request_id: str, service: str) -> float:
        """Sends one IssueTicket and returns the seconds until its answer came."""
        payload = encode(IssueTicket(id=request_id, service=service))
        self._answered.clear()
        self._waiting = request_id
        started = time.perf_counter()
        self.client.publish(self._request_topic, payload, qos=1)
        if not self._answered.wait(ANSWER_TIMEOUT):
            raise BenchError(f"no answer to {request_id} within {ANSWER_TIMEOUT} s")
        reply = self._reply
        if reply is None or not reply.ok:
            reason = reply.reason if reply is not None else None
            raise BenchError(f"request {request_id} was refused: {reason}")
        return self._answered_at - started


def _measure(
    credentials: dict[str, Credentials],
    topics: Topics,
    setup: Setup,
    clients: int,
    tag: str,
) -> Run:
    """`setup.requests` requests from `clients` clients at once, each one after another."""
    per_client = setup.requests // clients
    kiosks: list[_Kiosk] = []
    try:
        for index in range(clients):
            user = credentials[KIOSKS[index % len(KIOSKS)]]
            kiosks.append(_Kiosk(user, f"bench-{tag}-{index}", topics))
        for index, kiosk in enumerate(kiosks):
            for n in range(WARMUP):
                kiosk.ask(f"{tag}-warm-{index}-{n}", SERVICES[n % len(SERVICES)])

        go = threading.Barrier(clients + 1)
        latencies: list[list[float]] = [[] for _ in kiosks]
        finished = [0.0] * clients
        errors: list[BaseException] = []

        def work(index: int) -> None:
            kiosk = kiosks[index]
            go.wait()
            try:
                for n in range(per_client):
                    service = SERVICES[(index + n) % len(SERVICES)]
                    latencies[index].append(kiosk.ask(f"{tag}-{index}-{n}", service))
            except BaseException as error:
                errors.append(error)
            finished[index] = time.perf_counter()

        threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(clients)]
        for thread in threads:
            thread.start()
        go.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return Run([x for own in latencies for x in own], max(finished) - started)
    finally:
        for kiosk in kiosks:
            kiosk.close()


# -- the central ------------------------------------------------------------------------


def serving_central(
    cleanup: contextlib.ExitStack,
    report: ProvisionReport,
    folder: Path,
    extra: tuple[str, ...] = (),
) -> subprocess.Popen[bytes]:
    """The example site's central, started (and stopped by `cleanup`), once it serves;
    `extra`: more of its arguments (its web console, say)."""
    log_path = folder / "central.log"
    central = start_central(
        EXAMPLE_SITE,
        report.directory,
        folder / "antre.sqlite3",
        log_path,
        simulate_from=MONDAY_MORNING,
        extra=extra,
    )
    cleanup.callback(stop_process, central)
    topics = Topics(report.site_id)
    _wait_until_serving(central, report.credentials[DISPLAY], topics, log_path)
    return central


def _wait_until_serving(
    central: subprocess.Popen[bytes], display: Credentials, topics: Topics, log_path: Path
) -> None:
    """Returns once the central's retained state is on Mosquitto."""
    watcher = _StateWatcher(display, topics)
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not watcher.seen.wait(0.1):
            if central.poll() is not None or time.monotonic() > deadline:
                log = log_path.read_text(encoding="utf-8", errors="replace")
                raise BenchError(f"the central did not publish its state:\n{log}")
    finally:
        watcher.close()


# -- the echo ---------------------------------------------------------------------------


def _echo(credentials: Credentials, ready: ProcessEvent, stop: ProcessEvent) -> None:
    """The echo server (in its own process): each request's payload back as its answer."""
    topics = Topics(credentials.site)
    # The central's own client id, with a clean start: Mosquitto drops the stopped
    # central's persistent session, rather than queueing every request for it meanwhile.
    client = mqtt_client(credentials, f"antre-central-{credentials.site}")
    suffix = "/" + t.REQUEST

    def on_connect(
        client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        if not reason.is_failure:
            client.subscribe(topics.all_kiosk_requests, qos=1)

    def on_subscribe(
        client: mqtt.Client, userdata: Any, mid: int, reasons: Any, props: Any
    ) -> None:
        ready.set()

    def on_message(client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        topic = message.topic
        if topic.endswith(suffix):
            client.publish(topic[: -len(suffix)] + "/" + t.ANSWER, message.payload, qos=1)

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.connect(credentials.host, credentials.port, keepalive=30, clean_start=True)
    client.loop_start()
    stop.wait()
    client.disconnect()
    client.loop_stop()


@contextlib.contextmanager
def _echo_running(credentials: Credentials) -> Iterator[None]:
    """The echo server in a process of its own, not sharing the clients' interpreter."""
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Event(), context.Event()
    process = context.Process(target=_echo, args=(credentials, ready, stop), daemon=True)
    process.start()
    try:
        if not ready.wait(READY_TIMEOUT):
            raise BenchError("the echo server did not subscribe")
        yield
    finally:
        stop.set()
        process.join(STOP_TIMEOUT)
        if process.is_alive():
            process.kill()
            process.join()


# -- one setup, the report -------------------------------------------------------------


def _run_setup(site: Site, setup: Setup, folder: Path) -> tuple[dict[int, Run], dict[int, Run]]:
    """Runs a broker and the central, then the echo, for one setup; stops them all."""
    topics = Topics(site.site.id)
    port = free_port()
    report = provision(site, folder / "central", port=port, bind_address=LOCALHOST)
    credentials = report.credentials
    central_runs: dict[int, Run] = {}
    echo_runs: dict[int, Run] = {}
    # Everything started below is stopped on the way out, whatever happens.
    with contextlib.ExitStack() as cleanup:
        broker = MosquittoRunner(report.conf, port)
        cleanup.callback(broker.stop)
        broker.start()
        central = serving_central(cleanup, report, folder)
        for clients in setup.client_counts:
            central_runs[clients] = _measure(credentials, topics, setup, clients, f"c{clients}")
        stop_process(central)
        with _echo_running(credentials[t.CENTRAL_ID]):
            for clients in setup.client_counts:
                echo_runs[clients] = _measure(credentials, topics, setup, clients, f"e{clients}")
    return central_runs, echo_runs


def _print_table(setup: Setup, central: dict[int, Run], echo: dict[int, Run]) -> None:
    print(f"{setup.title}: {setup.requests} requests per cell")
    print(
        f"{'clients':>7} | {'central p50':>11} {'p99':>7} {'req/s':>6} | "
        f"{'echo p50':>8} {'p99':>7} {'req/s':>6} | "
        f"{'p50 c/e':>7} {'req/s c/e':>9} {'overhead p50':>12}"
    )
    for clients in setup.client_counts:
        c, e = central[clients], echo[clients]
        print(
            f"{clients:>7} | {c.p50:>11.2f} {c.p99:>7.2f} {c.rate:>6,.0f} | "
            f"{e.p50:>8.2f} {e.p99:>7.2f} {e.rate:>6,.0f} | "
            f"{c.p50 / e.p50:>6.2f}x {c.rate / e.rate:>8.2f}x {c.p50 - e.p50:>9.2f} ms"
        )


def main() -> None:
    site = load_site(EXAMPLE_SITE)
    print(
        "MQTT issuance through Mosquitto, the central vs a bare QoS 1 echo "
        "(latency ms from publish to answer, throughput answers/s)"
    )
    with tempfile.TemporaryDirectory() as folder:
        for number, setup in enumerate(SETUPS):
            setup_folder = Path(folder) / f"setup-{number}"
            setup_folder.mkdir()
            central, echo = _run_setup(site, setup, setup_folder)
            _print_table(setup, central, echo)
    print(
        "p50 c/e: the central's median latency over the echo's (1.00 = no overhead);\n"
        "req/s c/e: its throughput over the echo's (1.00 = as fast);\n"
        "overhead p50: what the central adds to the median round trip."
    )


if __name__ == "__main__":
    main()
