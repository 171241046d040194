"""The queue rule for bookings: a checked-in booking waits from its slot, among walk-ins."""

import datetime as dt

import pytest

from broker.engine.check_ins import BookedVisit
from broker.engine.engine import Decision, QueueEngine, Refused
from broker.engine.events import EventKind
from broker.engine.tickets import Ticket
from contract.reasons import Reason
from contract.site import Site
from tests.booking_fixtures import booking_site
from tests.conftest import MONDAY, at

# Service A: check-in from 30 minutes before the slot to 15 after, the late as walk-ins.
LATE_REFUSED = """
[services.booking]
sessions = { mon = ["08:00-09:00/4", "13:00-14:00/2"] }
slot_minutes = 30
kept_for_bookings = 6
late = "refuse"
"""


def visit(
    slot: dt.time = dt.time(8, 30), code: str = "A-7K3M9Q", day: dt.date = MONDAY
) -> BookedVisit:
    return BookedVisit(code=code, service="A", day=day, slot=slot)


def applied(engine: QueueEngine, decision: Decision) -> Ticket:
    engine.apply(decision.events)
    assert decision.ticket is not None
    return decision.ticket


def walk_in(engine: QueueEngine, now: dt.datetime, service: str = "A") -> Ticket:
    return applied(engine, engine.issue(service, now, actor="kiosk-1"))


def check_in(engine: QueueEngine, now: dt.datetime, booked: BookedVisit | None = None) -> Ticket:
    return applied(engine, engine.check_in(booked or visit(), now, actor="kiosk-1"))


def call_order(engine: QueueEngine, counter: int = 1) -> list[str]:
    """Every waiting ticket's number, as counter `counter` calls them."""
    called: list[str] = []
    when = at(12)
    while True:
        decision = engine.call_next(counter, when)
        engine.apply(decision.events)
        if decision.ticket is None:
            return called
        called.append(decision.ticket.number)


@pytest.fixture
def engine(booked_site: Site) -> QueueEngine:
    return QueueEngine(booked_site, MONDAY)


def test_a_booking_gets_an_ordinary_number_placed_at_its_slot(engine: QueueEngine) -> None:
    """GIVEN a walk-in at 08:10 WHEN a booking for 08:30 checks in at 08:20 THEN it gets
    the next number of A, a place at 08:30, and the event says which booking it is."""
    walk_in(engine, at(8, 10))
    decision = engine.check_in(visit(), at(8, 20), actor="kiosk-1")
    ticket = applied(engine, decision)
    assert (ticket.number, ticket.booking, ticket.slot) == ("A002", "A-7K3M9Q", at(8, 30))
    assert ticket.issued_at == at(8, 20)
    assert [(e.kind, e.detail) for e in decision.events] == [(EventKind.CHECKED_IN, "A-7K3M9Q")]


def test_an_early_booking_waits_for_its_slots_place(engine: QueueEngine) -> None:
    """GIVEN a booking for 08:30 checked in at 08:05 WHEN walk-ins come at 08:10 and 08:40
    THEN the 08:10 walk-in is called first, the booking second, the 08:40 one last."""
    booked = check_in(engine, at(8, 5))
    walk_in(engine, at(8, 10))
    walk_in(engine, at(8, 40))
    assert call_order(engine) == ["A002", booked.number, "A003"]


def test_a_booking_on_time_goes_before_a_walk_in_who_came_at_its_slot(
    engine: QueueEngine,
) -> None:
    """GIVEN a walk-in who arrived at 08:30 sharp WHEN the 08:30 booking checks in at 08:30
    too THEN the booking is called first: its holder was expected at that time."""
    walk_in(engine, at(8, 30))
    booked = check_in(engine, at(8, 30))
    assert call_order(engine) == [booked.number, "A001"]


def test_a_booking_late_within_the_window_keeps_its_place(engine: QueueEngine) -> None:
    """GIVEN walk-ins at 08:20 and 08:35 WHEN the 08:30 booking checks in at 08:44 (14
    minutes late, the window is 15) THEN it is called between them."""
    walk_in(engine, at(8, 20))
    walk_in(engine, at(8, 35))
    booked = check_in(engine, at(8, 44))
    assert booked.slot == at(8, 30)
    assert call_order(engine) == ["A001", booked.number, "A002"]


def test_a_booking_late_past_the_window_becomes_a_walk_in(engine: QueueEngine) -> None:
    """GIVEN a walk-in at 08:40 WHEN the 08:30 booking checks in at 08:45 (the window has
    closed) and the service takes the late as walk-ins THEN it has no slot and waits
    from its check-in, after the 08:40 walk-in."""
    walk_in(engine, at(8, 40))
    booked = check_in(engine, at(8, 45))
    assert (booked.slot, booked.booking, booked.issued_at) == (None, "A-7K3M9Q", at(8, 45))
    assert call_order(engine) == ["A001", booked.number]


def test_a_service_that_refuses_the_late_says_too_late() -> None:
    """GIVEN late = "refuse" WHEN the 08:30 booking checks in at 08:45 THEN too_late."""
    engine = QueueEngine(booking_site(LATE_REFUSED), MONDAY)
    with pytest.raises(Refused) as refused:
        engine.check_in(visit(), at(8, 45), actor="kiosk-1")
    assert refused.value.reason is Reason.TOO_LATE


def test_too_early_says_from_when(engine: QueueEngine) -> None:
    """GIVEN the 13:00 booking WHEN it checks in at 12:29 THEN too_early, from 12:30."""
    with pytest.raises(Refused) as refused:
        engine.check_in(visit(dt.time(13)), at(12, 29), actor="kiosk-1")
    assert refused.value.reason is Reason.TOO_EARLY
    assert refused.value.detail == at(12, 30).isoformat()
    assert check_in(engine, at(12, 30), visit(dt.time(13))).slot == at(13)


def test_another_days_booking_is_not_today(engine: QueueEngine) -> None:
    """GIVEN a booking for Tuesday WHEN it checks in on Monday THEN not_today."""
    with pytest.raises(Refused) as refused:
        engine.check_in(visit(day=MONDAY + dt.timedelta(days=1)), at(8, 20), actor="kiosk-1")
    assert refused.value.reason is Reason.NOT_TODAY


def test_a_booking_checks_in_once(engine: QueueEngine) -> None:
    """GIVEN a checked-in booking WHEN its code is scanned again THEN already_checked_in,
    naming the ticket it has."""
    ticket = check_in(engine, at(8, 20))
    with pytest.raises(Refused) as refused:
        engine.check_in(visit(), at(8, 25), actor="kiosk-2")
    assert (refused.value.reason, refused.value.detail) == (
        Reason.ALREADY_CHECKED_IN,
        ticket.number,
    )


def test_walk_ins_cannot_take_the_places_kept_for_bookings(engine: QueueEngine) -> None:
    """GIVEN a quota of 20 with 6 kept for bookings WHEN 14 walk-ins have tickets THEN the
    15th is refused quota_full, yet a booking still checks in (it has a kept place)."""
    for minute in range(14):
        walk_in(engine, at(9, minute))
    with pytest.raises(Refused) as refused:
        engine.issue("A", at(9, 20), actor="kiosk-1")
    assert refused.value.reason is Reason.QUOTA_FULL
    assert check_in(engine, at(12, 40), visit(dt.time(13))).number == "A015"
    with pytest.raises(Refused):
        engine.reserve("A", 1, at(12, 41), actor="kiosk-1")


def test_a_day_without_sessions_keeps_nothing_from_walk_ins(booked_site: Site) -> None:
    """GIVEN a Wednesday (no booking sessions) WHEN 20 walk-ins come THEN all get tickets."""
    wednesday = MONDAY + dt.timedelta(days=2)
    engine = QueueEngine(booked_site, wednesday)
    for minute in range(20):
        walk_in(engine, at(9, minute, day=wednesday))
    with pytest.raises(Refused):
        engine.issue("A", at(9, 30, day=wednesday))


# -- a kiosk that was offline at the scan -------------------------------------------------


def offline_ticket(engine: QueueEngine, printed: dt.datetime, now: dt.datetime) -> Ticket:
    """A ticket kiosk-1 printed from its reserve at `printed`, handed in at `now`."""
    reserved = engine.reserve("A", 1, at(8), actor="kiosk-1")
    engine.apply(reserved.events)
    first = reserved.events[0].ticket
    assert first is not None
    return applied(engine, engine.issue_reserved(first.id, printed, now, actor="kiosk-1"))


def test_an_offline_scan_in_the_window_moves_its_ticket_to_the_slot(engine: QueueEngine) -> None:
    """GIVEN kiosk-1 printed A001 offline at 08:25 for the 08:30 booking, and a walk-in
    came at 08:28 WHEN the check-in arrives at 08:50 with the scan time THEN A001 is the
    booking's, placed at 08:30, behind the 08:28 walk-in."""
    printed = offline_ticket(engine, at(8, 25), at(8, 50))
    walk_in(engine, at(8, 28))
    decision = engine.check_in(
        visit(), at(8, 50), actor="kiosk-1", offline_ticket=printed.id, scanned_at=at(8, 25)
    )
    tied = applied(engine, decision)
    assert (tied.id, tied.booking, tied.slot, tied.issued_at) == (
        printed.id,
        "A-7K3M9Q",
        at(8, 30),
        at(8, 25),
    )
    assert call_order(engine) == ["A002", "A001"]


def test_an_offline_scan_of_a_booking_not_honoured_stays_a_walk_in() -> None:
    """GIVEN a service that refuses the late, and a ticket printed offline at 08:50 for
    the 08:30 booking WHEN the check-in arrives THEN it is refused too_late, and kept
    as a walk-in (its holder is served): noted, not tied to the booking."""
    engine = QueueEngine(booking_site(LATE_REFUSED), MONDAY)
    printed = offline_ticket(engine, at(8, 50), at(9))
    with pytest.raises(Refused) as refused:
        engine.check_in(
            visit(), at(9), actor="kiosk-1", offline_ticket=printed.id, scanned_at=at(8, 50)
        )
    assert refused.value.reason is Reason.TOO_LATE
    decision = engine.keep_walk_in(printed.id, Reason.TOO_LATE, at(9), actor="kiosk-1")
    assert decision.note is Reason.TOO_LATE
    kept = applied(engine, decision)
    assert (kept.booking, kept.slot, kept.state.value) == (None, None, "waiting")
    assert [e.kind for e in decision.events] == [EventKind.CHECK_IN_REFUSED]


def test_an_offline_ticket_of_another_kiosk_is_not_taken(engine: QueueEngine) -> None:
    """GIVEN A001 printed by kiosk-1 WHEN kiosk-2 ties a booking to it THEN not_reserved."""
    printed = offline_ticket(engine, at(8, 25), at(8, 50))
    with pytest.raises(Refused) as refused:
        engine.check_in(
            visit(), at(8, 50), actor="kiosk-2", offline_ticket=printed.id, scanned_at=at(8, 25)
        )
    assert refused.value.reason is Reason.NOT_RESERVED


def test_an_offline_ticket_takes_the_booking_from_the_unheld_ticket_of_an_abandoned_scan(
    engine: QueueEngine,
) -> None:
    """GIVEN kiosk-1 asked to check the 08:30 booking in at 08:20, gave up waiting and
    printed A001 from its reserve, while the central checked it in with A002 WHEN the
    check-in tied to A001 arrives THEN A002 (never printed) is cancelled and untied, and
    the booking is A001's, at its slot."""
    printed = offline_ticket(engine, at(8, 20), at(8, 21))
    unheld = applied(engine, engine.check_in(visit(), at(8, 20), actor="kiosk-1"))
    decision = engine.check_in(
        visit(), at(8, 21), actor="kiosk-1", offline_ticket=printed.id, scanned_at=at(8, 20)
    )
    tied = applied(engine, decision)
    assert [e.kind for e in decision.events] == [EventKind.CANCELLED, EventKind.CHECKED_IN]
    cancelled = engine.ticket(unheld.id)
    assert (cancelled.state.value, cancelled.booking, cancelled.slot) == ("cancelled", None, None)
    assert (tied.id, tied.booking, tied.slot) == (printed.id, "A-7K3M9Q", at(8, 30))
    assert call_order(engine) == ["A001"]


def test_a_booking_whose_ticket_was_called_is_not_moved_to_an_offline_ticket(
    engine: QueueEngine,
) -> None:
    """GIVEN the booking checked in with A002, already called WHEN a check-in tied to an
    offline ticket arrives THEN already_checked_in: a called ticket is held by someone."""
    printed = offline_ticket(engine, at(8, 20), at(8, 21))
    check_in(engine, at(8, 20))
    for minute in (31, 32):  # A001, then A002
        engine.apply(engine.call_next(1, at(8, minute)).events)
    with pytest.raises(Refused) as refused:
        engine.check_in(
            visit(), at(8, 33), actor="kiosk-1", offline_ticket=printed.id, scanned_at=at(8, 20)
        )
    assert refused.value.reason is Reason.ALREADY_CHECKED_IN


TIMELINE_RULES = """
[services.booking]
sessions = { mon = ["08:30-09:30/4"] }
slot_minutes = 15
kept_for_bookings = 4
check_in_before_minutes = 30
check_in_after_minutes = 15
late = "walk_in"
"""


def test_the_worked_timeline_of_the_queue_rules_page() -> None:
    """GIVEN the morning of docs/queue-rules.md ("A worked timeline") WHEN it is played
    THEN the counter calls in the order the page says."""
    engine = QueueEngine(booking_site(TIMELINE_RULES), MONDAY)
    sari = visit(dt.time(9), "A-SAR1AA")
    with pytest.raises(Refused) as refused:
        engine.check_in(sari, at(8, 25), actor="kiosk-1")
    assert refused.value.detail == at(8, 30).isoformat()
    assert check_in(engine, at(8, 32), sari).number == "A001"
    walk_in(engine, at(8, 40))
    rina = check_in(engine, at(8, 50), visit(dt.time(8, 30), "A-R1NAAA"))
    assert (rina.number, rina.slot) == ("A003", None)
    walk_in(engine, at(8, 55))
    walk_in(engine, at(9))
    assert check_in(engine, at(9, 5), visit(dt.time(9, 15), "A-DED1AA")).number == "A006"
    walk_in(engine, at(9, 10))
    assert call_order(engine) == ["A002", "A003", "A004", "A001", "A005", "A007", "A006"]


def test_a_late_booking_is_no_walk_in_after_closing(engine: QueueEngine) -> None:
    """GIVEN the late taken as walk-ins, and the service closing at 15:00 WHEN the 08:30
    booking checks in at 14:59 THEN a walk-in ticket; at 15:00 THEN too_late."""
    with pytest.raises(Refused) as refused:
        engine.check_in(visit(), at(15), actor="kiosk-1")
    assert (refused.value.reason, refused.value.detail) == (Reason.TOO_LATE, at(15).isoformat())
    assert check_in(engine, at(14, 59)).slot is None
