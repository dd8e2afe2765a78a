"""When something was handed in: read as people write it, shown in local time, and
stamped on time / late / early against a milestone occurrence's window.

Shared by submissions and nomination dossiers, so both ledgers judge time alike.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from thidua.campaign.plan import Occurrence
from thidua.dates.span import MAX_YEAR, MIN_YEAR
from thidua.dates.written import format_long, format_short, weekday_name
from thidua.errors import SubmissionError, quote
from thidua.ledger.statuses import SubmissionTiming

#: A submission stamped later than now by more than this is a typo, not clock drift.
FUTURE_TOLERANCE = timedelta(minutes=5)

_DATE = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})")
_TIME = re.compile(r"(?<!\d)(\d{1,2})\s*(?::|h|g|giờ)\s*(\d{1,2})?(?:\s*:\s*(\d{1,2}))?(?!\d)")
_FILLER = re.compile(r"\b(?:ngày|lúc|vào|hồi|phút)\b|[,]", re.IGNORECASE)


def local_zone(tz: str | ZoneInfo | None) -> ZoneInfo:
    """`tz` as a zone; None means the configured one (Asia/Ho_Chi_Minh by default)."""
    if isinstance(tz, ZoneInfo):
        return tz
    if tz is None:
        from thidua.config import get_settings

        tz = get_settings().timezone
    return ZoneInfo(tz)


def parse_time(value: str | datetime | date, *, tz: str | ZoneInfo | None = None) -> datetime:
    """When something was handed in, aware: “20/5/2026 09:30”, “9h30 20/5/2026”, ISO 8601.

    Naive values are local time (Asia/Ho_Chi_Minh); a date alone means its first minute.
    """
    parsed = _parse_time(value, local_zone(tz))
    # Years near 1 or 9999 overflow when moved between time zones: refuse them here.
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        where = "còn ở tương lai" if parsed.year > MAX_YEAR else "không hợp lệ"
        raise SubmissionError(
            f"thời điểm nộp {quote(str(value).strip())}: năm {parsed.year} {where} "
            f"(năm phải từ {MIN_YEAR} đến {MAX_YEAR})",
            field="submitted_at",
            value=str(value).strip(),
        )
    return parsed


def _parse_time(value: str | datetime | date, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), zone)
    text = str(value).strip()
    bad = SubmissionError(
        f"thời điểm nộp {quote(text)} không hiểu được; ghi dạng “20/5/2026 09:30” "
        "hoặc “2026-05-20 09:30”",
        field="submitted_at",
        value=text,
    )
    if not text:
        raise bad
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if "-" in text[:5] else text)
    except ValueError:
        parsed = None
    if parsed is not None:
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    cleaned = _FILLER.sub(" ", text)
    found = _DATE.search(cleaned)
    if not found:
        raise bad
    rest = (cleaned[: found.start()] + " " + cleaned[found.end() :]).strip()
    hour = minute = second = 0
    if rest:
        clock = _TIME.fullmatch(rest.strip())
        if not clock:
            raise bad
        hour, minute, second = (int(g or 0) for g in clock.groups())
    day, month, year = (int(g) for g in found.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError as exc:
        reason = (
            f"ngày {day:02d}/{month:02d}/{year} không tồn tại"
            if "day" in str(exc) or "month" in str(exc)
            else f"giờ {hour:02d}:{minute:02d}{f':{second:02d}' if second else ''} không hợp lệ"
        )
        raise SubmissionError(
            f"thời điểm nộp {quote(text)}: {reason}", field="submitted_at", value=text
        ) from None


def local_text(at: datetime, *, tz: str | ZoneInfo | None = None) -> str:
    """“16:30 ngày 10/07/2023 (thứ Hai)” in local time."""
    local = (
        at.astimezone(local_zone(tz))
        if at.tzinfo
        else at.replace(tzinfo=UTC).astimezone(local_zone(tz))
    )
    return f"{local:%H:%M} ngày {format_short(local.date())} ({weekday_name(local.date())})"


def has_window(occ: Occurrence) -> bool:
    """True when the occurrence only accepts from an opening day (not just “by day X”).

    Judged on the written days: a “by Sunday” deadline moved to Monday has no window."""
    return occ.has_window


def stamp(
    occ: Occurrence, at: datetime, *, tz: str | ZoneInfo | None = None
) -> tuple[SubmissionTiming, int]:
    """On time, late or early against the occurrence, and by how many days (0 when on time).

    Against the effective deadline (`occ.due`): a dossier handed in on the Monday after a
    Sunday deadline is on time (BLDS 2015, Điều 148) unless the campaign's rule says not."""
    day = at.astimezone(local_zone(tz)).date()
    if has_window(occ) and day < occ.opens:
        return SubmissionTiming.EARLY, (occ.opens - day).days
    if day > occ.due:
        return SubmissionTiming.LATE, (day - occ.due).days
    return SubmissionTiming.ON_TIME, 0


def timing_text(timing: SubmissionTiming | str, days: int) -> str:
    """“đúng hạn”, “TRỄ HẠN 2 ngày” or “SỚM 3 ngày (trước khi mở nhận)”."""
    timing = SubmissionTiming(timing)
    if timing is SubmissionTiming.ON_TIME:
        return timing.label
    # Upper case: out of time is what the clerk must notice in the receipt line.
    shown = f"{timing.label.upper()} {days} ngày"
    return shown + (" (trước khi mở nhận)" if timing is SubmissionTiming.EARLY else "")


def _month(d: date) -> str:
    return f"{d.month:02d}" if d.month <= 2 else str(d.month)


def window_text(occ: Occurrence) -> str:
    """When the occurrence accepts submissions, as a sentence part.

    “trong ngày 03 và ngày 04 tháng 7 năm 2023 (thứ Hai, thứ Ba)”,
    “đến hết ngày 10 tháng 7 năm 2023 (thứ Hai)”, or “từ … đến hết …”.
    """
    opens, due = occ.opens, occ.due
    if not has_window(occ):
        return f"đến hết {format_long(due)}"
    if opens == due:
        return f"trong {format_long(due)}"
    if (due - opens).days == 1 and (opens.year, opens.month) == (due.year, due.month):
        return (
            f"trong ngày {opens.day:02d} và ngày {due.day:02d} tháng {_month(due)} năm {due.year} "
            f"({weekday_name(opens)}, {weekday_name(due)})"
        )
    return f"từ {format_long(opens)} đến hết {format_long(due)}"
