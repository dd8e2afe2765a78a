"""`thidua simulate`: a whole campaign on a virtual clock through the real flow and tasks."""

from __future__ import annotations

import subprocess

from .conftest import CAMPAIGNS, ROOT
from .serving import THIDUA, clean_env

SEED_003 = str(CAMPAIGNS / "ubnd_2023_75_nam_thi_dua_ai_quoc.py")


def test_simulate_seed_003_end_to_end(tmp_path) -> None:
    env = clean_env(THIDUA_DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [THIDUA, "simulate", SEED_003, "--verbose"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "Traceback" not in out + result.stderr
    assert out.startswith("Mô phỏng: không gửi tới kênh thật nào.")
    assert out.count("✓ ") == 11 and "✗" not in out
    # 32 units, 4 of which also have an e-mail contact (simulated in the outbox too).
    assert "✓ 20/04/2023 (thứ Năm) 08:00 · Phát động → 32 đơn vị (gửi 36, lỗi 0, bỏ qua 0)" in out
    # Without SMTP settings a real run could not e-mail them: said, not fatal.
    assert "cảnh báo (khi chạy thật): chưa đặt biến môi trường THIDUA_SMTP_USER" in out
    # What one unit receives, in Vietnamese, with the window of the online submission.
    assert "── SYT: [75NAM-TDAQ/KH-UBND] Nhắc hạn: Nộp hồ sơ đề nghị Bằng khen" in out
    assert "trong thời gian từ ngày 03 tháng 7 năm 2023 (thứ Hai) đến ngày 04 tháng 7" in out
    # Escalations go to the heads of the khối / cụm of the units still missing.
    assert "Báo cáo cấp trên: đơn vị chưa “Nộp hồ sơ đề nghị Bằng khen" in out

    sim = tmp_path / "simulate" / "75nam-tdaq-kh-ubnd"
    assert (
        len(list((sim / "outbox" / "syt").glob("*.eml"))) == 10
    )  # every notice but the escalation
    assert len(list((sim / "outbox" / "syt.mailtos").glob("*.eml"))) == 10
    status = subprocess.run(
        [THIDUA, "status", "75NAM-TDAQ/KH-UBND"],
        cwd=ROOT,
        env=clean_env(THIDUA_DATA_DIR=str(sim)),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Đã thực hiện: 11" in status and "36 đã gửi" in status  # e-mail contacts included


def test_from_a_given_moment_previews_what_a_deploy_would_do(tmp_path) -> None:
    """`--luc`: the decisions of `thidua deploy` at that moment, then only what it would run."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from thidua.campaign.loading import load_campaign
    from thidua.campaign.plan import compile_plan

    now = datetime(2023, 7, 4, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    result = subprocess.run(
        [THIDUA, "simulate", SEED_003, "--luc", "04/7/2023 10:00"],
        cwd=ROOT,
        env=clean_env(THIDUA_DATA_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    loaded = load_campaign(SEED_003)
    actions = compile_plan(loaded.spec, loaded.registry).actions
    # The deploy's rule (THIDUA_CATCHUP_HOURS = 24): older actions are recorded as passed,
    # the ones of the last 24 hours are caught up at once, the rest are scheduled.
    passed = [a for a in actions if a.at < now - timedelta(hours=24)]
    caught_up = [a for a in actions if now - timedelta(hours=24) <= a.at <= now]
    ahead = [a for a in actions if a.at > now]
    assert passed and caught_up and ahead
    assert "Nếu triển khai lúc 10:00 thứ Ba 04/07/2023:" in out
    assert f"Ghi nhận đã qua, không gửi: {len(passed)}" in out
    assert f"Chạy bù ngay (trễ trong thời hạn bắt kịp): {len(caught_up)}" in out
    assert f"Lên lịch: {len(ahead)}" in out
    simulated = out.split("Mô phỏng 75NAM-TDAQ/KH-UBND:", 1)[1]
    assert simulated.count("✓ ") == len(caught_up) + len(ahead)
    for action in passed:
        assert f"· {action.title} →" not in simulated
    # The late launch of the window runs at 10:00, not at its planned 08:00.
    assert "chạy lúc 10:00 04/07/2023" in simulated


def test_the_isolation_changes_no_environment_variable_and_ends_with_its_block(tmp_path) -> None:
    """The simulation's store and private Prefect API hold only inside `isolated`."""
    import os

    from prefect.settings import get_current_settings
    from thidua.flows.simulate import isolated

    from thidua.config import Settings, get_settings, set_settings

    before_env = dict(os.environ)
    real = Settings(data_dir=tmp_path, prefect_api_url="http://127.0.0.1:1/api")
    set_settings(real)
    prefect_before = get_current_settings()
    with isolated(real, "75NAM-TDAQ/KH-UBND") as sim:
        assert get_settings() is sim
        assert sim.data_dir == (tmp_path / "simulate" / "75nam-tdaq-kh-ubnd").resolve()
        assert sim.state_url.startswith(f"sqlite:///{sim.data_dir}")
        current = get_current_settings()
        assert current.home == (tmp_path / "simulate" / ".prefect").resolve()
        assert current.api.url is None  # Prefect's own temporary server, never the real one
        assert current.server.ui.enabled is False
        assert dict(os.environ) == before_env
    assert get_settings() is real
    assert get_current_settings().home == prefect_before.home
    assert dict(os.environ) == before_env


def test_the_simulations_prefect_api_is_lean_only_for_thidua_simulate(tmp_path) -> None:
    """`thidua simulate` drops what nobody reads in its private API; the plain isolation keeps it.

    Task-run records were half of the API's work in a simulation and run heartbeats cost
    every run a wait on exit; a real run in the isolation (tests/test_secrets.py searches
    its records for secrets) keeps the task runs.
    """
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED,
        PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED,
    )
    from thidua.flows.simulate import prefect_settings

    from thidua.config import Settings

    settings = Settings(data_dir=tmp_path)
    lean, _ = prefect_settings(settings, lean=True)
    plain, _ = prefect_settings(settings)
    assert lean[PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED] is False
    assert lean[PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED] is False
    assert PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED not in plain
    assert PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED not in plain
    assert lean[PREFECT_FLOWS_HEARTBEAT_FREQUENCY] is None
    assert plain[PREFECT_FLOWS_HEARTBEAT_FREQUENCY] is None
    assert {k: v for k, v in lean.items() if k in plain} == plain


def test_a_process_loads_a_campaign_once_and_again_when_a_source_changes(
    write_campaign, campaign_dir
) -> None:
    """Each action run used to load its campaign file again (~70 ms in the sandbox); a
    simulation or worker now loads it once, and again when the file, its registry or a
    campaign file beside it (a child's parent) changes, even within the clock's tick."""
    from thidua.tasks.actions import loaded_plan

    path = write_campaign()
    first, plan = loaded_plan(path)
    assert loaded_plan(path) == (first, plan) and loaded_plan(path)[0] is first
    registry = campaign_dir / "units.yaml"
    # Same size in bytes ("ộ" and "ớ" are 3 bytes each), likely the same modification time.
    registry.write_text(registry.read_text("utf-8").replace("xã Một", "xã Mới"), "utf-8")
    second, _ = loaded_plan(path)
    assert second is not first and second.registry.unit("XA-1").name == "UBND xã Mới"
    path.write_text(path.read_text("utf-8").replace("thử nghiệm", "thử nghiệm 2"), "utf-8")
    third, _ = loaded_plan(path)
    assert third.spec.title == "Đợt thi đua thử nghiệm 2"
    (campaign_dir / "khac.py").write_text("# 12/KH-TEST\n", "utf-8")
    assert loaded_plan(path)[0] is not third


def test_the_private_apis_process_gets_the_lean_settings_over_the_users(
    tmp_path, monkeypatch
) -> None:
    """The API is started before Prefect is imported, from variables built by hand: Prefect
    itself, reading them, must find the simulation's home and the lean services."""
    import os

    from prefect.settings import Settings as PrefectSettings
    from thidua.flows.simulate import api_environment

    from thidua.config import Settings

    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "DEBUG")  # a user's choice, kept
    monkeypatch.setenv("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED", "true")  # not this
    env = api_environment(Settings(data_dir=tmp_path))
    for name in list(os.environ):
        if name.startswith("PREFECT_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    seen = PrefectSettings()
    assert seen.home == (tmp_path / "simulate" / ".prefect").resolve()
    assert seen.server.services.task_run_recorder.enabled is False
    assert seen.server.services.event_persister.enabled is False
    assert seen.server.ui.enabled is False
    assert seen.server.analytics_enabled is False
    assert seen.server.ephemeral.startup_timeout_seconds == 180
    assert seen.logging.level == "DEBUG"


def test_the_private_api_finds_its_home_on_a_fresh_data_dir(tmp_path) -> None:
    """Prefect creates its home without parents: the simulation creates it before the API
    process starts, or on a fresh data dir the API would race `simulate/` into existence,
    lose, and start without a database (a traceback, a retried start)."""
    from thidua.flows.simulate import PrivateApi

    from thidua.config import Settings

    api = PrivateApi(Settings(data_dir=tmp_path / "moi"))
    try:
        assert (tmp_path / "moi" / "simulate" / ".prefect").is_dir()
        assert api.wait().startswith("http://127.0.0.1:")
    finally:
        api.stop()
