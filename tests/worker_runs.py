"""Campaigns for real `thidua serve` workers, and reading their runs: shared by
tests/test_worker.py and tests/test_pause_resume.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .conftest import SMALL_REGISTRY
from .serving import Served, start_serve

VN = ZoneInfo("Asia/Ho_Chi_Minh")
#: The days, from the launch, of the milestones `campaign_text` writes (b at 20, or 25 moved).
MILESTONE_DAYS = (0, 10, 20, 25)


def quiet_launch(now: datetime, *, ahead: timedelta = timedelta(days=1)) -> datetime:
    """A launch for a campaign the session's Prefect server must hold as scheduled.

    The server schedules by the wall clock, so the caller reads it once and passes it as
    `now`; the launch is at least `ahead` of it. Everything else is made independent of
    the day the tests run: the launch moves on to the first day whose milestones
    (`MILESTONE_DAYS`) all fall on Vietnamese working days, so no deadline is moved by a
    weekend, Tết or New Year and the counts the tests assert are those of any other day.
    """
    from thidua.dates.workdays import vietnam_calendar

    calendar = vietnam_calendar()
    launch = now.astimezone(VN).replace(microsecond=0) + ahead
    while not all(
        calendar.is_working_day(launch.date() + timedelta(days=d)) for d in MILESTONE_DAYS
    ):
        launch += timedelta(days=1)
    return launch


def campaign_text(code: str, launch: datetime, *, b_days: int = 20) -> str:
    today = launch.date()
    return f'''
from thidua import Campaign, Milestone, Participants

campaign = Campaign(
    code="{code}",
    title="Đợt thi đua thử nghiệm tiến trình",
    issuer="UBND tỉnh",
    issued="{today:%d/%m/%Y}",
    period="Từ ngày {today:%d/%m/%Y} đến ngày {today + timedelta(days=60):%d/%m/%Y}",
    organizer="BTDKT",
    registry="units.yaml",
    working_days_only=False,
    participants=Participants(groups=["KHOI-A", "CUM-X"]),
    milestones=[
        Milestone(kind="phát động", when="{today:%d/%m/%Y}", time="{launch:%H:%M:%S}"),
        Milestone(id="a", kind="báo cáo", when="{today + timedelta(days=10):%d/%m/%Y}", reminders=[3]),
        Milestone(id="b", kind="báo cáo", when="{today + timedelta(days=b_days):%d/%m/%Y}", reminders=[3]),
    ],
)
'''


def make_campaign(folder: Path, code: str, launch: datetime, **kw) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "units.yaml").write_text(SMALL_REGISTRY, encoding="utf-8")
    path = folder / "camp.py"
    path.write_text(campaign_text(code, launch, **kw), encoding="utf-8")
    return path


def worker(served: Served, data_dir: Path, campaigns: Path) -> Served:
    return start_serve(
        data_dir, api_url=served.api_url, extra_env={"THIDUA_CAMPAIGNS_DIR": str(campaigns)}
    )


def runs_by_name(served: Served, code: str) -> dict[str, list[dict]]:
    deployment = served.deployment(code.replace("/", "-"))
    out: dict[str, list[dict]] = {}
    for run in served.runs(deployment["id"]):
        out.setdefault(run["name"], []).append(run)
    return out
