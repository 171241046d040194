"""The web's change hub: its version is the API state's `seq`."""

from broker.web.context import WebContext
from broker.web.live import ChangeHub


class Clock:
    """Microseconds since the epoch, set by the test."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def test_the_version_rises_with_every_change_even_within_one_microsecond() -> None:
    clock = Clock(1_000)
    hub = ChangeHub(clock)
    versions = [hub.version]
    for _ in range(3):
        hub.changed()
        versions.append(hub.version)
    assert versions == [1_000, 1_001, 1_002, 1_003]


def test_a_restarted_central_starts_above_what_it_gave_before() -> None:
    # GIVEN a hub that gave out versions for a while
    clock = Clock(5_000_000)
    before = ChangeHub(clock)
    for _ in range(100):
        before.changed()
    # WHEN the central restarts a second later
    clock.now += 1_000_000
    after = ChangeHub(clock)
    # THEN its first version is above the last one a client holds
    assert after.version > before.version


def test_the_clock_set_back_does_not_lower_the_version() -> None:
    clock = Clock(9_000)
    hub = ChangeHub(clock)
    clock.now = 10
    hub.changed()
    assert hub.version == 9_001


def test_a_waiter_is_woken_by_a_change() -> None:
    hub = ChangeHub(Clock(1))
    seen = hub.version
    hub.changed()
    assert hub.wait_past(seen, timeout=0.01) == seen + 1


def test_one_reading_serves_a_whole_round_of_pages_from_one_computation(
    web_ctx: WebContext,
) -> None:
    # GIVEN the per-change reading that every open ticket page asks for
    computed: list[int] = []

    def read() -> int:
        computed.append(web_ctx.hub.version)
        return len(computed)

    # WHEN calls come while one round renders the hall, the round reads the queue once
    with web_ctx.one_reading():
        first = web_ctx.per_change("pages", read)
        web_ctx.hub.changed()
        web_ctx.hub.changed()
        assert web_ctx.per_change("pages", read) == first
    assert len(computed) == 1
    # THEN the next page outside the round sees the newer queue
    assert web_ctx.per_change("pages", read) == 2
    assert web_ctx.per_change("pages", read) == 2
    assert len(computed) == 2
