"""Regenerate the XLSX cases of the corpus: `python tests/bad_inputs/make_xlsx.py`.

The workbooks are committed so that the corpus is plain files; this script only
records how each was made. Their expected errors are in expected.yaml.
"""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl

HERE = Path(__file__).resolve().parent / "registries"
HEADER = [
    "STT",
    "Mã đơn vị",
    "Tên đơn vị",
    "Loại",
    "Cụm khối",
    "Đơn vị cấp trên",
    "Số CBCCVC",
    "Liên hệ",
]
ROWS: list[list[Any]] = [
    [1, "UBND", "UBND tỉnh", "co_quan_tinh", None, None, None, "outbox://ubnd"],
    [2, "BTDKT", "Ban Thi đua - Khen thưởng", "phong", None, "UBND", None, "outbox://btdkt"],
    [3, "SO-A", "Sở A", "so_nganh", "KHOI-A", "UBND", 20, "outbox://so-a"],
    [4, "SO-B", "Sở B", "so_nganh", "KHOI-A", "UBND", 30, "outbox://so-b"],
    [5, "XA-1", "UBND xã Một", "xa", "CUM-X", "UBND", 10, "outbox://xa-1"],
    [6, "XA-2", "UBND xã Hai", "xa", "CUM-X", "UBND", 12, "outbox://xa-2"],
]
GROUPS = [["Mã nhóm", "Tên nhóm", "Loại"], ["KHOI-A", "Khối A", "khoi"], ["CUM-X", "Cụm xã", "cum"]]
COLUMN = {name: i for i, name in enumerate(HEADER)}


def changed(code: str, column: str, value: Any, rows: list[list[Any]] = ROWS) -> list[list[Any]]:
    """`rows` with one cell of the unit `code` replaced."""
    return [
        [value if (row[1] == code and i == COLUMN[column]) else cell for i, cell in enumerate(row)]
        for row in rows
    ]


def workbook(name: str, sheets: dict[str, list[list[Any]]]) -> None:
    """Write `sheets` (title -> rows) as registries/<name>.xlsx."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.properties.created = book.properties.modified = datetime(2026, 3, 1)
    book.save(HERE / f"{name}.xlsx")


def main() -> None:
    title = [["DANH SÁCH ĐƠN VỊ THAM GIA PHONG TRÀO THI ĐUA"], []]
    cyclic = changed("SO-B", "Đơn vị cấp trên", "SO-A", changed("SO-A", "Đơn vị cấp trên", "SO-B"))
    workbook("cyclic_supervisors", {"Đơn vị": [*title, HEADER, *cyclic]})
    workbook(
        "wrong_header", {"Đơn vị": [["Số hiệu", "Cơ quan", "Ghi chú"], *[r[1:4] for r in ROWS]]}
    )
    workbook("headcount_in_words", {"Đơn vị": [HEADER, *changed("XA-1", "Số CBCCVC", "mười")]})
    workbook(
        "headcount_is_a_date", {"Đơn vị": [HEADER, *changed("SO-B", "Số CBCCVC", date(2026, 3, 1))]}
    )
    workbook("duplicate_codes", {"Đơn vị": [HEADER, *changed("XA-2", "Mã đơn vị", "XA-1")]})
    workbook(
        "unit_in_unknown_group",
        {"Đơn vị": [HEADER, *changed("SO-B", "Cụm khối", "KHOI-B")], "Cụm khối": GROUPS},
    )
    workbook("empty_workbook", {"Sheet1": []})
    (HERE / "text_file.xlsx").write_text(
        "Mã đơn vị,Tên đơn vị,Loại\nUBND,UBND tỉnh,co_quan_tinh\n", encoding="utf-8"
    )
    with zipfile.ZipFile(HERE / "zip_not_a_workbook.xlsx", "w") as archive:
        archive.writestr("danh_sach.txt", "UBND,UBND tỉnh,co_quan_tinh\n")


if __name__ == "__main__":
    main()
