"""A page of the board (`thidua.board.page`), which the Prefect artifact publishes, against
the whole board (`build_board`) cut at the same limit: the same rows in the same order,
the same text, description, summaries and failures, with only the listed units built."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from thidua.board.build import build_board
from thidua.board.page import page_board
from thidua.board.read import read_rows
from thidua.board.rows import Board, StoreRows
from thidua.campaign.loading import LoadedCampaign, load_campaign
from thidua.campaign.plan import Plan, compile_plan
from thidua.ledger import deliveries
from thidua.ledger.digest import DIGEST_ACTION, DIGEST_SCOPE
from thidua.store import submission_rows
from thidua.store.db import session_scope

from .board_fixtures import CODE, EXTRA, MILESTONES, NOW, deliver, nomination, seed

pytest.importorskip("prefect")  # board_description lives with the Prefect task

#: Besides the fixtures' milestones: one addressed to a group and to a unit that does not
#: take part (it gets a row after the participants), and one to the participants' heads.
MORE_MILESTONES = (
    MILESTONES
    + """
Milestone(
    kind="báo cáo",
    id="cum",
    when="chậm nhất ngày 30/4/2026",
    audience=["CUM-X", "DOAN"],
),
"""
)


def big_registry(n: int) -> str:
    """A registry of `n` communes in CUM-X (some on the weekly digest) beside the fixtures'."""
    lines = [
        "name: Tỉnh thử nghiệm",
        "groups:",
        "  - {code: KHOI-A, name: Khối A, kind: khoi, head: SO-A}",
        "  - {code: CUM-X, name: Cụm xã, kind: cum, head: XA-1}",
        "units:",
        '  - {code: UBND, name: UBND tỉnh, kind: co_quan_tinh, contacts: ["outbox://ubnd"]}',
        "  - {code: BTDKT, name: Ban Thi đua - Khen thưởng, kind: phong, supervisor: UBND,",
        '     contacts: ["outbox://btdkt"]}',
        "  - {code: DOAN, name: Đoàn thanh niên, kind: phong, supervisor: UBND,",
        '     contacts: ["outbox://doan"]}',
        "  - {code: SO-A, name: Sở A, kind: so_nganh, groups: [KHOI-A], supervisor: UBND,",
        '     headcount: 20, contacts: ["outbox://so-a"]}',
        "  - {code: SO-B, name: Sở B, kind: so_nganh, groups: [KHOI-A], supervisor: UBND,",
        '     headcount: 30, contacts: ["outbox://so-b"]}',
    ]
    for i in range(1, n + 1):
        digest = ", digest: weekly" if i % 7 == 3 else ""
        lines.append(
            f"  - {{code: XA-{i}, name: UBND xã số {i}, kind: xa, groups: [CUM-X], "
            f'supervisor: UBND, headcount: {5 + i % 9}, contacts: ["outbox://xa-{i}"]{digest}}}'
        )
    return "\n".join(lines) + "\n"


def full_and_page(
    engine: Engine, loaded: LoadedCampaign, limit: int, now: datetime = NOW
) -> tuple[Board, Board]:
    plan: Plan = compile_plan(loaded.spec, loaded.registry)
    with session_scope(engine) as session:
        rows = read_rows(session, code=CODE)
        page = page_board(
            session,
            code=CODE,
            title=loaded.spec.title,
            plan=plan,
            registry=loaded.registry,
            now=now,
            limit=limit,
        )
    if rows is None:  # as publish_board did before pages: the plan alone
        rows = StoreRows(CODE, loaded.spec.title, "active")
    return build_board(rows, plan, loaded.registry, now=now), page


def assert_same_artifact(full: Board, page: Board, limit: int) -> None:
    from thidua.tasks.board import board_description

    assert page.table_rows(limit=limit) == full.table_rows(limit=limit)
    assert board_description(page) == board_description(full)
    assert page.unit_count == len(full.units)
    assert len(page.units) == min(limit, len(full.units))
    assert page.units == full.units[:limit]
    assert page.summaries == full.summaries
    assert page.failures == full.failures
    assert page.awards == full.awards
    assert page.actions == full.actions


@pytest.fixture
def campaign(write_campaign: Callable[..., Path]) -> Path:
    return write_campaign(MILESTONES, extra=EXTRA)


@pytest.mark.parametrize("limit", [0, 1, 2, 3, 4, 5])
def test_the_fixture_board_at_every_cut(fresh_db: Engine, campaign: Path, limit: int) -> None:
    loaded = seed(fresh_db, campaign)
    full, page = full_and_page(fresh_db, loaded, limit)
    assert_same_artifact(full, page, limit)
    if limit < 4:  # the count row: the others are counted, not built
        assert page.table_rows(limit=limit)[-1]["Mã"] == "…"


def test_a_campaign_not_recorded_yet_is_the_plan_alone(
    fresh_db: Engine, write_campaign: Callable[..., Path]
) -> None:
    loaded = load_campaign(write_campaign(MILESTONES, extra=EXTRA))
    full, page = full_and_page(fresh_db, loaded, 2)
    assert page.actions == [] and page.failures == []
    assert_same_artifact(full, page, 2)


def seed_big(engine: Engine, loaded: LoadedCampaign, n: int) -> None:
    """Submissions of every timing, reminders, escalations, failures (of listed and unlisted
    units, and of one without a row), nominations and weekly digests, drawn with a seed."""
    draw = random.Random(15)
    plan = compile_plan(loaded.spec, loaded.registry)
    communes = [f"XA-{i}" for i in range(1, n + 1)]
    occurrences = [(c.milestone, c.occurrence) for c in _columns(plan)]
    with session_scope(engine) as session:
        for unit in ["DOAN", *communes[2:]]:  # the others have the fixtures' own records
            for milestone, occurrence in occurrences:
                if draw.random() < 0.45:
                    submission_rows.record_submission(
                        session,
                        campaign_code=CODE,
                        milestone=milestone,
                        occurrence=occurrence,
                        unit_code=unit,
                        submitted_at=NOW.replace(month=draw.choice([3, 4, 5])),
                        timing=draw.choice(["on_time", "late", "early"]),
                        figures={"sang-kien": {"value": draw.randint(1, 20), "base": 20}},
                    )
            if draw.random() < 0.5:
                deliver(session, "ke-hoach/-/reminder/3d", unit)
            if draw.random() < 0.15:
                deliver(session, "ke-hoach/-/due", unit, status="failed_permanent")
            if draw.random() < 0.3:
                session.add(nomination(unit, "BK", draw.randint(1, 3)))
            if draw.random() < 0.2:
                _digest(session, unit, draw.choice(["2026-W22", "2026-W23"]))
        deliver(session, "ke-hoach/-/due", "UBND", status="failed_transient")  # no row
        deliver(session, "cum/-/due", "XA-9", status="failed_permanent")


def _columns(plan: Plan) -> list:
    from thidua.board.build import board_columns

    return board_columns(plan)


def _digest(session, unit: str, week: str) -> None:
    claim = deliveries.claim_delivery(
        session,
        campaign_code=DIGEST_SCOPE,
        action_key=DIGEST_ACTION,
        occurrence=week,
        unit_code=unit,
        channel="0-outbox",
    )
    assert claim is not None
    deliveries.finish_delivery(session, delivery_id=claim.id, status="sent", error=None)


@pytest.fixture
def big(fresh_db: Engine, write_campaign: Callable[..., Path]) -> LoadedCampaign:
    path = write_campaign(MORE_MILESTONES, extra=EXTRA)
    (path.parent / "units.yaml").write_text(big_registry(40), encoding="utf-8")
    loaded = seed(fresh_db, path)
    seed_big(fresh_db, loaded, 40)
    return loaded


@pytest.mark.parametrize("limit", [0, 1, 6, 17, 43, 44, 100])
def test_a_larger_board_above_the_limit(fresh_db: Engine, big: LoadedCampaign, limit: int) -> None:
    full, page = full_and_page(fresh_db, big, limit)
    # What this board exercises: failing units lead, a unit without a row fails too, a
    # non-participant owes a column (its row comes last), units on the weekly digest.
    codes = [u.code for u in full.units]
    assert len(codes) == 43 and codes[-1] == "DOAN"
    assert len(full.failures) > 3 and "UBND" in {f.unit for f in full.failures}
    assert any(u.digest for u in full.units[10:]) and "Lỗi gửi" in full.table_rows()[0]
    assert_same_artifact(full, page, limit)


def test_before_the_due_dates_nothing_is_counted_missing(
    fresh_db: Engine, big: LoadedCampaign
) -> None:
    early = datetime(2026, 3, 19, 12, 0, tzinfo=NOW.tzinfo)
    full, page = full_and_page(fresh_db, big, 5, now=early)
    assert_same_artifact(full, page, 5)
    assert page.summaries["ke-hoach/-"].missing == 0
