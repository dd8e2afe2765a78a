"""Files a notice carries: the milestone's attachments, the plan document, the unit's .ics.

Paths in a campaign file are relative to it (`thidua validate` checks they exist);
a file missing at send time is left out rather than failing every unit's delivery.
The .ics lists only the unit's own upcoming deadlines, so a xã office can put them
in its calendar in one click; it is written once per content under the cache dir.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from pathlib import Path

from thidua.cache import cache_dir, fingerprint, write_atomic
from thidua.plan import Action, ActionKind, Plan
from thidua.plan_output import plan_ics

#: Action kinds whose notice gets the unit's calendar: those that ask it to act later.
ICS_KINDS = frozenset({ActionKind.LAUNCH, ActionKind.OPEN, ActionKind.REMINDER})
#: What the calendar shows: the days something opens, is due, or takes place.
DEADLINE_KINDS = frozenset({ActionKind.OPEN, ActionKind.DUE, ActionKind.EVENT})


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "ke-hoach"


def unit_ics(plan: Plan, unit_code: str, *, after: datetime) -> Path | None:
    """An .ics of the unit's deadlines after `after`; None when there are none."""
    actions = [
        a
        for a in plan.actions
        if a.kind in DEADLINE_KINDS and unit_code in a.recipients and a.at >= after
    ]
    if not actions:
        return None
    # DTSTAMP is the notice's own time, so the same notice always yields the same file.
    text = plan_ics(dataclasses.replace(plan, actions=actions), now=after)
    folder = cache_dir() / "ics" / fingerprint(text)[:16]
    path = folder / f"lich-{_slug(plan.campaign.code)}-{_slug(unit_code)}.ics"
    if not path.is_file():  # two runs may write the same calendar at once
        write_atomic(path, text.encode())
    return path


def attachments_for(action: Action, *, plan: Plan, unit_code: str, base_dir: Path) -> list[Path]:
    """The files the notice of `action` to `unit_code` carries, existing ones only."""
    campaign = plan.campaign
    names: list[str] = []
    if action.kind is ActionKind.LAUNCH:
        if campaign.document:
            names.append(campaign.document)
        names += [name for m in campaign.milestones for name in m.attachments]
    elif action.kind is not ActionKind.COMPILE:
        names += campaign.milestone(action.milestone).attachments
    files = [base_dir / name for name in dict.fromkeys(names)]
    out = [path for path in files if path.is_file()]
    if action.kind in ICS_KINDS and (ics := unit_ics(plan, unit_code, after=action.at)):
        out.append(ics)
    return out
