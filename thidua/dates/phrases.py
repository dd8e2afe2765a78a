"""Parse the date phrases of Vietnamese plans: "quý IV/2027", "chậm nhất ngày 10/7/2023", …

Matching works on a folded copy of the text (NFKD, lower case, no diacritics, đ→d), so
text pasted from Word (NFD), typed without diacritics or with old-style tone marks all
read the same; the original text is kept for messages. A phrase may lack its year
("15/12") or quarter ("ngày 15 tháng cuối quý"): `Phrase.resolve` supplies them, which
is how recurring deadlines are written.
"""

from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any, cast

from thidua.errors import PhraseError, number_text, quote

MIN_YEAR = 1900
MAX_YEAR = 2200
MAX_OFFSET_DAYS = 366
# A phrase longer than this is a paragraph, not a date; the cap also bounds regex work.
MAX_PHRASE_LENGTH = 300

_EXAMPLES = "“15/5/2026”, “chậm nhất ngày 10/7/2023”, “quý IV/2027”, “từ 10/02/2026 đến 20/5/2026”"
_UNRECOGNISED = f"không nhận ra ngày tháng; ví dụ cách viết đúng: {_EXAMPLES}"


class _LazyRegex:
    """A regex compiled on first use: compiling all of them would dominate import time."""

    __slots__ = ("_pattern", "_regex")

    def __init__(self, pattern: str) -> None:
        self._pattern = pattern
        self._regex: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        if self._regex is None:
            # ASCII: folded text is matched, and \d must not accept other scripts' digits.
            self._regex = re.compile(self._pattern, re.ASCII)
        return getattr(self._regex, name)


def _lazy(pattern: str) -> re.Pattern[str]:
    # Typed as the pattern it stands for: _LazyRegex forwards every attribute to it.
    return cast("re.Pattern[str]", _LazyRegex(pattern))


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


@dataclass(frozen=True, slots=True)
class Offset:
    """A distance before/after a date: calendar days, or working days when `working`."""

    days: int
    working: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days < 0:
            raise PhraseError(_text(self.days), "số ngày phải là số nguyên không âm")

    def label(self) -> str:
        """Vietnamese label: "3 ngày", "2 ngày làm việc"."""
        return f"{self.days} ngày làm việc" if self.working else f"{self.days} ngày"

    def __str__(self) -> str:
        return self.label()


# ---------------------------------------------------------------------------
# Folding


_TRANSLATE = str.maketrans(
    {
        "đ": "d",
        "ð": "d",
        **dict.fromkeys("‐‑‒–—―−", "-"),
        # Quotes around a pasted phrase carry no meaning.
        **dict.fromkeys("“”„‟\"‘’‚‛'«»`", " "),
    }
)
_EDGE_PUNCT = " .;,:!?-+*_•·"


def _fold(text: str) -> str:
    """Lower-case ASCII-ish copy of `text` for matching; whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.translate(_TRANSLATE).split())


# Old-style "quí", "mùng/mồng" for day numbers, and "hằng năm" markers of a recurrence.
_FIXES = _lazy(r"\bqui\b|\b(?:ngay\s+)?m[ou]ng\b|\s*\b(?:hang|moi)\s+(?:nam|quy)$")


def _fix(match: re.Match[str]) -> str:
    word = match.group()
    if word == "qui":
        return "quy"
    if word.endswith(("mung", "mong")):
        return "ngay"
    return ""


def _normalize(text: str) -> str:
    s = _fold(text).strip(_EDGE_PUNCT)
    while len(s) >= 2 and s[0] == "(" and s[-1] == ")":
        s = s[1:-1].strip(_EDGE_PUNCT)
    return _FIXES.sub(_fix, s).strip(_EDGE_PUNCT)


# ---------------------------------------------------------------------------
# Internal signals


class _Bad(Exception):
    """Recognised text naming no real date; args[0] is the Vietnamese reason."""

    @property
    def reason(self) -> str:
        return str(self.args[0])


class _NoMatch(Exception):
    """Text a grammar rule does not recognise (another rule may)."""


# ---------------------------------------------------------------------------
# Calendar helpers

_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _dim(year: int, month: int) -> int:
    if month == 2 and _is_leap(year):
        return 29
    return _DAYS_IN_MONTH[month - 1]


def _fmt(d: date, with_year: bool = True) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}" if with_year else f"{d.day:02d}/{d.month:02d}"


def _dm(day: int, month: int, year: int | None) -> str:
    return f"{day:02d}/{month:02d}" + (f"/{year}" if year is not None else "")


def _no_such_day(day: int, month: int, year: int | None) -> _Bad:
    why = ""
    if month == 2 and day == 29 and year is not None:
        why = f" (năm {year} không phải năm nhuận)"
    return _Bad(f"ngày {_dm(day, month, year)} không tồn tại{why}")


def _year(text: str) -> int:
    if len(text) != 4:
        raise _Bad(f"năm “{text}” phải ghi đủ 4 chữ số, ví dụ 2026")
    value = int(text)
    if not MIN_YEAR <= value <= MAX_YEAR:
        raise _Bad(f"năm {value} nằm ngoài khoảng {MIN_YEAR}–{MAX_YEAR}")
    return value


def _month(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 12:
        raise _Bad(f"tháng {value} không hợp lệ; tháng phải từ 1 đến 12")
    return value


def _day(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 31:
        raise _Bad(f"ngày {value} không hợp lệ; ngày phải từ 1 đến 31")
    return value


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def _quarter(text: str) -> int:
    try:
        return _ROMAN[text]
    except KeyError:
        raise _Bad(f"quý “{text.upper()}” không hợp lệ; quý phải từ I đến IV") from None


def _quarter_month(year: int, quarter: int, index: int, shift: int) -> tuple[int, int]:
    """(year, month) of month `index` (0..2) of the quarter `shift` quarters after."""
    quarter += shift
    if quarter > 4:
        quarter -= 4
        year += 1
    return year, 3 * (quarter - 1) + 1 + index


def _month_span(year: int, first: int, last: int) -> tuple[date, date]:
    return date(year, first, 1), date(year, last, _dim(year, last))


# ---------------------------------------------------------------------------
# Parse tree. Each node knows which of year/quarter it lacks and computes its
# inclusive (start, end) once they are supplied.


class _Node(ABC):
    __slots__ = ()

    @property
    def needs_year(self) -> bool:
        return False

    @property
    def needs_quarter(self) -> bool:
        return False

    def base(self) -> _Node:
        return self

    @abstractmethod
    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        """First and last day of the node for the given context year and quarter."""


class _Dated(_Node):
    """A node that may carry its own year; without one it takes the context's."""

    __slots__ = ()
    year: int | None

    @property
    def needs_year(self) -> bool:
        return self.year is None

    def _year(self, year: int | None) -> int:
        y = self.year if self.year is not None else year
        assert y is not None  # resolve() refuses a missing year before calling span()
        return y


class _Day(_Dated):
    __slots__ = ("day", "filled", "month", "year")

    def __init__(self, year: int | None, month: int | None, day: int) -> None:
        self.year, self.month, self.day = year, month, day
        self.filled = False
        self.check()

    def check(self) -> None:
        if self.month is not None:
            limit = _dim(self.year if self.year is not None else 2000, self.month)
            if self.day > limit:
                raise _no_such_day(self.day, self.month, self.year)

    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        if self.month is None:
            raise _Bad(f"thiếu tháng của ngày {self.day}, ví dụ “ngày {self.day}/5/2026”")
        y = self._year(year)
        if self.day > _dim(y, self.month):
            raise _no_such_day(self.day, self.month, y)
        d = date(y, self.month, self.day)
        return d, d


class _Month(_Dated):
    __slots__ = ("filled", "month", "year")

    def __init__(self, year: int | None, month: int) -> None:
        self.year, self.month, self.filled = year, month, False

    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        y = self._year(year)
        return _month_span(y, self.month, self.month)


class _Months(_Dated):
    """The first or last N months of a year ("6 tháng đầu năm")."""

    __slots__ = ("filled", "first", "last", "year")

    def __init__(self, year: int | None, first: int, last: int) -> None:
        self.year, self.first, self.last, self.filled = year, first, last, False

    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        y = self._year(year)
        return _month_span(y, self.first, self.last)


class _Quarter(_Dated):
    """A quarter; `quarter` None means the quarter being resolved (plus `shift`)."""

    __slots__ = ("filled", "quarter", "shift", "year")

    def __init__(self, year: int | None, quarter: int | None, shift: int = 0) -> None:
        self.year, self.quarter, self.shift, self.filled = year, quarter, shift, False

    @property
    def needs_quarter(self) -> bool:
        return self.quarter is None

    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        y = self._year(year)
        if self.quarter is not None:
            q, shift = self.quarter, 0
        else:
            assert quarter is not None
            q, shift = quarter, self.shift
        y, first = _quarter_month(y, q, 0, shift)
        return _month_span(y, first, first + 2)


class _Year(_Dated):
    __slots__ = ("filled", "year")

    def __init__(self, year: int | None) -> None:
        self.year, self.filled = year, False

    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        y = self._year(year)
        return date(y, 1, 1), date(y, 12, 31)


class _Years(_Node):
    __slots__ = ("first", "last")

    def __init__(self, first: int, last: int) -> None:
        if last < first:
            raise _Bad(f"năm kết thúc {last} sớm hơn năm bắt đầu {first}")
        self.first, self.last = first, last

    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        return date(self.first, 1, 1), date(self.last, 12, 31)


class _QuarterMonth(_Node):
    """Month `index` (0 first, 2 last) of the resolved quarter, `shift` quarters on."""

    __slots__ = ("index", "shift")

    def __init__(self, index: int, shift: int) -> None:
        self.index, self.shift = index, shift

    @property
    def needs_year(self) -> bool:
        return True

    @property
    def needs_quarter(self) -> bool:
        return True

    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        assert year is not None and quarter is not None
        y, m = _quarter_month(year, quarter, self.index, self.shift)
        return _month_span(y, m, m)


class _QuarterDay(_QuarterMonth):
    __slots__ = ("day",)

    def __init__(self, day: int, index: int, shift: int) -> None:
        super().__init__(index, shift)
        self.day = day

    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        assert year is not None and quarter is not None
        y, m = _quarter_month(year, quarter, self.index, self.shift)
        if self.day > _dim(y, m):
            raise _no_such_day(self.day, m, y)
        d = date(y, m, self.day)
        return d, d


class _Wrapper(_Node):
    __slots__ = ("inner",)

    def __init__(self, inner: _Node) -> None:
        self.inner = inner

    @property
    def needs_year(self) -> bool:
        return self.inner.needs_year

    @property
    def needs_quarter(self) -> bool:
        return self.inner.needs_quarter

    def base(self) -> _Node:
        return self.inner.base()


class _Last(_Wrapper):
    """The last day of the inner span: "hết", "chậm nhất", "đến"."""

    __slots__ = ()

    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        end = self.inner.span(year, quarter)[1]
        return end, end


class _Before(_Wrapper):
    """The day before the inner span: "trước ngày X" leaves X-1 as the last day."""

    __slots__ = ()

    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        day = self.inner.span(year, quarter)[0] - timedelta(days=1)
        return day, day


class _Weekday(_Wrapper):
    """A day annotated with its weekday ("thứ Hai, ngày 25/5/2026"): the two must agree."""

    __slots__ = ("weekday",)

    def __init__(self, inner: _Node, weekday: int) -> None:
        super().__init__(inner)
        self.weekday = weekday

    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        start, end = self.inner.span(year, quarter)
        if start != end:
            raise _Bad("chỉ ghi thứ trong tuần cho một ngày cụ thể")
        if start.weekday() != self.weekday:
            from thidua.dates.written import WEEKDAY_NAMES

            raise _Bad(
                f"ngày {_fmt(start)} là {WEEKDAY_NAMES[start.weekday()]}, "
                f"không phải {WEEKDAY_NAMES[self.weekday]}"
            )
        return start, end


class _Range(_Node):
    __slots__ = ("first", "last")

    def __init__(self, first: _Node, last: _Node) -> None:
        self.first, self.last = first, last

    @property
    def needs_year(self) -> bool:
        return self.first.needs_year or self.last.needs_year

    @property
    def needs_quarter(self) -> bool:
        return self.first.needs_quarter or self.last.needs_quarter

    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        start = self.first.span(year, quarter)[0]
        end = self.last.span(year, quarter)[1]
        if end < start:
            with_year = not self.needs_year
            reason = (
                f"thời điểm kết thúc ({_fmt(end, with_year)}) sớm hơn "
                f"thời điểm bắt đầu ({_fmt(start, with_year)})"
            )
            if getattr(self.first.base(), "filled", False):
                reason += "; nếu khoảng thời gian kéo sang năm sau, hãy ghi rõ năm của ngày bắt đầu"
            raise _Bad(reason)
        return start, end


class _Days(_Node):
    """Consecutive days listed one by one: "ngày 03 và ngày 04 tháng 7 năm 2023"."""

    __slots__ = ("items",)

    def __init__(self, items: list[_Day]) -> None:
        self.items = items

    @property
    def needs_year(self) -> bool:
        return any(item.needs_year for item in self.items)

    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        days = [item.span(year, quarter)[0] for item in self.items]
        for before, after in pairwise(days):
            if after - before != timedelta(days=1):
                listed = ", ".join(_fmt(d, not self.needs_year) for d in days)
                raise _Bad(
                    f"các ngày phải liên tiếp nhau, theo thứ tự tăng dần (đang ghi: {listed})"
                )
        return days[0], days[-1]


def _fill(node: _Node, source: _Node) -> None:
    """Give `node` the month/year it omits from the later `source` ("từ ngày 10 đến 20/5/2026")."""
    target, origin = node.base(), source.base()
    if (
        isinstance(target, _Day)
        and target.month is None
        and isinstance(origin, (_Day, _Month))
        and origin.month is not None
    ):
        target.month = origin.month
        if target.year is None:
            target.year = origin.year
            target.filled = target.year is not None
        target.check()
        return
    if isinstance(target, (_Day, _Month, _Months, _Quarter, _Year)) and target.year is None:
        year = getattr(origin, "year", None)
        if year is not None and not isinstance(origin, _Years):
            target.year = year
            target.filled = True
            if isinstance(target, _Day):
                target.check()


# ---------------------------------------------------------------------------
# Grammar (on folded text)

_Y = r"(?:\s*[/.-]\s*|\s*nam\s*|\s+)(\d+)"
_DAYWORD = r"(?:ngay\s*)?"
_SHIFT = r"(?:\s+(sau|tiep theo|ke tiep|toi))?"
_QUARTER_MONTH = r"thang\s+(?:(dau|giua|cuoi)|thu\s+(nhat|hai|ba|1|2|3))(?:\s+cua)?\s+quy" + _SHIFT
_WEEKDAY = r"thu\s+(?:hai|ba|tu|nam|sau|bay|[2-7])|chu\s+nhat|cn"
_WEEKDAY_INDEX = {
    "thu hai": 0,
    "thu ba": 1,
    "thu tu": 2,
    "thu nam": 3,
    "thu sau": 4,
    "thu bay": 5,
    "chu nhat": 6,
    "cn": 6,
    **{f"thu {n}": n - 2 for n in range(2, 8)},
}
_INDEX = {"dau": 0, "nhat": 0, "1": 0, "giua": 1, "hai": 1, "2": 1, "cuoi": 2, "ba": 2, "3": 2}

_RX_ISO = _lazy(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_RX_DMY = _lazy(rf"{_DAYWORD}(\d{{1,2}})\s*[/.-]\s*(\d{{1,2}})(?:{_Y})?")
_RX_DMY_WORDS = _lazy(rf"{_DAYWORD}(\d{{1,2}})\s*thang\s*(\d{{1,2}})(?:{_Y})?")
_RX_MONTH = _lazy(rf"thang\s*(\d{{1,2}})(?:{_Y})?|(\d{{1,2}})\s*[/.-]\s*(\d{{4}})")
_RX_QUARTER = _lazy(rf"quy(?:\s*([ivxlcdm]+|\d+)\b)?{_SHIFT}(?:{_Y})?")
_RX_QUARTER_DAY = _lazy(rf"{_DAYWORD}(\d{{1,2}})\s+(?:cua\s+)?{_QUARTER_MONTH}")
_RX_QUARTER_MONTH = _lazy(_QUARTER_MONTH)
_RX_MONTHS = _lazy(r"(\d{1,2})\s*thang\s+(dau|cuoi)\s+nam(?:\s*(?:[/.-]\s*)?(\d+))?")
_RX_YEARS = _lazy(
    r"(?:(?:giai doan|thoi ky|nhiem ky|cac nam|nam)\s*)?(\d{4})\s*(?:-|den|toi)\s*(\d{4})",
)
_RX_YEAR = _lazy(r"nam(?:\s*(\d+))?|(\d{4})")
_RX_PARTIAL_DAY = _lazy(r"ngay\s*(\d{1,2})|(\d{1,2})")
_RX_WEEKDAY_BEFORE = _lazy(rf"({_WEEKDAY})\s*,?\s*(?=ngay|\d)")
_RX_WEEKDAY_AFTER = _lazy(rf"(?<=\d)\s*[,-]?\s*\(?\s*({_WEEKDAY})\s*\)?$")
_RX_LIST_SEP = _lazy(r"\s*,\s*|\s+va\s+")
_RX_TU = _lazy(r"(?:^|(?<= ))tu ")
_RX_DEN = _lazy(r" (?:den|toi) ")
_RX_PLAIN_SPLIT = _lazy(r" (?:den|toi|-) ")
_RX_ENDS_DAY_MONTH = _lazy(r"\d{1,2}\s*[/.-]\s*\d{1,2}$")

_LAST, _BEFORE, _SKIP = "last", "before", "skip"
# Leading words, longest first so "đến hết" wins over "đến".
_MODIFIERS = (
    ("khong muon hon", _LAST, "không muộn hơn"),
    ("cham nhat", _LAST, "chậm nhất"),
    ("muon nhat", _LAST, "muộn nhất"),
    ("han chot", _LAST, "hạn chót"),
    ("han cuoi", _LAST, "hạn cuối"),
    ("thoi han", _LAST, "thời hạn"),
    ("den het", _LAST, "đến hết"),
    ("den cuoi", _LAST, "đến cuối"),
    ("het", _LAST, "hết"),
    ("cuoi", _LAST, "cuối"),
    ("den", _LAST, "đến"),
    ("toi", _LAST, "tới"),
    ("truoc", _BEFORE, "trước"),
    ("trong", _SKIP, "trong"),
    ("vao", _SKIP, "vào"),
    ("la", _SKIP, "là"),
    ("tinh", _SKIP, "tính"),
    ("ke tu", _SKIP, "kể từ"),
    ("bat dau tu", _SKIP, "bắt đầu từ"),
    ("tu", _SKIP, "từ"),
    ("cac", _SKIP, "các"),
)


def _opt_year(text: str | None) -> int | None:
    return _year(text) if text is not None else None


def _day_node(s: str, partial: bool) -> _Day | None:
    """A single day in any numeric or worded form; `partial` admits "ngày 03" and "03"."""
    if m := _RX_ISO.fullmatch(s):
        return _Day(_year(m[1]), _month(m[2]), _day(m[3]))
    if m := _RX_DMY.fullmatch(s) or _RX_DMY_WORDS.fullmatch(s):
        return _Day(_opt_year(m[3]), _month(m[2]), _day(m[1]))
    if partial and (m := _RX_PARTIAL_DAY.fullmatch(s)):
        return _Day(None, None, _day(m[1] or m[2]))
    return None


def _core(s: str) -> _Node:
    """A phrase without leading modifiers or weekday: one day, a period, or a list of days."""
    if " va " in s or "," in s:
        try:
            return _day_list(s)
        except _NoMatch:
            s = " ".join(s.replace(",", " ").split())
    day = _day_node(s, partial=True)
    if day is not None:
        return day
    if m := _RX_MONTH.fullmatch(s):
        if m[1] is not None:
            return _Month(_opt_year(m[2]), _month(m[1]))
        return _Month(_year(m[4]), _month(m[3]))
    if m := _RX_QUARTER.fullmatch(s):
        quarter = _quarter(m[1]) if m[1] is not None else None
        shift = 1 if m[2] and quarter is None else 0
        if m[2] and quarter is not None:
            raise _NoMatch
        return _Quarter(_opt_year(m[3]), quarter, shift)
    if m := _RX_QUARTER_DAY.fullmatch(s):
        return _QuarterDay(_day(m[1]), _INDEX[m[2] or m[3]], 1 if m[4] else 0)
    if m := _RX_QUARTER_MONTH.fullmatch(s):
        return _QuarterMonth(_INDEX[m[1] or m[2]], 1 if m[3] else 0)
    if m := _RX_MONTHS.fullmatch(s):
        count = int(m[1])
        if not 1 <= count <= 12:
            raise _Bad(f"số tháng {count} không hợp lệ; phải từ 1 đến 12")
        first, last = (1, count) if m[2] == "dau" else (13 - count, 12)
        return _Months(_opt_year(m[3]), first, last)
    if m := _RX_YEARS.fullmatch(s):
        return _Years(_year(m[1]), _year(m[2]))
    if m := _RX_YEAR.fullmatch(s):
        digits = m[1] or m[2]
        return _Year(_year(digits) if digits else None)
    raise _NoMatch


def _day_list(s: str) -> _Days:
    parts = _RX_LIST_SEP.split(s)
    items: list[_Day] = []
    for part in parts:
        day = _day_node(part, partial=True)
        if day is None:
            raise _NoMatch
        items.append(day)
    if len(items) < 2:
        raise _NoMatch
    for i in range(len(items) - 2, -1, -1):
        _fill(items[i], items[i + 1])
    return _Days(items)


def _with_weekday(s: str) -> _Node:
    weekday: int | None = None
    if m := _RX_WEEKDAY_BEFORE.match(s):
        weekday = _WEEKDAY_INDEX[" ".join(m[1].split())]
        s = s[m.end() :]
    if m := _RX_WEEKDAY_AFTER.search(s):
        after = _WEEKDAY_INDEX[" ".join(m[1].split())]
        if weekday is not None and weekday != after:
            raise _Bad("ghi hai thứ khác nhau cho cùng một ngày")
        weekday = after
        s = s[: m.start()]
    node = _core(s)
    return _Weekday(node, weekday) if weekday is not None else node


def _single(s: str) -> _Node:
    """One day or period, possibly behind "chậm nhất", "trước", "hết", "trong"…"""
    mods: list[tuple[str, str]] = []
    while True:
        s = s.strip(" ,:")
        for word, kind, shown in _MODIFIERS:
            if s.startswith(word) and (len(s) == len(word) or s[len(word)] in " ,:"):
                if any(shown == seen for _, seen in mods):
                    raise _NoMatch  # "trước trước …" is not a phrase anyone writes
                s = s[len(word) :]
                mods.append((kind, shown))
                break
        else:
            break
    if s in ("", "ngay", "cac ngay"):
        if mods:
            raise _Bad(f"thiếu ngày tháng sau {quote(mods[0][1])}")
        raise _NoMatch
    node = _with_weekday(s)
    for kind, _ in reversed(mods):
        if kind == _LAST:
            node = _Last(node)
        elif kind == _BEFORE:
            node = _Before(node)
    return node


def _range(first_text: str, last_text: str) -> _Node:
    first, last = _single(first_text), _single(last_text)
    _fill(first, last)
    return _Range(first, last)


def _has_digit(text: str) -> bool:
    return any(ch.isdigit() for ch in text)


#: A parse to try: a function of the text's pieces, and the pieces.
_Attempt = tuple[Callable[..., "_Node"], *tuple[str, ...]]


def _first_success(attempts: list[_Attempt]) -> _Node:
    """Run attempts in order; a real problem (not just "no match") wins over no match."""
    problem: _Bad | None = None
    for func, *args in attempts:
        try:
            return func(*args)
        except _Bad as exc:
            problem = problem or exc
        except _NoMatch:
            pass
    if problem is not None:
        raise problem
    raise _NoMatch


def _candidate(s: str) -> _Node:
    attempts: list[_Attempt] = []
    # "…từ X đến Y": any label before "từ" is tolerated; "thứ Tư" is not "từ".
    # The label must be words only: digits before "từ" mean the text says something else.
    starts = [
        m
        for m in _RX_TU.finditer(s)
        if not s[: m.start()].endswith("thu ") and not _has_digit(s[: m.start()])
    ][:4]
    for start in starts:
        rest = s[start.end() :]
        for sep in list(_RX_DEN.finditer(rest))[:4]:
            attempts.append((_range, rest[: sep.start()], rest[sep.end() :]))
    attempts.append((_single, s))
    for sep in list(_RX_PLAIN_SPLIT.finditer(s))[:4]:
        attempts.append((_range, s[: sep.start()], s[sep.end() :]))
    return _first_success(attempts)


def _parse_text(s: str) -> _Node:
    """Parse normalised text; raises only _Bad or _NoMatch."""
    attempts: list[_Attempt] = [(_candidate, s)]
    label, colon, rest = s.partition(":")
    if colon and ":" not in rest and not _has_digit(label):
        # "Thời hạn nộp: 10/7/2023": the label before the colon is not part of the date.
        attempts.append((_candidate, rest.strip(_EDGE_PUNCT)))
    return _first_success(attempts)


# ---------------------------------------------------------------------------
# Public API


class Phrase:
    """A parsed date phrase; `resolve` gives its days once any missing year/quarter is known."""

    __slots__ = ("_node", "_span", "needs_quarter", "needs_year", "text")

    def __init__(self, text: str, node: _Node) -> None:
        self.text = text
        self._node = node
        self.needs_year: bool = node.needs_year
        self.needs_quarter: bool = node.needs_quarter
        self._span: DateSpan | None = None
        if not (self.needs_year or self.needs_quarter):
            self._span = DateSpan(*node.span(None, None), text)
        else:
            self._probe()

    def _probe(self) -> None:
        """Reject a phrase that no year/quarter could make valid ("từ 20/5 đến 10/02")."""
        first: _Bad | None = None
        for year in (2000, 2001):
            for quarter in (1, 2, 3, 4):
                try:
                    self._node.span(year, quarter)
                    return
                except _Bad as exc:
                    first = first or exc
        assert first is not None
        raise first

    def __repr__(self) -> str:
        needs = f"needs_year={self.needs_year}, needs_quarter={self.needs_quarter}"
        return f"Phrase({self.text!r}, {needs})"

    @property
    def is_complete(self) -> bool:
        """True when the phrase names its days without a year or quarter from outside."""
        return self._span is not None

    def resolve(self, year: int | None = None, quarter: int | None = None) -> DateSpan:
        """The days this phrase names; `year`/`quarter` fill in what the phrase omits."""
        if self._span is not None:
            return self._span
        if self.needs_quarter and (quarter is None or year is None):
            raise PhraseError(
                self.text,
                "cụm này tính theo quý nên cần biết quý và năm; "
                "chỉ dùng được cho lịch lặp lại hằng quý",
            )
        if year is None:
            raise PhraseError(
                self.text, f"thiếu năm; hãy ghi rõ năm, ví dụ {quote(self._year_example())}"
            )
        if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
            raise PhraseError(
                self.text, f"năm {quote(year)} nằm ngoài khoảng {MIN_YEAR}–{MAX_YEAR}"
            )
        if self.needs_quarter and (
            isinstance(quarter, bool) or not isinstance(quarter, int) or not 1 <= quarter <= 4
        ):
            raise PhraseError(self.text, f"quý {quote(quarter)} không hợp lệ; quý phải từ I đến IV")
        try:
            start, end = self._node.span(year, quarter)
        except _Bad as exc:
            raise PhraseError(self.text, exc.reason) from None
        return DateSpan(start, end, self.text)

    def _year_example(self) -> str:
        text = self.text.strip().rstrip(_EDGE_PUNCT)
        folded = _fold(text)
        this_year = date.today().year
        words = text.split()
        if folded.endswith(("hang nam", "moi nam")) and len(words) > 2:
            text = " ".join(words[:-2])
            folded = _fold(text)
        if _RX_ENDS_DAY_MONTH.search(folded):
            return f"{text}/{this_year}"
        if folded.endswith("nam"):
            return f"{text} {this_year}"
        return f"{text} năm {this_year}"


def parse_phrase(text: str) -> Phrase:
    """Parse a Vietnamese date phrase; PhraseError (quoting it) if it names no real date."""
    if not isinstance(text, str):
        raise PhraseError(_text(text), f"cần một cụm ngày tháng dạng chữ, ví dụ {_EXAMPLES}")
    if len(text) > MAX_PHRASE_LENGTH:
        raise PhraseError(
            text, f"quá dài (tối đa {MAX_PHRASE_LENGTH} ký tự); chỉ ghi cụm ngày tháng"
        )
    try:
        s = _normalize(text)
        if not s:
            raise _Bad(f"không có ngày tháng nào; ví dụ cách viết đúng: {_EXAMPLES}")
        return Phrase(text, _parse_text(s))
    except _Bad as exc:
        raise PhraseError(text, exc.reason) from None
    except _NoMatch:
        raise PhraseError(text, _UNRECOGNISED) from None
    except (ArithmeticError, AssertionError, LookupError, ValueError, TypeError) as exc:
        # Last-resort net: the contract is that bad text only ever yields PhraseError.
        raise PhraseError(text, _UNRECOGNISED) from exc


def parse_date(
    text: str | date, *, year: int | None = None, quarter: int | None = None
) -> DateSpan:
    """Parse and resolve a phrase (or wrap a date) into a DateSpan."""
    if isinstance(text, datetime):
        text = text.date()
    if isinstance(text, date):
        return DateSpan(text, text, _fmt(text))
    return parse_phrase(text).resolve(year, quarter)


_RX_OFFSET = _lazy(
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


def _text(value: object) -> str:
    """`value` as text for a message, even an int too long for str()."""
    if isinstance(value, int) and not isinstance(value, bool):
        return number_text(value)
    try:
        return str(value)
    except ValueError:  # a container holding such an int
        return f"<{type(value).__name__}>"


def parse_offset(value: int | str) -> Offset:
    """Parse "3 ngày", "2 ngày làm việc", "1 tuần" or an int (calendar days) into an Offset."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise PhraseError(_text(value), "cần số ngày, ví dụ “3 ngày” hoặc “2 ngày làm việc”")
    if isinstance(value, int):
        days, working, shown = value, False, number_text(value)
    else:
        shown = value
        s = _fold(value[:MAX_PHRASE_LENGTH]).strip(_EDGE_PUNCT.replace("-", ""))
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
