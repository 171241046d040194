"""Speaks each call aloud: a chime, then "nomor antrean A dua puluh tiga, silakan menuju
loket lima", composed of the voice pack's clips (`display.voice`).

Calls wait in a first-in-first-out queue and are spoken one after the other, never over
each other. The display's main loop calls `Announcer.update(time.monotonic())` every
frame; there are no threads. A call id is spoken once (the same call delivered twice,
e.g. after a reconnect, is not repeated); a recall is a new event with its own id, so it
is spoken again. `speaking` is the id of the call being spoken, for the screen.

An announcement is played as one sound: its clips laid end to end at offsets computed
from their lengths and the pauses between them (`timeline`), so a word follows the one
before it to the sample, never a frame late.

When calls pile up (a burst: many counters calling at once), the queue is kept short
rather than long (docs/display.md, "Bursts"):

- while `backlog` calls (two) or more wait behind it, a call is said in its short form,
  "a dua puluh tiga, loket lima": no "nomor antrean" and "silakan menuju", no English,
  no repetition, and no chime but for the first call of the burst; the English of a
  call being said is dropped, in the pause before it, once that many calls wait;
- a call whose turn comes more than `max_wait` seconds after it arrived is not said at
  all: it was on the board when it came, and a clerk has stopped waiting for it.

The scheduling knows nothing of pygame: it drives a `ClipPlayer` (how long a clip lasts;
play an announcement; stop it; whether it is still playing). `PygameClipPlayer` is the
real one.
"""

import logging
import os
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame

from contract.errors import AntreError
from contract.messages import CallEvent
from display.terbilang import number_words, ticket_words
from display.voice import (
    CHIME,
    ENGLISH_TENS,
    ENGLISH_UNITS,
    VoicePack,
    VoicePackError,
)

log = logging.getLogger(__name__)

# `pygame.mixer.pre_init` before `pygame.init()`: the clips' 22.05 kHz, 16-bit, mono, and a
# short buffer, so a call starts as soon as it is played.
MIXER_SETTINGS = (22050, -16, 1, 512)

# -- what is said ------------------------------------------------------------------------


def announcement_clips(
    call: CallEvent,
    *,
    english: bool = False,
    counter_words: Callable[[int], Sequence[str]] = number_words,
) -> list[str]:
    """The clips of one announcement, in order:

    chime, "nomor antrean", the ticket ("a dua puluh tiga"), "silakan menuju loket",
    the counter ("lima"); then, if `english`, "number A zero two three, please go to
    counter five".

    The counter is read as "loket" and its number in words (`counter_words`, terbilang
    by default). A counter whose name is not "Loket N" (say "Loket Prioritas" or
    "Meja Informasi") is still announced by its number: the pack has no clip for free
    text, and the number is on the counter's sign as well. Raises ValueError for a ticket
    number or counter that cannot be read.
    """
    if call.counter < 0:
        raise ValueError(f"counter number {call.counter} cannot be read")
    clips = [
        CHIME,
        "nomor",
        "antrean",
        *ticket_words(call.number),
        "silakan",
        "menuju",
        "loket",
        *counter_words(call.counter),
    ]
    if english:
        clips += [
            "en/number",
            *english_ticket_words(call.number),
            "en/please-go-to",
            "en/counter",
            *english_number_words(call.counter),
        ]
    return clips


def short_clips(
    call: CallEvent, *, counter_words: Callable[[int], Sequence[str]] = number_words
) -> list[str]:
    """The short form said while other calls wait (no chime; the announcer adds it to
    the first call of a burst): the ticket, "loket", the counter: "a dua puluh tiga,
    loket lima". The same words as the full form, fewer of them."""
    if call.counter < 0:
        raise ValueError(f"counter number {call.counter} cannot be read")
    return [*ticket_words(call.number), "loket", *counter_words(call.counter)]


def english_ticket_words(number: str) -> list[str]:
    """A ticket in English clips, as printed: "A023" -> a, zero, two, three.

    The digits are read one by one, leading zeros included: that is how English queue
    announcements read a ticket, and it needs only ten number clips.
    """
    ticket_words(number)  # The same check as the Indonesian reading.
    return [
        f"en/{ENGLISH_UNITS[int(c)]}" if c.isdigit() else f"en/{c.lower()}" for c in number.strip()
    ]


def english_number_words(n: int) -> list[str]:
    """A counter number in English clips: 0-99 in words ("twenty", "five"), larger
    numbers digit by digit ("one", "two", "zero")."""
    if n < 0:
        raise ValueError(f"cannot read {n} in English")
    if n < 20:
        return [f"en/{ENGLISH_UNITS[n]}"]
    if n < 100:
        tens, units = divmod(n, 10)
        words = [f"en/{ENGLISH_TENS[tens - 2]}"]
        if units:
            words.append(f"en/{ENGLISH_UNITS[units]}")
        return words
    return [f"en/{ENGLISH_UNITS[int(c)]}" for c in str(n)]


# -- when it is said --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pauses:
    """The silences of an announcement, in seconds.

    `word` between two words of a phrase (a clip carries a few milliseconds of its own at
    each end); `chime` after the chime; `phrase` where the ticket ends and the counter
    begins ("...tiga | silakan menuju loket lima", "...tiga | loket lima"), so that the
    two numbers never run together; `language` before the English.
    """

    word: float = 0.0
    chime: float = 0.06
    phrase: float = 0.14
    language: float = 0.3

    def before(self, previous: str, name: str) -> float:
        """The pause between the clips `previous` and `name`."""
        if previous == CHIME:
            return self.chime
        if name == ENGLISH_START:
            return self.language
        if name in ("silakan", "en/please-go-to") or (name == "loket" and previous != "menuju"):
            return self.phrase
        return self.word


# The first clip of the English part.
ENGLISH_START = "en/number"


@dataclass(frozen=True, slots=True)
class Cue:
    """A clip of an announcement and when it starts, in seconds from the first clip."""

    name: str
    at: float


def timeline(
    clips: Sequence[str], length: Callable[[str], float], pauses: Pauses
) -> tuple[list[Cue], float]:
    """When each clip of an announcement starts, and how long the whole lasts (seconds):
    each clip after the one before it, its `length`, and the pause between them."""
    cues: list[Cue] = []
    at = 0.0
    previous: str | None = None
    for name in clips:
        if previous is not None:
            at += pauses.before(previous, name)
        cues.append(Cue(name, at))
        at += length(name)
        previous = name
    return cues, at


def announcement_seconds(
    clips: Sequence[str], length: Callable[[str], float], pauses: Pauses | None = None
) -> float:
    """How long an announcement of `clips` lasts, from the first clip to the end of the
    last (`length` gives each clip's seconds)."""
    return timeline(clips, length, pauses or Pauses())[1]


# -- who says it -------------------------------------------------------------------------


class ClipPlayer(Protocol):
    """Plays announcements made of a voice pack's clips, one at a time."""

    def length(self, name: str) -> float:
        """How long the clip lasts, in seconds (0 for a clip it does not have)."""
        ...

    def play(self, cues: Sequence[Cue]) -> None:
        """Starts an announcement: each clip at its offset, as one sound."""
        ...

    def stop(self) -> None:
        """Cuts the announcement being played short."""
        ...

    def busy(self) -> bool:
        """True while an announcement is being played."""
        ...


@dataclass(slots=True)
class _Utterance:
    call_id: str
    # The full announcement (with the English, if the display speaks it).
    clips: list[str]
    # How many more times the whole announcement is said after this one.
    repeats_left: int
    # The short form, said while other calls wait; empty: the full one.
    short: list[str] = field(default_factory=list)
    # When the call was queued (the announcer's clock): None until the next update.
    queued_at: float | None = None


@dataclass(slots=True)
class _Playing:
    """The announcement being played."""

    utterance: _Utterance
    clips: list[str]
    cues: list[Cue]
    started: float
    ends: float
    # The pause before the English (start, end; from `started`) and the index of its
    # first clip; None without English.
    english: tuple[float, float, int] | None = None


class Announcer:
    """Speaks calls in arrival order, one at a time, each `repeat` times in a row; says
    them shorter while `backlog` or more others wait, and skips the ones left waiting
    longer than `max_wait`.

    Seconds: `pauses` within an announcement, `repeat_gap` before a repetition,
    `call_gap` between two calls, `burst_gap` between two calls in a burst (no chime
    marks them then). `clip_timeout` is how long past its end an announcement may
    still be reported playing before the announcer moves on regardless (an audio device
    that stopped reporting must not silence every later call).
    """

    # How many call ids are remembered to refuse duplicates; far more than one display
    # sees on a day, small enough for a process that runs for months.
    REMEMBERED_IDS = 10_000
    # How many of the latest announcements `spoken` keeps, and of the calls `skipped`:
    # enough for the display's loop to log them and for a self-test to check them. All of
    # them, over the months a display runs, would grow it by some 600 bytes a call
    # (bench/footprint_bench.py).
    REMEMBERED_SPOKEN = 100

    def __init__(
        self,
        player: ClipPlayer,
        *,
        english: bool = False,
        repeat: int = 1,
        pauses: Pauses | None = None,
        repeat_gap: float = 0.6,
        call_gap: float = 0.8,
        burst_gap: float = 0.3,
        backlog: int = 2,
        max_wait: float = 60.0,
        clip_timeout: float = 2.0,
        counter_words: Callable[[int], Sequence[str]] = number_words,
    ) -> None:
        if repeat < 1:
            raise ValueError(f"repeat must be 1 or more, not {repeat}")
        self._player = player
        self.english = english
        self.repeat = repeat
        self.pauses = pauses or Pauses()
        self.repeat_gap = repeat_gap
        self.call_gap = call_gap
        self.burst_gap = burst_gap
        self.backlog = backlog
        self.max_wait = max_wait
        self.clip_timeout = clip_timeout
        self._counter_words = counter_words
        self._waiting: deque[_Utterance] = deque()
        # Queued since the last update, still without their time.
        self._unstamped: list[_Utterance] = []
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._playing: _Playing | None = None
        # The utterance being said (between its repetitions too).
        self._current: _Utterance | None = None
        self._not_before = -float("inf")
        # True from a call said while others waited until a call said with none waiting.
        self._in_burst = False
        # The id of the call being spoken (from its first clip to the end of its last
        # repetition), for the screen's highlight.
        self.speaking: str | None = None
        # The latest announcements said to the end, with their clips, oldest first: one
        # entry per repetition, at most 2 x REMEMBERED_SPOKEN. `spoken_count` counts every
        # one since the start.
        self.spoken: list[tuple[str, list[str]]] = []
        self.spoken_count = 0
        # The latest calls not said because they waited too long, oldest first;
        # `skipped_count` counts every one since the start.
        self.skipped: deque[str] = deque(maxlen=self.REMEMBERED_SPOKEN)
        self.skipped_count = 0

    @property
    def pending(self) -> int:
        """Calls waiting to be spoken (not counting the one being spoken)."""
        return len(self._waiting)

    @property
    def crowded(self) -> bool:
        """True while `backlog` or more calls wait: calls are said in the short form."""
        return len(self._waiting) >= self.backlog

    @property
    def idle(self) -> bool:
        """True when nothing is being spoken and nothing waits."""
        return self._current is None and not self._waiting

    def announce(self, call: CallEvent, now: float | None = None) -> bool:
        """Queues a call, arrived at `now` (the clock `update` is given; by default, the
        time of the next update); False (and nothing queued) for an id already announced
        or a call that cannot be read aloud (logged)."""
        if call.id in self._seen:
            return False
        self._remember(call.id)
        try:
            clips = announcement_clips(
                call, english=self.english, counter_words=self._counter_words
            )
            short = short_clips(call, counter_words=self._counter_words)
        except ValueError as e:
            log.error("call %s (%s) cannot be announced: %s", call.id, call.number, e)
            return False
        utterance = _Utterance(call.id, clips, self.repeat - 1, short, now)
        self._waiting.append(utterance)
        if now is None:
            self._unstamped.append(utterance)
        return True

    def update(self, now: float) -> None:
        """Moves the announcements on; call it every frame with `time.monotonic()`."""
        for utterance in self._unstamped:
            if utterance.queued_at is None:
                utterance.queued_at = now
        self._unstamped.clear()
        playing = self._playing
        if playing is not None:
            self._maybe_drop_english(playing, now)
            if now < playing.ends:
                return
            if self._player.busy() and now < playing.ends + self.clip_timeout:
                return
            self._playing = None
            self._said(playing, now)
        if now < self._not_before:
            return
        if self._current is None:
            self._current = self._next(now)
            if self._current is None:
                return
            self.speaking = self._current.call_id
        self._start(self._current, now)

    # -- the policy --

    def _next(self, now: float) -> _Utterance | None:
        """The next call to say; the ones that waited too long are skipped (logged)."""
        while self._waiting:
            utterance = self._waiting.popleft()
            waited = now - (utterance.queued_at if utterance.queued_at is not None else now)
            if waited <= self.max_wait:
                return utterance
            self.skipped.append(utterance.call_id)
            self.skipped_count += 1
            log.warning(
                "not announcing %s: it waited %.0f s (more than %.0f s), shown only",
                utterance.call_id,
                waited,
                self.max_wait,
            )
        return None

    def _start(self, utterance: _Utterance, now: float) -> None:
        if self.crowded and utterance.short:
            # Others wait: the short form, once; the chime only to open the burst.
            clips = utterance.short if self._in_burst else [CHIME, *utterance.short]
            utterance.repeats_left = 0
            self._in_burst = True
        else:
            clips = utterance.clips
            self._in_burst = False
        cues, seconds = timeline(clips, self._player.length, self.pauses)
        waited = now - (utterance.queued_at if utterance.queued_at is not None else now)
        log.info(
            "announcing %s after %.1f s (%.1f s, %d waiting): %s",
            utterance.call_id,
            waited,
            seconds,
            len(self._waiting),
            " ".join(clips),
        )
        self._player.play(cues)
        self._playing = _Playing(
            utterance, list(clips), cues, now, now + seconds, self._english_pause(cues)
        )

    def _english_pause(self, cues: list[Cue]) -> tuple[float, float, int] | None:
        first = next((i for i, c in enumerate(cues) if c.name == ENGLISH_START), None)
        if not first:
            return None
        before = cues[first - 1]
        return before.at + self._player.length(before.name), cues[first].at, first

    def _maybe_drop_english(self, playing: _Playing, now: float) -> None:
        """Cuts the English of the announcement being played once another call waits,
        in the pause before it (never in a word)."""
        if playing.english is None or not self.crowded:
            return
        pause_start, pause_end, first = playing.english
        if not pause_start <= now - playing.started < pause_end:
            return
        self._player.stop()
        playing.english = None
        playing.clips = playing.clips[:first]
        playing.utterance.repeats_left = 0
        playing.ends = now
        log.info(
            "dropped the English of %s: %d calls wait", playing.utterance.call_id, self.pending
        )

    def _said(self, playing: _Playing, now: float) -> None:
        current = playing.utterance
        self.spoken.append((current.call_id, playing.clips))
        self.spoken_count += 1
        if len(self.spoken) > 2 * self.REMEMBERED_SPOKEN:
            # Cut by half at a time: deleting a list's head one entry at a time is dear.
            del self.spoken[: -self.REMEMBERED_SPOKEN]
        if current.repeats_left > 0 and not self.crowded:
            current.repeats_left -= 1
            self._not_before = now + self.repeat_gap
            return
        self._current = None
        self.speaking = None
        self._not_before = now + (self.burst_gap if self._in_burst else self.call_gap)

    def _remember(self, call_id: str) -> None:
        self._seen[call_id] = None
        while len(self._seen) > self.REMEMBERED_IDS:
            self._seen.popitem(last=False)


class PygameClipPlayer:
    """Plays a voice pack's announcements on one reserved pygame mixer channel.

    Every clip is loaded as a `pygame.mixer.Sound` here, at start-up; a clip pygame
    cannot load raises `VoicePackError` naming it. An announcement is laid out as one
    sound, its clips at their offsets with silence between them, so its words follow each
    other to the sample whatever the frame rate. The mixer must be initialised first
    (`pygame.mixer.pre_init()` before `pygame.init()` or `pygame.mixer.init()`).
    """

    def __init__(self, pack: VoicePack, channel: int = 0) -> None:
        settings = pygame.mixer.get_init()
        if not settings:
            raise AntreError(
                "pygame.mixer is not initialised: call pygame.mixer.pre_init() and then "
                "pygame.init() or pygame.mixer.init() before loading the voice pack"
            )
        rate, size, channels = settings
        sounds: dict[str, pygame.mixer.Sound] = {}
        problems: dict[str, str] = {}
        for name, path in pack.clips.items():
            try:
                sounds[name] = pygame.mixer.Sound(path)
            except pygame.error as e:
                problems[str(path.relative_to(pack.folder))] = f"pygame cannot load it: {e}"
        if problems:
            raise VoicePackError(pack.folder, problems)
        self._sounds = sounds
        # The clips as the mixer holds them (its rate, sample format and channels).
        self._raw = {name: sound.get_raw() for name, sound in sounds.items()}
        self._rate = rate
        self._frame_bytes = abs(size) // 8 * channels
        self._silence = _silent_frame(size, channels)
        # Reserved, so sounds played elsewhere with find_channel() never take it.
        pygame.mixer.set_reserved(channel + 1)
        self._channel = pygame.mixer.Channel(channel)
        # The announcement being played: the channel plays it from this reference.
        self._sound: pygame.mixer.Sound | None = None

    def length(self, name: str) -> float:
        raw = self._raw.get(name)
        return 0.0 if raw is None else len(raw) / self._frame_bytes / self._rate

    def compose(self, cues: Sequence[Cue]) -> bytes:
        """An announcement as the mixer plays it: each clip's samples from the frame of
        its offset, silence between them."""
        parts: list[bytes] = []
        frames = 0
        for cue in cues:
            raw = self._raw.get(cue.name)
            if raw is None:
                # E.g. English asked of a pack loaded without it: skip the word, keep going.
                log.error("voice pack has no clip %r", cue.name)
                continue
            start = round(cue.at * self._rate)
            if start > frames:
                parts.append(self._silence * (start - frames))
                frames = start
            parts.append(raw)
            frames += len(raw) // self._frame_bytes
        return b"".join(parts)

    def play(self, cues: Sequence[Cue]) -> None:
        samples = self.compose(cues)
        if not samples:
            return
        self._sound = pygame.mixer.Sound(buffer=samples)
        self._channel.play(self._sound)

    def stop(self) -> None:
        self._channel.stop()

    def busy(self) -> bool:
        return bool(self._channel.get_busy())


def _silent_frame(size: int, channels: int) -> bytes:
    """One frame of silence in the mixer's format: zero for signed and float samples,
    the middle of the range for unsigned ones (8 or 16 bits, little-endian)."""
    if size == 8:
        sample = b"\x80"
    elif size == 16:
        sample = b"\x00\x80"
    else:
        sample = bytes(abs(size) // 8)
    return sample * channels
