"""The citizen satisfaction index (IKM) of PermenPAN-RB No. 14 Tahun 2017: pure arithmetic.

Shared by the central's reports (`broker.ikm`) and the region's hub.

Nine elements, each rated 1 to 4. Each element's mean (NRR) is weighted exactly 1/9,
the weighted means are summed (IKM, 1 to 4) and multiplied by 25 (the converted
index, 25 to 100), which sets the grade: A 88.31-100, B 76.61-88.30, C 65.00-76.60,
D 25.00-64.99. Fractions keep it exact: the regulation's worked examples round the
weight to 0.111, which moves a unit across a grade boundary (see the tests).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from contract.errors import AntreError


@dataclass(frozen=True, slots=True)
class Element:
    code: str
    name: str
    name_en: str


# The nine elements (unsur) of the survey, in the regulation's order.
ELEMENTS: tuple[Element, ...] = (
    Element("U1", "Persyaratan", "Requirements"),
    Element("U2", "Sistem, mekanisme, dan prosedur", "System, mechanism and procedure"),
    Element("U3", "Waktu penyelesaian", "Completion time"),
    Element("U4", "Biaya/tarif", "Cost or fee"),
    Element("U5", "Produk spesifikasi jenis pelayanan", "The service's product"),
    Element("U6", "Kompetensi pelaksana", "Staff competence"),
    Element("U7", "Perilaku pelaksana", "Staff behaviour"),
    Element("U8", "Penanganan pengaduan, saran, dan masukan", "Handling of complaints"),
    Element("U9", "Sarana dan prasarana", "Facilities"),
)
WEIGHT = Fraction(1, len(ELEMENTS))


@dataclass(frozen=True, slots=True)
class Grade:
    letter: str
    # The converted index at or above which it applies.
    floor: Decimal
    performance: str
    performance_en: str


# Highest first; the converted index is compared after rounding to two decimals, as
# the regulation's table is written.
GRADES: tuple[Grade, ...] = (
    Grade("A", Decimal("88.31"), "Sangat baik", "Very good"),
    Grade("B", Decimal("76.61"), "Baik", "Good"),
    Grade("C", Decimal("65.00"), "Kurang baik", "Not good"),
    Grade("D", Decimal("25.00"), "Tidak baik", "Poor"),
)


class SurveyError(AntreError, ValueError):
    """A survey response that is not nine ratings of 1 to 4."""


@dataclass(frozen=True, slots=True)
class Ikm:
    """The index of a set of responses."""

    respondents: int
    # The mean rating (NRR) of each element, in ELEMENTS order.
    element_means: tuple[Fraction, ...]
    # IKM before conversion: 1 to 4.
    index: Fraction
    # The converted index, 25 to 100, to two decimals (half up).
    score: Decimal
    grade: Grade


def check_ratings(ratings: Sequence[int]) -> tuple[int, ...]:
    """Nine ratings of 1 to 4, or SurveyError saying what is wrong."""
    if len(ratings) != len(ELEMENTS):
        raise SurveyError(f"a response has {len(ELEMENTS)} ratings, not {len(ratings)}")
    for element, rating in zip(ELEMENTS, ratings, strict=True):
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 4:
            raise SurveyError(f"{element.code}: a rating is 1, 2, 3 or 4, not {rating!r}")
    return tuple(ratings)


def ikm(responses: Iterable[Sequence[int]]) -> Ikm | None:
    """The IKM of the responses (None when there are none)."""
    checked = [check_ratings(response) for response in responses]
    sums = [sum(response[i] for response in checked) for i in range(len(ELEMENTS))]
    return ikm_of_sums(len(checked), sums)


def ikm_of_sums(respondents: int, sums: Sequence[int]) -> Ikm | None:
    """The IKM from the count of responses and each element's sum of ratings (as a
    roll-up keeps them); None when there are none."""
    if respondents <= 0:
        return None
    if len(sums) != len(ELEMENTS):
        raise SurveyError(f"{len(ELEMENTS)} element sums are needed, not {len(sums)}")
    count = respondents
    means = tuple(Fraction(total, count) for total in sums)
    index = sum((mean * WEIGHT for mean in means), Fraction(0))
    score = _two_decimals(index * 25)
    return Ikm(count, means, index, score, grade_of(score))


def grade_of(score: Decimal) -> Grade:
    for grade in GRADES:
        if score >= grade.floor:
            return grade
    return GRADES[-1]


def _two_decimals(value: Fraction) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# -- the quick four-button score, kept apart from the IKM --------------------------------

QUICK_CHOICES = {4: "sangat puas", 3: "puas", 2: "kurang puas", 1: "tidak puas"}


@dataclass(frozen=True, slots=True)
class QuickScore:
    """The counter buttons' score: how many pressed each, the mean, the share satisfied."""

    presses: int
    counts: dict[int, int]
    mean: Fraction | None
    # "Sangat puas" and "puas" over all presses, in percent to one decimal.
    satisfied_percent: Decimal | None


def quick_score(presses: Iterable[int]) -> QuickScore:
    values = list(presses)
    for value in values:
        if value not in QUICK_CHOICES:
            raise SurveyError(f"a button press is 1 to 4, not {value!r}")
    counts = {choice: values.count(choice) for choice in QUICK_CHOICES}
    if not values:
        return QuickScore(0, counts, None, None)
    satisfied = Fraction(counts[4] + counts[3], len(values)) * 100
    percent = (Decimal(satisfied.numerator) / Decimal(satisfied.denominator)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    return QuickScore(len(values), counts, Fraction(sum(values), len(values)), percent)
