"""`thidua submit`, `thidua import-submissions`, `thidua submissions`: recording what units hand in.

Every check lives in `thidua.ledger.submissions`; these commands read the arguments or
the rows, show the result in one Vietnamese line per submission, and write
nothing unless everything is valid (an import is all rows or none).
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thidua.errors import Problem, ThiduaError, ValidationFailed, quote

if TYPE_CHECKING:
    from thidua.campaign.loading import LoadedCampaign
    from thidua.campaign.spec import Campaign
    from thidua.ledger.submissions import Prepared

#: An import larger than this is not a list of submissions.
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 20_000

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
_HEADER_SEARCH = 10
TIMING_LABELS = {"on_time": "đúng hạn", "late": "trễ hạn", "early": "sớm"}


def _out(text: str = "") -> None:
    print(text, flush=True)


def _norm(text: Any) -> str:
    """A header as compared: no accents or case, punctuation as single spaces."""
    text = unicodedata.normalize("NFD", str(text or "").strip().lower()).replace("đ", "d")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _cell(value: Any) -> Any:
    """A cell as the checks take it: text stripped, whole floats as ints, dates kept."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    return value


# --- submit -------------------------------------------------------------------------


def _figures(items: list[str]) -> dict[str, str]:
    from thidua.ledger.submissions import SubmissionError, parse_figure

    out: dict[str, str] = {}
    for item in items:
        code, value = parse_figure(item)
        if code.lower() in out:
            raise SubmissionError(
                f"số liệu chỉ tiêu “{code}” được ghi hai lần", field=f"figures.{code}", value=item
            )
        out[code.lower()] = value
    return out


def _check_not_recorded(prepared: Prepared) -> None:
    """A dry run says what the real run would: a duplicate is refused there too."""
    from thidua.ledger.submissions import DuplicateSubmission
    from thidua.store import crud
    from thidua.store.db import session_scope

    campaign, milestone, occurrence, unit = prepared.key()
    with session_scope() as session:
        existing = crud.get_submission(
            session,
            campaign_code=campaign,
            milestone=milestone,
            occurrence=occurrence,
            unit_code=unit,
        )
        if existing is not None and not prepared.replace:
            raise DuplicateSubmission(existing, unit_name=prepared.unit_name)


def cmd_submit(args: argparse.Namespace) -> int:
    """Record that a unit handed in what a milestone asks for."""
    from thidua.campaign.lookup import find_campaign
    from thidua.ledger.submissions import prepare, record

    loaded = find_campaign(args.code)
    prepared = prepare(
        loaded,
        unit=args.unit,
        milestone=args.milestone,
        occurrence=args.occurrence,
        submitted_at=args.at,
        figures=_figures(args.figure),
        files=args.file,
        note=args.note,
        recorded_by=args.by,
        source="cli",
        replace=args.replace,
    )
    if args.dry_run:
        _check_not_recorded(prepared)
        _out(f"Hợp lệ, chưa ghi (--dry-run): {prepared.describe()}")
        return 0
    _out(record(prepared).message())
    return 0


# --- import -------------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise ThiduaError(f"không tìm thấy tệp {quote(str(path))}")
    size = path.stat().st_size
    if size == 0:
        raise ThiduaError(
            f"tệp {path.name} rỗng (0 byte); cần dòng tiêu đề (Mã đơn vị, Mốc, Kỳ, Thời điểm "
            "nộp, …) và mỗi bản nộp một dòng"
        )
    if size > MAX_IMPORT_BYTES:
        raise ThiduaError(
            f"tệp {path.name} quá lớn ({size / 1024 / 1024:.1f} MB); tối đa "
            f"{MAX_IMPORT_BYTES // 1024 // 1024} MB"
        )
    return path.read_bytes()


def _csv_rows(path: Path) -> Iterator[list[Any]]:
    raw = _read_bytes(path)
    how = "hãy lưu lại với bảng mã UTF-8 (Excel: Lưu thành → “CSV UTF-8”)"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ThiduaError(f"tệp {path.name} đang ở bảng mã UTF-16; {how}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ThiduaError(
            f"tệp {path.name} không phải bảng mã UTF-8 (byte lạ ở dòng {line}); {how}"
        ) from None
    if "\x00" in text:
        raise ThiduaError(f"tệp {path.name} chứa ký tự NUL: tệp hỏng hoặc không phải CSV")
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:
        raise ThiduaError(f"tệp CSV {path.name} không đọc được ({exc})") from None


def _xlsx_rows(path: Path) -> Iterator[list[Any]]:
    import warnings
    import zipfile

    _read_bytes(path)
    if not zipfile.is_zipfile(path):
        raise ThiduaError(
            f"tệp {path.name} không phải tệp Excel .xlsx (tệp .xls cũ đổi đuôi?); hãy lưu lại "
            "dạng “Excel Workbook (*.xlsx)”"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            is_workbook = "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        is_workbook = False
    if not is_workbook:
        raise ThiduaError(
            f"tệp {path.name} là tệp nén nhưng không phải bảng tính Excel (không có "
            "xl/workbook.xml); hãy mở bằng Excel và lưu lại dạng “Excel Workbook (*.xlsx)”"
        )
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # dropped styles: nothing an operator can act on
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise ThiduaError(
            f"không mở được tệp Excel {path.name}: tệp hỏng ({type(exc).__name__}); hãy lưu "
            "lại dạng .xlsx"
        ) from None
    try:
        sheet = book.worksheets[0]
        for cells in sheet.iter_rows(max_col=200, values_only=True):
            yield list(cells)
    finally:
        book.close()


def read_table(path: Path) -> tuple[int, list[str], list[tuple[int, list[Any]]]]:
    """(header row number, header cells, [(row number, cells)]) of a CSV or XLSX file."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows: Iterator[list[Any]] = _csv_rows(path)
    elif suffix == ".xlsx":
        rows = _xlsx_rows(path)
    else:
        raise ThiduaError(f"tệp {quote(path.name)}: chỉ nhận tệp .csv hoặc .xlsx")
    header: list[str] | None = None
    header_at = 0
    first: tuple[int, list[Any]] | None = None  # to show what the file has instead
    data: list[tuple[int, list[Any]]] = []
    for number, cells in enumerate(rows, 1):
        cells = [_cell(c) for c in cells]
        if all(c == "" for c in cells):
            continue
        if header is None:
            first = first or (number, cells)
            if "unit" in {COLUMNS.get(_norm(c)) for c in cells}:
                header, header_at = [str(c) for c in cells], number
            elif number >= _HEADER_SEARCH:
                break
            continue
        if len(data) >= MAX_IMPORT_ROWS:
            raise ThiduaError(f"tệp {path.name} có quá {MAX_IMPORT_ROWS} dòng; hãy tách ra")
        data.append((number, cells))
    if header is None:
        seen = ""
        if first is not None:
            cells = [quote(str(c)) for c in first[1] if c != ""]
            seen = f"; dòng {first[0]} là {', '.join(cells[:8])}" + (
                ", …" if len(cells) > 8 else ""
            )
        raise ThiduaError(
            f"tệp {path.name}: không tìm thấy dòng tiêu đề có cột “Mã đơn vị” (unit) trong "
            f"{_HEADER_SEARCH} dòng đầu{seen}"
        )
    return header_at, header, data


def _columns(
    spec: Campaign, header: list[str], header_at: int
) -> tuple[dict[int, str], list[Problem]]:
    """Which column holds what: a field name, "fig:<code>" or "base:<code>"."""
    targets = {_norm(t.code): t.code for t in spec.targets}
    mapping: dict[int, str] = {}
    problems: list[Problem] = []
    for i, title in enumerate(header):
        key = _norm(title)
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


def check_rows(
    loaded: LoadedCampaign, path: Path, *, replace: bool = False
) -> list[tuple[int, Prepared]]:
    """Every row of an import file checked; ValidationFailed listing every bad row otherwise."""
    from thidua.ledger.submissions import SubmissionError, prepare
    from thidua.store import crud
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
                existing = crud.get_submission(
                    session,
                    campaign_code=campaign,
                    milestone=milestone,
                    occurrence=occurrence,
                    unit_code=unit,
                )
                if existing is not None:
                    from thidua.ledger.submissions import local_text

                    occ = f" kỳ “{occurrence}”" if occurrence else ""
                    problems.append(
                        Problem(
                            f"dòng {number}, cột {quote(titles['unit'])}",
                            f"{item.unit_name} đã nộp mốc “{item.milestone.key}”{occ} (ghi nhận lúc "
                            f"{local_text(existing.recorded_at)}); dùng --thay-the để thay thế",
                            item.unit_code,
                        )
                    )
    if problems:
        bad = len({p.path.split(",")[0] for p in problems})
        raise ValidationFailed(f"{path.name}: {bad} dòng có lỗi, không nhập dòng nào", problems)
    return prepared


def _shown(value: Any) -> Any:
    return value.isoformat(sep=" ") if hasattr(value, "isoformat") else value


def _tally(items: list[Prepared]) -> str:
    counts = Counter(p.timing.value for p in items)
    parts = [f"{counts.get('on_time', 0)} đúng hạn", f"{counts.get('late', 0)} trễ hạn"]
    if counts.get("early"):
        parts.append(f"{counts['early']} sớm")
    return ", ".join(parts)


def cmd_import(args: argparse.Namespace) -> int:
    """Import submissions from a CSV or XLSX file: every row valid, or nothing imported."""
    from thidua.campaign.lookup import find_campaign
    from thidua.ledger.files import FileBatch
    from thidua.ledger.submissions import save
    from thidua.store.db import session_scope

    loaded = find_campaign(args.code)
    path = Path(args.file)
    checked = check_rows(loaded, path, replace=args.replace)
    items = [p for _, p in checked]
    if args.dry_run:
        _out(
            f"Kiểm tra xong {path.name}: {len(items)} dòng hợp lệ ({_tally(items)}); "
            "chưa ghi gì (--dry-run)"
        )
        return 0
    batch = FileBatch()
    try:
        with session_scope() as session:
            receipts = [save(session, p, batch) for p in items]
    except BaseException:
        batch.undo()
        raise
    replaced = sum(r.replaced_recorded_at is not None for r in receipts)
    more = f", thay thế {replaced} bản đã có" if replaced else ""
    _out(f"Đã nhập {len(items)} bản nộp vào {loaded.code} từ {path.name}: {_tally(items)}{more}")
    return 0


# --- listing ------------------------------------------------------------------------


def cmd_list(args: argparse.Namespace) -> int:
    """What is recorded for a campaign, as a plain table, with a count per milestone."""
    from thidua.campaign.lookup import find_campaign
    from thidua.campaign.plan import occurrence_label
    from thidua.campaign.plan_output import render_table
    from thidua.ledger.submissions import Figure, audience, find_milestone, local_text
    from thidua.store import crud
    from thidua.store.db import session_scope

    loaded = find_campaign(args.code)
    spec = loaded.spec
    milestone = find_milestone(spec, args.milestone).key if args.milestone else None
    with session_scope() as session:
        rows = crud.submissions_for(session, campaign_code=spec.code, milestone=milestone)
        session.expunge_all()
    if not rows:
        where = f" cho mốc “{milestone}”" if milestone else ""
        _out(f"{spec.code}: chưa ghi nhận bản nộp nào{where}.")
        return 0
    names = {u.code: u.name for u in loaded.registry}
    table = []
    from thidua.ledger.registration import registered_goal, registered_text

    targets = {t.code: t for t in spec.targets}
    for s in rows:
        figures = ", ".join(
            f"{code}={fig.text()}"
            for code, data in (s.figures or {}).items()
            if (fig := Figure.of(data)) is not None
        )
        registered = ", ".join(  # a registration's levels (đăng ký thi đua)
            f"{code} {registered_text(targets[code], goal)}"
            for code, data in (s.figures or {}).items()
            if code in targets and (goal := registered_goal(data)) is not None
        )
        figures = ", ".join(part for part in (figures, registered) if part)
        table.append(
            [
                s.milestone,
                s.occurrence or "-",
                f"{s.unit_code} ({names.get(s.unit_code, '?')})",
                local_text(s.submitted_at),
                TIMING_LABELS[str(s.timing)],
                figures or "-",
                str(len(s.files or [])),
                s.source,
            ]
        )
    headers = ["Mốc", "Kỳ", "Đơn vị", "Nộp lúc", "Hạn", "Số liệu", "Tệp", "Nguồn"]
    _out(f"{spec.code} — bản nộp đã ghi nhận")
    _out(render_table(table, headers))
    groups = Counter((s.milestone, s.occurrence) for s in rows)
    late = Counter((s.milestone, s.occurrence) for s in rows if s.timing != "on_time")
    for (key, occ), count in groups.items():
        owing = len(audience(spec, loaded.registry, spec.milestone(key)))
        label = f" {occurrence_label(occ)}" if occ else ""
        extra = f" ({late[(key, occ)]} không đúng hạn)" if late[(key, occ)] else ""
        _out(f"{key}{label}: {count}/{owing} đơn vị đã nộp{extra}")
    return 0


# --- wiring -------------------------------------------------------------------------


def add_commands(sub: Any, parser_class: type) -> None:
    """Register submit, import-submissions and submissions on the core CLI."""
    p = sub.add_parser(
        "submit",
        help="ghi nhận một đơn vị đã nộp (kế hoạch, báo cáo, số liệu, hồ sơ) cho một mốc",
        description=(
            "Ghi nhận bản nộp của một đơn vị: đóng dấu đúng hạn / trễ hạn theo hạn của mốc; "
            "mốc có late=“refuse” không nhận bản nộp ngoài thời gian quy định."
        ),
    )
    p.add_argument("code", metavar="MÃ-CHIẾN-DỊCH", help="ví dụ 75NAM-TDAQ/KH-UBND")
    p.add_argument("--don-vi", "--unit", dest="unit", required=True, metavar="MÃ", help="mã đơn vị")
    p.add_argument(
        "--moc", "--milestone", dest="milestone", required=True, metavar="MỐC",
        help="mã mốc, ví dụ bao-cao-ket-qua",
    )  # fmt: skip
    p.add_argument(
        "--ky", "--occurrence", dest="occurrence", metavar="KỲ",
        help="kỳ của mốc lặp lại: 2027, 2027-Q4 hoặc “quý IV/2027”",
    )  # fmt: skip
    p.add_argument(
        "--tep", "--file", dest="file", action="append", default=[], metavar="TỆP",
        help="tệp đã nộp (PDF, DOCX, XLSX, DOC, XLS, ảnh, văn bản); lặp lại cho nhiều tệp",
    )  # fmt: skip
    p.add_argument(
        "--so-lieu", "--figure", dest="figure", action="append", default=[],
        metavar="CHỈ-TIÊU=SỐ[/MẪU]", help="số liệu chỉ tiêu, ví dụ sang-kien=12/40",
    )  # fmt: skip
    p.add_argument(
        "--luc", "--at", dest="at", metavar="THỜI-ĐIỂM",
        help="lúc nộp, ví dụ “20/5/2026 09:30” (mặc định: bây giờ)",
    )  # fmt: skip
    p.add_argument("--ghi-chu", "--note", dest="note", metavar="VĂN-BẢN", help="ghi chú")
    p.add_argument("--nguoi-nhap", "--by", dest="by", metavar="TÊN", help="người ghi nhận")
    p.add_argument(
        "--thay-the", "--replace", dest="replace", action="store_true",
        help="thay thế bản nộp đã ghi nhận trước đó",
    )  # fmt: skip
    p.add_argument(
        "--dry-run", "--chi-kiem-tra", dest="dry_run", action="store_true",
        help="chỉ kiểm tra, không ghi gì",
    )  # fmt: skip
    p.set_defaults(func=cmd_submit)

    p = sub.add_parser(
        "import-submissions",
        help="nhập nhiều bản nộp từ tệp CSV/XLSX (tất cả hoặc không dòng nào)",
        description=(
            "Cột: Mã đơn vị, Mốc, Kỳ, Thời điểm nộp, một cột cho mỗi mã chỉ tiêu (giá trị "
            "hoặc tử số/mẫu số; hoặc thêm cột “<mã> mẫu số”), Ghi chú, Người nhập. Tiêu đề "
            "tiếng Anh cũng được: unit, milestone, occurrence, submitted at, note, recorded by."
        ),
    )
    p.add_argument("code", metavar="MÃ-CHIẾN-DỊCH", help="ví dụ 75NAM-TDAQ/KH-UBND")
    p.add_argument("file", metavar="TỆP", help="tệp .csv (UTF-8) hoặc .xlsx")
    p.add_argument("--dry-run", "--chi-kiem-tra", dest="dry_run", action="store_true",
                   help="chỉ kiểm tra, không ghi gì")  # fmt: skip
    p.add_argument("--thay-the", "--replace", dest="replace", action="store_true",
                   help="thay thế các bản nộp đã ghi nhận trước đó")  # fmt: skip
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("submissions", help="danh sách bản nộp đã ghi nhận của một chiến dịch")
    p.add_argument("code", metavar="MÃ-CHIẾN-DỊCH", help="ví dụ 75NAM-TDAQ/KH-UBND")
    p.add_argument("--moc", "--milestone", dest="milestone", metavar="MỐC", help="chỉ một mốc")
    p.set_defaults(func=cmd_list)
