"""The nominations as the annex of a Tờ trình: "Danh sách đề nghị khen thưởng" in XLSX.

One sheet per award form that has a nomination, in the campaign's order; on each,
title rows (the list, the award, the campaign), then STT | Họ và tên / Tên tập thể |
Chức vụ | Đơn vị công tác / Địa chỉ | Tóm tắt thành tích | Hình thức khen thưởng | Đơn
vị đề nghị | Ghi chú, grouped under "I. Tập thể", "II. Cá nhân", "III. Hộ gia đình"
with STT restarting in each group, as offices lay these annexes out. Every cell is
written through `thidua.documents.cells` (text stays text, never a formula). Times New
Roman 13 (the administrative standard, Nghị định 30/2020/NĐ-CP), wrapped text, A4
landscape, header repeated on every printed page, so the office can edit it and attach
it as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from thidua.campaign.kinds import NomineeKind
from thidua.documents.cells import put
from thidua.errors import InputError, ThiduaError
from thidua.ledger.dossier import award_for_key, award_key
from thidua.ledger.nominations import unit_name
from thidua.ledger.quotas import COUNTED, KIND_ORDER
from thidua.ledger.statuses import NominationStatus, SubmissionTiming, status_label

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from thidua.campaign.loading import LoadedCampaign
    from thidua.store.models import Nomination

#: (header, column width in characters)
COLUMNS: tuple[tuple[str, int], ...] = (
    ("STT", 6),
    ("Họ và tên / Tên tập thể", 28),
    ("Chức vụ", 18),
    ("Đơn vị công tác / Địa chỉ", 30),
    ("Tóm tắt thành tích", 50),
    ("Hình thức khen thưởng", 24),
    ("Đơn vị đề nghị", 24),
    ("Ghi chú", 16),
)
TITLE = "DANH SÁCH ĐỀ NGHỊ KHEN THƯỞNG"
FONT_NAME, FONT_SIZE = "Times New Roman", 13
ROMAN = ("I", "II", "III")
GROUP_TITLES = {
    NomineeKind.COLLECTIVE: "Tập thể",
    NomineeKind.INDIVIDUAL: "Cá nhân",
    NomineeKind.HOUSEHOLD: "Hộ gia đình",
}
#: Statuses worth a note in the annex (submitted / resubmitted / accepted need none).
_NOTED = {"returned", "awarded", "not_awarded", "withdrawn"}

_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _font(*, bold: bool = False, italic: bool = False) -> Font:
    return Font(name=FONT_NAME, size=FONT_SIZE, bold=bold, italic=italic)


def sheet_title(text: str, taken: set[str]) -> str:
    """A sheet name from an award's code or name: cut at a word within 31 characters, unique."""
    base = text
    for bad in "[]:*?/\\":
        base = base.replace(bad, "-")
    if len(base) > 31:
        base = base[:31].rsplit(" ", 1)[0]
    title, n = base, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def _note(nomination: Nomination) -> str:
    notes = []
    if nomination.timing != "on_time":
        notes.append(SubmissionTiming(nomination.timing).label)
    if nomination.status in _NOTED:
        notes.append(status_label(nomination.status))
    return "; ".join(notes)


def _title_rows(ws: Worksheet, loaded: LoadedCampaign, award_name: str) -> int:
    """Write the title block; the row number of the column headers."""
    spec = loaded.spec
    last = get_column_letter(len(COLUMNS))
    lines = [
        (TITLE, _font(bold=True), 22),
        (f"Hình thức: {award_name}", _font(bold=True), 22),
        (f"Đợt thi đua: {spec.title} ({spec.code})", _font(), 40),
        ("(Kèm theo Tờ trình số ……/TTr-…… ngày …… tháng …… năm ……)", _font(italic=True), 22),
    ]
    for row, (text, font, height) in enumerate(lines, 1):
        ws.merge_cells(f"A{row}:{last}{row}")
        cell = put(ws, row, 1, text)
        cell.font, cell.alignment = font, _CENTER
        ws.row_dimensions[row].height = height
    return len(lines) + 2  # a blank row before the table


def _header(ws: Worksheet, row: int) -> None:
    for col, (header, width) in enumerate(COLUMNS, 1):
        cell = put(ws, row, col, header)
        cell.font, cell.alignment, cell.border = _font(bold=True), _CENTER, _BORDER
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[row].height = 36


def _group_row(ws: Worksheet, row: int, number: int, kind: NomineeKind) -> None:
    last = get_column_letter(len(COLUMNS))
    put(ws, row, 1, ROMAN[number])
    put(ws, row, 2, GROUP_TITLES[kind])
    ws.merge_cells(f"B{row}:{last}{row}")
    for col in range(1, len(COLUMNS) + 1):
        cell = ws.cell(row=row, column=col)
        cell.font, cell.border = _font(bold=True), _BORDER
        cell.alignment = _CENTER if col == 1 else Alignment(vertical="center")


def _entry(
    ws: Worksheet, row: int, stt: int, n: Nomination, award_name: str, loaded: LoadedCampaign
) -> None:
    values = [
        stt,
        n.nominee_name,
        n.position or "",
        n.workplace or "",
        n.achievement,
        award_name,
        unit_name(loaded.registry, n.unit_code),
        _note(n),
    ]
    for col, value in enumerate(values, 1):
        cell = put(ws, row, col, value)
        cell.font, cell.border = _font(), _BORDER
        cell.alignment = _CENTER if col == 1 else _WRAP


def _sheet(
    ws: Worksheet, loaded: LoadedCampaign, award_name: str, nominations: Sequence[Nomination]
) -> None:
    header = _title_rows(ws, loaded, award_name)
    _header(ws, header)
    row, group = header + 1, 0
    for kind in KIND_ORDER:
        members = [n for n in nominations if n.nominee_kind == kind.value]
        if not members:
            continue
        _group_row(ws, row, group, kind)
        row, group = row + 1, group + 1
        for stt, n in enumerate(members, 1):
            _entry(ws, row, stt, n, award_name, loaded)
            row += 1
    ws.freeze_panes = ws.cell(row=header + 1, column=1)
    ws.print_title_rows = f"{header}:{header}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _ordered(loaded: LoadedCampaign, nominations: Sequence[Nomination]) -> list[Nomination]:
    """In the registry's unit order (how offices list them), then as handed in."""
    order = {u.code: i for i, u in enumerate(loaded.registry)}
    return sorted(nominations, key=lambda n: (order.get(n.unit_code, len(order)), n.id or 0))


def annex_nominations(
    nominations: Sequence[Nomination],
    *,
    status: NominationStatus | None = None,
    include_returned: bool = False,
) -> list[Nomination]:
    """The nominations an annex lists.

    Asked for by status, exactly those. Otherwise the live ones (not withdrawn, not
    refused) without those returned to their unit for completion: a returned dossier
    is not proposed until it is handed in again, unless `include_returned` is asked.
    """
    if status is not None:
        return [n for n in nominations if n.status == status]
    wanted = set(COUNTED) - (set() if include_returned else {NominationStatus.RETURNED})
    return [n for n in nominations if NominationStatus(n.status) in wanted]


def write_xlsx(
    path: str | Path, *, loaded: LoadedCampaign, nominations: Sequence[Nomination]
) -> Path:
    """Write the annex for `nominations` of the campaign to `path` (one sheet per award).

    Only awards with a nomination get a sheet; with no nomination at all nothing is
    written (ThiduaError).
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InputError(
            f"tệp xuất “{path}” phải có đuôi .xlsx", field="export_path", value=str(path)
        )
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    nominations = _ordered(loaded, nominations)
    keys = {n.award for n in nominations}
    sheets = [(award_key(a), a.code or a.name, a.name) for a in loaded.spec.awards]
    # Nominations for an award the file no longer has still belong in the list.
    sheets += [(k, k, k) for k in sorted(keys) if award_for_key(loaded.spec, k) is None]
    for key, short, name in sheets:
        members = [n for n in nominations if n.award == key]
        if not members:  # an award nobody was nominated for has no list to attach
            continue
        ws = workbook.create_sheet(sheet_title(short, taken))
        _sheet(ws, loaded, name, members)
    if not workbook.worksheets:
        raise InputError(
            f"không có hồ sơ đề nghị khen thưởng nào để xuất ra tệp “{path}”; chưa ghi tệp",
            field="export_path",
            value=str(path),
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        workbook.save(path)
    except OSError as exc:
        raise ThiduaError(f"không ghi được tệp “{path}”: {exc.strerror or exc}") from None
    return path
