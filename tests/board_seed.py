"""The board tests' campaign and store: what its units did up to NOW, and the expected
renderings. Shared by tests/test_board.py and tests/test_status_cli.py."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col

from thidua.campaign.loading import LoadedCampaign, load_campaign
from thidua.campaign.plan import compile_plan
from thidua.store import crud
from thidua.store.db import session_scope
from thidua.store.models import Delivery, Nomination

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CODE = "12/KH-TEST"


MILESTONES = """
Milestone(
    kind="kế hoạch triển khai",
    id="ke-hoach",
    when="chậm nhất ngày 20/3/2026",
    reminders=[3],
    escalation=Escalation(after="2 ngày", to="supervisor"),
),
Milestone(
    kind="báo cáo",
    id="so-lieu",
    submit="số liệu chỉ tiêu",
    when="ngày 20 tháng cuối quý",
    recurrence=Recurrence(every="hằng quý"),
    reminders=[2],
),
Milestone(
    kind="hồ sơ khen thưởng",
    id="ho-so",
    when="trong ngày 03 và ngày 04 tháng 6 năm 2026",
    late="refuse",
    required=True,  # nominating is optional by default: no overdue notice, no escalation
    escalation=Escalation(after="1 ngày làm việc", to="group_head"),
),
"""


EXTRA = """
awards=[
    Award(
        name="Bằng khen của Chủ tịch UBND tỉnh",
        code="BK",
        quota=Quota(per_unit=1, overrides={"CUM-X": 2, "SO-B": 3}),
    ),
    Award(
        name="Giấy khen của Giám đốc Sở",
        quota=Quota(max_ratio="50%", ratio_of="units_and_headcount"),
    ),
],
targets=[
    Target(
        code="sang-kien",
        description="100% cán bộ có ít nhất 01 sáng kiến",
        numerator="Số cán bộ có sáng kiến",
        denominator="Tổng số cán bộ",
        goal="100%",
        per="year",
    ),
    Target(code="hoi-thi", description="Ít nhất 3 hội thi", numerator="Số hội thi", goal=3),
],
"""


#: "Now" of the board tests: after the nomination window, before the second quarter's figures.
NOW = datetime(2026, 6, 10, 10, 0, tzinfo=VN)
GIAY_KHEN = "giay_khen_cua_giam_doc_so"


def vn(day: int, month: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=VN)


def nomination(
    unit: str, award: str, n: int, status: str = "submitted", kind: str = "ca_nhan"
) -> Nomination:
    return Nomination(
        campaign_code=CODE,
        unit_code=unit,
        award=award,
        nominee_kind=kind,
        nominee_name=f"Người {unit} {award} {n}",
        nominee_key=f"nguoi_{unit}_{award}_{n}".lower(),
        achievement="Hoàn thành xuất sắc nhiệm vụ",
        achievement_key=f"hoan_thanh_{n}",
        submitted_at=vn(3, 6),
        status=status,
    )


def deliver(session, key: str, unit: str, status: str = "sent", at: datetime | None = None) -> None:
    """A delivery of action `key` to `unit`, ended with `status` (sent at `at`)."""
    occurrence = key.split("/")[1]
    claim = crud.claim_delivery(
        session,
        campaign_code=CODE,
        action_key=key,
        occurrence="" if occurrence == "-" else occurrence,
        unit_code=unit,
        channel="0-outbox",
    )
    assert claim is not None
    crud.finish_delivery(
        session,
        delivery_id=claim.id,
        status=status,
        error="hộp thư đầy" if status != "sent" else None,
    )
    if at is not None:
        session.exec(update(Delivery).where(col(Delivery.id) == claim.id).values(sent_at=at))
        session.commit()


def seed(engine: Engine | None, path: Path) -> LoadedCampaign:
    """Record the campaign of `path` as deployed, and what its units did up to NOW."""
    loaded = load_campaign(path)
    plan = compile_plan(loaded.spec, loaded.registry)
    spec = loaded.spec
    with session_scope(engine) as session:
        crud.upsert_campaign(
            session,
            code=CODE,
            title=spec.title,
            file=str(path),
            organizer=spec.organizer,
            spec_hash="x",
            period_start=spec.period.start,
            period_end=spec.period.end,
        )
        crud.sync_units(
            session,
            campaign_code=CODE,
            units=list(loaded.registry),
            participants=plan.participants,
            organizer=spec.organizer,
        )
        for action in plan.actions:
            status = "done" if action.at < NOW else "scheduled"
            crud.save_action(
                session,
                campaign_code=CODE,
                key=action.key,
                status=status,
                **crud.action_fields(action),
            )
        crud.save_action(
            session,
            campaign_code=CODE,
            key="ho-so/-/overdue",
            status="failed",
            error="SMTP từ chối kết nối",
        )
        # Implementing plan, due 20/3: reminders 17/3 and 20/3, overdue 23/3, escalation 23/3.
        for unit in ("SO-A", "SO-B", "XA-1"):
            deliver(session, "ke-hoach/-/reminder/3d", unit)
        deliver(session, "ke-hoach/-/reminder/3d", "XA-2", status="failed_permanent")
        deliver(session, "ke-hoach/-/due", "XA-1")
        deliver(session, "ke-hoach/-/due", "XA-2")
        deliver(session, "ke-hoach/-/overdue", "XA-1")
        deliver(session, "ke-hoach/-/escalation", "UBND", at=vn(23, 3, 8))
        record = crud.record_submission
        record(
            session,
            campaign_code=CODE,
            milestone="ke-hoach",
            occurrence="",
            unit_code="SO-A",
            submitted_at=vn(18, 3),
        )
        record(
            session,
            campaign_code=CODE,
            milestone="ke-hoach",
            occurrence="",
            unit_code="SO-B",
            submitted_at=vn(22, 3),
            timing="late",
        )
        record(
            session,
            campaign_code=CODE,
            milestone="ke-hoach",
            occurrence="",
            unit_code="XA-2",
            submitted_at=vn(24, 3),
            timing="late",
        )
        # Figures: first quarter, then the second quarter early in June (SO-A only).
        record(
            session,
            campaign_code=CODE,
            milestone="so-lieu",
            occurrence="2026-Q1",
            unit_code="SO-A",
            submitted_at=vn(19, 3),
            requirement="target_figures",
            figures={"sang-kien": {"value": 17, "base": 20}, "hoi-thi": {"value": 3, "base": None}},
        )
        record(
            session,
            campaign_code=CODE,
            milestone="so-lieu",
            occurrence="2026-Q1",
            unit_code="XA-1",
            submitted_at=vn(21, 3),
            timing="late",
            figures={"sang-kien": {"value": 9, "base": 12}, "hoi-thi": {"value": 1, "base": None}},
        )
        record(
            session,
            campaign_code=CODE,
            milestone="so-lieu",
            occurrence="2026-Q2",
            unit_code="SO-A",
            submitted_at=vn(8, 6),
            figures={"sang-kien": {"value": 20, "base": 20}},
        )
        # Nomination window 3–4/6: SO-A too early, XA-1 on time, the others missing.
        record(
            session,
            campaign_code=CODE,
            milestone="ho-so",
            occurrence="",
            unit_code="SO-A",
            submitted_at=vn(1, 6),
            timing="early",
        )
        record(
            session,
            campaign_code=CODE,
            milestone="ho-so",
            occurrence="",
            unit_code="XA-1",
            submitted_at=vn(4, 6, 16),
        )
        deliver(session, "ho-so/-/escalation", "SO-A", at=vn(5, 6, 8))  # head of SO-B's khối
        deliver(session, "ho-so/-/escalation", "XA-1", status="failed_transient")
        session.add(nomination("SO-A", "BK", 1))
        session.add_all(nomination("SO-B", "BK", n) for n in (1, 2))
        session.add_all(nomination("XA-1", "BK", n) for n in (1, 2))
        session.add(nomination("XA-1", "BK", 3, status="withdrawn"))
        session.add_all(nomination("XA-2", "BK", n) for n in (1, 2, 3))
        session.add_all(nomination("SO-A", GIAY_KHEN, n, kind="tap_the") for n in (1, 2))
        session.add(nomination("SO-A", GIAY_KHEN, 3))
        session.add(nomination("XA-2", GIAY_KHEN, 1, kind="tap_the"))
        session.add(nomination("XA-1", GIAY_KHEN, 1, status="not_awarded"))
    return loaded


GRID = """\
Tình hình nộp của đơn vị (1/2)
┌────────┬──────────────────────┬────────────────────┐
│        │ Kế hoạch             │ Số liệu quý I/2026 │
│ Đơn vị │ hạn 20/03/2026       │ hạn 20/03/2026     │
├────────┼──────────────────────┼────────────────────┤
│ XA-1   │ thiếu                │ trễ 1 ngày         │
│        │ nhắc 3, báo cấp trên │                    │
│ XA-2   │ trễ 4 ngày           │ thiếu              │
│        │ nhắc 1, báo cấp trên │                    │
│ SO-A   │ ✓ 18/3               │ ✓ 19/3             │
│        │ nhắc 1               │                    │
│ SO-B   │ trễ 2 ngày           │ thiếu              │
│        │ nhắc 1               │                    │
├────────┼──────────────────────┼────────────────────┤
│ Đã nộp │ 3/4 (trễ 2)          │ 2/4 (trễ 1)        │
└────────┴──────────────────────┴────────────────────┘
"""


FAILURES = """\
Gửi thông báo không thành công tới 2 đơn vị
┌────────┬──────────────────────────────────────────────────┬──────────────────┐
│ Đơn vị │ Thông báo                                        │ Lý do            │
├────────┼──────────────────────────────────────────────────┼──────────────────┤
│ XA-1   │ Báo cáo cấp trên: đơn vị chưa nộp hồ sơ          │ hộp thư đầy      │
│        │ (05/06/2026)                                     │                  │
│ XA-2   │ Nhắc hạn nộp kế hoạch triển khai (còn 3 ngày)    │ hộp thư đầy      │
│        │ (17/03/2026)                                     │                  │
└────────┴──────────────────────────────────────────────────┴──────────────────┘
"""
