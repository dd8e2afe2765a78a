"""The 2023 campaign's store at the end of its run, and its facts: shared by
tests/test_report.py and tests/test_report_docx.py."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine

from thidua.campaign.loading import LoadedCampaign
from thidua.campaign.plan import compile_plan
from thidua.documents.facts import gather_facts
from thidua.documents.period import ReportKind, default_period
from thidua.documents.tallies import CampaignFacts
from thidua.ledger import deliveries
from thidua.store import campaign_rows, submission_rows
from thidua.store.db import session_scope
from thidua.store.models import Nomination

from .conftest import CAMPAIGNS

C2023 = CAMPAIGNS / "ubnd_2023_75_nam_thi_dua_ai_quoc.py"
CODE_2023 = "75NAM-TDAQ/KH-UBND"
TODAY = date(2026, 11, 20)


def at(y: int, m: int, d: int, h: int = 3) -> datetime:
    return datetime(y, m, d, h, tzinfo=UTC)


def nomination(code: str, unit: str, name: str, kind: str, status: str, **kw: object) -> Nomination:
    fields: dict = {
        "campaign_code": code,
        "unit_code": unit,
        "award": "bang_khen_cua_chu_tich_uy_ban_nhan_dan_tinh",
        "nominee_kind": kind,
        "nominee_name": name,
        "nominee_key": name.lower(),
        "achievement": f"Thành tích của {name}",
        "achievement_key": name.lower(),
        "milestone": "ho-so-bang-khen",
        "status": status,
        "submitted_at": at(2023, 7, 3),
    }
    return Nomination(**{**fields, **kw})


def deliver(session, code: str, key: str, unit: str, status: str, occurrence: str = "") -> None:
    claim = deliveries.claim_delivery(
        session,
        campaign_code=code,
        action_key=key,
        occurrence=occurrence,
        unit_code=unit,
        channel="0-outbox",
    )
    assert claim is not None
    deliveries.finish_delivery(session, delivery_id=claim.id, status=status, error=None)


def seed_2023(engine: Engine, loaded: LoadedCampaign) -> None:
    """A plausible end state of the 2023 campaign."""
    plan = compile_plan(loaded.spec, loaded.registry)
    spec = loaded.spec
    with session_scope(engine) as s:
        campaign_rows.upsert_campaign(
            s,
            code=CODE_2023,
            title=spec.title,
            file=str(C2023),
            organizer=spec.organizer,
            spec_hash="-",
            period_start=spec.period.start,
            period_end=spec.period.end,
        )
        for unit, timing in [
            ("SNV", "on_time"),
            ("SGDDT", "on_time"),
            ("SYT", "late"),
            ("HUYEN-HOA-AN", "on_time"),
        ]:
            submission_rows.record_submission(
                s,
                campaign_code=CODE_2023,
                milestone="bao-cao-ket-qua",
                occurrence="",
                unit_code=unit,
                submitted_at=at(2023, 7, 8),
                timing=timing,
                requirement="report",
            )
        s.add(
            nomination(
                CODE_2023,
                "SYT",
                "Nguyễn Văn An",
                "ca_nhan",
                "accepted",
                position="Bác sĩ",
                workplace="Bệnh viện Đa khoa tỉnh",
            )
        )
        s.add(nomination(CODE_2023, "SYT", "Khoa Nhi", "tap_the", "awarded"))
        s.add(
            nomination(
                CODE_2023,
                "SGDDT",
                "Hộ ông Nông Văn Bình",
                "ho_gia_dinh",
                "accepted",
                workplace="xã Hưng Đạo",
            )
        )
        # No milestone recorded: the campaign's only nomination milestone is meant.
        s.add(
            nomination(
                CODE_2023,
                "HUYEN-HOA-AN",
                "Trường Tiểu học Hòa An",
                "tap_the",
                "submitted",
                milestone=None,
            )
        )
        s.add(
            nomination(
                CODE_2023,
                "SNV",
                "Phòng Tổ chức",
                "tap_the",
                "returned",
                submitted_at=at(2023, 7, 4),
            )
        )
        s.add(nomination(CODE_2023, "STC", "Bà Lê Thị Cúc", "ca_nhan", "withdrawn"))
        by_key = {a.key: a for a in plan.actions}
        statuses = {
            "launch/-/launch": ("done", None),
            "bao-cao-ket-qua/-/reminder/5d": ("done", None),
            "bao-cao-ket-qua/-/overdue": ("failed", "máy chủ thư không trả lời"),
        }
        for key, (status, error) in statuses.items():
            campaign_rows.save_action(
                s,
                campaign_code=CODE_2023,
                key=key,
                status=status,
                error=error,
                **campaign_rows.action_fields(by_key[key]),
            )
        for unit in ("SNV", "SYT", "SGDDT"):
            deliver(s, CODE_2023, "launch/-/launch", unit, "sent")
        deliver(s, CODE_2023, "bao-cao-ket-qua/-/reminder/5d", "STC", "sent")
        deliver(s, CODE_2023, "bao-cao-ket-qua/-/reminder/5d", "STP", "failed_permanent")
        deliver(s, CODE_2023, "bao-cao-ket-qua/-/overdue", "STC", "failed_transient")


def facts_2023(engine: Engine, loaded: LoadedCampaign) -> CampaignFacts:
    plan = compile_plan(loaded.spec, loaded.registry)
    period = default_period(loaded.spec, plan, ReportKind.SUMMARY, TODAY)
    with session_scope(engine) as s:
        return gather_facts(
            s,
            spec=loaded.spec,
            registry=loaded.registry,
            kind=ReportKind.SUMMARY,
            period=period,
            today=TODAY,
            plan=plan,
        )
