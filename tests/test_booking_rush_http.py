"""The rush over real HTTP: 200 citizens post the booking form at once for 20 places."""

from collections import Counter
from pathlib import Path

from bench.booking_rush_bench import kept, rush, served_rush


def test_two_hundred_at_once_over_http_for_twenty_places_get_exactly_twenty(
    tmp_path: Path,
) -> None:
    # GIVEN the console served by uvicorn with one slot of 20 places, at the moment
    # booking opens, and 200 citizens (100 NIKs twice) each on its own address
    with served_rush(tmp_path, 20) as (port, database):
        # WHEN they all post the form at once
        attempts = rush(port, 200, 100)
        found = kept(database, 20)
    # THEN exactly 20 are booked (answered with their code), none over capacity, no NIK
    # twice, and the other 180 are told no in a page (409), none braked or failed
    statuses = Counter(a.status for a in attempts)
    assert found.bookings == 20
    assert found.over_capacity == 0
    assert found.niks_with_two == 0
    assert statuses == {303: 20, 409: 180}
    assert {a.code for a in attempts if a.code is not None} == found.codes
