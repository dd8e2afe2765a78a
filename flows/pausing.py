"""Pause and resume a campaign's scheduled runs in place, so that resuming restores them.

A paused campaign used to cancel its scheduled runs and create new ones on resume:
each pause/resume cycle left one Cancelled run per action in the deployment's Runs
tab. Instead the runs are put in Prefect's Paused state (no timeout, so Prefect's
pause-expiration service leaves them alone; the runner and workers only take
Scheduled runs) and put back to Scheduled at their own time on resume: the same
runs, ids and names. A run whose time passed during the pause is then handled like
any late run: `thidua.campaign.schedule.reconcile` records it as passed, or the run's own
catch-up gate sends it late.
"""

from __future__ import annotations

from uuid import UUID

from prefect import State
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.states import Paused, Scheduled

#: The state name the Prefect UI shows on a run of a paused campaign.
PAUSED_NAME = "Tạm dừng"


async def _runs(
    client: PrefectClient, deployment_ids: list[UUID], state: StateType
) -> list[FlowRun]:
    runs: list[FlowRun] = []
    while True:
        page = await client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=deployment_ids)),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[state]))
            ),
            limit=200,
            offset=len(runs),
        )
        runs.extend(page)
        if len(page) < 200:
            return runs


async def pause_runs(client: PrefectClient, deployment_id: UUID) -> int:
    """Put every scheduled run of the deployment in the Paused state; return how many."""
    runs = await _runs(client, [deployment_id], StateType.SCHEDULED)
    for run in runs:
        when = run.state.state_details.scheduled_time if run.state else None
        state: State = Paused(
            name=PAUSED_NAME,
            message="Chiến dịch tạm dừng; tiếp tục bằng `thidua resume`",
            state_details={"scheduled_time": when or run.expected_start_time},
        )
        await client.set_flow_run_state(run.id, state, force=True)
    return len(runs)


async def resume_runs(client: PrefectClient, deployment_id: UUID) -> int:
    """Put every paused run of the deployment back to Scheduled at its time; return how many."""
    return await resume_all_runs(client, [deployment_id])


async def resume_all_runs(client: PrefectClient, deployment_ids: list[UUID]) -> int:
    """`resume_runs` for many deployments, found in one filter (a deploy of hundreds)."""
    if not deployment_ids:
        return 0
    runs = await _runs(client, deployment_ids, StateType.PAUSED)
    for run in runs:
        when = run.state.state_details.scheduled_time if run.state else None
        when = when or run.expected_start_time or run.next_scheduled_start_time
        await client.set_flow_run_state(run.id, Scheduled(scheduled_time=when), force=True)
    return len(runs)
