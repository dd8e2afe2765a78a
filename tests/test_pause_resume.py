"""`thidua pause` / `resume` keep the very same runs: no Cancelled debris per cycle.

A real `thidua serve` worker attached to the session's Prefect server deploys a
small campaign whose actions all lie ahead; pausing puts its runs in Prefect's
Paused state, resuming puts the same runs back to Scheduled at their own times.
"""

from __future__ import annotations

from datetime import timedelta

from .worker_runs import make_campaign, quiet_launch, runs_by_name, worker


def test_pause_resume_restores_the_same_runs(served, tmp_path, server_now) -> None:
    code = "95/KH-THU"
    launch = quiet_launch(server_now, ahead=timedelta(days=2))
    make_campaign(tmp_path / "c", code, launch)
    w = worker(served, tmp_path / "data", tmp_path / "c")
    w.stop()

    def runs() -> dict[str, tuple[str, str, str]]:
        """Every run of the campaign: id → (name, state type, expected start)."""
        return {
            r["id"]: (name, r["state_type"], r["expected_start_time"])
            for name, rs in runs_by_name(served, code).items()
            for r in rs
        }

    before = runs()
    assert len(before) == 7 and {s for _, s, _ in before.values()} == {"SCHEDULED"}

    for _ in range(2):  # two whole cycles: nothing accumulates
        paused = w.thidua("pause", code)
        assert "đã tạm dừng" in paused.stdout, paused.stdout
        during = runs()
        assert during.keys() == before.keys()
        assert {s for _, s, _ in during.values()} == {"PAUSED"}
        assert served.deployment(code.replace("/", "-"))["paused"] is True

        # A redeploy of a paused campaign (serve restarting) keeps them paused, adds none.
        w.thidua("deploy", str(tmp_path / "c" / "camp.py"))
        assert runs() == during

        resumed = w.thidua("resume", code)
        assert "đã tiếp tục" in resumed.stdout, resumed.stdout
        assert runs() == before
    assert served.deployment(code.replace("/", "-"))["paused"] is False
