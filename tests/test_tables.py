"""`thidua.tables`: the one reader of CSV and XLSX lists, and every guard it holds.

Registries (`thidua.registry`) and submission imports (`thidua.ledger.imports`) both
read through it; a few tests check that a guard reaches both callers.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from thidua.errors import RegistryError, ThiduaError, ValidationFailed
from thidua.ledger import imports
from thidua.registry import load_registry
from thidua.tables import (
    MAX_XLSX_UNPACKED_BYTES,
    Row,
    TableError,
    decode_utf8,
    read_bytes,
    read_rows,
)

from .conftest import CAMPAIGNS

HEADER = "Mã đơn vị,Tên đơn vị,Loại"


def _score(cells: list[str]) -> int:
    """A header is a row naming the unit code column."""
    return sum(c.strip().lower() in ("mã đơn vị", "tên đơn vị", "loại") for c in cells)


def rows_of(path: Path, **kwargs: object) -> list[Row]:
    options = {"what": "danh sách", "max_bytes": 1024 * 1024, "max_columns": 20, "score": _score}
    return list(read_rows(path, **(options | kwargs)))  # type: ignore[arg-type]


def write_xlsx(path: Path, rows: list[list[object]], title: str = "Đơn vị") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


# --- encodings ------------------------------------------------------------------------


def test_utf8_with_and_without_the_bom_excel_writes_read_the_same(tmp_path: Path) -> None:
    text = f"{HEADER}\nSNV,Sở Nội vụ,so_nganh\n"
    plain = tmp_path / "plain.csv"
    plain.write_bytes(text.encode("utf-8"))
    bom = tmp_path / "bom.csv"
    bom.write_bytes(text.encode("utf-8-sig"))
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf")
    assert [r.cells for r in rows_of(bom)] == [r.cells for r in rows_of(plain)]
    assert rows_of(bom)[0].cells[0] == "Mã đơn vị"  # the BOM is not part of the first title


def test_a_windows_1258_file_is_refused_with_its_line_and_a_vietnamese_hint(tmp_path: Path) -> None:
    path = tmp_path / "cu.csv"
    # “Sở Nội vụ” as Windows-1258 writes it: base letters and combining tone marks
    path.write_bytes(f"{HEADER}\n".encode() + b"SNV,S\xf5\xde N\xf4\xf2i vu\xf2,so_nganh\n")
    with pytest.raises(TableError) as caught:
        rows_of(path)
    assert caught.value.where == f"{path}:2"
    assert caught.value.message.startswith(
        "tệp không phải bảng mã UTF-8 (byte lạ ở dòng 2; có thể là Windows-1258 hoặc TCVN3)"
    )
    assert "“CSV UTF-8 (Comma delimited)”" in caught.value.message


def test_utf16_and_nul_bytes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="bảng mã UTF-16, không phải UTF-8"):
        decode_utf8(HEADER.encode("utf-16"), "x.csv")
    with pytest.raises(TableError, match="ký tự NUL") as caught:
        decode_utf8(b"a,b\nc,d\n\x00\n", "x.csv")
    assert caught.value.where == "x.csv:3"


# --- sizes ----------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"a" * 2048)
    with pytest.raises(TableError) as caught:
        read_bytes(path, what="danh sách bản nộp", max_bytes=1024)
    assert caught.value.message == "tệp quá lớn (0.0 MB); danh sách bản nộp không được quá 0 MB"
    with pytest.raises(TableError, match="không tìm thấy tệp danh sách bản nộp"):
        read_bytes(tmp_path / "khong-co.csv", what="danh sách bản nộp", max_bytes=1024)


def _zip_bomb(path: Path) -> Path:
    """A small .xlsx whose members unpack to more than the limit (zeros compress ~1000:1)."""
    chunk = b"\0" * (1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(MAX_XLSX_UNPACKED_BYTES // len(chunk) + 1):
                member.write(chunk)
    return path


def test_an_xlsx_that_unpacks_too_large_is_refused_by_registries_and_imports(
    tmp_path: Path,
) -> None:
    bomb = _zip_bomb(tmp_path / "bom.xlsx")
    assert bomb.stat().st_size < 1024 * 1024
    with pytest.raises(TableError, match="tệp Excel giải nén ra quá lớn") as caught:
        rows_of(bomb)
    assert caught.value.where == str(bomb)
    with pytest.raises(RegistryError) as registry:
        load_registry(bomb)
    assert "giải nén ra quá lớn" in registry.value.render()
    assert "THIDUA_REGISTRY_MAX_UNITS = 50000" in registry.value.render()  # what moves the cap
    with pytest.raises(ThiduaError, match=r"bom\.xlsx: tệp Excel giải nén ra quá lớn"):
        imports.read_table(bomb)


def test_a_zip_that_is_not_a_workbook_and_a_text_renamed_xlsx(tmp_path: Path) -> None:
    other = tmp_path / "nen.xlsx"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("doc.txt", "xin chào")
    with pytest.raises(TableError, match="không phải bảng tính Excel"):
        rows_of(other)
    text = tmp_path / "van-ban.xlsx"
    text.write_text("không phải Excel", encoding="utf-8")
    with pytest.raises(TableError, match=r"không phải tệp Excel \.xlsx hợp lệ"):
        rows_of(text)


def test_only_csv_and_xlsx_are_read(tmp_path: Path) -> None:
    path = tmp_path / "danh_sach.ods"
    path.write_bytes(b"PK")
    with pytest.raises(TableError, match=r"chỉ nhận tệp \.csv hoặc \.xlsx"):
        rows_of(path)


# --- empty and header-only files -------------------------------------------------------


def test_an_empty_file_has_no_rows_and_each_caller_says_so(tmp_path: Path) -> None:
    path = tmp_path / "rong.csv"
    path.write_bytes(b"")
    assert rows_of(path) == []
    with pytest.raises(ThiduaError, match=r"tệp rong\.csv rỗng \(0 byte\)"):
        imports.read_table(path)
    with pytest.raises(RegistryError) as caught:
        load_registry(path)
    assert "danh sách đơn vị trống, không có dòng nào" in caught.value.render()


def test_a_header_only_file_has_one_row_and_an_import_of_it_names_the_missing_data(
    tmp_path: Path,
) -> None:
    from thidua.campaign.loading import load_campaign

    path = tmp_path / "chi-tieu-de.csv"
    path.write_text("Mã đơn vị,Mốc,Kỳ,Thời điểm nộp\n", encoding="utf-8")
    [header] = rows_of(path)
    assert header.number == 1 and header.cells[0] == "Mã đơn vị"
    assert imports.read_table(path) == (1, ["Mã đơn vị", "Mốc", "Kỳ", "Thời điểm nộp"], [])
    loaded = load_campaign(CAMPAIGNS / "vd_2026_2030_doi_moi_sang_tao.py")
    with pytest.raises(ValidationFailed) as caught:
        imports.check_rows(loaded, path)
    assert "dòng 2: tệp không có dòng dữ liệu nào" in caught.value.render()


# --- rows, lines, delimiters -----------------------------------------------------------


def test_csv_rows_carry_the_line_they_start_on_and_excel_delimiters_are_found(
    tmp_path: Path,
) -> None:
    path = tmp_path / "dv.csv"
    path.write_text(
        'DANH SÁCH ĐƠN VỊ\n\nMã đơn vị;Tên đơn vị;Loại\nSNV;"Sở\nNội vụ";so_nganh\nXA-1;Xã;xa\n',
        encoding="utf-8",
    )
    got = rows_of(path)
    assert [(r.number, r.cells) for r in got] == [
        (1, ["DANH SÁCH ĐƠN VỊ"]),
        (2, []),
        (3, ["Mã đơn vị", "Tên đơn vị", "Loại"]),
        (4, ["SNV", "Sở\nNội vụ", "so_nganh"]),
        (6, ["XA-1", "Xã", "xa"]),
    ]
    assert got[4].where == f"{path}:6"


def test_an_unclosed_quote_is_an_error_at_the_line_of_its_record(tmp_path: Path) -> None:
    path = tmp_path / "nhay.csv"
    path.write_text(f'{HEADER}\nSNV,"Sở Nội vụ,so_nganh\nXA-1,Xã,xa\n', encoding="utf-8")
    with pytest.raises(TableError, match="hết tệp mà dấu nháy kép chưa đóng") as caught:
        rows_of(path)
    assert caught.value.where == f"{path}:2"


def test_xlsx_rows_carry_their_sheet_and_row_and_are_cut_at_max_columns(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "dv.xlsx",
        [["Mã đơn vị", "Tên đơn vị", "Loại", "x", "y"], ["SNV", "Sở Nội vụ", "so_nganh"]],
    )
    got = rows_of(path, max_columns=3)
    assert [r.cells for r in got] == [
        ["Mã đơn vị", "Tên đơn vị", "Loại"],
        ["SNV", "Sở Nội vụ", "so_nganh"],
    ]
    assert got[1].where == f"{path} (trang “Đơn vị”, dòng 2)" and got[1].number == 2
