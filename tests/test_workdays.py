"""The Vietnamese working-day calendar: real 2026 holidays, the bundled table, properties."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thidua.dates import workdays
from thidua.dates.offset import Offset
from thidua.dates.workdays import WorkCalendar, build_table, vietnam_calendar

D = date
CAL = vietnam_calendar()

HOLIDAYS_2026 = [
    (D(2026, 1, 1), "Tết Dương lịch"),
    (D(2026, 2, 16), "Giao thừa Tết Nguyên Đán"),
    (D(2026, 2, 17), "Tết Nguyên Đán"),
    (D(2026, 2, 18), "Mùng hai Tết Nguyên Đán"),
    (D(2026, 2, 19), "Mùng ba Tết Nguyên Đán"),
    (D(2026, 2, 20), "Mùng bốn Tết Nguyên Đán"),
    (D(2026, 4, 26), "Ngày Giỗ Tổ Hùng Vương"),
    (D(2026, 4, 27), "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"),
    (D(2026, 4, 30), "Ngày Chiến thắng"),
    (D(2026, 5, 1), "Ngày Quốc tế Lao động"),
    (D(2026, 8, 31), "Ngày nghỉ (thay cho ngày 22/08/2026)"),
    (D(2026, 9, 1), "Quốc khánh"),
    (D(2026, 9, 2), "Quốc khánh"),
]


@pytest.mark.parametrize(("day", "name"), HOLIDAYS_2026, ids=[str(d) for d, _ in HOLIDAYS_2026])
def test_holidays_2026(day: date, name: str) -> None:
    assert CAL.holiday_name(day) == name
    assert not CAL.is_working_day(day)


def test_ordinary_days() -> None:
    assert CAL.is_working_day(D(2026, 5, 25))  # Monday
    assert not CAL.is_working_day(D(2026, 5, 23))  # Saturday
    assert not CAL.is_working_day(D(2026, 5, 24))  # Sunday
    assert CAL.holiday_name(D(2026, 5, 25)) is None
    assert CAL.holiday_name(D(2026, 5, 24)) is None  # a weekend is not a holiday


def test_swapped_saturday_is_worked() -> None:
    # Officials work Saturday 22/08/2026 so that Monday 31/08/2026 is off.
    assert D(2026, 8, 22).weekday() == 5
    assert CAL.is_working_day(D(2026, 8, 22))
    assert CAL.next_working_day(D(2026, 8, 22)) == D(2026, 8, 22)


def test_moves_around_holidays() -> None:
    assert CAL.previous_working_day(D(2026, 2, 20)) == D(2026, 2, 13)
    assert CAL.next_working_day(D(2026, 2, 14)) == D(2026, 2, 23)
    assert CAL.add_working_days(D(2026, 4, 24), 1) == D(2026, 4, 28)
    assert CAL.add_working_days(D(2026, 4, 28), -1) == D(2026, 4, 24)
    assert CAL.add_working_days(D(2026, 4, 29), 1) == D(2026, 5, 4)
    assert CAL.add_working_days(D(2026, 9, 3), -1) == D(2026, 8, 28)
    assert CAL.add_working_days(D(2026, 2, 17), 0) == D(2026, 2, 17)
    assert CAL.previous_working_day(D(2026, 5, 25)) == D(2026, 5, 25)


def test_offsets() -> None:
    due = D(2026, 5, 4)  # Monday after 30/4–1/5 and a weekend
    assert CAL.subtract(due, Offset(2, True)) == D(2026, 4, 28)
    assert CAL.subtract(due, Offset(2, False)) == D(2026, 5, 2)
    assert CAL.subtract(due, Offset(0, True)) == due
    assert CAL.add(D(2026, 4, 29), Offset(1, True)) == D(2026, 5, 4)
    assert CAL.add(D(2026, 4, 29), Offset(7, False)) == D(2026, 5, 6)
    assert CAL.add(D(2026, 4, 29), 7) == D(2026, 5, 6)


def test_working_days_between() -> None:
    assert CAL.working_days_between(D(2026, 2, 13), D(2026, 2, 23)) == 1
    assert CAL.working_days_between(D(2026, 2, 23), D(2026, 2, 13)) == -1
    assert CAL.working_days_between(D(2026, 5, 25), D(2026, 5, 25)) == 0
    assert CAL.working_days_between(D(2026, 5, 25), D(2026, 5, 29)) == 4


def test_datetimes_are_treated_as_their_day() -> None:
    assert not CAL.is_working_day(datetime(2026, 2, 17, 8, 0))
    assert CAL.holiday_name(datetime(2026, 9, 2, 8, 0)) == "Quốc khánh"
    assert CAL.add_working_days(datetime(2026, 4, 24, 8), 1) == D(2026, 4, 28)


def test_plain_and_custom_calendars() -> None:
    plain = WorkCalendar()
    assert plain.is_working_day(D(2026, 2, 17))
    assert not plain.is_working_day(D(2026, 2, 21))
    custom = WorkCalendar({D(2026, 6, 1): "Ngày nghỉ riêng"}, [D(2026, 6, 6)])
    assert custom.holiday_name(D(2026, 6, 1)) == "Ngày nghỉ riêng"
    assert custom.next_working_day(D(2026, 6, 1)) == D(2026, 6, 2)
    assert custom.is_working_day(D(2026, 6, 6))


def test_vietnam_calendar_is_a_singleton() -> None:
    assert vietnam_calendar() is vietnam_calendar()


def test_years_outside_the_table_use_the_holidays_package() -> None:
    assert CAL.holiday_name(D(2045, 9, 2)) == "Quốc khánh"
    assert CAL.holiday_name(D(2019, 4, 30)) == "Ngày Chiến thắng"
    # 31/12/2018 off, paid back on Saturday 05/01/2019: a swap across a year boundary.
    assert CAL.holiday_name(D(2018, 12, 31)) is not None
    assert CAL.is_working_day(D(2019, 1, 5))


def test_bundled_table_matches_installed_holidays_package() -> None:
    with open(workdays.TABLE_PATH, encoding="utf-8") as fh:
        bundled = json.load(fh)
    fresh = build_table(bundled["first_year"], bundled["last_year"])
    hint = (
        f"thidua/dates/data/holidays_vn.json was made with holidays {bundled['holidays_version']}, "
        f"but the installed holidays {fresh['holidays_version']} gives different data: "
        "run `python scripts/gen_holidays.py` and commit the new table"
    )
    assert (bundled["first_year"], bundled["last_year"]) == (
        workdays.TABLE_FIRST_YEAR,
        workdays.TABLE_LAST_YEAR,
    )
    assert bundled["holidays"] == fresh["holidays"], hint
    assert bundled["weekend_workdays"] == fresh["weekend_workdays"], hint


def test_table_years_do_not_import_heavy_packages() -> None:
    code = (
        "import sys\n"
        "from datetime import date\n"
        "import thidua.dates.phrases, thidua.dates.written\n"
        "from thidua.dates.workdays import vietnam_calendar\n"
        "cal = vietnam_calendar()\n"
        "assert not cal.is_working_day(date(2026, 2, 17))\n"
        "assert cal.add_working_days(date(2020, 1, 1), 5000) > date(2039, 1, 1)\n"
        "heavy = [m for m in ('holidays', 'pydantic', 'prefect') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --- properties --------------------------------------------------------------

_DAYS = st.dates(min_value=D(2019, 6, 1), max_value=D(2042, 6, 30))
_PROPS = settings(max_examples=150, deadline=None)


@_PROPS
@given(_DAYS, st.integers(-400, 400).filter(bool))
def test_add_working_days_lands_on_a_working_day(day: date, n: int) -> None:
    result = CAL.add_working_days(day, n)
    assert CAL.is_working_day(result)
    assert (result > day) == (n > 0)
    assert CAL.working_days_between(day, result) == n


@_PROPS
@given(_DAYS)
def test_previous_and_next_working_day(day: date) -> None:
    before, after = CAL.previous_working_day(day), CAL.next_working_day(day)
    assert CAL.is_working_day(before) and CAL.is_working_day(after)
    assert before <= day <= after
    assert (before == day) == CAL.is_working_day(day) == (after == day)
    # Nothing in between is a working day.
    assert all(not CAL.is_working_day(before + timedelta(i)) for i in range(1, (day - before).days))


@_PROPS
@given(_DAYS, _DAYS)
def test_working_days_between_is_the_inverse_of_add(a: date, b: date) -> None:
    n = CAL.working_days_between(a, b)
    if CAL.is_working_day(b) or a == b:
        assert CAL.add_working_days(a, n) == b
    lo, hi = min(a, b), max(a, b)
    assert abs(n) <= (hi - lo).days
