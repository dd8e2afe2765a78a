"""Vietnamese working days: Monday–Friday, minus public holidays, plus swapped Saturdays.

Holidays for 2020–2040 come from a bundled table (thidua/dates/data/holidays_vn.json, made by
scripts/gen_holidays.py from the `holidays` package) so that the CLI never pays for
importing `holidays`; other years fall back to the package itself, imported lazily.

When the government swaps a working day into a weekend for officials (e.g. Saturday
22/08/2026 worked so that Monday 31/08/2026 is off), that Saturday counts as a working
day: the audience of a campaign is the public sector, which works it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from thidua.dates.offset import Offset

TABLE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "holidays_vn.json")
TABLE_FIRST_YEAR = 2020
TABLE_LAST_YEAR = 2040
_ONE_DAY = timedelta(days=1)

# (holidays by date, weekend working days, years now fully known)
_YearData = tuple[dict[date, str], set[date], set[int]]


def build_table(first_year: int, last_year: int) -> dict[str, Any]:
    """Vietnamese holidays of [first_year, last_year] from the `holidays` package, as JSON data."""
    import holidays  # deliberately lazy: ~0.1 s of import time
    from holidays.version import __version__ as holidays_version

    # A swap may move a working day into the neighbouring year (31/12/2018 off, 05/01/2019
    # worked), so read one year either side and keep only the dates inside the range.
    vn = holidays.country_holidays("VN", years=range(first_year - 1, last_year + 2), language="vi")
    return {
        "generator": "scripts/gen_holidays.py",
        "holidays_version": holidays_version,
        "country": "VN",
        "language": "vi",
        "first_year": first_year,
        "last_year": last_year,
        "holidays": {
            d.isoformat(): name
            for d, name in sorted(vn.items())
            if first_year <= d.year <= last_year
        },
        "weekend_workdays": sorted(
            d.isoformat() for d in vn.weekend_workdays if first_year <= d.year <= last_year
        ),
    }


def _decode(table: Mapping[str, Any]) -> _YearData:
    days = {date.fromisoformat(k): str(v) for k, v in table["holidays"].items()}
    work = {date.fromisoformat(k) for k in table["weekend_workdays"]}
    years = set(range(int(table["first_year"]), int(table["last_year"]) + 1))
    return days, work, years


@cache
def _bundled() -> _YearData | None:
    """The bundled table, or None when it is missing or unreadable (then `holidays` is used)."""
    import json

    try:
        with open(TABLE_PATH, encoding="utf-8") as fh:
            return _decode(json.load(fh))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _vietnam_year(year: int) -> _YearData:
    bundled = _bundled()
    if bundled is not None and year in bundled[2]:
        return bundled
    return _decode(build_table(year, year))


def _as_date(d: date) -> date:
    # A datetime never equals a date, so holiday lookups would silently miss.
    return d.date() if isinstance(d, datetime) else d


class WorkCalendar:
    """Working days: Monday–Friday that are not holidays, plus listed weekend workdays."""

    def __init__(
        self,
        holidays: Mapping[date, str] | None = None,
        weekend_workdays: Iterable[date] = (),
        *,
        loader: Callable[[int], _YearData] | None = None,
    ) -> None:
        self._holidays: dict[date, str] = dict(holidays or {})
        self._workdays: set[date] = set(weekend_workdays)
        self._loader = loader
        self._years: set[int] = set()

    def _ensure(self, year: int) -> None:
        if self._loader is not None and year not in self._years:
            days, work, years = self._loader(year)
            for d, name in days.items():
                self._holidays.setdefault(d, name)
            self._workdays |= work
            self._years |= years | {year}

    def is_working_day(self, d: date) -> bool:
        """Monday–Friday and not a public holiday (or a Saturday worked in a swap)."""
        d = _as_date(d)
        self._ensure(d.year)
        if d in self._holidays:
            return False
        return d.weekday() < 5 or d in self._workdays

    def holiday_name(self, d: date) -> str | None:
        """Vietnamese name of the public holiday on `d`, or None."""
        d = _as_date(d)
        self._ensure(d.year)
        return self._holidays.get(d)

    def previous_working_day(self, d: date) -> date:
        """The last working day on or before `d`."""
        d = _as_date(d)
        while not self.is_working_day(d):
            d -= _ONE_DAY
        return d

    def next_working_day(self, d: date) -> date:
        """The first working day on or after `d`."""
        d = _as_date(d)
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after `d` (before it when n < 0); `d` itself when n == 0."""
        d = _as_date(d)
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        left = abs(n)
        while left:
            d += step
            if self.is_working_day(d):
                left -= 1
        return d

    def subtract(self, d: date, offset: Offset | int) -> date:
        """The date `offset` before `d`: calendar days, or working days if the offset says so."""
        days, working = _offset(offset)
        if working:
            return self.add_working_days(d, -days)
        return _as_date(d) - timedelta(days=days)

    def add(self, d: date, offset: Offset | int) -> date:
        """The date `offset` after `d`: calendar days, or working days if the offset says so."""
        days, working = _offset(offset)
        if working:
            return self.add_working_days(d, days)
        return _as_date(d) + timedelta(days=days)

    def working_days_between(self, a: date, b: date) -> int:
        """Signed steps from a to b: working days in (a, b], or minus those in [b, a).

        This is the inverse of `add_working_days`: add_working_days(a, n) == b implies
        working_days_between(a, b) == n.
        """
        a, b = _as_date(a), _as_date(b)
        if b >= a:
            lo, hi, sign = a + _ONE_DAY, b, 1
        else:
            lo, hi, sign = b, a - _ONE_DAY, -1
        count = 0
        d = lo
        while d <= hi:
            count += self.is_working_day(d)
            d += _ONE_DAY
        return sign * count


def _offset(offset: Offset | int) -> tuple[int, bool]:
    if isinstance(offset, int) and not isinstance(offset, bool):
        return offset, False
    return offset.days, offset.working  # type: ignore[union-attr]


@cache
def vietnam_calendar() -> WorkCalendar:
    """The shared calendar of Vietnamese public holidays (cached)."""
    return WorkCalendar(loader=_vietnam_year)
