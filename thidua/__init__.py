"""thidua: emulation campaigns (phong trào thi đua) as code, run on Prefect.

Campaign files import the declarations (`Campaign`, `Milestone`, …) from here.
The library API is re-exported lazily so that a campaign file, or `thidua date`,
does not pay for pydantic and the planner unless it uses them.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from thidua.campaign.dsl import (
    Award,
    Campaign,
    Escalation,
    Milestone,
    Participants,
    Quota,
    Recurrence,
    Responsibility,
    Target,
)
from thidua.errors import (
    CampaignFileError,
    PhraseError,
    Problem,
    RegistryError,
    SettingsError,
    ThiduaError,
    ValidationFailed,
)

__version__ = "0.1.0"

_LAZY = {
    "DateSpan": "thidua.dates.span",
    "Offset": "thidua.dates.offset",
    "parse_date": "thidua.dates.phrases",
    "parse_offset": "thidua.dates.offset",
    "parse_phrase": "thidua.dates.phrases",
    "WorkCalendar": "thidua.dates.workdays",
    "vietnam_calendar": "thidua.dates.workdays",
    "Registry": "thidua.registry.models",
    "Unit": "thidua.registry.models",
    "load_registry": "thidua.registry.loading",
    "LoadedCampaign": "thidua.campaign.loading",
    "load_campaign": "thidua.campaign.loading",
    "check_campaign": "thidua.campaign.checks",
    "Action": "thidua.campaign.plan",
    "ActionKind": "thidua.campaign.plan",
    "Plan": "thidua.campaign.plan",
    "compile_plan": "thidua.campaign.plan",
    "Settings": "thidua.config",
    "get_settings": "thidua.config",
}

__all__ = [
    "Award",
    "Campaign",
    "CampaignFileError",
    "Escalation",
    "Milestone",
    "Participants",
    "PhraseError",
    "Problem",
    "Quota",
    "Recurrence",
    "RegistryError",
    "Responsibility",
    "SettingsError",
    "Target",
    "ThiduaError",
    "ValidationFailed",
    "__version__",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'thidua' has no attribute {name!r}")
