"""The planner: dated actions from a campaign, shifted off weekends and holidays."""

from __future__ import annotations

from datetime import date

from thidua.campaign_file import load_campaign
from thidua.plan import ActionKind, compile_plan
from thidua.workdays import vietnam_calendar

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


def test_due_day_on_a_sunday_becomes_a_friday_notice(write_campaign) -> None:
    plan = plan_of(
        write_campaign('Milestone(kind="hồ sơ", when="trước ngày 25/5/2026", reminders=[1]),')
    )
    due = by_kind(plan, ActionKind.DUE)
    assert [(a.day, a.title) for a in due] == [
        (date(2026, 5, 22), "Sắp hết hạn nộp hồ sơ (còn 2 ngày)")
    ]
    # The 1-day reminder (Saturday 23/5 -> Friday 22/5) would repeat it, so it is dropped.
    assert by_kind(plan, ActionKind.REMINDER) == []


def test_campaign_may_allow_weekend_notices(write_campaign) -> None:
    plan = plan_of(
        write_campaign(
            'Milestone(kind="hồ sơ", when="trước ngày 25/5/2026", reminders=[1]),',
            extra="working_days_only=False,",
        )
    )
    assert [a.day for a in by_kind(plan, ActionKind.DUE)] == [date(2026, 5, 24)]
    assert [a.day for a in by_kind(plan, ActionKind.REMINDER)] == [date(2026, 5, 23)]


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
        (ActionKind.OVERDUE, date(2026, 6, 5)),
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
    assert kinds[-1] == (ActionKind.COMPILE, date(2026, 6, 1), "organizer")
    assert plan.actions[-1].title == "Tổng hợp kết quả sơ kết"


def test_yearly_and_quarterly_recurrences() -> None:
    plan = plan_of(CAMPAIGNS / "vd_2026_2030_doi_moi_sang_tao.py")
    yearly = [a for a in plan.actions if a.milestone == "bao-cao-nam" and a.kind is ActionKind.DUE]
    assert [a.occurrence for a in yearly] == ["2026", "2027", "2028", "2029", "2030"]
    assert all(a.due == date(int(a.occurrence), 12, 14) for a in yearly)
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
    assert reminder.run_name().startswith("579/KH-SNgV · Nhắc hạn gửi danh sách")
    assert reminder.run_name().endswith(f"· {reminder.day:%d/%m/%Y}")


def test_plan_is_pure(write_campaign) -> None:
    path = write_campaign('Milestone(kind="báo cáo", when="ngày 15/5/2026", reminders=[7, 3]),')
    assert plan_of(path).actions == plan_of(path).actions
