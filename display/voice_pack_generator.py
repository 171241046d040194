"""`antre-voice-pack --out DIR [--english]`: makes the default voice pack with espeak-ng.

One clip per word, spoken by espeak-ng's Indonesian voice (`-v id`; English clips with
`-v en`), then trimmed of the silence around it and brought to the same loudness, so the
words of an announcement follow each other without holes and without one word shouting
over the next. The chime is synthesised here: a short two-tone "ding-dong". Everything
after espeak-ng is plain Python (`wave`, `array`): no sox.

A word is said as it sounds inside a sentence, not as a sentence of its own: espeak-ng
stretches the last syllable before the end of an utterance (a fifth longer, and ten of
them make an announcement a second longer). So each word is spoken with a pause and a
carrier syllable after it ("nomor ... pa"), and the word is cut out before the pause.

Needs the Debian package `espeak-ng` (`apt-get install espeak-ng`).
"""

from __future__ import annotations

import argparse
import math
import shutil
import subprocess
import sys
import tempfile
import wave
from array import array
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from display.voice import (
    CHIME,
    ENGLISH_LETTER_CLIPS,
    ENGLISH_PHRASE_CLIPS,
    PHRASE_CLIPS,
    clip_file,
    required_clips,
)

RATE = 22050  # espeak-ng's own output rate; the chime is made at the same rate.
FULL_SCALE = 32767
# Words per minute (espeak-ng's own is 175). The fixed phrase ("nomor antrean", "silakan
# menuju loket", and its English) is heard in every call and known by heart after the
# first few: it is said briskly. The letters and numbers, the only words that change
# from call to call and the ones a listener must catch, are said at espeak-ng's own
# pace, which (cut from a sentence, see `speak`) is unhurried.
PHRASE_WPM = 220
WORD_WPM = 175
# What follows each word while it is spoken, to be cut off: a pause, then a syllable.
CARRIER = "pa"
CARRIER_PAUSE_MS = 400
# The pause is the longest quiet stretch of what espeak-ng says; a word holds shorter ones
# (a stop consonant's closure). Below this, the pause was not found: an error.
CARRIER_PAUSE_MIN_SECONDS = 0.25
# Loudness target of every clip (RMS of the trimmed clip), and a ceiling for its peak.
TARGET_RMS_DBFS = -18.0
PEAK_CEILING_DBFS = -1.0
# The share of a clip's samples allowed past the ceiling before the soft knee (at KNEE of
# the ceiling) brings them under it.
PEAK_SHARE = 0.002
KNEE = 0.85
# Trimming: a sample counts as sound when it is louder than the clip's peak minus this.
SILENCE_BELOW_PEAK_DB = 40.0
# What is kept around the sound after trimming, and the fade over it (no clicks).
PAD_SECONDS = 0.005
FADE_SECONDS = 0.004
# The window over which loudness is measured to find quiet stretches.
WINDOW_SECONDS = 0.005
# The chime: how long it lasts (the goal of issue #16 is at most 0.8 s).
CHIME_SECONDS = 0.55

# What espeak-ng is asked to say when it is not the clip's name itself.
SPOKEN_TEXT: dict[str, str] = {
    "en/please-go-to": "please go to",
    # A capital letter alone is read by its name ("A" -> "ay", not the article "a").
    **{name: name.removeprefix("en/").upper() for name in ENGLISH_LETTER_CLIPS},
}


class GeneratorError(Exception):
    """espeak-ng is missing or failed: the message says what to do."""


@dataclass(frozen=True, slots=True)
class Clip:
    samples: array[int]  # typecode "h": mono, 16-bit
    rate: int


# -- samples -----------------------------------------------------------------------------


def read_clip(path: Path) -> Clip:
    """A 16-bit WAV as mono samples (stereo is mixed down)."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError(f"{path}: {8 * wav.getsampwidth()}-bit; only 16-bit is read here")
        channels = wav.getnchannels()
        rate = wav.getframerate()
        data = wav.readframes(wav.getnframes())
    samples = array("h")
    samples.frombytes(data)
    if sys.byteorder == "big":
        samples.byteswap()
    if channels > 1:
        samples = array(
            "h",
            (sum(samples[i : i + channels]) // channels for i in range(0, len(samples), channels)),
        )
    return Clip(samples, rate)


def write_clip(path: Path, clip: Clip) -> None:
    """Writes a mono 16-bit PCM WAV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = array("h", clip.samples)
    if sys.byteorder == "big":
        data.byteswap()
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(clip.rate)
        wav.writeframes(data.tobytes())


def write_silent_pack(folder: Path, *, english: bool, seconds: float = 0.02) -> None:
    """Every clip a pack needs, as a moment of silence: for the tests and the benchmarks,
    where the timing matters and not the voice."""
    rate = 22050
    silence = Clip(array("h", bytes(2 * round(seconds * rate))), rate)
    for name in required_clips(english=english):
        write_clip(folder / clip_file(name), silence)


def peak(samples: Sequence[int]) -> int:
    return max((abs(x) for x in samples), default=0)


def rms(samples: Sequence[int]) -> float:
    if not samples:
        return 0.0
    return math.sqrt(math.fsum(x * x for x in samples) / len(samples))


def dbfs(level: float) -> float:
    """A level (peak or RMS, in sample units) in decibels below full scale."""
    return 20 * math.log10(level / FULL_SCALE) if level > 0 else -math.inf


def sound_bounds(samples: Sequence[int], below_peak_db: float = SILENCE_BELOW_PEAK_DB) -> range:
    """The span from the first to the last sample louder than the clip's peak minus
    `below_peak_db` (empty for a silent clip)."""
    threshold = peak(samples) * 10 ** (-below_peak_db / 20)
    loud = [i for i, x in enumerate(samples) if abs(x) > threshold]
    if not loud or threshold == 0:
        return range(0)
    return range(loud[0], loud[-1] + 1)


def trim(clip: Clip) -> Clip:
    """Cuts the silence before and after the sound, keeping a short faded pad."""
    bounds = sound_bounds(clip.samples)
    if not bounds:
        return clip
    pad = round(PAD_SECONDS * clip.rate)
    start = max(0, bounds.start - pad)
    stop = min(len(clip.samples), bounds.stop + pad)
    samples = clip.samples[start:stop]
    fade = min(round(FADE_SECONDS * clip.rate), len(samples) // 2)
    for i in range(fade):
        gain = i / fade
        samples[i] = round(samples[i] * gain)
        samples[-1 - i] = round(samples[-1 - i] * gain)
    return Clip(samples, clip.rate)


def normalise(clip: Clip) -> Clip:
    """Scales the clip to the target RMS, or less if its loudest samples would pass the
    ceiling. The few loudest (PEAK_SHARE of them: a consonant's burst, say) do not count:
    a soft knee rounds them off below the ceiling, rather than one burst keeping a whole
    word quieter than the rest."""
    level = rms(clip.samples)
    if level == 0:
        return clip
    ordered = sorted(abs(x) for x in clip.samples)
    loudest = ordered[min(len(ordered) - 1, int(len(ordered) * (1 - PEAK_SHARE)))]
    ceiling = FULL_SCALE * 10 ** (PEAK_CEILING_DBFS / 20)
    gain = min(FULL_SCALE * 10 ** (TARGET_RMS_DBFS / 20) / level, ceiling / max(loudest, 1))
    return Clip(array("h", (soft_limit(x * gain, ceiling) for x in clip.samples)), clip.rate)


def soft_limit(x: float, ceiling: float) -> int:
    """`x` as it is up to KNEE of the ceiling; above, bent smoothly towards the ceiling
    and never past it (so within 16 bits)."""
    knee = KNEE * ceiling
    size = abs(x)
    if size <= knee:
        return round(x)
    bent = knee + (ceiling - knee) * math.tanh((size - knee) / (ceiling - knee))
    return int(math.copysign(bent, x))


def quiet_stretches(samples: Sequence[int], rate: int) -> list[range]:
    """The stretches, in samples, between the first and the last sound of `samples`
    where every WINDOW_SECONDS window stays below the clip's peak minus
    SILENCE_BELOW_PEAK_DB; in order."""
    window = max(1, round(WINDOW_SECONDS * rate))
    threshold = peak(samples) * 10 ** (-SILENCE_BELOW_PEAK_DB / 20)
    loud = [peak(samples[i : i + window]) > threshold for i in range(0, len(samples), window)]
    if threshold == 0 or True not in loud:
        return []
    first, last = loud.index(True), len(loud) - 1 - loud[::-1].index(True)
    stretches: list[range] = []
    start: int | None = None
    for i in range(first, last + 1):
        if not loud[i] and start is None:
            start = i
        elif loud[i] and start is not None:
            stretches.append(range(start * window, i * window))
            start = None
    return stretches


def first_word(clip: Clip) -> Clip:
    """What comes before the longest pause of `clip`: the word, without the carrier
    syllable spoken after it (`speak`). Raises GeneratorError when there is no pause."""
    stretches = quiet_stretches(clip.samples, clip.rate)
    pause = max(stretches, key=len, default=range(0))
    if len(pause) < CARRIER_PAUSE_MIN_SECONDS * clip.rate:
        raise GeneratorError(
            f"no pause of {CARRIER_PAUSE_MIN_SECONDS:.2f} s after the word "
            f"(the longest: {len(pause) / clip.rate:.3f} s)"
        )
    return Clip(clip.samples[: pause.start], clip.rate)


def chime(rate: int = RATE) -> Clip:
    """A two-tone "ding-dong" (660 Hz, then 550 Hz) of CHIME_SECONDS: bell-like partials
    that fade out quickly, so the first word follows the "dong" without a wait."""
    notes = ((0.0, 660.0), (0.2, 550.0))
    partials = ((1.0, 1.0), (2.0, 0.35), (3.0, 0.12))  # (multiple of the note, strength)
    attack, decay = 0.006, 0.14  # seconds
    total = round(CHIME_SECONDS * rate)
    mix = [0.0] * total
    for start, frequency in notes:
        first = round(start * rate)
        for i in range(total - first):
            t = i / rate
            envelope = min(1.0, t / attack) * math.exp(-t / decay)
            mix[first + i] += envelope * sum(
                strength * math.sin(2 * math.pi * frequency * multiple * t)
                for multiple, strength in partials
            )
    # A short fade at the very end, so the tail does not click off.
    fade = round(0.05 * rate)
    for i in range(fade):
        mix[total - 1 - i] *= i / fade
    top = max(abs(x) for x in mix)
    samples = array("h", (round(x / top * FULL_SCALE * 0.5) for x in mix))
    return normalise(Clip(samples, rate))


# -- espeak-ng ---------------------------------------------------------------------------


def find_espeak() -> str:
    found = shutil.which("espeak-ng")
    if found is None:
        raise GeneratorError(
            "espeak-ng is not installed; it speaks the default voice pack. "
            "Install it with `apt-get install espeak-ng` (Debian, Raspberry Pi OS)."
        )
    return found


def spoken_text(name: str) -> str:
    return SPOKEN_TEXT.get(name, name.removeprefix("en/"))


def speed_wpm(name: str) -> int:
    """The phrase is said briskly, the letters and numbers at espeak-ng's own pace."""
    return PHRASE_WPM if name in PHRASE_CLIPS or name in ENGLISH_PHRASE_CLIPS else WORD_WPM


def speak(espeak: str, name: str, out: Path) -> None:
    """Has espeak-ng say one clip's word into the WAV `out`, followed by a pause and the
    carrier syllable (SSML), so the word is said as inside a sentence (`first_word`)."""
    voice = "en" if name.startswith("en/") else "id"
    ssml = (
        f'<speak>{escape(spoken_text(name))}<break time="{CARRIER_PAUSE_MS}ms"/> {CARRIER}</speak>'
    )
    command = [espeak, "-m", "-v", voice, "-s", str(speed_wpm(name)), "-w", str(out), ssml]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise GeneratorError(f"espeak-ng failed on clip {name!r}: {e}") from e
    if done.returncode != 0 or not out.is_file():
        detail = done.stderr.strip() or f"exit status {done.returncode}"
        raise GeneratorError(f"espeak-ng failed on clip {name!r} (voice {voice}): {detail}")


def word_clip(name: str, raw: Path) -> Clip:
    """The clip of `name` from what espeak-ng said (`speak`): the word alone, trimmed,
    at the pack's loudness."""
    try:
        word = first_word(read_clip(raw))
    except GeneratorError as e:
        raise GeneratorError(f"clip {name!r}: {e}") from e
    return normalise(trim(word))


def generate(out: Path, english: bool = False) -> list[Path]:
    """Writes every clip of a pack into `out`; returns the files written."""
    espeak = find_espeak()
    names = [name for name in required_clips(english) if name != CHIME]
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="antre-voice-") as scratch:
        raw = {name: Path(scratch) / f"{i}.wav" for i, name in enumerate(names)}
        # espeak-ng starts quickly, but a hundred runs one by one still add up.
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in pool.map(lambda name: speak(espeak, name, raw[name]), names):
                pass
        for name in names:
            path = out / clip_file(name)
            write_clip(path, word_clip(name, raw[name]))
            written.append(path)
    path = out / clip_file(CHIME)
    write_clip(path, chime())
    written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="antre-voice-pack",
        description="Make the default voice pack (one WAV per word) with espeak-ng.",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder to write the pack to")
    parser.add_argument(
        "--english", action="store_true", help="also make the English clips (en/...)"
    )
    args = parser.parse_args(argv)
    try:
        files = generate(args.out, english=args.english)
    except GeneratorError as e:
        print(f"antre-voice-pack: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"antre-voice-pack: cannot write the pack to {args.out}: {e}", file=sys.stderr)
        return 1
    size = sum(f.stat().st_size for f in files)
    print(f"antre-voice-pack: wrote {len(files)} clips to {args.out} ({size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
