"""A campaign of working-hours notices, and its runs on the session's Prefect server driven
and read through the API and the UI: shared by tests/test_late_runs.py and
tests/test_run_outcome.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from .browser import Browser
from .serving import Served, wait_for

OUTPUT = Path(__file__).resolve().parent / "output"


def campaign_text(code: str, launch: date) -> str:
    end = launch + timedelta(days=60)
    return f'''
from thidua import Campaign, Milestone, Participants

campaign = Campaign(
    code="{code}",
    title="Đợt thi đua thử nghiệm giờ làm việc",
    issuer="UBND tỉnh",
    issued="{launch:%d/%m/%Y}",
    period="Từ ngày {launch:%d/%m/%Y} đến ngày {end:%d/%m/%Y}",
    organizer="BTDKT",
    registry="units.yaml",
    participants=Participants(groups=["KHOI-A", "CUM-X"]),
    milestones=[
        Milestone(kind="phát động", when="{launch:%d/%m/%Y}"),
        # As written: these tests need a deadline that may fall on a Sunday (BLDS Điều 148
        # would move it to Monday by default).
        Milestone(id="a", kind="báo cáo", when="{end - timedelta(days=5):%d/%m/%Y}",
                  deadline_rule="as_written"),
    ],
)
'''


def runs_of(served: Served, code: str, name_part: str) -> list[dict[str, Any]]:
    deployment = served.deployment(code.replace("/", "-"))
    return [r for r in served.runs(deployment["id"]) if name_part in r["name"]]


def run_now(served: Served, run_id: str, **parameters: Any) -> None:
    """Make a run start at once, as a worker coming back late would (optionally on a clock)."""
    if parameters:
        run = served.api("GET", f"/flow_runs/{run_id}")
        served.api(
            "PATCH", f"/flow_runs/{run_id}", {"parameters": {**run["parameters"], **parameters}}
        )
    served.api(
        "POST",
        f"/flow_runs/{run_id}/set_state",
        {
            "state": {
                "type": "SCHEDULED",
                "state_details": {"scheduled_time": datetime.now(UTC).isoformat()},
            },
            "force": True,
        },
    )


def finished(served: Served, run_id: str, worker: Served) -> dict[str, Any]:
    return wait_for(
        lambda: (
            (r := served.api("GET", f"/flow_runs/{run_id}"))["state_type"]
            in ("COMPLETED", "FAILED", "CANCELLED", "CRASHED")
            and r
        ),
        timeout=150,
        message=worker.output(),
    )


def runs_tab_shows(served: Served, code: str, texts: list[str]) -> None:
    """The deployment's Runs tab in the Prefect UI lists `texts` (scripts/test installs Chromium)."""
    deployment = served.deployment(code.replace("/", "-"))
    with Browser(width=1440, height=900, timezone="Asia/Ho_Chi_Minh") as browser:
        page = browser.screenshot_url(
            f"{served.ui_url}/deployments/deployment/{deployment['id']}?tab=Runs",
            OUTPUT / "ui-deferred-runs.png",
            wait_for=texts,
            all_of=True,
            timeout=60,
        )
    assert page.found, page.excerpt()
