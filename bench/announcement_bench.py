"""How long the lobby display takes to say a call, and how long calls wait in a burst.

Issue #16's goals: a typical call ("A023, loket 5") said within 4.0 s, chime (at most
0.8 s) included; under a burst, no call said minutes late.

First the default voice pack is made with espeak-ng (`antre-voice-pack --english`, into a
temporary folder) and its clips measured. An announcement's length is its clips' lengths
plus the announcer's pauses (`display.announcer.timeline`): exactly what is played, as
one sound. Printed: the chime, the typical call, "Q999, loket 23" and the longest call of
the example site (every ticket 001-999 of every service at every counter serving it),
each with and without English, beside the goal and the figures issue #16 measured before.

Then bursts, in simulated time (no waiting): N counters of the example site each call a
ticket within ten seconds (random moments, 20 draws), and the display's own `Board` and
`Announcer` run frame by frame at 30 fps, with a player whose announcements last what the
generated pack's clips last. For each burst, of 10 and of 26 calls, with and without
English: the longest delay from a call's arrival to its first word (the first word after
the chime), how many calls were not said (waited more than `max_wait`: shown only), and
when the last word was said. The same runs with the burst policy off (every call said in
full, in turn, however long it waits: what the display did before) show what it saves.
Every frame also checks that the call being spoken is the one on top of the screen.
"""

import datetime as dt
import logging
import random
import sys
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from contract.messages import CallEvent
from contract.site import Display, Site
from contract.site_loader import load_site
from display.announcer import (
    Announcer,
    Cue,
    Pauses,
    announcement_clips,
    announcement_seconds,
)
from display.board import Board
from display.main import FRAMES_PER_SECOND
from display.voice import CHIME, clip_file, required_clips
from display.voice_pack_generator import GeneratorError, generate

SITE_FILE = Path(__file__).resolve().parent.parent / "examples" / "samarinda" / "site.toml"
NOW = dt.datetime(2026, 11, 30, 9, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))

# Issue #16: the goals, and what it measured before.
GOAL_TYPICAL_SECONDS = 4.0
GOAL_CHIME_SECONDS = 0.8
BEFORE_SECONDS = {"typical": 7.4, "Q999, loket 23": 10.5}
# Bursts: so many calls within BURST_SECONDS, drawn BURST_DRAWS times.
BURSTS = (10, 26)
BURST_SECONDS = 10.0
BURST_DRAWS = 20
# The goals stated for a burst (docs/display.md, "Bursts"): the longest wait from a call
# to its first word; a burst of ten said whole, of 26 with at most five (the newest, on
# the board) not said. A call is never said after `Announcer.max_wait`, 60 s (and the
# chime before its first word).
GOAL_BURST = {10: (35.0, 0), 26: (61.0, 5)}
FRAME = 1 / FRAMES_PER_SECOND


def main() -> None:
    # Each call not said is logged as a warning: thousands of lines over the draws.
    logging.getLogger("display.announcer").setLevel(logging.ERROR)
    site = load_site(SITE_FILE)
    with tempfile.TemporaryDirectory(prefix="antre-bench-voice-") as folder:
        try:
            generate(Path(folder), english=True)
        except GeneratorError as e:
            print(f"Announcements: skipped, the voice pack cannot be made: {e}")
            return
        lengths = _clip_lengths(Path(folder))
    _print_lengths(site, lengths)
    print()
    _print_bursts(site, lengths)


def _clip_lengths(folder: Path) -> dict[str, float]:
    lengths = {}
    for name in required_clips(english=True):
        with wave.open(str(folder / clip_file(name)), "rb") as wav:
            lengths[name] = wav.getnframes() / wav.getframerate()
    return lengths


def _call(number: str, counter: int, call_id: str = "bench") -> CallEvent:
    return CallEvent(
        id=call_id,
        kind="called",
        number=number,
        service=number.rstrip("0123456789"),
        counter=counter,
        counter_name=f"Loket {counter}",
        at=NOW.isoformat(),
    )


# -- announcement lengths ----------------------------------------------------------------


def _seconds(call: CallEvent, lengths: dict[str, float], english: bool) -> float:
    return announcement_seconds(announcement_clips(call, english=english), lengths.__getitem__)


def _longest_call(site: Site, lengths: dict[str, float], english: bool) -> tuple[float, str]:
    """The longest announcement of the example site: every ticket 001-999 of every
    service, at each counter serving it. (The ticket and the counter add up: the longest
    ticket of a service at its longest counter.)"""
    best = (0.0, "")
    for service in site.services:
        counters = [c.number for c in site.counters if service.prefix in c.services]
        if not counters:
            continue
        counter = max(counters, key=lambda n: _seconds(_call("A001", n), lengths, english))
        for n in range(1, 1000):
            number = f"{service.prefix}{n:03d}"
            seconds = _seconds(_call(number, counter), lengths, english)
            best = max(best, (seconds, f"{number}, loket {counter}"))
    return best


def _print_lengths(site: Site, lengths: dict[str, float]) -> None:
    pauses = Pauses()
    print(
        "Announcement lengths: default voice pack (espeak-ng), clips end to end with the "
        f"announcer's pauses (chime {pauses.chime:g} s, phrase {pauses.phrase:g} s, "
        f"word {pauses.word:g} s, before English {pauses.language:g} s); seconds"
    )
    print(f"{'call':>34} {'Indonesian':>11} {'+ English':>10} {'goal':>6} {'before':>7}")
    chime = lengths[CHIME]
    print(f"{'chime':>34} {chime:>11.2f} {'':>10} {GOAL_CHIME_SECONDS:>6.1f} {1.7:>7.1f}")
    rows = [
        ("typical: A023, loket 5", _call("A023", 5), GOAL_TYPICAL_SECONDS, "typical"),
        ("Q999, loket 23", _call("Q999", 23), None, "Q999, loket 23"),
    ]
    for label, call, goal, before in rows:
        indonesian = _seconds(call, lengths, english=False)
        english = _seconds(call, lengths, english=True)
        goal_text = f"{goal:.1f}" if goal else "-"
        print(
            f"{label:>34} {indonesian:>11.2f} {english:>10.2f} {goal_text:>6} "
            f"{BEFORE_SECONDS[before]:>7.1f}"
        )
    longest, which = _longest_call(site, lengths, english=False)
    longest_en, which_en = _longest_call(site, lengths, english=True)
    print(f"{'longest of the site: ' + which:>34} {longest:>11.2f} {'':>10} {'-':>6} {'':>7}")
    print(f"{'longest with English: ' + which_en:>34} {'':>11} {longest_en:>10.2f} {'-':>6}")
    verdict = "within" if _seconds(rows[0][1], lengths, False) <= GOAL_TYPICAL_SECONDS else "OVER"
    print(f"the typical call is {verdict} the {GOAL_TYPICAL_SECONDS:.1f} s goal")


# -- bursts ------------------------------------------------------------------------------


class _SimulatedPlayer:
    """Plays announcements in simulated time, each clip as long as the pack's."""

    def __init__(self, lengths: dict[str, float]) -> None:
        self._lengths = lengths
        self.now = 0.0
        self._until = 0.0
        # Each announcement played: (when, its cues).
        self.played: list[tuple[float, list[Cue]]] = []

    def length(self, name: str) -> float:
        return self._lengths.get(name, 0.0)

    def play(self, cues: Sequence[Cue]) -> None:
        self.played.append((self.now, list(cues)))
        last = cues[-1]
        self._until = self.now + last.at + self.length(last.name)

    def stop(self) -> None:
        self._until = self.now

    def busy(self) -> bool:
        return self.now < self._until


@dataclass
class _Burst:
    """What one burst came to (seconds from the first call)."""

    longest_wait: float = 0.0
    said: int = 0
    skipped: int = 0
    last_word: float = 0.0
    # Frames where the call being spoken was not the one on top of the screen.
    unseen_frames: int = 0


def _burst_calls(site: Site, size: int, rng: random.Random) -> list[tuple[float, CallEvent]]:
    """`size` counters of the site, each calling a ticket of a service it serves, at a
    random moment within BURST_SECONDS; in order of arrival."""
    counters = rng.sample([c for c in site.counters if c.services], size)
    moments = sorted(rng.uniform(0.0, BURST_SECONDS) for _ in counters)
    calls = []
    for i, (at, counter) in enumerate(zip(moments, counters, strict=True)):
        prefix = rng.choice(counter.services)
        number = f"{prefix}{rng.randint(1, 300):03d}"
        calls.append((at, _call(number, counter.number, f"burst-{i}")))
    return calls


def _run_burst(
    site: Site,
    lengths: dict[str, float],
    calls: list[tuple[float, CallEvent]],
    *,
    english: bool,
    policy: bool,
) -> _Burst:
    display = Display(id="display-bench", name="Bench", english=english)
    player = _SimulatedPlayer(lengths)
    announcer = Announcer(player, english=english)
    if not policy:
        # Before: every call in full, in turn, however long it waits.
        announcer.backlog = sys.maxsize
        announcer.max_wait = float("inf")
    board = Board(site, display, announcer.announce)
    arrived: dict[str, float] = {}
    first_words: dict[str, float] = {}
    pending = list(calls)
    result = _Burst()
    frame = 0
    while pending or not announcer.idle:
        now = frame * FRAME
        player.now = now
        while pending and pending[0][0] <= now:
            _, call = pending.pop(0)
            arrived[call.id] = now
            board.take_call(call, now)
        played = len(player.played)
        announcer.update(now)
        if len(player.played) > played and announcer.speaking is not None:
            started, cues = player.played[-1]
            first = next(cue for cue in cues if cue.name != CHIME)
            first_words.setdefault(announcer.speaking, started + first.at)
        if announcer.speaking is not None:
            shown = board.model(NOW, now, announcer.speaking, offline=False).newest
            if shown is None or shown.id != announcer.speaking:
                result.unseen_frames += 1
        frame += 1
    for call_id, word in first_words.items():
        result.longest_wait = max(result.longest_wait, word - arrived[call_id])
    result.said = len(first_words)
    result.skipped = announcer.skipped_count
    started, cues = player.played[-1]
    result.last_word = started + cues[-1].at + player.length(cues[-1].name)
    return result


def _worst(results: list[_Burst]) -> _Burst:
    return _Burst(
        longest_wait=max(r.longest_wait for r in results),
        said=min(r.said for r in results),
        skipped=max(r.skipped for r in results),
        last_word=max(r.last_word for r in results),
        unseen_frames=sum(r.unseen_frames for r in results),
    )


def _print_bursts(site: Site, lengths: dict[str, float]) -> None:
    policy = Announcer(_SimulatedPlayer(lengths))
    print(
        f"Bursts: N calls within {BURST_SECONDS:.0f} s, simulated at {FRAMES_PER_SECOND} fps "
        f"({BURST_DRAWS} random draws each, the worst shown). Policy: short form while "
        f"{policy.backlog}+ wait, calls waiting over {policy.max_wait:.0f} s shown only"
    )
    print(
        f"{'burst':>6} {'English':>8} {'policy':>7} {'call to first word, max':>24} "
        f"{'goal':>6} {'said':>5} {'not said':>9} {'goal':>5} {'last word at':>13} "
        f"{'unseen':>7}"
    )
    for size in BURSTS:
        draws = [_burst_calls(site, size, random.Random(seed)) for seed in range(BURST_DRAWS)]
        for english in (False, True):
            for on in (True, False):
                worst = _worst(
                    [
                        _run_burst(site, lengths, calls, english=english, policy=on)
                        for calls in draws
                    ]
                )
                wait, unsaid = GOAL_BURST[size]
                goals = (f"{wait:.0f}", f"{unsaid}") if on else ("-", "-")
                print(
                    f"{size:>6} {'yes' if english else 'no':>8} {'on' if on else 'off':>7} "
                    f"{worst.longest_wait:>22.1f} s {goals[0]:>6} {worst.said:>5} "
                    f"{worst.skipped:>9} {goals[1]:>5} {worst.last_word:>11.1f} s "
                    f"{worst.unseen_frames:>7}"
                )
    print(
        "(said: the fewest calls said in a draw; not said: the most left unsaid; unseen: "
        "frames, over every draw, where the call being spoken was not on top of the screen)"
    )


if __name__ == "__main__":
    main()
