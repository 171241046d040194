"""Speaks each call aloud: a chime, then "nomor antrean A dua puluh tiga, silakan menuju
loket lima", composed of the voice pack's clips (`display.voice`).

Calls wait in a first-in-first-out queue and are spoken one after the other, never over
each other: one clip at a time on one mixer channel. The display's main loop calls
`Announcer.update(time.monotonic())` every frame; there are no threads. A call id is
spoken once (the same call delivered twice, e.g. after a reconnect, is not repeated); a
recall is a new event with its own id, so it is spoken again. `speaking` is the id of
the call being spoken, for the screen's highlight.

The scheduling knows nothing of pygame: it drives a `ClipPlayer` (play a clip, say
whether one is playing). `PygameClipPlayer` is the real one.
"""

import logging
import os
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


# -- who says it -------------------------------------------------------------------------


class ClipPlayer(Protocol):
    """Plays clips of a voice pack by name, one at a time."""

    def play(self, name: str) -> None: ...

    def busy(self) -> bool: ...


@dataclass(slots=True)
class _Utterance:
    call_id: str
    clips: list[str]
    # How many more times the whole announcement is said after this one.
    repeats_left: int


class Announcer:
    """Speaks calls in arrival order, one at a time, each `repeat` times in a row.

    Gaps, in seconds: `clip_gap` between the clips of one announcement, `repeat_gap`
    before a repetition, `call_gap` between two calls. `clip_timeout` is how long a clip
    may play before the announcer moves on regardless (an audio device that stopped
    reporting must not silence every later call).
    """

    # How many call ids are remembered to refuse duplicates; far more than one display
    # sees on a day, small enough for a process that runs for months.
    REMEMBERED_IDS = 10_000
    # How many of the latest announcements `spoken` keeps: enough for the display's loop
    # to log them and for a self-test to check them. All of them, over the months a
    # display runs, would grow it by some 600 bytes a call (bench/footprint_bench.py).
    REMEMBERED_SPOKEN = 100

    def __init__(
        self,
        player: ClipPlayer,
        *,
        english: bool = False,
        repeat: int = 1,
        clip_gap: float = 0.04,
        repeat_gap: float = 0.8,
        call_gap: float = 1.2,
        clip_timeout: float = 15.0,
        counter_words: Callable[[int], Sequence[str]] = number_words,
    ) -> None:
        if repeat < 1:
            raise ValueError(f"repeat must be 1 or more, not {repeat}")
        self._player = player
        self.english = english
        self.repeat = repeat
        self.clip_gap = clip_gap
        self.repeat_gap = repeat_gap
        self.call_gap = call_gap
        self.clip_timeout = clip_timeout
        self._counter_words = counter_words
        self._waiting: deque[_Utterance] = deque()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._current: _Utterance | None = None
        self._next_clip = 0
        self._playing_since: float | None = None
        self._not_before = -float("inf")
        # The id of the call being spoken (from its first clip to the end of its last
        # repetition), for the screen's highlight.
        self.speaking: str | None = None
        # The latest announcements said to the end, with their clips, oldest first: one
        # entry per repetition, at most 2 x REMEMBERED_SPOKEN. `spoken_count` counts every
        # one since the start.
        self.spoken: list[tuple[str, list[str]]] = []
        self.spoken_count = 0

    @property
    def pending(self) -> int:
        """Calls waiting to be spoken (not counting the one being spoken)."""
        return len(self._waiting)

    @property
    def idle(self) -> bool:
        """True when nothing is being spoken and nothing waits."""
        return self._current is None and not self._waiting

    def announce(self, call: CallEvent) -> bool:
        """Queues a call; False (and nothing queued) for an id already announced or a
        call that cannot be read aloud (logged)."""
        if call.id in self._seen:
            return False
        self._remember(call.id)
        try:
            clips = announcement_clips(
                call, english=self.english, counter_words=self._counter_words
            )
        except ValueError as e:
            log.error("call %s (%s) cannot be announced: %s", call.id, call.number, e)
            return False
        self._waiting.append(_Utterance(call.id, clips, self.repeat - 1))
        return True

    def update(self, now: float) -> None:
        """Moves the announcements on; call it every frame with `time.monotonic()`."""
        if self._playing_since is not None:
            if self._player.busy() and now - self._playing_since < self.clip_timeout:
                return
            self._playing_since = None
            self._clip_done(now)
        if now < self._not_before:
            return
        if self._current is None:
            if not self._waiting:
                return
            self._current = self._waiting.popleft()
            self._next_clip = 0
            self.speaking = self._current.call_id
        self._player.play(self._current.clips[self._next_clip])
        self._next_clip += 1
        self._playing_since = now

    def _clip_done(self, now: float) -> None:
        current = self._current
        assert current is not None
        if self._next_clip < len(current.clips):
            self._not_before = now + self.clip_gap
            return
        self.spoken.append((current.call_id, list(current.clips)))
        self.spoken_count += 1
        if len(self.spoken) > 2 * self.REMEMBERED_SPOKEN:
            # Cut by half at a time: deleting a list's head one entry at a time is dear.
            del self.spoken[: -self.REMEMBERED_SPOKEN]
        if current.repeats_left > 0:
            current.repeats_left -= 1
            self._next_clip = 0
            self._not_before = now + self.repeat_gap
            return
        self._current = None
        self.speaking = None
        self._not_before = now + self.call_gap

    def _remember(self, call_id: str) -> None:
        self._seen[call_id] = None
        while len(self._seen) > self.REMEMBERED_IDS:
            self._seen.popitem(last=False)


class PygameClipPlayer:
    """Plays a voice pack's clips on one reserved pygame mixer channel.

    Every clip is loaded as a `pygame.mixer.Sound` here, at start-up; a clip pygame
    cannot load raises `VoicePackError` naming it. The mixer must be initialised first
    (`pygame.mixer.pre_init()` before `pygame.init()` or `pygame.mixer.init()`).
    """

    def __init__(self, pack: VoicePack, channel: int = 0) -> None:
        if not pygame.mixer.get_init():
            raise AntreError(
                "pygame.mixer is not initialised: call pygame.mixer.pre_init() and then "
                "pygame.init() or pygame.mixer.init() before loading the voice pack"
            )
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
        # Reserved, so sounds played elsewhere with find_channel() never take it.
        pygame.mixer.set_reserved(channel + 1)
        self._channel = pygame.mixer.Channel(channel)

    def play(self, name: str) -> None:
        sound = self._sounds.get(name)
        if sound is None:
            # E.g. English asked of a pack loaded without it: skip the word, keep going.
            log.error("voice pack has no clip %r", name)
            return
        self._channel.play(sound)

    def busy(self) -> bool:
        return bool(self._channel.get_busy())
