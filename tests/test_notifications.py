"""HTML part, attachments and the outbox channel of a notice."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from notifications.attachments import attachments_for
from notifications.render import render
from notifications.send import send, tls_context
from thidua.campaign_file import load_campaign
from thidua.config import get_settings
from thidua.plan import ActionKind, compile_plan

from .conftest import CAMPAIGNS

SEED_003 = CAMPAIGNS / "ubnd_2023_75_nam_thi_dua_ai_quoc.py"


def test_the_html_part_escapes_unit_names_and_keeps_the_official_style() -> None:
    loaded = load_campaign(CAMPAIGNS / "vd_2027_thi_dua_nam.py")
    plan = compile_plan(loaded.spec, loaded.registry)
    reminder = next(a for a in plan.actions if a.kind is ActionKind.REMINDER)
    unit = loaded.registry.unit(reminder.recipients[0]).model_copy(
        update={"name": "<script>alert(1)</script>"}
    )
    message = render(
        reminder,
        campaign=loaded.spec,
        unit=unit,
        organizer=loaded.registry.unit("BTDKT"),
        now=reminder.at,
    )
    assert message.html is not None
    assert "<script>" not in message.html
    assert "<strong>Kính gửi:</strong> &lt;script&gt;alert(1)&lt;/script&gt;</p>" in message.html
    assert f"Kế hoạch số {loaded.spec.code}" in message.html
    assert "chậm nhất ngày 26 tháng 02 năm 2027 (thứ Sáu) (còn 7 ngày)" in message.html
    assert message.html.startswith("<!DOCTYPE html>") and 'lang="vi"' in message.html


def test_seed_003_report_notices_carry_the_outline_and_the_units_calendar() -> None:
    loaded = load_campaign(SEED_003)
    plan = compile_plan(loaded.spec, loaded.registry)
    report = next(
        a
        for a in plan.actions
        if a.kind is ActionKind.REMINDER and a.milestone == "bao-cao-ket-qua"
    )
    code = report.recipients[0]
    files = attachments_for(report, plan=plan, unit_code=code, base_dir=SEED_003.parent)
    assert files[0] == SEED_003.parent / "attachments" / "de_cuong_bao_cao_75_nam.md"
    ics = files[1].read_text(encoding="utf-8")
    assert files[1].suffix == ".ics" and ics.count("BEGIN:VEVENT") == 1
    assert "DTSTART;TZID=Asia/Ho_Chi_Minh:20230710T080000" in ics
    launch = plan.actions[0]
    assert launch.kind is ActionKind.LAUNCH
    launch_files = attachments_for(launch, plan=plan, unit_code=code, base_dir=SEED_003.parent)
    assert [f.suffix for f in launch_files] == [".md", ".ics"]
    overdue = next(a for a in plan.actions if a.kind is ActionKind.OVERDUE)
    assert all(
        f.suffix != ".ics"
        for f in attachments_for(overdue, plan=plan, unit_code=code, base_dir=SEED_003.parent)
    )


def test_the_outbox_keeps_html_and_attachments(tmp_path: Path) -> None:
    loaded = load_campaign(SEED_003)
    plan = compile_plan(loaded.spec, loaded.registry)
    launch = plan.actions[0]
    code = launch.recipients[0]
    message = render(
        launch,
        campaign=loaded.spec,
        unit=loaded.registry.unit(code),
        organizer=loaded.registry.unit(loaded.spec.organizer),
        now=launch.at,
        attachments=attachments_for(launch, plan=plan, unit_code=code, base_dir=SEED_003.parent),
    )
    result = send("outbox://xa-mot", message, context={"unit": code, "action": launch.key})
    assert result.ok, result.error
    [eml] = (get_settings().outbox_dir / "xa-mot").glob("*.eml")
    mail = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert mail["X-Thidua-Unit"] == code
    assert mail.get_body(preferencelist=("plain",)).get_content() == message.text
    assert mail.get_body(preferencelist=("html",)).get_content() == message.html
    names = [part.get_filename() for part in mail.iter_attachments()]
    assert names == [path.name for path in message.attachments]
    outline = next(p for p in mail.iter_attachments() if p.get_filename().endswith(".md"))
    assert outline.get_payload(decode=True) == message.attachments[0].read_bytes()
    # Labelled UTF-8, as the e-mail channel does, so the .eml opens with its diacritics.
    assert (outline.get_content_type(), outline.get_content_charset()) == ("text/markdown", "utf-8")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in outline.get_content()
    calendar = next(p for p in mail.iter_attachments() if p.get_filename().endswith(".ics"))
    assert (calendar.get_content_type(), calendar.get_content_charset()) == (
        "text/calendar",
        "utf-8",
    )


def test_the_tls_context_is_built_once_and_verifies() -> None:
    import ssl

    context = tls_context()
    assert context is tls_context()
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert tls_context(verify=False) is not context
