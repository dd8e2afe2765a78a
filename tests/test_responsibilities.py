"""Responsibilities per unit or group: each office's own tasks in its notice and its plan."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from thidua.campaign.charges import tasks_for
from thidua.campaign.loading import load_campaign
from thidua.campaign.plan import ActionKind, compile_plan
from thidua.errors import CampaignFileError

from .conftest import CAMPAIGNS, ROOT
from .notice_corpus import notices
from .serving import THIDUA, clean_env

CHI_THI = CAMPAIGNS / "vd_ct_2026_2030_thi_dua_yeu_nuoc.py"
GUIDE = "Hướng dẫn, kiểm tra, đôn đốc các cơ quan, đơn vị, địa phương thực hiện Chỉ thị"
PROPAGANDA = "Tuyên truyền sâu rộng các phong trào thi đua"
EVERYONE = "Quán triệt, xây dựng kế hoạch triển khai thực hiện Chỉ thị"


def _launch_text(unit: str) -> str:
    loaded = load_campaign(CHI_THI)
    for item in notices(loaded):
        if item.action and item.action.kind is ActionKind.LAUNCH and item.where.endswith(unit):
            return item.message.text
    raise AssertionError(f"no launch notice to {unit}")


def test_each_office_reads_its_own_tasks_in_its_launch_notice() -> None:
    snv, svh, sct = _launch_text("→ SNV"), _launch_text("→ SVHTTDL"), _launch_text("→ SCT")
    assert "Nhiệm vụ của Sở Nội vụ theo Chỉ thị:" in snv
    assert f"- {GUIDE}" in snv and PROPAGANDA not in snv
    assert PROPAGANDA in svh and GUIDE not in svh
    # Tasks given to a group reach each of its members, after their own.
    assert EVERYONE in snv and EVERYONE in svh and EVERYONE in sct
    assert GUIDE not in sct and PROPAGANDA not in sct
    # The deadlines listed are the unit's own: only the charged offices owe the second report.
    assert "Báo cáo kết quả tuyên truyền" in svh and "Báo cáo kết quả tuyên truyền" not in sct


def test_a_milestone_addresses_the_units_charged_with_a_task() -> None:
    loaded = load_campaign(CHI_THI)
    actions = [
        a
        for a in compile_plan(loaded.spec, loaded.registry).actions
        if a.milestone == "tuyen-truyen"
    ]
    assert actions and all(a.recipients == ("SVHTTDL", "BPTTH") for a in actions)


def test_the_dict_form_and_the_unit_of_a_group(write_campaign) -> None:
    path = write_campaign(
        extra='responsibilities={"SO-A": "Chủ trì tổng hợp", "KHOI-A": ["Báo cáo định kỳ"]},'
    )
    loaded = load_campaign(path)
    assert tasks_for(loaded.spec, loaded.registry.unit("SO-A")) == [
        "Chủ trì tổng hợp",
        "Báo cáo định kỳ",
    ]
    assert tasks_for(loaded.spec, loaded.registry.unit("XA-1")) == []


def test_an_unknown_charge_is_refused(write_campaign) -> None:
    path = write_campaign('Milestone(kind="báo cáo", when="10/5/2026", charged_with="khong-co"),')
    with pytest.raises(CampaignFileError) as info:
        load_campaign(path)
    [problem] = info.value.errors
    assert problem.path.endswith(".charged_with[0]") and problem.value == "khong-co"
    assert "không phải id của một nhiệm vụ" in problem.message
    file, line = problem.source.rsplit(":", 1)  # the line where charged_with is written
    assert "charged_with" in Path(file).read_text(encoding="utf-8").splitlines()[int(line) - 1]


def test_an_unknown_charge_and_an_unknown_unit_come_out_in_one_pass(write_campaign) -> None:
    path = write_campaign(
        'Milestone(kind="báo cáo", when="10/5/2026", charged_with="huong-dam"),',
        extra='responsibilities=[Responsibility(id="huong-dan", units=["SOA"], tasks="Hướng dẫn")],',
    )
    with pytest.raises(CampaignFileError) as info:
        load_campaign(path)
    found = {p.value: p.render() for p in info.value.errors}
    assert set(found) == {"huong-dam", "SOA"}
    assert "có phải ý là “huong-dan”" in found["huong-dam"]
    assert "có phải ý là “SO-A”" in found["SOA"]


def test_unknown_units_in_a_responsibility_are_refused_with_a_suggestion(write_campaign) -> None:
    path = write_campaign(extra='responsibilities={"SOA": "Việc gì đó", "SO-Z": "Việc khác"},')
    with pytest.raises(CampaignFileError) as info:
        load_campaign(path)
    found = {p.value: p for p in info.value.errors if p.path.startswith("responsibilities")}
    assert set(found) == {"SOA", "SO-Z"}
    assert "có phải ý là “SO-A”" in found["SOA"].render()
    assert all(":" in p.source for p in info.value.errors)  # each with its file:line


def test_plan_for_one_unit_shows_its_tasks() -> None:
    out = subprocess.run(
        [THIDUA, "plan", str(CHI_THI), "--unit", "SVHTTDL"],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    head, _, table = out.partition("\n\n")
    assert head.startswith("Nhiệm vụ của Sở Văn hóa, Thể thao và Du lịch theo Chỉ thị:")
    assert PROPAGANDA in head and GUIDE not in head
    assert "Báo cáo kết quả tuyên truyền" in table


def test_audience_and_charged_with_are_not_both_written(write_campaign) -> None:
    path = write_campaign(
        'Milestone(kind="báo cáo", when="10/5/2026", audience=["SO-A"], charged_with="x"),',
        extra='responsibilities=[Responsibility(id="x", units=["SO-A"], tasks=["Việc"])],',
    )
    with pytest.raises(CampaignFileError) as info:
        load_campaign(path)
    assert "không ghi cả hai" in "\n".join(p.render() for p in info.value.errors)


def test_each_unit_s_board_shows_its_own_tasks() -> None:
    from datetime import UTC, datetime

    from thidua.board.build import build_board
    from thidua.board.rows import StoreRows
    from thidua.board.view import make_console, render_board

    loaded = load_campaign(CHI_THI)
    plan = compile_plan(loaded.spec, loaded.registry)
    rows = StoreRows(loaded.code, loaded.spec.title, "active")
    now = datetime(2026, 7, 1, tzinfo=UTC)
    board = build_board(rows, plan, loaded.registry, now=now)
    snv = board.unit("SNV")
    assert snv is not None and GUIDE in snv.tasks and PROPAGANDA not in snv.tasks
    assert {u["code"]: u["tasks"] for u in board.as_dict()["units"]}["SNV"] == snv.tasks
    console = make_console(width=120, record=True)
    render_board(board.only("SNV"), console, unit="SNV")
    text = console.export_text()
    assert "Nhiệm vụ được giao" in text and f"- {GUIDE}" in text
