"""The building blocks of the site model: checked names and numbers, a period of a day.

Kept apart from `contract.site` so the tables of the model can live in files of their
own (see `contract.site_bookings`) without importing each other in a circle.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from msgspec import Meta

# Identifiers end up in MQTT topics and file names: keep them to safe characters.
Identifier = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
Prefix = Annotated[str, Meta(pattern=r"^[A-Z]{1,2}$")]
Name = Annotated[str, Meta(min_length=1, max_length=120)]
# BCM numbering: the GPIO pins a Raspberry Pi header offers.
Pin = Annotated[int, Meta(ge=0, le=27)]
PositiveInt = Annotated[int, Meta(ge=1)]
Minutes = Annotated[int, Meta(ge=0, le=24 * 60)]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Period:
    """An opening period within one day, such as 08:00-12:00 (end not included)."""

    __slots__ = ("end", "start")

    def __init__(self, start: dt.time, end: dt.time) -> None:
        if start >= end:
            raise ValueError(f"a period must end after it starts ({start:%H:%M}-{end:%H:%M})")
        self.start = start
        self.end = end

    @classmethod
    def parse(cls, text: object) -> Period:
        """Reads "08:00-12:00"."""
        if not isinstance(text, str) or text.count("-") != 1:
            raise ValueError(f"{text!r} is not a period like '08:00-12:00'")
        start, end = (part.strip() for part in text.split("-"))
        try:
            return cls(_clock(start), _clock(end))
        except ValueError as e:
            raise ValueError(f"{text!r}: {e}") from e

    def __contains__(self, moment: dt.time) -> bool:
        return self.start <= moment < self.end

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Period) and (self.start, self.end) == (other.start, other.end)

    def __hash__(self) -> int:
        return hash((self.start, self.end))

    def __repr__(self) -> str:
        return f"Period('{self}')"

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def _clock(text: str) -> dt.time:
    if len(text) != 5 or text[2] != ":":
        raise ValueError(f"{text!r} is not a time like '08:00'")
    return dt.time.fromisoformat(text)
