"""thidua: emulation campaigns (phong trào thi đua) as code, run on Prefect.

Campaign files import the declarations (`Campaign`, `Milestone`, …) from here.
The library API is re-exported lazily so that a campaign file, or `thidua date`,
does not pay for pydantic and the planner unless it uses them.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from thidua.dsl import (
    Award,
    Campaign,
    Escalation,
    Milestone,
    Participants,
    Quota,
    Recurrence,
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
    "DateSpan": "thidua.vndate",
    "Offset": "thidua.vndate",
    "parse_date": "thidua.vndate",
    "parse_offset": "thidua.vndate",
    "parse_phrase": "thidua.vndate",
    "WorkCalendar": "thidua.workdays",
    "vietnam_calendar": "thidua.workdays",
    "Registry": "thidua.registry",
    "Unit": "thidua.registry",
    "load_registry": "thidua.registry",
    "LoadedCampaign": "thidua.campaign_file",
    "load_campaign": "thidua.campaign_file",
    "check_campaign": "thidua.checks",
    "Action": "thidua.plan",
    "ActionKind": "thidua.plan",
    "Plan": "thidua.plan",
    "compile_plan": "thidua.plan",
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
