"""Importing submissions from a CSV or XLSX list: every row checked, then all rows or none.

The use case behind `thidua import-submissions`, for the command line, the Prefect
form and the web pages alike. `check_rows` reads the file (through `thidua.tables`,
which holds every guard), maps its columns, checks each row with
`thidua.ledger.submissions.prepare` and against what is already recorded, and raises
one `ValidationFailed` naming every bad row and column; `save_rows` records the
checked rows in one transaction, their files removed again if it fails.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thidua.errors import Problem, ThiduaError, ValidationFailed, quote
from thidua.tables import HEADER_SEARCH, TableError, read_rows
from thidua.text.fold import fold_words

if TYPE_CHECKING:
    from thidua.campaign.loading import LoadedCampaign
    from thidua.campaign.spec import Campaign
    from thidua.ledger.submissions import Prepared, Receipt

#: An import larger than this is not a list of submissions.
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 20_000
#: cells read per row of a workbook: the fields, and a figure and its base per target
MAX_COLUMNS = 200

#: Column meanings, by their normalized headers (Vietnamese without accents, or English).
COLUMNS: dict[str, str] = {
    "ma don vi": "unit",
    "ma dv": "unit",
    "don vi": "unit",
    "unit": "unit",
    "unit code": "unit",
    "moc": "milestone",
    "ma moc": "milestone",
    "milestone": "milestone",
    "ky": "occurrence",
    "ky bao cao": "occurrence",
    "occurrence": "occurrence",
    "thoi diem nop": "submitted_at",
    "thoi gian nop": "submitted_at",
    "ngay nop": "submitted_at",
    "nop luc": "submitted_at",
    "submitted at": "submitted_at",
    "ghi chu": "note",
    "note": "note",
    "notes": "note",
    "nguoi nhap": "recorded_by",
    "recorded by": "recorded_by",
}
#: Columns an office list usually has that carry nothing to record.
IGNORED = frozenset({"stt", "tt", "so tt", "ten don vi", "unit name", "name"})
_BASE_SUFFIXES = ("mau so", "base")


def _cell(value: Any) -> Any:
    """A cell as the checks take it: text stripped, whole floats as ints, dates kept."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    return value


def _score(cells: list[str]) -> int:
    """How much a row looks like the header of an import: its known column titles."""
    return sum(fold_words(c) in COLUMNS for c in cells)


def read_table(path: Path) -> tuple[int, list[str], list[tuple[int, list[Any]]]]:
    """(header row number, header cells, [(row number, cells)]) of a CSV or XLSX file."""
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise ThiduaError(f"tệp {quote(path.name)}: chỉ nhận tệp .csv hoặc .xlsx")
    if not path.is_file():
        raise ThiduaError(f"không tìm thấy tệp {quote(str(path))}")
    if path.stat().st_size == 0:
        raise ThiduaError(
            f"tệp {path.name} rỗng (0 byte); cần dòng tiêu đề (Mã đơn vị, Mốc, Kỳ, Thời điểm "
            "nộp, …) và mỗi bản nộp một dòng"
        )
    header: list[str] | None = None
    header_at = 0
    first: tuple[int, list[Any]] | None = None  # to show what the file has instead
    data: list[tuple[int, list[Any]]] = []
    rows = read_rows(
        path,
        what="danh sách bản nộp",
        max_bytes=MAX_IMPORT_BYTES,
        max_columns=MAX_COLUMNS,
        score=_score,
        source=path.name,
    )
    try:
        for raw, number, _ in rows:
            cells = [_cell(c) for c in raw]
            if all(c == "" for c in cells):
                continue
            if header is None:
                first = first or (number, cells)
                if "unit" in {COLUMNS.get(fold_words(c)) for c in cells}:
                    header, header_at = [str(c) for c in cells], number
                elif number >= HEADER_SEARCH:
                    break
                continue
            if len(data) >= MAX_IMPORT_ROWS:
                raise ThiduaError(f"tệp {path.name} có quá {MAX_IMPORT_ROWS} dòng; hãy tách ra")
            data.append((number, cells))
    except TableError as exc:
        raise ThiduaError(f"{exc.where}: {exc.message}") from None
    finally:
        rows.close()  # an .xlsx stays open until its rows are exhausted or closed
    if header is None:
        seen = ""
        if first is not None:
            shown = [quote(str(c)) for c in first[1] if c != ""]
            seen = f"; dòng {first[0]} là {', '.join(shown[:8])}" + (
                ", …" if len(shown) > 8 else ""
            )
        raise ThiduaError(
            f"tệp {path.name}: không tìm thấy dòng tiêu đề có cột “Mã đơn vị” (unit) trong "
            f"{HEADER_SEARCH} dòng đầu{seen}"
        )
    return header_at, header, data


def _columns(
    spec: Campaign, header: list[str], header_at: int
) -> tuple[dict[int, str], list[Problem]]:
    """Which column holds what: a field name, "fig:<code>" or "base:<code>"."""
    targets = {fold_words(t.code): t.code for t in spec.targets}
    mapping: dict[int, str] = {}
    problems: list[Problem] = []
    for i, title in enumerate(header):
        key = fold_words(title)
        if not key or key in IGNORED:
            continue
        meaning = COLUMNS.get(key)
        if meaning is None and key in targets:
            meaning = f"fig:{targets[key]}"
        if meaning is None:
            for suffix in _BASE_SUFFIXES:
                stem = key.removesuffix(" " + suffix)
                if stem != key and stem in targets:
                    meaning = f"base:{targets[stem]}"
        if meaning is None:
            known = "Mã đơn vị, Mốc, Kỳ, Thời điểm nộp, Ghi chú, Người nhập"
            codes = ", ".join(t.code for t in spec.targets)
            extra = f"; số liệu: một cột cho mỗi mã chỉ tiêu ({codes})" if codes else ""
            problems.append(
                Problem(
                    f"dòng {header_at}, cột {quote(title)}",
                    f"cột không dùng được (các cột: {known}{extra})",
                )
            )
        elif meaning in mapping.values():
            problems.append(
                Problem(f"dòng {header_at}, cột {quote(title)}", "trùng ý nghĩa với một cột trước")
            )
        else:
            mapping[i] = meaning
    missing = {"unit", "milestone", "submitted_at"} - set(mapping.values())
    for name in sorted(missing):
        label = {"unit": "Mã đơn vị", "milestone": "Mốc", "submitted_at": "Thời điểm nộp"}[name]
        problems.append(Problem(f"dòng {header_at}", f"thiếu cột “{label}” ({name})"))
    return mapping, problems


def _row_values(cells: list[Any], mapping: dict[int, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for i, meaning in mapping.items():
        value = cells[i] if i < len(cells) else ""
        if value != "":
            values[meaning] = value
    return values


def _row_figures(values: dict[str, Any]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for key, value in values.items():
        kind, _, code = key.partition(":")
        if kind == "fig":
            base = values.get(f"base:{code}")
            figures[code] = value if base is None else {"value": value, "base": base}
        elif kind == "base" and f"fig:{code}" not in values:
            figures[code] = {"value": None, "base": value}
    return figures


class RowsRefused(ValidationFailed):
    """An import's rows cannot all be recorded; `already_recorded` lists the rows refused only
    because their unit already submitted (a front end says how to ask for a replacement)."""

    def __init__(
        self, subject: str, problems: list[Problem], already_recorded: Sequence[int] = ()
    ) -> None:
        super().__init__(subject, problems)
        self.already_recorded = tuple(already_recorded)


def check_rows(
    loaded: LoadedCampaign, path: Path, *, replace: bool = False
) -> list[tuple[int, Prepared]]:
    """Every row of an import file checked; ValidationFailed listing every bad row otherwise."""
    from thidua.errors import SubmissionError
    from thidua.ledger.submissions import prepare
    from thidua.store import submission_rows
    from thidua.store.db import session_scope

    header_at, header, rows = read_table(path)
    mapping, problems = _columns(loaded.spec, header, header_at)
    if problems:
        raise ValidationFailed(f"{path.name}: tiêu đề cột không dùng được, chưa nhập gì", problems)
    titles = {meaning: header[i] for i, meaning in mapping.items()}

    def column(field: str | None) -> str:
        if field and field.startswith("figures."):
            code = field.split(".", 1)[1]
            return titles.get(f"fig:{code}") or titles.get(f"base:{code}") or code
        return titles.get(field or "", {"figures": "số liệu", "files": "tệp"}.get(field or "", ""))

    prepared: list[tuple[int, Prepared]] = []
    recorded: list[int] = []
    seen: dict[tuple[str, ...], int] = {}
    for number, cells in rows:
        values = _row_values(cells, mapping)
        if "submitted_at" not in values:
            # An import records what arrived earlier: "now" would stamp it wrongly.
            column_name = titles.get("submitted_at", "Thời điểm nộp")
            problems.append(Problem(f"dòng {number}, cột “{column_name}”", "thiếu thời điểm nộp"))
            continue
        try:
            item = prepare(
                loaded,
                unit=str(values.get("unit", "")),
                milestone=str(values.get("milestone", "")),
                occurrence=str(values["occurrence"]) if "occurrence" in values else None,
                submitted_at=values.get("submitted_at"),
                figures=_row_figures(values),
                note=values.get("note"),
                recorded_by=values.get("recorded_by"),
                source="import",
                replace=replace,
            )
        except SubmissionError as exc:
            for error in exc.errors:
                where = f"dòng {number}" + (
                    f", cột {quote(column(error.field))}" if column(error.field) else ""
                )
                # A message that already quotes the value need not repeat it.
                shown = _shown(error.value) if error.has_value else None
                if error.has_value and quote(str(shown)) not in error.message:
                    problems.append(Problem(where, error.message, shown))
                else:
                    problems.append(Problem(where, error.message))
            continue
        first = seen.setdefault(item.key(), number)
        if first != number:
            problems.append(
                Problem(
                    f"dòng {number}",
                    f"trùng với dòng {first}: cùng đơn vị “{item.unit_code}”, mốc "
                    f"“{item.milestone.key}”, kỳ “{item.occurrence.key or '-'}”",
                )
            )
            continue
        prepared.append((number, item))
    if not rows:
        problems.append(Problem(f"dòng {header_at + 1}", "tệp không có dòng dữ liệu nào"))
    if not replace and prepared:
        with session_scope() as session:
            for number, item in prepared:
                campaign, milestone, occurrence, unit = item.key()
                existing = submission_rows.get_submission(
                    session,
                    campaign_code=campaign,
                    milestone=milestone,
                    occurrence=occurrence,
                    unit_code=unit,
                )
                if existing is not None:
                    from thidua.ledger.timing import local_text

                    occ = f" kỳ “{occurrence}”" if occurrence else ""
                    recorded.append(number)
                    problems.append(
                        Problem(
                            f"dòng {number}, cột {quote(titles['unit'])}",
                            f"{item.unit_name} đã nộp mốc “{item.milestone.key}”{occ} (ghi nhận lúc "
                            f"{local_text(existing.recorded_at)}); muốn thay thế thì nhập lại và chọn thay "
                            "thế bản đã có",
                            item.unit_code,
                        )
                    )
    if problems:
        bad = len({p.path.split(",")[0] for p in problems})
        raise RowsRefused(
            f"{path.name}: {bad} dòng có lỗi, không nhập dòng nào", problems, recorded
        )
    return prepared


def _shown(value: Any) -> Any:
    return value.isoformat(sep=" ") if hasattr(value, "isoformat") else value


def save_rows(items: list[Prepared]) -> list[Receipt]:
    """Record checked rows in one transaction: all of them, or none (and no stored file)."""
    from thidua.ledger.files import FileBatch
    from thidua.ledger.submissions import save
    from thidua.store.db import session_scope

    batch = FileBatch()
    try:
        with session_scope() as session:
            return [save(session, p, batch) for p in items]
    except BaseException:
        batch.undo()
        raise
