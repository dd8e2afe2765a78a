"""Vietnamese date formatting, and that every formatted form parses back to the same days."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thidua.dates.phrases import parse_date
from thidua.dates.span import DateSpan
from thidua.dates.written import (
    WEEKDAY_NAMES,
    days_left_label,
    format_long,
    format_short,
    format_span,
    weekday_name,
)

D = date


def test_weekday_names() -> None:
    # 25/05/2026 is a Monday.
    names = [weekday_name(D(2026, 5, 25 + i)) for i in range(7)]
    assert names == ["thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật"]
    assert list(WEEKDAY_NAMES) == names


@pytest.mark.parametrize(
    ("day", "short", "long"),
    [
        (D(2026, 5, 25), "25/05/2026", "ngày 25 tháng 5 năm 2026 (thứ Hai)"),
        (D(2026, 2, 5), "05/02/2026", "ngày 05 tháng 02 năm 2026 (thứ Năm)"),
        (D(2026, 1, 10), "10/01/2026", "ngày 10 tháng 01 năm 2026 (thứ Bảy)"),
        (D(2026, 3, 9), "09/03/2026", "ngày 09 tháng 3 năm 2026 (thứ Hai)"),
        (D(2026, 12, 31), "31/12/2026", "ngày 31 tháng 12 năm 2026 (thứ Năm)"),
        (D(2026, 11, 1), "01/11/2026", "ngày 01 tháng 11 năm 2026 (Chủ nhật)"),
    ],
)
def test_short_and_long_forms(day: date, short: str, long: str) -> None:
    assert format_short(day) == short
    assert format_long(day) == long
    assert format_long(day, weekday=False) == long.rsplit(" (", 1)[0]


def test_format_span() -> None:
    assert format_span(parse_date("chậm nhất ngày 10/7/2023")) == "ngày 10/07/2023"
    span = parse_date("Từ ngày 10/02/2026 đến ngày 20/5/2026")
    assert format_span(span) == "từ 10/02/2026 đến 20/05/2026"
    assert format_span(span, named=True) == "từ 10/02/2026 đến 20/05/2026"


@pytest.mark.parametrize(
    ("phrase", "name"),
    [
        ("quý IV/2027", "quý IV/2027"),
        ("quý I năm 2026", "quý I/2026"),
        ("tháng 12 năm 2027", "tháng 12/2027"),
        ("năm 2030", "năm 2030"),
        ("giai đoạn 2026-2030", "giai đoạn 2026 - 2030"),
        ("6 tháng đầu năm 2023", "6 tháng đầu năm 2023"),
        ("6 tháng cuối năm 2026", "6 tháng cuối năm 2026"),
        ("từ tháng 3/2026 đến tháng 5/2026", "từ 01/03/2026 đến 31/05/2026"),
        ("từ tháng 3/2026 đến tháng 5/2027", "từ 01/03/2026 đến 31/05/2027"),
        ("ngày 10/7/2023", "ngày 10/07/2023"),
    ],
)
def test_format_span_named(phrase: str, name: str) -> None:
    span = parse_date(phrase)
    assert format_span(span, named=True) == name
    assert parse_date(name) == span


@pytest.mark.parametrize(
    ("n", "label", "working"),
    [
        (3, "còn 3 ngày", "còn 3 ngày làm việc"),
        (1, "còn 1 ngày", "còn 1 ngày làm việc"),
        (0, "hôm nay", "hôm nay"),
        (-2, "quá hạn 2 ngày", "quá hạn 2 ngày làm việc"),
    ],
)
def test_days_left_label(n: int, label: str, working: str) -> None:
    assert days_left_label(n) == label
    assert days_left_label(n, working=True) == working


_DAYS = st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31))


@settings(max_examples=200, deadline=None)
@given(_DAYS)
def test_formatted_days_parse_back(day: date) -> None:
    for text in (format_short(day), format_long(day), format_long(day, weekday=False)):
        span = parse_date(text)
        assert (span.start, span.end) == (day, day), text
    assert parse_date(format_span(parse_date(day))).start == day


@settings(max_examples=200, deadline=None)
@given(_DAYS, _DAYS, st.booleans())
def test_formatted_spans_parse_back(a: date, b: date, named: bool) -> None:
    span = DateSpan(min(a, b), max(a, b), "")
    assert parse_date(format_span(span, named=named)) == span


@settings(max_examples=200, deadline=None)
@given(st.integers(1900, 2200), st.integers(1, 12), st.integers(1, 12), st.integers(0, 3))
def test_whole_month_spans_parse_back_from_their_names(
    year: int, first: int, last: int, extra_years: int
) -> None:
    first, last = min(first, last), max(first, last)
    end_year = min(year + extra_years, 2200)
    end = parse_date(f"tháng {last}/{end_year}").end
    span = DateSpan(D(year, first, 1), end, "")
    assert parse_date(format_span(span, named=True)) == span
