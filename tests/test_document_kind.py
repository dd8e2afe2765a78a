"""A plan's document kind, read from its number, and named by every notice and report."""

from __future__ import annotations

import pytest

from thidua.campaign.doctype import infer_document_kind, infer_issuer_kind, parse_document_kind
from thidua.campaign.loading import load_campaign
from thidua.campaign.plan import ActionKind

from .conftest import CAMPAIGNS
from .notice_corpus import notices

CHI_THI = CAMPAIGNS / "vd_ct_2026_2030_thi_dua_yeu_nuoc.py"


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("12/CT-UBND", "chi_thi"),
        ("641/KH-UBND", "ke_hoach"),
        ("25-KH/TU", "ke_hoach"),
        ("VD-25-KH/TU", "ke_hoach"),
        ("VD-01/KH-UBND", "ke_hoach"),
        ("1234/QĐ-UBND", "quyet_dinh"),
        ("05-CT/TU", "chi_thi"),
        ("07/HD-SNV", "huong_dan"),
        ("03-CTr/TU", "chuong_trinh"),
        ("88/TB-UBND", "thong_bao"),
        ("15-NQ/TU", "nghi_quyet"),
        ("123/UBND-VP", "cong_van"),
        ("456-CV/TU", "cong_van"),
    ],
)
def test_kind_from_the_number(number: str, kind: str) -> None:
    assert infer_document_kind(number) == kind


def test_issuing_system_from_the_issuer_and_the_number() -> None:
    assert infer_issuer_kind("25-KH/TU", "Ban Thường vụ Tỉnh ủy Cao Bằng") == "dang"
    assert infer_issuer_kind("12/KH-X", "Đảng ủy các cơ quan Đảng tỉnh") == "dang"
    assert infer_issuer_kind("12/CT-UBND", "Chủ tịch Ủy ban nhân dân tỉnh Cao Bằng") == "nha_nuoc"
    assert infer_issuer_kind("05/KH-MTTQ", "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh") == "doan_the"


def test_written_kinds_are_accepted_in_vietnamese() -> None:
    assert parse_document_kind("Chỉ thị") == "chi_thi"
    assert parse_document_kind("chuong trinh") == "chuong_trinh"
    assert parse_document_kind("QĐ") == "quyet_dinh"
    with pytest.raises(ValueError, match="“Kế hoạch”, “Chỉ thị”"):
        parse_document_kind("tờ trình")


def test_the_file_overrides_the_number(write_campaign) -> None:
    path = write_campaign(extra='document_kind="Chương trình",')
    spec = load_campaign(path).spec
    assert spec.doc_label == "Chương trình" and spec.doc_reference == "Chương trình số 12/KH-TEST"


def test_every_notice_of_a_chi_thi_names_a_chi_thi() -> None:
    loaded = load_campaign(CHI_THI)
    assert loaded.spec.doc_label == "Chỉ thị"
    seen = 0
    for item in notices(loaded, every_recipient=False):
        text = item.message.text
        assert "Kế hoạch số" not in text and "theo Kế hoạch" not in text, item.where
        if item.action is None or item.action.kind is ActionKind.LAUNCH:
            continue
        if "Kính gửi" in text and "Thực hiện" in text:
            seen += 1
            assert (
                "Thực hiện Chỉ thị số VD-12/CT-UBND ngày 15/05/2026 của Chủ tịch Ủy ban "
                "nhân dân tỉnh Cao Bằng," in text
            ), item.where
    assert seen > 20
    launch = next(
        i
        for i in notices(loaded, every_recipient=False)
        if i.action and i.action.kind is ActionKind.LAUNCH
    )
    assert "đã ban hành Chỉ thị số VD-12/CT-UBND ngày 15/05/2026" in launch.message.text
    assert "(sau đây gọi là Chỉ thị)" in launch.message.text
    assert "triển khai thực hiện theo Chỉ thị." in launch.message.text
