"""The IKM formula of PermenPAN-RB 14/2017 against worked examples."""

from decimal import Decimal
from fractions import Fraction

import pytest

from broker.ikm import ELEMENTS, SurveyError, grade_of, ikm, quick_score


def responses(per_element: list[list[int]]) -> list[list[int]]:
    """Responses from the ratings given per element (column-wise, as a survey sheet)."""
    return [list(row) for row in zip(*per_element, strict=True)]


def test_every_answer_very_satisfied_is_100_and_an_a() -> None:
    result = ikm([[4] * 9] * 7)
    assert result is not None
    assert (result.respondents, result.index, result.score) == (7, Fraction(4), Decimal("100.00"))
    assert result.grade.letter == "A"
    assert result.grade.performance == "Sangat baik"


def test_every_answer_not_satisfied_is_25_and_a_d() -> None:
    result = ikm([[1] * 9])
    assert result is not None
    assert (result.score, result.grade.letter) == (Decimal("25.00"), "D")


def test_a_worked_example_element_by_element() -> None:
    # GIVEN four respondents whose ratings give these element means (NRR)
    #   U1 3.25  U2 3.00  U3 2.75  U4 4.00  U5 3.50  U6 3.25  U7 3.75  U8 2.50  U9 3.00
    per_element = [
        [4, 3, 3, 3], [3, 3, 3, 3], [3, 3, 3, 2], [4, 4, 4, 4], [4, 4, 3, 3],
        [4, 3, 3, 3], [4, 4, 4, 3], [3, 3, 2, 2], [3, 3, 3, 3],
    ]  # fmt: skip
    result = ikm(responses(per_element))
    assert result is not None
    # THEN each mean is exact, the index is their sum over 9, and the score 25 times that
    assert result.element_means[0] == Fraction(13, 4)
    assert result.index == Fraction(29, 9)  # 29.00 / 9 = 3.2222...
    assert result.score == Decimal("80.56")  # 25 x 3.2222... = 80.555...
    assert result.grade.letter == "B"


def test_exact_weights_where_the_rounded_weight_0_111_gives_another_grade() -> None:
    # GIVEN ten respondents: eight elements average 3.5, one averages 3.8 (sum 31.8)
    half = [4] * 5 + [3] * 5
    high = [4] * 8 + [3] * 2
    result = ikm(responses([half] * 8 + [high]))
    assert result is not None
    # THEN the exact weight 1/9 gives 88.33: grade A (Sangat baik)
    assert result.score == Decimal("88.33")
    assert result.grade.letter == "A"
    # while the regulation's rounded weight would give 31.8 x 0.111 x 25 = 88.245: a B
    rounded = Decimal("31.8") * Decimal("0.111") * 25
    assert grade_of(rounded.quantize(Decimal("0.01"))).letter == "B"


@pytest.mark.parametrize(
    ("score", "letter"),
    [("100.00", "A"), ("88.31", "A"), ("88.30", "B"), ("76.61", "B"), ("76.60", "C"),
     ("65.00", "C"), ("64.99", "D"), ("25.00", "D")],
)  # fmt: skip
def test_grade_boundaries(score: str, letter: str) -> None:
    assert grade_of(Decimal(score)).letter == letter


def test_no_responses_no_index() -> None:
    assert ikm([]) is None


@pytest.mark.parametrize("bad", [[4] * 8, [4] * 10, [4] * 8 + [5], [4] * 8 + [0], [4] * 8 + [True]])
def test_a_response_must_be_nine_ratings_of_1_to_4(bad: list[int]) -> None:
    with pytest.raises(SurveyError):
        ikm([bad])


def test_the_nine_elements_are_the_regulations() -> None:
    assert [element.code for element in ELEMENTS] == [f"U{n}" for n in range(1, 10)]
    assert ELEMENTS[3].name == "Biaya/tarif"


def test_the_quick_score_is_separate_and_counts_the_satisfied() -> None:
    score = quick_score([4, 4, 3, 2, 1])
    assert score.presses == 5
    assert score.counts == {4: 2, 3: 1, 2: 1, 1: 1}
    assert score.mean == Fraction(14, 5)
    assert score.satisfied_percent == Decimal("60.0")
    assert quick_score([]).mean is None
