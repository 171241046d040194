"""The announcer on the real pygame mixer, on SDL's dummy audio driver, with a pack of
short generated tones (real time, well under a second each)."""

import math
import os
import time
from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame
import pytest

from contract.errors import AntreError
from display.announcer import (
    Announcer,
    Cue,
    Pauses,
    PygameClipPlayer,
    announcement_clips,
    announcement_seconds,
    timeline,
)
from display.voice import VoicePack, clip_file, required_clips
from display.voice_pack_generator import Clip, write_clip
from tests.announcer_fixtures import call

TONE_SECONDS = 0.03


@pytest.fixture(scope="session")
def tone_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pack of every clip as a short tone (one pitch per clip): quick to play."""
    folder = tmp_path_factory.mktemp("tone-pack")
    rate = 22050
    for i, name in enumerate(required_clips(english=True)):
        frequency = 300 + 10 * i
        samples = array(
            "h",
            (
                round(8000 * math.sin(2 * math.pi * frequency * k / rate))
                for k in range(round(TONE_SECONDS * rate))
            ),
        )
        write_clip(folder / clip_file(name), Clip(samples, rate))
    return folder


@pytest.fixture
def mixer(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """pygame's mixer on SDL's dummy audio driver: it plays in real time, silently."""
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    pygame.mixer.pre_init(frequency=22050, size=-16, channels=1, buffer=256)
    pygame.mixer.init()
    yield
    pygame.mixer.quit()


class RecordingPlayer:
    """Passes announcements to the real player, noting when each started and whether
    the channel was still busy with the one before."""

    def __init__(self, inner: PygameClipPlayer) -> None:
        self.inner = inner
        self.plays: list[tuple[float, list[str]]] = []
        self.overlaps: list[str] = []

    def length(self, name: str) -> float:
        return self.inner.length(name)

    def play(self, cues: Sequence[Cue]) -> None:
        if self.inner.busy():
            self.overlaps.append(cues[0].name)
        self.plays.append((time.monotonic(), [cue.name for cue in cues]))
        self.inner.play(cues)

    def stop(self) -> None:
        self.inner.stop()

    def busy(self) -> bool:
        return self.inner.busy()


@pytest.mark.usefixtures("mixer")
def test_two_calls_on_the_real_mixer_are_spoken_one_after_the_other(tone_pack: Path) -> None:
    # GIVEN the real mixer playing a pack of 30 ms tones, and two calls at once
    player = RecordingPlayer(PygameClipPlayer(VoicePack.load(tone_pack, english=True)))
    announcer = Announcer(player, call_gap=0.05)
    first, second = call("A023", 5), call("B110", 12)
    announcer.announce(first)
    announcer.announce(second)
    # WHEN the main loop runs in real time
    deadline = time.monotonic() + 10
    while not announcer.idle:
        assert time.monotonic() < deadline, "the mixer never finished"
        announcer.update(time.monotonic())
        time.sleep(0.002)
    # THEN each call was played as one sound, the first then the second
    assert [names for _, names in player.plays] == [
        announcement_clips(first, english=False),
        announcement_clips(second, english=False),
    ]
    # AND the second started only once the channel had finished the first
    assert player.overlaps == []
    (start_1, names_1), (start_2, _) = player.plays
    assert start_2 - start_1 >= announcement_seconds(names_1, player.length, announcer.pauses)
    assert [call_id for call_id, _ in announcer.spoken] == [first.id, second.id]


@pytest.mark.usefixtures("mixer")
def test_the_real_player_lays_each_clip_at_its_sample(tone_pack: Path) -> None:
    # GIVEN the real player and the timeline of a call
    pack = VoicePack.load(tone_pack, english=False)
    player = PygameClipPlayer(pack)
    clips = announcement_clips(call("A023", 5), english=False)
    cues, seconds = timeline(clips, player.length, Pauses(word=0.01, chime=0.1, phrase=0.2))
    # WHEN the announcement is composed into one sound
    samples = player.compose(cues)
    # THEN each clip's samples begin at the frame of its offset, silence between them
    rate = 22050
    for cue in cues:
        raw = pygame.mixer.Sound(pack.path(cue.name)).get_raw()
        start = round(cue.at * rate) * 2
        assert samples[start : start + len(raw)] == raw, cue.name
    assert len(samples) / 2 / rate == pytest.approx(seconds, abs=1 / rate)
    gap_start = round((cues[0].at + player.length("chime")) * rate) * 2
    assert samples[gap_start : round(cues[1].at * rate) * 2].strip(b"\x00") == b""


@pytest.mark.usefixtures("mixer")
def test_the_real_player_loads_every_clip(tone_pack: Path) -> None:
    # GIVEN a pack without English, and a real player on it
    player = PygameClipPlayer(VoicePack.load(tone_pack, english=False))
    assert player.length("chime") == pytest.approx(TONE_SECONDS, abs=1 / 22050)
    # WHEN a clip is played THEN the channel is busy with it, then free again
    player.play([Cue("chime", 0.0)])
    assert player.busy()
    deadline = time.monotonic() + 2
    while player.busy():
        assert time.monotonic() < deadline
        time.sleep(0.005)
    # AND a clip the pack was not loaded with is skipped, not a crash
    assert player.length("en/counter") == 0.0
    player.play([Cue("en/counter", 0.0)])
    assert not player.busy()
    # AND an announcement can be cut short
    player.play([Cue("chime", 0.0), Cue("nomor", 1.0)])
    player.stop()
    assert not player.busy()


def test_the_real_player_needs_the_mixer(tone_pack: Path) -> None:
    # GIVEN no mixer initialised WHEN a player is made THEN the error says so
    pygame.mixer.quit()
    with pytest.raises(AntreError, match=r"pygame\.mixer is not initialised"):
        PygameClipPlayer(VoicePack.load(tone_pack))
