"""Shared fixtures: the shipped registry, a small registry, and campaign-file writers.

Fixtures that several test files use live here or in a helper module registered below;
test files use them by name and never import a fixture, nor another test file
(tests/test_structure.py checks both). Plain helpers shared by a few files sit in
non-test modules (serving.py, faults.py, board_fixtures.py, ...) that those files import.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from thidua.config import Settings, set_settings

#: Helper modules whose fixtures every test file can use by name.
pytest_plugins = [
    "tests.store_fixtures",  # backend, pg_database, empty_db, fresh_db, sqlite_db
    "tests.submission_fixtures",  # campaigns, store
    "tests.smtp_peer",  # smtp_server
    "tests.portal_fixtures",  # portal
]

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGNS = ROOT / "campaigns"

SMALL_REGISTRY = """\
name: Tỉnh thử nghiệm
groups:
  - {code: KHOI-A, name: Khối A, kind: khoi, head: SO-A}
  - {code: CUM-X, name: Cụm xã, kind: cum, head: XA-1}
units:
  - {code: UBND, name: UBND tỉnh, kind: co_quan_tinh, contacts: ["outbox://ubnd"]}
  - {code: BTDKT, name: Ban Thi đua - Khen thưởng, kind: phong, supervisor: UBND,
     contacts: ["outbox://btdkt"]}
  - {code: SO-A, name: Sở A, kind: so_nganh, groups: [KHOI-A], supervisor: UBND, headcount: 20,
     contacts: ["outbox://so-a"]}
  - {code: SO-B, name: Sở B, kind: so_nganh, groups: [KHOI-A], supervisor: UBND, headcount: 30,
     contacts: ["outbox://so-b"]}
  - {code: XA-1, name: UBND xã Một, kind: xa, groups: [CUM-X], supervisor: UBND, headcount: 10,
     contacts: ["outbox://xa-1"]}
  - {code: XA-2, name: UBND xã Hai, kind: xa, groups: [CUM-X], supervisor: UBND, headcount: 12,
     contacts: ["outbox://xa-2"]}
"""

BASE_CAMPAIGN = """\
from thidua import *

campaign = Campaign(
    code="12/KH-TEST",
    title="Đợt thi đua thử nghiệm",
    issuer="UBND tỉnh",
    issued="ngày 02/3/2026",
    period="Từ ngày 01/3/2026 đến ngày 30/6/2026",
    organizer="BTDKT",
    registry="units.yaml",
    participants=Participants(groups=["KHOI-A", "CUM-X"]),
    milestones=[
        Milestone(kind="phát động", when="ngày 02/3/2026"),
        {milestones}
    ],{extra}
)
"""


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every test gets its own data dir, so caches never leak between tests."""
    data_dir = tmp_path_factory.mktemp("thidua-data")
    set_settings(Settings(data_dir=data_dir, registry=CAMPAIGNS / "units.yaml"))
    yield
    set_settings(None)


@pytest.fixture
def campaign_dir(tmp_path: Path) -> Path:
    (tmp_path / "units.yaml").write_text(SMALL_REGISTRY, encoding="utf-8")
    return tmp_path


@pytest.fixture
def write_campaign(campaign_dir: Path) -> Callable[..., Path]:
    """Write a campaign file from milestone snippets (or a whole text) and return its path."""

    def write(
        milestones: str = "", *, extra: str = "", text: str | None = None, name: str = "camp.py"
    ) -> Path:
        path = campaign_dir / name
        if text is None:
            text = BASE_CAMPAIGN.format(
                milestones=textwrap.indent(textwrap.dedent(milestones).strip(), " " * 8).strip(),
                extra=("\n    " + textwrap.dedent(extra).strip()) if extra else "",
            )
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory):
    """The README's main job, `thidua serve`, on the shipped campaigns: one per session."""
    from .serving import start_serve

    process = start_serve(tmp_path_factory.mktemp("serve"))
    yield process
    process.stop()


@pytest.fixture
def server_now() -> datetime:
    """The wall clock, read in this one place for the tests that deploy to `served`.

    The session's Prefect server is real: it schedules runs and marks them late by the
    wall clock, so a campaign these tests deploy must lie ahead of it, and no clock can
    be injected into it. Nothing is asserted on this value: `tests.worker_runs.quiet_launch`
    turns it into a launch whose deadlines all fall on working days, so the runs and
    counts the tests expect are the same on a Saturday, on Tết or on 31/12
    (`test_the_launch_of_these_tests_keeps_clear_of_holidays` injects those days).
    """
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
