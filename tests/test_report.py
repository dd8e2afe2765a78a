"""Sơ kết / tổng kết reports: the facts gathered from a real store, and the Markdown."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine

from thidua.campaign.loading import LoadedCampaign, load_campaign
from thidua.campaign.plan import compile_plan
from thidua.config import Settings, set_settings
from thidua.documents.facts import gather_facts
from thidua.documents.layout import number, percent, to_markdown
from thidua.documents.period import Period, ReportKind, default_period, parse_period
from thidua.documents.report import build_report
from thidua.errors import InputError
from thidua.store import submission_rows
from thidua.store.db import get_engine, session_scope
from thidua.store.models import Delivery

from .conftest import CAMPAIGNS
from .report_seed import C2023, CODE_2023, TODAY, at, deliver, facts_2023, seed_2023

VD01 = CAMPAIGNS / "vd_2026_2030_doi_moi_sang_tao.py"
CODE_VD = "VD-01/KH-UBND"
BANG_KHEN = "Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh"


@pytest.fixture
def loaded_2023() -> LoadedCampaign:
    return load_campaign(C2023)


def test_facts_of_the_2023_campaign(fresh_db: Engine, loaded_2023: LoadedCampaign) -> None:
    seed_2023(fresh_db, loaded_2023)
    facts = facts_2023(fresh_db, loaded_2023)

    assert len(facts.units) == 32
    assert facts.units[1].code == "SNV" and facts.units[1].name == "Sở Nội vụ"
    assert dict(facts.units_by_kind) == {
        "Sở, ban, ngành cấp tỉnh": 20,
        "Đơn vị sự nghiệp": 2,
        "UBND huyện, thành phố": 10,
    }
    # The launch asks nothing of units; the two other milestones each expect the 32 units.
    dossier, report = facts.occurrences
    assert (dossier.milestone, dossier.due, dossier.expected) == (
        "ho-so-bang-khen",
        date(2023, 7, 4),
        32,
    )
    # SYT, SGDDT, HUYEN-HOA-AN, SNV nominated (STC withdrew, which is not handing in).
    assert (dossier.on_time, dossier.late, dossier.early, dossier.missing, dossier.pending) == (
        4,
        0,
        0,
        28,
        0,
    )
    assert (report.on_time, report.late, report.missing) == (3, 1, 28)
    assert report.late_units == ["SYT"]
    assert report.on_time_rate == pytest.approx(3 / 32)
    assert "STC" in report.missing_units and "SNV" not in report.missing_units

    syt = next(u for u in facts.unit_submissions if u.unit.code == "SYT")
    assert (syt.expected, syt.on_time, syt.late, syt.missing, syt.nominations) == (2, 1, 1, 0, 2)
    stc = next(u for u in facts.unit_submissions if u.unit.code == "STC")
    assert (stc.on_time, stc.missing, stc.nominations) == (0, 2, 0)

    n = facts.nominations
    assert n.total == 5 and n.withdrawn == 1 and n.awaiting == 1
    assert dict(n.by_status) == {"accepted": 2, "awarded": 1, "submitted": 1, "returned": 1}
    bang_khen, giay_khen = n.by_award
    assert bang_khen.award == BANG_KHEN
    assert dict(bang_khen.by_kind) == {"ca_nhan": 1, "tap_the": 3, "ho_gia_dinh": 1}
    assert giay_khen.total == 0
    assert [(u.unit.code, u.total) for u in n.by_unit] == [
        ("SNV", 1),
        ("SGDDT", 1),
        ("SYT", 2),
        ("HUYEN-HOA-AN", 1),
    ]
    assert [(p.nominee_name, p.nominee_kind, p.unit) for p in n.proposals] == [
        ("Nguyễn Văn An", "cá nhân", "Sở Y tế"),
        ("Hộ ông Nông Văn Bình", "hộ gia đình", "Sở Giáo dục và Đào tạo"),
    ]

    counts = {d.kind: (d.sent, d.failed_permanent, d.failed_transient) for d in facts.deliveries}
    assert counts == {"launch": (3, 0, 0), "reminder": (1, 1, 0), "overdue": (0, 0, 1)}
    assert (facts.sent, facts.failed) == (4, 2)
    assert dict(facts.actions.by_status) == {"done": 2, "failed": 1}
    assert facts.actions.failed == [
        ("Quá hạn “Báo cáo kết quả đợt thi đua (theo đề cương)”", "máy chủ thư không trả lời")
    ]
    assert facts.targets == []


def test_markdown_of_the_2023_tong_ket(fresh_db: Engine, loaded_2023: LoadedCampaign) -> None:
    seed_2023(fresh_db, loaded_2023)
    md = to_markdown(build_report(facts_2023(fresh_db, loaded_2023)))

    assert md.startswith("SỞ NỘI VỤ  \n**BAN THI ĐUA - KHEN THƯỞNG TỈNH**  \nSố: …/BC-BTDKT\n")
    assert "**CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM**" in md
    assert "**Độc lập - Tự do - Hạnh phúc**" in md
    assert "*Cao Bằng, ngày … tháng 11 năm 2026*" in md
    assert (
        "# BÁO CÁO\n\n**Tổng kết phong trào thi đua lập thành tích chào mừng Kỷ niệm 75 năm" in md
    )
    assert "Kính gửi: Ủy ban nhân dân tỉnh Cao Bằng." in md
    assert "Ban Thi đua - Khen thưởng tỉnh báo cáo tổng kết đợt thi đua như sau:" in md
    headings = [line for line in md.splitlines() if line.startswith("## ")]
    assert headings == [
        "## I. KẾT QUẢ THỰC HIỆN ĐỢT THI ĐUA",
        "## II. ĐÁNH GIÁ CHUNG",
        "## III. BÀI HỌC KINH NGHIỆM",
        "## IV. ĐỀ XUẤT, KIẾN NGHỊ",
        "## DANH SÁCH KÈM THEO",
    ]
    subheadings = [line[4:7] for line in md.splitlines() if line.startswith("### ")]
    assert subheadings == ["1. ", "2. ", "3. ", "4. ", "5. ", "1. ", "2. ", "3. "]
    assert "### 2. Hạn chế" in md and "### 3. Nguyên nhân của hạn chế" in md
    # Facts, as sentences and tables.
    assert (
        "Tham gia đợt thi đua có 32 cơ quan, đơn vị, địa phương, gồm: 20 sở, ban, ngành cấp "
        "tỉnh; 2 đơn vị sự nghiệp; 10 UBND huyện, thành phố." in md
    )
    assert "thời gian thực hiện 6 tháng đầu năm 2023." in md
    assert (
        "Trong kỳ, đã gửi 4 lượt thông báo, nhắc hạn, đôn đốc đến các cơ quan, đơn vị; "
        "2 lượt không gửi được (1 lượt bị nơi nhận từ chối, 1 lượt do lỗi đường truyền)." in md
    )
    assert "| Loại thông báo | Đã gửi | Bị từ chối | Lỗi đường truyền |" in md
    assert "| Nhắc hạn | 1 | 1 | 0 |" in md and "| Tổng cộng | 4 | 1 | 1 |" in md
    # Each status is named; the failed action is listed in the annex, not in the text.
    assert (
        "Trong kỳ có 3 hoạt động theo lịch của Kế hoạch: 2 hoạt động đã thực hiện; "
        "1 hoạt động không thực hiện được (chi tiết tại Biểu số 1 kèm theo)." in md
    )
    assert (
        "Đối với 2 mốc nộp đã đến hạn (64 lượt đơn vị phải nộp), có 7 lượt nộp đúng hạn "
        "(tỉ lệ 10,9%), 1 lượt nộp muộn, 0 lượt nộp trước thời gian tiếp nhận, "
        "56 lượt chưa nộp."
    ) in md
    assert (
        "| Báo cáo kết quả đợt thi đua (theo đề cương) | 10/07/2023 | 32 | 3 | 1 | 28 | 9,4% |"
        in md
    )
    # Units that did not hand in: one sentence pointing at the annex, not a run-on list.
    assert (
        "Danh sách 28 cơ quan, đơn vị chưa nộp và 1 cơ quan, đơn vị nộp muộn tại Biểu số 2 "
        "kèm theo Báo cáo này." in md
    )
    body, _, annex = md.partition("## DANH SÁCH KÈM THEO")
    assert "Sở Tư pháp" not in body.split("#### b)")[0]
    assert (
        "*(Kèm theo Báo cáo số …/BC-BTDKT ngày … tháng 11 năm 2026 của Ban Thi đua - Khen "
        "thưởng tỉnh)*" in annex
    )
    assert "**Biểu số 1. Hoạt động không thực hiện được**\n\n| STT | Hoạt động | Lý do |" in annex
    assert (
        "| 1 | Quá hạn “Báo cáo kết quả đợt thi đua (theo đề cương)” | máy chủ thư không trả lời |"
        in annex
    )
    assert "| STT | Cơ quan, đơn vị | Chưa nộp | Nộp muộn |" in annex
    assert "| 14 | Sở Y tế | - | Báo cáo kết quả đợt thi đua (theo đề cương) |" in annex
    assert (
        "| 2 | Sở Tư pháp | Nộp hồ sơ đề nghị Bằng khen (trực tuyến mức độ 4); Báo cáo kết quả "
        "đợt thi đua (theo đề cương) | - |" in annex
    )
    assert "Sở Nội vụ" not in annex  # handed everything in on time
    assert "| 16 | Sở Y tế | 2 | 1 | 1 | 0 | 2 |" in md
    assert (
        "đã nhận 5 hồ sơ đề nghị khen thưởng của 4 cơ quan, đơn vị (3 tập thể; 1 cá nhân; "
        "1 hộ gia đình); 1 hồ sơ đã được đơn vị rút." in md
    )
    assert f"| {BANG_KHEN} | 3 | 1 | 1 | 5 |" in md
    # Nomination statuses named as on the board and in `thidua nominations`.
    assert (
        "Tình trạng hồ sơ: 1 hồ sơ đã nộp; 1 hồ sơ trả lại; 2 hồ sơ đã duyệt; "
        "1 hồ sơ được khen thưởng." in md
    )
    assert "| Cơ quan, đơn vị | Đã nộp | Trả lại | Đã duyệt | Được khen thưởng | Tổng số |" in md
    assert (
        "Theo số liệu tổng hợp, có 1 lượt nộp muộn, 56 lượt chưa nộp kế hoạch, báo cáo, "
        "hồ sơ; 2 lượt thông báo không gửi được đến đơn vị." in md
    )
    # Proposals: the accepted nominations.
    assert f"tặng {BANG_KHEN} cho 1 cá nhân; 1 hộ gia đình có thành tích tiêu biểu" in md
    assert (
        f"| 1 | Nguyễn Văn An | Cá nhân | Bác sĩ, Bệnh viện Đa khoa tỉnh | Sở Y tế | {BANG_KHEN} |"
    ) in md
    assert "Còn 1 hồ sơ đề nghị khen thưởng đang chờ thẩm định." in md
    # What only a person can write is marked, in every part of the đề cương that needs it.
    placeholders = [
        line for line in md.splitlines() if "[Phần này do cơ quan tổng hợp viết:" in line
    ]
    assert len(placeholders) == 10
    assert "*[Phần này do cơ quan tổng hợp viết: những ưu điểm nổi bật]*" in md
    assert "*[Phần này do cơ quan tổng hợp viết: bài học kinh nghiệm rút ra]*" in md
    assert body.rstrip().endswith(
        "**TRƯỞNG BAN**  \n\n*(Ký, ghi rõ họ tên, đóng dấu)*\n\n**[Họ và tên]**\n\n---"
    )
    assert "**_Nơi nhận:_**  \n- Như trên;\n- Lưu: VT, BTDKT." in md


def test_issued_by_the_plan_issuer_is_signed_by_its_signer(
    fresh_db: Engine, loaded_2023: LoadedCampaign
) -> None:
    report = build_report(facts_2023(fresh_db, loaded_2023), issued_by="ban-hanh")
    assert report.letterhead.parent is None  # UBND tỉnh has no cơ quan chủ quản line
    assert report.letterhead.body == "ỦY BAN NHÂN DÂN TỈNH CAO BẰNG"
    assert report.letterhead.number.endswith("/BC-UBND")
    assert report.signature.authority == ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
    assert report.signature.name == "Hoàng Xuân Ánh"
    assert report.recipient is None
    assert report.distribution[-1] == "Lưu: VT, BTDKT."


def test_an_empty_store_gives_zeros_not_errors(
    fresh_db: Engine, loaded_2023: LoadedCampaign
) -> None:
    facts = facts_2023(fresh_db, loaded_2023)
    assert [o.missing for o in facts.occurrences] == [32, 32]
    assert facts.nominations.total == 0 and facts.deliveries == [] and facts.actions.total == 0
    md = to_markdown(build_report(facts))
    assert "Chưa nhận được hồ sơ đề nghị khen thưởng nào." in md
    assert "Trong kỳ, chưa có thông báo nào được gửi." in md
    assert "Chưa có hồ sơ đề nghị khen thưởng nào được thẩm định đủ điều kiện." in md


# --- VD-01: targets and a sơ kết for one quarter ------------------------------------


def seed_vd(engine: Engine) -> None:
    figures = [
        ("SNV", "2026-Q4", {"sang-kien": {"value": 10, "base": 50}}),
        ("SNV", "2027-Q2", {"sang-kien": {"value": 30, "base": 60}}),
        (
            "SNV",
            "2027-Q4",
            {
                "sang-kien": {"value": 60, "base": 60},
                "dvc-truc-tuyen": {"value": 900, "base": 1000},
            },
        ),
        (
            "STC",
            "2027-Q4",
            {
                "sang-kien": {"value": 40, "base": 50},
                "dvc-truc-tuyen": {"value": 700, "base": 1000},
            },
        ),
        # After the period: must not count in the sơ kết quý IV/2027.
        ("STC", "2028-Q1", {"sang-kien": {"value": 50, "base": 50}}),
    ]
    with session_scope(engine) as s:
        for unit, occ, fig in figures:
            year, quarter = int(occ[:4]), int(occ[-1])
            submission_rows.record_submission(
                s,
                campaign_code=CODE_VD,
                milestone="so-lieu-quy",
                occurrence=occ,
                unit_code=unit,
                submitted_at=at(year, 3 * quarter, 10),
                figures=fig,
                requirement="target_figures",
            )
        submission_rows.record_submission(
            s,
            campaign_code=CODE_VD,
            milestone="bao-cao-nam",
            occurrence="2027",
            unit_code="SNV",
            submitted_at=at(2027, 12, 16),
            timing="late",
        )
        deliver(s, CODE_VD, "so-lieu-quy/2027-Q4/reminder/3wd", "STC", "sent", "2027-Q4")
        deliver(s, CODE_VD, "so-lieu-quy/2028-Q1/reminder/3wd", "STC", "sent", "2028-Q1")
        s.exec(
            update(Delivery)
            .where(Delivery.occurrence == "2027-Q4")
            .values(created_at=at(2027, 12, 15))
        )
        s.exec(
            update(Delivery)
            .where(Delivery.occurrence == "2028-Q1")
            .values(created_at=at(2028, 3, 15))
        )


def test_sơ_kết_quý_iv_2027_with_target_attainment(fresh_db: Engine) -> None:
    seed_vd(fresh_db)
    loaded = load_campaign(VD01)
    period = parse_period("2027-Q4", loaded.spec)
    assert period == Period(date(2027, 12, 31), "quý IV/2027")
    with session_scope(fresh_db) as s:
        facts = gather_facts(
            s,
            spec=loaded.spec,
            registry=loaded.registry,
            kind=ReportKind.REVIEW,
            period=period,
            today=date(2028, 1, 15),
        )

    assert len(facts.units) == 75
    # 8 quarterly figure reports and 2 yearly reports were due by the end of 2027.
    assert [(o.milestone, o.occurrence) for o in facts.occurrences][-2:] == [
        ("bao-cao-nam", "2027"),
        ("so-lieu-quy", "2027-Q4"),
    ]
    assert len(facts.occurrences) == 10
    assert sum(o.expected for o in facts.occurrences) == 750
    assert sum(o.on_time for o in facts.occurrences) == 4
    assert sum(o.late for o in facts.occurrences) == 1
    assert sum(o.missing for o in facts.occurrences) == 745

    by = {(t.target.code, t.year): t for t in facts.targets}
    assert set(by) == {("sang-kien", "2026"), ("sang-kien", "2027"), ("dvc-truc-tuyen", "2027")}
    sk = by["sang-kien", "2027"]
    # Each unit's latest figure of the year: SNV 60/60 (Q4, not Q2), STC 40/50.
    assert [(f.unit.code, f.value, f.base, f.attained) for f in sk.figures] == [
        ("SNV", 60, 60, True),
        ("STC", 40, 50, False),
    ]
    assert (sk.total_value, sk.total_base) == (100, 110)
    assert sk.rate == pytest.approx(100 / 110) and sk.attained is False
    assert (sk.units_attained, sk.expected_units) == (1, 75)
    dvc = by["dvc-truc-tuyen", "2027"]
    assert dvc.rate == pytest.approx(0.8) and dvc.attained is True  # exactly the 80% goal
    assert by["sang-kien", "2026"].rate == pytest.approx(0.2)
    assert [(d.kind, d.sent) for d in facts.deliveries] == [("reminder", 1)]

    report = build_report(facts)
    md = to_markdown(report)
    assert report.subject.startswith("Sơ kết phong trào thi đua “Cán bộ, công chức, viên chức")
    assert report.subject.endswith("giai đoạn 2026 - 2030 (quý IV/2027)")
    assert report.file_stem == "vd-01-kh-ubnd-bao-cao-so-ket-quy-iv-2027"
    assert "báo cáo sơ kết phong trào thi đua (quý IV/2027) như sau:" in md
    assert "## I. KẾT QUẢ THỰC HIỆN PHONG TRÀO THI ĐUA" in md
    assert (
        "Chỉ tiêu “100% cán bộ, công chức, viên chức có ít nhất 01 sáng kiến/năm” năm 2027 "
        "(mục tiêu: 100%): 2/75 đơn vị báo cáo số liệu; tổng hợp 100/110, đạt tỉ lệ 90,9% "
        "(chưa đạt mục tiêu); 1/2 đơn vị đạt chỉ tiêu."
    ) in md
    assert "| Sở Tài chính | 40 | 50 | 80% | Chưa đạt |" in md
    assert "tổng hợp 1.600/2.000, đạt tỉ lệ 80% (đạt mục tiêu)" in md


def test_default_periods(loaded_2023: LoadedCampaign) -> None:
    vd = load_campaign(VD01)
    plan = compile_plan(vd.spec, vd.registry)
    review = default_period(vd.spec, plan, ReportKind.REVIEW, TODAY)
    assert review == Period(date(2028, 12, 31), "quý IV/2028")  # the plan's sơ kết milestone
    summary = default_period(vd.spec, plan, ReportKind.SUMMARY, TODAY)
    assert summary.whole and summary.end == date(2030, 12, 31) and summary.label == ""
    # The 2023 campaign has no sơ kết milestone: a sơ kết covers up to today, within the period.
    plan23 = compile_plan(loaded_2023.spec, loaded_2023.registry)
    mid = default_period(loaded_2023.spec, plan23, ReportKind.REVIEW, date(2023, 3, 15))
    assert mid == Period(date(2023, 3, 15), "đến ngày 15/03/2023")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027-Q5", "kỳ báo cáo “2027-Q5” không hợp lệ"),
        ("quý năm", "kỳ báo cáo “quý năm” không hợp lệ"),
        ("2025", "kỳ báo cáo “2025” kết thúc ngày 31/12/2025, trước khi đợt thi đua bắt đầu"),
    ],
)
def test_a_bad_period_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        parse_period(text, load_campaign(VD01).spec)
    assert (info.value.field, info.value.value) == ("period", text)


def test_numbers_are_written_the_vietnamese_way() -> None:
    assert (number(1600), number(12.5), number(3), number(0.25)) == ("1.600", "12,5", "3", "0,25")
    assert (percent(2 / 3), percent(1.0), percent(None)) == ("66,7%", "100%", "-")


# --- the command ----------------------------------------------------------------------


def run_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "THIDUA_DATA_DIR": str(data_dir), "THIDUA_CAMPAIGNS_DIR": str(CAMPAIGNS)}
    return subprocess.run(
        [sys.executable, "-m", "thidua", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=CAMPAIGNS.parent,
        check=False,
    )


def test_thidua_report_writes_both_files_under_the_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    set_settings(Settings(data_dir=data_dir))
    seed_2023(get_engine(), load_campaign(C2023))
    result = run_cli("report", CODE_2023, "--loai", "tong-ket", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    paths = [Path(p) for p in result.stdout.splitlines()]
    stem = data_dir / "reports" / "75nam-tdaq-kh-ubnd-bao-cao-tong-ket"
    assert paths == [stem.with_suffix(".md"), stem.with_suffix(".docx")]
    md = paths[0].read_text(encoding="utf-8")
    assert (
        "| Báo cáo kết quả đợt thi đua (theo đề cương) | 10/07/2023 | 32 | 3 | 1 | 28 | 9,4% |"
        in md
    )
    assert paths[1].stat().st_size > 10_000


def test_thidua_report_format_and_out(tmp_path: Path) -> None:
    out = tmp_path / "bao-cao"
    result = run_cli(
        "report",
        CODE_VD,
        "--loai",
        "so-ket",
        "--ky",
        "quý IV/2027",
        "--out",
        str(out),
        "--format",
        "md",
        data_dir=tmp_path / "data",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [str(out / "vd-01-kh-ubnd-bao-cao-so-ket-quy-iv-2027.md")]
    assert sorted(p.name for p in out.iterdir()) == ["vd-01-kh-ubnd-bao-cao-so-ket-quy-iv-2027.md"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["XX-99/KH", "--loai", "tong-ket"], "lỗi: không có đợt thi đua mã “XX-99/KH”"),
        ([CODE_VD, "--loai", "so-ket", "--ky", "2027-Q9"], "lỗi: kỳ báo cáo “2027-Q9”"),
        (
            [CODE_VD, "--loai", "so-ket", "--out", "{file}"],
            "là một tệp, không phải thư mục (--out)",
        ),
    ],
)
def test_thidua_report_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x", encoding="utf-8")
    args = [a.replace("{file}", str(a_file)) for a in args]
    result = run_cli("report", *args, data_dir=tmp_path / "data")
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "data" / "reports").exists()


def test_the_loai_option_is_required(tmp_path: Path) -> None:
    result = run_cli("report", CODE_VD, "--loai", "giua-ky", data_dir=tmp_path / "data")
    assert result.returncode == 2 and "lựa chọn không hợp lệ" in result.stderr


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        ("máy chủ thư không trả lời", "máy chủ thư không trả lời"),
        (
            "gửi không hết sau nhiều lần thử: Flow run encountered an exception. KeyError: 'x'",
            "gửi không hết sau nhiều lần thử",
        ),
        ("Flow run encountered an exception. ValueError: bad", "lỗi kỹ thuật"),
        (None, "-"),
    ],
)
def test_a_failed_action_is_explained_in_the_office_s_words(error: str | None, shown: str) -> None:
    from thidua.documents.report import _reason

    assert _reason(error).startswith(shown)


@pytest.mark.parametrize(
    ("key", "end", "label"),
    [
        ("2027-H1", date(2027, 6, 30), "6 tháng đầu năm 2027"),
        ("2027-h2", date(2027, 12, 31), "năm 2027"),
        ("2027-03", date(2027, 3, 31), "tháng 3/2027"),
        ("2027-Q4", date(2027, 12, 31), "quý IV/2027"),
    ],
)
def test_every_occurrence_key_names_a_report_period(key: str, end: date, label: str) -> None:
    """`--ky` takes the keys `thidua plan` shows for six-monthly and monthly milestones too."""
    spec = load_campaign(CAMPAIGNS / "vd_ct_2026_2030_thi_dua_yeu_nuoc.py").spec
    assert parse_period(key, spec) == Period(end, label)
