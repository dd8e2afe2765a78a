"""Cells of the spreadsheets and CSV files the product writes, safe from formula injection.

Names, positions and achievements come from units; a nominee typed as
`=HYPERLINK("http://…","Bấm")` or an achievement `=1+2` must reach the office as the
text it is, never as a live formula (OWASP "CSV Injection"). Every writer of an XLSX
or CSV export goes through this module (tests/test_export_cells.py checks that no
module writes cells or CSV rows another way):

- XLSX: a text cell is stored as a string (`data_type == "s"`), and one that starts
  with `=`, `+`, `-`, `@`, tab or CR carries Excel's own single-quote prefix
  (`quotePrefix`), so it shows exactly as typed ("- Hoàn thành xuất sắc…" stays a
  bullet in the annex) and stays text when someone edits it in Excel.
- CSV: there is no cell type, so such a value is written with a leading `'`, as OWASP
  recommends.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

#: What a spreadsheet reads as the start of a formula (OWASP "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_risky(text: str) -> bool:
    """Whether a spreadsheet could read `text` as a formula."""
    return text.startswith(FORMULA_TRIGGERS)


def csv_text(value: Any) -> str:
    """A CSV field: the value as text, neutralised with a leading `'` when risky."""
    text = "" if value is None else str(value)
    return f"'{text}" if is_risky(text) else text


def csv_row(values: Iterable[Any]) -> list[str]:
    """A CSV row whose every field is neutralised text."""
    return [csv_text(v) for v in values]


class SafeCsvWriter:
    """`csv.writer` whose rows are neutralised; the only CSV writer exports may use."""

    def __init__(self, stream: IO[str], **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, values: Iterable[Any]) -> None:
        self._writer.writerow(csv_row(values))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def put(ws: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Write `value` into a worksheet cell: numbers as numbers, everything else as text."""
    cell = ws.cell(row=row, column=column)
    if value is None or value == "":
        return cell  # an empty cell, as an untouched one
    if isinstance(value, bool) or not isinstance(value, int | float):
        text = str(value)
        cell.value = text
        # openpyxl types a string starting with "=" as a formula: force text.
        cell.data_type = "s"
        if is_risky(text):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell
