"""Site overrides: the live edits kept on top of the site file, and checked like it."""

from collections.abc import Callable
from pathlib import Path

import pytest
from msgspec.structs import replace

from broker.queue_service import QueueService
from broker.site_overrides import (
    CounterOverride,
    ServiceOverride,
    SiteOverrides,
    apply_overrides,
    dump_overrides,
    load_overrides,
    overrides_between,
    site_at_start,
    site_problems,
    stale_entries,
)
from broker.store.sqlite_store import SqliteStore
from contract.clock import SimulatedClock
from contract.site import Period, Site
from tests.conftest import at


def _edited(site: Site) -> Site:
    """A's quota and name, counter 2's services and the Monday hours of A's schedule."""
    a = replace(site.services_by_prefix["A"], daily_quota=None, name="KTP-el")
    counter = replace(site.counters_by_number[2], services=["B"])
    schedule = replace(site.schedules_by_id["kerja"], mon=[Period.parse("08:00-10:00")])
    return replace(
        site,
        services=[a, *site.services[1:]],
        counters=[site.counters[0], counter],
        schedules=[schedule],
    )


def test_only_the_changed_fields_are_kept_and_they_give_the_same_site_back(
    small_site: Site,
) -> None:
    # GIVEN a site with a few fields edited
    live = _edited(small_site)
    # WHEN what differs from the file is saved and read back
    saved = load_overrides(dump_overrides(overrides_between(small_site, live)))
    # THEN it holds those fields only, and on top of the file gives the edited site
    assert saved.services["A"].fields() == {"name": "KTP-el", "daily_quota": None}
    assert "B" not in saved.services
    assert saved.counters[2].fields() == {"services": ["B"]}
    assert 1 not in saved.counters
    assert saved.schedules["kerja"].fields() == {"mon": [Period.parse("08:00-10:00")]}
    assert apply_overrides(small_site, saved) == live
    assert site_problems(live) == []
    # AND the file's site is not changed
    assert small_site.services_by_prefix["A"].daily_quota == 5


def test_nothing_edited_is_nothing_saved(small_site: Site) -> None:
    overrides = overrides_between(small_site, small_site)
    assert overrides.is_empty()
    assert dump_overrides(overrides) == "{}"
    assert load_overrides(None) == load_overrides("") == SiteOverrides()


def test_overrides_for_what_the_file_no_longer_has_are_ignored(small_site: Site) -> None:
    overrides = SiteOverrides(
        services={"Z": ServiceOverride(name="Hilang"), "B": ServiceOverride(daily_quota=7)},
        counters={9: CounterOverride(services=["A"])},
    )
    site = apply_overrides(small_site, overrides)
    assert site.services_by_prefix["B"].daily_quota == 7
    assert [s.prefix for s in site.services] == ["A", "B"]
    assert stale_entries(small_site, overrides) == ["services['Z']", "counters[9]"]


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            lambda s: replace(s, services=[replace(s.services[0], daily_quota=0), s.services[1]]),
            ("services[0].daily_quota", "Expected `int` >= 1"),
        ),
        (
            lambda s: replace(s, counters=[s.counters[0], replace(s.counters[1], services=["A"])]),
            ("services[1]", "no counter serves service 'B'"),
        ),
    ],
)
def test_an_edited_site_is_checked_like_the_file(
    small_site: Site, edit: Callable[[Site], Site], problem: tuple[str, str]
) -> None:
    assert problem in site_problems(edit(small_site))


def test_unreadable_overrides_leave_the_central_on_the_file(
    small_site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    assert site_at_start(small_site, "{not json") is small_site
    assert site_at_start(small_site, '{"services": {"A": {"daily_quota": 0}}}') is small_site
    assert "cannot be read" in caplog.text


def test_the_queue_refuses_a_site_with_other_services(small_site: Site, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "antre.sqlite3")
    try:
        queue = QueueService(small_site, store, SimulatedClock(at(9)))
        with pytest.raises(ValueError, match="cannot add or remove"):
            queue.replace_site(replace(small_site, services=small_site.services[:1]))
        assert queue.engine.site is small_site
        edited = _edited(small_site)
        queue.replace_site(edited)
        assert queue.engine.site is edited
    finally:
        store.close()
