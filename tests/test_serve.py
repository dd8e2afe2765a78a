"""The main job as an operator meets it: `thidua serve`, the Prefect UI, the store.

One `thidua serve` per session (tests/conftest.py `served`) starts its own Prefect
server and UI on a free port and deploys every campaign in campaigns/.
"""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from thidua.campaign.loading import load_campaign
from thidua.campaign.plan import compile_plan

from .browser import Browser, chromium_path, nfc
from .conftest import CAMPAIGNS
from .serving import check_runs_follow_the_rules

OUTPUT = Path(__file__).resolve().parent / "output"


def future_actions(name: str):
    loaded = load_campaign(CAMPAIGNS / name)
    now = datetime.now(UTC)
    return [a for a in compile_plan(loaded.spec, loaded.registry).actions if a.at > now]


def test_serve_says_where_the_ui_is(served) -> None:
    out = served.output()
    assert f"Giao diện Prefect: {served.ui_url}" in out
    assert "Traceback" not in out


def test_serve_runs_the_units_portal_beside_the_worker(served) -> None:
    assert f"Cổng thi đua của đơn vị: {served.portal_url}" in served.output()
    with urllib.request.urlopen(f"{served.portal_url}/healthz", timeout=10) as resp:
        assert resp.status == 200 and resp.read() == b"ok"


def test_each_campaign_is_a_tagged_deployment(served) -> None:
    for path in CAMPAIGNS.glob("*.py"):
        code = load_campaign(path).code
        deployment = served.deployment(code.replace("/", "-"))
        assert code in deployment["tags"], code
        assert deployment["paused"] is False


def test_runs_match_the_plan_exactly(served) -> None:
    """Scheduled runs are derived from the campaign file: same names, same times, no extra.

    Expectations come from the plan and the catch-up / working-hours rules, not from
    today: a reminder that passed within the catch-up window is caught up and, on a
    weekend, handed on to the next working slot (tests.serving.check_runs_follow_the_rules).
    """
    for name in ("vd_2027_thi_dua_nam.py", "vd_2026_2030_doi_moi_sang_tao.py"):
        loaded = load_campaign(CAMPAIGNS / name)
        deployment = served.deployment(loaded.code.replace("/", "-"))
        got, want = check_runs_follow_the_rules(served, deployment["id"], loaded)
        assert sorted(got) == sorted(want)


def test_actions_years_away_are_scheduled_and_visible(served) -> None:
    deployment = served.deployment("VD-01-KH-UBND")
    runs = served.runs(deployment["id"], "SCHEDULED")
    last = runs[-1]
    assert last["name"].startswith("VD-01/KH-UBND · Tổng hợp kết quả tổng kết")
    assert last["expected_start_time"].startswith("2031-01-02")  # quý IV/2030 + 1 working day


def test_past_seed_actions_are_recorded_as_passed_not_sent(served) -> None:
    deployment = served.deployment("641-KH-UBND")
    assert served.runs(deployment["id"]) == []
    status = served.thidua("status", "641/KH-UBND").stdout
    assert "đã qua, không gửi" in status and "Đã thực hiện: 0" in status
    assert not (served.data_dir / "outbox").exists() or not any(
        (served.data_dir / "outbox").rglob("*.eml")
    )


def test_status_of_a_live_campaign(served) -> None:
    ahead = len(future_actions("vd_2027_thi_dua_nam.py"))  # 22 before 15/01/2027
    out = served.thidua("status", "VD-02/KH-UBND").stdout
    assert "VD-02/KH-UBND — Phát động phong trào thi đua năm 2027" in out
    assert f"đã lên lịch: {ahead} ·" in out  # the summary under the actions
    assert ("│ đã lên lịch " in out) == (ahead > 0)  # an action's own status


def test_status_of_an_unknown_campaign(served) -> None:
    result = served.thidua("status", "1/KH-KHONG", check=False)
    assert result.returncode == 1 and "“1/KH-KHONG”" in result.stderr
    assert "Traceback" not in result.stderr


def test_prefect_yaml_is_derived_from_the_campaign_files(served) -> None:
    result = served.thidua("prefect-yaml", "--check")
    assert f"khớp với {len(list(CAMPAIGNS.glob('*.py')))} tệp" in result.stdout


@pytest.fixture(scope="module")
def browser():
    chromium_path()  # fails with the install hint when Chromium is missing
    with Browser(width=1440, height=900, timezone="Asia/Ho_Chi_Minh") as b:
        yield b


def test_ui_lists_the_campaign_deployments(served, browser) -> None:
    page = browser.screenshot_url(
        # One page for all: the session's server also holds other tests' deployments, and
        # the UI pages by 10 (sorted by name, VD-02 would fall on page 2).
        f"{served.ui_url}/v2/deployments?page=1&sort=NAME_ASC&limit=100",
        OUTPUT / "ui-deployments.png",
        wait_for=["VD-02-KH-UBND", "641-KH-UBND"],
        all_of=True,
        timeout=30,
    )
    assert page.found, page.excerpt()
    assert page.has("641/KH-UBND"), page.excerpt()  # a tag with the real document number


def test_ui_shows_upcoming_runs_with_readable_names(served, browser) -> None:
    # The campaign with actions still ahead (VD-02 until the end of 2027, then VD-01).
    name = next(
        n
        for n in ("vd_2027_thi_dua_nam.py", "vd_2026_2030_doi_moi_sang_tao.py")
        if len(future_actions(n)) >= 3
    )
    actions = future_actions(name)[:3]
    deployment = served.deployment(actions[0].campaign.replace("/", "-"))
    names = [nfc(a.run_name()) for a in actions]
    if actions[0].key == "launch/-/launch" and name == "vd_2027_thi_dua_nam.py":
        assert names[0] == "VD-02/KH-UBND · Phát động · 15/01/2027"
    page = browser.screenshot_url(
        f"{served.ui_url}/v2/deployments/deployment/{deployment['id']}?tab=Upcoming",
        OUTPUT / "ui-upcoming-runs.png",
        wait_for=names,
        all_of=True,
        timeout=30,
    )
    assert page.found, page.excerpt()
    for name in names:
        assert page.has(name), f"{name!r} not shown:\n{page.excerpt()}"


def test_ctrl_c_keeps_every_scheduled_action_and_restart_adds_none(served) -> None:
    """Last in this module: stops the session's serve and starts it again in its place."""
    from .serving import start_serve

    deployment = served.deployment("VD-02-KH-UBND")
    before = sorted(r["id"] for r in served.runs(deployment["id"], "SCHEDULED"))
    assert served.stop() == 0
    assert "Đã dừng. Các hoạt động đã lên lịch vẫn được giữ" in served.output()

    port = served.api_url.rsplit(":", 1)[1].split("/")[0]
    again = start_serve(served.data_dir, port=int(port))
    served.process, served.log = again.process, again.log  # the fixture stops this one
    assert "VD-02/KH-UBND: 0 mới, 0 dời lịch, 0 hủy" in again.output()
    after = sorted(r["id"] for r in again.runs(deployment["id"], "SCHEDULED"))
    assert after == before
