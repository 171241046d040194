"""The announcer: what is said for a call, and that calls are said one after the other.

The tests drive the `Announcer` with a fake player on a fake clock, frame by frame as
the display's main loop does (the real pygame mixer: test_announcer_mixer.py).
"""

import itertools
import logging
import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from display.announcer import (
    Announcer,
    Pauses,
    announcement_clips,
    english_number_words,
    short_clips,
    timeline,
)
from display.voice import required_clips
from tests.announcer_fixtures import (
    CHIME_AND_INTRO,
    FPS,
    GO_TO_COUNTER,
    Clock,
    FakePlayer,
    StuckPlayer,
    call,
    run,
    run_until_idle,
)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def player(clock: Clock) -> FakePlayer:
    return FakePlayer(clock)


# -- what is said ------------------------------------------------------------------------


def test_a023_at_loket_5() -> None:
    # GIVEN A023 called to Loket 5
    # WHEN its announcement is composed
    clips = announcement_clips(call("A023", 5), english=False)
    # THEN it is the chime, then "nomor antrean a dua puluh tiga silakan menuju loket lima"
    assert clips == [*CHIME_AND_INTRO, "a", "dua", "puluh", "tiga", *GO_TO_COUNTER, "lima"]


def test_b110_at_loket_12() -> None:
    clips = announcement_clips(call("B110", 12), english=False)
    assert clips == [*CHIME_AND_INTRO, "be", "seratus", "sepuluh", *GO_TO_COUNTER, "dua", "belas"]


def test_english_follows_the_indonesian() -> None:
    # GIVEN A023 called to Loket 5, with English on
    # WHEN its announcement is composed
    clips = announcement_clips(call("A023", 5), english=True)
    # THEN the Indonesian comes first, then "number A zero two three, please go to
    # counter five"
    indonesian = announcement_clips(call("A023", 5), english=False)
    assert clips[: len(indonesian)] == indonesian
    assert clips[len(indonesian) :] == [
        "en/number",
        "en/a",
        "en/zero",
        "en/two",
        "en/three",
        "en/please-go-to",
        "en/counter",
        "en/five",
    ]


@pytest.mark.parametrize(
    ("counter", "words"),
    [
        (0, ["en/zero"]),
        (12, ["en/twelve"]),
        (20, ["en/twenty"]),
        (25, ["en/twenty", "en/five"]),
        (99, ["en/ninety", "en/nine"]),
        (120, ["en/one", "en/two", "en/zero"]),
    ],
)
def test_english_counter_numbers(counter: int, words: list[str]) -> None:
    assert english_number_words(counter) == words


def test_a_counter_not_named_loket_n_is_still_read_by_number() -> None:
    # GIVEN counter 20 named "Loket Prioritas"
    clips = announcement_clips(call("P004", 20, counter_name="Loket Prioritas"), english=False)
    # THEN it is announced as "loket dua puluh"
    assert clips[-5:] == [*GO_TO_COUNTER, "dua", "puluh"]


def test_every_clip_an_announcement_uses_is_in_the_pack() -> None:
    # GIVEN every letter, two-letter prefixes, numbers across the range and counters 0-150
    pack = set(required_clips(english=True))
    numbers = [*range(0, 10_000, 7), 9999, 1000, 11, 10]
    for i, n in enumerate(numbers):
        letter = chr(ord("A") + i % 26)
        prefix = letter if i % 3 else letter + chr(ord("A") + (i * 7) % 26)
        # WHEN its announcement is composed with English
        clips = announcement_clips(call(f"{prefix}{n:03d}", i % 151), english=True)
        # THEN the pack holds every clip it needs
        assert set(clips) <= pack, (prefix, n)


def test_a_call_that_cannot_be_read_is_logged_not_spoken(
    player: FakePlayer, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a call whose number is not letters then digits
    announcer = Announcer(player)
    # WHEN it is announced
    queued = announcer.announce(call("??", 3, call_id="bad"))
    run(announcer, clock, 5)
    # THEN nothing is played and the error is logged with the call's id
    assert queued is False
    assert player.plays == []
    assert "bad" in caplog.text


# -- one after the other -----------------------------------------------------------------


def test_two_calls_in_quick_succession_are_spoken_one_after_the_other(
    player: FakePlayer, clock: Clock
) -> None:
    # GIVEN two calls arriving in the same moment
    announcer = Announcer(player, call_gap=1.0)
    first, second = call("A023", 5), call("B110", 12)
    assert announcer.announce(first)
    assert announcer.announce(second)
    # WHEN the main loop runs
    run_until_idle(announcer, clock)
    # THEN every clip of the first is played, then every clip of the second
    first_clips = announcement_clips(first, english=False)
    second_clips = announcement_clips(second, english=False)
    assert player.names() == first_clips + second_clips
    # AND no clip started while another was playing
    assert player.overlaps == []
    # AND the second started at least the gap after the first's last clip ended
    last_of_first = player.plays[len(first_clips) - 1][0]
    first_of_second = player.plays[len(first_clips)][0]
    assert first_of_second >= last_of_first + player.seconds + 1.0
    assert announcer.spoken == [(first.id, first_clips), (second.id, second_clips)]


def test_a_call_arriving_mid_announcement_waits_its_turn(player: FakePlayer, clock: Clock) -> None:
    # GIVEN a call being spoken
    announcer = Announcer(player)
    first, second = call("A023", 5), call("A024", 6)
    announcer.announce(first)
    run(announcer, clock, 1.0)
    # WHEN a second call arrives half-way through
    announcer.announce(second)
    assert announcer.pending == 1
    run_until_idle(announcer, clock)
    # THEN the first is finished before the second starts, with no overlap
    assert [call_id for call_id, _ in announcer.spoken] == [first.id, second.id]
    assert player.names() == (
        announcement_clips(first, english=False) + announcement_clips(second, english=False)
    )
    assert player.overlaps == []


def test_a_duplicate_call_id_is_spoken_once(player: FakePlayer, clock: Clock) -> None:
    # GIVEN a call announced
    announcer = Announcer(player)
    event = call("A023", 5)
    assert announcer.announce(event)
    # WHEN the same event comes again, while waiting and after it was spoken
    assert announcer.announce(event) is False
    run_until_idle(announcer, clock)
    assert announcer.announce(event) is False
    run(announcer, clock, 10)
    # THEN it was spoken once
    assert announcer.spoken == [(event.id, announcement_clips(event, english=False))]
    assert player.names().count("chime") == 1


def test_a_recall_is_spoken_again(player: FakePlayer, clock: Clock) -> None:
    # GIVEN A023 called and spoken
    announcer = Announcer(player)
    first = call("A023", 5, call_id="c-1")
    announcer.announce(first)
    run_until_idle(announcer, clock)
    # WHEN the clerk recalls it (a new event with its own id)
    recall = call("A023", 5, call_id="c-2", kind="recalled")
    assert announcer.announce(recall)
    run_until_idle(announcer, clock)
    # THEN it is spoken again, the same words
    assert [call_id for call_id, _ in announcer.spoken] == ["c-1", "c-2"]
    assert announcer.spoken[0][1] == announcer.spoken[1][1]
    assert player.names().count("chime") == 2


def test_repeat_2_speaks_each_call_twice_in_a_row(player: FakePlayer, clock: Clock) -> None:
    # GIVEN an announcer set to repeat each call twice, and two calls
    announcer = Announcer(player, repeat=2, repeat_gap=0.5)
    first, second = call("A023", 5), call("B110", 12)
    announcer.announce(first)
    announcer.announce(second)
    # WHEN they are spoken
    run_until_idle(announcer, clock)
    # THEN each is said twice, the repetition before the next call
    assert [call_id for call_id, _ in announcer.spoken] == [
        first.id,
        first.id,
        second.id,
        second.id,
    ]
    once_first = announcement_clips(first, english=False)
    once_second = announcement_clips(second, english=False)
    assert player.names() == once_first * 2 + once_second * 2
    assert player.overlaps == []


def test_repeat_must_be_at_least_once(player: FakePlayer) -> None:
    with pytest.raises(ValueError, match="repeat"):
        Announcer(player, repeat=0)


def test_speaking_tracks_the_call_being_spoken(player: FakePlayer, clock: Clock) -> None:
    # GIVEN an idle announcer
    announcer = Announcer(player, repeat=2)
    assert announcer.speaking is None
    first, second = call("A023", 5), call("B110", 12)
    # WHEN two calls are spoken
    announcer.announce(first)
    announcer.announce(second)
    seen = run_until_idle(announcer, clock)
    # THEN `speaking` is the first id, then the second, then nothing: never back
    # to the first, and not None while a call (with its repetition) is being said
    changes = [s for i, s in enumerate(seen) if i == 0 or s != seen[i - 1]]
    assert changes == [first.id, None, second.id, None]
    assert announcer.speaking is None
    # AND while the first was spoken, the second had not started
    first_frames = [i for i, s in enumerate(seen) if s == first.id]
    assert len(first_frames) == first_frames[-1] - first_frames[0] + 1


def test_english_is_spoken_after_the_indonesian(clock: Clock) -> None:
    player = FakePlayer(clock, seconds=0.1)
    announcer = Announcer(player, english=True)
    announcer.announce(call("A023", 5))
    run_until_idle(announcer, clock)
    assert player.names() == announcement_clips(call("A023", 5), english=True)
    assert player.names()[-1] == "en/five"


def test_a_stuck_audio_device_does_not_stop_the_announcements(clock: Clock) -> None:
    # GIVEN a player that never reports an announcement as finished
    player = StuckPlayer(clock)
    announcer = Announcer(player, clip_timeout=2.0, call_gap=0.5)
    first, second = call("A023", 5), call("B110", 12)
    announcer.announce(first)
    announcer.announce(second)
    # WHEN the main loop runs on
    run_until_idle(announcer, clock, limit=60)
    # THEN both were still played, the second once the first's end plus the timeout passed
    (start_1, cues_1), (start_2, _) = player.announcements
    end_1 = start_1 + cues_1[-1].at + player.length(cues_1[-1].name)
    assert start_2 >= end_1 + 2.0 + 0.5
    assert [call_id for call_id, _ in announcer.spoken] == [first.id, second.id]


def test_a_call_is_logged_when_it_starts_and_when_it_ends(
    player: FakePlayer, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a call announced
    caplog.set_level(logging.INFO, logger="display.announcer")
    announcer = Announcer(player)
    announcer.announce(call("A023", 5, call_id="c-7"))
    # WHEN its first clip is played
    run(announcer, clock, 1 / FPS)
    # THEN the log already says it is being announced, with its words
    assert "announcing c-7 after 0.0 s" in caplog.text
    assert "nomor antrean a dua puluh tiga silakan menuju loket lima" in caplog.text


# -- word boundaries ---------------------------------------------------------------------

LENGTHS = {"chime": 0.55, "nomor": 0.31, "antrean": 0.47, "a": 0.153, "dua": 0.251}


@pytest.mark.parametrize("fps", [30, 7, 61])
def test_words_follow_each_other_to_the_sample_whatever_the_frame_rate(
    clock: Clock, fps: int
) -> None:
    # GIVEN clips of uneven lengths, none a whole number of frames
    player = FakePlayer(clock, seconds=0.2371, lengths=LENGTHS)
    pauses = Pauses(word=0.0, chime=0.06, phrase=0.14)
    announcer = Announcer(player, pauses=pauses)
    # WHEN a call is announced with the loop at `fps` frames a second
    clock.now = 0.013
    announcer.announce(call("A023", 5))
    run_until_idle(announcer, clock, fps=fps)
    # THEN each word starts when the one before it ends, plus the pause between them:
    # not at the next frame
    starts = [at for at, _ in player.plays]
    names = player.names()
    for i in range(1, len(names)):
        pause = (
            pauses.chime
            if names[i - 1] == "chime"
            else pauses.phrase
            if names[i] == "silakan"
            else pauses.word
        )
        expected = starts[i - 1] + player.length(names[i - 1]) + pause
        assert starts[i] == pytest.approx(expected, abs=1e-9), names[i]
    # AND the whole call is one announcement, started on the first frame
    assert len(player.announcements) == 1
    assert player.announcements[0][0] == pytest.approx(0.013)


def test_the_pauses_fall_between_the_parts_of_an_announcement() -> None:
    pauses = Pauses(word=0.01, chime=0.1, phrase=0.2, language=0.5)
    full = announcement_clips(call("A023", 5), english=True)
    cues, seconds = timeline(full, lambda name: 1.0, pauses)
    gaps = {
        cue.name: round(cue.at - before.at - 1.0, 6) for before, cue in itertools.pairwise(cues)
    }
    assert gaps["nomor"] == 0.1  # after the chime
    assert gaps["silakan"] == 0.2  # between the ticket and the counter
    assert gaps["en/number"] == 0.5  # before the English
    assert gaps["en/please-go-to"] == 0.2
    assert gaps["antrean"] == gaps["dua"] == gaps["menuju"] == 0.01
    assert seconds == pytest.approx(cues[-1].at + 1.0)
    # AND in the short form, between the ticket and "loket"
    short_cues, _ = timeline(short_clips(call("A023", 5)), lambda name: 1.0, pauses)
    loket = next(c for c in short_cues if c.name == "loket")
    assert loket.at == pytest.approx(4 * 1.0 + 3 * 0.01 + 0.2)


# -- bursts ------------------------------------------------------------------------------


def test_the_short_form_has_the_same_words_fewer_of_them() -> None:
    assert short_clips(call("A023", 5)) == ["a", "dua", "puluh", "tiga", "loket", "lima"]
    assert short_clips(call("Q999", 23)) == [
        *["ki", "sembilan", "ratus", "sembilan", "puluh", "sembilan"],
        *["loket", "dua", "puluh", "tiga"],
    ]
    assert set(short_clips(call("B110", 12))) <= set(announcement_clips(call("B110", 12)))


def test_a_burst_is_said_short_in_order_each_call_once(clock: Clock) -> None:
    # GIVEN ten calls within ten seconds, on an English display
    player = FakePlayer(clock, seconds=0.3)
    announcer = Announcer(player, english=True)
    calls = [call(f"A{i:03d}", 1 + i, call_id=f"c{i}") for i in range(10)]
    for event in calls:
        announcer.announce(event, clock.now)
        run(announcer, clock, 1.0)
    run_until_idle(announcer, clock)
    # THEN each was said once, in order, and none overlapped
    said = [call_id for call_id, _ in announcer.spoken]
    assert said == [event.id for event in calls]
    assert player.overlaps == []
    # AND those said while two or more waited were said short, without English; the chime
    # opened the burst only
    forms = dict(announcer.spoken)
    short = [i for i, event in enumerate(calls) if "nomor" not in forms[event.id]]
    assert short, "no call was shortened"
    for i in short:
        clips = forms[calls[i].id]
        assert clips[-len(short_clips(calls[i])) :] == short_clips(calls[i])
        assert not any(name.startswith("en/") for name in clips)
    chimed_short = [i for i in short if forms[calls[i].id][0] == "chime"]
    assert chimed_short == [short[0]]
    # AND the last call, with nobody waiting behind it, was said in full, English included
    assert forms[calls[-1].id] == announcement_clips(calls[-1], english=True)


def test_english_is_dropped_between_the_languages_once_calls_wait(clock: Clock) -> None:
    # GIVEN a call being said on an English display
    player = FakePlayer(clock, seconds=0.3)
    announcer = Announcer(player, english=True)
    first = call("A023", 5)
    announcer.announce(first)
    run(announcer, clock, 1.0)
    # WHEN two more calls come during its Indonesian
    announcer.announce(call("B001", 2))
    announcer.announce(call("C002", 3))
    run_until_idle(announcer, clock)
    # THEN its English was cut, in the pause before it (no English word was started)
    indonesian = announcement_clips(first, english=False)
    assert announcer.spoken[0] == (first.id, indonesian)
    (start, cues), *_ = player.announcements
    english = next(c for c in cues if c.name == "en/number")
    indonesian_end = cues[len(indonesian) - 1].at + 0.3
    assert len(player.stops) == 1
    assert start + indonesian_end <= player.stops[0] < start + english.at
    assert not any(name.startswith("en/") for name in player.names()[: len(indonesian) + 1])


def test_a_call_left_waiting_too_long_is_not_said(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN calls of 1 s clips (each call about 12 s long) and a wait of at most 20 s
    player = FakePlayer(clock, seconds=1.0)
    announcer = Announcer(player, max_wait=20.0)
    calls = [call(f"A{i:03d}", 1 + i, call_id=f"c{i}") for i in range(8)]
    # WHEN eight come at once
    for event in calls:
        announcer.announce(event, clock.now)
    run_until_idle(announcer, clock, limit=300)
    # THEN the ones whose turn came more than 20 s after they arrived were not said, and
    # were logged; the others were, in order, each once
    said = [call_id for call_id, _ in announcer.spoken]
    assert announcer.skipped_count == len(announcer.skipped) > 0
    assert said + list(announcer.skipped) == [event.id for event in calls]
    starts = [at for at, cues in player.announcements]
    assert max(starts) <= 20.0 + 1 / FPS
    assert f"not announcing {announcer.skipped[0]}: it waited" in caplog.text


@settings(max_examples=60, deadline=None)
@given(
    arrivals=st.lists(st.floats(0.0, 30.0), min_size=1, max_size=30).map(sorted),
    seconds=st.floats(0.05, 0.6),
    english=st.booleans(),
    repeat=st.integers(1, 2),
    max_wait=st.floats(5.0, 60.0),
)
def test_whatever_the_burst_each_call_is_said_once_in_order_or_skipped_when_stale(
    arrivals: list[float], seconds: float, english: bool, repeat: int, max_wait: float
) -> None:
    clock = Clock()
    player = FakePlayer(clock, seconds=seconds)
    announcer = Announcer(player, english=english, repeat=repeat, max_wait=max_wait)
    ids = [f"c{i}" for i in range(len(arrivals))]
    arrived: dict[str, float] = {}
    started: dict[str, float] = {}
    waiting = list(zip(arrivals, ids, strict=True))
    while waiting or not announcer.idle:
        while waiting and waiting[0][0] <= clock.now:
            _, call_id = waiting.pop(0)
            arrived[call_id] = clock.now
            announcer.announce(call("A023", 5, call_id=call_id))
        announcer.update(clock.now)
        if announcer.speaking is not None:
            started.setdefault(announcer.speaking, clock.now)
        clock.now += 1 / FPS
        assert clock.now < 2000
    said = list(dict.fromkeys(call_id for call_id, _ in announcer.spoken))
    # Never two at once; every call either said or skipped, in arrival order
    assert player.overlaps == []
    assert sorted(said + list(announcer.skipped)) == sorted(ids)
    assert said == [i for i in ids if i in said]
    assert list(announcer.skipped) == [i for i in ids if i in announcer.skipped]
    # A call said twice only as its own repetition, never after another call
    runs = [
        call_id
        for i, (call_id, _) in enumerate(announcer.spoken)
        if i == 0 or announcer.spoken[i - 1][0] != call_id
    ]
    assert runs == said
    # Each said call started within the longest wait (and a frame) of arriving
    for call_id in said:
        assert started[call_id] - arrived[call_id] <= max_wait + 1 / FPS


def test_a_display_that_runs_for_months_keeps_a_bounded_record_of_what_it_said(
    player: FakePlayer, clock: Clock
) -> None:
    # GIVEN a display announcing call after call, each to the end (a long day, then more)
    announcer = Announcer(player, call_gap=0.0)
    calls = 3 * announcer.REMEMBERED_SPOKEN + 7
    for n in range(calls):
        assert announcer.announce(call(f"A{n % 900 + 100}", 5, call_id=f"call-{n}"))
        run_until_idle(announcer, clock)
    # THEN every call was spoken and counted, but only the latest are kept in memory
    assert announcer.spoken_count == calls
    assert len(announcer.spoken) <= 2 * announcer.REMEMBERED_SPOKEN
    assert announcer.spoken[-1][0] == f"call-{calls - 1}"
