"""Whether the campaign's launch notice has gone out, so no other notice overtakes it.

A unit must hear of a campaign before it is reminded of the campaign's deadlines.
Catch-up and working-hours deferrals can reorder runs (a reminder deferred to
Monday 08:00 while the launch runs at 09:12), so each notice asks the store, and
Prefect for the launch's run, before it is sent; `thidua.dates.hours.decide_send` then
defers it until after the launch.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from thidua.tasks.actions import STORE_RETRIES, ActionContext

from thidua.campaign.plan import ActionKind
from thidua.config import get_settings
from thidua.store import campaign_rows
from thidua.store.db import session_scope

#: Time given to a launch run to reach every unit before the notices that follow it.
LAUNCH_MARGIN = timedelta(minutes=10)
#: Store states of a launch that will send nothing more: sent, failed, passed, given up.
SETTLED = {"done", "failed", "passed", "skipped", "cancelled"}


@task(cache_policy=NO_CACHE, **STORE_RETRIES)
def launch_sent_by(ctx: ActionContext, *, now: datetime) -> datetime | None:
    """When the campaign's launch notice will have gone out, if it has not yet; else None.

    None also when it never will (cancelled, skipped, or its run is gone): then the
    notice is not held back for ever.
    """
    if ctx.action.kind is ActionKind.LAUNCH:
        return None
    launch = next((a for a in ctx.plan.actions if a.kind is ActionKind.LAUNCH), None)
    if launch is None:
        return None
    with session_scope() as session:
        record = campaign_rows.get_action(session, campaign_code=ctx.code, key=launch.key)
        status = None if record is None else str(record.status)
        run_id = None if record is None else record.flow_run_id
    if status in SETTLED:
        return None
    start = _run_start(run_id, now) if run_id else None
    if start is None:  # no run to ask: the planned time says whether it is still ahead
        return launch.at + LAUNCH_MARGIN if launch.at > now else None
    if now - start > get_settings().catchup:
        return None  # too late for its catch-up window: it will be skipped, not sent
    get_run_logger().info(
        "Launch notice of %s not sent yet (run %s, starts %s); waiting for it",
        ctx.code,
        run_id,
        start.isoformat(),
    )
    return max(start, now) + LAUNCH_MARGIN


def _run_start(run_id: str, now: datetime) -> datetime | None:
    """When the launch's flow run starts (now if running); None if it is over or unknown."""
    try:
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(UUID(run_id))
    except Exception:  # an unknown id (a reset Prefect database): nothing to wait for
        return None
    state = run.state
    if state is None or state.is_final():
        return None
    if state.is_running():
        return now
    return run.expected_start_time or (state.state_details.scheduled_time if state else None)
