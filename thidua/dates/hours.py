"""Working hours: when a notice may go out, and when a late one is put off to.

Planned actions already fall at the notice time of a working day. A run that starts
late (the worker or server was down, and the catch-up window still lets it run) may
start at 22:00 or on a Sunday; such a run must not message units then, but hand
the action on to the next moment inside working hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from thidua.dates.workdays import WorkCalendar, vietnam_calendar
from thidua.dates.written import format_short, weekday_name

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


# --- when a late or early notice goes out --------------------------------------------
#
# Two rules sit on top of working hours, both for the officer who reads the notice:
#
# 1. A notice never arrives after the deadline it announces. A reminder (or the
#    opening or "sắp hết hạn" notice) whose deadline has passed when its run starts
#    has nothing true left to say: it is dropped, and the overdue notice (an action
#    of its own) is what goes out after the deadline. A reminder that would be
#    deferred to a working slot *after* its deadline is sent now instead, even at
#    night or on a weekend: read on the deadline day (or the next morning, when a
#    weekend deadline moves to Monday) it still helps; deferred, it would only
#    arrive once it is too late, and dropped it would not arrive at all.
# 2. A notice never arrives before the campaign's launch notice: a unit must learn of
#    the campaign before being reminded of its deadlines. The caller says when the
#    launch will have gone out (`not_before`); the notice waits for that moment and
#    then for working hours, unless that would take it past its deadline (then it
#    goes right after the launch, at any hour, or is dropped when the deadline has
#    passed by then).


@dataclass(frozen=True)
class SendTime:
    """What a run does with its notice: send now, defer to `at`, or drop it."""

    at: datetime | None = None  # None: send now (unless `dropped`)
    reason: str = ""  # why deferred or dropped, in Vietnamese
    dropped: bool = False
    after_launch: bool = False  # deferred to follow the launch notice (not for office hours)


#: Why a notice waits for the launch notice (deferral notes and the late note).
AFTER_LAUNCH = "chờ gửi thông báo phát động trước"


def deadline_passed(due: date | None, at: datetime, *, tz: tzinfo = TZ) -> bool:
    """Whether a deadline (the whole of day `due`, local time) is over at `at`."""
    return due is not None and _local(at, tz).date() > due


def decide_send(
    now: datetime,
    *,
    due: date | None,
    working_days_only: bool,
    notice_time: time,
    not_before: datetime | None = None,
    calendar: WorkCalendar | None = None,
    tz: tzinfo = TZ,
) -> SendTime:
    """When a notice whose run starts at `now` goes out (see the rules above).

    `due` is the deadline the notice stands before (None for notices that announce
    none: launch, overdue, escalation, events); `not_before` the moment the launch
    notice will have gone out, when it has not yet.
    """
    if due is not None and deadline_passed(due, now, tz=tz):
        return SendTime(
            reason=f"hạn {format_short(due)} đã qua khi lượt chạy bắt đầu", dropped=True
        )
    cal = calendar or vietnam_calendar()
    waiting = not_before is not None and not_before > now
    earliest = not_before if waiting and not_before is not None else now
    slot = next_send_time(
        earliest, working_days_only=working_days_only, notice_time=notice_time, calendar=cal, tz=tz
    )
    if slot is None and not waiting:
        return SendTime()
    at = slot or earliest
    reason = AFTER_LAUNCH if waiting else off_hours_reason(now, calendar=cal, tz=tz)
    if deadline_passed(due, at, tz=tz):
        if not waiting:  # rule 1: now beats after the deadline
            return SendTime()
        if due is not None and deadline_passed(due, earliest, tz=tz):
            return SendTime(
                reason=f"hạn {format_short(due)} đã qua trước khi thông báo phát động được gửi",
                dropped=True,
            )
        at = earliest  # right after the launch, at any hour: still before the deadline
    # Local time, whatever zone `not_before` came in (Prefect answers in UTC): notes,
    # run names and the successor's schedule all read it as the office does.
    return SendTime(at=_local(at, tz), reason=reason, after_launch=waiting)
