"""The voice pack: the generator makes every clip with the real espeak-ng, trimmed and
evened out; `VoicePack.load` names every missing or unreadable file at start-up.

The pack is generated once for the session (about two seconds); tests that break it
work on a copy.
"""

import math
import shutil
import subprocess
import tempfile
import wave
from array import array
from pathlib import Path

import pytest

from contract.messages import CallEvent
from display.announcer import Pauses, announcement_clips, announcement_seconds
from display.voice import (
    ENGLISH_CLIPS,
    REQUIRED_CLIPS,
    VoicePack,
    VoicePackError,
    clip_file,
    required_clips,
)
from display.voice_pack_generator import (
    GeneratorError,
    first_word,
    main,
    normalise,
    read_clip,
    speed_wpm,
    trim,
)

FULL_SCALE = 32767


@pytest.fixture(scope="session")
def espeak_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pack with the English clips, made by `antre-voice-pack` with espeak-ng."""
    out = tmp_path_factory.mktemp("espeak-pack")
    assert main(["--out", str(out), "--english"]) == 0
    return out


@pytest.fixture
def pack_copy(espeak_pack: Path, tmp_path: Path) -> Path:
    """A copy of the generated pack, for a test to break."""
    return Path(shutil.copytree(espeak_pack, tmp_path / "pack"))


def level_dbfs(samples: "array[int]") -> float:
    rms = math.sqrt(sum(x * x for x in samples) / len(samples))
    return 20 * math.log10(rms / FULL_SCALE)


def silent_ends(samples: "array[int]", rate: int) -> tuple[float, float]:
    """Seconds of near silence (below -50 dBFS) before the first and after the last sound."""
    threshold = FULL_SCALE * 10 ** (-50 / 20)
    loud = [i for i, x in enumerate(samples) if abs(x) > threshold]
    assert loud, "a silent clip"
    return loud[0] / rate, (len(samples) - 1 - loud[-1]) / rate


def tone_power(samples: "array[int]", rate: int, frequency: float) -> float:
    """The power of one frequency in the samples (Goertzel)."""
    coefficient = 2 * math.cos(2 * math.pi * frequency / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coefficient * s1 - s2, s1
    return s1 * s1 + s2 * s2 - coefficient * s1 * s2


def test_generated_pack_holds_exactly_the_documented_clips(espeak_pack: Path) -> None:
    # GIVEN a pack made by the generator with --english
    # WHEN its files are listed
    files = {str(p.relative_to(espeak_pack)) for p in espeak_pack.rglob("*.wav")}
    # THEN there is one WAV per required clip, English ones under en/, nothing else
    assert files == {clip_file(name) for name in required_clips(english=True)}
    assert "en/counter.wav" in files
    assert "sebelas.wav" in files
    assert "chime.wav" in files


def test_generated_pack_loads_with_every_clip(espeak_pack: Path) -> None:
    # GIVEN the generated pack
    # WHEN it is loaded with and without English
    with_english = VoicePack.load(espeak_pack, english=True)
    without = VoicePack.load(espeak_pack, english=False)
    # THEN every clip is there and points at an existing file
    assert set(with_english.clips) == set(REQUIRED_CLIPS) | set(ENGLISH_CLIPS)
    assert set(without.clips) == set(REQUIRED_CLIPS)
    assert all(path.is_file() for path in with_english.clips.values())
    assert with_english.path("zet") == espeak_pack / "zet.wav"


def test_generated_clips_are_mono_16_bit_pcm(espeak_pack: Path) -> None:
    for name in required_clips(english=True):
        with wave.open(str(espeak_pack / clip_file(name)), "rb") as wav:
            assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2), name
            assert wav.getframerate() == 22050, name


def test_generated_word_clips_are_trimmed(espeak_pack: Path) -> None:
    # GIVEN the generated word clips (espeak-ng itself leaves a tenth of a second or
    # more of silence around a word)
    for name in required_clips(english=True):
        if name == "chime":
            continue
        clip = read_clip(espeak_pack / clip_file(name))
        # WHEN the silence at each end is measured
        lead, tail = silent_ends(clip.samples, clip.rate)
        # THEN there is hardly any: at most 25 ms either side
        assert lead <= 0.025, (name, lead)
        assert tail <= 0.025, (name, tail)
        # AND the word itself is still there (the carrier syllable after it is not): a
        # letter is a tenth of a second or more, no word reaches a second
        assert 0.1 < len(clip.samples) / clip.rate < 1.0, name


def test_generated_words_are_shorter_than_espeak_saying_each_alone(espeak_pack: Path) -> None:
    # GIVEN the words of "A023, loket 5" from the pack, and espeak-ng saying each alone at
    # the same pace (it stretches the last syllable of an utterance)
    words = ["nomor", "antrean", "a", "dua", "puluh", "tiga", "silakan", "menuju", "loket"]
    alone = []
    with tempfile.TemporaryDirectory() as scratch:
        for word in words:
            wav = Path(scratch) / f"{word}.wav"
            speed = str(speed_wpm(word))
            subprocess.run(["espeak-ng", "-v", "id", "-s", speed, "-w", str(wav), word], check=True)
            alone.append(normalise(trim(read_clip(wav))))
    packed = [read_clip(espeak_pack / clip_file(word)) for word in words]
    # THEN together the pack's words are at least 5 % shorter (cut from before a pause,
    # they are said as inside a sentence)
    assert sum(len(c.samples) for c in packed) < 0.95 * sum(len(c.samples) for c in alone)
    # AND a clip with no pause in it cannot be cut (the carrier was not found)
    with pytest.raises(GeneratorError, match="no pause"):
        first_word(alone[0])


def test_a_typical_call_from_the_generated_pack_lasts_at_most_four_seconds(
    espeak_pack: Path,
) -> None:
    # GIVEN the generated pack's clip lengths and the announcer's pauses
    def length(name: str) -> float:
        clip = read_clip(espeak_pack / clip_file(name))
        return len(clip.samples) / clip.rate

    event = CallEvent(
        id="c",
        kind="called",
        number="A023",
        service="A",
        counter=5,
        counter_name="Loket 5",
        at="2026-12-07T09:00:00+08:00",
    )
    # WHEN "A023, loket 5" is laid out
    seconds = announcement_seconds(announcement_clips(event), length, Pauses())
    # THEN it lasts at most 4.0 s, chime included, and the chime at most 0.8 s (#16)
    assert seconds <= 4.0
    assert length("chime") <= 0.8


def test_generated_clips_have_similar_loudness(espeak_pack: Path) -> None:
    # GIVEN every generated clip, the chime included
    levels = {
        name: level_dbfs(read_clip(espeak_pack / clip_file(name)).samples)
        for name in required_clips(english=True)
    }
    # WHEN their loudness (RMS) is compared
    ordered = sorted(levels.values())
    median = ordered[len(ordered) // 2]
    # THEN all lie within 2 dB of each other's middle, and none clips at full scale
    assert -24 < median < -12
    outliers = {name: round(v, 1) for name, v in levels.items() if abs(v - median) > 2.0}
    assert outliers == {}
    for name in required_clips(english=True):
        clip = read_clip(espeak_pack / clip_file(name))
        assert max(abs(x) for x in clip.samples) < FULL_SCALE, name


def test_chime_is_a_high_tone_then_a_lower_one(espeak_pack: Path) -> None:
    # GIVEN the generated chime
    clip = read_clip(espeak_pack / "chime.wav")
    rate = clip.rate
    ding = clip.samples[int(0.02 * rate) : int(0.18 * rate)]
    dong = clip.samples[int(0.24 * rate) : int(0.45 * rate)]
    # WHEN the strength of 660 Hz and 550 Hz is measured early and late
    # THEN first the 660 Hz tone dominates, then the 550 Hz one
    assert tone_power(ding, rate, 660) > 10 * tone_power(ding, rate, 550)
    assert tone_power(dong, rate, 550) > 10 * tone_power(dong, rate, 660)
    # AND it is short (#16: at most 0.8 s), and fades out rather than stopping with a click
    assert len(clip.samples) / rate <= 0.8
    assert max(abs(x) for x in clip.samples[-50:]) < FULL_SCALE // 100


def test_a_missing_clip_is_named(pack_copy: Path) -> None:
    # GIVEN a pack without the clip for "be"
    (pack_copy / "be.wav").unlink()
    # WHEN it is loaded
    with pytest.raises(VoicePackError) as raised:
        VoicePack.load(pack_copy)
    # THEN the error names the file and says it is missing
    assert raised.value.problems == {"be.wav": "missing"}
    assert "be.wav: missing" in str(raised.value)
    assert str(pack_copy) in str(raised.value)


def test_an_unreadable_clip_is_named(pack_copy: Path) -> None:
    # GIVEN a pack whose "sebelas" clip is garbage bytes
    (pack_copy / "sebelas.wav").write_bytes(b"\x00garbage, not a RIFF file" * 10)
    # WHEN it is loaded
    with pytest.raises(VoicePackError) as raised:
        VoicePack.load(pack_copy)
    # THEN the error names that file as unreadable
    assert list(raised.value.problems) == ["sebelas.wav"]
    assert "sebelas.wav: not a readable PCM WAV" in str(raised.value)


def test_every_bad_clip_is_named_in_one_error(pack_copy: Path) -> None:
    # GIVEN a pack with two missing clips (one English), one garbage and one empty WAV
    (pack_copy / "loket.wav").unlink()
    (pack_copy / "en" / "counter.wav").unlink()
    (pack_copy / "zet.wav").write_bytes(b"RIFF\x04\x00\x00\x00WAVEjunk")
    with wave.open(str(pack_copy / "chime.wav"), "wb") as empty:
        empty.setnchannels(1)
        empty.setsampwidth(2)
        empty.setframerate(22050)
    # WHEN it is loaded with English
    with pytest.raises(VoicePackError) as raised:
        VoicePack.load(pack_copy, english=True)
    # THEN all four are named in the one error
    problems = raised.value.problems
    assert set(problems) == {"loket.wav", "en/counter.wav", "zet.wav", "chime.wav"}
    assert problems["chime.wav"] == "is empty (no audio)"
    message = str(raised.value)
    for file in problems:
        assert f"{file}:" in message


def test_a_cut_short_clip_is_named(pack_copy: Path) -> None:
    # GIVEN a clip whose data was cut off (a copy that did not finish)
    data = (pack_copy / "nomor.wav").read_bytes()
    (pack_copy / "nomor.wav").write_bytes(data[: len(data) // 2])
    # WHEN the pack is loaded THEN the clip is named as cut short
    with pytest.raises(VoicePackError, match=r"nomor\.wav: is cut short"):
        VoicePack.load(pack_copy)


def test_english_clips_are_needed_only_for_english(pack_copy: Path) -> None:
    # GIVEN a pack without its English folder
    shutil.rmtree(pack_copy / "en")
    # WHEN it is loaded without English THEN it is fine
    assert VoicePack.load(pack_copy, english=False).english is False
    # WHEN it is loaded with English THEN every English clip is named
    with pytest.raises(VoicePackError) as raised:
        VoicePack.load(pack_copy, english=True)
    assert set(raised.value.problems) == {clip_file(name) for name in ENGLISH_CLIPS}


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(VoicePackError, match="no such folder"):
        VoicePack.load(tmp_path / "nowhere")


def test_generator_without_espeak_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a machine where espeak-ng cannot be found
    monkeypatch.setenv("PATH", str(tmp_path))
    # WHEN the generator runs
    code = main(["--out", str(tmp_path / "pack")])
    # THEN it fails, says espeak-ng is missing and how to install it, and writes nothing
    assert code == 1
    err = capsys.readouterr().err
    assert "espeak-ng" in err
    assert "apt-get install espeak-ng" in err
    assert not (tmp_path / "pack").exists()
