"""`thidua submit`, `thidua import-submissions`, `thidua submissions`: recording what units hand in.

Every check lives in the library (`thidua.ledger.submissions`, and `thidua.ledger.imports`
for a list of rows); these commands read the arguments, show the result in one
Vietnamese line per submission, and write nothing unless everything is valid (an
import is all rows or none).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thidua.ledger.statuses import SubmissionTiming

if TYPE_CHECKING:
    from thidua.ledger.submissions import Prepared


def _out(text: str = "") -> None:
    print(text, flush=True)


# --- submit -------------------------------------------------------------------------


def _figures(items: list[str]) -> dict[str, str]:
    from thidua.errors import SubmissionError
    from thidua.ledger.figures import parse_figure

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
    from thidua.ledger.duplicates import DuplicateSubmission
    from thidua.store import submission_rows
    from thidua.store.db import session_scope

    campaign, milestone, occurrence, unit = prepared.key()
    with session_scope() as session:
        existing = submission_rows.get_submission(
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


def _tally(items: list[Prepared]) -> str:
    counts = Counter(p.timing.value for p in items)
    parts = [f"{counts.get('on_time', 0)} đúng hạn", f"{counts.get('late', 0)} trễ hạn"]
    if counts.get("early"):
        parts.append(f"{counts['early']} sớm")
    return ", ".join(parts)


def cmd_import(args: argparse.Namespace) -> int:
    """Import submissions from a CSV or XLSX file: every row valid, or nothing imported."""
    from thidua.campaign.lookup import find_campaign
    from thidua.ledger.imports import check_rows, save_rows

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
    receipts = save_rows(items)
    replaced = sum(r.replaced_recorded_at is not None for r in receipts)
    more = f", thay thế {replaced} bản đã có" if replaced else ""
    _out(f"Đã nhập {len(items)} bản nộp vào {loaded.code} từ {path.name}: {_tally(items)}{more}")
    return 0


# --- listing ------------------------------------------------------------------------


def cmd_list(args: argparse.Namespace) -> int:
    """What is recorded for a campaign, as a plain table, with a count per milestone."""
    from thidua.campaign.audience import audience
    from thidua.campaign.lookup import find_campaign
    from thidua.campaign.plan import occurrence_label
    from thidua.campaign.plan_output import render_table
    from thidua.ledger.figures import Figure
    from thidua.ledger.submissions import find_milestone
    from thidua.ledger.timing import local_text
    from thidua.store import submission_rows
    from thidua.store.db import session_scope

    loaded = find_campaign(args.code)
    spec = loaded.spec
    milestone = find_milestone(spec, args.milestone).key if args.milestone else None
    with session_scope() as session:
        rows = submission_rows.submissions_for(
            session, campaign_code=spec.code, milestone=milestone
        )
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
                SubmissionTiming(s.timing).label,
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
