"""The DOCX report: opened with python-docx, checked against Nghị định 30/2020/NĐ-CP's layout."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from sqlalchemy.engine import Engine

from thidua.campaign.loading import load_campaign
from thidua.documents.docx import keep_dates_together, write_docx
from thidua.documents.report import build_report

from .report_seed import C2023, facts_2023, seed_2023


def texts(cell) -> list[str]:
    return [p.text for p in cell.paragraphs if p.text]


def close(length: int, mm: float) -> bool:
    """Word stores lengths in twentieths of a point: allow that rounding."""
    return abs(length - Mm(mm)) < Mm(0.1)


@pytest.fixture
def document(fresh_db: Engine, tmp_path: Path):
    loaded = load_campaign(C2023)
    seed_2023(fresh_db, loaded)
    path = write_docx(build_report(facts_2023(fresh_db, loaded)), tmp_path / "bao-cao.docx")
    return Document(str(path))


def test_page_and_font(document) -> None:
    section = document.sections[0]
    assert close(section.page_width, 210) and close(section.page_height, 297)
    assert close(section.top_margin, 20) and close(section.bottom_margin, 20)
    assert close(section.left_margin, 30) and close(section.right_margin, 15)
    normal = document.styles["Normal"].font
    assert normal.name == "Times New Roman" and normal.size == Pt(14)
    # Page numbers from page 2 only.
    assert section.different_first_page_header_footer
    assert "PAGE" in section.header._element.xml


def test_letterhead(document) -> None:
    header = document.tables[0]
    left, right = header.cell(0, 0), header.cell(0, 1)
    assert texts(left) == ["SỞ NỘI VỤ", "BAN THI ĐUA - KHEN THƯỞNG TỈNH"]
    body = left.paragraphs[1].runs[0]
    assert body.bold and not left.paragraphs[0].runs[0].bold
    assert texts(right) == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert all(p.runs[0].bold for p in right.paragraphs if p.text)
    # The line under the tiêu ngữ is a bottom border of the paragraph that follows it.
    assert "w:bottom" in right.paragraphs[2]._p.xml
    number, place = header.cell(1, 0), header.cell(1, 1)
    assert texts(number)[0].startswith("Số:") and texts(number)[0].endswith("/BC-BTDKT")
    assert texts(place) == ["Cao Bằng, ngày … tháng 11 năm 2026"]
    assert place.paragraphs[0].runs[0].italic
    assert 'w:val="nil"' in header._tbl.xml  # no borders


def test_title_and_body(document) -> None:
    paragraphs = [p for p in document.paragraphs if p.text]
    assert paragraphs[0].text == "BÁO CÁO" and paragraphs[0].runs[0].bold
    assert paragraphs[1].text.startswith("Tổng kết phong trào thi đua lập thành tích chào mừng")
    assert paragraphs[2].text == "Kính gửi: Ủy ban nhân dân tỉnh Cao Bằng."
    headings = [p.text for p in document.paragraphs if p.text[:3] in ("I. ", "II.", "III", "IV.")]
    assert headings == [
        "I. KẾT QUẢ THỰC HIỆN ĐỢT THI ĐUA",
        "II. ĐÁNH GIÁ CHUNG",
        "III. BÀI HỌC KINH NGHIỆM",
        "IV. ĐỀ XUẤT, KIẾN NGHỊ",
    ]
    assert all(p.runs[0].bold for p in document.paragraphs if p.text in headings)
    placeholders = [p for p in document.paragraphs if p.text.startswith("[Phần này do")]
    assert len(placeholders) == 10
    assert all(p.runs[0].italic for p in placeholders)
    closing = next(p for p in paragraphs if p.text.startswith("Trên đây là báo cáo"))
    assert closing.text.startswith("Trên đây là báo cáo tổng kết đợt thi đua")
    assert closing.text.endswith("của Ban Thi đua - Khen thưởng tỉnh./.")


def find_table(document, first_header: str):
    return next(t for t in document.tables if t.cell(0, 0).text == first_header)


def test_tables_carry_the_facts(document) -> None:
    occurrences = find_table(document, "Nội dung")
    rows = [[c.text for c in row.cells] for row in occurrences.rows]
    assert rows[0] == [
        "Nội dung",
        "Hạn nộp",
        "Phải nộp",
        "Đúng hạn",
        "Muộn",
        "Chưa nộp",
        "Tỉ lệ đúng hạn",
    ]
    assert rows[2] == [
        "Báo cáo kết quả đợt thi đua (theo đề cương)",
        "10/07/2023",
        "32",
        "3",
        "1",
        "28",
        "9,4%",
    ]
    assert occurrences.rows[0].cells[0].paragraphs[0].runs[0].bold
    units = find_table(document, "STT")
    syt = next(row for row in units.rows if row.cells[1].text == "Sở Y tế")
    assert [c.text for c in syt.cells] == ["16", "Sở Y tế", "2", "1", "1", "0", "2"]
    notices = find_table(document, "Loại thông báo")
    assert [c.text for c in notices.rows[-1].cells] == ["Tổng cộng", "4", "1", "1"]
    awards = find_table(document, "Hình thức khen thưởng")
    assert [c.text for c in awards.rows[1].cells] == [
        "Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh",
        "3",
        "1",
        "1",
        "5",
    ]


def footer_of(document):
    return next(t for t in document.tables if t.cell(0, 0).text.startswith("Nơi nhận:"))


def test_distribution_and_signature(document) -> None:
    footer = footer_of(document)
    left, right = footer.cell(0, 0), footer.cell(0, 1)
    assert texts(left) == ["Nơi nhận:", "- Như trên;", "- Lưu: VT, BTDKT."]
    heading = left.paragraphs[0].runs[0]
    assert heading.bold and heading.italic
    assert all(p.runs[0].font.size == Pt(11) for p in left.paragraphs[1:])
    assert texts(right) == ["TRƯỞNG BAN", "[Họ và tên]"]
    assert right.paragraphs[0].runs[0].bold and right.paragraphs[-1].runs[0].bold
    # Room for the signature between the title and the name.
    assert len(right.paragraphs) - len(texts(right)) >= 3


def test_signed_by_the_plan_issuer(fresh_db: Engine, tmp_path: Path) -> None:
    loaded = load_campaign(C2023)
    report = build_report(facts_2023(fresh_db, loaded), issued_by="ban-hanh")
    document = Document(str(write_docx(report, tmp_path / "x.docx")))
    assert texts(document.tables[0].cell(0, 0)) == ["ỦY BAN NHÂN DÂN TỈNH CAO BẰNG"]
    assert texts(footer_of(document).cell(0, 1)) == [
        "TM. ỦY BAN NHÂN DÂN",
        "CHỦ TỊCH",
        "Hoàng Xuân Ánh",
    ]


def test_dates_never_wrap_in_table_cells(document) -> None:
    occurrences = find_table(document, "Nội dung")
    due = [row.cells[1] for row in occurrences.rows[1:]]
    assert [c.text for c in due] == ["04/07/2023", "10/07/2023"]
    for cell in due:
        assert cell._tc.tcPr.find(qn("w:noWrap")) is not None
        assert cell.width >= Mm(24.9)  # “10/07/2023” in 12 pt with the cell margins


def test_date_phrases_keep_their_words_together() -> None:
    nbsp = "\u00a0"
    assert keep_dates_together("Báo cáo số liệu quý IV/2027") == f"Báo cáo số liệu quý{nbsp}IV/2027"
    assert keep_dates_together("ngày … tháng 11 năm 2026") == nbsp.join(
        ["ngày", "…", "tháng", "11", "năm", "2026"]
    )
    assert keep_dates_together("Báo cáo năm 2027") == f"Báo cáo năm{nbsp}2027"
    assert keep_dates_together("Sở Y tế") == "Sở Y tế"


def test_lists_of_units_go_to_the_annex_on_its_own_page(document) -> None:
    paragraphs = [p for p in document.paragraphs if p.text]
    title = next(p for p in paragraphs if p.text == "DANH SÁCH KÈM THEO")
    assert title.paragraph_format.page_break_before and title.runs[0].bold
    body = document.element.body
    footer = footer_of(document)._tbl
    # The annex comes after the signature; its tables after its title.
    assert body.index(title._p) > body.index(footer)
    annex = [t for t in document.tables if body.index(t._tbl) > body.index(title._p)]
    assert [t.cell(0, 1).text for t in annex] == ["Hoạt động", "Cơ quan, đơn vị"]
    rows = [[c.text for c in r.cells] for r in annex[1].rows]
    assert rows[0] == ["STT", "Cơ quan, đơn vị", "Chưa nộp", "Nộp muộn"]
    assert ["14", "Sở Y tế", "-", "Báo cáo kết quả đợt thi đua (theo đề cương)"] in rows
    names = [p.text for p in paragraphs if p.text.startswith("Biểu số ")]
    assert names == [
        "Biểu số 1. Hoạt động không thực hiện được",
        "Biểu số 2. Cơ quan, đơn vị chưa nộp hoặc nộp muộn kế hoạch, báo cáo, hồ sơ",
    ]
