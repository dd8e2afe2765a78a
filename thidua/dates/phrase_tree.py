"""The parse tree of a date phrase: nodes that know which of year/quarter they lack and
compute their inclusive (start, end) once those are supplied, and the calendar checks the
grammar applies to the numbers it reads. Internal to `thidua.dates.phrases`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date, timedelta
from itertools import pairwise

from thidua.dates.span import MAX_YEAR, MIN_YEAR
from thidua.dates.written import WEEKDAY_NAMES

# ---------------------------------------------------------------------------
# Internal signals


class BadDate(Exception):
    """Recognised text naming no real date; args[0] is the Vietnamese reason."""

    @property
    def reason(self) -> str:
        return str(self.args[0])


class NoMatch(Exception):
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


def day_text(d: date, with_year: bool = True) -> str:
    """dd/mm/yyyy (or dd/mm) as a message shows a day."""
    return f"{d.day:02d}/{d.month:02d}/{d.year}" if with_year else f"{d.day:02d}/{d.month:02d}"


def _dm(day: int, month: int, year: int | None) -> str:
    return f"{day:02d}/{month:02d}" + (f"/{year}" if year is not None else "")


def _no_such_day(day: int, month: int, year: int | None) -> BadDate:
    why = ""
    if month == 2 and day == 29 and year is not None:
        why = f" (năm {year} không phải năm nhuận)"
    return BadDate(f"ngày {_dm(day, month, year)} không tồn tại{why}")


def read_year(text: str) -> int:
    if len(text) != 4:
        raise BadDate(f"năm “{text}” phải ghi đủ 4 chữ số, ví dụ 2026")
    value = int(text)
    if not MIN_YEAR <= value <= MAX_YEAR:
        raise BadDate(f"năm {value} nằm ngoài khoảng {MIN_YEAR}–{MAX_YEAR}")
    return value


def read_month(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 12:
        raise BadDate(f"tháng {value} không hợp lệ; tháng phải từ 1 đến 12")
    return value


def read_day(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 31:
        raise BadDate(f"ngày {value} không hợp lệ; ngày phải từ 1 đến 31")
    return value


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def read_quarter(text: str) -> int:
    try:
        return _ROMAN[text]
    except KeyError:
        raise BadDate(f"quý “{text.upper()}” không hợp lệ; quý phải từ I đến IV") from None


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


class Node(ABC):
    __slots__ = ()

    @property
    def needs_year(self) -> bool:
        return False

    @property
    def needs_quarter(self) -> bool:
        return False

    def base(self) -> Node:
        return self

    @abstractmethod
    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        """First and last day of the node for the given context year and quarter."""


class Dated(Node):
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


class Day(Dated):
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
            raise BadDate(f"thiếu tháng của ngày {self.day}, ví dụ “ngày {self.day}/5/2026”")
        y = self._year(year)
        if self.day > _dim(y, self.month):
            raise _no_such_day(self.day, self.month, y)
        d = date(y, self.month, self.day)
        return d, d


class Month(Dated):
    __slots__ = ("filled", "month", "year")

    def __init__(self, year: int | None, month: int) -> None:
        self.year, self.month, self.filled = year, month, False

    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        y = self._year(year)
        return _month_span(y, self.month, self.month)


class Months(Dated):
    """The first or last N months of a year ("6 tháng đầu năm")."""

    __slots__ = ("filled", "first", "last", "year")

    def __init__(self, year: int | None, first: int, last: int) -> None:
        self.year, self.first, self.last, self.filled = year, first, last, False

    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        y = self._year(year)
        return _month_span(y, self.first, self.last)


class Quarter(Dated):
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


class Year(Dated):
    __slots__ = ("filled", "year")

    def __init__(self, year: int | None) -> None:
        self.year, self.filled = year, False

    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        y = self._year(year)
        return date(y, 1, 1), date(y, 12, 31)


class Years(Node):
    __slots__ = ("first", "last")

    def __init__(self, first: int, last: int) -> None:
        if last < first:
            raise BadDate(f"năm kết thúc {last} sớm hơn năm bắt đầu {first}")
        self.first, self.last = first, last

    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        return date(self.first, 1, 1), date(self.last, 12, 31)


class QuarterMonth(Node):
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


class QuarterDay(QuarterMonth):
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


class Wrapper(Node):
    __slots__ = ("inner",)

    def __init__(self, inner: Node) -> None:
        self.inner = inner

    @property
    def needs_year(self) -> bool:
        return self.inner.needs_year

    @property
    def needs_quarter(self) -> bool:
        return self.inner.needs_quarter

    def base(self) -> Node:
        return self.inner.base()


class Last(Wrapper):
    """The last day of the inner span: "hết", "chậm nhất", "đến"."""

    __slots__ = ()

    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        end = self.inner.span(year, quarter)[1]
        return end, end


class Before(Wrapper):
    """The day before the inner span: "trước ngày X" leaves X-1 as the last day."""

    __slots__ = ()

    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        day = self.inner.span(year, quarter)[0] - timedelta(days=1)
        return day, day


class Weekday(Wrapper):
    """A day annotated with its weekday ("thứ Hai, ngày 25/5/2026"): the two must agree."""

    __slots__ = ("weekday",)

    def __init__(self, inner: Node, weekday: int) -> None:
        super().__init__(inner)
        self.weekday = weekday

    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        start, end = self.inner.span(year, quarter)
        if start != end:
            raise BadDate("chỉ ghi thứ trong tuần cho một ngày cụ thể")
        if start.weekday() != self.weekday:
            raise BadDate(
                f"ngày {day_text(start)} là {WEEKDAY_NAMES[start.weekday()]}, "
                f"không phải {WEEKDAY_NAMES[self.weekday]}"
            )
        return start, end


class Range(Node):
    __slots__ = ("first", "last")

    def __init__(self, first: Node, last: Node) -> None:
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
                f"thời điểm kết thúc ({day_text(end, with_year)}) sớm hơn "
                f"thời điểm bắt đầu ({day_text(start, with_year)})"
            )
            if getattr(self.first.base(), "filled", False):
                reason += "; nếu khoảng thời gian kéo sang năm sau, hãy ghi rõ năm của ngày bắt đầu"
            raise BadDate(reason)
        return start, end


class Days(Node):
    """Consecutive days listed one by one: "ngày 03 và ngày 04 tháng 7 năm 2023"."""

    __slots__ = ("items",)

    def __init__(self, items: list[Day]) -> None:
        self.items = items

    @property
    def needs_year(self) -> bool:
        return any(item.needs_year for item in self.items)

    def span(self, year: int | None, quarter: int | None) -> tuple[date, date]:
        days = [item.span(year, quarter)[0] for item in self.items]
        for before, after in pairwise(days):
            if after - before != timedelta(days=1):
                listed = ", ".join(day_text(d, not self.needs_year) for d in days)
                raise BadDate(
                    f"các ngày phải liên tiếp nhau, theo thứ tự tăng dần (đang ghi: {listed})"
                )
        return days[0], days[-1]


def fill(node: Node, source: Node) -> None:
    """Give `node` the month/year it omits from the later `source` ("từ ngày 10 đến 20/5/2026")."""
    target, origin = node.base(), source.base()
    if (
        isinstance(target, Day)
        and target.month is None
        and isinstance(origin, (Day, Month))
        and origin.month is not None
    ):
        target.month = origin.month
        if target.year is None:
            target.year = origin.year
            target.filled = target.year is not None
        target.check()
        return
    if isinstance(target, (Day, Month, Months, Quarter, Year)) and target.year is None:
        year = getattr(origin, "year", None)
        if year is not None and not isinstance(origin, Years):
            target.year = year
            target.filled = True
            if isinstance(target, Day):
                target.check()
