"""Every shipped campaign's reports read as an office writes them (issue 10, reports).

Each campaign in campaigns/ gets a store holding every kind of record a report reads
(actions in every status, deliveries of every outcome including the organizer's
failure report, nominations in every status, late and missing submissions); its sơ
kết and tổng kết are rendered as Markdown and as DOCX, and the text is searched for
what an office never writes: machine phrasing, internal keys, status codes, English
words of the store, an unnamed place. A new sentence that slips one in fails here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy.engine import Engine

from thidua.campaign.kinds import NomineeKind
from thidua.campaign.loading import LoadedCampaign, load_campaign
from thidua.campaign.plan import compile_plan
from thidua.documents.docx import write_docx
from thidua.documents.facts import gather_facts
from thidua.documents.issuer import PLACE_PLACEHOLDER, campaign_subject, province
from thidua.documents.layout import to_markdown
from thidua.documents.period import ReportKind, default_period
from thidua.documents.report import build_report
from thidua.ledger import deliveries
from thidua.ledger.dossier import award_key
from thidua.ledger.statuses import ActionStatus, NominationStatus
from thidua.registry import parse_registry
from thidua.store import campaign_rows, submission_rows
from thidua.store.db import session_scope
from thidua.store.models import Nomination

from .conftest import CAMPAIGNS

SHIPPED = sorted(p for p in CAMPAIGNS.glob("*.py") if not p.name.startswith("_"))

#: what an office never writes, each with why
FORBIDDEN = {
    r"(?i)\bhệ thống\b": "machine phrasing (“hệ thống …”)",
    r"(?i)ghi nhận": "machine phrasing (“ghi nhận”)",
    r"(?i)trạng thái khác": "an unnamed status",
    r"#\w+": "an internal delivery key (“due#loi”)",
    r"/-/": "an action key",
    r"\b\d{4}-Q[1-4]\b": "an occurrence key instead of “quý IV/2027”",
    r"\b[a-z]+_[a-z_]+\b": "a snake_case code",
    (
        r"(?i)\b(?:launch|reminder|overdue|escalation|compile|submitted|resubmitted|accepted|"
        r"returned|awarded|withdrawn|pending|failed|done|scheduled|planned|skipped|cancelled|"
        r"running|sent|None|null)\b"
    ): "an English word of the store",
    re.escape(PLACE_PLACEHOLDER): "a place the report could not name",
    r"(?i)\b(?:flow|exception|error|traceback|connection)\b": "an engine's English message",
}


#: what a failed action may have recorded: the product's words, or the engine's
ERRORS = (
    "máy chủ thư không trả lời",
    "Flow run encountered an exception. SMTPServerDisconnected: Connection unexpectedly closed",
)


def _at(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _seed(engine: Engine, loaded: LoadedCampaign) -> None:
    spec, registry = loaded.spec, loaded.registry
    plan = compile_plan(spec, registry)
    units = list(plan.participants)
    statuses = list(ActionStatus)
    with session_scope(engine) as s:
        campaign_rows.upsert_campaign(
            s,
            code=spec.code,
            title=spec.title,
            file=str(loaded.path),
            organizer=spec.organizer,
            spec_hash="-",
            period_start=spec.period.start,
            period_end=spec.period.end,
        )
        for i, action in enumerate(plan.actions[: 2 * len(statuses)]):
            status = statuses[i % len(statuses)]
            campaign_rows.save_action(
                s,
                campaign_code=spec.code,
                key=action.key,
                status=status,
                error=ERRORS[(i // len(statuses) + 1) % 2]
                if status is ActionStatus.FAILED
                else None,
                **campaign_rows.action_fields(action),
            )
            outcomes = ("sent", "failed_permanent", "failed_transient")
            for j, key in enumerate((action.key, f"{action.key}#loi")):
                claim = deliveries.claim_delivery(
                    s,
                    campaign_code=spec.code,
                    action_key=key,
                    occurrence=action.occurrence,
                    unit_code=units[i % len(units)],
                    channel=f"{j}-outbox",
                )
                assert claim is not None
                deliveries.finish_delivery(
                    s, delivery_id=claim.id, status=outcomes[(i + j) % 3], error=None
                )
        due = [o for o in plan.occurrences if o.milestone.requirement.value != "none"]
        for occ in due[:3]:
            for unit, timing in zip(units[:2], ("on_time", "late"), strict=False):
                submission_rows.record_submission(
                    s,
                    campaign_code=spec.code,
                    milestone=occ.milestone.key,
                    occurrence=occ.key,
                    unit_code=unit,
                    submitted_at=_at(datetime.combine(occ.due, datetime.min.time(), UTC)),
                    timing=timing,
                    requirement=occ.milestone.requirement.value,
                )
        award = award_key(spec.awards[0]) if spec.awards else "bang_khen"
        kinds = list(NomineeKind)
        for i, status in enumerate(NominationStatus):
            name = f"Nguyễn Văn {chr(ord('A') + i)}"
            s.add(
                Nomination(
                    campaign_code=spec.code,
                    unit_code=units[i % len(units)],
                    award=award,
                    nominee_kind=kinds[i % len(kinds)].value,
                    nominee_name=name,
                    nominee_key=name.lower(),
                    achievement=f"Thành tích của {name}",
                    achievement_key=name.lower(),
                    milestone=None,
                    status=status.value,
                    submitted_at=_at(datetime.combine(spec.period.start, datetime.min.time(), UTC)),
                    position="Chuyên viên",
                    workplace="Văn phòng",
                )
            )


def _docx_text(path: Path) -> str:
    document = Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _without_quoted_names(text: str, loaded: LoadedCampaign) -> str:
    """The plan's own words (titles, contents, code) are the admin's, not the report's."""
    spec = loaded.spec
    for own in [spec.title, campaign_subject(spec), spec.code, *spec.contents]:
        text = text.replace(own, "")
    return text


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_report_reads_as_an_office_writes(
    path: Path, sqlite_db: Engine, tmp_path: Path
) -> None:
    loaded = load_campaign(path)
    _seed(sqlite_db, loaded)
    plan = compile_plan(loaded.spec, loaded.registry)
    today = loaded.spec.period.end + timedelta(days=30)  # from the plan, never the clock
    problems = []
    for kind in ReportKind:
        period = default_period(loaded.spec, plan, kind, today)
        with session_scope(sqlite_db) as s:
            facts = gather_facts(
                s,
                spec=loaded.spec,
                registry=loaded.registry,
                kind=kind,
                period=period,
                today=today,
                plan=plan,
            )
        report = build_report(facts)
        docx = write_docx(report, tmp_path / f"{kind.value}.docx")
        for shown, text in (("md", to_markdown(report)), ("docx", _docx_text(docx))):
            text = _without_quoted_names(text, loaded)
            for pattern, why in FORBIDDEN.items():
                for m in re.finditer(pattern, text):
                    line = text[max(0, m.start() - 60) : m.end() + 30].replace("\n", " ")
                    problems.append(f"{kind.value}/{shown}: {why}: “{m.group(0)}” in …{line}…")
    assert problems == [], "\n".join(problems[:20])


@pytest.mark.parametrize(
    ("issuer", "registry_name", "unit_names", "expected"),
    [
        ("Ủy ban nhân dân tỉnh Cao Bằng", None, [], "Cao Bằng"),
        ("Sở Ngoại vụ tỉnh Cao Bằng", None, [], "Cao Bằng"),
        # The issuer does not say it: the registry's name, then the units' names do.
        ("Ban Thường vụ Tỉnh ủy", "Tỉnh Cao Bằng (2026)", [], "Cao Bằng"),
        ("Sở Nội vụ", None, ["Ủy ban nhân dân tỉnh Lạng Sơn", "Công an tỉnh Lạng Sơn"], "Lạng Sơn"),
        ("Ủy ban nhân dân thành phố Hà Nội", None, [], "Hà Nội"),
        # A provincial city inside a province: the province wins.
        ("Ủy ban nhân dân thành phố Cao Bằng", "Tỉnh Cao Bằng", [], "Cao Bằng"),
        ("Công an tỉnh", None, ["Sở Tư pháp"], None),
    ],
)
def test_the_place_line_names_the_province(
    issuer: str, registry_name: str | None, unit_names: list[str], expected: str | None
) -> None:
    loaded = load_campaign(CAMPAIGNS / "ubnd_2023_75_nam_thi_dua_ai_quoc.py")
    units = [{"code": "BTDKT", "name": "Ban Thi đua - Khen thưởng", "kind": "so_ban_nganh"}]
    units += [
        {"code": f"U{i}", "name": name, "kind": "so_ban_nganh"} for i, name in enumerate(unit_names)
    ]
    data: dict = {"units": units}
    if registry_name:
        data["name"] = registry_name
    registry = parse_registry(data, check_contacts=False)
    spec = loaded.spec.model_copy(update={"issuer": issuer})
    assert province(spec, registry) == expected
