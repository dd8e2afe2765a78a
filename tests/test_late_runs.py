"""A run that starts late, outside working hours, hands its notices on to the next slot.

The gate and the redeploy rules are checked directly (real SQLite store, pure
reconcile); the whole chain runs on the session's Prefect server with a real
`thidua serve` worker: the late run defers, a redeploy and a rerun leave the one
deferred run alone, and the deferred run sends even though the original time is
now further back than the catch-up window.
"""

from __future__ import annotations

import email
import email.policy
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from thidua.tasks.actions import load_action, open_gate
from thidua.tasks.launch import LAUNCH_MARGIN, launch_sent_by

from thidua.campaign.plan import Action, ActionKind
from thidua.campaign.schedule import reconcile
from thidua.dates.hours import AFTER_LAUNCH, decide_send, deferral_note, next_send_time
from thidua.dates.sendtime import deadline_of, run_name_at
from thidua.dates.workdays import vietnam_calendar
from thidua.store import campaign_rows
from thidua.store.db import get_engine, session_scope

from .conftest import SMALL_REGISTRY
from .server_runs import campaign_text, finished, run_now, runs_of, runs_tab_shows
from .serving import Served, start_serve

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PARTICIPANTS = ("SO-A", "SO-B", "XA-1", "XA-2")
EIGHT = datetime.min.time().replace(hour=8)


def make_campaign(folder: Path, code: str, launch: date) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "units.yaml").write_text(SMALL_REGISTRY, encoding="utf-8")
    path = folder / "camp.py"
    path.write_text(campaign_text(code, launch), encoding="utf-8")
    return path


def a_future_friday() -> date:
    """A working Friday at least a week ahead whose evening defers past the weekend."""
    cal = vietnam_calendar()
    day = datetime.now(VN).date() + timedelta(days=7)
    while day.weekday() != 4 or not cal.is_working_day(day):
        day += timedelta(days=1)
    return day


# --- the gate: lateness counts from the deferred time ------------------------------


@pytest.fixture
def friday_action(tmp_path: Path):
    """A saved campaign whose launch is planned on a Friday at 08:00, in a real store."""
    friday = a_future_friday()
    path = make_campaign(tmp_path / "c", "71/KH-GIO", friday)
    ctx = load_action.fn(str(path), "launch/-/launch")
    assert ctx is not None and ctx.action.at == datetime.combine(friday, EIGHT, VN)
    with session_scope() as session:
        campaign_rows.upsert_campaign(
            session,
            code=ctx.code,
            title="t",
            file=str(path),
            organizer="BTDKT",
            spec_hash="x",
            period_start=ctx.loaded.spec.period.start,
            period_end=ctx.loaded.spec.period.end,
        )
        campaign_rows.save_action(
            session,
            campaign_code=ctx.code,
            key=ctx.action.key,
            **campaign_rows.action_fields(ctx.action),
            status="scheduled",
            flow_run_id="run-1",
        )
    return ctx


def stored(ctx) -> tuple[str, str | None, int | None]:
    with session_scope() as session:
        r = campaign_rows.get_action(session, campaign_code=ctx.code, key=ctx.action.key)
        return str(r.status), r.flow_run_id, r.late_seconds


def test_hold_records_nothing_when_the_gate_is_open(friday_action) -> None:
    at = friday_action.action.at
    late_evening = at + timedelta(hours=14)
    reason = open_gate.fn(
        friday_action, flow_run_id="run-1", scheduled_for=at, now=late_evening, hold=True
    )
    assert reason is None
    assert stored(friday_action) == ("scheduled", "run-1", None)


def test_hold_still_skips_a_run_that_is_too_late(friday_action) -> None:
    at = friday_action.action.at
    reason = open_gate.fn(
        friday_action,
        flow_run_id="run-1",
        scheduled_for=at,
        now=at + timedelta(hours=30),
        hold=True,
    )
    assert reason is not None and "trễ quá 24 giờ" in reason
    assert stored(friday_action)[0] == "skipped"


def test_a_deferred_run_is_not_too_late_for_the_original_time(friday_action) -> None:
    at = friday_action.action.at
    monday = next_send_time(at + timedelta(hours=14), working_days_only=True, notice_time=EIGHT)
    assert monday is not None and monday - at >= timedelta(days=3)
    reason = open_gate.fn(
        friday_action,
        flow_run_id="run-2",
        scheduled_for=at,
        now=monday + timedelta(minutes=2),
        deferred_to=monday,
    )
    assert reason is None
    status, run, late = stored(friday_action)
    assert (status, run) == ("running", "run-2")
    assert late == int((monday + timedelta(minutes=2) - at).total_seconds())  # against the plan


def test_a_deferred_run_still_has_a_catch_up_window(friday_action) -> None:
    at = friday_action.action.at
    monday = next_send_time(at + timedelta(hours=14), working_days_only=True, notice_time=EIGHT)
    reason = open_gate.fn(
        friday_action,
        flow_run_id="run-2",
        scheduled_for=at,
        now=monday + timedelta(hours=25),
        deferred_to=monday,
    )
    assert reason is not None and "trễ quá" in reason
    assert stored(friday_action)[0] == "skipped"


# --- deadlines and the launch notice, against the store --------------------------------

MONDAY = date(2026, 12, 7)  # fixed: these tests never look at today's date


@pytest.fixture
def deadline_campaign(tmp_path: Path):
    """A campaign launched Monday 07/12/2026 whose “sắp hết hạn” notice is due Sunday 31/01/2027."""
    path = make_campaign(tmp_path / "c", "73/KH-GIO", MONDAY)
    ctx = load_action.fn(str(path), "a/-/due")
    assert ctx is not None and ctx.action.due == date(2027, 1, 31)
    with session_scope() as session:
        campaign_rows.upsert_campaign(
            session,
            code=ctx.code,
            title="t",
            file=str(path),
            organizer="BTDKT",
            spec_hash="x",
            period_start=ctx.loaded.spec.period.start,
            period_end=ctx.loaded.spec.period.end,
        )
        for action in ctx.plan.actions:
            campaign_rows.save_action(
                session,
                campaign_code=ctx.code,
                key=action.key,
                **campaign_rows.action_fields(action),
                status="scheduled",
            )
    return ctx


def set_status(ctx, key: str, status: str) -> None:
    with session_scope() as session:
        campaign_rows.set_action_status(session, campaign_code=ctx.code, key=key, status=status)


def test_a_notice_after_its_deadline_is_skipped_with_the_reason(deadline_campaign) -> None:
    ctx = deadline_campaign
    monday = datetime(2027, 2, 1, 9, 0, tzinfo=VN)  # the day after the Sunday deadline
    decision = decide_send(
        monday, due=deadline_of(ctx.action), working_days_only=True, notice_time=EIGHT
    )
    assert decision.dropped
    reason = open_gate.fn(
        ctx,
        flow_run_id="run-9",
        scheduled_for=ctx.action.at,
        now=monday - timedelta(hours=1),  # within the catch-up window of a deferred run
        deferred_to=monday - timedelta(hours=1),
        dropped=decision.reason,
    )
    assert reason == (
        "hạn 31/01/2027 đã qua khi lượt chạy bắt đầu; "
        "thông báo quá hạn (nếu có) được gửi theo lịch riêng"
    )
    status, run, _ = stored(ctx)
    assert (status, run) == ("skipped", "run-9")
    with session_scope() as session:
        record = campaign_rows.get_action(session, campaign_code=ctx.code, key=ctx.action.key)
        assert record.error == decision.reason


def test_notices_wait_for_a_launch_that_has_not_gone_out(deadline_campaign) -> None:
    ctx = deadline_campaign
    launch_at = datetime.combine(MONDAY, EIGHT, VN)
    before = launch_at - timedelta(hours=10)  # a notice somehow due before the launch
    assert launch_sent_by.fn(ctx, now=before) == launch_at + LAUNCH_MARGIN
    # Planned in the past with no run to ask: it is not waited for.
    assert launch_sent_by.fn(ctx, now=launch_at + timedelta(hours=1)) is None
    for settled in ("done", "failed", "passed", "skipped", "cancelled"):
        set_status(ctx, "launch/-/launch", settled)
        assert launch_sent_by.fn(ctx, now=before) is None, settled
    launch = load_action.fn(str(ctx.loaded.path), "launch/-/launch")
    set_status(ctx, "launch/-/launch", "scheduled")
    assert launch_sent_by.fn(launch, now=before) is None  # the launch waits for nothing


# --- redeploying keeps the deferred run ---------------------------------------------


NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)  # Sunday 10:00 in Hà Nội


def planned(at: datetime) -> Action:
    return Action(
        key="launch/-/launch",
        campaign="71/KH-GIO",
        milestone="launch",
        occurrence="",
        kind=ActionKind.LAUNCH,
        at=at,
        title="Phát động",
        template="launch",
        audience="participants",
        recipients=PARTICIPANTS,
    )


class Rec:
    def __init__(self, scheduled_at: datetime, flow_run_id: str) -> None:
        self.key = "launch/-/launch"
        self.scheduled_at = scheduled_at
        self.status = "scheduled"
        self.flow_run_id = flow_run_id


def test_redeploy_keeps_a_run_deferred_past_the_catch_up_window() -> None:
    friday = datetime(2026, 11, 20, 8, 0, tzinfo=VN)  # 2 days before NOW
    deferred = {"launch/-/launch": Rec(friday, "deferred-run")}
    sync = reconcile([planned(friday)], deferred, now=NOW, catchup=timedelta(hours=24))
    assert not sync.changed
    assert [a.key for a in sync.keep] == ["launch/-/launch"]


def test_redeploy_moves_a_deferred_action_whose_date_changed() -> None:
    friday = datetime(2026, 11, 20, 8, 0, tzinfo=VN)
    deferred = {"launch/-/launch": Rec(friday, "deferred-run")}
    later = planned(friday + timedelta(days=7))
    sync = reconcile([later], deferred, now=NOW, catchup=timedelta(hours=24))
    assert [(r.flow_run_id, a.at) for r, a in sync.move] == [("deferred-run", later.at)]


# --- the whole chain on a Prefect server --------------------------------------------


def runs_for(served: Served, code: str, key: str) -> list[dict[str, Any]]:
    deployment = served.deployment(code.replace("/", "-"))
    return [r for r in served.runs(deployment["id"]) if r["parameters"]["action_key"] == key]


def outbox(data_dir: Path, action: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in (data_dir / "outbox").rglob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if msg["X-Thidua-Action"] == action:
            counts[path.parent.name] = counts.get(path.parent.name, 0) + 1
    return counts


def record_in(data_dir: Path, code: str, key: str) -> dict[str, Any]:
    with session_scope(get_engine(f"sqlite:///{data_dir / 'thidua.store.db'}")) as session:
        r = campaign_rows.get_action(session, campaign_code=code, key=key)
        return {
            "status": str(r.status),
            "flow_run_id": r.flow_run_id,
            "error": r.error,
            "late_seconds": r.late_seconds,
        }


def latest_artifact(served: Served, key: str) -> str:
    [artifact] = served.api(
        "POST", "/artifacts/latest/filter", {"artifacts": {"key": {"any_": [key]}}}
    )
    return artifact["data"]


def test_a_late_evening_run_defers_once_and_the_deferred_run_sends(served, tmp_path) -> None:
    code, key = "72/KH-GIO", "launch/-/launch"
    friday = a_future_friday()
    planned_at = datetime.combine(friday, EIGHT, VN)
    evening = planned_at + timedelta(hours=14)  # Friday 22:00: the worker was down all day
    slot = next_send_time(evening, working_days_only=True, notice_time=EIGHT)
    assert slot is not None and slot.date() > friday
    note = deferral_note(slot, "ngoài giờ làm việc")

    path = make_campaign(tmp_path / "c", code, friday)
    data = tmp_path / "data"
    worker = start_serve(
        data, api_url=served.api_url, extra_env={"THIDUA_CAMPAIGNS_DIR": str(path.parent)}
    )
    try:
        [original] = runs_of(served, code, "Phát động")
        assert original["state_type"] == "SCHEDULED"
        run_now(served, original["id"], now=evening.isoformat())
        done = finished(served, original["id"], worker)
        # A standard state name (a custom one hides the run from the UI's run lists);
        # its name says it handed the action on, and to when.
        assert (done["state_type"], done["state_name"]) == ("COMPLETED", "Completed"), (
            done["state"],
            worker.output()[-5000:],
        )
        assert done["name"] == (
            f"{code} · Phát động · {friday:%d/%m/%Y} — hoãn gửi đến 08:00 {slot:%d/%m/%Y}"
        )
        assert done["state"]["message"] == note
        assert outbox(data, key) == {}  # nothing sent at 22:00

        [deferred] = [r for r in runs_of(served, code, "Phát động") if r["id"] != original["id"]]
        assert deferred["state_type"] == "SCHEDULED"
        assert datetime.fromisoformat(deferred["expected_start_time"]) == slot
        params = deferred["parameters"]
        # Its name carries the day it will really run, not the plan's.
        assert deferred["name"] == f"{code} · Phát động · {slot:%d/%m/%Y}"
        assert original["name"] == f"{code} · Phát động · {friday:%d/%m/%Y}"
        assert params["deferred_because"] == "hours"
        assert datetime.fromisoformat(params["scheduled_for"]) == planned_at
        assert datetime.fromisoformat(params["deferred_to"]) == slot
        assert record_in(data, code, key)["status"] == "scheduled"
        assert record_in(data, code, key)["flow_run_id"] == deferred["id"]
        assert record_in(data, code, key)["error"] == note
        summary = latest_artifact(served, "72-kh-gio-tom-tat")
        assert note in summary and "Phát động" in summary

        # A redeploy keeps the deferred run; rerunning the deferring run adds none.
        out = worker.thidua("deploy", str(path)).stdout
        assert "0 mới, 0 dời lịch, 0 hủy" in out, out
        run_now(served, original["id"])
        again = finished(served, original["id"], worker)
        assert (again["state_name"], again["name"]) == ("Completed", done["name"])
        runs = runs_of(served, code, "Phát động")
        assert sorted(r["id"] for r in runs) == sorted([original["id"], deferred["id"]])
        assert served.api("GET", f"/flow_runs/{deferred['id']}")["state_type"] == "SCHEDULED"
        assert record_in(data, code, key)["flow_run_id"] == deferred["id"]
        runs_tab_shows(served, code, [done["name"], deferred["name"]])

        # Its time comes (on the virtual clock): 3 days after the plan, yet it sends.
        run_now(served, deferred["id"])
        sent = finished(served, deferred["id"], worker)
        assert sent["state_type"] == "COMPLETED", sent
    finally:
        worker.stop()
    assert outbox(data, key) == {c.lower(): 1 for c in PARTICIPANTS}
    # The late note gives the real reason: the deferral, not an outage.
    [eml] = (data / "outbox" / "so-a").glob("*.eml")
    text = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    body = text.get_body(preferencelist=("plain",)).get_content()
    assert f"so với lịch 08:00 ngày {friday:%d/%m/%Y} vì được chuyển sang giờ làm việc.)" in body
    assert "gián đoạn" not in body
    record = record_in(data, code, key)
    assert record["status"] == "done" and record["error"] is None
    assert record["late_seconds"] == int((slot - planned_at).total_seconds())
    table = json.loads(latest_artifact(served, "72-kh-gio-gui-tin"))
    assert sorted(row["Mã"] for row in table) == sorted(PARTICIPANTS)


def test_a_notice_caught_up_before_the_launch_waits_for_it(served, tmp_path) -> None:
    """Seen: a notice deferred to 08:00 went out before the 09:12 launch. It now waits."""
    code, key = "75/KH-GIO", "a/-/due"
    friday = a_future_friday()
    launch_at = datetime.combine(friday, EIGHT, VN)
    path = make_campaign(tmp_path / "c", code, friday)
    ctx = load_action.fn(str(path), key)
    early = launch_at - timedelta(minutes=20)  # the notice's run starts before the launch's
    slot = launch_at + LAUNCH_MARGIN

    data = tmp_path / "data"
    worker = start_serve(
        data, api_url=served.api_url, extra_env={"THIDUA_CAMPAIGNS_DIR": str(path.parent)}
    )
    try:
        [launch] = runs_of(served, code, "Phát động")
        [due] = runs_for(served, code, key)
        run_now(served, due["id"], now=early.isoformat())
        done = finished(served, due["id"], worker)
    finally:
        worker.stop()
    assert (done["state_type"], done["state_name"]) == ("COMPLETED", "Completed"), done["state"]
    assert done["name"].endswith(f" — hoãn gửi đến {slot:%H:%M %d/%m/%Y}"), done["name"]
    assert done["state"]["message"] == deferral_note(slot, AFTER_LAUNCH)
    assert outbox(data, key) == {}
    [successor] = [r for r in runs_for(served, code, key) if r["id"] != due["id"]]
    assert datetime.fromisoformat(successor["expected_start_time"]) == slot
    assert successor["name"] == run_name_at(ctx.action, slot)
    assert successor["parameters"]["deferred_because"] == "launch"
    assert served.api("GET", f"/flow_runs/{launch['id']}")["state_type"] == "SCHEDULED"
    assert record_in(data, code, key)["flow_run_id"] == successor["id"]
