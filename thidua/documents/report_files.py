"""Make a report from the configured store and write it as Markdown and/or DOCX."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from thidua.campaign.plan import compile_plan
from thidua.campaign.spec import Campaign
from thidua.config import get_settings
from thidua.documents.facts import gather_facts
from thidua.documents.issuer import IssuedBy
from thidua.documents.layout import Report, to_markdown
from thidua.documents.period import Period, ReportKind, default_period, parse_period
from thidua.documents.report import build_report
from thidua.documents.tallies import CampaignFacts
from thidua.errors import InputError
from thidua.registry import Registry
from thidua.store.db import session_scope


def make_report(
    spec: Campaign,
    registry: Registry,
    *,
    kind: ReportKind,
    today: date,
    ky: str | None = None,
    period: Period | None = None,
    issued_by: IssuedBy = "to-chuc",
) -> tuple[Report, CampaignFacts]:
    """The report (and its facts) of a campaign, read from the configured store."""
    settings = get_settings()
    plan = compile_plan(spec, registry, notice_time=settings.notice_time)
    if period is None:
        period = parse_period(ky, spec) if ky else default_period(spec, plan, kind, today)
    with session_scope() as session:
        facts = gather_facts(
            session,
            spec=spec,
            registry=registry,
            kind=kind,
            period=period,
            today=today,
            plan=plan,
            timezone=settings.timezone,
        )
    return build_report(facts, issued_by=issued_by), facts


def write_report_files(report: Report, out: Path, *, formats: str = "both") -> list[Path]:
    """Write the Markdown and/or DOCX of `report` into `out`; the paths written."""
    if out.exists() and not out.is_dir():
        raise InputError(
            f"thư mục ghi báo cáo “{out}” là một tệp, không phải thư mục",
            field="out_dir",
            value=str(out),
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        if formats in ("md", "both"):
            md = out / f"{report.file_stem}.md"
            md.write_text(to_markdown(report), encoding="utf-8")
            paths.append(md)
        if formats in ("docx", "both"):
            # python-docx and lxml (~7 MB) only for a DOCX: `--format md` and the
            # portal's previews build the report without them.
            from thidua.documents.docx import write_docx

            paths.append(write_docx(report, out / f"{report.file_stem}.docx"))
    except OSError as exc:
        raise InputError(
            f"không ghi được báo cáo vào thư mục “{out}”: {exc.strerror or exc}",
            field="out_dir",
            value=str(out),
        ) from None
    return paths
