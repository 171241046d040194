"""Random days with bookings: whatever happens, the promises of the booking rule hold.

Hypothesis drives walk-ins, booked citizens checking in early, on time, late or far too
late, counters calling and finishing, and restarts, through the real queue service on
a real SQLite file, and checks:
- no ticket is called twice, and none is lost (each is waiting, being served or done);
- a walk-in is never overtaken by more bookings than the sessions' capacity explains:
  only bookings whose slot is at or before the walk-in's arrival go ahead of it, and
  never more than those slots hold;
- a booked citizen on time is called no later than a walk-in who arrived at their slot;
- walk-ins never take the places kept for bookings;
- and the rule itself, against a model kept by the test: each counter calls the regular
  ticket whose time counts earliest: a booking checked in within its window from its
  slot (before a walk-in of the same minute), everyone else from their ticket's issue.
"""

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from broker.bookings.calendar import day_slots
from broker.engine.check_ins import BookedVisit, kept_for_bookings
from broker.engine.engine import Decision, QueueEngine, Refused
from broker.engine.tickets import Ticket, TicketState
from broker.queue_service import Operation, QueueService
from broker.store.sqlite_store import SqliteStore
from tests.booking_fixtures import booking_site
from tests.conftest import MONDAY, at

# Slots of 30 minutes with two places each in the morning, one in the afternoon; 20 of
# the 40 tickets a day kept for bookings, 20 for walk-ins.
RULES = """
[services.booking]
sessions = { mon = ["08:00-12:00/16", "13:00-15:00/4"] }
slot_minutes = 30
kept_for_bookings = 20
check_in_before_minutes = 30
check_in_after_minutes = 15
late = "walk_in"
"""
SITE = booking_site(RULES, quota=40)
SERVICE = SITE.services_by_prefix["A"]
assert SERVICE.booking is not None
BOOKING = SERVICE.booking
SLOTS = day_slots(BOOKING, MONDAY)
# Every place of the day booked, one code each.
VISITS = [
    BookedVisit(f"A-{i:06d}", "A", MONDAY, slot.start)
    for i, (slot, _) in enumerate((s, n) for s in SLOTS for n in range(s.capacity))
]
COUNTERS = [1, 2]


def slot_moment(start: dt.time) -> dt.datetime:
    return dt.datetime.combine(MONDAY, start, tzinfo=SITE.site.timezone)


class BookedDay(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._folder = tempfile.TemporaryDirectory()
        self.path = Path(self._folder.name) / "antre.sqlite3"
        self.now = at(7, 45)
        self.store = SqliteStore(self.path)
        self.service = QueueService(SITE, self.store, lambda: self.now)
        self.acknowledged: set[str] = set()
        self.called: set[str] = set()
        # Called tickets in the order they were called.
        self.call_log: list[Ticket] = []
        self.arrived: set[str] = set()
        # The model: the place each ticket's wait counts from, as the rule says.
        self.place: dict[str, tuple[dt.datetime, int]] = {}

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

    # Steps of 5 and 15 minutes from 07:45 land on the slots' starts: walk-ins arriving
    # at a slot's very minute are common.
    @rule(
        minutes=st.sampled_from([5, 15, 30]),
        walk_ins=st.lists(st.booleans(), max_size=3),
        near=st.lists(st.integers(min_value=0, max_value=3), max_size=2),
    )
    def time_passes(self, minutes: int, walk_ins: list[bool], near: list[int]) -> None:
        # Never past the day: the rule is about one day's queue. Citizens keep coming,
        # the booked mostly around their slot (the k-th nearest not yet come).
        self.now = min(self.now + dt.timedelta(minutes=minutes), at(14, 30))
        for k in near:
            expected = sorted(
                (i for i, v in enumerate(VISITS) if v.code not in self.arrived),
                key=lambda i: abs(slot_moment(VISITS[i].slot) - self.now),
            )
            if k < len(expected):
                self.booked_citizen_checks_in(expected[k])
        for priority in walk_ins:
            self.walk_in_arrives(priority)

    @rule(priority=st.booleans())
    def walk_in_arrives(self, priority: bool) -> None:
        decision = self.run(lambda engine, now: engine.issue("A", now, priority=priority))
        if decision is not None and decision.ticket is not None:
            self.acknowledged.add(decision.ticket.id)
            self.place[decision.ticket.id] = (self.now, 1)
        event("walk-in" if decision else "walk-in refused")

    @rule(other=st.booleans())
    def walk_in_of_the_other_service(self, other: bool) -> None:
        if other:
            decision = self.run(lambda engine, now: engine.issue("B", now))
            if decision is not None and decision.ticket is not None:
                self.acknowledged.add(decision.ticket.id)
                self.place[decision.ticket.id] = (self.now, 1)

    @rule(index=st.integers(min_value=0, max_value=len(VISITS) - 1))
    def booked_citizen_checks_in(self, index: int) -> None:
        visit = VISITS[index]
        decision = self.run(lambda engine, now: engine.check_in(visit, now, actor="kiosk-1"))
        if decision is None or decision.ticket is None:
            event("check-in refused")
            return
        ticket = decision.ticket
        self.acknowledged.add(ticket.id)
        self.arrived.add(visit.code)
        slot = slot_moment(visit.slot)
        window = dt.timedelta(minutes=BOOKING.check_in_after_minutes)
        self.place[ticket.id] = (slot, 0) if self.now < slot + window else (self.now, 1)
        if ticket.slot is None:
            event("late: a walk-in")
        elif ticket.issued_at < ticket.slot:
            event("early")
        else:
            event("on time or late within the window")

    @rule(counter=st.sampled_from(COUNTERS))
    def clerk_calls_next(self, counter: int) -> None:
        services = SITE.counters_by_number[counter].services
        waiting = [
            t
            for t in self.engine.tickets()
            if t.state is TicketState.WAITING and t.service in services and not t.priority
        ]
        decision = self.run(lambda engine, now: engine.call_next(counter, now))
        if decision is None or decision.ticket is None:
            return
        called = decision.ticket
        if not called.priority:
            first = min(waiting, key=lambda t: (*self.place[t.id], t.seq, t.id))
            assert called.id == first.id, f"{called.number} called before {first.number}"
        assert called.id not in self.called, f"{called.number} called twice"
        self.called.add(called.id)
        self.call_log.append(called)
        if called.service == "A" and not called.priority and called.slot is None:
            self._walk_in_is_not_overtaken_beyond_capacity(called)
            self._no_on_time_booking_of_its_time_still_waits(called)

    @rule(counter=st.sampled_from(COUNTERS))
    def clerk_finishes(self, counter: int) -> None:
        self.run(lambda engine, now: engine.finish(counter, now))

    @rule()
    def central_restarts(self) -> None:
        before = sorted(self.engine.tickets(), key=lambda t: t.id)
        self.store.close()
        self.store = SqliteStore(self.path)
        self.service = QueueService(SITE, self.store, lambda: self.now)
        assert sorted(self.engine.tickets(), key=lambda t: t.id) == before

    # -- the promises ---------------------------------------------------------------

    def _walk_in_is_not_overtaken_beyond_capacity(self, walk_in: Ticket) -> None:
        arrival = walk_in.issued_at
        overtakers = [
            t
            for t in self.call_log[:-1]
            if t.slot is not None and t.issued_at > arrival and t.service == "A"
        ]
        assert all(t.slot is not None and t.slot <= arrival for t in overtakers)
        explained = sum(s.capacity for s in SLOTS if slot_moment(s.start) <= arrival)
        assert len(overtakers) <= explained

    def _no_on_time_booking_of_its_time_still_waits(self, walk_in: Ticket) -> None:
        # A booking checked in by its slot, with the slot at or before this (regular)
        # walk-in's arrival, must have been called already.
        arrival = walk_in.issued_at
        for ticket in self.engine.tickets():
            if ticket.state is not TicketState.WAITING or ticket.slot is None:
                continue
            if ticket.priority or ticket.service != "A":
                continue
            on_time = ticket.issued_at <= ticket.slot
            assert not (on_time and ticket.slot <= arrival), (
                f"{walk_in.number} (from {arrival:%H:%M}) called before the on-time "
                f"booking {ticket.number} of {ticket.slot:%H:%M}"
            )

    @invariant()
    def nothing_lost(self) -> None:
        tickets = {t.id: t for t in self.engine.tickets()}
        assert self.acknowledged <= set(tickets)
        for ticket_id in self.acknowledged:
            state = tickets[ticket_id].state
            if ticket_id in self.called:
                assert state in (TicketState.CALLED, TicketState.FINISHED)
            else:
                assert state is TicketState.WAITING

    @invariant()
    def one_ticket_per_booking(self) -> None:
        codes = [t.booking for t in self.engine.tickets() if t.booking is not None]
        assert len(codes) == len(set(codes))
        assert set(codes) == self.arrived

    @invariant()
    def walk_ins_never_take_the_kept_places(self) -> None:
        walk_ins = [t for t in self.engine.tickets() if t.service == "A" and t.booking is None]
        quota = SERVICE.daily_quota
        assert quota is not None
        assert len(walk_ins) <= quota - kept_for_bookings(SERVICE, MONDAY, [])


BookedDay.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestBookedDay = BookedDay.TestCase
