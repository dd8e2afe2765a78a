"""Formula injection (issue 11.6): what units type reaches spreadsheets as text, never a formula.

The files are opened back: openpyxl for the XLSX (cell type and value, and no formula
element in the sheet XML), the csv module for CSV. A source check makes sure every
writer of an XLSX or CSV export goes through `thidua.documents.cells`.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy.engine import Engine

from thidua.documents.cells import SafeCsvWriter, csv_text, is_risky, put
from thidua.documents.nomination_annex import write_xlsx
from thidua.store import nomination_rows
from thidua.store.db import session_scope

from .nomination_helpers import CODE_2023, dossier, nominate_in, request, seed_2023

ROOT = Path(__file__).resolve().parent.parent
HYPERLINK = '=HYPERLINK("http://ke-gian.example/lay-du-lieu","Bấm")'
#: what units could type, each starting with a character a spreadsheet reads as a formula
HOSTILE = {
    "name": HYPERLINK,
    "achievement": "=1+2",
    "position": "+84 912 345 678",
    "workplace": "@SUM(1+1)*cmd|' /C calc'!A0",
}
#: legitimately starting with "-": a negative-looking code and a bulleted achievement
DASHED = {
    "name": "Tổ công tác số 2",
    "position": "-05",
    "workplace": "-1/TTr-SYT",
    "achievement": "- Hoàn thành xuất sắc nhiệm vụ năm 2023; có 02 sáng kiến cấp tỉnh",
}


@pytest.mark.parametrize(
    ("text", "risky"),
    [
        ("=1+2", True),
        ("+1", True),
        ("-05", True),
        ("@A1", True),
        ("\tx", True),
        ("\rx", True),
        ("Nguyễn Văn An", False),
        ("1=1", False),
        ("", False),
    ],
)
def test_what_counts_as_a_formula_start(text: str, risky: bool) -> None:
    assert is_risky(text) is risky
    assert csv_text(text) == ("'" + text if risky else text)


def test_the_nominations_annex_writes_hostile_values_as_text(
    fresh_db: Engine, tmp_path: Path
) -> None:
    seed = seed_2023()
    nominate_in(
        fresh_db,
        seed,
        request(unit="SGDDT", documents=dossier(tmp_path / "a", "a"), **HOSTILE),
    )
    nominate_in(
        fresh_db,
        seed,
        request(unit="SYT", documents=dossier(tmp_path / "b", "b"), **DASHED),
    )
    with session_scope(fresh_db) as session:
        nominations = nomination_rows.nominations_for(session, campaign_code=CODE_2023)
    path = write_xlsx(tmp_path / "ds.xlsx", loaded=seed, nominations=nominations)

    ws = load_workbook(path).worksheets[0]
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value is not None}
    for value in [*HOSTILE.values(), *DASHED.values()]:
        cell = cells[value]  # exactly as typed: no quote added to what the office reads
        assert cell.data_type == "s", (value, cell.data_type)
        assert cell.quotePrefix is is_risky(value), value
    # Every text cell is a string; only the STT column holds numbers.
    for cell in cells.values():
        assert cell.data_type in ("s", "n")
        assert cell.data_type == "s" or cell.column == 1
    # Nothing in the file is a formula.
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(re.search(rb"<f[ >]", z.read(n)) for n in sheets)


def test_put_keeps_numbers_and_empties(tmp_path: Path) -> None:
    book = Workbook()
    ws = book.active
    put(ws, 1, 1, 3)
    put(ws, 1, 2, "")
    put(ws, 1, 3, None)
    put(ws, 1, 4, "-3")  # text that looks like a number stays text
    book.save(tmp_path / "x.xlsx")
    ws = load_workbook(tmp_path / "x.xlsx").active
    assert (ws["A1"].value, ws["A1"].data_type) == (3, "n")
    assert ws["B1"].value is None and ws["C1"].value is None
    assert (ws["D1"].value, ws["D1"].data_type, ws["D1"].quotePrefix) == ("-3", "s", True)


def test_the_csv_writer_neutralises_every_field() -> None:
    stream = io.StringIO()
    writer = SafeCsvWriter(stream)
    writer.writerow(["Họ và tên", "Mã"])
    writer.writerows([[HYPERLINK, "-05"], ["Nguyễn Văn An", 7], ["\t=1+2", None]])
    rows = list(csv.reader(io.StringIO(stream.getvalue())))
    assert rows == [
        ["Họ và tên", "Mã"],
        ["'" + HYPERLINK, "'-05"],
        ["Nguyễn Văn An", "7"],
        ["'\t=1+2", ""],
    ]


#: how a module would write spreadsheet cells or CSV rows without the helper
_WRITERS = re.compile(r"csv\.(?:writer|DictWriter)\(|\bWorkbook\(|\bws\.append\(")
#: a cell value set directly, by keyword or by coordinate
_DIRECT = re.compile(r"\.cell\([^)]*value=|\w\[[\"'][A-Z]{1,3}\d+[\"']\]\s*=[^=]")


def test_every_export_writer_goes_through_the_cells_module() -> None:
    offenders = []
    for folder in ("thidua", "flows", "tasks", "notifications"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ROOT / "thidua" / "documents" / "cells.py":
                continue
            text = path.read_text(encoding="utf-8")
            if _WRITERS.search(text) and "thidua.documents.cells" not in text:
                offenders.append(str(path.relative_to(ROOT)))
            # Even a module that imports the helper writes no cell value directly.
            if _DIRECT.search(text):
                offenders.append(f"{path.relative_to(ROOT)} (cell value set directly)")
    assert offenders == [], offenders
