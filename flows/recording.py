"""Record a campaign, its units and its actions in the state store, as every deploy (and
simulation) does.

The same functions, so that `thidua simulate` writes exactly what `thidua deploy` writes
and the status board of a simulation reads like the real one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from thidua.flows.naming import relative_file, spec_hash

from thidua.campaign.audience import participants
from thidua.store import campaign_rows

if TYPE_CHECKING:
    from sqlmodel import Session

    from thidua.campaign.loading import LoadedCampaign
    from thidua.campaign.plan import Action


def record_campaign(session: Session, loaded: LoadedCampaign, *, units: bool = True) -> str:
    """Upsert the campaign and its units; return its status (active, paused, cancelled).

    `units=False`: the registry's units are already written (a deploy of many campaigns
    on one registry writes them once); only the campaign and its members are.
    """
    spec = loaded.spec
    record = campaign_rows.upsert_campaign(
        session,
        code=spec.code,
        title=spec.title,
        file=relative_file(loaded.path),
        organizer=spec.organizer,
        spec_hash=spec_hash(loaded),
        period_start=spec.period.start,
        period_end=spec.period.end,
    )
    status = str(record.status)
    campaign_rows.sync_units(
        session,
        campaign_code=spec.code,
        units=list(loaded.registry) if units else [],
        participants=participants(spec, loaded.registry),
        organizer=spec.organizer,
    )
    return status


def record_action(
    session: Session,
    code: str,
    action: Action,
    *,
    status: str | None,
    flow_run_id: str | None = None,
) -> None:
    """Upsert one planned action; with a `status`, also its status and flow run.

    `status=None` refreshes what the plan says (time, title, run name) and keeps the
    status the store has (a kept run may be running, done or deferred).
    """
    fields: dict[str, Any] = campaign_rows.action_fields(action)
    if status is not None:
        fields["status"] = status
        fields["flow_run_id"] = flow_run_id
    campaign_rows.save_action(session, campaign_code=code, key=action.key, **fields)
