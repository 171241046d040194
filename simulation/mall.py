"""Plays a `DayPlan` through Mosquitto and the central, both real processes.

The central runs on a simulated clock (`--simulate-from ... --speed N`); this process
keeps a clock in step with it (set from the central's first retained state) and acts
on it: a thread per kiosk user presses for each citizen at their time, a thread per
counter calls, serves for the citizen's service time, skips a no-show after calling
twice, pauses over the lunch break and resumes after it. Clerks look at the display's
waiting counts to decide whether to call, as they do at a real counter. Everything the
figures are made of comes from the central: the printed estimate in the kiosk's answer,
and the issue and call times it saved.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from broker.engine.tickets import Ticket, TicketState
from broker.mosquitto_runner import LOCALHOST, MosquittoRunner, free_port
from broker.provision import provision
from broker.store.sqlite_store import EventRecord, SqliteStore
from contract.clock import SimulatedClock
from contract.credentials import Credentials
from contract.errors import AntreError
from contract.messages import (
    Answer,
    CounterAction,
    CounterCommand,
    IssueTicket,
    QueueState,
    ServiceView,
    encode,
)
from contract.topics import Topics
from simulation.central_process import STOP_TIMEOUT, start_central, stop_process
from simulation.link import LinkError, Observer, Requester, Sample
from simulation.plan import Citizen, DayPlan, on_break

DISPLAY = "display-lobby"
# The central starts this many real seconds of simulated time before the day's start,
# so its start-up does not eat into the day.
LEAD_SECONDS = 4.0
READY_TIMEOUT = 60.0
# Nothing heard by the display for this long (real seconds): the last state has come.
QUIET_SECONDS = 1.0
# A clerk with nobody waiting looks again at the latest after this (simulated minutes).
IDLE_LOOK_MINUTES = 1.0
# A clerk calls a citizen who does not come once more after this, then skips them.
NO_SHOW_MINUTES = 1.0


class SimulationError(AntreError):
    """The simulated day could not be played (a process did not start, no answer)."""


@dataclass(frozen=True, slots=True)
class Issued:
    """A citizen's press and the central's answer to it."""

    citizen: Citizen
    answer: Answer
    # How late the press went out against the plan (simulated seconds).
    late_seconds: float


@dataclass
class DayRun:
    """What happened: the answers, the tickets as the central saved them, the display."""

    plan: DayPlan
    speed: float
    folder: Path
    issued: list[Issued] = field(default_factory=list)
    tickets: dict[str, Ticket] = field(default_factory=dict)
    # The central's history of the day, as it saved it (for the old estimate's figures).
    events: list[EventRecord] = field(default_factory=list)
    history: list[Sample] = field(default_factory=list)
    calls_heard: int = 0
    # The display's last state against the central's saved one: (service, shown, saved).
    display_mismatches: list[tuple[str, int, int]] = field(default_factory=list)
    stopped_at: dt.datetime | None = None
    wall_seconds: float = 0.0


def play(plan: DayPlan, site_file: Path, folder: Path, speed: float) -> DayRun:
    """Starts Mosquitto and the central in `folder`, plays the day, stops them."""
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "antre.sqlite3"
    for stale in (database, folder / "antre.sqlite3-wal", folder / "antre.sqlite3-shm"):
        stale.unlink(missing_ok=True)
    # Mosquitto keeps retained messages on disk: a state left by an earlier day must go.
    shutil.rmtree(folder / "central" / "mosquitto" / "data", ignore_errors=True)
    site = plan.site
    port = free_port()
    report = provision(site, folder / "central", port=port, bind_address=LOCALHOST)
    started = time.perf_counter()
    with contextlib.ExitStack() as cleanup:
        broker = MosquittoRunner(report.conf, port, folder)
        broker.start()
        cleanup.callback(broker.stop)
        topics = Topics(site.site.id)
        observer = Observer(report.credentials[DISPLAY], topics.state, topics.calls)
        cleanup.callback(observer.close)
        begin = plan.start - dt.timedelta(seconds=LEAD_SECONDS * speed)
        launched = time.perf_counter()
        central = start_central(
            site_file,
            report.directory,
            database,
            folder / "central.log",
            simulate_from=begin.isoformat(),
            speed=speed,
        )
        cleanup.callback(stop_process, central)
        state = _first_state(observer, central, folder, launched)
        # The state's time is to the second: half a second is the best guess within it.
        central_now = dt.datetime.fromisoformat(state.at) + dt.timedelta(seconds=0.5)
        clock = SimulatedClock(central_now, speed)
        day = _Day(plan, clock, speed, report.credentials, topics, observer)
        cleanup.callback(day.close)
        run = DayRun(plan, speed, folder)
        run.issued, run.stopped_at = day.play()
        # The last changes reach the display, then it is compared with what was saved.
        observer.wait_quiet(QUIET_SECONDS, READY_TIMEOUT)
        run.history = [sample for sample in observer.history if sample.heard > launched]
        run.calls_heard = len(observer.called_at)
        shown = observer.state
        stop_process(central)
        run.tickets, run.events = _saved_day(database, plan)
        if shown is not None:
            run.display_mismatches = _compare(shown.services, run.tickets, plan)
    run.wall_seconds = time.perf_counter() - started
    return run


class _Day:
    """The clients and threads of one day."""

    def __init__(
        self,
        plan: DayPlan,
        clock: SimulatedClock,
        speed: float,
        credentials: dict[str, Credentials],
        topics: Topics,
        observer: Observer,
    ) -> None:
        self.plan = plan
        self.clock = clock
        self.speed = speed
        self.observer = observer
        # `abort`: a thread failed, everyone stops; `stop`: the day is over for the clerks.
        self.abort = threading.Event()
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self._lock = threading.Condition()
        self._issued: list[Issued] = []
        self._by_number: dict[str, Citizen] = {}
        self._busy: set[int] = set()
        self._kiosks_done = 0
        self._commands = 0
        kiosks = sorted({citizen.kiosk for citizen in plan.citizens})
        self.kiosks = {
            kiosk: Requester(
                credentials[kiosk], topics.kiosk_request(kiosk), topics.kiosk_answer(kiosk), kiosk
            )
            for kiosk in kiosks
        }
        self.counters: dict[int, Requester] = {}
        for number in plan.counters:
            user = f"counter-{number}"
            self.counters[number] = Requester(
                credentials[user],
                topics.counter_command(number),
                topics.counter_answer(number),
                user,
            )

    def close(self) -> None:
        self.abort.set()
        self.stop.set()
        for link in [*self.kiosks.values(), *self.counters.values()]:
            link.close()

    # -- the clock ----------------------------------------------------------------------

    def _real(self, minutes: float) -> float:
        return minutes * 60 / self.speed

    def _sleep_until(self, moment: dt.datetime, until: threading.Event | None = None) -> bool:
        """Waits for `moment` on the simulated clock; True if `until` (`stop`) came first."""
        seconds = (moment - self.clock()).total_seconds() / self.speed
        return (until or self.stop).wait(max(0.0, seconds))

    def _sleep_for(self, minutes: float) -> bool:
        return self.stop.wait(self._real(minutes))

    # -- the day ------------------------------------------------------------------------

    def play(self) -> tuple[list[Issued], dt.datetime]:
        work = [functools.partial(self._kiosk, kiosk) for kiosk in self.kiosks]
        work += [functools.partial(self._counter, number) for number in self.counters]
        threads = [threading.Thread(target=self._guarded, args=(w,), daemon=True) for w in work]
        for thread in threads:
            thread.start()
        while not self.abort.is_set():
            if self.clock() >= self.plan.end or self._all_done():
                break
            time.sleep(0.05)
        # Whoever was due before the end still presses (a loaded machine may lag behind).
        for thread in threads[: len(self.kiosks)]:
            thread.join(timeout=STOP_TIMEOUT + 60)
        stopped_at = self.clock()
        self.stop.set()
        for thread in threads:
            thread.join(timeout=STOP_TIMEOUT + 60)
        if self.errors:
            raise SimulationError(f"the day stopped early: {self.errors[0]}") from self.errors[0]
        with self._lock:
            return sorted(self._issued, key=lambda i: i.citizen.index), stopped_at

    def _all_done(self) -> bool:
        """Every citizen came and was seen to, nobody waits, every clerk is free."""
        with self._lock:
            if self._kiosks_done < len(self.kiosks) or self._busy:
                return False
        return self.observer.waiting(self.plan.services) == 0

    def _guarded(self, work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as error:
            self.errors.append(error)
            self.abort.set()
            self.stop.set()

    def _kiosk(self, kiosk: str) -> None:
        link = self.kiosks[kiosk]
        for citizen in (c for c in self.plan.citizens if c.kiosk == kiosk):
            if self._sleep_until(citizen.at, self.abort):
                break
            late = (self.clock() - citizen.at).total_seconds()
            request = IssueTicket(
                id=citizen.request_id, service=citizen.service, priority=citizen.priority
            )
            answer = link.ask(citizen.request_id, encode(request)).answer
            with self._lock:
                self._issued.append(Issued(citizen, answer, late))
                if answer.ticket is not None:
                    self._by_number[answer.ticket.number] = citizen
                self._lock.notify_all()
        with self._lock:
            self._kiosks_done += 1

    def _command(self, number: int, action: CounterAction) -> Answer:
        with self._lock:
            self._commands += 1
            request_id = f"sim-c{number}-{self._commands}"
        command = CounterCommand(id=request_id, action=action, clerk="sim")
        return self.counters[number].ask(request_id, encode(command)).answer

    def _citizen(self, number: str) -> Citizen | None:
        """The citizen holding a ticket (their kiosk thread may still be recording it)."""
        with self._lock:
            self._lock.wait_for(lambda: number in self._by_number, timeout=5.0)
            return self._by_number.get(number)

    def _set_busy(self, number: int, busy: bool) -> None:
        with self._lock:
            if busy:
                self._busy.add(number)
            else:
                self._busy.discard(number)

    def _counter(self, number: int) -> None:
        site = self.plan.site
        services = [s for s in site.counters_by_number[number].services if s in self.plan.services]
        paused = False
        serving = False
        while not self.stop.is_set():
            break_ends = on_break(site, services, self.clock())
            if break_ends is not None:
                if serving:
                    self._command(number, "finish")
                    serving = False
                    self._set_busy(number, False)
                if not paused:
                    self._command(number, "pause")
                    paused = True
                self._sleep_until(break_ends)
                continue
            if paused:
                self._command(number, "resume")
                paused = False
            if self.observer.waiting(services) == 0:
                if serving:
                    self._command(number, "finish")
                    serving = False
                    self._set_busy(number, False)
                self.observer.wait_change(self._real(IDLE_LOOK_MINUTES))
                continue
            self._set_busy(number, True)
            # Finishes the citizen served so far, if any, and calls the next one.
            answer = self._command(number, "call_next")
            serving = False
            if answer.ticket is None:  # another counter took the last one
                self._set_busy(number, False)
                continue
            citizen = self._citizen(answer.ticket.number)
            if citizen is None or citizen.no_show:
                self._sleep_for(NO_SHOW_MINUTES)
                self._command(number, "recall")
                self._sleep_for(NO_SHOW_MINUTES)
                self._command(number, "skip")
                self._set_busy(number, False)
                continue
            serving = True
            self._sleep_for(citizen.service_minutes)
        if serving:
            # The day is over: the citizen at the counter is done.
            self._command(number, "finish")
        self._set_busy(number, False)


def _first_state(
    observer: Observer, central: subprocess.Popen[bytes], folder: Path, launched: float
) -> QueueState:
    """The central's first state, published after it was started."""
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        with contextlib.suppress(LinkError):
            return observer.wait_for_state(0.05, after=launched)
        if central.poll() is not None or time.monotonic() > deadline:
            log = (folder / "central.log").read_text(encoding="utf-8", errors="replace")
            raise SimulationError(f"the central did not publish its state:\n{log}")


def _saved_day(database: Path, plan: DayPlan) -> tuple[dict[str, Ticket], list[EventRecord]]:
    store = SqliteStore(database)
    try:
        tickets = {ticket.number: ticket for ticket in store.tickets_of(plan.day)}
        return tickets, store.events(plan.day)
    finally:
        store.close()


def _compare(
    services: list[ServiceView], tickets: dict[str, Ticket], plan: DayPlan
) -> list[tuple[str, int, int]]:
    """Services whose waiting count on the display differs from the saved tickets."""
    saved = dict.fromkeys(plan.site.services_by_prefix, 0)
    for ticket in tickets.values():
        if ticket.state is TicketState.WAITING:
            saved[ticket.service] += 1
    mismatches = []
    for view in services:
        if saved.get(view.prefix, 0) != view.waiting:
            mismatches.append((view.prefix, view.waiting, saved.get(view.prefix, 0)))
    return mismatches
