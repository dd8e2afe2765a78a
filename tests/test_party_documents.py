"""A Party plan's report in the Party's form (Hướng dẫn 36-HD/VPTW); State plans keep NĐ 30."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from docx import Document

from thidua.campaign.loading import load_campaign
from thidua.documents.docx import write_docx
from thidua.documents.facts import ReportKind
from thidua.documents.layout import to_markdown
from thidua.documents.report_files import make_report

from .conftest import CAMPAIGNS

PARTY = CAMPAIGNS / "vd_tu_2025_2030_sang_kien.py"
CHI_THI = CAMPAIGNS / "vd_ct_2026_2030_thi_dua_yeu_nuoc.py"
TODAY = date(2027, 12, 20)


def _docx(path: Path, issued_by: str, out: Path):
    loaded = load_campaign(path)
    report, _ = make_report(
        loaded.spec, loaded.registry, kind=ReportKind.REVIEW, today=TODAY, issued_by=issued_by
    )
    return report, Document(str(write_docx(report, out / f"{issued_by}.docx")))


def _texts(cell) -> list[str]:
    return [p.text for p in cell.paragraphs if p.text]


def _footer(doc) -> tuple[list[str], list[str]]:
    table = next(t for t in doc.tables if t.cell(0, 0).paragraphs[0].text == "Nơi nhận:")
    return _texts(table.cell(0, 0)), _texts(table.cell(0, 1))


def test_the_committee_reports_under_the_party_heading(tmp_path: Path) -> None:
    report, doc = _docx(PARTY, "ban-hanh", tmp_path)
    header = doc.tables[0]
    assert _texts(header.cell(0, 0)) == ["TỈNH ỦY CAO BẰNG", "*"]
    title = header.cell(0, 1).paragraphs[0]
    assert _texts(header.cell(0, 1)) == ["ĐẢNG CỘNG SẢN VIỆT NAM"]
    assert title.runs[0].bold and title.runs[0].underline
    number = _texts(header.cell(1, 0))[0]
    assert number.startswith("Số ") and number.endswith("-BC/TU") and ":" not in number
    assert _texts(header.cell(1, 1)) == ["Cao Bằng, ngày … tháng 12 năm 2027"]
    _, signature = _footer(doc)
    assert signature[:2] == ["T/M BAN THƯỜNG VỤ", "PHÓ BÍ THƯ THƯỜNG TRỰC"]
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" not in body + "".join(_texts(header.cell(0, 1)))
    assert "Thực hiện Kế hoạch số VD-25-KH/TU ngày 05 tháng 11 năm 2025" in body
    assert "\\*" in to_markdown(report)  # the star is not read as a Markdown list item


def test_the_partys_office_compiles_for_its_committee(tmp_path: Path) -> None:
    report, doc = _docx(PARTY, "to-chuc", tmp_path)
    header = doc.tables[0]
    assert _texts(header.cell(0, 0)) == ["TỈNH ỦY CAO BẰNG", "BAN TUYÊN GIÁO VÀ DÂN VẬN", "*"]
    assert _texts(header.cell(1, 0))[0].endswith("-BC/BTGDVTU")
    assert report.recipient == "Ban Thường vụ Tỉnh ủy Cao Bằng"


def test_a_chi_thi_of_the_chairman_keeps_the_state_form(tmp_path: Path) -> None:
    _, doc = _docx(CHI_THI, "ban-hanh", tmp_path)
    header = doc.tables[0]
    assert _texts(header.cell(0, 0)) == ["ỦY BAN NHÂN DÂN TỈNH CAO BẰNG"]
    assert _texts(header.cell(0, 1)) == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ]
    assert _texts(header.cell(1, 0))[0].startswith("Số:")
    assert _texts(header.cell(1, 1)) == ["Cao Bằng, ngày … tháng 12 năm 2027"]
    _, signature = _footer(doc)
    assert signature[0] == "CHỦ TỊCH" and signature[-1] == "Lê Hải Hòa"
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "Thực hiện Chỉ thị số VD-12/CT-UBND ngày 15 tháng 5 năm 2026" in body


def test_the_file_can_say_which_system_issued_it(write_campaign) -> None:
    from thidua.documents.issuer import issuer

    party = load_campaign(write_campaign(extra='issuer_kind="Đảng", document_kind="Chương trình",'))
    assert party.spec.is_party and party.spec.doc_reference == "Chương trình số 12/KH-TEST"
    who = issuer(party.spec, party.registry, "ban-hanh", TODAY)
    assert who.letterhead.party and who.letterhead.heading == ("ĐẢNG CỘNG SẢN VIỆT NAM",)
    state = load_campaign(write_campaign(extra='issuer_kind="nhà nước",', name="state.py"))
    assert not issuer(state.spec, state.registry, "ban-hanh", TODAY).letterhead.party
