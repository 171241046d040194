"""The lobby display: what it announces and shows, alone and against the real central."""

import contextlib
import datetime as dt
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame

from contract.clock import SimulatedClock
from contract.messages import CallEvent, CounterCommand, QueueState, ServiceView, encode
from contract.site import Site
from display.announcer import Announcer
from display.board import HELD_SECONDS, Board
from display.main import LobbyDisplay, Options, display_link
from display.voice import VoicePack
from display.voice_pack_generator import write_silent_pack
from tests.announcer_fixtures import Clock, FakePlayer
from tests.broker_fixtures import Provisioned
from tests.central_fixtures import MONDAY_MORNING, CentralProcess, Device, Kiosk

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def call(number: str, counter: int = 5, call_id: str | None = None, minutes: int = 0) -> CallEvent:
    """A call of `number` at `counter`, `minutes` after NOW."""
    return CallEvent(
        id=call_id or f"2026-11-30/{number}/0",
        kind="called",
        number=number,
        service=number[0],
        counter=counter,
        counter_name=f"Loket {counter}",
        at=(NOW + dt.timedelta(minutes=minutes)).isoformat(),
    )


def state(seq: int, recent: list[CallEvent], waiting: int = 3) -> QueueState:
    return QueueState(
        seq=seq,
        site="samarinda",
        day="2026-11-30",
        at=NOW.isoformat(),
        services=[ServiceView(prefix="A", name="Paspor", agency="Imigrasi", waiting=waiting)],
        counters=[],
        recent=recent,
    )


class Spoken:
    """Stands in for the announcer: records what it was asked to say."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, event: CallEvent) -> bool:
        self.calls.append(event.number)
        return True


@pytest.fixture
def board(example_site: Site) -> tuple[Board, Spoken]:
    spoken = Spoken()
    lobby = next(d for d in example_site.displays if d.id == "display-lobby")
    return Board(example_site, lobby, spoken), spoken


def test_a_start_paints_the_retained_state_and_announces_nothing(
    board: tuple[Board, Spoken],
) -> None:
    screen, spoken = board
    screen.take_state(state(10, [call("A023"), call("B007", 3)]))
    model = screen.model(NOW, 0.0, None, offline=False)
    assert spoken.calls == []
    assert model.newest is not None
    assert model.newest.number == "A023"
    assert [c.number for c in model.recent] == ["B007"]
    assert not model.highlight


def test_a_call_is_announced_once_and_highlighted(board: tuple[Board, Spoken]) -> None:
    screen, spoken = board
    screen.take_state(state(10, []))
    assert screen.take_call(call("A024"), now=100.0)
    assert not screen.take_call(call("A024"), now=100.5)
    assert spoken.calls == ["A024"]
    assert screen.model(NOW, 101.0, None, offline=False).highlight
    assert not screen.model(NOW, 120.0, None, offline=False).highlight


def test_a_recall_is_announced_again_and_shown_once(board: tuple[Board, Spoken]) -> None:
    screen, spoken = board
    screen.take_call(call("A024", call_id="first"), now=1.0)
    screen.take_call(call("B001", 3, call_id="other"), now=2.0)
    screen.take_call(call("A024", call_id="recall"), now=3.0)
    model = screen.model(NOW, 3.0, None, offline=False)
    assert spoken.calls == ["A024", "B001", "A024"]
    assert model.newest is not None
    assert model.newest.number == "A024"
    assert [c.number for c in model.recent] == ["B001"]


def test_an_older_state_is_ignored(board: tuple[Board, Spoken]) -> None:
    screen, _ = board
    assert screen.take_state(state(10, [], waiting=5))
    assert not screen.take_state(state(9, [], waiting=99))
    assert screen.model(NOW, 0.0, None, offline=False).waiting[0].waiting == 5


def test_calls_made_while_away_are_listed_after_reconnecting_but_never_spoken(
    board: tuple[Board, Spoken],
) -> None:
    screen, spoken = board
    # GIVEN the display announced A001, then lost Mosquitto while A002 and A003 were called
    screen.take_state(state(10, []))
    screen.take_call(call("A001"), now=1.0)
    # WHEN it is back and takes the retained state
    screen.reconnected()
    missed = [call("A003", minutes=2), call("A002", minutes=1), call("A001")]
    assert screen.take_state(state(20, missed))
    # THEN all three are on the board, newest first, and only A001 was ever spoken
    model = screen.model(NOW, 100.0, None, offline=False)
    assert model.newest is not None
    assert model.newest.number == "A003"
    assert [c.number for c in model.recent] == ["A002", "A001"]
    assert not model.highlight
    # AND a late copy of A003's event is not spoken either: it is old news
    assert not screen.take_call(call("A003", minutes=2), now=101.0)
    assert spoken.calls == ["A001"]


def test_without_a_reconnect_a_later_states_calls_wait_for_their_events(
    board: tuple[Board, Spoken],
) -> None:
    screen, spoken = board
    # GIVEN a display that has been connected all along
    screen.take_state(state(10, []))
    # WHEN a state already lists A005 before A005's event arrives
    screen.take_state(state(11, [call("A005")]))
    assert screen.model(NOW, 1.0, None, offline=False).newest is None
    # THEN the event, when it comes, is announced
    assert screen.take_call(call("A005"), now=2.0)
    assert spoken.calls == ["A005"]


def test_catching_up_waits_for_a_state_newer_than_the_one_held(
    board: tuple[Board, Spoken],
) -> None:
    screen, _ = board
    screen.take_state(state(10, []))
    screen.reconnected()
    # An older state (a stale retained copy) is ignored and does not end the catching up
    assert not screen.take_state(state(9, [call("A009")]))
    assert screen.take_state(state(12, [call("A010")]))
    model = screen.model(NOW, 1.0, None, offline=False)
    assert model.newest is not None
    assert model.newest.number == "A010"


def test_the_call_being_spoken_is_the_one_on_top(board: tuple[Board, Spoken]) -> None:
    screen, _ = board
    screen.take_call(call("A001", call_id="one"), now=1.0)
    screen.take_call(call("A002", call_id="two"), now=1.1)
    model = screen.model(NOW, 1.2, "one", offline=False)
    assert model.newest is not None
    assert (model.newest.number, model.highlight) == ("A001", True)


def test_the_call_being_spoken_stays_on_top_when_newer_ones_push_it_off_the_board(
    board: tuple[Board, Spoken],
) -> None:
    # GIVEN A001 waiting to be spoken, then six newer calls: the board lists five
    screen, _ = board
    screen.take_call(call("A001", call_id="one"), now=1.0)
    for i in range(2, 8):
        screen.take_call(call(f"A00{i}", call_id=f"c{i}"), now=1.0 + i / 10)
    assert "A001" not in {c.number for c in screen.model(NOW, 2.0, None, False).recent}
    # WHEN its turn comes to be spoken
    model = screen.model(NOW, 2.0, "one", offline=False)
    # THEN it is on top, highlighted, with the four newest below it
    assert model.newest is not None
    assert (model.newest.number, model.highlight) == ("A001", True)
    assert [c.number for c in model.recent] == ["A007", "A006", "A005", "A004"]
    # AND once it has been spoken, the newest is on top again
    after = screen.model(NOW, 30.0, None, offline=False)
    assert after.newest is not None
    assert after.newest.number == "A007"


def test_a_call_pushed_off_the_board_is_held_only_for_a_while(
    board: tuple[Board, Spoken],
) -> None:
    # GIVEN a call pushed off the board by newer ones
    screen, _ = board
    screen.take_call(call("A001", call_id="one"), now=0.0)
    for i in range(2, 8):
        screen.take_call(call(f"A00{i}", call_id=f"c{i}"), now=1.0)
    # WHEN calls go on coming for longer than a call may wait to be spoken
    for i in range(8, 20):
        screen.take_call(call(f"A0{i:02d}", call_id=f"c{i}"), now=HELD_SECONDS * i / 10)
    # THEN it is forgotten: a display that runs for months holds no more than a while's
    model = screen.model(NOW, HELD_SECONDS * 2, "one", offline=False)
    assert model.newest is not None
    assert model.newest.number == "A019"
    assert Announcer(FakePlayer(Clock())).max_wait + 15 < HELD_SECONDS


def test_in_a_burst_the_call_heard_is_the_call_on_top_and_the_stale_ones_are_shown(
    example_site: Site,
) -> None:
    # GIVEN the board and the announcer of an English display, calls of 0.5 s clips
    lobby = next(d for d in example_site.displays if d.id == "display-lobby")
    clock = Clock()
    announcer = Announcer(FakePlayer(clock, seconds=0.5), english=True, max_wait=30.0)
    screen = Board(example_site, lobby, announcer.announce)
    # WHEN twelve counters call within three seconds
    calls = [call(f"A{i:03d}", 1 + i, call_id=f"c{i}") for i in range(12)]
    shown: set[str] = set()
    frames = 0
    while calls or not announcer.idle:
        if calls and frames % 8 == 0:
            screen.take_call(calls.pop(0), clock.now)
        announcer.update(clock.now)
        model = screen.model(NOW, clock.now, announcer.speaking, offline=False)
        assert model.newest is not None
        shown |= {model.newest.id, *(c.id for c in model.recent)}
        # THEN at every frame the call being spoken is the one on top
        if announcer.speaking is not None:
            assert (model.newest.id, model.highlight) == (announcer.speaking, True)
        clock.now += 1 / 30
        frames += 1
        assert clock.now < 300
    # AND calls left waiting too long were not spoken, but had been on the screen
    assert announcer.skipped_count > 0
    assert set(announcer.skipped) <= shown
    spoken = [call_id for call_id, _ in announcer.spoken]
    assert spoken + list(announcer.skipped) == [f"c{i}" for i in range(12)]


def test_a_zone_display_shows_and_announces_only_its_services(example_site: Site) -> None:
    spoken = Spoken()
    zone = next(d for d in example_site.displays if d.id == "display-disdukcapil")
    screen = Board(example_site, zone, spoken)
    screen.take_state(state(1, []))
    assert not screen.take_call(call("A001"), now=1.0)
    assert screen.take_call(call("H001", 12), now=2.0)
    assert spoken.calls == ["H001"]
    assert [w.prefix for w in screen.model(NOW, 2.0, None, offline=False).waiting] == []


# -- against the real central -----------------------------------------------------------


@pytest.fixture(scope="module")
def quiet_pack(tmp_path_factory: pytest.TempPathFactory) -> VoicePack:
    """Every clip a pack needs, as 20 ms of silence: the timing, not the voice, matters."""
    folder = tmp_path_factory.mktemp("voice")
    write_silent_pack(folder, english=True)
    return VoicePack.load(folder, english=True)


@pytest.fixture
def lobby(
    provisioned: Provisioned, central: CentralProcess, quiet_pack: VoicePack, tmp_path: Path
) -> Iterator[LobbyDisplay]:
    with _lobby(provisioned, quiet_pack, tmp_path) as lobby:
        yield lobby


@contextlib.contextmanager
def _lobby(provisioned: Provisioned, pack: VoicePack, folder: Path) -> Iterator[LobbyDisplay]:
    site = provisioned.site
    display = next(d for d in site.displays if d.id == "display-lobby")
    clock = SimulatedClock(dt.datetime.fromisoformat(MONDAY_MORNING))
    options = Options(window=(1366, 768), screenshot_dir=folder, screenshot_every=0.0)
    lobby = LobbyDisplay(site, display, pack, clock, options)
    link = display_link(lobby, provisioned.credentials[display.id], version="test")
    link.start()
    try:
        yield lobby
    finally:
        link.stop({})
        pygame.quit()


def take_and_call(provisioned: Provisioned, service: str, counter: int) -> None:
    """A citizen takes a ticket for `service` at kiosk-1 and `counter` calls it (answered)."""
    kiosk = Kiosk(provisioned, "kiosk-1")
    clerk = Device(provisioned, f"counter-{counter}", [provisioned.topics.counter_answer(counter)])
    try:
        kiosk.ask("req-1", service)
        command = CounterCommand(id="cmd-1", action="call_next")
        clerk.client.publish(provisioned.topics.counter_command(counter), encode(command), qos=1)
        clerk.wait_for(provisioned.topics.counter_answer(counter), lambda p: True)
    finally:
        kiosk.close()
        clerk.close()


def _run_until(lobby: LobbyDisplay, done: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "the display did not get there in time"
        lobby.step(time.monotonic())
        time.sleep(0.01)


def test_a_call_made_through_the_contract_is_shown_and_spoken(
    provisioned: Provisioned, lobby: LobbyDisplay, tmp_path: Path
) -> None:
    # GIVEN the display painted the retained state
    _run_until(lobby, lambda: lobby.board.state is not None)
    kiosk = Kiosk(provisioned, "kiosk-1")
    counter = Device(provisioned, "counter-5", [provisioned.topics.counter_answer(5)])
    try:
        # WHEN a ticket for SKCK (C) is taken and counter 5 calls it
        kiosk.ask("req-1", "C")
        command = CounterCommand(id="cmd-1", action="call_next")
        counter.client.publish(provisioned.topics.counter_command(5), encode(command), qos=1)
        # THEN the display announces it, in Indonesian, and shows it on top
        _run_until(lobby, lambda: bool(lobby.announcer.spoken))
    finally:
        kiosk.close()
        counter.close()
    _, clips = lobby.announcer.spoken[0]
    assert clips[:6] == ["chime", "nomor", "antrean", "ce", "satu", "silakan"]
    assert clips[clips.index("loket") + 1] == "lima"
    assert clips[-2:] == ["en/counter", "en/five"]  # the lobby display speaks English too
    model = lobby.board.model(lobby.clock(), time.monotonic(), None, offline=False)
    assert model.newest is not None
    assert (model.newest.number, model.newest.counter_name) == ("C001", "Loket 5")
    assert (tmp_path / "display.png").exists()


def test_a_display_restarted_speaks_nothing_old(
    provisioned: Provisioned, central: CentralProcess, quiet_pack: VoicePack, tmp_path: Path
) -> None:
    # GIVEN a call was made before the display started
    take_and_call(provisioned, "A", counter=1)
    # WHEN the display starts
    with _lobby(provisioned, quiet_pack, tmp_path) as lobby:
        _run_until(lobby, lambda: lobby.board.state is not None)
        for _ in range(30):
            lobby.step(time.monotonic())
        model = lobby.board.model(lobby.clock(), time.monotonic(), None, offline=False)
        # THEN it shows the call from the retained state and announces nothing
        assert model.newest is not None
        assert model.newest.number == "A001"
        assert lobby.announcer.spoken == []
        assert lobby.announcer.idle


def test_a_display_whose_link_drops_shows_the_calls_it_missed_without_speaking_them(
    provisioned: Provisioned,
    lobby: LobbyDisplay,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _run_until(lobby, lambda: lobby.board.state is not None)
    # GIVEN the display misses everything for a while (its messages go nowhere)
    missed: list[str] = []
    monkeypatch.setattr(lobby.inbox, "put", lambda item: missed.append(item[0]))
    # WHEN counter 1 calls a ticket meanwhile, and then the display's connection drops
    take_and_call(provisioned, "A", counter=1)
    # (the call's event, then the state that lists it: both missed)
    topics = provisioned.topics

    def both_missed() -> bool:
        return topics.calls in missed and topics.state in missed[missed.index(topics.calls) :]

    deadline = time.monotonic() + 15
    while not both_missed():
        assert time.monotonic() < deadline, f"the call never reached the display: {missed}"
        time.sleep(0.01)
    monkeypatch.undo()
    assert lobby.link is not None
    connection = lobby.link.client.socket()
    assert isinstance(connection, socket.socket)
    connection.shutdown(socket.SHUT_RDWR)
    # THEN once it is back (paho reconnects by itself), the call is on the board, unspoken
    _run_until(lobby, lambda: lobby.board.model(NOW, 0.0, None, offline=False).newest is not None)
    model = lobby.board.model(lobby.clock(), time.monotonic(), None, offline=False)
    assert model.newest is not None
    assert model.newest.number.startswith("A")
    for _ in range(30):
        lobby.step(time.monotonic())
    assert lobby.announcer.spoken == []


def test_a_board_that_runs_for_months_remembers_only_the_calls_it_may_still_show(
    board: tuple[Board, Spoken],
) -> None:
    # GIVEN a call every second for a long day
    screen, _ = board
    for n in range(2000):
        screen.take_call(call(f"A{n % 900 + 100}", call_id=f"call-{n}"), now=float(n))
    # THEN it keeps the arrival of the calls on the board and holds the ones pushed off
    # only for HELD_SECONDS: nothing grows with the day
    assert len(screen._arrived) <= 6
    assert len(screen._held) <= HELD_SECONDS + 1
