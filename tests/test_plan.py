"""The planner: dated actions from a campaign, shifted off weekends and holidays."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from thidua.campaign.loading import load_campaign, read_spec
from thidua.campaign.plan import ActionKind, compile_plan, occurrences
from thidua.dates.workdays import vietnam_calendar

from .conftest import CAMPAIGNS


def plan_of(path):
    loaded = load_campaign(path)
    return compile_plan(loaded.spec, loaded.registry)


def by_kind(plan, kind):
    return [a for a in plan.actions if a.kind is kind]


def test_actions_are_in_time_order_with_aware_local_times(write_campaign) -> None:
    plan = plan_of(
        write_campaign('Milestone(kind="báo cáo", when="ngày 15/5/2026", reminders=[7, 3]),')
    )
    times = [a.at for a in plan.actions]
    assert times == sorted(times)
    assert all(a.at.utcoffset().total_seconds() == 7 * 3600 for a in plan.actions)
    assert all(a.at.hour == 8 for a in plan.actions)


def test_submission_milestone_produces_reminders_due_overdue(write_campaign) -> None:
    # 15/5/2026 is a Friday; 7 days before is Friday 8/5, 3 days before Tuesday 12/5.
    plan = plan_of(
        write_campaign('Milestone(kind="báo cáo", when="ngày 15/5/2026", reminders=[7, 3]),')
    )
    kinds = [(a.kind, a.day) for a in plan.actions if a.milestone == "report"]
    assert kinds == [
        (ActionKind.REMINDER, date(2026, 5, 8)),
        (ActionKind.REMINDER, date(2026, 5, 12)),
        (ActionKind.DUE, date(2026, 5, 15)),
        (ActionKind.OVERDUE, date(2026, 5, 18)),  # next working day after Friday's deadline
    ]
    assert by_kind(plan, ActionKind.REMINDER)[1].title == "Nhắc hạn nộp báo cáo (còn 3 ngày)"
    assert all(len(a.recipients) == 4 for a in plan.actions if a.milestone == "report")


def test_reminder_on_a_holiday_moves_to_the_previous_working_day(write_campaign) -> None:
    # Due 04/5/2026 (Monday); 3 days before is Friday 01/5, a public holiday -> Thursday 30/4
    # is a holiday too -> Wednesday 29/4.
    plan = plan_of(
        write_campaign('Milestone(kind="báo cáo", when="ngày 04/5/2026", reminders=[3]),')
    )
    [reminder] = by_kind(plan, ActionKind.REMINDER)
    assert reminder.day == date(2026, 4, 29)
    assert reminder.moved_from == date(2026, 5, 1)
    assert reminder.title.endswith("(còn 5 ngày)")
    assert vietnam_calendar().is_working_day(reminder.day)


def test_working_day_offsets(write_campaign) -> None:
    plan = plan_of(
        write_campaign(
            'Milestone(kind="báo cáo", when="ngày 04/5/2026", reminders=["2 ngày làm việc"]),'
        )
    )
    [reminder] = by_kind(plan, ActionKind.REMINDER)
    assert reminder.day == date(2026, 4, 28)  # 29/4 and 28/4 are the two working days before


def test_due_day_on_a_sunday_ends_on_monday_by_default(write_campaign) -> None:
    # “trước ngày 25/5/2026”: the last day is Sunday 24/5, so the period ends at the end of
    # Monday 25/5 (BLDS 2015, Điều 148); the notices say Monday.
    plan = plan_of(
        write_campaign('Milestone(kind="hồ sơ", when="trước ngày 25/5/2026", reminders=[1]),')
    )
    due = by_kind(plan, ActionKind.DUE)
    assert [(a.day, a.title, a.due, a.due_written) for a in due] == [
        (date(2026, 5, 25), "Hết hạn nộp hồ sơ hôm nay", date(2026, 5, 25), date(2026, 5, 24))
    ]
    # The 1-day reminder (Sunday 24/5) moves back to Friday 22/5, three days before.
    [reminder] = by_kind(plan, ActionKind.REMINDER)
    assert (reminder.day, reminder.title) == (date(2026, 5, 22), "Nhắc hạn nộp hồ sơ (còn 3 ngày)")


def test_as_written_sunday_deadline_gets_a_friday_notice(write_campaign) -> None:
    plan = plan_of(
        write_campaign(
            'Milestone(kind="hồ sơ", when="trước ngày 25/5/2026", reminders=[1],'
            ' deadline_rule="như văn bản"),'
        )
    )
    due = by_kind(plan, ActionKind.DUE)
    assert [(a.day, a.title, a.due_written) for a in due] == [
        (date(2026, 5, 22), "Sắp hết hạn nộp hồ sơ (còn 2 ngày)", None)
    ]
    # The 1-day reminder (Saturday 23/5 -> Friday 22/5) would repeat it, so it is dropped.
    assert by_kind(plan, ActionKind.REMINDER) == []


def test_campaign_may_allow_weekend_notices(write_campaign) -> None:
    plan = plan_of(
        write_campaign(
            'Milestone(kind="hồ sơ", when="trước ngày 25/5/2026", reminders=[1]),',
            extra='working_days_only=False,\ndeadline_rule="as_written",',
        )
    )
    assert [a.day for a in by_kind(plan, ActionKind.DUE)] == [date(2026, 5, 24)]
    assert [a.day for a in by_kind(plan, ActionKind.REMINDER)] == [date(2026, 5, 23)]


def test_weekend_notices_still_use_the_legal_deadline(write_campaign) -> None:
    plan = plan_of(
        write_campaign(
            'Milestone(kind="hồ sơ", when="trước ngày 25/5/2026", reminders=[1]),',
            extra="working_days_only=False,",
        )
    )
    assert [a.day for a in by_kind(plan, ActionKind.DUE)] == [date(2026, 5, 25)]
    assert [a.day for a in by_kind(plan, ActionKind.REMINDER)] == [date(2026, 5, 24)]


def test_window_milestone_opens_then_is_due(write_campaign) -> None:
    plan = plan_of(
        write_campaign(
            'Milestone(kind="hồ sơ", when="trong ngày 03 và ngày 04 tháng 6 năm 2026", reminders=[7]),'
        )
    )
    kinds = [(a.kind, a.day) for a in plan.actions if a.milestone == "nomination"]
    assert kinds == [
        (ActionKind.REMINDER, date(2026, 5, 28)),
        (ActionKind.OPEN, date(2026, 6, 3)),
        (ActionKind.DUE, date(2026, 6, 4)),
        # Nominating is optional: no overdue notice (see test_optional_milestones…).
    ]


def test_escalation_goes_to_supervisors_and_group_heads(write_campaign) -> None:
    plan = plan_of(
        write_campaign(
            """
        Milestone(id="a", kind="báo cáo", when="ngày 15/5/2026",
                  escalation=Escalation(after="2 ngày làm việc")),
        Milestone(id="b", kind="báo cáo", when="ngày 15/6/2026",
                  escalation=Escalation(after=3, to="group_head")),
        """
        )
    )
    first, second = by_kind(plan, ActionKind.ESCALATION)
    assert (first.day, first.recipients, first.audience) == (
        date(2026, 5, 19),
        ("UBND",),
        "supervisor",
    )
    assert second.recipients == ("SO-A", "XA-1")
    assert second.day == date(2026, 6, 18)


def test_review_gets_a_kickoff_and_an_organizer_compilation(write_campaign) -> None:
    plan = plan_of(write_campaign('Milestone(kind="sơ kết", when="tháng 5/2026"),'))
    kinds = [(a.kind, a.day, a.audience) for a in plan.actions if a.milestone == "review"]
    assert kinds[0] == (ActionKind.OPEN, date(2026, 5, 4), "participants")  # 1–3/5 are days off
    # Due “tháng 5/2026”: Sunday 31/5 -> Monday 1/6 (Điều 148); compiled the day after.
    assert kinds[-1] == (ActionKind.COMPILE, date(2026, 6, 2), "organizer")
    assert plan.actions[-1].title == "Tổng hợp kết quả sơ kết"


def test_yearly_and_quarterly_recurrences() -> None:
    plan = plan_of(CAMPAIGNS / "vd_2026_2030_doi_moi_sang_tao.py")
    yearly = [a for a in plan.actions if a.milestone == "bao-cao-nam" and a.kind is ActionKind.DUE]
    assert [a.occurrence for a in yearly] == ["2026", "2027", "2028", "2029", "2030"]
    assert all((a.due_written or a.due) == date(int(a.occurrence), 12, 14) for a in yearly)
    # 14/12/2030 is a Saturday: that year's report is due Monday 16/12/2030.
    assert [a.due for a in yearly][-1] == date(2030, 12, 16)
    assert all(a.due.weekday() < 5 for a in yearly)
    quarterly = {a.occurrence for a in plan.actions if a.milestone == "so-lieu-quy"}
    assert len(quarterly) == 20 and "2030-Q4" in quarterly
    title = next(
        a.title for a in plan.actions if a.occurrence == "2027-Q4" and a.kind is ActionKind.DUE
    )
    assert "quý IV/2027" in title


def test_keys_are_unique_and_stable_when_another_milestone_moves(write_campaign) -> None:
    first = plan_of(
        write_campaign(
            """
        Milestone(id="a", kind="báo cáo", when="ngày 15/5/2026", reminders=[3]),
        Milestone(id="b", kind="báo cáo", when="ngày 15/6/2026", reminders=[3]),
        """
        )
    )
    moved = plan_of(
        write_campaign(
            """
        Milestone(id="a", kind="báo cáo", when="ngày 15/5/2026", reminders=[3]),
        Milestone(id="b", kind="báo cáo", when="ngày 22/6/2026", reminders=[3]),
        """
        )
    )
    assert len({a.key for a in first.actions}) == len(first.actions)
    before = {a.key: a.at for a in first.actions}
    after = {a.key: a.at for a in moved.actions}
    assert before.keys() == after.keys()
    changed = {k for k in before if before[k] != after[k]}
    assert changed and all(k.startswith("b/") for k in changed)


def test_run_names_are_readable() -> None:
    plan = plan_of(CAMPAIGNS / "sngv_579_kh_2026_100_ngay_dem.py")
    reminder = by_kind(plan, ActionKind.REMINDER)[-1]
    assert reminder.run_name().startswith("579/KH-SNgV · Nhắc hạn “Gửi danh sách")
    assert reminder.run_name().endswith(f"· {reminder.day:%d/%m/%Y}")


def test_run_names_keep_titles_as_written(write_campaign) -> None:
    path = write_campaign(
        'Milestone(kind="báo cáo", title="Sở Nội vụ tổng hợp số liệu quý", '
        'when="ngày 20 tháng cuối quý", recurrence=Recurrence(every="hằng quý"), reminders=[7]),'
    )
    names = [a.run_name() for a in plan_of(path).actions]
    reminders = [n for n in names if "Nhắc hạn" in n]
    assert reminders and all("“Sở Nội vụ tổng hợp số liệu quý” quý " in n for n in reminders)
    assert not any("sở Nội vụ" in n or "quý quý" in n for n in names), names


def test_plan_is_pure(write_campaign) -> None:
    path = write_campaign('Milestone(kind="báo cáo", when="ngày 15/5/2026", reminders=[7, 3]),')
    assert plan_of(path).actions == plan_of(path).actions


# --- deadlines follow the law (BLDS 2015, Điều 148) ----------------------------------


def occurrence_of(path, milestone: str = "report"):
    loaded = load_campaign(path)
    [occ] = [
        o
        for o in compile_plan(loaded.spec, loaded.registry).occurrences
        if o.milestone.key == milestone
    ]
    return occ


@pytest.mark.parametrize(
    ("when", "written", "effective"),
    [
        ("chậm nhất ngày 23/5/2026", date(2026, 5, 23), date(2026, 5, 25)),  # Saturday
        ("trước ngày 25/5/2026", date(2026, 5, 24), date(2026, 5, 25)),  # Sunday
        # Giỗ Tổ Hùng Vương (Sunday 26/4/2026) and its substitute day off Monday 27/4.
        ("chậm nhất ngày 26/4/2026", date(2026, 4, 26), date(2026, 4, 28)),
        # 30/4 and 1/5/2026 (Thursday, Friday), then the weekend.
        ("chậm nhất ngày 30/4/2026", date(2026, 4, 30), date(2026, 5, 4)),
        ("chậm nhất ngày 01/5/2026", date(2026, 5, 1), date(2026, 5, 4)),
        # Tết Đinh Mùi: Saturday 06/02/2027 is mùng một; days off until Wednesday 10/02.
        ("chậm nhất ngày 06/02/2027", date(2027, 2, 6), date(2027, 2, 11)),
        # The end of a quarter on a Saturday: quý III/2028 ends 30/9/2028.
        ("quý III/2028", date(2028, 9, 30), date(2028, 10, 2)),
        ("hết tháng 5 năm 2026", date(2026, 5, 31), date(2026, 6, 1)),  # Sunday
        ("chậm nhất ngày 15/5/2026", date(2026, 5, 15), date(2026, 5, 15)),  # a Friday
    ],
)
def test_deadline_on_a_day_off_ends_on_the_next_working_day(
    write_campaign, when: str, written: date, effective: date
) -> None:
    path = write_campaign(f'Milestone(kind="báo cáo", when="{when}", reminders=[7, 3, 1]),')
    occ = occurrence_of(path)
    assert (occ.written, occ.due) == (written, effective)
    plan = plan_of(path)
    cal = vietnam_calendar()
    [due] = by_kind(plan, ActionKind.DUE)
    assert (due.day, due.due, due.title) == (effective, effective, "Hết hạn nộp báo cáo hôm nay")
    assert due.due_written == (written if written != effective else None)
    [overdue] = by_kind(plan, ActionKind.OVERDUE)
    # The overdue notice: the first working day after the effective deadline.
    assert overdue.day == cal.next_working_day(effective + timedelta(days=1))
    assert overdue.due == effective
    for reminder in by_kind(plan, ActionKind.REMINDER):
        assert reminder.day < effective and cal.is_working_day(reminder.day)
        assert reminder.days_left == (effective - reminder.day).days


@pytest.mark.parametrize(
    ("campaign_rule", "milestone_rule", "effective"),
    [
        (None, None, date(2026, 5, 4)),
        ("next_working_day", None, date(2026, 5, 4)),
        ("previous_working_day", None, date(2026, 4, 29)),
        ("as_written", None, date(2026, 4, 30)),
        ("ngày làm việc liền trước", None, date(2026, 4, 29)),
        ("như văn bản", None, date(2026, 4, 30)),
        (None, "previous_working_day", date(2026, 4, 29)),
        (None, "như văn bản", date(2026, 4, 30)),
        # The milestone's own rule beats the campaign's.
        ("previous_working_day", "ngày làm việc tiếp theo", date(2026, 5, 4)),
        ("as_written", "previous_working_day", date(2026, 4, 29)),
        ("next_working_day", "as_written", date(2026, 4, 30)),
    ],
)
def test_deadline_rule_at_campaign_and_milestone_level(
    write_campaign, campaign_rule: str | None, milestone_rule: str | None, effective: date
) -> None:
    own = f', deadline_rule="{milestone_rule}"' if milestone_rule else ""
    path = write_campaign(
        f'Milestone(kind="báo cáo", when="chậm nhất ngày 30/4/2026", reminders=[3]{own}),',
        extra=f'deadline_rule="{campaign_rule}",' if campaign_rule else "",
    )
    occ = occurrence_of(path)
    assert (occ.written, occ.due) == (date(2026, 4, 30), effective)
    plan = plan_of(path)
    assert {a.due for a in plan.actions if a.milestone == "report"} == {effective}
    [due] = by_kind(plan, ActionKind.DUE)
    assert due.day <= effective
    assert all(a.day < effective for a in by_kind(plan, ActionKind.REMINDER))
    [overdue] = by_kind(plan, ActionKind.OVERDUE)
    assert overdue.day > effective and vietnam_calendar().is_working_day(overdue.day)


def test_events_and_launches_keep_their_day(write_campaign) -> None:
    # A launch or a meeting is a day something happens, not the end of a period.
    plan = plan_of(
        write_campaign('Milestone(kind="mốc khác", title="Hội nghị", when="ngày 30/4/2026"),')
    )
    [event] = by_kind(plan, ActionKind.EVENT)
    assert (event.due, event.due_written, event.moved_from) == (
        date(2026, 4, 30),
        None,
        date(2026, 4, 30),
    )


def test_recurring_deadlines_move_each_occurrence() -> None:
    plan = plan_of(CAMPAIGNS / "vd_2026_2030_doi_moi_sang_tao.py")
    quarterly = {o.key: o for o in plan.occurrences if o.milestone.key == "so-lieu-quy"}
    # “ngày 20 tháng cuối quý”: Saturday 20/6/2026 -> Monday 22/6; Friday 20/3/2026 stays.
    assert (quarterly["2026-Q2"].written, quarterly["2026-Q2"].due) == (
        date(2026, 6, 20),
        date(2026, 6, 22),
    )
    assert quarterly["2026-Q1"].due == quarterly["2026-Q1"].written == date(2026, 3, 20)
    # Sơ kết “quý IV/2028”: Sunday 31/12/2028, then Tết Dương lịch -> Tuesday 2/1/2029.
    [review] = [o for o in plan.occurrences if o.milestone.kind.value == "review"]
    assert (review.written, review.due) == (date(2028, 12, 31), date(2029, 1, 2))
    cal = vietnam_calendar()
    assert all(cal.is_working_day(o.due) for o in plan.occurrences if o.milestone.key != "launch")


@pytest.mark.parametrize("name", sorted(p.name for p in CAMPAIGNS.glob("*.py")))
def test_no_notice_after_the_effective_deadline(name: str) -> None:
    """Every shipped campaign: reminders before, the overdue notice after, the deadline."""
    plan = plan_of(CAMPAIGNS / name)
    cal = vietnam_calendar()
    for a in plan.actions:
        if a.kind in (ActionKind.REMINDER, ActionKind.OPEN) and a.requirement.value != "none":
            assert a.day < a.due, a.key
        if a.kind is ActionKind.DUE:
            assert a.day <= a.due, a.key
        if a.kind is ActionKind.OVERDUE:
            assert a.day == cal.next_working_day(a.due + timedelta(days=1)), a.key
        if a.due_written is not None:
            assert a.due != a.due_written and cal.is_working_day(a.due), a.key
            assert not cal.is_working_day(a.due_written), a.key


def test_a_plain_deadline_moved_off_a_sunday_has_no_window(write_campaign) -> None:
    # “trước ngày 25/5/2026” is one day; moving it to Monday must not open a two-day window.
    plan = plan_of(
        write_campaign('Milestone(kind="báo cáo", when="trước ngày 25/5/2026", reminders=[7]),')
    )
    assert by_kind(plan, ActionKind.OPEN) == []
    assert all(a.opens is None for a in plan.actions if a.milestone == "report")


def test_previous_working_day_before_the_window_opens_is_refused(write_campaign) -> None:
    path = write_campaign(
        'Milestone(kind="hồ sơ", when="trong ngày 02 và ngày 03 tháng 5 năm 2026",'
        ' deadline_rule="previous_working_day"),'
    )
    spec, _ = read_spec(path)
    occs, problems = occurrences(spec)
    # Saturday 2/5 and Sunday 3/5/2026; 1/5 and 30/4 are holidays: Wednesday 29/4.
    assert [o.milestone.key for o in occs] == ["launch"]
    [problem] = problems
    assert problem.path == "milestones[1].deadline_rule"
    assert "hạn 29/04/2026 trước ngày bắt đầu nhận 02/05/2026" in problem.message


# --- optional milestones ----------------------------------------------------------------


def test_optional_milestones_get_no_overdue_notice_or_escalation(write_campaign) -> None:
    plan = plan_of(
        write_campaign(
            """
        Milestone(id="ho-so", kind="hồ sơ khen thưởng", when="chậm nhất ngày 15/5/2026",
                  reminders=[3], escalation=Escalation(after=1, to="organizer")),
        Milestone(id="ho-so-bat-buoc", kind="hồ sơ khen thưởng", when="chậm nhất ngày 15/6/2026",
                  required=True, escalation=Escalation(after=1, to="organizer")),
        Milestone(id="bao-cao", kind="báo cáo", when="chậm nhất ngày 20/6/2026"),
        Milestone(id="bao-cao-tu-nguyen", kind="báo cáo", when="chậm nhất ngày 25/6/2026",
                  required=False),
        """
        )
    )

    def kinds(key: str) -> list[ActionKind]:
        return [a.kind for a in plan.actions if a.milestone == key]

    # Reminders and the due notice still go to every participant.
    assert kinds("ho-so") == [ActionKind.REMINDER, ActionKind.DUE]
    assert all(len(a.recipients) == 4 for a in plan.actions if a.milestone == "ho-so")
    assert kinds("ho-so-bat-buoc") == [ActionKind.DUE, ActionKind.OVERDUE, ActionKind.ESCALATION]
    assert kinds("bao-cao") == [ActionKind.DUE, ActionKind.OVERDUE]
    assert kinds("bao-cao-tu-nguyen") == [ActionKind.DUE]


def test_an_escalation_on_an_optional_milestone_is_a_warning(write_campaign) -> None:
    loaded = load_campaign(
        write_campaign(
            'Milestone(kind="hồ sơ", when="chậm nhất ngày 15/5/2026",'
            " escalation=Escalation(after=1)),"
        )
    )
    [warning] = [w for w in loaded.warnings if w.path.endswith(".escalation")]
    assert warning.path == "milestones[nomination].escalation"  # named as `thidua plan` does
    assert "required=True" in warning.message


def test_plan_output_shows_the_written_and_the_effective_deadline() -> None:
    import json
    from datetime import UTC, datetime

    from thidua.campaign.plan_output import plan_ics, plan_json, plan_table

    plan = plan_of(CAMPAIGNS / "sngv_579_kh_2026_100_ngay_dem.py")
    both = "24/05/2026 (Chủ nhật) → 25/05/2026 (thứ Hai, Điều 148 BLDS)"
    assert both in plan_table(plan)
    data = json.loads(plan_json(plan))
    assert data["deadlines"] == [
        {
            "milestone": "nomination",
            "occurrence": "",
            "due_written": "2026-05-24",
            "due": "2026-05-25",
            "rule": "next_working_day",
            "required": False,
        }
    ]
    [due] = [a for a in data["actions"] if a["kind"] == "due"]
    assert (due["due"], due["due_written"], due["at"][:10]) == (
        "2026-05-25",
        "2026-05-24",
        "2026-05-25",
    )
    ics = plan_ics(plan, now=datetime(2026, 1, 1, tzinfo=UTC))
    unfolded = ics.replace("\r\n ", "")
    assert f"Hạn: {both}" in unfolded.replace("\\,", ",")


def test_plan_output_names_the_holiday_and_the_other_rule(write_campaign) -> None:
    from thidua.campaign.plan_output import deadline_text, plan_table

    plan = plan_of(
        write_campaign(
            'Milestone(kind="báo cáo", when="chậm nhất ngày 30/4/2026",'
            ' deadline_rule="ngày làm việc liền trước"),'
        )
    )
    assert (
        "30/04/2026 (thứ Năm, Ngày Chiến thắng) → 29/04/2026 (thứ Tư, ngày làm việc liền trước)"
        in plan_table(plan)
    )
    assert deadline_text(date(2026, 5, 15)) == "15/05/2026 (thứ Sáu)"
    assert deadline_text(date(2026, 5, 15), date(2026, 5, 15)) == "15/05/2026 (thứ Sáu)"


def test_submissions_are_stamped_against_the_effective_deadline(write_campaign) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from thidua.ledger.statuses import SubmissionTiming
    from thidua.ledger.timing import stamp, window_text

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    occ = occurrence_of(write_campaign('Milestone(kind="báo cáo", when="trước ngày 25/5/2026"),'))
    assert stamp(occ, datetime(2026, 5, 25, 16, 30, tzinfo=tz)) == (SubmissionTiming.ON_TIME, 0)
    assert stamp(occ, datetime(2026, 5, 26, 8, 0, tzinfo=tz)) == (SubmissionTiming.LATE, 1)
    # No opening day: a dossier handed in early is not “sớm”.
    assert stamp(occ, datetime(2026, 5, 10, 8, 0, tzinfo=tz)) == (SubmissionTiming.ON_TIME, 0)
    assert window_text(occ) == "đến hết ngày 25 tháng 5 năm 2026 (thứ Hai)"
    written = occurrence_of(
        write_campaign(
            'Milestone(kind="báo cáo", when="trước ngày 25/5/2026", deadline_rule="as_written"),'
        )
    )
    assert stamp(written, datetime(2026, 5, 25, 8, 0, tzinfo=tz)) == (SubmissionTiming.LATE, 1)


def test_effective_deadline_follows_the_injected_calendar() -> None:
    from thidua.campaign.kinds import DeadlineRule
    from thidua.campaign.plan import effective_deadline
    from thidua.dates.workdays import WorkCalendar

    # A made-up holiday on Monday 25/5/2026 and a worked Saturday 30/5/2026.
    cal = WorkCalendar({date(2026, 5, 25): "Ngày nghỉ thử"}, [date(2026, 5, 30)])
    sunday, saturday = date(2026, 5, 24), date(2026, 5, 30)
    assert effective_deadline(sunday, DeadlineRule.NEXT_WORKING_DAY, cal) == date(2026, 5, 26)
    assert effective_deadline(sunday, DeadlineRule.PREVIOUS_WORKING_DAY, cal) == date(2026, 5, 22)
    assert effective_deadline(sunday, DeadlineRule.AS_WRITTEN, cal) == sunday
    assert effective_deadline(saturday, DeadlineRule.NEXT_WORKING_DAY, cal) == saturday
