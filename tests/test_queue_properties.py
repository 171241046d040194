"""Random days at the example site: whatever happens, the queue's promises hold.

Hypothesis drives random sequences of operations through the real service and a
real SQLite file, restarting it at random, and checks after every step:
- no two tickets of a day share a number, and numbers count up without gaps;
- within a class (priority or regular) tickets are called first come, first served;
- a counter calls at most `priority_calls` priority tickets in a row while a regular
  ticket waits;
- two counters never hold the same ticket, and a called ticket is held by its counter;
- a ticket that reached a final state never leaves it, and a closed day has only
  final tickets;
- nothing acknowledged is lost across a close and reopen;
- every waiting ticket's wait range holds its estimate, never below zero, in the engine
  and as printed (whole minutes, steps of five).
"""

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from broker.engine.engine import Decision, QueueEngine, Refused
from broker.engine.tickets import FINAL_STATES, TicketState
from broker.queue_service import Operation, QueueService
from broker.store.sqlite_store import SqliteStore
from broker.views import RANGE_STEP_MINUTES, ticket_info
from contract.site_loader import load_site
from tests.conftest import EXAMPLE_SITE, MONDAY, at

SITE = load_site(EXAMPLE_SITE)
# Random steps over all 24 services and 26 counters rarely meet: a counter would
# almost never find a ticket. These services keep the queues busy and include the
# shared counters (12 and 13 serve H and I; 21 serves P and Q).
PREFIXES = ["A", "B", "H", "I", "P", "Q"]
COUNTERS = sorted({c.number for p in PREFIXES for c in SITE.counters_serving(p)})


class MppDay(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._folder = tempfile.TemporaryDirectory()
        self.path = Path(self._folder.name) / "antre.sqlite3"
        self.now = at(8, 0)
        self.store = SqliteStore(self.path)
        self.service = QueueService(SITE, self.store, lambda: self.now)
        self.acknowledged: set[str] = set()
        self.final: dict[str, TicketState] = {}
        self.priority_run = dict.fromkeys(COUNTERS, 0)

    def teardown(self) -> None:
        self.store.close()
        self._folder.cleanup()

    @property
    def engine(self) -> QueueEngine:
        return self.service.engine

    def run(self, operation: Operation) -> Decision | None:
        try:
            return self.service.run(operation, self.now)
        except Refused:
            return None

    # -- time -----------------------------------------------------------------------

    @rule(
        minutes=st.integers(min_value=1, max_value=20),
        arrivals=st.lists(st.tuples(st.sampled_from(PREFIXES), st.booleans()), max_size=6),
    )
    def time_passes(self, minutes: int, arrivals: list[tuple[str, bool]]) -> None:
        # Citizens keep arriving while time passes, as they do.
        self.now += dt.timedelta(minutes=minutes)
        for prefix, priority in arrivals:
            self.citizen_takes_a_ticket(prefix, priority)

    @precondition(lambda self: self.now.time() >= dt.time(15, 0))
    @rule()
    def next_working_day(self) -> None:
        closing_day = self.engine.day
        day = self.now.date() + dt.timedelta(days=1)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        self.now = at(7, 55, day=day)
        self.run(lambda engine, now: engine.roll_over(now))
        self.priority_run = dict.fromkeys(COUNTERS, 0)
        # A closed day holds only final tickets.
        leftover = [t for t in self.store.tickets_of(closing_day) if t.state not in FINAL_STATES]
        assert leftover == []

    # -- the kiosk ------------------------------------------------------------------

    @rule(prefix=st.sampled_from(PREFIXES), priority=st.booleans())
    def citizen_takes_a_ticket(self, prefix: str, priority: bool) -> None:
        decision = self.run(lambda engine, now: engine.issue(prefix, now, priority=priority))
        if decision is not None and decision.ticket is not None:
            self.acknowledged.add(decision.ticket.id)
        event("issued" if decision else "issue refused")

    @rule(data=st.data())
    def printout_fails(self, data: st.DataObject) -> None:
        waiting = sorted(t.id for t in self.engine.tickets() if t.state is TicketState.WAITING)
        if waiting:
            chosen = data.draw(st.sampled_from(waiting))
            self.run(lambda engine, now: engine.cancel(chosen, now, why="paper out"))

    @rule(prefix=st.sampled_from(PREFIXES), count=st.integers(min_value=1, max_value=3))
    def kiosk_reserves_numbers(self, prefix: str, count: int) -> None:
        self.run(lambda engine, now: engine.reserve(prefix, count, now, actor="kiosk-1"))

    @rule(data=st.data(), minutes_ago=st.integers(min_value=0, max_value=30))
    def kiosk_hands_in_an_offline_ticket(self, data: st.DataObject, minutes_ago: int) -> None:
        reserved = sorted(t.id for t in self.engine.tickets() if t.state is TicketState.RESERVED)
        if reserved:
            chosen = data.draw(st.sampled_from(reserved))
            printed = self.now - dt.timedelta(minutes=minutes_ago)
            self.run(
                lambda engine, now: engine.issue_reserved(chosen, printed, now, actor="kiosk-1")
            )

    # -- the counters ---------------------------------------------------------------

    @rule(counter=st.sampled_from(COUNTERS))
    def clerk_calls_next(self, counter: int) -> None:
        services = SITE.counters_by_number[counter].services
        waiting = [
            t
            for t in self.engine.tickets()
            if t.state is TicketState.WAITING and t.service in services
        ]
        paused = self.engine.counter(counter).paused
        decision = self.run(lambda engine, now: engine.call_next(counter, now))
        if paused or not waiting:
            assert decision is None or decision.ticket is None
            return
        assert decision is not None, "somebody waits, yet the counter could not call"
        called = decision.ticket
        assert called is not None
        event("called a priority ticket" if called.priority else "called a regular ticket")
        # First come, first served within the class it was called from.
        same_class = [t for t in waiting if t.priority == called.priority]
        assert called.id == min(same_class, key=lambda t: t.queue_key).id
        # The interleave: a regular ticket is passed over at most `priority_calls` times.
        regular_waiting = any(not t.priority for t in waiting)
        if not called.priority:
            self.priority_run[counter] = 0
        elif regular_waiting:
            self.priority_run[counter] += 1
            assert self.priority_run[counter] <= SITE.priority.priority_calls

    @rule(counter=st.sampled_from(COUNTERS))
    def clerk_recalls(self, counter: int) -> None:
        self.run(lambda engine, now: engine.recall(counter, now))

    @rule(counter=st.sampled_from(COUNTERS))
    def citizen_does_not_come(self, counter: int) -> None:
        self.run(lambda engine, now: engine.skip(counter, now))

    @rule(counter=st.sampled_from(COUNTERS))
    def clerk_finishes(self, counter: int) -> None:
        self.run(lambda engine, now: engine.finish(counter, now))

    @rule(counter=st.sampled_from(COUNTERS), prefix=st.sampled_from(PREFIXES))
    def clerk_transfers(self, counter: int, prefix: str) -> None:
        before = self.engine.counter(counter).current
        decision = self.run(lambda engine, now: engine.transfer(counter, prefix, now))
        if decision is not None and before is not None:
            moved = decision.ticket
            assert moved is not None
            assert moved.issued_at == self.engine.ticket(before).issued_at

    @rule(data=st.data())
    def skipped_citizen_returns(self, data: st.DataObject) -> None:
        skipped = sorted(t.id for t in self.engine.tickets() if t.state is TicketState.SKIPPED)
        if skipped:
            chosen = data.draw(st.sampled_from(skipped))
            self.run(lambda engine, now: engine.bring_back(chosen, now))

    @rule(counter=st.sampled_from(COUNTERS))
    def clerk_pauses(self, counter: int) -> None:
        self.run(lambda engine, now: engine.pause(counter, now))

    @rule(counter=st.sampled_from(COUNTERS))
    def clerk_resumes(self, counter: int) -> None:
        self.run(lambda engine, now: engine.resume(counter, now))

    # -- the central ----------------------------------------------------------------

    @rule()
    def central_restarts(self) -> None:
        before = _snapshot(self.engine)
        self.store.close()
        self.store = SqliteStore(self.path)
        self.service = QueueService(SITE, self.store, lambda: self.now)
        assert _snapshot(self.engine) == before

    # -- what must always hold ------------------------------------------------------

    @invariant()
    def numbers_are_unique_and_without_gaps(self) -> None:
        tickets = self.engine.tickets()
        numbers = [t.number for t in tickets]
        assert len(numbers) == len(set(numbers))
        for prefix in PREFIXES:
            seqs = sorted(t.seq for t in tickets if t.prefix == prefix)
            assert seqs == list(range(1, len(seqs) + 1))

    @invariant()
    def counters_hold_distinct_called_tickets(self) -> None:
        held = {c.current: c.number for c in self.engine.counters() if c.current is not None}
        assert len(held) == len([c for c in self.engine.counters() if c.current is not None])
        for ticket in self.engine.tickets():
            if ticket.state is TicketState.CALLED:
                assert held.get(ticket.id) == ticket.counter
            else:
                assert ticket.id not in held

    @invariant()
    def every_place_at_once_is_each_place_alone(self) -> None:
        # The ticket pages' one-pass reading agrees with the one a kiosk's answer gives.
        waiting = [t.id for t in self.engine.tickets() if t.state is TicketState.WAITING]
        assert self.engine.waiting_now().positions() == {
            i: self.engine.position(i) for i in waiting
        }

    @invariant()
    def the_range_holds_the_estimate(self) -> None:
        zero = dt.timedelta(0)
        for ticket in self.engine.tickets():
            if ticket.state is not TicketState.WAITING:
                continue
            position = self.engine.position(ticket.id, self.now)
            if position.wait is None:
                assert position.low is None
                assert position.high is None
                continue
            assert position.low is not None
            assert position.high is not None
            assert zero <= position.low <= position.wait <= position.high
            info = ticket_info(self.engine, ticket, self.now)
            low, wait, high = info.wait_min_minutes, info.wait_minutes, info.wait_max_minutes
            assert low is not None
            assert wait is not None
            assert high is not None
            assert 0 <= low <= wait <= high
            assert low % RANGE_STEP_MINUTES == 0
            assert high % RANGE_STEP_MINUTES == 0
            assert high > 0

    @invariant()
    def final_states_are_final(self) -> None:
        for ticket in self.engine.tickets():
            if ticket.id in self.final:
                assert ticket.state is self.final[ticket.id]
            elif ticket.state in FINAL_STATES:
                self.final[ticket.id] = ticket.state

    @invariant()
    def nothing_acknowledged_is_lost(self) -> None:
        today = {t.id for t in self.store.tickets_of(self.engine.day)}
        prefix = self.engine.day.isoformat() + "/"
        assert {i for i in self.acknowledged if i.startswith(prefix)} <= today


def _snapshot(engine: QueueEngine) -> tuple[object, ...]:
    return (
        engine.day,
        sorted(engine.tickets(), key=lambda t: t.id),
        sorted(engine.counters(), key=lambda c: c.number),
    )


MppDay.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestMppDay = MppDay.TestCase


def test_the_example_site_starts_on_a_monday() -> None:
    # The machine above starts at 08:00 on MONDAY; make sure that is a working day.
    assert MONDAY.weekday() == 0
    assert SITE.schedule_of(SITE.services[0]).periods_on(MONDAY)
