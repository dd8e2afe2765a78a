"""The Prefect task that writes a sơ kết / tổng kết report when its action runs.

The report is built from the store by the `thidua` core (`thidua.documents.report`); this task
only picks its kind and period from the action, saves the Markdown and DOCX under
the data dir, and publishes the Markdown as an artifact that links the DOCX.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from thidua.tasks.actions import ActionContext, artifact_key

from thidua.campaign.kinds import MilestoneKind
from thidua.config import get_settings
from thidua.documents.period import ReportKind, occurrence_period

KINDS = {MilestoneKind.REVIEW: ReportKind.REVIEW, MilestoneKind.SUMMARY: ReportKind.SUMMARY}


@dataclass
class ReportFiles:
    """Where a run's report was saved, and the key of its artifact."""

    markdown: Path
    docx: Path
    artifact_key: str


def report_artifact_key(code: str, kind: ReportKind) -> str:
    """`<campaign slug>-bao-cao-so-ket` or `…-bao-cao-tong-ket`."""
    return f"{artifact_key(code)}-bao-cao-{kind.value}"


@task(cache_policy=NO_CACHE)
def write_report(ctx: ActionContext, now: datetime | None = None) -> ReportFiles | None:
    """Write the report of the action's sơ kết / tổng kết occurrence; None for other actions."""
    spec, action = ctx.loaded.spec, ctx.action
    kind = KINDS.get(spec.milestone(action.milestone).kind)
    if kind is None:
        get_run_logger().info("Action %s is not a sơ kết / tổng kết; no report", action.key)
        return None
    # The report's builders (the store's facts, the DOCX writer: python-docx and lxml) load
    # only in a run that writes one: every action's worker imports this task.
    from thidua.documents.layout import to_markdown
    from thidua.documents.report_files import make_report, write_report_files

    occurrence = next(
        o
        for o in ctx.plan.occurrences
        if o.milestone.key == action.milestone and o.key == action.occurrence
    )
    settings = get_settings()
    today = (now or datetime.now(ZoneInfo(settings.timezone))).astimezone(
        ZoneInfo(settings.timezone)
    )
    report, _ = make_report(
        spec,
        ctx.loaded.registry,
        kind=kind,
        today=today.date(),
        period=occurrence_period(occurrence),
    )
    md, docx = write_report_files(report, settings.data_dir / "reports")
    key = report_artifact_key(ctx.code, kind)
    link = f"\n\n---\n\nBản DOCX để chỉnh sửa, trình ký: [{docx.name}]({docx.resolve().as_uri()}) (`{docx.resolve()}`)\n"
    create_markdown_artifact(to_markdown(report) + link, key=key, description=report.description)
    get_run_logger().info("Report written: %s, %s", md, docx)
    return ReportFiles(md, docx, key)
