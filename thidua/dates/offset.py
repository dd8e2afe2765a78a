"""Offsets: a distance before/after a date ("3 ngày", "2 ngày làm việc", "1 tuần")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from thidua.dates.lexing import EDGE_PUNCT, MAX_PHRASE_LENGTH, lazy
from thidua.errors import PhraseError, number_text
from thidua.text.fold import fold
from thidua.text.values import value_text

MAX_OFFSET_DAYS = 366


@dataclass(frozen=True, slots=True)
class Offset:
    """A distance before/after a date: calendar days, or working days when `working`."""

    days: int
    working: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days < 0:
            raise PhraseError(value_text(self.days), "số ngày phải là số nguyên không âm")

    def label(self) -> str:
        """Vietnamese label: "3 ngày", "2 ngày làm việc"."""
        return f"{self.days} ngày làm việc" if self.working else f"{self.days} ngày"

    def __str__(self) -> str:
        return self.label()


_RX_OFFSET = lazy(
    r"(\d+|[a-z]+)\s*(ngay|tuan)?(\s+lam viec)?(?:\s+truoc(?:\s+(?:han|thoi han|ngay))?)?",
)
_NUMBER_WORDS = {
    "mot": 1,
    "hai": 2,
    "ba": 3,
    "bon": 4,
    "tu": 4,
    "nam": 5,
    "lam": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
    "muoi": 10,
}


def parse_offset(value: int | str) -> Offset:
    """Parse "3 ngày", "2 ngày làm việc", "1 tuần" or an int (calendar days) into an Offset."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise PhraseError(value_text(value), "cần số ngày, ví dụ “3 ngày” hoặc “2 ngày làm việc”")
    if isinstance(value, int):
        days, working, shown = value, False, number_text(value)
    else:
        shown = value
        s = fold(value[:MAX_PHRASE_LENGTH]).strip(EDGE_PUNCT.replace("-", ""))
        m = _RX_OFFSET.fullmatch(s)
        number = None
        if m:
            if m[1].isdigit():
                # Past six digits the exact value is irrelevant: it is over the limit.
                number = int(m[1]) if len(m[1]) <= 6 else MAX_OFFSET_DAYS + 1
            else:
                number = _NUMBER_WORDS.get(m[1])
        if number is None:
            if re.match(r"-\s*\d", s):
                raise PhraseError(value, "số ngày không được âm")
            raise PhraseError(
                value, "không hiểu khoảng thời gian; ví dụ “3 ngày”, “2 ngày làm việc”, “1 tuần”"
            )
        assert m is not None
        working = bool(m[3])
        unit = 7 if m[2] == "tuan" and not working else 5 if m[2] == "tuan" else 1
        days = number * unit
    if days < 0:
        raise PhraseError(shown, "số ngày không được âm")
    if days > MAX_OFFSET_DAYS:
        raise PhraseError(shown, f"không quá {MAX_OFFSET_DAYS} ngày")
    return Offset(days, working)
