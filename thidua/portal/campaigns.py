"""The deployed campaigns the portal shows, each loaded once and again only when its file or
its registry changes.

Loading a campaign runs its file in the sandbox (tens of milliseconds), far too slow for
every page view; the catalog keeps each `LoadedCampaign` and its compiled plan, keyed by
the files' modification stamps, so an edited and redeployed plan shows at the next
request. A campaign whose file no longer loads is left out of the pages (and logged),
never allowed to break a unit's page.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from thidua.campaign.loading import LoadedCampaign, load_campaign
from thidua.campaign.plan import Plan, compile_plan
from thidua.config import Settings
from thidua.errors import ThiduaError
from thidua.ledger.files import campaign_slug
from thidua.ledger.statuses import CampaignStatus
from thidua.store import campaign_rows
from thidua.store.db import session_scope

__all__ = ["CampaignCatalog", "PortalCampaign"]

log = logging.getLogger("thidua.portal")


@dataclass(frozen=True)
class PortalCampaign:
    """A deployed campaign as the portal uses it; `slug` names it in URLs."""

    slug: str
    loaded: LoadedCampaign
    plan: Plan
    status: CampaignStatus

    @property
    def code(self) -> str:
        return self.loaded.spec.code


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size)


class CampaignCatalog:
    """Every deployed, not cancelled campaign, by slug; thread-safe."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[tuple[object, ...], PortalCampaign]] = {}

    def _key(self, path: Path, loaded: LoadedCampaign | None) -> tuple[object, ...]:
        registry = Path(loaded.registry.source) if loaded is not None else None
        return (_stamp(path), _stamp(registry) if registry is not None else None)

    def _load(self, code: str, file: str, status: CampaignStatus) -> PortalCampaign | None:
        path = self.settings.in_project(file)
        cached = self._cache.get(code)
        if cached is not None and cached[0] == self._key(path, cached[1].loaded):
            if cached[1].status is not status:
                cached = (
                    cached[0],
                    PortalCampaign(cached[1].slug, cached[1].loaded, cached[1].plan, status),
                )
                self._cache[code] = cached
            return cached[1]
        try:
            loaded = load_campaign(path)
        except ThiduaError as exc:
            log.warning("campaign %s (%s) is left out of the portal: %s", code, path, exc)
            return None
        plan = compile_plan(loaded.spec, loaded.registry, notice_time=self.settings.notice_time)
        entry = PortalCampaign(campaign_slug(code), loaded, plan, status)
        self._cache[code] = (self._key(path, loaded), entry)
        return entry

    def all(self) -> list[PortalCampaign]:
        """The campaigns in the store that are not cancelled, by code."""
        with session_scope() as session:
            records = [
                (r.code, r.file, r.status)
                for r in campaign_rows.list_campaigns(session)
                if r.status is not CampaignStatus.CANCELLED
            ]
        with self._lock:
            found = [self._load(code, file, status) for code, file, status in records]
        return [c for c in found if c is not None]

    def by_slug(self, slug: str) -> PortalCampaign | None:
        for campaign in self.all():
            if campaign.slug == slug:
                return campaign
        return None

    def of_unit(self, unit_code: str) -> list[PortalCampaign]:
        """The campaigns whose registry has the unit (what it may owe something in)."""
        return [c for c in self.all() if unit_code in c.loaded.registry]
