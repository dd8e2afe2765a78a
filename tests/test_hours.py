"""Working hours: a notice whose run starts late goes out at the next working-hours slot."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from thidua.hours import TZ, deferral_note, next_send_time, off_hours_reason
from thidua.workdays import WorkCalendar, vietnam_calendar

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
