"""The XLSX annex of a Tờ trình ("Danh sách đề nghị khen thưởng"), opened back with openpyxl."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from thidua.documents.nomination_annex import COLUMNS, write_xlsx
from thidua.errors import ThiduaError
from thidua.ledger.review import move
from thidua.ledger.statuses import NominationStatus
from thidua.store import nomination_rows
from thidua.store.db import session_scope

from .nomination_helpers import (
    BANG_KHEN,
    CODE_2023,
    dossier,
    nominate_in,
    request,
    seed_2023,
)

GIAY_KHEN = "Giấy khen của Thủ trưởng các cơ quan, đơn vị, địa phương"
HEADERS = [
    "STT",
    "Họ và tên / Tên tập thể",
    "Chức vụ",
    "Đơn vị công tác / Địa chỉ",
    "Tóm tắt thành tích",
    "Hình thức khen thưởng",
    "Đơn vị đề nghị",
    "Ghi chú",
]


def _nominate_some(engine: Engine, folder: Path) -> None:
    """Handed in out of registry order, of every kind, for both awards."""
    seed = seed_2023()
    entries = [
        ("SYT", "cá nhân", "Lăng Thị Nga", "Điều dưỡng trưởng", "Bệnh viện Đa khoa tỉnh"),
        ("HUYEN-HOA-AN", "hộ gia đình", "Hộ ông Đinh Văn Quý", None, "Xóm Nà Lẹng, xã Hồng Việt"),
        ("SGDDT", "tập thể", "Trường THPT Chuyên Cao Bằng", None, "Thành phố Cao Bằng"),
        ("SGDDT", "cá nhân", "Nguyễn Văn An", "Trưởng phòng", "Sở Giáo dục và Đào tạo"),
    ]
    for i, (unit, kind, name, position, workplace) in enumerate(entries):
        req = request(
            unit=unit,
            kind=kind,
            name=name,
            position=position,
            workplace=workplace,
            achievement=f"Thành tích tiêu biểu số {i + 1}",
            documents=dossier(folder, str(i)),
        )
        nominate_in(engine, seed, req)
    giay_khen = request(
        unit="STP", award="Giấy khen", name="Lý Văn Bình", position="Chuyên viên",
        workplace="Sở Tư pháp", achievement="Hoàn thành tốt nhiệm vụ",
    )  # fmt: skip
    nominate_in(engine, seed, giay_khen)


def rows_of(ws) -> list[tuple]:
    return [tuple(c.value for c in row) for row in ws.iter_rows()]


def test_one_sheet_per_award_grouped_by_nominee_kind(fresh_db: Engine, tmp_path: Path) -> None:
    _nominate_some(fresh_db, tmp_path / "in")
    with session_scope(fresh_db) as session:
        move(session, nomination_id=1, to=NominationStatus.RETURNED, actor="BTDKT", reason="x")
        nominations = nomination_rows.nominations_for(session, campaign_code=CODE_2023)
    out = write_xlsx(
        tmp_path / "phu_luc" / "danh_sach.xlsx", loaded=seed_2023(), nominations=nominations
    )

    book = load_workbook(out)
    assert book.sheetnames == ["Bằng khen của Chủ tịch Ủy ban", "Giấy khen của Thủ trưởng các"]
    ws = book.worksheets[0]
    rows = rows_of(ws)
    assert rows[0][0] == "DANH SÁCH ĐỀ NGHỊ KHEN THƯỞNG"
    assert rows[1][0] == f"Hình thức: {BANG_KHEN}"
    assert CODE_2023 in rows[2][0] and "75 năm Ngày Chủ tịch Hồ Chí Minh" in rows[2][0]
    header = next(i for i, r in enumerate(rows) if r[0] == "STT")
    assert list(rows[header]) == HEADERS
    body = rows[header + 1 :]
    assert [r[:2] for r in body] == [
        ("I", "Tập thể"),
        (1, "Trường THPT Chuyên Cao Bằng"),
        ("II", "Cá nhân"),
        (1, "Nguyễn Văn An"),  # SGDDT comes before SYT in the registry
        (2, "Lăng Thị Nga"),
        ("III", "Hộ gia đình"),
        (1, "Hộ ông Đinh Văn Quý"),
    ]
    assert body[4] == (
        2,
        "Lăng Thị Nga",
        "Điều dưỡng trưởng",
        "Bệnh viện Đa khoa tỉnh",
        "Thành tích tiêu biểu số 1",
        BANG_KHEN,
        "Sở Y tế",
        "trả lại",
    )
    assert body[6][3:] == (
        "Xóm Nà Lẹng, xã Hồng Việt",
        "Thành tích tiêu biểu số 2",
        BANG_KHEN,
        "Ủy ban nhân dân huyện Hòa An",
        None,
    )
    # The group heading spans the row; the table is printable as an annex.
    assert f"B{header + 2}:H{header + 2}" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.print_title_rows == f"${header + 1}:${header + 1}"
    assert ws.page_setup.orientation == "landscape"

    second = rows_of(book.worksheets[1])
    assert second[1][0] == f"Hình thức: {GIAY_KHEN}"
    assert [r[:3] for r in second if r[0] in ("I", "II", "III", 1, 2)] == [
        ("I", "Cá nhân", None),
        (1, "Lý Văn Bình", "Chuyên viên"),
    ]


def test_the_layout_follows_the_administrative_standard(fresh_db: Engine, tmp_path: Path) -> None:
    _nominate_some(fresh_db, tmp_path / "in")
    with session_scope(fresh_db) as session:
        nominations = nomination_rows.nominations_for(session, campaign_code=CODE_2023)
    ws = load_workbook(
        write_xlsx(tmp_path / "a.xlsx", loaded=seed_2023(), nominations=nominations)
    ).worksheets[0]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert {(c.font.name, c.font.sz) for c in cells} == {("Times New Roman", 13)}
    header = next(c.row for c in cells if c.value == "STT")
    assert all(ws.cell(row=header, column=i + 1).font.b for i in range(len(HEADERS)))
    achievement = ws.cell(row=header + 2, column=5)
    assert achievement.value == "Thành tích tiêu biểu số 3" and achievement.alignment.wrap_text
    assert achievement.border.left.style == "thin"
    widths = [ws.column_dimensions[chr(ord("A") + i)].width for i in range(len(HEADERS))]
    assert widths == [w for _, w in COLUMNS] and widths[4] == max(widths)
    assert ws.freeze_panes == f"A{header + 1}"


def test_the_command_exports_live_nominations_only(
    fresh_db: Engine, tmp_path: Path, capsys
) -> None:
    from thidua.cli.main import main
    from thidua.config import get_settings, set_settings

    from .conftest import CAMPAIGNS

    url = fresh_db.url.render_as_string(hide_password=False)
    set_settings(get_settings().with_(database_url=url, campaigns_dir=CAMPAIGNS))
    _nominate_some(fresh_db, tmp_path / "in")
    with session_scope(fresh_db) as session:
        move(session, nomination_id=2, to=NominationStatus.WITHDRAWN, actor="HUYEN-HOA-AN")
    out = tmp_path / "ds.xlsx"
    assert main(["nominations", CODE_2023, "--xlsx", str(out)]) == 0
    assert f"Đã xuất 4 hồ sơ ra {out}" in capsys.readouterr().out
    names = [r[1] for ws in load_workbook(out) for r in rows_of(ws)]
    assert "Hộ ông Đinh Văn Quý" not in names and "Lăng Thị Nga" in names
    # Asked for by status, the withdrawn one is what is exported.
    assert main(["nominations", CODE_2023, "--trang-thai", "đã rút", "--xlsx", str(out)]) == 0
    names = [r[1] for ws in load_workbook(out) for r in rows_of(ws)]
    assert "Hộ ông Đinh Văn Quý" in names and "Lăng Thị Nga" not in names


def test_only_an_xlsx_file_is_written(tmp_path: Path) -> None:
    with pytest.raises(ThiduaError, match=r"phải có đuôi \.xlsx"):
        write_xlsx(tmp_path / "ds.csv", loaded=seed_2023(), nominations=[])
    assert not (tmp_path / "ds.csv").exists()


def test_the_annex_leaves_out_returned_dossiers_and_empty_sheets(
    fresh_db: Engine, tmp_path: Path, capsys
) -> None:
    from thidua.cli.main import main
    from thidua.config import get_settings, set_settings

    from .conftest import CAMPAIGNS

    url = fresh_db.url.render_as_string(hide_password=False)
    set_settings(get_settings().with_(database_url=url, campaigns_dir=CAMPAIGNS))
    _nominate_some(fresh_db, tmp_path / "in")
    with session_scope(fresh_db) as session:
        # Lăng Thị Nga (Bằng khen) goes back to her unit; Lý Văn Bình, the only Giấy khen, too.
        for number in (1, 5):
            move(
                session, nomination_id=number, to=NominationStatus.RETURNED, actor="BTDKT",
                reason="Thiếu biên bản họp Hội đồng",
            )  # fmt: skip
    out = tmp_path / "ds.xlsx"
    assert main(["nominations", CODE_2023, "--xlsx", str(out)]) == 0
    assert f"Đã xuất 3 hồ sơ ra {out}" in capsys.readouterr().out
    book = load_workbook(out)
    assert book.sheetnames == ["Bằng khen của Chủ tịch Ủy ban"]  # no empty Giấy khen sheet
    names = [r[1] for r in rows_of(book.worksheets[0])]
    assert "Lăng Thị Nga" not in names and "Nguyễn Văn An" in names

    assert main(["nominations", CODE_2023, "--xlsx", str(out), "--ca-ho-so-tra-lai"]) == 0
    assert f"Đã xuất 5 hồ sơ ra {out}" in capsys.readouterr().out
    book = load_workbook(out)
    assert len(book.sheetnames) == 2
    names = [r[1] for ws in book for r in rows_of(ws)]
    assert "Lăng Thị Nga" in names and "Lý Văn Bình" in names
    assert main(["nominations", CODE_2023, "--xlsx", str(out), "--include-returned"]) == 0


def test_nothing_to_export_writes_no_file(fresh_db: Engine, tmp_path: Path, capsys) -> None:
    from thidua.cli.main import main
    from thidua.config import get_settings, set_settings

    from .conftest import CAMPAIGNS

    url = fresh_db.url.render_as_string(hide_password=False)
    set_settings(get_settings().with_(database_url=url, campaigns_dir=CAMPAIGNS))
    out = tmp_path / "ds.xlsx"
    assert main(["nominations", CODE_2023, "--xlsx", str(out)]) != 0
    err = capsys.readouterr().err
    assert "không có hồ sơ đề nghị khen thưởng nào để xuất" in err and str(out) in err
    assert "Traceback" not in err and not out.exists()
