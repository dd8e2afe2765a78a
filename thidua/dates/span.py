"""The days a date phrase names: an inclusive `DateSpan`, and the years a phrase may name."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

MIN_YEAR = 1900
MAX_YEAR = 2200


@dataclass(frozen=True, slots=True)
class DateSpan:
    """Inclusive range of days named by a phrase; start == end for a single day."""

    start: date
    end: date
    # Two spans covering the same days are equal however they were written.
    phrase: str = field(compare=False)

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"DateSpan ends ({self.end}) before it starts ({self.start})")

    @property
    def is_day(self) -> bool:
        """True when the span is a single day."""
        return self.start == self.end

    @property
    def days(self) -> int:
        """Number of days in the span, both ends included."""
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end
