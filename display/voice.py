"""The voice pack: a folder of WAV clips, one per word, that announcements are made of.

A pack is a folder holding `<name>.wav` for every name in `REQUIRED_CLIPS` (and, for the
optional English part, every name in `ENGLISH_CLIPS`: those names start with "en/", so
they live in an `en` subfolder). `antre-voice-pack` makes a default pack with espeak-ng;
an MPP can record its own voice with the same file names (docs/voice-pack.md).

`VoicePack.load` checks the whole pack when the display starts, so a missing or broken
clip stops the display with a message naming every bad file, instead of an announcement
going silent at the first call that needs the clip.
"""

import wave
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from contract.errors import AntreError
from display.terbilang import LETTERS, NUMBER_CLIPS

CHIME = "chime"

# "Nomor antrean A dua puluh tiga, silakan menuju loket lima."
PHRASE_CLIPS = ("nomor", "antrean", "silakan", "menuju", "loket")

# Every clip an Indonesian announcement can use: the chime, the phrase, the letters by
# their Indonesian names (a, be, ce, ... ki, ... eks, ye, zet) and the number words
# (nol .. sembilan, sepuluh, sebelas, belas, puluh, seratus, ratus, seribu, ribu).
# Note that the letter N is the clip "en.wav", next to the "en" folder of English clips.
REQUIRED_CLIPS: tuple[str, ...] = (CHIME, *PHRASE_CLIPS, *LETTERS.values(), *NUMBER_CLIPS)

# The English part, "Number A zero two three, please go to counter five": the ticket's
# letters by their English names and its digits one by one, the counter in words
# (0-99 as "twenty five"; larger numbers digit by digit).
ENGLISH_PHRASE_CLIPS = ("en/number", "en/please-go-to", "en/counter")
ENGLISH_LETTER_CLIPS = tuple(f"en/{c}" for c in "abcdefghijklmnopqrstuvwxyz")
ENGLISH_UNITS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
ENGLISH_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
ENGLISH_NUMBER_CLIPS = tuple(f"en/{w}" for w in (*ENGLISH_UNITS, *ENGLISH_TENS))
ENGLISH_CLIPS: tuple[str, ...] = (
    *ENGLISH_PHRASE_CLIPS,
    *ENGLISH_LETTER_CLIPS,
    *ENGLISH_NUMBER_CLIPS,
)

# A clip is one word; anything longer is a recording session dropped in by mistake.
MAX_CLIP_SECONDS = 10.0


def required_clips(english: bool) -> tuple[str, ...]:
    """The clip names a pack must hold, with or without the English part."""
    return REQUIRED_CLIPS + ENGLISH_CLIPS if english else REQUIRED_CLIPS


def clip_file(name: str) -> str:
    """The file of a clip, relative to the pack's folder: "en/counter" -> "en/counter.wav"."""
    return f"{name}.wav"


class VoicePackError(AntreError):
    """A voice pack that cannot be used: names every missing or unreadable file."""

    def __init__(self, folder: Path, problems: Mapping[str, str]) -> None:
        self.folder = folder
        # File (relative to the folder, e.g. "en/counter.wav") -> what is wrong with it.
        self.problems = dict(problems)
        lines = [f"voice pack {folder} cannot be used:"]
        lines += [f"  {file}: {problem}" for file, problem in self.problems.items()]
        lines.append(
            "  (make a pack with `antre-voice-pack --out DIR [--english]`; file names and "
            "recording notes: docs/voice-pack.md)"
        )
        super().__init__("\n".join(lines))


@dataclass(frozen=True, slots=True)
class VoicePack:
    """A checked voice pack: every clip it needs is there and is a readable WAV."""

    folder: Path
    english: bool
    # Clip name -> its file.
    clips: Mapping[str, Path]

    @classmethod
    def load(cls, folder: Path | str, english: bool = False) -> Self:
        """Checks the pack in `folder` or raises `VoicePackError` naming every bad file."""
        root = Path(folder)
        if not root.is_dir():
            raise VoicePackError(root, {str(root): "no such folder"})
        problems: dict[str, str] = {}
        clips: dict[str, Path] = {}
        for name in required_clips(english):
            path = root / clip_file(name)
            problem = wav_problem(path)
            if problem is None:
                clips[name] = path
            else:
                problems[clip_file(name)] = problem
        if problems:
            raise VoicePackError(root, problems)
        return cls(folder=root, english=english, clips=clips)

    def path(self, name: str) -> Path:
        return self.clips[name]


def wav_problem(path: Path) -> str | None:
    """What keeps `path` from being played as a clip, or None if it is a good WAV."""
    if not path.exists():
        return "missing"
    if not path.is_file():
        return "not a file"
    try:
        with wave.open(str(path), "rb") as wav:
            channels = wav.getnchannels()
            width = wav.getsampwidth()
            rate = wav.getframerate()
            frames = wav.getnframes()
            data = wav.readframes(frames)
    except (wave.Error, EOFError) as e:
        # Python's `wave` reads plain PCM only; WAVE_FORMAT_EXTENSIBLE (format 65534) is
        # what some editors write for 24-bit or multichannel audio.
        return f"not a readable PCM WAV ({e}); save it as 16-bit PCM, mono"
    except OSError as e:
        return f"cannot be read ({e.strerror or e})"
    if channels not in (1, 2):
        return f"has {channels} channels; record mono (or stereo)"
    if not 8000 <= rate <= 96000:
        return f"has a sample rate of {rate} Hz; use 22050 or 44100 Hz"
    if frames == 0:
        return "is empty (no audio)"
    if len(data) < frames * channels * width:
        return f"is cut short: the header promises {frames} frames, the file holds fewer"
    if frames / rate > MAX_CLIP_SECONDS:
        return (
            f"is {frames / rate:.1f} s long; a clip holds one word "
            f"(at most {MAX_CLIP_SECONDS:.0f} s)"
        )
    return None
