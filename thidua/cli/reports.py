"""`thidua report`: write the sơ kết / tổng kết report of a campaign (Markdown and DOCX)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add `thidua report` to the `thidua` parser."""
    p = sub.add_parser(
        "report",
        help="viết báo cáo sơ kết, tổng kết từ số liệu đã ghi nhận (Markdown, DOCX)",
    )
    p.add_argument("code", metavar="MÃ", help="số ký hiệu của kế hoạch, ví dụ 641/KH-UBND")
    p.add_argument(
        "--loai",
        "--kind",
        dest="loai",
        choices=["so-ket", "tong-ket"],
        required=True,
        help="loại báo cáo: so-ket (sơ kết) hoặc tong-ket (tổng kết)",
    )
    p.add_argument(
        "--ky",
        "--period",
        dest="ky",
        metavar="KỲ",
        help="kỳ báo cáo: 2027-Q4, 2027 hoặc “quý IV/2027”; mặc định: theo mốc sơ kết, "
        "tổng kết của kế hoạch",
    )
    p.add_argument(
        "--thu-muc",
        "--out",
        dest="out",
        metavar="THƯ-MỤC",
        help="nơi ghi tệp; mặc định: <data_dir>/reports",
    )
    p.add_argument(
        "--dinh-dang",
        "--format",
        dest="format",
        choices=["md", "docx", "both"],
        default="both",
        help="Markdown (md), Word (docx) hoặc cả hai (both, mặc định)",
    )
    p.add_argument(
        "--co-quan",
        "--issuer",
        dest="co_quan",
        choices=["to-chuc", "ban-hanh"],
        default="to-chuc",
        help="cơ quan ban hành báo cáo: to-chuc = cơ quan tổ chức, tổng hợp (mặc định); "
        "ban-hanh = cơ quan ban hành kế hoạch",
    )
    p.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    """Gather the facts, build the report, write the files and print their paths."""
    from thidua.campaign.lookup import find_campaign
    from thidua.config import get_settings
    from thidua.documents.period import ReportKind
    from thidua.documents.report_files import make_report, write_report_files

    settings = get_settings()
    loaded = find_campaign(args.code)
    kind = ReportKind(args.loai)
    out = Path(args.out) if args.out else settings.data_dir / "reports"
    today = _today(settings.timezone)
    report, _ = make_report(
        loaded.spec, loaded.registry, kind=kind, ky=args.ky, today=today, issued_by=args.co_quan
    )
    for path in write_report_files(report, out, formats=args.format):
        print(path)
    return 0


def _today(timezone: str) -> date:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(timezone)).date()
