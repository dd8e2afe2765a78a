"""A registry kept as a table: a CSV list (with a ``<name>.groups.csv`` next to it) or an
Excel workbook (a sheet of units, optionally a sheet of groups).

The file is read by `thidua.tables` (every guard there); this module finds the
header row below a few title rows, maps English or Vietnamese column titles to
fields, and turns each row into the same plain dict a YAML registry gives, with the
row's line kept for the messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from thidua.errors import Problem, RegistryError
from thidua.registry.findings import fail
from thidua.registry.vocabulary import (
    GROUP_COLUMNS,
    GROUPS_SHEETS,
    IGNORED_COLUMNS,
    UNIT_COLUMNS,
    UNITS_SHEETS,
)
from thidua.tables import (
    HEADER_SEARCH,
    MAX_XLSX_UNPACKED_BYTES,
    Row,
    TableError,
    csv_rows,
    decode_utf8,
    open_workbook,
    sheet_rows,
)
from thidua.tables import read_bytes as _read_bytes
from thidua.text.fold import fold_words

#: the size limits of a registry file at the default number of units (`DEFAULT_MAX_UNITS`);
#: above it they grow in proportion (`Limits`)
MAX_FILE_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_UNITS = 50_000
MAX_COLUMNS = 60
#: the setting that raises the limits, as an admin sets it (named in every refusal)
SETTING = "THIDUA_REGISTRY_MAX_UNITS"
#: what the size message calls a registry file
WHAT = "danh mục đơn vị"


class Limits(NamedTuple):
    """How big a registry may be: rows of a table, bytes of the file, bytes unpacked (.xlsx)."""

    rows: int
    file_bytes: int
    unpacked_bytes: int

    @property
    def hint(self) -> str:
        """What an admin can do about a refusal, naming the setting and its value."""
        return (
            f"giới hạn hiện tại {SETTING} = {self.rows}; hãy tách danh mục, hoặc nâng "
            f"{SETTING} nếu máy chạy đủ bộ nhớ"
        )


def limits() -> Limits:
    """The limits of the configured `registry_max_units`; the byte caps scale with it
    (never below their defaults, so lowering the row limit does not refuse small files)."""
    from thidua.config import get_settings

    rows = get_settings().registry_max_units
    scale = max(1.0, rows / DEFAULT_MAX_UNITS)
    return Limits(rows, int(MAX_FILE_BYTES * scale), int(MAX_XLSX_UNPACKED_BYTES * scale))


#: records, the "where" of each, problems of the header
Table = tuple[list[dict[str, Any]], list[str], list[Problem]]


def read_bytes(path: Path, source: str) -> bytes:
    """The bytes of a registry file (any format), within the size limit; RegistryError."""
    limit = limits()
    try:
        return _read_bytes(path, what=WHAT, max_bytes=limit.file_bytes, source=source)
    except TableError as exc:
        raise _refusal(exc, source, limit) from None


def _refusal(exc: TableError, source: str, limit: Limits) -> RegistryError:
    """A reader's refusal as a registry error; one for size names the setting that moves it."""
    message = exc.message
    if "quá lớn" in message:  # the file's bytes, or a workbook's unpacked size
        message += f" ({limit.hint})"
    return fail(source, message, where=exc.where)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())  # a date, time or datetime cell
    return str(value).strip()


def _is_empty(cells: list[Any]) -> bool:
    return all(_cell_text(c) == "" for c in cells)


def _header_map(cells: list[Any], columns: dict[str, str]) -> dict[int, str]:
    # Only the columns a registry may use: a runaway row must not cost a fold per cell.
    folded = ((i, fold_words(_cell_text(c))) for i, c in enumerate(cells[:MAX_COLUMNS]))
    return {i: columns[key] for i, key in folded if key in columns}


def _score(cells: list[str]) -> int:
    return len(_header_map(cells, UNIT_COLUMNS | GROUP_COLUMNS))


def _read_table(rows: Iterable[Row], columns: dict[str, str], source: str, what: str) -> Table:
    """Records of a table whose header row may follow a few title rows."""
    problems: list[Problem] = []
    iterator = iter(rows)
    header: list[Any] | None = None
    header_where = source
    first: tuple[list[Any], str] | None = None
    seen = 0
    for cells, _, where in iterator:
        if _is_empty(cells):
            continue
        first = first or (cells, where)
        fields = set(_header_map(cells, columns).values())
        if {"code", "name"} <= fields:
            header, header_where = cells, where
            break
        seen += 1
        if seen >= HEADER_SEARCH:
            break
    if header is None:
        names = sorted({k for k, v in columns.items() if v in ("code", "name")})
        expected = f"cần ít nhất cột mã và cột tên (một trong: {', '.join(names)})"
        if first is None:
            problems.append(
                Problem("", f"{what} trống, không có dòng nào; {expected}", source=source)
            )
        else:
            found = ", ".join(f"“{_cell_text(c)}”" for c in first[0] if _cell_text(c))
            problems.append(
                Problem(
                    "",
                    f"không tìm thấy dòng tiêu đề của {what}; {expected}; dòng đầu tiên "
                    f"đang là: {found[:300]}",
                    source=first[1],
                )
            )
        return [], [], problems

    if len(header) > MAX_COLUMNS:
        # One problem, not one per column: a runaway header must not drown the report.
        problems.append(
            Problem(
                "",
                f"dòng tiêu đề có {len(header)} cột; danh mục đơn vị dùng không quá "
                f"{MAX_COLUMNS} cột, các cột sau bị bỏ qua",
                len(header),
                header_where,
            )
        )
        header = header[:MAX_COLUMNS]
    mapping: dict[int, str] = {}
    for i, cell in enumerate(header):
        title = _cell_text(cell)
        key = fold_words(title)
        if not key or key in IGNORED_COLUMNS:
            continue
        field_name = columns.get(key)
        if field_name is None:
            import difflib  # error path only

            hint = difflib.get_close_matches(key, list(columns), n=1)
            maybe = f"; có phải là “{hint[0]}”?" if hint else ""
            problems.append(
                Problem(
                    "",
                    f"cột {i + 1} “{title}” không dùng được{maybe} (các cột dùng được: "
                    f"{', '.join(dict.fromkeys(columns.values()))}, hoặc tên tiếng Việt)",
                    title,
                    header_where,
                )
            )
        elif field_name in mapping.values():
            problems.append(
                Problem(
                    "",
                    f"cột {i + 1} “{title}” trùng ý nghĩa với một cột trước ({field_name})",
                    title,
                    header_where,
                )
            )
        else:
            mapping[i] = field_name

    records: list[dict[str, Any]] = []
    wheres: list[str] = []
    limit = limits()
    for count, (cells, _, where) in enumerate(iterator):
        if count >= limit.rows:
            # Fatal at once: checking the first rows of a list that will be
            # refused anyway would only make the admin wait.
            raise fail(source, f"{what} quá {limit.rows} dòng; {limit.hint}", where=where)
        if _is_empty(cells):
            continue
        record: dict[str, Any] = {}
        for i, field_name in mapping.items():
            value = cells[i] if i < len(cells) else None
            if field_name == "headcount" and isinstance(value, int | float):
                record[field_name] = value
                continue
            text = _cell_text(value)
            if text:
                record[field_name] = text
        records.append(record)
        wheres.append(where)
    return records, wheres, problems


def _tables_to_data(
    units: Table,
    groups: Table | None,
) -> tuple[dict[str, Any], dict[str, str], list[Problem]]:
    data: dict[str, Any] = {"units": units[0]}
    locations = {f"units[{i}]": where for i, where in enumerate(units[1])}
    problems = list(units[2])
    if groups is not None:
        data["groups"] = groups[0]
        locations |= {f"groups[{i}]": where for i, where in enumerate(groups[1])}
        problems += groups[2]
    return data, locations, problems


def read_csv(
    path: Path, raw: bytes, source: str
) -> tuple[dict[str, Any], dict[str, str], list[Problem]]:
    """A CSV registry (and its ``.groups.csv`` companion) as data, locations, header problems."""
    try:
        rows = csv_rows(decode_utf8(raw, source), source, score=_score)
        units = _read_table(rows, UNIT_COLUMNS, source, "danh sách đơn vị")
        groups = None
        groups_path = path.with_name(f"{path.stem}.groups.csv")
        if groups_path.is_file():
            g_source = str(groups_path)
            g_text = decode_utf8(read_bytes(groups_path, g_source), g_source)
            groups = _read_table(
                csv_rows(g_text, g_source, score=_score), GROUP_COLUMNS, g_source, "nhóm"
            )
    except TableError as exc:
        raise fail(source, exc.message, where=exc.where) from None
    return _tables_to_data(units, groups)


def read_xlsx(path: Path, source: str) -> tuple[dict[str, Any], dict[str, str], list[Problem]]:
    """An Excel registry: the units sheet (by name, else the first other than the groups
    sheet) and the groups sheet if there is one."""
    try:
        with open_workbook(path, source, max_unpacked=limits().unpacked_bytes) as book:
            sheets = {fold_words(ws.title): ws for ws in book.worksheets}
            groups_ws = next((ws for name, ws in sheets.items() if name in GROUPS_SHEETS), None)
            units_ws = next((ws for name, ws in sheets.items() if name in UNITS_SHEETS), None)
            if units_ws is None:
                units_ws = next((ws for ws in book.worksheets if ws is not groups_ws), None)
            if units_ws is None:
                raise fail(source, "tệp Excel không có trang danh sách đơn vị")
            units = _read_table(
                sheet_rows(units_ws, source, max_columns=MAX_COLUMNS),
                UNIT_COLUMNS,
                source,
                "danh sách đơn vị",
            )
            groups = None
            if groups_ws is not None:
                groups = _read_table(
                    sheet_rows(groups_ws, source, max_columns=MAX_COLUMNS),
                    GROUP_COLUMNS,
                    f"{source} ({groups_ws.title})",
                    "nhóm",
                )
    except TableError as exc:
        raise _refusal(exc, source, limits()) from None
    return _tables_to_data(units, groups)
