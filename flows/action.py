"""The flow every scheduled action runs: one campaign, one action, at its time.

It only orchestrates the tasks of `tasks/actions.py`. A run that fails notifies the
campaign's organizer through Apprise (`notify_admin`), so a missed deadline notice
never goes unnoticed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow
from prefect.runtime import flow_run as current_run
from prefect.states import Cancelled, Completed
from prefect.utilities.annotations import quote

from tasks.actions import (
    deliver,
    load_action,
    open_gate,
    publish_artifacts,
    publish_progress,
    record_outcome,
    render_messages,
    resolve_audience,
    stored_outcomes,
)
from tasks.alerts import notify_admin, report_failures

FLOW_NAME = "thi-dua"


@flow(name=FLOW_NAME, on_failure=[notify_admin], on_crashed=[notify_admin])
def run_action(
    campaign_file: str,
    action_key: str,
    scheduled_for: datetime | None = None,
    now: datetime | None = None,
) -> Any:
    """Send one action's notices to the units that should get them, and record it all.

    `now` is the virtual clock of `thidua simulate`; real runs use the wall clock.
    """
    clock = now or datetime.now(UTC)
    ctx = load_action(campaign_file, action_key)
    if ctx is None:
        return Cancelled(message=f"Hoạt động {action_key} không còn trong tệp chiến dịch")
    # quote(): the context holds the whole registry and plan; Prefect would otherwise
    # walk it for futures on every task call (~50 ms each with 100 units).
    q = quote(ctx)
    reason = open_gate(
        q, flow_run_id=current_run.id, scheduled_for=scheduled_for or ctx.action.at, now=clock
    )
    if reason:
        publish_progress(ctx.code)
        return Cancelled(message=f"Không gửi: {reason}")
    audience = resolve_audience(q)
    messages = render_messages(q, quote(audience), clock)
    state = deliver(q, quote(messages), return_state=True)
    if state.is_completed():
        outcomes, error = state.result(), None
    else:  # retries exhausted: the store still knows who got what
        outcomes = stored_outcomes(q)
        error = f"gửi không hết sau nhiều lần thử: {state.message}"
    record_outcome(q, quote(outcomes), now=clock, error=error)
    publish_artifacts(q, quote(audience), quote(outcomes))
    report_failures(quote(ctx.loaded), quote(ctx.action), quote(outcomes))
    if error:
        raise RuntimeError(error)
    sent = sum(o.status == "sent" for o in outcomes)
    return Completed(message=f"Đã gửi {sent} lượt tới {len(messages)} đơn vị")
