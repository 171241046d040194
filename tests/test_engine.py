"""The queue rules, one at a time, on a small site (see conftest.SMALL_SITE)."""

import datetime as dt

import pytest

from broker.engine.engine import Decision, QueueEngine, Refused
from broker.engine.events import EventKind
from broker.engine.tickets import Ticket, TicketState
from contract.reasons import Reason
from contract.site import Site
from contract.site_loader import parse_site
from tests.conftest import MONDAY, SMALL_SITE, at


def applied(engine: QueueEngine, decision: Decision) -> Decision:
    engine.apply(decision.events)
    return decision


def issue(engine: QueueEngine, service: str, now: dt.datetime, priority: bool = False) -> Ticket:
    ticket = applied(engine, engine.issue(service, now, priority=priority, actor="kiosk-1")).ticket
    assert ticket is not None
    return ticket


def call(engine: QueueEngine, counter: int, now: dt.datetime) -> Ticket:
    ticket = applied(engine, engine.call_next(counter, now, actor="clerk")).ticket
    assert ticket is not None
    return ticket


@pytest.fixture
def engine(small_site: Site) -> QueueEngine:
    return QueueEngine(small_site, MONDAY)


# -- issuing ------------------------------------------------------------------------


def test_numbers_count_up_per_service(engine: QueueEngine) -> None:
    # GIVEN an open Monday morning
    # WHEN citizens take tickets for A, A, B
    numbers = [issue(engine, s, at(9, i)).number for i, s in enumerate("AAB")]
    # THEN each service counts on its own, zero-padded to three digits
    assert numbers == ["A001", "A002", "B001"]


def test_deciding_changes_nothing_until_applied(engine: QueueEngine) -> None:
    # GIVEN a decision to issue a ticket that nobody applies (say, the disk was full)
    engine.issue("A", at(9))
    # WHEN the next ticket is issued
    # THEN it gets the same first number: the unapplied one never existed
    assert issue(engine, "A", at(9, 1)).number == "A001"


@pytest.mark.parametrize(
    ("now", "reason"),
    [
        (at(7, 59), Reason.NOT_YET_OPEN),
        (at(12, 30), Reason.ON_BREAK),
        (at(14, 45), Reason.PAST_CUTOFF),
        (at(15, 0), Reason.CLOSED),
        (at(10, 0, day=MONDAY + dt.timedelta(days=5)), Reason.CLOSED_TODAY),
        (at(10, 0, day=dt.date(2026, 12, 25)), Reason.HOLIDAY),
    ],
)
def test_issue_is_refused_outside_hours(
    engine: QueueEngine, now: dt.datetime, reason: Reason
) -> None:
    # WHEN a ticket is asked for outside the service's hours
    with pytest.raises(Refused) as refusal:
        engine.issue("A", now)
    # THEN the refusal says why
    assert refusal.value.reason is reason


def test_unknown_service_is_refused(engine: QueueEngine) -> None:
    with pytest.raises(Refused) as refusal:
        engine.issue("Z", at(9))
    assert refusal.value.reason is Reason.UNKNOWN_SERVICE


def test_quota_refuses_once_used_up_and_cancelled_tickets_give_it_back(
    engine: QueueEngine,
) -> None:
    # GIVEN service A (quota 5) has issued all five
    tickets = [issue(engine, "A", at(9, i)) for i in range(5)]
    # WHEN a sixth is asked for
    with pytest.raises(Refused) as refusal:
        engine.issue("A", at(9, 10))
    # THEN it is refused for the quota
    assert refusal.value.reason is Reason.QUOTA_FULL
    # AND WHEN one ticket is cancelled (its printout failed)
    applied(engine, engine.cancel(tickets[-1].id, at(9, 11), why="paper out"))
    # THEN one more can be issued, with a new number: A005 is never reused
    assert issue(engine, "A", at(9, 12)).number == "A006"


def test_a_new_day_restarts_numbers_and_closes_the_old_day(engine: QueueEngine) -> None:
    # GIVEN Monday ends with one ticket waiting, one skipped and one finished
    waiting = issue(engine, "A", at(9))
    skipped = issue(engine, "A", at(9, 1))
    finished = issue(engine, "B", at(9, 2))
    call(engine, 1, at(10))  # A001 at counter 1
    applied(engine, engine.finish(1, at(10, 5)))
    call(engine, 1, at(10, 6))  # A002
    applied(engine, engine.skip(1, at(10, 7)))
    call(engine, 2, at(10, 8))  # B001
    applied(engine, engine.finish(2, at(10, 9)))
    # WHEN the first ticket of Tuesday is issued
    tuesday = MONDAY + dt.timedelta(days=1)
    decision = applied(engine, engine.issue("A", at(8, 5, day=tuesday)))
    # THEN its number restarts at 001, on the new day
    assert decision.ticket is not None
    assert decision.ticket.number == "A001"
    assert decision.ticket.id == "2026-12-01/A001"
    # AND the same decision closed Monday: skipped became no-show, nothing stays open
    closed = {e.ticket.id: e.ticket.state for e in decision.events if e.ticket and e.day == MONDAY}
    assert closed == {skipped.id: TicketState.NO_SHOW}
    assert waiting.id not in closed  # A001 was finished before the day ended
    assert finished.id not in closed
    assert [e.kind for e in decision.events][-2:] == [EventKind.DAY_STARTED, EventKind.ISSUED]
    assert engine.day == tuesday


def test_a_clock_set_back_does_not_reuse_numbers(engine: QueueEngine) -> None:
    # GIVEN a Tuesday ticket has been issued
    tuesday = MONDAY + dt.timedelta(days=1)
    issue(engine, "A", at(9, day=tuesday))
    # WHEN the clock wrongly says Monday again
    ticket = issue(engine, "A", at(9, 30))
    # THEN the day does not go back and the number keeps counting
    assert (ticket.id, ticket.number) == ("2026-12-01/A002", "A002")


# -- calling ------------------------------------------------------------------------


def test_call_next_takes_the_longest_waiting_of_the_counters_services(
    engine: QueueEngine,
) -> None:
    # GIVEN B001 came before A001
    issue(engine, "B", at(9))
    issue(engine, "A", at(9, 5))
    # WHEN counter 1 (A only) and counter 2 (A and B) call
    first = call(engine, 2, at(9, 10))
    second = call(engine, 1, at(9, 11))
    # THEN counter 2 gets the oldest, B001, and counter 1 only ever gets A
    assert (first.number, first.counter, first.state) == ("B001", 2, TicketState.CALLED)
    assert second.number == "A001"


def test_two_counters_never_get_the_same_ticket(engine: QueueEngine) -> None:
    # GIVEN one ticket waits
    issue(engine, "A", at(9))
    # WHEN both counters call
    call(engine, 1, at(9, 1))
    with pytest.raises(Refused) as refusal:
        engine.call_next(2, at(9, 1))
    # THEN the second finds the queue empty
    assert refusal.value.reason is Reason.QUEUE_EMPTY


def test_priority_is_interleaved_two_then_one(engine: QueueEngine) -> None:
    # GIVEN three regular then four priority tickets wait for B
    for minute in range(3):
        issue(engine, "B", at(9, minute))
    for minute in range(3, 7):
        issue(engine, "B", at(9, minute), priority=True)
    # WHEN counter 2 calls seven times
    called = [call(engine, 2, at(10, minute)) for minute in range(7)]
    # THEN two priority, one regular, two priority, then the regulars left
    assert [t.priority for t in called] == [True, True, False, True, True, False, False]
    # AND within each class, first come, first served
    assert [t.number for t in called] == ["B004", "B005", "B001", "B006", "B007", "B002", "B003"]


def test_an_interleave_of_one_then_two(small_site: Site) -> None:
    # GIVEN a site whose policy is 1 priority then 2 regular
    site = parse_site(
        SMALL_SITE.replace("regular_calls = 1", "regular_calls = 2").replace(
            "priority_calls = 2", "priority_calls = 1"
        )
    )
    engine = QueueEngine(site, MONDAY)
    for minute in range(4):
        issue(engine, "B", at(9, minute))
        issue(engine, "B", at(9, minute), priority=True)
    # WHEN counter 2 calls six times
    kinds = [call(engine, 2, at(10, m)).priority for m in range(6)]
    # THEN the pattern is P R R P R R
    assert kinds == [True, False, False, True, False, False]


def test_priority_calls_with_nobody_regular_waiting_do_not_use_up_the_cycle(
    engine: QueueEngine,
) -> None:
    # GIVEN three priority tickets and no regular one
    for minute in range(3):
        issue(engine, "A", at(9, minute), priority=True)
    call(engine, 1, at(9, 5))
    call(engine, 1, at(9, 6))
    # WHEN a regular ticket arrives, then another priority one
    issue(engine, "A", at(9, 7))
    issue(engine, "A", at(9, 8), priority=True)
    # THEN priority still goes first: nobody regular was passed over before
    assert call(engine, 1, at(9, 9)).priority is True


def test_calling_next_finishes_the_current_ticket(engine: QueueEngine) -> None:
    # GIVEN counter 1 serves A001 and A002 waits
    first = issue(engine, "A", at(9))
    issue(engine, "A", at(9, 1))
    call(engine, 1, at(9, 5))
    # WHEN the clerk calls next
    decision = applied(engine, engine.call_next(1, at(9, 15)))
    # THEN A001 is finished and A002 called, in one decision
    assert [e.kind for e in decision.events] == [EventKind.FINISHED, EventKind.CALLED]
    assert engine.ticket(first.id).state is TicketState.FINISHED
    assert decision.ticket is not None
    assert engine.counter(1).current == decision.ticket.id


def test_calling_next_on_an_empty_queue(engine: QueueEngine) -> None:
    # GIVEN counter 1 serves the only ticket
    only = issue(engine, "A", at(9))
    call(engine, 1, at(9, 1))
    # WHEN it calls next
    decision = applied(engine, engine.call_next(1, at(9, 5)))
    # THEN the current one is finished and the decision says nobody waits
    assert decision.ticket is None
    assert decision.note is Reason.QUEUE_EMPTY
    assert engine.ticket(only.id).state is TicketState.FINISHED
    # AND calling again, serving nobody, is a plain refusal
    with pytest.raises(Refused) as refusal:
        engine.call_next(1, at(9, 6))
    assert refusal.value.reason is Reason.QUEUE_EMPTY


def test_recall_counts_and_keeps_the_ticket(engine: QueueEngine) -> None:
    issue(engine, "A", at(9))
    call(engine, 1, at(9, 1))
    applied(engine, engine.recall(1, at(9, 2)))
    decision = applied(engine, engine.recall(1, at(9, 3)))
    assert decision.ticket is not None
    assert (decision.ticket.recalls, decision.ticket.state) == (2, TicketState.CALLED)
    assert decision.events[0].kind is EventKind.RECALLED


def test_counter_operations_need_a_current_ticket(engine: QueueEngine) -> None:
    for operation in (engine.recall, engine.skip, engine.finish):
        with pytest.raises(Refused) as refusal:
            operation(1, at(9))
        assert refusal.value.reason is Reason.NO_CURRENT_TICKET


# -- skip and bring back ------------------------------------------------------------


def test_a_skipped_ticket_comes_back_to_the_head_of_its_queue(engine: QueueEngine) -> None:
    # GIVEN A001 was skipped and A002, A003 wait
    first = issue(engine, "A", at(9))
    issue(engine, "A", at(9, 1))
    issue(engine, "A", at(9, 2))
    call(engine, 1, at(9, 5))
    applied(engine, engine.skip(1, at(9, 6)))
    assert engine.ticket(first.id).state is TicketState.SKIPPED
    # WHEN the citizen turns up 20 minutes later and is brought back
    applied(engine, engine.bring_back(first.id, at(9, 26)))
    # THEN the next call takes A001 before A002
    assert call(engine, 2, at(9, 27)).number == "A001"


def test_a_skipped_ticket_cannot_come_back_after_the_grace_time(engine: QueueEngine) -> None:
    first = issue(engine, "A", at(9))
    call(engine, 1, at(9, 5))
    applied(engine, engine.skip(1, at(9, 6)))
    with pytest.raises(Refused) as refusal:
        engine.bring_back(first.id, at(9, 37))
    assert refusal.value.reason is Reason.GRACE_PASSED


def test_only_a_skipped_ticket_can_be_brought_back(engine: QueueEngine) -> None:
    waiting = issue(engine, "A", at(9))
    with pytest.raises(Refused) as refusal:
        engine.bring_back(waiting.id, at(9, 1))
    assert refusal.value.reason is Reason.NOT_SKIPPED


# -- transfer -----------------------------------------------------------------------


def test_a_transfer_keeps_the_waiting_credit(engine: QueueEngine) -> None:
    # GIVEN A001 came at 09:00, B001 at 09:10, and counter 1 serves A001
    moved = issue(engine, "A", at(9))
    issue(engine, "B", at(9, 10))
    call(engine, 1, at(9, 20))
    # WHEN the clerk sees A001 needs service B and transfers it
    decision = applied(engine, engine.transfer(1, "B", at(9, 25)))
    # THEN it waits in B with its number and issue time, ahead of B001
    assert decision.ticket is not None
    assert (decision.ticket.number, decision.ticket.service) == ("A001", "B")
    assert decision.ticket.issued_at == moved.issued_at
    assert decision.events[0].detail == "A"
    assert engine.counter(1).current is None
    assert call(engine, 2, at(9, 26)).number == "A001"


def test_a_transfer_to_the_same_or_an_unknown_service_is_refused(engine: QueueEngine) -> None:
    issue(engine, "A", at(9))
    call(engine, 1, at(9, 1))
    for target, reason in (("A", Reason.SAME_SERVICE), ("Z", Reason.UNKNOWN_SERVICE)):
        with pytest.raises(Refused) as refusal:
            engine.transfer(1, target, at(9, 2))
        assert refusal.value.reason is reason


# -- pause --------------------------------------------------------------------------


def test_a_paused_counter_calls_nobody_until_resumed(engine: QueueEngine) -> None:
    issue(engine, "A", at(9))
    applied(engine, engine.pause(1, at(9, 1)))
    with pytest.raises(Refused) as refusal:
        engine.call_next(1, at(9, 2))
    assert refusal.value.reason is Reason.COUNTER_PAUSED
    applied(engine, engine.resume(1, at(9, 3)))
    assert call(engine, 1, at(9, 4)).number == "A001"


def test_a_counter_serving_someone_cannot_pause(engine: QueueEngine) -> None:
    issue(engine, "A", at(9))
    call(engine, 1, at(9, 1))
    with pytest.raises(Refused) as refusal:
        engine.pause(1, at(9, 2))
    assert refusal.value.reason is Reason.COUNTER_BUSY


def test_resuming_an_open_counter_is_refused(engine: QueueEngine) -> None:
    with pytest.raises(Refused) as refusal:
        engine.resume(1, at(9))
    assert refusal.value.reason is Reason.COUNTER_NOT_PAUSED


def test_unknown_counter_is_refused(engine: QueueEngine) -> None:
    with pytest.raises(Refused) as refusal:
        engine.call_next(99, at(9))
    assert refusal.value.reason is Reason.UNKNOWN_COUNTER


# -- estimates ----------------------------------------------------------------------


def test_people_ahead_count_priority_for_everyone_and_regulars_for_regulars(
    engine: QueueEngine,
) -> None:
    # GIVEN two regular tickets, then a priority one, then a regular one
    issue(engine, "A", at(9))
    issue(engine, "A", at(9, 1))
    priority = issue(engine, "A", at(9, 2), priority=True)
    last = issue(engine, "A", at(9, 3))
    # THEN the priority ticket has nobody ahead, the last regular one has three
    assert engine.position(priority.id).ahead == 0
    assert engine.position(last.id).ahead == 3


def test_the_estimate_starts_from_the_expected_time_then_learns(engine: QueueEngine) -> None:
    # GIVEN A expects 6 minutes a citizen; counter 1 serves A, counter 2 shares A with B;
    # counter 2 is away, so A has one counter
    applied(engine, engine.pause(2, at(9)))
    for minute in range(4):
        issue(engine, "A", at(9, minute))
    # THEN three people ahead wait three times 6 minutes
    assert engine.estimate_wait("A", 3) == dt.timedelta(minutes=18)
    # WHEN two citizens are served in 3 minutes each, and a third is called
    call(engine, 1, at(10))
    call(engine, 1, at(10, 3))
    call(engine, 1, at(10, 6))
    # THEN the mean learns from them, the site's 6 minutes counting as two times seen:
    # (2 x 6 + 3 + 3) / 4 = 4.5 minutes a citizen; the one at the counter since 10:06
    # is done at 10:10:30, and the last ticket (nobody else ahead) is called then
    last = engine.tickets()[-1]
    assert engine.position(last.id, at(10, 6)).wait == dt.timedelta(minutes=4.5)
    assert engine.estimate_wait("A", 1) == dt.timedelta(minutes=9)


def test_the_time_a_citizen_has_been_at_the_counter_counts(engine: QueueEngine) -> None:
    # GIVEN counter 1 alone serves A (6 minutes a citizen); A001 is called at 9:00
    applied(engine, engine.pause(2, at(9)))
    issue(engine, "A", at(9))
    waiting = issue(engine, "A", at(9))
    call(engine, 1, at(9))
    # THEN A002 waits for what is left of A001's 6 minutes: 2 at 9:04
    assert engine.position(waiting.id, at(9, 4)).wait == dt.timedelta(minutes=2)
    # AND someone slow is not taken to be nearly done: a quarter of the mean at least
    assert engine.position(waiting.id, at(9, 10)).wait == dt.timedelta(minutes=1.5)
    # AND without a time, the estimate is as of the last event (the call at 9:00)
    assert engine.position(waiting.id).wait == dt.timedelta(minutes=6)


def test_a_shared_counter_serves_the_oldest_of_its_services_first(engine: QueueEngine) -> None:
    # GIVEN two A tickets, then a B ticket: counter 2 serves both A and B
    issue(engine, "A", at(9))
    issue(engine, "A", at(9, 1))
    b = issue(engine, "B", at(9, 2))
    # THEN B001 has nobody of its own service ahead, but waits for the A citizen counter 2
    # calls first (counter 1 takes the other): A's 6 minutes
    position = engine.position(b.id)
    assert position.ahead == 0
    assert position.wait == dt.timedelta(minutes=6)


def test_the_range_holds_the_estimate_and_widens_down_the_line(engine: QueueEngine) -> None:
    # GIVEN five A tickets (counters 1 and 2 free)
    tickets = [issue(engine, "A", at(9, minute)) for minute in range(5)]
    positions = [engine.position(t.id) for t in tickets]
    # THEN every range holds its estimate, and the later a ticket, the wider its range
    widths = []
    for position in positions:
        assert position.wait is not None
        assert position.low is not None
        assert position.high is not None
        assert dt.timedelta(0) <= position.low <= position.wait <= position.high
        widths.append(position.high - position.low)
    assert widths == sorted(widths)
    assert widths[-1] > widths[0]
    # AND the range is at least a couple of minutes either side, even with nobody ahead
    assert widths[0] >= dt.timedelta(minutes=2)


def test_no_estimate_when_every_counter_of_the_service_is_paused(engine: QueueEngine) -> None:
    applied(engine, engine.pause(2, at(9)))
    assert engine.estimate_wait("B", 1) is None
    assert engine.estimate_wait("A", 1) is not None


# -- offline issuance: reserved numbers ----------------------------------------------


def test_reserved_numbers_are_set_aside_and_count_against_the_quota(
    engine: QueueEngine,
) -> None:
    # GIVEN kiosk-1 reserves three numbers of A (quota 5) while online
    decision = applied(engine, engine.reserve("A", 3, at(9), actor="kiosk-1"))
    reserved = [e.ticket.number for e in decision.events if e.ticket]
    # THEN they are the next three numbers, nobody waits on them, and two are left
    assert reserved == ["A001", "A002", "A003"]
    assert engine.waiting_count("A") == 0
    assert issue(engine, "A", at(9, 1)).number == "A004"
    # AND a reservation takes no more than the quota leaves
    last = applied(engine, engine.reserve("A", 3, at(9, 2), actor="kiosk-1"))
    assert [e.ticket.number for e in last.events if e.ticket] == ["A005"]
    with pytest.raises(Refused) as refusal:
        engine.reserve("A", 1, at(9, 3), actor="kiosk-1")
    assert refusal.value.reason is Reason.QUOTA_FULL


def test_an_offline_ticket_joins_the_queue_by_the_time_it_was_printed(
    engine: QueueEngine,
) -> None:
    # GIVEN kiosk-1 holds reserved B001; it loses the central and prints B001 at 09:05
    applied(engine, engine.reserve("B", 2, at(9), actor="kiosk-1"))
    # WHILE another kiosk, still online, issues B003 at 09:10
    issue(engine, "B", at(9, 10))
    # WHEN kiosk-1 is back at 09:30 and hands in its offline ticket
    decision = applied(
        engine,
        engine.issue_reserved("2026-11-30/B001", at(9, 5), at(9, 30), actor="kiosk-1"),
    )
    # THEN B001 waits with its printing time, ahead of B003
    assert decision.ticket is not None
    assert (decision.ticket.state, decision.ticket.issued_at) == (TicketState.WAITING, at(9, 5))
    assert decision.events[0].kind is EventKind.ISSUED_OFFLINE
    assert call(engine, 2, at(9, 31)).number == "B001"


def test_only_the_reserving_kiosk_hands_in_a_reserved_number_and_only_once(
    engine: QueueEngine,
) -> None:
    applied(engine, engine.reserve("B", 1, at(9), actor="kiosk-1"))
    with pytest.raises(Refused) as other:
        engine.issue_reserved("2026-11-30/B001", at(9, 1), at(9, 2), actor="kiosk-2")
    assert other.value.reason is Reason.NOT_RESERVED
    applied(engine, engine.issue_reserved("2026-11-30/B001", at(9, 1), at(9, 2), actor="kiosk-1"))
    with pytest.raises(Refused) as twice:
        engine.issue_reserved("2026-11-30/B001", at(9, 1), at(9, 3), actor="kiosk-1")
    assert twice.value.reason is Reason.NOT_RESERVED


def test_a_reserve_the_central_has_no_record_of_is_taken_in_and_numbering_goes_on_after(
    engine: QueueEngine,
) -> None:
    # GIVEN a central restored from a backup that knows B001 only, while kiosk-1 still
    # holds B004 and B005 from a reserve made after that backup
    issue(engine, "B", at(9))
    # WHEN kiosk-1 hands in B005 then B004, printed offline at 10:05 and 10:00
    late = applied(
        engine, engine.issue_reserved("2026-11-30/B005", at(10, 5), at(10, 30), actor="kiosk-1")
    ).ticket
    early = applied(
        engine, engine.issue_reserved("2026-11-30/B004", at(10), at(10, 31), actor="kiosk-1")
    ).ticket
    # THEN both wait, by the time they were printed, and the next number is B006
    assert late is not None
    assert early is not None
    assert (late.number, late.state, late.issued_at) == ("B005", TicketState.WAITING, at(10, 5))
    assert (early.number, early.issued_by) == ("B004", "kiosk-1")
    assert issue(engine, "B", at(10, 32)).number == "B006"
    assert [call(engine, 2, at(10, 40 + n)).number for n in range(3)] == ["B001", "B004", "B005"]


@pytest.mark.parametrize(
    "ticket_id",
    [
        pytest.param("2026-11-29/B004", id="another-day"),
        pytest.param("2026-11-30/Z004", id="no-such-service"),
        pytest.param("2026-11-30/B0004", id="not-as-numbers-are-written"),
        pytest.param("B004", id="not-an-id"),
    ],
)
def test_an_unknown_number_that_cannot_be_todays_is_refused(
    engine: QueueEngine, ticket_id: str
) -> None:
    with pytest.raises(Refused) as refusal:
        engine.issue_reserved(ticket_id, at(10), at(10, 1), actor="kiosk-1")
    assert refusal.value.reason is Reason.UNKNOWN_TICKET


def test_reserved_numbers_never_used_end_the_day_unused(engine: QueueEngine) -> None:
    applied(engine, engine.reserve("B", 2, at(9), actor="kiosk-1"))
    tuesday = MONDAY + dt.timedelta(days=1)
    decision = engine.roll_over(at(7, day=tuesday))
    kinds = {e.ticket.number: (e.kind, e.ticket.state) for e in decision.events if e.ticket}
    assert kinds == {
        "B001": (EventKind.UNUSED, TicketState.UNUSED),
        "B002": (EventKind.UNUSED, TicketState.UNUSED),
    }
