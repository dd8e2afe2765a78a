"""Which units a milestone concerns: one answer for the plan, the ledger, the board and a run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from thidua.board.build import build_board
from thidua.board.rows import StoreRows
from thidua.campaign.audience import audience, expand, owing, participants
from thidua.campaign.loading import LoadedCampaign, load_campaign
from thidua.campaign.plan import compile_plan
from thidua.errors import SubmissionError
from thidua.ledger.submissions import find_unit

MILESTONES = """
Milestone(kind="báo cáo", id="bao-cao", when="chậm nhất ngày 20/3/2026",
          audience=["KHOI-A", "XA-2"], reminders=[2]),
Milestone(kind="báo cáo", id="tong-hop", when="chậm nhất ngày 25/3/2026", audience="organizer"),
Milestone(kind="mốc khác", id="hoi-nghi", title="Hội nghị", when="ngày 10/4/2026"),
"""


@pytest.fixture
def loaded(write_campaign: Callable[..., Path]) -> LoadedCampaign:
    return load_campaign(write_campaign(MILESTONES))


def test_groups_expand_in_registry_order_once_each(loaded: LoadedCampaign) -> None:
    spec, registry = loaded.spec, loaded.registry
    assert participants(spec, registry) == ("SO-A", "SO-B", "XA-1", "XA-2")
    assert audience(spec, registry, spec.milestone("bao-cao")) == ("SO-A", "SO-B", "XA-2")
    assert expand(["CUM-X", "XA-1", "NOPE"], registry) == ("XA-1", "XA-2")  # XA-1 once
    assert audience(spec, registry, spec.milestone("tong-hop")) == ("BTDKT",)


def test_nobody_owes_an_event_and_the_organizer_owes_itself_nothing(
    loaded: LoadedCampaign,
) -> None:
    spec, registry = loaded.spec, loaded.registry
    assert owing(spec, registry, spec.milestone("hoi-nghi")) == ()
    assert owing(spec, registry, spec.milestone("tong-hop")) == ()
    assert audience(spec, registry, spec.milestone("hoi-nghi")) == participants(spec, registry)
    assert owing(spec, registry, spec.milestone("bao-cao")) == ("SO-A", "SO-B", "XA-2")


def test_the_plan_the_ledger_and_the_board_agree(loaded: LoadedCampaign) -> None:
    spec, registry = loaded.spec, loaded.registry
    milestone = spec.milestone("bao-cao")
    expected = owing(spec, registry, milestone)
    plan = compile_plan(spec, registry)
    notices = {a.recipients for a in plan.actions if a.milestone == "bao-cao"}
    assert notices == {expected}  # every notice of the milestone goes to its audience
    for code in expected:
        assert find_unit(spec, registry, milestone, code.lower())[0] == code
    with pytest.raises(SubmissionError, match="không thuộc đối tượng phải nộp"):
        find_unit(spec, registry, milestone, "XA-1")
    board = build_board(
        StoreRows(spec.code, spec.title, "active"),
        plan,
        registry,
        now=datetime(2026, 3, 1, tzinfo=UTC),
    )
    owed = {u.code for u in board.units if u.cells["bao-cao/-"] is not None}
    assert owed == set(expected)
    assert [c.id for c in board.columns] == ["bao-cao/-"]  # the organizer's is not a column
