"""The `thidua resend` flow: send an action again to the units it did not reach.

A permanent failure (a mistyped address the registry has since fixed), an uncertain
outcome (the relay went silent after the message) or a unit the run never got to:
the action itself cannot run again ("hoạt động đã chạy trước đó"), so the operator
resends. The resend is a flow run of its own (named "Gửi lại: …" in the Prefect UI,
with its result table as an artifact) and its deliveries are its own records,
numbered per action occurrence (`Delivery.resend`): exactly once per (campaign,
action, occurrence, unit, channel, resend), and never to a unit and channel that
already got it unless `include_delivered` says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from thidua.flows.action import whole
from thidua.notifications.send import channel_id
from thidua.tasks.actions import (
    ActionContext,
    Audience,
    deliver,
    load_action,
    publish_artifacts,
    render_messages,
    resolve_audience,
    stored_outcomes,
)

from thidua.clock import now as clock_now
from thidua.delivery.outcome import Outcome
from thidua.ledger import deliveries
from thidua.store.db import session_scope

FLOW_NAME = "gui-lai"


@dataclass
class ResendPlan:
    """What one resend sends: its number and the (unit, channel) pairs it covers."""

    number: int
    channels: list[tuple[str, str]]


@task(cache_policy=NO_CACHE)
def plan_resend(
    ctx: ActionContext, recipients: list[str], *, include_delivered: bool
) -> ResendPlan:
    """The next resend number and the channels to send over (not reached, unless asked)."""
    action = ctx.action
    key = {"campaign_code": ctx.code, "action_key": action.key, "occurrence": action.occurrence}
    with session_scope() as session:
        done = set() if include_delivered else deliveries.reached(session, **key)
        number = deliveries.next_resend(session, **key)
    reg = ctx.loaded.registry
    channels = [
        (code, channel_id(index, url))
        for code in recipients
        for index, url in enumerate(reg.unit(code).contacts)
        if (code, channel_id(index, url)) not in done
    ]
    return ResendPlan(number, channels)


@flow(name=FLOW_NAME)
def resend_action(
    campaign_file: str,
    action_key: str,
    units: list[str] | None = None,
    include_delivered: bool = False,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Send `action_key` again to its recipients (or `units` of them) not reached yet.

    Returns the resend's `number` and its `outcomes` (`thidua.delivery.outcome.Outcome`).
    """
    clock = now or clock_now()
    ctx = load_action(campaign_file, action_key)
    if ctx is None:
        return {"number": 0, "outcomes": []}
    audience = resolve_audience(ctx)
    recipients = [c for c in audience.recipients if units is None or c in units]
    plan = plan_resend(ctx, recipients, include_delivered=include_delivered)
    wanted = sorted({code for code, _ in plan.channels})
    if not wanted:
        return {"number": plan.number, "outcomes": []}
    chosen = Audience(wanted, audience.missing, audience.submitted, audience.total)
    messages = render_messages(whole(ctx), whole(chosen), clock)
    state = deliver(
        whole(ctx), whole(messages), resend=plan.number, channels=plan.channels, return_state=True
    )
    outcomes: Sequence[Outcome] = (
        state.result() if state.is_completed() else stored_outcomes(ctx, plan.number)
    )
    publish_artifacts(whole(ctx), whole(chosen), whole(outcomes))
    return {
        "number": plan.number,
        "outcomes": outcomes,
    }
