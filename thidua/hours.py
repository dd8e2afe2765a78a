"""Working hours: when a notice may go out, and when a late one is put off to.

Planned actions already fall at the notice time of a working day. A run that starts
late (the worker or server was down, and the catch-up window still lets it run) may
start at 22:00 or on a Sunday; such a run must not message units then, but hand
the action on to the next moment inside working hours.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from thidua.vnformat import format_short, weekday_name
from thidua.workdays import WorkCalendar, vietnam_calendar

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
#: Office hours of state agencies (07:30–17:00 in most provinces, with small local
#: variations). Constants rather than settings: the notice time is the knob admins
#: turn; these bounds only decide when a *late* run is still acceptable.
WORK_START = time(7, 30)
WORK_END = time(17, 0)


def _window(notice_time: time) -> tuple[time, time]:
    # A campaign that plans its notices at 18:00 has said so: its own time is in hours.
    return min(WORK_START, notice_time), max(WORK_END, notice_time)


def _local(now: datetime, tz: tzinfo) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must carry a time zone, got {now!r}")
    return now.astimezone(tz)


def next_send_time(
    now: datetime,
    *,
    working_days_only: bool,
    notice_time: time,
    calendar: WorkCalendar | None = None,
    tz: tzinfo = TZ,
) -> datetime | None:
    """When a notice due to go out at `now` should be sent instead; None means now.

    Outside working hours or on a non-working day it is the notice time of the same
    day (when that is a working day and the notice time is still ahead) or of the
    next working day. Campaigns with `working_days_only=False` always send now.
    """
    if not working_days_only:
        return None
    cal = calendar or vietnam_calendar()
    local = _local(now, tz)
    start, end = _window(notice_time)
    today = local.date()
    if cal.is_working_day(today):
        clock = local.time().replace(tzinfo=None)
        if start <= clock <= end:
            return None
        if clock < start:
            return datetime.combine(today, notice_time, tz)
    day = cal.next_working_day(today + timedelta(days=1))
    return datetime.combine(day, notice_time, tz)


def off_hours_reason(
    now: datetime, *, calendar: WorkCalendar | None = None, tz: tzinfo = TZ
) -> str:
    """Why `now` is not a time to message units, in Vietnamese (for notes and artifacts)."""
    cal = calendar or vietnam_calendar()
    today: date = _local(now, tz).date()
    if cal.is_working_day(today):
        return "ngoài giờ làm việc"
    holiday = cal.holiday_name(today)
    if holiday:
        return f"ngày nghỉ lễ: {holiday}"
    return "ngày nghỉ cuối tuần"


def deferral_note(until: datetime, reason: str, *, tz: tzinfo = TZ) -> str:
    """“Hoãn gửi đến 08:00 thứ Hai 23/11/2026 (ngoài giờ làm việc)”."""
    local = _local(until, tz)
    day = local.date()
    return f"Hoãn gửi đến {local:%H:%M} {weekday_name(day)} {format_short(day)} ({reason})"
