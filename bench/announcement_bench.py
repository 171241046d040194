"""How long the lobby display takes to say a call.

Issue #16's goal: a typical call ("A023, loket 5") said within 4.0 s, chime (at most
0.8 s) included.

First the default voice pack is made with espeak-ng (`antre-voice-pack --english`, into a
temporary folder) and its clips measured. An announcement's length is its clips' lengths
plus the announcer's pauses (`display.announcer.timeline`): exactly what is played, as
one sound. Printed: the chime, the typical call, "Q999, loket 23" and the longest call of
the example site (every ticket 001-999 of every service at every counter serving it),
each with and without English, beside the goal and the figures issue #16 measured before.
"""

import datetime as dt
import tempfile
import wave
from pathlib import Path

from contract.messages import CallEvent
from contract.site import Site
from contract.site_loader import load_site
from display.announcer import Pauses, announcement_clips, announcement_seconds
from display.voice import CHIME, clip_file, required_clips
from display.voice_pack_generator import GeneratorError, generate

SITE_FILE = Path(__file__).resolve().parent.parent / "examples" / "samarinda" / "site.toml"
NOW = dt.datetime(2026, 11, 30, 9, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))

# Issue #16: the goals, and what it measured before.
GOAL_TYPICAL_SECONDS = 4.0
GOAL_CHIME_SECONDS = 0.8
BEFORE_SECONDS = {"typical": 7.4, "Q999, loket 23": 10.5}


def main() -> None:
    site = load_site(SITE_FILE)
    with tempfile.TemporaryDirectory(prefix="antre-bench-voice-") as folder:
        try:
            generate(Path(folder), english=True)
        except GeneratorError as e:
            print(f"Announcements: skipped, the voice pack cannot be made: {e}")
            return
        lengths = _clip_lengths(Path(folder))
    _print_lengths(site, lengths)


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


if __name__ == "__main__":
    main()
