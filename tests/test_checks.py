"""Cross-checks of a campaign against its registry, calendar and parent: one test per rule."""

from __future__ import annotations

import pytest

from thidua.campaign.loading import load_campaign
from thidua.errors import CampaignFileError


def errors(path) -> str:
    with pytest.raises(CampaignFileError) as info:
        load_campaign(path)
    return "\n".join(p.render() for p in info.value.errors)


def test_a_valid_small_campaign_passes(write_campaign) -> None:
    path = write_campaign(
        'Milestone(kind="báo cáo", when="chậm nhất ngày 10/5/2026", reminders=[3]),'
    )
    assert load_campaign(path).spec.code == "12/KH-TEST"


def test_due_date_before_launch(write_campaign) -> None:
    path = write_campaign('Milestone(kind="báo cáo", when="ngày 01/3/2026"),')
    assert "trước ngày phát động 02/03/2026" in errors(path)


def test_review_outside_the_period(write_campaign) -> None:
    path = write_campaign('Milestone(kind="sơ kết", when="quý IV/2026"),')
    assert "sơ kết phải nằm trong thời gian thực hiện" in errors(path)


def test_report_may_come_after_the_period_but_not_before_it(write_campaign) -> None:
    ok = write_campaign('Milestone(kind="báo cáo", when="chậm nhất ngày 10/7/2026"),')
    load_campaign(ok)  # raises CampaignFileError if refused
    # Launched early, the period starting on 15/3: a report due on 10/3 is after the
    # launch (so only this rule can refuse it) but before the period.
    text = write_campaign('Milestone(kind="báo cáo", when="chậm nhất ngày 10/3/2026"),').read_text(
        "utf-8"
    )
    early = text.replace("Từ ngày 01/3/2026", "Từ ngày 15/3/2026")
    assert early != text
    found = errors(write_campaign(text=early))
    assert "milestones[report].when" in found and "hạn trước khi bắt đầu thời gian thực hiện" in found
    assert "trước ngày phát động" not in found


def test_summary_before_review(write_campaign) -> None:
    path = write_campaign(
        """
        Milestone(kind="sơ kết", when="tháng 6/2026"),
        Milestone(kind="tổng kết", when="tháng 5/2026"),
        """
    )
    assert "tổng kết (31/05/2026) trước sơ kết (30/06/2026)" in errors(path)


def test_reminder_before_launch(write_campaign) -> None:
    path = write_campaign('Milestone(kind="báo cáo", when="ngày 05/3/2026", reminders=[7]),')
    assert "rơi trước ngày phát động" in errors(path)


def test_unknown_group_unit_and_organizer(write_campaign) -> None:
    base = write_campaign('Milestone(kind="báo cáo", when="ngày 10/5/2026"),').read_text("utf-8")
    text = base.replace('groups=["KHOI-A", "CUM-X"]', 'groups=["KHOI-Z"], units=["SO-Q"]')
    text = text.replace('organizer="BTDKT"', 'organizer="BAN-X"')
    found = errors(write_campaign(text=text))
    assert "participants.groups[0]" in found and "“KHOI-Z”" in found
    assert "participants.units[0]" in found and "“SO-Q”" in found
    assert "organizer" in found and "“BAN-X”" in found


def test_unit_kinds_by_code_or_vietnamese_label(write_campaign) -> None:
    base = write_campaign('Milestone(kind="báo cáo", when="ngày 10/5/2026"),').read_text("utf-8")
    ok = base.replace('groups=["KHOI-A", "CUM-X"]', 'kinds=["UBND xã", "so_nganh"]')
    assert load_campaign(write_campaign(text=ok)).spec.participants.kinds
    bad = base.replace('groups=["KHOI-A", "CUM-X"]', 'kinds=["tinh"]')
    found = errors(write_campaign(text=bad))
    assert "participants.kinds[0]" in found and "“tinh”" in found and "so_nganh" in found


def test_unknown_audience_and_escalation_target(write_campaign) -> None:
    path = write_campaign(
        'Milestone(kind="báo cáo", when="ngày 10/5/2026", audience=["SO-A", "NOPE"],'
        ' escalation=Escalation(after=2, to="ALSO-NOPE")),'
    )
    found = errors(path)
    assert "audience[1]" in found and "“NOPE”" in found
    assert "escalation.to" in found and "“ALSO-NOPE”" in found


def test_targeted_units_without_contacts(write_campaign, campaign_dir) -> None:
    reg = (campaign_dir / "units.yaml").read_text("utf-8")
    reg = reg.replace('contacts: ["outbox://xa-2"]', "contacts: []")
    (campaign_dir / "units.yaml").write_text(reg, "utf-8")
    path = write_campaign('Milestone(kind="báo cáo", when="ngày 10/5/2026"),')
    assert "không có địa chỉ liên hệ" in errors(path) and "XA-2" in errors(path)


def test_quota_ratio_over_100_percent(write_campaign) -> None:
    path = write_campaign(
        'Milestone(kind="báo cáo", when="ngày 10/5/2026"),',
        extra='awards=[Award(name="Giấy khen", quota=Quota(max_ratio="130%"))],',
    )
    assert "awards[0].quota.max_ratio" in errors(path)


def test_quota_that_cannot_be_met(write_campaign) -> None:
    path = write_campaign(
        'Milestone(kind="báo cáo", when="ngày 10/5/2026"),',
        extra='awards=[Award(name="Giấy khen", quota=Quota(max_ratio="1%", ratio_of="units"))],',
    )
    assert "chưa được 1 suất" in errors(path)


def test_quota_override_for_unknown_unit(write_campaign) -> None:
    path = write_campaign(
        'Milestone(kind="báo cáo", when="ngày 10/5/2026"),',
        extra='awards=[Award(name="Bằng khen", quota=Quota(per_unit=1, overrides={"SO-Z": 2}))],',
    )
    assert "“SO-Z”" in errors(path)


def test_yearless_date_needs_a_recurrence(write_campaign) -> None:
    path = write_campaign('Milestone(kind="báo cáo", when="15/12"),')
    assert "thiếu năm" in errors(path)


def test_recurrence_needs_a_yearless_date(write_campaign) -> None:
    path = write_campaign(
        'Milestone(kind="báo cáo", when="15/12/2026", recurrence=Recurrence(every="hằng năm")),'
    )
    assert "không kèm năm" in errors(path)


def test_duplicate_milestone_ids(write_campaign) -> None:
    path = write_campaign(
        """
        Milestone(kind="báo cáo", when="ngày 10/5/2026"),
        Milestone(kind="báo cáo", when="ngày 10/6/2026"),
        """
    )
    assert "trùng mã mốc" in errors(path)


def test_missing_attachment(write_campaign) -> None:
    path = write_campaign(
        'Milestone(kind="báo cáo", when="ngày 10/5/2026", attachments=["de_cuong.docx"]),'
    )
    assert "“de_cuong.docx”" in errors(path)


def test_child_deadline_must_precede_the_parents(write_campaign) -> None:
    write_campaign('Milestone(kind="hồ sơ", when="chậm nhất ngày 20/5/2026"),', name="parent.py")
    child = write_campaign(
        name="child.py",
        text=(
            write_campaign(
                'Milestone(kind="hồ sơ", when="chậm nhất ngày 25/5/2026"),', name="tmp.py"
            )
            .read_text("utf-8")
            .replace('code="12/KH-TEST"', 'code="7/KH-CON", parent="12/KH-TEST"')
        ),
    )
    (child.parent / "tmp.py").unlink()
    assert "không trước hạn cùng loại của kế hoạch cấp trên 12/KH-TEST" in errors(child)


def test_parent_not_found_is_a_warning(write_campaign) -> None:
    text = write_campaign('Milestone(kind="báo cáo", when="ngày 10/5/2026"),').read_text("utf-8")
    path = write_campaign(
        text=text.replace('code="12/KH-TEST"', 'code="7/KH-CON", parent="99/KH-X"')
    )
    loaded = load_campaign(path)
    assert [w.path for w in loaded.warnings] == ["parent"]


@pytest.mark.parametrize(
    ("written", "choices", "meant"),
    [
        ("BTGDVTU", ["BTGDV-TU", "BTDKT"], "BTGDV-TU"),  # the dash left out
        ("btgdv-tu", ["BTGDV-TU"], "BTGDV-TU"),  # case
        ("BTDKT-X", ["BTDKT", "UBND"], "BTDKT"),  # one character too many
        ("SNVV", ["SNV", "STC"], "SNV"),
        ("SVN", ["SNV", "STC"], "SNV"),  # two neighbours swapped
        ("KHOI-B", ["KHOI-A"], None),  # another code, not a slip
        ("XYZ", ["SNV"], None),
    ],
)
def test_a_code_suggestion_only_for_a_slip(written: str, choices: list[str], meant) -> None:
    from thidua.errors import did_you_mean

    hint = did_you_mean(written, choices)
    assert hint == (f"; có phải ý là “{meant}”?" if meant else "")


def test_an_unknown_group_is_answered_with_the_code_meant(write_campaign, campaign_dir) -> None:
    path = write_campaign('Milestone(kind="báo cáo", when="ngày 10/5/2026", audience=["CUMX"]),')
    assert "có phải ý là “CUM-X”?" in errors(path)
