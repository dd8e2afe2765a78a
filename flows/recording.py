"""Record a campaign and its units in the state store, as every deploy (and simulation) does.

One function, so that `thidua simulate` writes exactly what `thidua deploy` writes and
the status board of a simulation reads like the real one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from thidua.flows.naming import relative_file, spec_hash

from thidua.campaign.audience import participants
from thidua.store import campaign_rows

if TYPE_CHECKING:
    from sqlmodel import Session

    from thidua.campaign.loading import LoadedCampaign


def record_campaign(session: Session, loaded: LoadedCampaign) -> str:
    """Upsert the campaign and its units; return its status (active, paused, cancelled)."""
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
        units=list(loaded.registry),
        participants=participants(spec, loaded.registry),
        organizer=spec.organizer,
    )
    return status
