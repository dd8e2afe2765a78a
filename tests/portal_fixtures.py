"""The portal's test bed: the `campaigns` folder (the 2023 seed plan and the figures
campaign) recorded in a fresh store as a deploy records it, and the portal application
over it with an injected clock (`Portal.at`) and rate-limit clock.

    def test_x(portal: Portal) -> None:
        page = portal.client.get(portal.unit_path("SYT"))
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from thidua.flows.recording import record_campaign

from thidua.campaign.loading import load_campaign
from thidua.config import Settings, get_settings, set_settings
from thidua.portal import links
from thidua.portal.app import create_app
from thidua.portal.state import Acknowledger
from thidua.store.db import session_scope

#: A Monday inside the 2023 plan's period (01/01/2023 – 30/6/2023), 09:00 in Hà Nội.
DEFAULT_NOW = datetime(2023, 5, 8, 2, 0, tzinfo=UTC)


@dataclass
class Portal:
    """The portal app over a recorded store; `now` and `monotonic` drive its clocks."""

    settings: Settings
    campaigns: Path
    now: datetime = DEFAULT_NOW
    monotonic: float = 0.0
    acknowledge: Acknowledger | None = None
    _client: TestClient | None = field(default=None, repr=False)

    @property
    def client(self) -> TestClient:
        if self._client is None:
            app = create_app(
                self.settings,
                now=lambda: self.now,
                monotonic=lambda: self.monotonic,
                acknowledge=self.acknowledge,
            )
            self._client = TestClient(app, follow_redirects=False)
        return self._client

    def at(self, moment: datetime) -> None:
        """Move the portal's clock (the ledger reads the same instant through THIDUA_NOW)."""
        self.now = moment

    def token(self, unit_code: str) -> str:
        with session_scope() as session:
            return links.link_for(session, unit_code=unit_code, settings=self.settings)

    def unit_path(self, unit_code: str) -> str:
        return links.unit_path(self.token(unit_code))


@dataclass
class AckRecorder:
    """An `Acknowledger` that keeps what it was asked to send (the real one, over the
    delivery engine and the outbox, is tested in test_portal_wiring and the browser test)."""

    sent: list[dict[str, str]] = field(default_factory=list)

    def __call__(
        self, *, unit_code: str, campaign_code: str, key: str, subject: str, text: str
    ) -> None:
        self.sent.append(
            {
                "unit": unit_code,
                "campaign": campaign_code,
                "key": key,
                "subject": subject,
                "text": text,
            }
        )


def record_all(folder: Path) -> list[str]:
    """Record every campaign file of `folder` in the store, as `thidua deploy` does."""
    codes = []
    for path in sorted(folder.glob("*.py")):
        loaded = load_campaign(path)
        with session_scope() as session:
            record_campaign(session, loaded)
        codes.append(loaded.spec.code)
    return codes


@pytest.fixture
def portal(store: Engine, campaigns: Path) -> Iterator[Portal]:
    """The portal over the recorded `campaigns`, on SQLite and on PostgreSQL."""
    record_all(campaigns)
    # Pages pass the portal's `now` to every use case, so no THIDUA_NOW is needed.
    yield Portal(settings=get_settings(), campaigns=campaigns)
    set_settings(None)
