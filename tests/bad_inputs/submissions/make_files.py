"""Regenerate the binary files of the submissions and nominations corpus.

Run `python tests/bad_inputs/submissions/make_files.py`. The files are committed
so that the corpus is plain files; this script only records how each was made.
Their expected errors are in ../expected.yaml; the text cases (CSV) are written
by hand.
"""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl

HERE = Path(__file__).resolve().parent
NOMINATIONS = HERE.parent / "nominations"

HEADER = ["STT", "Mã đơn vị", "Tên đơn vị", "Mốc", "Kỳ", "Thời điểm nộp", "Ghi chú"]
VALID_ROWS: list[list[Any]] = [
    [1, "SGDDT", "Sở Giáo dục và Đào tạo", "bao-cao-nam", "2026", datetime(2026, 11, 16, 9), None],
    [2, "SYT", "Sở Y tế", "bao-cao-nam", "2026", datetime(2026, 11, 17, 14, 30), None],
]


def workbook(path: Path, rows: list[list[Any]], title: str = "Bản nộp") -> None:
    """A one-sheet workbook as an office saves it: dates as real date cells."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)


def pdf(path: Path, text: str) -> None:
    """A small but real one-page PDF."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    path.write_bytes(out)


def main() -> None:
    """Write every binary case and the valid dossier documents."""
    imports = HERE / "import"
    # A figure typed with letters, in the figure's own value column (base in its own column).
    workbook(
        imports / "figure_with_letters.xlsx",
        [
            [*HEADER[:6], "sang-kien", "sang-kien mẫu số", "dvc-truc-tuyen"],
            [1, "SGDDT", "Sở Giáo dục và Đào tạo", "so-lieu-quy", "2026-Q1",
             datetime(2026, 3, 15, 9), 120, 400, "800/1000"],
            [2, "SYT", "Sở Y tế", "so-lieu-quy", "2026-Q1",
             datetime(2026, 3, 16, 10, 30), "12abc", 300, "900/1000"],
        ],
    )  # fmt: skip
    # An unknown unit code in a workbook whose times are real date cells.
    workbook(
        imports / "unknown_unit.xlsx",
        [HEADER, VALID_ROWS[0], [2, "SO-Y-TE", "Sở Y tế", "bao-cao-nam", "2026",
                                 datetime(2026, 11, 17, 14, 30), None]],
    )  # fmt: skip
    # The header names a unit register's columns, not a submissions list.
    workbook(
        imports / "wrong_header.xlsx",
        [["Số hiệu", "Cơ quan", "Ngày gửi"], ["SGDDT", "Sở Giáo dục và Đào tạo", "16/11/2026"]],
    )
    # A zip that holds no workbook (a compressed folder renamed to .xlsx).
    with zipfile.ZipFile(imports / "zip_not_a_workbook.xlsx", "w") as archive:
        archive.writestr("bao_cao/danh_sach.txt", "SGDDT,bao-cao-nam,2026,16/11/2026\n")

    attach = HERE / "attach"
    # Word 97-2003 (OLE) saved under a .docx name: not a zip at all.
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "WordDocument".encode("utf-16-le")
    (attach / "bao_cao.docx").write_bytes(ole + bytes(512))
    # A Windows program handed in as an attachment.
    (attach / "bao_cao.exe").write_bytes(b"MZ\x90\x00\x03" + bytes(59) + b"PE\x00\x00" + bytes(64))
    # A Word document renamed to .xlsx: a zip, but not a workbook.
    with zipfile.ZipFile(attach / "so_lieu.xlsx", "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types><Override PartName="/word/document.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"'
            "/></Types>",
        )
        archive.writestr("word/document.xml", "<w:document/>")
    (attach / "empty.pdf").write_bytes(b"")

    valid = NOMINATIONS / "valid"
    valid.mkdir(exist_ok=True)
    for name, text in [
        ("to_trinh.pdf", "To trinh de nghi khen thuong"),
        ("bien_ban.pdf", "Bien ban xet khen thuong"),
        ("bao_cao_thanh_tich.pdf", "Bao cao thanh tich"),
    ]:
        pdf(valid / name, text)


if __name__ == "__main__":
    main()
