"""What every portal request can reach: the settings, the secret, the injected clock, the
rate limiters, the upload cap, and the seam acknowledgements are sent through."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from thidua.config import Settings
from thidua.portal.campaigns import CampaignCatalog
from thidua.portal.ratelimit import RateLimiter

__all__ = ["Acknowledger", "PortalState"]


class Acknowledger(Protocol):
    """Sends a unit the acknowledgement of what it handed in, exactly once per `key`."""

    def __call__(
        self, *, unit_code: str, campaign_code: str, key: str, subject: str, text: str
    ) -> None: ...


@dataclass
class PortalState:
    settings: Settings
    secret: bytes
    now: Callable[[], datetime]
    acknowledge: Acknowledger | None
    max_upload: int  # bytes of one request body
    per_link: RateLimiter
    per_address: RateLimiter
    catalog: CampaignCatalog
