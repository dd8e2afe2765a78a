"""The notices units receive: every template renders for every action, in Vietnamese."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from thidua.notifications.render import launch_deadlines, render, subject_line

from thidua.campaign.loading import load_campaign
from thidua.campaign.plan import ActionKind, compile_plan

from .conftest import CAMPAIGNS


@pytest.mark.parametrize("path", sorted(CAMPAIGNS.glob("*.py")), ids=lambda p: p.stem)
def test_every_action_of_every_campaign_renders(path: Path) -> None:
    loaded = load_campaign(path)
    spec, reg = loaded.spec, loaded.registry
    plan = compile_plan(spec, reg)
    organizer = reg.unit(spec.organizer)
    for action in plan.actions:
        unit = reg.unit(action.recipients[0])
        message = render(
            action,
            campaign=spec,
            unit=unit,
            organizer=organizer,
            now=action.at,
            deadlines=launch_deadlines(spec, plan.occurrences),
            missing=["Sở A"],
            submitted=1,
            total=2,
        )
        assert message.subject == subject_line(action, spec)
        assert message.subject.startswith(f"[{spec.code}] ")
        assert message.text.startswith(f"Kính gửi: {unit.name}\n")
        # The document by its own kind: “Kế hoạch số …”, “Chỉ thị số …”.
        assert f"{spec.doc_label} số {spec.code}" in message.text
        assert action.key not in message.text
        assert "gửi chậm" not in message.text
        assert "{{" not in message.text and "{%" not in message.text


def test_a_late_notice_says_so() -> None:
    loaded = load_campaign(CAMPAIGNS / "vd_2027_thi_dua_nam.py")
    plan = compile_plan(loaded.spec, loaded.registry)
    reminder = next(a for a in plan.actions if a.kind is ActionKind.REMINDER)
    unit = loaded.registry.unit(reminder.recipients[0])
    organizer = loaded.registry.unit("BTDKT")
    late = render(
        reminder,
        campaign=loaded.spec,
        unit=unit,
        organizer=organizer,
        now=reminder.at + timedelta(hours=5),
    )
    assert "gửi chậm 5 giờ so với lịch 08:00 ngày 19/02/2027" in late.text
    assert "chậm nhất ngày 26 tháng 02 năm 2027 (thứ Sáu) (còn 7 ngày)" in late.text


def test_unit_names_are_data_not_template_code(tmp_path: Path) -> None:
    loaded = load_campaign(CAMPAIGNS / "vd_2027_thi_dua_nam.py")
    plan = compile_plan(loaded.spec, loaded.registry)
    action = plan.actions[0]
    unit = loaded.registry.unit(action.recipients[0]).model_copy(
        update={"name": "{{ 7 * 7 }}{% raw %}"}
    )
    message = render(
        action,
        campaign=loaded.spec,
        unit=unit,
        organizer=loaded.registry.unit("BTDKT"),
        now=action.at,
    )
    assert "Kính gửi: {{ 7 * 7 }}{% raw %}" in message.text and "49" not in message.text


def test_a_campaign_can_override_a_template(tmp_path: Path) -> None:
    loaded = load_campaign(CAMPAIGNS / "vd_2027_thi_dua_nam.py")
    plan = compile_plan(loaded.spec, loaded.registry)
    action = plan.actions[0]
    (tmp_path / "launch.txt.j2").write_text("Thư riêng cho {{ unit.name }}.", encoding="utf-8")
    message = render(
        action,
        campaign=loaded.spec,
        unit=loaded.registry.unit("SYT"),
        organizer=loaded.registry.unit("BTDKT"),
        now=action.at,
        template_dir=tmp_path,
    )
    assert message.text == "Thư riêng cho Sở Y tế.\n"
