"""HTML part, attachments and the outbox channel of a notice."""

from __future__ import annotations

import email
import email.policy
import io
from pathlib import Path

import docx
from thidua.notifications.attachments import Attachments, attachments_for
from thidua.notifications.render import Message, Notice, launch_deadlines, render
from thidua.notifications.send import send, tls_context

from thidua.campaign.loading import load_campaign
from thidua.campaign.plan import ActionKind, compile_plan
from thidua.config import get_settings

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
    # The outline is written in Markdown; offices get it as the Word file they open.
    assert files[0].name == "de_cuong_bao_cao_75_nam.docx"
    outline = docx.Document(str(files[0]))
    texts = [p.text for p in outline.paragraphs]
    assert "ĐỀ CƯƠNG BÁO CÁO" in texts and "I. KẾT QUẢ THỰC HIỆN ĐỢT THI ĐUA" in texts
    assert not any("#" in text or "**" in text for text in texts)
    ics = files[1].read_text(encoding="utf-8")
    assert files[1].suffix == ".ics" and ics.count("BEGIN:VEVENT") == 1
    assert "DTSTART;TZID=Asia/Ho_Chi_Minh:20230710T080000" in ics
    launch = plan.actions[0]
    assert launch.kind is ActionKind.LAUNCH
    launch_files = attachments_for(launch, plan=plan, unit_code=code, base_dir=SEED_003.parent)
    assert [f.suffix for f in launch_files] == [".docx", ".ics"]
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
    outline = next(p for p in mail.iter_attachments() if p.get_filename().endswith(".docx"))
    assert outline.get_payload(decode=True) == message.attachments[0].read_bytes()
    assert outline.get_content_type() == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    word = docx.Document(io.BytesIO(outline.get_payload(decode=True)))
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in word.paragraphs[1].text
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


REGISTRY_WITH_PHONE = """\
name: Tỉnh thử nghiệm
groups:
  - {code: KHOI-A, name: Khối A, kind: khoi, head: SO-A}
  - {code: CUM-X, name: Cụm xã, kind: cum, head: XA-1}
units:
  - {code: UBND, name: UBND tỉnh, kind: co_quan_tinh, contacts: ["outbox://ubnd"]}
  - {code: BTDKT, name: Ban Thi đua - Khen thưởng, kind: phong, supervisor: UBND,
     phone: "0206 3852 000", email: btdkt@example.vn, contacts: ["outbox://btdkt"]}
  - {code: SO-A, name: Sở A, kind: so_nganh, groups: [KHOI-A], supervisor: UBND, headcount: 20,
     contacts: ["outbox://so-a"]}
  - {code: XA-1, name: UBND xã Một, kind: xa, groups: [CUM-X], supervisor: UBND, headcount: 10,
     contacts: ["outbox://xa-1"]}
"""

WINDOW = """
Milestone(kind="hồ sơ khen thưởng", id="ho-so", opens="ngày 03/6/2026", when="ngày 05/6/2026",
          late="refuse", required=True, escalation=Escalation(after="1 ngày làm việc", to="supervisor")),
Milestone(kind="báo cáo", id="bao-cao", when="chậm nhất ngày 25/6/2026"),
"""


def _notices(path: Path) -> dict[str, Message]:
    loaded = load_campaign(path)
    plan = compile_plan(loaded.spec, loaded.registry)
    return {
        a.key: render(
            a,
            campaign=loaded.spec,
            unit=loaded.registry.unit(a.recipients[0]),
            organizer=loaded.registry.unit(loaded.spec.organizer),
            now=a.at,
            missing=["UBND xã Một"],
        )
        for a in plan.actions
        if a.recipients
    }


def test_a_closed_window_says_so_and_whom_to_contact(write_campaign, campaign_dir: Path) -> None:
    (campaign_dir / "units.yaml").write_text(REGISTRY_WITH_PHONE, encoding="utf-8")
    notices = _notices(write_campaign(WINDOW, extra='contact="Ban Thi đua - Khen thưởng tỉnh",'))
    closed = notices["ho-so/-/overdue"]
    assert "khẩn trương" not in closed.text
    assert closed.subject == "[12/KH-TEST] Đã hết thời hạn tiếp nhận: Nộp hồ sơ đề nghị khen thưởng"
    assert (
        "thời hạn tiếp nhận từ ngày 03 tháng 6 năm 2026 (thứ Tư) đến hết ngày 05 tháng 6 năm 2026 "
        "(thứ Sáu) đã kết thúc nhưng Sở A chưa gửi hồ sơ đề nghị khen thưởng. Hệ thống không "
        "tiếp nhận hồ sơ đề nghị khen thưởng gửi sau thời hạn này." in closed.text
    )
    assert (
        "đề nghị đơn vị liên hệ Ban Thi đua - Khen thưởng tỉnh (điện thoại: 0206 3852 000; "
        "thư điện tử: btdkt@example.vn) để được hướng dẫn." in closed.text
    )
    escalation = notices["ho-so/-/escalation"].text
    assert "đôn đốc" not in escalation and "đã kết thúc" in escalation
    # A window that accepts late submissions still asks for them.
    assert "Đề nghị đơn vị khẩn trương thực hiện." in notices["bao-cao/-/overdue"].text


def test_the_contact_line_carries_the_organizers_phone_and_email(
    write_campaign, campaign_dir: Path
) -> None:
    (campaign_dir / "units.yaml").write_text(REGISTRY_WITH_PHONE, encoding="utf-8")
    launch = _notices(write_campaign(WINDOW))["launch/-/launch"]
    line = "Liên hệ: Ban Thi đua - Khen thưởng; điện thoại: 0206 3852 000; thư điện tử: btdkt@example.vn"
    assert line in launch.text
    assert launch.html is not None and line in launch.html
    # No footer key: the notice says in words what it is.
    assert "launch/-/launch" not in launch.text and "mã hoạt động" not in launch.text
    assert "Đây là thông báo phát động do hệ thống" in launch.text
    assert "Đây là thông báo phát động do hệ thống" in launch.html


def test_without_phone_or_email_the_contact_line_says_only_whom(write_campaign) -> None:
    """The small registry has no phone or e-mail: the line leaves them out, no empty fields."""
    reminder = _notices(write_campaign(WINDOW, extra='contact="Ban Thi đua - Khen thưởng",'))[
        "ho-so/-/open"
    ]
    assert "\nLiên hệ: Ban Thi đua - Khen thưởng\n" in reminder.text
    assert "điện thoại" not in reminder.text
    plain = _notices(write_campaign(WINDOW))["ho-so/-/open"]
    assert "Liên hệ:" not in plain.text


def test_a_registry_gives_phone_and_email_in_any_format(tmp_path: Path) -> None:
    from thidua.registry import load_registry

    path = tmp_path / "units.csv"
    path.write_text(
        "Mã đơn vị,Tên đơn vị,Loại,Liên hệ,Số điện thoại,Thư điện tử\n"
        "BTDKT,Ban Thi đua - Khen thưởng,phong,outbox://btdkt,0206 3852 000,btdkt@example.vn\n",
        encoding="utf-8",
    )
    unit = load_registry(path).unit("BTDKT")
    assert (unit.phone, unit.email) == ("0206 3852 000", "btdkt@example.vn")


def test_the_organizers_own_milestone_counts_no_units() -> None:
    """A tổng kết only the organizer does: its results notice has no “0/0 đơn vị”."""
    loaded = load_campaign(CAMPAIGNS / "ubnd_641_kh_2026_100_ngay_dem.py")
    plan = compile_plan(loaded.spec, loaded.registry)
    action = next(a for a in plan.actions if a.key == "summary/-/compile")
    organizer = loaded.registry.unit(loaded.spec.organizer)
    text = render(
        action, campaign=loaded.spec, unit=organizer, organizer=organizer, now=action.at
    ).text
    assert "0/0" not in text and "các đơn vị" not in text
    assert (
        "hạn thực hiện nội dung “Tổng kết Phong trào thi đua, trình khen thưởng” là ngày 30 "
        "tháng 6 năm 2026 (thứ Ba)." in text
    )


def test_a_notice_prepared_once_gives_each_unit_what_render_gives_it() -> None:
    """`Notice` (an audience's shared part worked out once) and `Attachments` render each
    unit's message and files exactly as `render` and `attachments_for` do one by one."""
    loaded = load_campaign(SEED_003)
    plan = compile_plan(loaded.spec, loaded.registry)
    organizer = loaded.registry.unit(loaded.spec.organizer)
    deadlines = launch_deadlines(loaded.spec, plan.occurrences)
    for action in (plan.actions[0], next(a for a in plan.actions if a.kind is ActionKind.REMINDER)):
        notice = Notice(
            action, campaign=loaded.spec, organizer=organizer, now=action.at, deadlines=deadlines
        )
        files = Attachments(action, plan=plan, base_dir=SEED_003.parent)
        codes = list(action.recipients)[:: max(1, len(action.recipients) // 6)]
        messages = set()
        for code in codes:
            unit, link = loaded.registry.unit(code), f"https://cong.example.vn/u/{code}"
            one_by_one = render(
                action,
                campaign=loaded.spec,
                unit=unit,
                organizer=organizer,
                now=action.at,
                deadlines=deadlines,
                attachments=attachments_for(
                    action, plan=plan, unit_code=code, base_dir=SEED_003.parent
                ),
                portal_link=link,
            )
            assert notice.to(unit, attachments=files.of(code), portal_link=link) == one_by_one
            assert unit.name in one_by_one.text and link in one_by_one.text
            messages.add(one_by_one.text)
        assert len(messages) == len(codes) > 1  # each unit its own notice
