"""Promises that only hold across processes: a worker down at the due time, a redeploy,
pause/resume/cancel, and the organizer alerted when a run fails.

Each test runs real `thidua serve` workers attached to the session's Prefect server,
with its own campaigns, registry and data dir, and stops and starts them.
"""

from __future__ import annotations

import email
import email.policy
import json
import time
from datetime import datetime, timedelta
from pathlib import Path

from .serving import wait_for
from .worker_runs import VN, make_campaign, quiet_launch, runs_by_name, worker

PARTICIPANTS = ("SO-A", "SO-B", "XA-1", "XA-2")


def outbox(data_dir: Path, action: str) -> dict[str, int]:
    """Messages per mailbox for one action key (read from the .eml files)."""
    counts: dict[str, int] = {}
    for path in (data_dir / "outbox").rglob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if msg["X-Thidua-Action"] == action:
            counts[path.parent.name] = counts.get(path.parent.name, 0) + 1
    return counts


def test_worker_down_at_the_due_time_runs_the_action_once_when_back(served, tmp_path) -> None:
    launch = datetime.now(VN).replace(microsecond=0) + timedelta(seconds=40)
    make_campaign(tmp_path / "c", "91/KH-THU", launch)
    data = tmp_path / "data"
    first = worker(served, data, tmp_path / "c")
    [name] = [n for n in runs_by_name(served, "91/KH-THU") if "Phát động" in n]
    assert first.stop() == 0  # Ctrl-C before the due time
    time.sleep(max(0.0, (launch - datetime.now(VN)).total_seconds()) + 5)
    assert outbox(data, "launch/-/launch") == {}  # nobody ran it while the worker was down

    second = worker(served, data, tmp_path / "c")
    try:
        wait_for(
            lambda: runs_by_name(served, "91/KH-THU")[name][0]["state_type"] == "COMPLETED",
            timeout=120,
            message=second.output(),
        )
    finally:
        second.stop()
    assert outbox(data, "launch/-/launch") == {code.lower(): 1 for code in PARTICIPANTS}

    third = worker(served, data, tmp_path / "c")
    time.sleep(8)
    third.stop()
    assert outbox(data, "launch/-/launch") == {code.lower(): 1 for code in PARTICIPANTS}
    assert len(runs_by_name(served, "91/KH-THU")[name]) == 1
    status = third.thidua("status", "91/KH-THU").stdout
    assert "đã thực hiện" in status and "4 đã gửi" in status

    # What operators read in the UI: who was notified, a summary, the campaign's progress
    # and its status board.
    artifacts = {
        a["key"]: a
        for a in served.api("POST", "/artifacts/latest/filter", {"limit": 200})
        if (a.get("key") or "").startswith("91-kh-thu-")
    }
    assert set(artifacts) == {
        "91-kh-thu-gui-tin",
        "91-kh-thu-tom-tat",
        "91-kh-thu-tien-do",
        "91-kh-thu-bang-theo-doi",
    }
    table = json.loads(artifacts["91-kh-thu-gui-tin"]["data"])  # table artifacts hold JSON
    assert sorted(row["Mã"] for row in table) == sorted(PARTICIPANTS)
    assert {row["Kết quả"] for row in table} == {"đã gửi"}
    assert "Gửi thành công: 4 lượt" in artifacts["91-kh-thu-tom-tat"]["data"]
    progress = json.loads(artifacts["91-kh-thu-tien-do"]["data"])
    assert progress[0]["Hoạt động"] == "Phát động" and progress[0]["Trạng thái"] == "đã thực hiện"


def test_redeploy_moves_only_the_moved_milestone(served, tmp_path, server_now) -> None:
    launch = quiet_launch(server_now)
    path = make_campaign(tmp_path / "c", "92/KH-THU", launch)
    data = tmp_path / "data"
    served_worker = worker(served, data, tmp_path / "c")
    served_worker.stop()
    before = runs_by_name(served, "92/KH-THU")

    make_campaign(tmp_path / "c", "92/KH-THU", launch, b_days=25)
    out = served_worker.thidua("deploy", str(path)).stdout
    assert "3 dời lịch" in out and "0 hủy" in out
    after = runs_by_name(served, "92/KH-THU")

    def scheduled(runs: dict[str, list[dict]]) -> dict[str, str]:
        return {n: r["id"] for n, rs in runs.items() for r in rs if r["state_type"] == "SCHEDULED"}

    unchanged = {n: i for n, i in scheduled(before).items() if "nộp báo cáo (" not in n or "a" in n}
    old, new = scheduled(before), scheduled(after)
    moved_away = set(old) - set(new)
    moved_in = set(new) - set(old)
    assert len(moved_away) == len(moved_in) == 3
    assert all(after[n][0]["state_type"] == "CANCELLED" for n in moved_away)
    for name in set(old) & set(new):  # everything else keeps its very run
        assert old[name] == new[name], name
    assert unchanged  # the launch and milestone a are among them


def test_pause_resume_cancel(served, tmp_path, server_now) -> None:
    launch = quiet_launch(server_now)
    make_campaign(tmp_path / "c", "93/KH-THU", launch)
    w = worker(served, tmp_path / "data", tmp_path / "c")
    w.stop()

    def scheduled() -> int:
        runs = runs_by_name(served, "93/KH-THU")
        return sum(r["state_type"] == "SCHEDULED" for rs in runs.values() for r in rs)

    planned = scheduled()
    assert planned == 7

    assert "đã tạm dừng" in w.thidua("pause", "93/KH-THU").stdout
    assert served.deployment("93-KH-THU")["paused"] is True and scheduled() == 0
    assert "TẠM DỪNG" in w.thidua("status", "93/KH-THU").stdout

    assert "đã tiếp tục" in w.thidua("resume", "93/KH-THU").stdout
    assert served.deployment("93-KH-THU")["paused"] is False and scheduled() == planned

    assert "đã hủy" in w.thidua("cancel", "93/KH-THU").stdout
    assert served.deployment("93-KH-THU")["paused"] is True and scheduled() == 0
    again = w.thidua("resume", "93/KH-THU", check=False)
    assert again.returncode == 1 and "đã hủy" in again.stderr


def test_a_failed_run_alerts_the_organizer(served, tmp_path) -> None:
    # The launch was due 5 minutes ago (within the catch-up window), so the deploy
    # schedules it late and the worker runs it at once; its template is broken.
    folder = tmp_path / "c"
    make_campaign(
        folder, "94/KH-THU", datetime.now(VN).replace(microsecond=0) - timedelta(minutes=5)
    )
    (folder / "templates").mkdir()
    (folder / "templates" / "launch.txt.j2").write_text("{% if %}", encoding="utf-8")
    data = tmp_path / "data"
    w = worker(served, data, folder)
    try:
        alerts = wait_for(
            lambda: list((data / "outbox" / "btdkt").glob("*.eml")), timeout=120, message=w.output()
        )
    finally:
        w.stop()
    msg = email.message_from_bytes(alerts[0].read_bytes(), policy=email.policy.default)
    assert msg["Subject"].startswith("[94/KH-THU] LỖI: Thông báo phát động ngày ")
    assert "không chạy thành công" in msg.get_content()
    assert outbox(data, "launch/-/launch") == {}
    assert "không thực hiện được" in w.thidua("status", "94/KH-THU").stdout


def test_a_redeploy_with_nothing_changed_touches_nothing(served, tmp_path, server_now) -> None:
    """What every `thidua serve` start does: the same runs, and not even an upsert."""
    launch = quiet_launch(server_now)
    path = make_campaign(tmp_path / "c", "96/KH-THU", launch)
    served_worker = worker(served, tmp_path / "data", tmp_path / "c")
    served_worker.stop()
    before = runs_by_name(served, "96/KH-THU")
    deployment = served.deployment("96-KH-THU")

    out = served_worker.thidua("deploy", str(path)).stdout
    assert "0 mới, 0 dời lịch, 0 hủy, 0 đã qua, 7 giữ nguyên" in out, out
    assert runs_by_name(served, "96/KH-THU") == before
    assert served.deployment("96-KH-THU")["updated"] == deployment["updated"]


def test_the_launch_of_these_tests_keeps_clear_of_holidays() -> None:
    """Run on the eve of Tết Bính Ngọ (17/02/2026) or on New Year's Eve, the campaigns
    above get the same deadlines as on any other day: none moved by a holiday."""
    from thidua.dates.workdays import vietnam_calendar

    calendar = vietnam_calendar()
    for now in (
        datetime(2026, 2, 13, 9, 30, tzinfo=VN),
        datetime(2026, 12, 31, 23, 0, tzinfo=VN),
        datetime(2026, 12, 5, 10, 0, tzinfo=VN),  # a Saturday
    ):
        launch = quiet_launch(now)
        assert launch >= now + timedelta(days=1) and launch.time() == now.time()
        assert all(
            calendar.is_working_day(launch.date() + timedelta(days=d)) for d in (0, 10, 20, 25)
        ), launch
