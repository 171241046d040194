"""Numbers and letters read the Indonesian way (terbilang), as voice-pack clip names.

Every number 0..9999 is checked against the rules of Indonesian (sebelas, not "satu
belas"; seratus, not "satu ratus"; seribu, not "satu ribu"), read back to its value, and
compared with num2words.
"""

import itertools

import pytest
from num2words import num2words  # type: ignore[import-untyped]

from display.terbilang import (
    NUMBER_CLIPS,
    UNITS,
    letter_word,
    number_words,
    ticket_words,
)

ALL_TICKET_NUMBERS = range(10_000)
NINE_HUNDRED_NINETY_NINE = ["sembilan", "ratus", "sembilan", "puluh", "sembilan"]

# The letter names as the issue gives them, kept apart from the code's own table.
ISSUE_LETTERS = (
    "A a, B be, C ce, D de, E e, F ef, G ge, H ha, I i, J je, K ka, L el, M em, N en, "
    "O o, P pe, Q ki, R er, S es, T te, U u, V fe, W we, X eks, Y ye, Z zet"
)


def value_of(words: list[str]) -> int:
    """Reads Indonesian number words back to a number, independently of the code."""
    total = group = unit = 0
    for word in words:
        if word in UNITS:
            assert unit == 0, f"two unit words in a row in {words}"
            unit = UNITS.index(word)
        elif word == "belas":
            group, unit = group + 10 + unit, 0
        elif word == "puluh":
            group, unit = group + 10 * unit, 0
        elif word == "ratus":
            group, unit = group + 100 * unit, 0
        elif word == "ribu":
            total, group, unit = total + 1000 * (group + unit), 0, 0
        elif word == "sepuluh":
            group += 10
        elif word == "sebelas":
            group += 11
        elif word == "seratus":
            group += 100
        elif word == "seribu":
            total += 1000
        else:
            raise AssertionError(f"unknown word {word!r} in {words}")
    return total + group + unit


@pytest.mark.parametrize(
    ("n", "words"),
    [
        pytest.param(0, ["nol"], id="0-nol"),
        pytest.param(1, ["satu"], id="1-satu"),
        pytest.param(10, ["sepuluh"], id="10-sepuluh"),
        pytest.param(11, ["sebelas"], id="11-sebelas"),
        pytest.param(12, ["dua", "belas"], id="12-dua-belas"),
        pytest.param(19, ["sembilan", "belas"], id="19"),
        pytest.param(20, ["dua", "puluh"], id="20"),
        pytest.param(23, ["dua", "puluh", "tiga"], id="23"),
        pytest.param(100, ["seratus"], id="100-seratus"),
        pytest.param(101, ["seratus", "satu"], id="101"),
        pytest.param(110, ["seratus", "sepuluh"], id="110"),
        pytest.param(111, ["seratus", "sebelas"], id="111"),
        pytest.param(200, ["dua", "ratus"], id="200"),
        pytest.param(1000, ["seribu"], id="1000-seribu"),
        pytest.param(1011, ["seribu", "sebelas"], id="1011"),
        pytest.param(1100, ["seribu", "seratus"], id="1100"),
        pytest.param(2024, ["dua", "ribu", "dua", "puluh", "empat"], id="2024"),
        pytest.param(
            9999,
            ["sembilan", "ribu", "sembilan", "ratus", "sembilan", "puluh", "sembilan"],
            id="9999",
        ),
        pytest.param(11_000, ["sebelas", "ribu"], id="11000-sebelas-ribu"),
        pytest.param(100_000, ["seratus", "ribu"], id="100000-seratus-ribu"),
        pytest.param(
            999_999,
            [*NINE_HUNDRED_NINETY_NINE, "ribu", *NINE_HUNDRED_NINETY_NINE],
            id="999999",
        ),
    ],
)
def test_known_numbers_read_as_indonesian_words(n: int, words: list[str]) -> None:
    # GIVEN a number whose reading is known
    # WHEN it is read
    # THEN it is exactly these words
    assert number_words(n) == words


def test_no_number_says_satu_before_belas_ratus_or_ribu() -> None:
    # GIVEN every ticket number 0..9999
    for n in ALL_TICKET_NUMBERS:
        # WHEN it is read
        words = number_words(n)
        # THEN "satu" never comes before belas, ratus or ribu (sebelas, seratus, seribu)
        for before, after in itertools.pairwise(words):
            assert not (before == "satu" and after in {"belas", "ratus", "ribu"}), (n, words)


def test_every_number_reads_back_to_its_value() -> None:
    # GIVEN every ticket number 0..9999
    for n in ALL_TICKET_NUMBERS:
        # WHEN it is read
        words = number_words(n)
        # THEN every word is a clip of the pack, and the words mean that number
        assert set(words) <= set(NUMBER_CLIPS), (n, words)
        assert value_of(words) == n, (n, words)


def test_teens_and_round_numbers_follow_the_rules() -> None:
    # GIVEN the numbers the rules single out
    # WHEN they are read
    # THEN 10 is sepuluh, 11 sebelas, 12-19 "<unit> belas", nol only for zero
    assert number_words(10) == ["sepuluh"]
    assert number_words(11) == ["sebelas"]
    for n in range(12, 20):
        assert number_words(n) == [UNITS[n - 10], "belas"]
    assert all("nol" not in number_words(n) for n in range(1, 10_000))


def test_every_number_agrees_with_num2words() -> None:
    # If the two ever disagree, the rule tests above win: they are the rules of
    # Indonesian as a listener expects them, while num2words is a third-party library
    # whose output may change between versions. A disagreement means a num2words
    # change to look at, not a reason to change what the lobby hears.
    # GIVEN every ticket number 0..9999
    for n in ALL_TICKET_NUMBERS:
        # WHEN it is read by both
        # THEN the words are the same
        assert number_words(n) == num2words(n, lang="id").split(), n


def test_large_numbers_agree_with_num2words() -> None:
    # GIVEN numbers across the whole range up to 999 999
    for n in [*range(10_000, 1_000_000, 997), 999_999]:
        # WHEN read
        # THEN the words read back to the number and agree with num2words
        assert value_of(number_words(n)) == n
        assert number_words(n) == num2words(n, lang="id").split(), n


@pytest.mark.parametrize("bad", [-1, 1_000_000])
def test_numbers_out_of_range_are_refused(bad: int) -> None:
    # GIVEN a number outside 0..999 999
    # WHEN it is read
    # THEN it is refused, not read wrongly
    with pytest.raises(ValueError, match=str(bad)):
        number_words(bad)


def test_every_letter_has_its_indonesian_name() -> None:
    # GIVEN the letter names the issue lists
    expected = dict(pair.split() for pair in ISSUE_LETTERS.split(", "))
    assert len(expected) == 26
    for letter, name in expected.items():
        # WHEN a letter is read, in either case
        # THEN it is its Indonesian name
        assert letter_word(letter) == name
        assert letter_word(letter.lower()) == name


@pytest.mark.parametrize("bad", ["", "AB", "1", "É", "-"])
def test_a_non_letter_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a letter"):
        letter_word(bad)


@pytest.mark.parametrize(
    ("number", "words"),
    [
        pytest.param("A023", ["a", "dua", "puluh", "tiga"], id="leading-zero-dropped"),
        pytest.param("A000", ["a", "nol"], id="zero"),
        pytest.param("B110", ["be", "seratus", "sepuluh"], id="B110"),
        pytest.param("Q011", ["ki", "sebelas"], id="Q-ki"),
        pytest.param("X100", ["eks", "seratus"], id="X-eks"),
        pytest.param("Z1000", ["zet", "seribu"], id="Z-zet-seribu"),
        pytest.param("AB7", ["a", "be", "tujuh"], id="two-letter-prefix"),
        pytest.param("c012", ["ce", "dua", "belas"], id="lower-case"),
    ],
)
def test_ticket_numbers_read_letter_by_letter_then_in_words(number: str, words: list[str]) -> None:
    # GIVEN a ticket number WHEN it is read THEN letters by name, then the number in words
    assert ticket_words(number) == words


@pytest.mark.parametrize("bad", ["", "023", "A", "A-023", "A 23", "A1234567", "A²"])
def test_a_malformed_ticket_number_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match=r"ticket number"):
        ticket_words(bad)
