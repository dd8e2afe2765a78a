"""What a notice says is true on the day it is sent, not on the day it was planned.

The plan computes "còn N ngày" for the planned day. A run that starts late (the
worker was down, the notice was deferred to working hours or until the launch
notice went out) sends on another day: its days left, its title (the e-mail
subject and the flow-run name) and its late note are computed here from the real
send time. The renderer applies `as_sent` to every action it renders, so no caller
can forget it.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, tzinfo

from thidua.campaign.plan import Action, ActionKind
from thidua.dates.hours import TZ
from thidua.dates.written import days_left_label

#: Why a deferred run was deferred (the flow's `deferred_because` parameter).
DEFERRED_FOR_HOURS = "hours"
DEFERRED_FOR_LAUNCH = "launch"

#: The end of the late note: "(Thông báo này được gửi chậm 3 ngày so với lịch … <reason>.)"
LATE_REASONS = {
    DEFERRED_FOR_HOURS: "vì được chuyển sang giờ làm việc",
    DEFERRED_FOR_LAUNCH: "để gửi sau thông báo phát động",
}
SYSTEM_DOWN = "do hệ thống tạm gián đoạn"
#: A delay shorter than this is not worth a sentence in the notice.
LATE_AFTER = timedelta(minutes=30)


def days_left_at(action: Action, at: datetime, *, tz: tzinfo = TZ) -> int | None:
    """Days from the local day of `at` to the action's deadline (None without one)."""
    if action.due is None or action.kind is ActionKind.LAUNCH:
        return None
    return (action.due - at.astimezone(tz).date()).days


def as_sent(action: Action, at: datetime, *, tz: tzinfo = TZ) -> Action:
    """`action` as it reads when sent at `at`: days left and the title's "(còn N ngày)"."""
    left = days_left_at(action, at, tz=tz)
    if left is None or left == action.days_left:
        return action
    title = action.title
    if action.days_left is not None:
        planned = f"({days_left_label(action.days_left)})"
        if title.endswith(planned):
            title = f"{title.removesuffix(planned)}({days_left_label(left)})"
    return dataclasses.replace(action, days_left=left, title=title)


def run_name_at(action: Action, at: datetime, *, tz: tzinfo = TZ) -> str:
    """The flow-run name of `action` run at `at`: its real day and days left."""
    return f"{action.campaign} · {as_sent(action, at, tz=tz).title} · {at.astimezone(tz):%d/%m/%Y}"


def late_reason(
    now: datetime, *, deferred_to: datetime | None = None, deferred_because: str | None = None
) -> str:
    """Why a notice goes out later than planned, as the end of the late note.

    A deferred run owes its delay to the deferral; if it then also started well
    after its new slot, the system was down as well, and the note says both.
    """
    if deferred_to is None or deferred_because not in LATE_REASONS:
        return SYSTEM_DOWN
    reason = LATE_REASONS[deferred_because]
    if now - deferred_to > LATE_AFTER:
        reason += f" và {SYSTEM_DOWN}"
    return reason


#: Notices that stand before their deadline: after it they have nothing true to say.
BEFORE_DEADLINE = {ActionKind.OPEN, ActionKind.REMINDER, ActionKind.DUE}


def deadline_of(action: Action) -> date | None:
    """The deadline a notice stands before (None when it announces none)."""
    return action.due if action.kind in BEFORE_DEADLINE else None
