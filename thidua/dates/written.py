"""Vietnamese date formatting, following Nghị định 30/2020/NĐ-CP for written dates."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from thidua.dates.span import DateSpan

WEEKDAY_NAMES = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
_ROMAN = ("I", "II", "III", "IV")


def weekday_name(d: date) -> str:
    """Vietnamese weekday: "thứ Hai" … "thứ Bảy", "Chủ nhật"."""
    return WEEKDAY_NAMES[d.weekday()]


def format_short(d: date) -> str:
    """dd/mm/yyyy, always two-digit day and month: "25/05/2026"."""
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def format_long(d: date, weekday: bool = True) -> str:
    """Long form "ngày 25 tháng 5 năm 2026 (thứ Hai)"; days < 10 and months 1–2 get a zero."""
    # NĐ 30/2020 pads only these, so "tháng 01" cannot be misread as "tháng 10/11/12".
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    text = f"ngày {d.day:02d} tháng {month} năm {d.year}"
    return f"{text} ({weekday_name(d)})" if weekday else text


def _month_end(d: date) -> bool:
    return (d + timedelta(days=1)).day == 1


def _named(start: date, end: date) -> str | None:
    """A period's usual name when it is a whole year, quarter, month or N months of a year."""
    if start.day != 1 or not _month_end(end):
        return None
    if start.year != end.year:
        if start.month == 1 and end.month == 12:
            return f"giai đoạn {start.year} - {end.year}"
        return None
    first, last, year = start.month, end.month, start.year
    if first == 1 and last == 12:
        return f"năm {year}"
    if first == last:
        return f"tháng {first}/{year}"
    if last - first == 2 and first % 3 == 1:
        return f"quý {_ROMAN[first // 3]}/{year}"
    if first == 1:
        return f"{last} tháng đầu năm {year}"
    if last == 12:
        return f"{13 - first} tháng cuối năm {year}"
    return None


def format_span(span: DateSpan, *, named: bool = False) -> str:
    """Span as "ngày 10/07/2023" or "từ 10/02/2026 đến 20/05/2026"; `named`: "quý IV/2027"."""
    if span.is_day:
        return f"ngày {format_short(span.start)}"
    if named and (name := _named(span.start, span.end)) is not None:
        return name
    return f"từ {format_short(span.start)} đến {format_short(span.end)}"


def days_left_label(n: int, *, working: bool = False) -> str:
    """Label for n days left: "còn 3 ngày", "hôm nay" or "quá hạn 2 ngày" (n < 0)."""
    unit = "ngày làm việc" if working else "ngày"
    if n > 0:
        return f"còn {n} {unit}"
    if n == 0:
        return "hôm nay"
    return f"quá hạn {-n} {unit}"
