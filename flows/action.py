"""The flow every scheduled action runs: one campaign, one action, at its time.

It only orchestrates the tasks of `tasks/actions.py`. A run that fails notifies the
campaign's organizer through Apprise (`notify_admin`), so a missed deadline notice
never goes unnoticed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import State
from prefect.runtime import deployment as current_deployment
from prefect.runtime import flow_run as current_run
from prefect.states import Cancelled, Completed
from prefect.utilities.annotations import quote
from thidua.tasks.actions import (
    ActionContext,
    defer_action,
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
from thidua.tasks.alerts import notify_admin, report_failures
from thidua.tasks.board import publish_board
from thidua.tasks.launch import launch_sent_by
from thidua.tasks.nominations import recheck_quotas
from thidua.tasks.outcomes import label_run
from thidua.tasks.reports import write_report

from thidua.campaign.kinds import MilestoneKind
from thidua.campaign.plan import ActionKind
from thidua.clock import now as clock_now
from thidua.clock import virtual_now
from thidua.config import get_settings
from thidua.dates.hours import SendTime, decide_send
from thidua.dates.sendtime import DEFERRED_FOR_HOURS, DEFERRED_FOR_LAUNCH, deadline_of, late_reason
from thidua.delivery.unreached import failure_label

FLOW_NAME = "thi-dua"


_T = TypeVar("_T")


def whole(value: _T) -> _T:
    """`value` wrapped in Prefect's quote(), typed as itself: the task receives it unchanged.

    Prefect would otherwise walk a big argument (the registry, the plan, the messages) for
    futures on every task call (~50 ms each with 100 units).
    """
    return cast(_T, quote(value))


@flow(name=FLOW_NAME, on_failure=[notify_admin], on_crashed=[notify_admin])
def run_action(
    campaign_file: str,
    action_key: str,
    scheduled_for: datetime | None = None,
    now: datetime | None = None,
    deferred_to: datetime | None = None,
    deferred_because: str | None = None,
) -> State[Any]:
    """Send one action's notices to the units that should get them, and record it all.

    `now` is the virtual clock of `thidua simulate` (and of tests); real runs use
    `thidua.clock.now()`. `deferred_to` is set on a run that an earlier run handed the action
    to, `deferred_because` says why (`thidua.dates.sendtime`: working hours, or the launch
    notice had not gone out yet).
    """
    clock = now or clock_now()
    ctx = load_action(campaign_file, action_key)
    if ctx is None:
        return Cancelled(message=f"Hoạt động {action_key} không còn trong tệp chiến dịch")
    q = whole(ctx)  # the context holds the whole registry and plan
    planned = scheduled_for or ctx.action.at
    decision = _send_time(ctx, clock, not_before=launch_sent_by(q, now=clock))
    send_at = decision.at
    reason = open_gate(
        q,
        flow_run_id=current_run.id,
        scheduled_for=planned,
        now=clock,
        deferred_to=deferred_to,
        hold=send_at is not None,
        dropped=decision.reason if decision.dropped else None,
    )
    if reason:
        publish_progress(ctx.code)
        return Cancelled(message=f"Không gửi: {reason}")
    if send_at is not None:
        why = decision.reason
        deployment_id = current_deployment.id
        if deployment_id is None:  # an ad-hoc call has no deployment to hand the action to
            return Cancelled(message=f"Không gửi: {why}; lượt chạy này không thể hẹn lại")
        note = defer_action(
            q,
            deployment_id=deployment_id,
            campaign_file=campaign_file,
            until=send_at,
            reason=why,
            scheduled_for=planned,
            now=clock,
            because=DEFERRED_FOR_LAUNCH if decision.after_launch else DEFERRED_FOR_HOURS,
            virtual_clock=now is not None or virtual_now() is not None,
        )
        # A standard state name keeps the run in the UI's run lists (tasks/outcomes.py);
        # its name says it handed the action on, and to when.
        local = send_at.astimezone(send_at.tzinfo)
        label_run(current_run.id, f"hoãn gửi đến {local:%H:%M %d/%m/%Y}", get_run_logger())
        return Completed(message=note)
    audience = resolve_audience(q)
    because = late_reason(clock, deferred_to=deferred_to, deferred_because=deferred_because)
    messages = render_messages(q, whole(audience), clock, because)
    state = deliver(q, whole(messages), return_state=True)
    if state.is_completed():
        outcomes, error = state.result(), None
    else:  # retries exhausted: the store still knows who got what
        outcomes = stored_outcomes(q)
        error = f"gửi không hết sau nhiều lần thử: {state.message}"
    record_outcome(q, whole(outcomes), now=clock, error=error)
    unreached = publish_artifacts(q, whole(audience), whole(outcomes))
    report_failures(whole(ctx.loaded), whole(ctx.action), whole(outcomes))
    _after_deadline(ctx, q, clock)
    publish_board(q, now=clock)
    if error:
        raise RuntimeError(error)
    sent = sum(o.sent_now for o in outcomes)
    summary = f"Đã gửi {sent} lượt tới {len(messages)} đơn vị"
    if unreached:  # not a plain success: the run's name says so in every run list
        summary += f"; {unreached} đơn vị chưa nhận được (xem nhật ký và bảng kết quả)"
    label_run(current_run.id, failure_label(unreached), get_run_logger())
    return Completed(message=summary)


def _after_deadline(ctx: ActionContext, q: Any, clock: datetime) -> None:
    """The organizer's work at a deadline: quotas re-checked once the window closed, reports."""
    milestone = ctx.loaded.spec.milestone(ctx.action.milestone)
    if milestone.kind is MilestoneKind.NOMINATION and ctx.action.kind is ActionKind.OVERDUE:
        # The day after the window: late nominations may have been accepted and marked.
        recheck_quotas(q)
    if ctx.action.kind is ActionKind.COMPILE:
        write_report(q, now=clock)  # None for milestones other than sơ kết / tổng kết


def _send_time(ctx: ActionContext, clock: datetime, *, not_before: datetime | None) -> SendTime:
    """Whether this run messages people now, defers to a later slot, or drops its notice.

    The action's own planned time of day is the notice time: a milestone planned at
    14:00 is deferred to 14:00, and its own time always counts as within hours. The
    rules (deadlines, the launch notice first) are `thidua.dates.hours.decide_send`'s.
    """
    tz = ZoneInfo(get_settings().timezone)
    return decide_send(
        clock,
        due=deadline_of(ctx.action),
        working_days_only=ctx.loaded.spec.working_days_only,
        notice_time=ctx.action.at.astimezone(tz).time(),
        not_before=not_before,
        tz=tz,
    )
