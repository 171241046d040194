"""Booking rules in the site file: their TOML form, the checks, and live edits."""

import datetime as dt

import pytest
from msgspec.structs import replace

from broker.site_overrides import (
    apply_overrides,
    dump_overrides,
    load_overrides,
    overrides_between,
    site_problems,
)
from contract.errors import ConfigError
from contract.site import Site
from contract.site_bookings import Session
from contract.site_loader import parse_site
from tests.booking_fixtures import BOOKING_RULES, booking_site, booking_site_text
from tests.conftest import MONDAY


def test_booking_rules_are_read_from_the_service_table(booked_site: Site) -> None:
    """GIVEN service A's [services.booking] table WHEN the site is read THEN every setting
    is there, typed, and Monday offers the sessions' 6 places."""
    rules = booked_site.services_by_prefix["A"].booking
    assert rules is not None
    assert [str(s) for s in rules.sessions.mon] == ["08:00-09:00/4", "13:00-14:00/2"]
    assert rules.sessions.wed == []
    assert (rules.slot_minutes, rules.kept_for_bookings, rules.days_ahead) == (30, 6, 7)
    assert rules.opening_time == dt.time(7)
    assert (rules.check_in_before_minutes, rules.check_in_after_minutes) == (30, 15)
    assert rules.late == "walk_in"
    assert rules.capacity_on(MONDAY) == 6
    assert booked_site.services_by_prefix["B"].booking is None


def test_the_example_site_books_passports_and_ktp(example_site: Site) -> None:
    """GIVEN the Samarinda example WHEN read THEN Paspor (A) and KTP-el (H) take bookings:
    A 40 places on top of its 60 walk-ins, H 100 of its 200, and H refuses the late."""
    passports = example_site.services_by_prefix["A"].booking
    ktp = example_site.services_by_prefix["H"].booking
    assert passports is not None
    assert ktp is not None
    assert (passports.kept_for_bookings, passports.capacity_on(MONDAY), passports.late) == (
        0,
        40,
        "walk_in",
    )
    assert (ktp.kept_for_bookings, ktp.capacity_on(MONDAY), ktp.late) == (100, 100, "refuse")


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"),
    [
        (
            '"13:00-14:00/2"',
            '"08:30-09:30/2"',
            "services[0].booking.sessions.mon[1]",
            "must not overlap",
        ),
        (
            '"13:00-14:00/2"',
            '"12:00-13:00/2"',
            "services[0].booking.sessions.mon[1]",
            "outside the opening hours (08:00-12:00, 13:00-15:00)",
        ),
        (
            "slot_minutes = 30",
            "slot_minutes = 45",
            "services[0].booking.sessions.mon[0]",
            "does not divide into 45-minute slots",
        ),
        (
            "kept_for_bookings = 6",
            "kept_for_bookings = 21",
            "services[0].booking.kept_for_bookings",
            "more than the daily quota (20)",
        ),
        ('"13:00-14:00/2"', '"13:00-14:00"', "services[0].booking.sessions.mon[1]", "/20"),
        ('"13:00-14:00/2"', '"13:00-14:00/0"', "services[0].booking.sessions.mon[1]", "place"),
        ('late = "walk_in"', 'late = "home"', "services[0].booking.late", "'home'"),
        ('opens_at = "07:00"', 'opens_at = "7 pagi"', "services[0].booking.opens_at", "match"),
        ("days_ahead = 7", "days_ahaed = 7", "services[0].booking.days_ahaed", "unknown"),
    ],
    ids=[
        "overlap",
        "outside-hours",
        "slots-do-not-fit",
        "kept-over-quota",
        "no-capacity",
        "zero-capacity",
        "late-word",
        "opens-at",
        "misspelt",
    ],
)
def test_broken_booking_rules_are_refused_naming_the_key(
    old: str, new: str, key: str, problem: str
) -> None:
    """GIVEN one mistake in the booking table WHEN the site is read THEN a ConfigError
    names the key and says what is wrong."""
    assert BOOKING_RULES.count(old) == 1
    with pytest.raises(ConfigError) as error:
        parse_site(booking_site_text(BOOKING_RULES.replace(old, new)))
    assert error.value.key == key
    assert problem in error.value.problem


def test_sessions_beyond_the_quota_need_places_kept_said_outright() -> None:
    """GIVEN no kept_for_bookings and sessions offering more than the daily quota
    WHEN read THEN refused: walk-ins would have nothing left and bookings no room."""
    rules = BOOKING_RULES.replace("kept_for_bookings = 6\n", "").replace(
        '"13:00-14:00/2"', '"13:00-14:00/17"'
    )
    with pytest.raises(ConfigError) as error:
        parse_site(booking_site_text(rules))
    assert error.value.key == "services[0].booking.sessions.mon"
    assert "21 places, more than the daily quota (20)" in error.value.problem


def test_a_manager_edits_the_booking_rules_live(booked_site: Site) -> None:
    """GIVEN A's booking rules WHEN a manager changes the late policy and Monday's
    sessions THEN the override keeps the rules whole, survives saving, and gives the
    edited site back, checked like the file."""
    rules = booked_site.services_by_prefix["A"].booking
    assert rules is not None
    sessions = replace(rules.sessions, mon=[Session.parse("08:00-10:00/8")])
    edited_rules = replace(rules, late="refuse", sessions=sessions)
    a = replace(booked_site.services_by_prefix["A"], booking=edited_rules)
    live = replace(booked_site, services=[a, *booked_site.services[1:]])
    saved = load_overrides(dump_overrides(overrides_between(booked_site, live)))
    assert saved.services["A"].fields() == {"booking": edited_rules}
    assert apply_overrides(booked_site, saved) == live
    assert site_problems(live) == []


def test_a_live_edit_that_breaks_the_rules_is_refused(booked_site: Site) -> None:
    """GIVEN a session edited to outside the opening hours WHEN checked THEN refused."""
    rules = booked_site.services_by_prefix["A"].booking
    assert rules is not None
    wrong = replace(rules, sessions=replace(rules.sessions, mon=[Session.parse("06:00-07:00/2")]))
    a = replace(booked_site.services_by_prefix["A"], booking=wrong)
    problems = site_problems(replace(booked_site, services=[a, *booked_site.services[1:]]))
    assert problems[0][0] == "services[0].booking.sessions.mon[0]"


def test_turning_bookings_off_live_is_kept(booked_site: Site) -> None:
    """GIVEN bookings on A WHEN a manager turns them off THEN the override says so."""
    a = replace(booked_site.services_by_prefix["A"], booking=None)
    live = replace(booked_site, services=[a, *booked_site.services[1:]])
    saved = load_overrides(dump_overrides(overrides_between(booked_site, live)))
    assert apply_overrides(booked_site, saved).services_by_prefix["A"].booking is None
    assert booking_site().services_by_prefix["A"].booking is not None
