"""THIDUA_PREFECT_SERVER_WORKERS: the local Prefect server's API processes.

What `LocalServer` would run, and what it refuses before starting anything: several API
workers only on PostgreSQL and only with Prefect's messaging on Redis (Prefect's own
rules, said here in Vietnamese instead of an English line in the server log). A real
start with two workers and Redis is measured by bench/deploy_scale.py.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from thidua.flows.server import MULTI_WORKER_REDIS, LocalServer

from thidua.config import EnvSource, Settings
from thidua.errors import SettingsError

PG = "postgresql+asyncpg://thidua:hunter22@127.0.0.1:5432/prefect"


@pytest.fixture
def redis_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, (_, value) in MULTI_WORKER_REDIS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def redis_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in MULTI_WORKER_REDIS:
        monkeypatch.delenv(name, raising=False)


def settings(tmp_path: Path, workers: int, database: str = PG) -> Settings:
    return Settings(
        data_dir=tmp_path, ui_port=4999, prefect_database_url=database,
        prefect_server_workers=workers,
    )  # fmt: skip


def test_the_setting_is_read_from_the_environment_and_defaults_to_one() -> None:
    assert Settings().prefect_server_workers == 1
    loaded = Settings.load([EnvSource({"THIDUA_PREFECT_SERVER_WORKERS": "3"})])
    assert loaded.prefect_server_workers == 3
    with pytest.raises(SettingsError) as info:
        Settings.load([EnvSource({"THIDUA_PREFECT_SERVER_WORKERS": "hai"})])
    assert "THIDUA_PREFECT_SERVER_WORKERS" in str(info.value)
    assert "“hai”" in str(info.value) or "hai" in str(info.value)


def test_one_worker_is_one_process_that_migrates_and_runs_the_services(tmp_path: Path) -> None:
    for database in ("", PG):
        [api] = LocalServer(settings(tmp_path, 1, database)).commands()
        assert api == [
            sys.executable, "-m", "prefect", "server", "start",
            "--host", "127.0.0.1", "--port", "4999",
        ]  # fmt: skip


def redis_client_installed() -> bool:
    return importlib.util.find_spec("prefect_redis") is not None


@pytest.mark.usefixtures("redis_configured")
def test_several_workers_need_the_prefect_redis_package(tmp_path: Path) -> None:
    if redis_client_installed():
        assert LocalServer(settings(tmp_path, 2)).workers == 2
        return
    with pytest.raises(SettingsError) as info:  # Prefect would fail to import its modules
        LocalServer(settings(tmp_path, 2))
    assert "THIDUA_PREFECT_SERVER_WORKERS = 2 cần gói prefect-redis" in str(info.value)


def test_several_workers_migrate_once_then_serve_and_run_the_services_apart(
    tmp_path: Path,
) -> None:
    server = LocalServer(settings(tmp_path, 1))
    server.workers = 2  # as validated above; the command line does not depend on Redis
    migrate, api, services = server.commands()
    prefect = [sys.executable, "-m", "prefect", "server"]
    assert migrate == [*prefect, "database", "upgrade", "--yes"]
    assert api[: len(prefect) + 1] == [*prefect, "start"]
    assert api[-2:] == ["--workers", "2"]
    assert "4999" in api
    assert services == [*prefect, "services", "start"]


@pytest.mark.usefixtures("redis_configured")
def test_several_workers_on_sqlite_are_refused_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as info:
        LocalServer(settings(tmp_path, 2, database=""))
    message = str(info.value)
    assert "THIDUA_PREFECT_SERVER_WORKERS = 2" in message
    assert "SQLite" in message and "PostgreSQL" in message
    assert "THIDUA_PREFECT_DATABASE_URL" in message
    # An explicit SQLite URL is SQLite too.
    with pytest.raises(SettingsError):
        LocalServer(settings(tmp_path, 4, database="sqlite+aiosqlite:///x.db"))


@pytest.mark.usefixtures("redis_unset")
def test_several_workers_without_redis_are_refused_naming_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as info:
        LocalServer(settings(tmp_path, 2))
    message = str(info.value)
    assert "THIDUA_PREFECT_SERVER_WORKERS = 2 cần Redis" in message
    for name, (_, value) in MULTI_WORKER_REDIS.items():
        assert f"{name}={value}" in message
    assert "hunter22" not in message


def test_one_half_configured_redis_names_only_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_configured: None
) -> None:
    monkeypatch.delenv("PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE")
    with pytest.raises(SettingsError) as info:
        LocalServer(settings(tmp_path, 2))
    message = str(info.value)
    assert "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE=" in message
    assert "PREFECT_MESSAGING_BROKER=" not in message


def test_zero_workers_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as info:
        LocalServer(settings(tmp_path, 0))
    assert "THIDUA_PREFECT_SERVER_WORKERS = 0 không hợp lệ" in str(info.value)
