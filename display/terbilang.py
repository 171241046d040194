"""Numbers and letters as the words an announcement is made of (terbilang).

Every word returned here is the name of a clip in the voice pack (`display.voice`), so
"A023" becomes ["a", "dua", "puluh", "tiga"] and is played as four clips.

The rules of Indonesian that matter for a queue number:

- 10 is "sepuluh", 11 "sebelas", 12-19 "<unit> belas" ("dua belas"), never "satu belas";
- 100 is "seratus", 200-900 "<unit> ratus", never "satu ratus";
- 1000 is "seribu", 2000 and up "<number> ribu", never "satu ribu";
  ("sebelas ribu", "seratus ribu" follow from the same rules);
- 0 is "nol", read only when the whole number is zero.

num2words (lang="id") gives the same words; the tests check that for 0..9999. This is
written out here rather than calling num2words so that the words are exactly the clips
the voice pack holds, with nothing to parse back out of a sentence.
"""

import re

# The unit words, by value. "satu" is never said before belas, ratus or ribu.
UNITS = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")

# Every word `number_words` can return, for the voice pack's list of clips.
NUMBER_CLIPS = (
    *UNITS,
    "sepuluh",
    "sebelas",
    "belas",
    "puluh",
    "seratus",
    "ratus",
    "seribu",
    "ribu",
)

MAX_NUMBER = 999_999

# Letters by their Indonesian names (the alphabet as taught in Indonesian schools).
LETTERS: dict[str, str] = {
    "A": "a",
    "B": "be",
    "C": "ce",
    "D": "de",
    "E": "e",
    "F": "ef",
    "G": "ge",
    "H": "ha",
    "I": "i",
    "J": "je",
    "K": "ka",
    "L": "el",
    "M": "em",
    "N": "en",
    "O": "o",
    "P": "pe",
    "Q": "ki",
    "R": "er",
    "S": "es",
    "T": "te",
    "U": "u",
    "V": "fe",
    "W": "we",
    "X": "eks",
    "Y": "ye",
    "Z": "zet",
}

# A ticket number: one or more letters of the service prefix, then the digits ("A023").
_TICKET = re.compile(r"([A-Za-z]+)([0-9]+)")


def number_words(n: int) -> list[str]:
    """The words of `n` (0..999 999): 2024 -> ["dua", "ribu", "dua", "puluh", "empat"]."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"number_words needs an int, not {n!r}")
    if not 0 <= n <= MAX_NUMBER:
        raise ValueError(f"number_words reads 0..{MAX_NUMBER}, not {n}")
    if n == 0:
        return ["nol"]
    thousands, rest = divmod(n, 1000)
    words: list[str] = []
    if thousands == 1:
        words.append("seribu")
    elif thousands > 1:
        words += [*_below_thousand(thousands), "ribu"]
    if rest:
        words += _below_thousand(rest)
    return words


def _below_thousand(n: int) -> list[str]:
    """1..999."""
    hundreds, rest = divmod(n, 100)
    words: list[str] = []
    if hundreds == 1:
        words.append("seratus")
    elif hundreds > 1:
        words += [UNITS[hundreds], "ratus"]
    if rest:
        words += _below_hundred(rest)
    return words


def _below_hundred(n: int) -> list[str]:
    """1..99."""
    if n < 10:
        return [UNITS[n]]
    if n == 10:
        return ["sepuluh"]
    if n == 11:
        return ["sebelas"]
    if n < 20:
        return [UNITS[n - 10], "belas"]
    tens, units = divmod(n, 10)
    words = [UNITS[tens], "puluh"]
    if units:
        words.append(UNITS[units])
    return words


def letter_word(letter: str) -> str:
    """The Indonesian name of a letter (either case): "B" -> "be", "Q" -> "ki"."""
    word = LETTERS.get(letter.upper()) if len(letter) == 1 else None
    if word is None:
        raise ValueError(f"not a letter A-Z: {letter!r}")
    return word


def ticket_words(number: str) -> list[str]:
    """The words of a ticket number: "A023" -> ["a", "dua", "puluh", "tiga"].

    The prefix is read letter by letter ("AB7" -> ["a", "be", "tujuh"]); leading zeros
    are not read ("A000" -> ["a", "nol"]), as a clerk would say it.
    """
    match = _TICKET.fullmatch(number.strip())
    if match is None:
        raise ValueError(f"not a ticket number (letters then digits, e.g. A023): {number!r}")
    letters, digits = match.groups()
    value = int(digits)
    if value > MAX_NUMBER:
        raise ValueError(f"ticket number {number!r} is over {MAX_NUMBER}")
    return [*(letter_word(c) for c in letters), *number_words(value)]
