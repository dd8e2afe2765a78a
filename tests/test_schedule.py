"""What a (re)deployment changes: the reconcile rules, without Prefect."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from thidua.campaign.plan import Action, ActionKind
from thidua.campaign.schedule import catchup_exceeded, reconcile

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def action(key: str, at: datetime) -> Action:
    return Action(
        key=key,
        campaign="1/KH",
        milestone=key.split("/")[0],
        occurrence="",
        kind=ActionKind.REMINDER,
        at=at,
        title=key,
        template="reminder",
        audience="participants",
        recipients=("A",),
    )


@dataclass
class Rec:
    key: str
    scheduled_at: datetime
    status: str
    flow_run_id: str | None = None


def keys(items) -> list[str]:
    return sorted(getattr(x, "key", None) or x[1].key for x in items)


def test_first_deploy_schedules_the_future_and_passes_the_past() -> None:
    actions = [
        action("a", NOW - 3 * DAY),  # long past: recorded as passed, never sent
        action("b", NOW - timedelta(hours=2)),  # within the catch-up window: still sent
        action("c", NOW + 400 * DAY),  # years away: scheduled now, visible in the UI
    ]
    plan = reconcile(actions, {}, now=NOW, catchup=DAY)
    assert keys(plan.passed) == ["a"]
    assert keys(plan.create) == ["b", "c"]
    assert not plan.move and not plan.cancel


def test_redeploying_an_unchanged_campaign_changes_nothing() -> None:
    actions = [action("a", NOW + DAY), action("b", NOW - 3 * DAY)]
    recorded = {
        "a": Rec("a", NOW + DAY, "scheduled", "run-a"),
        "b": Rec("b", NOW - 3 * DAY, "passed"),
    }
    plan = reconcile(actions, recorded, now=NOW, catchup=DAY)
    assert not plan.changed
    assert keys(plan.keep) == ["a", "b"]


def test_a_moved_action_moves_only_its_run() -> None:
    actions = [action("a", NOW + DAY), action("b", NOW + 5 * DAY)]
    recorded = {
        "a": Rec("a", NOW + DAY, "scheduled", "run-a"),
        "b": Rec("b", NOW + 3 * DAY, "scheduled", "run-b"),
    }
    plan = reconcile(actions, recorded, now=NOW, catchup=DAY)
    assert [(r.flow_run_id, a.at) for r, a in plan.move] == [("run-b", NOW + 5 * DAY)]
    assert keys(plan.keep) == ["a"] and not plan.create and not plan.cancel


def test_a_removed_milestone_cancels_its_future_runs_only() -> None:
    recorded = {
        "gone": Rec("gone", NOW + DAY, "scheduled", "run-1"),
        "done": Rec("done", NOW - DAY, "done", "run-2"),
    }
    plan = reconcile([], recorded, now=NOW, catchup=DAY)
    assert [r.key for r in plan.cancel] == ["gone"]


def test_what_ran_never_runs_again_even_if_its_date_moves() -> None:
    for status in ("done", "running", "failed", "skipped"):
        recorded = {"a": Rec("a", NOW - DAY, status, "run")}
        plan = reconcile([action("a", NOW + DAY)], recorded, now=NOW, catchup=DAY)
        assert not plan.create and not plan.move, status


def test_a_late_scheduled_run_is_left_to_the_worker() -> None:
    # The worker was down: the run is late but still scheduled; the flow decides.
    recorded = {"a": Rec("a", NOW - timedelta(hours=3), "scheduled", "run")}
    plan = reconcile([action("a", NOW - timedelta(hours=3))], recorded, now=NOW, catchup=DAY)
    assert keys(plan.keep) == ["a"]


def test_moving_an_action_into_the_distant_past_cancels_and_passes_it() -> None:
    recorded = {"a": Rec("a", NOW + DAY, "scheduled", "run")}
    plan = reconcile([action("a", NOW - 5 * DAY)], recorded, now=NOW, catchup=DAY)
    assert [r.key for r in plan.cancel] == ["a"] and keys(plan.passed) == ["a"]


def test_a_resumed_campaign_recreates_runs() -> None:
    recorded = {"a": Rec("a", NOW + DAY, "planned")}
    plan = reconcile([action("a", NOW + DAY)], recorded, now=NOW, catchup=DAY)
    assert keys(plan.create) == ["a"]


def test_catchup_window() -> None:
    assert not catchup_exceeded(NOW - DAY, NOW, DAY)
    assert catchup_exceeded(NOW - DAY - timedelta(seconds=1), NOW, DAY)


def test_keys_do_not_depend_on_titles() -> None:
    a = action("a", NOW + DAY)
    recorded = {"a": Rec("a", NOW + DAY, "scheduled", "run")}
    plan = reconcile([replace(a, title="Tên mới")], recorded, now=NOW, catchup=DAY)
    assert keys(plan.keep) == ["a"] and not plan.changed
