"""The served scenario at fixed dates: what `thidua serve` schedules does not depend on today.

`thidua serve --no-worker` deploys copies of the shipped campaigns onto the session's
Prefect server with the clock frozen by THIDUA_NOW (thidua/clock.py) at a Saturday,
a public holiday and a quarter's last day. No runner serves these deployments, so
runs that lie in the real past stay as the deploy made them. Expectations come from
the plan and the catch-up rule (an action is caught up when it passed at most
THIDUA_CATCHUP_HOURS before now, else recorded as passed), and each case names the
action that makes it interesting, so a case that stopped exercising catch-up fails.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from thidua.campaign.loading import LoadedCampaign, load_campaign
from thidua.campaign.plan import Action, compile_plan
from thidua.config import Settings
from thidua.dates.hours import next_send_time, off_hours_reason

from .conftest import CAMPAIGNS
from .serving import ROOT, Served, start_serve

PREFECT = str(Path(sys.executable).with_name("prefect"))

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class Case:
    """A frozen instant, the campaigns deployed then, and the action caught up at it."""

    tag: str
    now: datetime
    files: tuple[str, ...]
    caught_up: str  # "<campaign file>:<action key>"
    #: where the caught-up action's notice goes: None = sent at once, else its new slot
    sent_at: datetime | None
    reason: str  # off_hours_reason at `now` (why it is deferred), "" when in hours
    #: the notice's deadline passed before it could go: skipped, not sent (thidua.dates.hours)
    skipped: bool = False


CASES = [
    Case(  # a Friday reminder, caught up 23 hours later on the Saturday: sent on Monday
        "T7",
        datetime(2026, 5, 30, 7, 0, tzinfo=VN),
        ("ubnd_641_kh_2026_100_ngay_dem.py", "sngv_579_kh_2026_100_ngay_dem.py"),
        "ubnd_641_kh_2026_100_ngay_dem.py:nomination/-/reminder/7d",
        datetime(2026, 6, 1, 8, 0, tzinfo=VN),
        "ngày nghỉ cuối tuần",
    ),
    Case(  # a public holiday (24/11, Ngày Văn hóa Việt Nam): the reminder goes the next day
        "LE",
        datetime(2027, 11, 24, 7, 0, tzinfo=VN),
        ("vd_2027_thi_dua_nam.py",),
        "vd_2027_thi_dua_nam.py:nomination/-/reminder/7d",
        datetime(2027, 11, 25, 8, 0, tzinfo=VN),
        "ngày nghỉ lễ: Ngày Văn hóa Việt Nam",
    ),
    Case(  # Tết Dương lịch: the 31/12 deadline notice, caught up after its deadline, is dropped
        "TET",
        datetime(2031, 1, 1, 7, 0, tzinfo=VN),
        ("vd_2026_2030_doi_moi_sang_tao.py",),
        "vd_2026_2030_doi_moi_sang_tao.py:summary/-/due",
        datetime(2031, 1, 2, 8, 0, tzinfo=VN),
        "ngày nghỉ lễ: Tết Dương lịch",
        skipped=True,
    ),
    Case(  # a quarter's last day, inside working hours: the caught-up notice goes at once
        "Q1",
        datetime(2026, 3, 31, 7, 30, tzinfo=VN),
        ("ubnd_641_kh_2026_100_ngay_dem.py", "vd_2026_2030_doi_moi_sang_tao.py"),
        "ubnd_641_kh_2026_100_ngay_dem.py:implementing-plan/-/overdue",
        None,
        "",
    ),
]

_CODE = re.compile(r'^(    code=")([^"]+)(")', re.M)
_PARENT = re.compile(r'^(    parent=")([^"]+)(")', re.M)


def copy_campaigns(folder: Path, case: Case) -> dict[str, LoadedCampaign]:
    """The case's campaign files with codes of their own (deployments are named by code)."""
    shutil.copytree(CAMPAIGNS, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    loaded = {}
    for name in case.files:
        text = (CAMPAIGNS / name).read_text(encoding="utf-8")
        text = _CODE.sub(rf"\g<1>\g<2>-{case.tag}\g<3>", text, count=1)
        text = _PARENT.sub(rf"\g<1>\g<2>-{case.tag}\g<3>", text, count=1)
        (folder / name).write_text(text, encoding="utf-8")
        loaded[name] = load_campaign(folder / name)
        assert loaded[name].code.endswith(f"-{case.tag}")
    return loaded


def actions_of(loaded: LoadedCampaign) -> list[Action]:
    return compile_plan(loaded.spec, loaded.registry, notice_time=Settings().notice_time).actions


@pytest.fixture(scope="module", params=CASES, ids=[c.tag for c in CASES])
def deployed(request, served: Served, tmp_path_factory: pytest.TempPathFactory):
    """`thidua serve --no-worker` at the case's instant, attached to the session's server."""
    case: Case = request.param
    root = tmp_path_factory.mktemp(f"fixed-{case.tag}")
    loaded = copy_campaigns(root / "campaigns", case)
    at_case = start_serve(
        root / "data",
        args=("--no-worker",),
        api_url=served.api_url,
        extra_env={
            "THIDUA_CAMPAIGNS_DIR": str(root / "campaigns"),
            "THIDUA_NOW": case.now.isoformat(),
        },
    )
    assert at_case.process.wait(timeout=120) == 0, at_case.output()
    assert f"đồng hồ giả lập THIDUA_NOW={case.now.isoformat()}" in at_case.output()
    return case, loaded, at_case


def test_deploy_at_a_fixed_date_schedules_what_the_rules_say(served, deployed) -> None:
    case, loaded, at_case = deployed
    catchup = Settings().catchup  # clean_env drops THIDUA_*: the served default
    for name, campaign in loaded.items():
        actions = actions_of(campaign)
        deployment = served.deployment(campaign.code.replace("/", "-"))
        runs = served.runs(deployment["id"])
        assert {r["state_type"] for r in runs} <= {"SCHEDULED"}, "a run was executed"
        got = sorted((r["name"], datetime.fromisoformat(r["expected_start_time"])) for r in runs)
        want = sorted((a.run_name(), a.at) for a in actions if a.at >= case.now - catchup)
        assert got == want, name
        passed = [a for a in actions if a.at < case.now - catchup]
        status = at_case.thidua("status", campaign.code).stdout
        if passed:
            assert "đã qua, không gửi" in status, status


def test_the_caught_up_action_is_scheduled_late_and_its_slot_follows_the_hours(
    served, deployed
) -> None:
    """The case really catches an action up, and the working-hours rule places its notice."""
    case, loaded, _ = deployed
    name, key = case.caught_up.split(":", 1)
    campaign = loaded[name]
    [action] = [a for a in actions_of(campaign) if a.key == key]
    assert case.now - Settings().catchup <= action.at < case.now  # passed, within the window
    deployment = served.deployment(campaign.code.replace("/", "-"))
    runs = [r for r in served.runs(deployment["id"], "SCHEDULED") if r["name"] == action.run_name()]
    assert [datetime.fromisoformat(r["expected_start_time"]) for r in runs] == [action.at]
    # What the action flow decides when that run starts at the frozen instant.
    slot = next_send_time(
        case.now,
        working_days_only=campaign.spec.working_days_only,
        notice_time=action.at.astimezone(VN).time(),
        tz=VN,
    )
    assert slot == case.sent_at
    if slot is not None:
        assert off_hours_reason(case.now, tz=VN) == case.reason
        assert slot - case.now < timedelta(days=3)


def test_the_caught_up_run_decides_with_the_frozen_clock(served, deployed) -> None:
    """The action flow honours THIDUA_NOW: run alone, the caught-up run defers or sends.

    Executed by id (`prefect flow-run execute`), as a worker would, so no other run of
    the deployment (all in the real past) is touched.
    """
    case, loaded, at_case = deployed
    name, key = case.caught_up.split(":", 1)
    campaign = loaded[name]
    deployment = served.deployment(campaign.code.replace("/", "-"))
    [run] = [r for r in served.runs(deployment["id"]) if r["parameters"]["action_key"] == key]
    execute(served, at_case, run["id"])
    done = served.api("GET", f"/flow_runs/{run['id']}")
    runs = [r for r in served.runs(deployment["id"]) if r["parameters"]["action_key"] == key]
    outbox = at_case.data_dir / "outbox"
    sent = list(outbox.rglob("*.eml")) if outbox.exists() else []
    if case.skipped:  # its deadline passed before any slot: not sent late as a reminder
        assert done["state_type"] == "CANCELLED", done
        assert [r["id"] for r in runs] == [run["id"]] and sent == []
        return
    if case.sent_at is None:  # inside working hours at the frozen instant: sent now
        assert done["state_type"] == "COMPLETED" and "hoãn gửi" not in done["name"], done
        assert [r["id"] for r in runs] == [run["id"]] and sent
        return
    # Deferred: a plain Completed state (custom state names drop out of the UI's run
    # lists), the run's name saying to when.
    assert done["state_type"] == "COMPLETED", done
    assert done["name"].endswith(f"— hoãn gửi đến {case.sent_at:%H:%M %d/%m/%Y}"), done
    assert case.reason in done["state"]["message"]
    [successor] = [r for r in runs if r["id"] != run["id"]]
    assert datetime.fromisoformat(successor["expected_start_time"]) == case.sent_at
    assert successor["parameters"]["deferred_to"] is not None
    assert sent == []  # nothing reached units outside working hours
    # The successor runs on the slot it was deferred to, not on the frozen instant: it sends.
    assert datetime.fromisoformat(successor["parameters"]["now"]) == case.sent_at
    execute(served, at_case, successor["id"])
    after = served.api("GET", f"/flow_runs/{successor['id']}")
    assert after["state_type"] == "COMPLETED" and "hoãn gửi" not in after["name"], after
    assert list(outbox.rglob("*.eml"))


def execute(served: Served, at_case: Served, run_id: str) -> None:
    """Run one flow run by id, as a worker would, with the case's settings and clock."""
    # Due now in real time, as for a worker back after a downtime: Prefect would otherwise
    # hold a run planned in the real future (31/12/2030) until then. Its parameters keep
    # the planned time, so the flow still sees the action as planned.
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
    process = subprocess.Popen(
        [PREFECT, "flow-run", "execute", run_id],
        cwd=ROOT,
        env={**at_case.env, "PREFECT_API_URL": served.api_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # on timeout, its engine child goes down with it
    )
    try:
        out, _ = process.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
        raise AssertionError(f"flow run {run_id} did not finish:\n{out[-3000:]}") from None
    assert process.returncode == 0, out[-3000:]
