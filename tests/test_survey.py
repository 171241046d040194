"""The central's side of the survey units: a press tied to the ticket its counter finished
last, one press per ticket, and everything kept on disk."""

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from broker.queue_service import QueueService
from broker.store.sqlite_store import SqliteStore
from broker.survey import ALREADY_RATED, COUNTED, NO_TICKET, SurveyService, SurveyStore
from contract.errors import ConfigError
from contract.messages import SurveyPress, encode
from contract.site import Site, SurveyUnit
from contract.site_loader import parse_site
from tests.conftest import EXAMPLE_SITE, SMALL_SITE, at
from tests.request_fixtures import Clock

# Two units on the small site: one at counter 1 alone, one shared by counters 1 and 2.
UNITS = """
[[survey_units]]
id = "meja-1"
counters = [1]
very_satisfied_pin = 5
satisfied_pin = 6
dissatisfied_pin = 13
very_dissatisfied_pin = 19

[[survey_units]]
id = "bersama"
counters = [1, 2]
very_satisfied_pin = 5
satisfied_pin = 6
dissatisfied_pin = 13
very_dissatisfied_pin = 19
window_minutes = 5
"""


class Central:
    """The parts of the central the survey uses, on one SQLite file, reopened at will."""

    def __init__(self, site: Site, path: Path, clock: Clock) -> None:
        self.site, self.path, self.clock = site, path, clock
        self.open()

    def open(self) -> None:
        self.store = SqliteStore(self.path)
        self.queue = QueueService(self.site, self.store, self.clock)
        self.survey = SurveyService(self.queue, SurveyStore(self.path))

    def close(self) -> None:
        self.survey.store.close()
        self.store.close()

    def unit(self, unit_id: str) -> SurveyUnit:
        return next(u for u in self.site.survey_units if u.id == unit_id)

    def serve(self, service: str, counter: int, called: dt.datetime, done: dt.datetime) -> str:
        """A citizen takes a ticket, counter `counter` calls and finishes it: its id."""
        issued = self.queue.run(lambda e, now: e.issue(service, now), called)
        ticket = issued.events[0].ticket
        assert ticket is not None
        self.queue.run(lambda e, now: e.call_next(counter, now), called)
        self.queue.run(lambda e, now: e.finish(counter, now), done)
        return ticket.id


@pytest.fixture
def site() -> Site:
    return parse_site(SMALL_SITE + UNITS, source="small_site")


@pytest.fixture
def central(site: Site, tmp_path: Path) -> Iterator[Central]:
    central = Central(site, tmp_path / "antre.sqlite3", Clock(at(8)))
    yield central
    central.close()


def test_a_press_is_tied_to_the_ticket_its_counter_finished_last(central: Central) -> None:
    # GIVEN counter 1 finished A001 at 09:04 and then A002 at 09:08
    central.serve("A", 1, at(9, 0), at(9, 4))
    second = central.serve("A", 1, at(9, 5), at(9, 8))
    # WHEN its survey unit is pressed "puas" at 09:09
    record = central.survey.record(central.unit("meja-1"), "p-1", 3, at(9, 9))
    # THEN the press counts for A002, with its counter, service and agency
    assert (record.mark, record.ticket_id, record.rating) == (COUNTED, second, 3)
    assert (record.counter, record.service, record.agency) == (1, "A", "disdukcapil")
    assert central.survey.store.presses(at(9).date(), at(9).date()) == [record]


def test_a_second_press_for_the_same_ticket_is_kept_but_not_counted(central: Central) -> None:
    # GIVEN A001 finished at counter 1 and rated once
    ticket = central.serve("A", 1, at(9, 0), at(9, 4))
    unit = central.unit("meja-1")
    first = central.survey.record(unit, "p-1", 4, at(9, 5))
    # WHEN the same citizen (or the next one, too early) presses again
    second = central.survey.record(unit, "p-2", 1, at(9, 6))
    # THEN the second press is kept, marked, and only the first counts for the ticket
    assert (first.mark, first.ticket_id) == (COUNTED, ticket)
    assert (second.mark, second.ticket_id, second.rating) == (ALREADY_RATED, ticket, 1)
    presses = central.survey.store.presses(at(9).date(), at(9).date())
    assert [(p.press_id, p.mark) for p in presses] == [("p-1", COUNTED), ("p-2", ALREADY_RATED)]
    assert [p.rating for p in presses if p.mark == COUNTED] == [4]


def test_a_shared_unit_rates_each_counters_last_ticket_once(central: Central) -> None:
    # GIVEN counter 2 finished B001 at 09:03 and counter 1 finished A001 at 09:04
    b001 = central.serve("B", 2, at(9, 0), at(9, 3))
    a001 = central.serve("A", 1, at(9, 1), at(9, 4))
    unit = central.unit("bersama")
    # WHEN the unit between them is pressed three times
    marks = [central.survey.record(unit, f"p-{n}", 4, at(9, 5)) for n in range(3)]
    # THEN the latest ticket gets the first press, the other counter's the second, and the
    # third is a second press for the latest ticket
    assert [(r.mark, r.ticket_id) for r in marks] == [
        (COUNTED, a001),
        (COUNTED, b001),
        (ALREADY_RATED, a001),
    ]
    assert [r.counter for r in marks] == [1, 2, 1]


def test_an_older_ticket_of_the_counter_is_never_rated(central: Central) -> None:
    # GIVEN counter 1 finished A001 (unrated) then A002 (rated)
    central.serve("A", 1, at(9, 0), at(9, 1))
    a002 = central.serve("A", 1, at(9, 2), at(9, 3))
    unit = central.unit("meja-1")
    central.survey.record(unit, "p-1", 4, at(9, 4))
    # WHEN the unit is pressed again
    again = central.survey.record(unit, "p-2", 2, at(9, 4))
    # THEN it is a second press for A002, not a press for the earlier citizen's A001
    assert (again.mark, again.ticket_id) == (ALREADY_RATED, a002)


@pytest.mark.parametrize(
    ("pressed", "mark"),
    [(at(9, 9), COUNTED), (dt.datetime(2026, 11, 30, 9, 9, 1, tzinfo=at(9).tzinfo), NO_TICKET)],
    ids=["at-the-window's-end", "one-second-after"],
)
def test_a_press_counts_only_within_the_window(
    central: Central, pressed: dt.datetime, mark: str
) -> None:
    # GIVEN A001 finished at 09:04 at counter 1; the shared unit's window is 5 minutes
    central.serve("A", 1, at(9, 0), at(9, 4))
    # WHEN pressed at 09:09:00 or 09:09:01
    record = central.survey.record(central.unit("bersama"), "p-1", 3, pressed)
    # THEN it counts only within the window
    assert record.mark == mark


def test_a_press_long_after_is_kept_as_no_ticket_for_its_counter(central: Central) -> None:
    # GIVEN A001 finished at 09:04 at counter 1
    central.serve("A", 1, at(9, 0), at(9, 4))
    # WHEN the units are pressed at 09:30, long after the window
    alone = central.survey.record(central.unit("meja-1"), "p-1", 2, at(9, 30))
    shared = central.survey.record(central.unit("bersama"), "p-2", 1, at(9, 30))
    # THEN both are kept, marked no_ticket, with no ticket; the counter when the unit has one
    assert (alone.mark, alone.ticket_id, alone.counter, alone.rating) == (NO_TICKET, None, 1, 2)
    assert (shared.mark, shared.ticket_id, shared.counter) == (NO_TICKET, None, None)
    assert alone.day == at(9).date()
    assert len(central.survey.store.presses(at(9).date(), at(9).date())) == 2


def test_a_press_before_any_ticket_is_no_ticket(central: Central) -> None:
    record = central.survey.record(central.unit("meja-1"), "p-1", 4, at(9))
    assert (record.mark, record.ticket_id) == (NO_TICKET, None)


def test_a_ticket_finished_at_another_counter_is_not_this_units(central: Central) -> None:
    # GIVEN counter 2 finished B001 a minute ago
    central.serve("B", 2, at(9, 0), at(9, 4))
    # WHEN the unit of counter 1 alone is pressed
    record = central.survey.record(central.unit("meja-1"), "p-1", 4, at(9, 5))
    # THEN the press is counter 1's, tied to no ticket
    assert (record.mark, record.counter) == (NO_TICKET, 1)


def test_a_repeated_press_id_is_recorded_once(central: Central) -> None:
    # GIVEN A001 just finished at counter 1
    ticket = central.serve("A", 1, at(9, 0), at(9, 4))
    central.clock.now = at(9, 5)
    message = encode(SurveyPress(id="press-7", rating=4))
    # WHEN the unit's press arrives twice (QoS 1, or the unit sending it again)
    first = central.survey.press("meja-1", message)
    again = central.survey.press("meja-1", message)
    # THEN it is recorded once, counted for A001, and the repeat answers the same record
    assert first is not None
    assert again == first
    assert (first.mark, first.ticket_id) == (COUNTED, ticket)
    assert len(central.survey.store.presses(at(9).date(), at(9).date())) == 1


def test_another_unit_may_use_the_same_press_id(central: Central) -> None:
    central.serve("A", 1, at(9, 0), at(9, 4))
    message = encode(SurveyPress(id="same", rating=4))
    central.clock.now = at(9, 5)
    assert central.survey.press("meja-1", message) is not None
    assert central.survey.press("bersama", message) is not None
    assert len(central.survey.store.presses(at(9).date(), at(9).date())) == 2


@pytest.mark.parametrize(
    ("unit", "payload"),
    [
        ("nobody", encode(SurveyPress(id="p", rating=4))),
        ("meja-1", json.dumps({"v": 1, "id": "p", "rating": 5}).encode()),
        ("meja-1", json.dumps({"v": 1, "id": "p", "rating": True}).encode()),
        ("meja-1", json.dumps({"v": 2, "id": "p", "rating": 4}).encode()),
        ("meja-1", b"not json"),
    ],
    ids=["unknown-unit", "rating-5", "rating-bool", "version-2", "garbage"],
)
def test_a_bad_press_is_dropped(central: Central, unit: str, payload: bytes) -> None:
    central.clock.now = at(9)
    assert central.survey.press(unit, payload) is None
    assert central.survey.store.presses(at(9).date(), at(9).date()) == []


def test_presses_survive_a_restart(central: Central) -> None:
    # GIVEN a counted press and a no_ticket press
    ticket = central.serve("A", 1, at(9, 0), at(9, 4))
    unit = central.unit("meja-1")
    central.survey.record(unit, "p-1", 4, at(9, 5))
    central.survey.record(unit, "p-2", 1, at(10))
    # WHEN the central restarts on the same file
    central.close()
    central.open()
    # THEN both are there, the ticket still has its press, and a repeat is not recorded again
    presses = central.survey.store.presses(at(9).date(), at(9).date())
    assert [(p.press_id, p.mark, p.ticket_id) for p in presses] == [
        ("p-1", COUNTED, ticket),
        ("p-2", NO_TICKET, None),
    ]
    assert central.survey.store.rated([ticket]) == {ticket}
    again = central.survey.record(unit, "p-1", 4, at(9, 6))
    assert again.mark == COUNTED
    assert len(central.survey.store.presses(at(9).date(), at(9).date())) == 2


def test_the_database_refuses_a_second_counted_press_for_a_ticket(central: Central) -> None:
    # GIVEN a counted press for A001
    central.serve("A", 1, at(9, 0), at(9, 4))
    record = central.survey.record(central.unit("meja-1"), "p-1", 4, at(9, 5))
    # WHEN another counted press for the same ticket is written directly
    forged = replace(record, press_id="p-2")
    # THEN the schema itself refuses it
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        central.survey.store.add_press(forged)


# -- the site file ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"),
    [
        ("counters = [1, 2]", "counters = [1, 7]", "survey_units[1].counters[1]", "counter 7"),
        ("counters = [1, 2]", "counters = [1, 1]", "survey_units[1].counters[1]", "counter 1 is"),
        ("counters = [1, 2]", "counters = []", "survey_units[1].counters", "one counter"),
        (
            'id = "bersama"\ncounters = [1, 2]\nvery_satisfied_pin = 5\nsatisfied_pin = 6',
            'id = "bersama"\ncounters = [1, 2]\nvery_satisfied_pin = 5\nsatisfied_pin = 5',
            "survey_units[1].satisfied_pin",
            "pin 5 is already used by survey_units[1].very_satisfied_pin",
        ),
        (
            'id = "bersama"',
            'id = "bersama"\nvery_dissatisfied_led_pin = 5',
            "survey_units[1].very_dissatisfied_led_pin",
            "pin 5 is already used",
        ),
        ('id = "bersama"', 'id = "meja-1"', "survey_units[1].id", "device id 'meja-1'"),
        ("window_minutes = 5", "window_minutes = 0", "survey_units[1].window_minutes", ">= 1"),
    ],
    ids=["unknown-counter", "counter-twice", "no-counter", "pin-twice", "led-pin-twice",
         "id-twice", "window-zero"],
)  # fmt: skip
def test_a_broken_survey_unit_is_named(old: str, new: str, key: str, problem: str) -> None:
    text = SMALL_SITE + UNITS
    assert old in text
    with pytest.raises(ConfigError) as raised:
        parse_site(text.replace(old, new, 1))
    assert raised.value.key == key
    assert problem in raised.value.problem


def test_a_survey_unit_may_not_take_a_kiosks_id(example_site: Site) -> None:
    text = EXAMPLE_SITE.read_text(encoding="utf-8").replace('id = "survey-1"', 'id = "kiosk-2"')
    with pytest.raises(ConfigError) as raised:
        parse_site(text)
    assert raised.value.key == "survey_units[0].id"
    assert "device id 'kiosk-2' is already used by kiosks[1].id" in raised.value.problem


def test_the_example_site_has_a_survey_unit_for_counters_1_and_2(example_site: Site) -> None:
    (unit,) = example_site.survey_units
    assert (unit.id, unit.counters, unit.window_minutes) == ("survey-1", [1, 2], 5)
    assert [(rating, pin) for rating, _, pin, _ in unit.buttons()] == [
        (4, 5),
        (3, 6),
        (2, 13),
        (1, 19),
    ]
