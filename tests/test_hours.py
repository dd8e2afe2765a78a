"""Working hours: a notice whose run starts late goes out at the next working-hours slot."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from thidua.dates.hours import (
    AFTER_LAUNCH,
    TZ,
    SendTime,
    deadline_passed,
    decide_send,
    deferral_note,
    next_send_time,
    off_hours_reason,
)
from thidua.dates.workdays import WorkCalendar, vietnam_calendar

EIGHT = time(8, 0)


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


def defer(now: datetime, notice: time = EIGHT, **kw) -> datetime | None:
    return next_send_time(now, working_days_only=True, notice_time=notice, **kw)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Friday 22:00 → Monday 08:00
        (vn(2026, 11, 20, 22, 0), vn(2026, 11, 23, 8, 0)),
        # Saturday and Sunday → Monday
        (vn(2026, 11, 21, 10, 0), vn(2026, 11, 23, 8, 0)),
        (vn(2026, 11, 22, 23, 59), vn(2026, 11, 23, 8, 0)),
        # Monday 23/11/2026 evening → Wednesday: 24/11 is Ngày Văn hóa Việt Nam
        (vn(2026, 11, 23, 17, 1), vn(2026, 11, 25, 8, 0)),
        # a working day before office hours → the notice time of that same day
        (vn(2026, 11, 23, 7, 0), vn(2026, 11, 23, 8, 0)),
        (vn(2026, 11, 23, 0, 5), vn(2026, 11, 23, 8, 0)),
        # Friday 21/08/2026 evening → Saturday 22/08, worked in a swap for 31/08
        (vn(2026, 8, 21, 20, 0), vn(2026, 8, 22, 8, 0)),
        # the swapped-out Monday 31/08 and National Day 1–2/09 → Thursday 03/09
        (vn(2026, 8, 28, 18, 0), vn(2026, 9, 3, 8, 0)),
        # Tết 2026: Friday 13/02 night → Monday 23/02 (16–20/02 off, then a weekend)
        (vn(2026, 2, 13, 21, 0), vn(2026, 2, 23, 8, 0)),
        (vn(2026, 2, 17, 9, 0), vn(2026, 2, 23, 8, 0)),
    ],
)
def test_deferred_to_the_next_working_slot(now: datetime, expected: datetime) -> None:
    assert defer(now) == expected


def test_new_year_eve_goes_to_the_next_working_day() -> None:
    # 01/01/2027 is a Friday holiday; the weekend follows; Monday 04/01/2027 is worked.
    assert vn(2027, 1, 1).weekday() == 4
    assert defer(vn(2026, 12, 31, 23, 0)) == vn(2027, 1, 4, 8, 0)


@pytest.mark.parametrize(
    "now",
    [
        vn(2026, 11, 23, 8, 0),
        vn(2026, 11, 23, 7, 30),  # the bounds are inclusive
        vn(2026, 11, 23, 17, 0),
        vn(2026, 11, 23, 14, 30),
        vn(2026, 8, 22, 9, 0),  # the swapped Saturday is worked
    ],
)
def test_within_working_hours_sends_now(now: datetime) -> None:
    assert defer(now) is None


def test_campaign_that_allows_any_day_sends_now() -> None:
    for now in (vn(2026, 11, 20, 22, 0), vn(2026, 11, 22, 3, 0), vn(2026, 2, 17, 9, 0)):
        assert next_send_time(now, working_days_only=False, notice_time=EIGHT) is None


def test_the_campaign_notice_time_is_always_in_hours() -> None:
    # A campaign that sends at 18:30 has said so; a late run goes to 18:30 of the next day.
    evening = time(18, 30)
    assert defer(vn(2026, 11, 23, 18, 30), evening) is None
    assert defer(vn(2026, 11, 23, 18, 45), evening) == vn(2026, 11, 25, 18, 30)
    early = time(6, 45)
    assert defer(vn(2026, 11, 23, 6, 50), early) is None
    assert defer(vn(2026, 11, 23, 6, 0), early) == vn(2026, 11, 23, 6, 45)


def test_other_time_zones_are_converted() -> None:
    # 15:00 UTC on Friday 20/11/2026 is 22:00 in Hà Nội.
    assert defer(datetime(2026, 11, 20, 15, 0, tzinfo=UTC)) == vn(2026, 11, 23, 8, 0)
    assert defer(datetime(2026, 11, 23, 2, 0, tzinfo=UTC)) is None  # 09:00 local


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        defer(datetime(2026, 11, 20, 22, 0))


def test_a_given_calendar_is_used() -> None:
    office = WorkCalendar(holidays={vn(2026, 11, 23).date(): "Ngày nghỉ của cơ quan"})
    assert defer(vn(2026, 11, 20, 22, 0), calendar=office) == vn(2026, 11, 24, 8, 0)
    assert off_hours_reason(vn(2026, 11, 23, 9, 0), calendar=office) == (
        "ngày nghỉ lễ: Ngày nghỉ của cơ quan"
    )


def test_result_is_always_a_working_slot_in_the_future() -> None:
    start = vn(2026, 1, 1, 0, 0)
    cal = vietnam_calendar()
    for hours in range(0, 24 * 400, 7):
        now = start + timedelta(hours=hours, minutes=hours % 60)
        when = defer(now)
        if when is None:
            assert cal.is_working_day(now.date())
            assert time(7, 30) <= now.time() <= time(17, 0)
            continue
        assert when > now
        assert cal.is_working_day(when.date()) and when.time() == EIGHT
        assert defer(when) is None
        assert when - now < timedelta(days=12)  # the longest run of days off is Tết


@pytest.mark.parametrize(
    ("now", "reason"),
    [
        (vn(2026, 11, 20, 22, 0), "ngoài giờ làm việc"),
        (vn(2026, 11, 22, 10, 0), "ngày nghỉ cuối tuần"),
        (vn(2026, 2, 17, 10, 0), "ngày nghỉ lễ: Tết Nguyên Đán"),
    ],
)
def test_off_hours_reason(now: datetime, reason: str) -> None:
    assert off_hours_reason(now) == reason


def test_deferral_note() -> None:
    assert deferral_note(vn(2026, 11, 23, 8, 0), "ngoài giờ làm việc") == (
        "Hoãn gửi đến 08:00 thứ Hai 23/11/2026 (ngoài giờ làm việc)"
    )
    assert deferral_note(datetime(2026, 11, 23, 1, 0, tzinfo=UTC), "ngày nghỉ cuối tuần") == (
        "Hoãn gửi đến 08:00 thứ Hai 23/11/2026 (ngày nghỉ cuối tuần)"
    )


# --- deadlines and the launch notice bound every deferral -----------------------------
# Fixed dates around Saturday 05/12/2026: Friday 04/12, Sunday 06/12, Monday 07/12.


def decide(now: datetime, due: date | None, **kw) -> SendTime:
    return decide_send(now, due=due, working_days_only=True, notice_time=EIGHT, **kw)


def test_within_hours_a_notice_goes_now() -> None:
    assert decide(vn(2026, 12, 4, 9, 0), date(2026, 12, 7)) == SendTime()
    assert decide(vn(2026, 12, 4, 9, 0), None) == SendTime()


def test_a_deferral_that_still_arrives_by_the_deadline_is_kept() -> None:
    # Friday 22:00 → Monday 08:00, the deadline day itself: still in time.
    got = decide(vn(2026, 12, 4, 22, 0), date(2026, 12, 7))
    assert got == SendTime(at=vn(2026, 12, 7, 8, 0), reason="ngoài giờ làm việc")


def test_a_deferral_past_the_deadline_sends_now_instead() -> None:
    # Saturday 22:00, deadline Sunday: Monday 08:00 would be after it. Sent now.
    assert decide(vn(2026, 12, 5, 22, 0), date(2026, 12, 6)) == SendTime()
    # Sunday morning, deadline that Sunday: the same.
    assert decide(vn(2026, 12, 6, 9, 0), date(2026, 12, 6)) == SendTime()


def test_a_notice_whose_deadline_passed_is_dropped() -> None:
    got = decide(vn(2026, 12, 7, 9, 0), date(2026, 12, 6))
    assert got.dropped and got.at is None
    assert got.reason == "hạn 06/12/2026 đã qua khi lượt chạy bắt đầu"
    # The last minute of the deadline day still counts as before it.
    assert not decide(vn(2026, 12, 6, 23, 59), date(2026, 12, 6)).dropped
    assert deadline_passed(date(2026, 12, 6), datetime(2026, 12, 6, 17, 30, tzinfo=UTC))
    assert not deadline_passed(date(2026, 12, 6), datetime(2026, 12, 6, 16, 59, tzinfo=UTC))


def test_a_notice_waits_for_the_launch_notice() -> None:
    launch_done = vn(2026, 12, 7, 9, 22)  # the 09:12 launch, with its margin
    got = decide(vn(2026, 12, 7, 8, 0), date(2026, 12, 9), not_before=launch_done)
    assert got == SendTime(at=launch_done, reason=AFTER_LAUNCH, after_launch=True)
    # A launch that goes out in the evening: the notice follows at the next working slot.
    evening = vn(2026, 12, 7, 18, 10)
    got = decide(vn(2026, 12, 7, 8, 0), date(2026, 12, 9), not_before=evening)
    assert got == SendTime(at=vn(2026, 12, 8, 8, 0), reason=AFTER_LAUNCH, after_launch=True)
    # ... unless that slot is past the deadline: right after the launch, at any hour.
    got = decide(vn(2026, 12, 7, 8, 0), date(2026, 12, 7), not_before=evening)
    assert got == SendTime(at=evening, reason=AFTER_LAUNCH, after_launch=True)
    # A moment given in UTC (as Prefect gives it) comes back in local time.
    got = decide(vn(2026, 12, 7, 8, 0), date(2026, 12, 9), not_before=launch_done.astimezone(UTC))
    assert got.at is not None and got.at.tzinfo == TZ and got.at == launch_done
    # A launch already sent (the moment is past) holds nothing back.
    assert decide(vn(2026, 12, 7, 10, 0), date(2026, 12, 9), not_before=launch_done) == SendTime()


def test_the_reported_case_a_sunday_deadline_and_a_monday_launch() -> None:
    # Seen: "còn 2 ngày" for Sunday 06/12, deferred from Friday night to Monday 08:00,
    # before the 09:12 launch. It can go neither before the launch nor after the deadline.
    got = decide(vn(2026, 12, 4, 22, 0), date(2026, 12, 6), not_before=vn(2026, 12, 7, 9, 22))
    assert got.dropped and got.at is None
    assert "thông báo phát động" in got.reason and "06/12/2026" in got.reason


def test_campaigns_sending_any_day_still_wait_for_the_launch() -> None:
    later = vn(2026, 12, 5, 23, 0)
    got = decide_send(
        vn(2026, 12, 5, 22, 0),
        due=date(2026, 12, 9),
        working_days_only=False,
        notice_time=EIGHT,
        not_before=later,
    )
    assert got == SendTime(at=later, reason=AFTER_LAUNCH, after_launch=True)


def test_no_decision_lands_after_the_deadline_or_before_the_launch() -> None:
    start = vn(2026, 12, 1, 0, 0)
    for hours in range(0, 24 * 60, 5):
        now = start + timedelta(hours=hours, minutes=hours % 60)
        for due_in in (-1, 0, 1, 2, 4):
            due = now.date() + timedelta(days=due_in)
            for launch_in in (None, -3, 2, 30, 80):
                launch = None if launch_in is None else now + timedelta(hours=launch_in)
                got = decide(now, due, not_before=launch)
                if got.dropped:
                    assert got.at is None and got.reason
                    continue
                when = got.at or now
                assert when.date() <= due, (now, due, launch, got)
                if launch is not None:
                    assert when >= launch, (now, due, launch, got)
