"""One reviewed example of each kind of notice, subject and text, pinned for review.

A template change shows here as a readable diff in
tests/__snapshots__/test_notice_snapshots.ambr; read it as a unit would before
updating with `--snapshot-update`. Every notice is rendered at its planned time (no
late note), from the shipped campaigns where they have the kind, otherwise from a
small campaign with a meeting (a milestone nobody submits to).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from thidua.notifications.render import Message, launch_deadlines, notice_title, render
from thidua.tasks.alerts import failure_message, failures_message

from thidua.campaign.loading import LoadedCampaign, load_campaign
from thidua.campaign.plan import compile_plan

from .conftest import CAMPAIGNS
from .notice_corpus import fake_link

#: (example, campaign file, action key) of each kind of notice.
EXAMPLES = [
    ("launch", "vd_2027_thi_dua_nam.py", "launch/-/launch"),
    ("open", "ubnd_2023_75_nam_thi_dua_ai_quoc.py", "ho-so-bang-khen/-/open"),
    ("reminder", "vd_2026_2030_doi_moi_sang_tao.py", "so-lieu-quy/2026-Q1/reminder/3wd"),
    ("due_today", "ubnd_2023_75_nam_thi_dua_ai_quoc.py", "ho-so-bang-khen/-/due"),
    ("due_before_a_day_off", "sngv_579_kh_2026_100_ngay_dem.py", "nomination/-/due"),
    ("overdue", "ubnd_641_kh_2026_100_ngay_dem.py", "report/-/overdue"),
    ("overdue_window_closed", "ubnd_2023_75_nam_thi_dua_ai_quoc.py", "ho-so-bang-khen/-/overdue"),
    ("escalation", "vd_2027_thi_dua_nam.py", "review/-/escalation"),
    ("so_ket_results", "vd_2027_thi_dua_nam.py", "review/-/compile"),
    ("tong_ket_results", "vd_2026_2030_doi_moi_sang_tao.py", "summary/-/compile"),
    # A Chỉ thị: named as such, with the office's own tasks and where its reports go.
    ("launch_chi_thi_tasks", "vd_ct_2026_2030_thi_dua_yeu_nuoc.py", "launch/-/launch"),
    (
        "reminder_six_monthly_recipient",
        "vd_ct_2026_2030_thi_dua_yeu_nuoc.py",
        "bao-cao-dinh-ky/2026-H1/reminder/7d",
    ),
    # A Party plan: its targets in the launch notice.
    ("launch_party_targets", "vd_tu_2025_2030_sang_kien.py", "launch/-/launch"),
]

MEETING = """
Milestone(kind="custom", id="hoi-nghi", title="Hội nghị điển hình tiên tiến",
          when="ngày 15/5/2026", reminders=[5]),
"""


def _message(loaded: LoadedCampaign, key: str) -> Message:
    spec, reg = loaded.spec, loaded.registry
    plan = compile_plan(spec, reg)
    action = next(a for a in plan.actions if a.key == key)
    others = [code for code in plan.participants if code not in action.recipients]
    missing = [reg.unit(code).name for code in others[:2]]
    return render(
        action,
        campaign=spec,
        unit=reg.unit(action.recipients[0]),
        organizer=reg.unit(spec.organizer),
        now=action.at,
        deadlines=launch_deadlines(spec, plan.occurrences),
        missing=missing,
        submitted=len(plan.participants) - len(missing),
        total=len(plan.participants),
        portal_link=fake_link(action.recipients[0]),
    )


def _shown(message: Message) -> str:
    return f"Tiêu đề: {message.subject}\n\n{message.text}"


@pytest.mark.parametrize(("example", "name", "key"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_notice(example: str, name: str, key: str, snapshot) -> None:
    assert _shown(_message(load_campaign(CAMPAIGNS / name), key)) == snapshot


@pytest.mark.parametrize("key", ["hoi-nghi/-/reminder/5d", "hoi-nghi/-/event"])
def test_meeting_notice(key: str, write_campaign: Callable[..., Path], snapshot) -> None:
    loaded = load_campaign(write_campaign(MEETING))
    assert _shown(_message(loaded, key)) == snapshot


def test_failure_alerts(snapshot) -> None:
    loaded = load_campaign(CAMPAIGNS / "ubnd_2023_75_nam_thi_dua_ai_quoc.py")
    spec, reg = loaded.spec, loaded.registry
    plan = compile_plan(spec, reg)
    action = next(a for a in plan.actions if a.key == "ho-so-bang-khen/-/reminder/7d")
    organizer = reg.unit(spec.organizer).name
    notice = notice_title(action, spec)
    crashed = failure_message(
        spec.code,
        action.run_name(),
        "Không kết nối được cơ sở dữ liệu",
        action.at,
        addressee=organizer,
        notice=notice,
    )
    unreached = failures_message(
        spec.code,
        action.run_name(),
        [
            (reg.unit("SYT").name, "1:mailtos", "Lỗi vĩnh viễn (không gửi lại): máy chủ thư "
             "từ chối địa chỉ (550 5.1.1 không có hộp thư này)"),
            (reg.unit("SGDDT").name, "0:outbox", "Lỗi tạm thời: hết thời gian chờ"),
        ],
        addressee=organizer,
        notice=notice,
    )  # fmt: skip
    assert f"{_shown(crashed)}\n\n{_shown(unreached)}" == snapshot
