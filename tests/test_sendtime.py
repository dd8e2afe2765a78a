"""What a notice says is computed on the day it is sent: days left, title, late note."""

from __future__ import annotations

from datetime import timedelta

import pytest
from thidua.notifications.render import render

from thidua.campaign.loading import load_campaign
from thidua.campaign.plan import Action, ActionKind, compile_plan
from thidua.dates.sendtime import (
    DEFERRED_FOR_HOURS,
    DEFERRED_FOR_LAUNCH,
    SYSTEM_DOWN,
    as_sent,
    deadline_of,
    late_reason,
    run_name_at,
)

from .conftest import CAMPAIGNS


@pytest.fixture(scope="module")
def loaded():
    return load_campaign(CAMPAIGNS / "vd_2027_thi_dua_nam.py")


@pytest.fixture(scope="module")
def reminder(loaded) -> Action:
    plan = compile_plan(loaded.spec, loaded.registry)
    # The first reminder: "… (còn 7 ngày)" planned for 08:00 19/02/2027, due 26/02/2027.
    return next(a for a in plan.actions if a.kind is ActionKind.REMINDER)


def notice(loaded, action: Action, now, **kw):
    return render(
        action,
        campaign=loaded.spec,
        unit=loaded.registry.unit(action.recipients[0]),
        organizer=loaded.registry.unit("BTDKT"),
        now=now,
        **kw,
    )


def test_on_time_the_plan_and_the_notice_agree(reminder: Action) -> None:
    assert reminder.days_left == 7 and reminder.title.endswith("(còn 7 ngày)")
    assert as_sent(reminder, reminder.at) is reminder
    assert as_sent(reminder, reminder.at + timedelta(hours=9)) is reminder  # same day


def test_three_days_late_says_four_days_left(reminder: Action) -> None:
    later = as_sent(reminder, reminder.at + timedelta(days=3))
    assert later.days_left == 4
    assert later.title == reminder.title.replace("(còn 7 ngày)", "(còn 4 ngày)")
    assert later.at == reminder.at  # the plan's time stays, for the late note
    on_the_day = as_sent(reminder, reminder.at + timedelta(days=7))
    assert on_the_day.days_left == 0 and on_the_day.title.endswith("(hôm nay)")


def test_the_text_and_subject_of_a_late_notice_count_from_the_send_day(
    loaded, reminder: Action
) -> None:
    message = notice(loaded, reminder, reminder.at + timedelta(days=3, hours=1))
    assert "(còn 4 ngày)" in message.text and "còn 7 ngày" not in message.text
    # The subject names the deadline, never a count of days that would age in the inbox.
    assert "còn" not in message.subject
    assert f"(hạn {reminder.due:%d/%m/%Y})" in message.subject
    assert (
        "(Thông báo này được gửi chậm 3 ngày so với lịch 08:00 ngày 19/02/2027 "
        "do hệ thống tạm gián đoạn.)" in message.text
    )


def test_the_late_note_says_the_real_reason(loaded, reminder: Action) -> None:
    slot = reminder.at + timedelta(days=3)
    hours = late_reason(slot, deferred_to=slot, deferred_because=DEFERRED_FOR_HOURS)
    message = notice(loaded, reminder, slot, late_reason=hours)
    assert "so với lịch 08:00 ngày 19/02/2027 vì được chuyển sang giờ làm việc.)" in message.text
    assert "gián đoạn" not in message.text
    launch = late_reason(slot, deferred_to=slot, deferred_because=DEFERRED_FOR_LAUNCH)
    assert launch == "để gửi sau thông báo phát động"
    # A deferred run that itself started two hours after its slot: both reasons.
    both = late_reason(slot + timedelta(hours=2), deferred_to=slot, deferred_because="hours")
    assert both == f"vì được chuyển sang giờ làm việc và {SYSTEM_DOWN}"
    assert late_reason(slot) == SYSTEM_DOWN  # not deferred: the system was down


def test_the_deferred_run_is_named_for_its_real_day(reminder: Action) -> None:
    monday = reminder.at + timedelta(days=3)
    assert run_name_at(reminder, reminder.at) == reminder.run_name()
    name = run_name_at(reminder, monday)
    assert name.endswith(f"(còn 4 ngày) · {monday:%d/%m/%Y}"), name
    assert name.startswith(f"{reminder.campaign} · Nhắc hạn")


def test_only_notices_before_a_deadline_have_one(loaded) -> None:
    plan = compile_plan(loaded.spec, loaded.registry)
    before = {ActionKind.OPEN, ActionKind.REMINDER, ActionKind.DUE}
    for action in plan.actions:
        expected = action.due if action.kind in before else None
        assert deadline_of(action) == expected, action.key
    assert {a.kind for a in plan.actions} > {ActionKind.LAUNCH, ActionKind.OVERDUE}


@pytest.mark.parametrize("path", sorted(CAMPAIGNS.glob("*.py")), ids=lambda p: p.stem)
def test_every_shipped_notice_sent_a_day_late_counts_from_that_day(path) -> None:
    loaded = load_campaign(path)
    plan = compile_plan(loaded.spec, loaded.registry)
    checked = 0
    for action in plan.actions:
        if deadline_of(action) is None or not action.days_left or action.days_left < 2:
            continue
        message = notice(loaded, action, action.at + timedelta(days=1))
        planned, real = f"còn {action.days_left} ngày", f"còn {action.days_left - 1} ngày"
        assert planned not in message.subject and planned not in message.text, action.key
        if planned in action.title:
            assert "còn" not in message.subject, message.subject
            if action.kind is ActionKind.REMINDER:
                assert real in message.text, action.key
            checked += 1
    assert checked, "no reminder with days left in its title"
