"""Loading campaign files: seeds load; every kind of mistake is reported, located, at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from thidua.campaign.kinds import MilestoneKind, NomineeKind
from thidua.campaign.loading import load_campaign
from thidua.errors import CampaignFileError

from .conftest import CAMPAIGNS

SEEDS = sorted(CAMPAIGNS.glob("*.py"))


def problems_of(path: Path) -> list[str]:
    with pytest.raises(CampaignFileError) as info:
        load_campaign(path)
    return [p.render() for p in info.value.errors]


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem)
def test_every_shipped_campaign_loads_cleanly(path: Path) -> None:
    loaded = load_campaign(path)
    assert loaded.spec.milestones
    assert not [w for w in loaded.warnings if w.severity == "error"]


def test_seed_003_reads_as_the_document_says() -> None:
    loaded = load_campaign(CAMPAIGNS / "ubnd_2023_75_nam_thi_dua_ai_quoc.py")
    c = loaded.spec
    assert (c.period.start.isoformat(), c.period.end.isoformat()) == ("2023-01-01", "2023-06-30")
    window = c.milestone("ho-so-bang-khen").when.resolve()
    assert (window.start.isoformat(), window.end.isoformat()) == ("2023-07-03", "2023-07-04")
    assert c.milestone("bao-cao-ket-qua").when.resolve().end.isoformat() == "2023-07-10"
    quota = c.awards[0].quota
    assert quota.per_unit == 1 and quota.overrides == {"HUYEN-TP": 2, "SGDDT": 2, "SYT": 2}
    assert NomineeKind.HOUSEHOLD in c.awards[0].nominees
    assert len(c.awards[0].dossier) == 3


def test_child_campaign_resolves_truoc_ngay_to_the_day_before() -> None:
    loaded = load_campaign(CAMPAIGNS / "sngv_579_kh_2026_100_ngay_dem.py")
    nomination = loaded.spec.milestones[1]
    assert nomination.kind is MilestoneKind.NOMINATION
    assert nomination.when.resolve().end.isoformat() == "2026-05-24"
    assert loaded.spec.awards[0].quota.max_ratio == pytest.approx(0.30)
    assert loaded.spec.parent == "641/KH-UBND"
    # The parent sits next to it, so no "parent not found" warning.
    assert not [w for w in loaded.warnings if w.path == "parent"]


def test_all_mistakes_of_a_file_are_reported_at_once_with_lines(write_campaign) -> None:
    path = write_campaign(
        """
        Milestone(kind="báo cáo", when="quý V/2027", remiders=[3]),
        Milestone(kind="sơ kết", when="31/02/2026"),
        Milestone(kind="hội nghị", when="ngày 10/5/2026"),
        """
    )
    found = problems_of(path)
    text = "\n".join(found)
    assert "“quý V/2027”" in text
    assert "“31/02/2026”" in text
    assert "remiders" in text and "reminders" in text  # the typo and the suggestion
    assert "“hội nghị”" in text and "sơ kết" in text  # invalid kind lists the allowed ones
    assert len(found) == 4
    # Every problem points at the line of the declaration that holds it.
    assert all(f"{path}:" in line for line in found)
    lines = path.read_text(encoding="utf-8").splitlines()
    quy_v_line = next(i for i, s in enumerate(lines, 1) if "quý V/2027" in s)
    assert any(line.startswith(f"{path}:{quy_v_line}: milestones[report].when") for line in found)


def test_syntax_error_names_the_line(write_campaign) -> None:
    path = write_campaign(text="from thidua import Campaign\ncampaign = Campaign(code='1/KH',\n")
    [problem] = problems_of(path)
    assert "lỗi cú pháp" in problem and f"{path}:" in problem


def test_exception_in_the_file_is_reported_not_raised(write_campaign) -> None:
    path = write_campaign(text="from thidua import Campaign\nx = 1\ncampaign = undefined_name\n")
    [problem] = problems_of(path)
    assert f"{path}:3" in problem and "NameError" in problem


def test_file_without_campaign_variable(write_campaign) -> None:
    path = write_campaign(text="x = 1\n")
    [problem] = problems_of(path)
    assert "campaign = Campaign(...)" in problem


def test_campaign_of_the_wrong_type(write_campaign) -> None:
    path = write_campaign(text="campaign = {'code': '1/KH'}\n")
    [problem] = problems_of(path)
    assert "Campaign(...)" in problem and "dict" in problem


def test_positional_arguments_are_refused(write_campaign) -> None:
    path = write_campaign('Milestone("báo cáo", when="ngày 10/5/2026"),')
    assert any("tham số có tên" in p for p in problems_of(path))


def test_missing_file_and_non_utf8_and_wrong_suffix(tmp_path: Path) -> None:
    assert "không tìm thấy" in problems_of(tmp_path / "nope.py")[0]
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"campaign = 'S\xf4 Ngo\xe0i v\xf9'")  # Windows-1258 bytes
    assert "UTF-8" in problems_of(latin)[0]
    yaml_file = tmp_path / "c.yaml"
    yaml_file.write_text("x: 1", encoding="utf-8")
    assert ".py" in problems_of(yaml_file)[0]


def test_missing_required_fields_are_named(write_campaign) -> None:
    path = write_campaign(text="from thidua import Campaign\ncampaign = Campaign(code='1/KH')\n")
    text = "\n".join(problems_of(path))
    for name in ("title", "issuer", "issued", "period", "organizer", "participants", "milestones"):
        assert f"{name}: thiếu trường bắt buộc" in text


def test_document_number_format(write_campaign) -> None:
    text = BASE = write_campaign("").read_text(encoding="utf-8")
    path = write_campaign(text=BASE.replace('code="12/KH-TEST"', 'code="KHTEST"'))
    assert any("641/KH-UBND" in p for p in problems_of(path)), text


def test_registry_problems_are_reported_with_the_campaign(write_campaign, campaign_dir) -> None:
    (campaign_dir / "units.yaml").write_text("units: [{code: A}]\n", encoding="utf-8")
    path = write_campaign('Milestone(kind="báo cáo", when="ngày 10/5/2026"),')
    assert any("units.yaml" in p for p in problems_of(path))


def test_vietnamese_words_are_accepted_for_every_fixed_value(write_campaign) -> None:
    """What a signed plan says (“cơ quan cấp trên”, “không nhận”) needs no English."""
    path = write_campaign(
        """
        Milestone(
            kind="nộp báo cáo", id="bao-cao", when="chậm nhất ngày 15/6/2026",
            audience="đơn vị tham gia", late="không nhận", submit="báo cáo",
            escalation=Escalation(after="2 ngày", to="cơ quan cấp trên"),
        ),
        Milestone(kind="tổng kết", when="ngày 25/6/2026", audience="cơ quan tổ chức"),
        """,
        extra="""
        kind="chuyên đề",
        deadline_rule="như văn bản",
        awards=[Award(name="Giấy khen", nominees=["tập thể"], quota=Quota(max_ratio="50%", ratio_of="số đơn vị"))],
        targets=[Target(code="sang-kien", description="Sáng kiến", numerator="số sáng kiến", goal=1, per="mỗi năm")],
        """,
    )
    spec = load_campaign(path).spec
    report = spec.milestone("bao-cao")
    assert (report.audience, report.late, report.escalation.to) == (
        "participants",
        "refuse",
        "supervisor",
    )
    assert spec.milestone("summary").audience == "organizer"
    assert spec.awards[0].quota.ratio_of == "units" and spec.targets[0].per == "year"


def test_a_wrong_fixed_value_lists_the_vietnamese_words(write_campaign) -> None:
    path = write_campaign('Milestone(kind="báo cáo", when="ngày 10/5/2026", late="có"),')
    [problem] = problems_of(path)
    assert (
        "milestones[report].late: giá trị không hợp lệ; dùng một trong: “vẫn nhận” (accept)"
        in problem
    )
    assert "“không nhận” (refuse)" in problem
