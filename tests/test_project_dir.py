"""Every command finds its project from any subfolder, and finds the running `thidua serve`.

The project is the nearest folder up holding ``thidua.toml`` or ``campaigns/``, as
git finds a repository; its data dir is used wherever the command runs. Commands
that talk to Prefect read the API URL `thidua serve` records in the data dir.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from thidua.config import SERVE_FILE, Settings, find_project, served_api_url

from .conftest import BASE_CAMPAIGN, SMALL_REGISTRY
from .serving import ROOT, THIDUA, clean_env

CAMPAIGN = BASE_CAMPAIGN.format(
    milestones='Milestone(kind="báo cáo", id="bao-cao", when="chậm nhất ngày 25/5/2026"),',
    extra="",
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "du-an"
    (root / "campaigns").mkdir(parents=True)
    (root / "campaigns" / "units.yaml").write_text(SMALL_REGISTRY, encoding="utf-8")
    (root / "campaigns" / "camp.py").write_text(CAMPAIGN, encoding="utf-8")
    (root / "tai-lieu" / "nam-2026").mkdir(parents=True)
    return root


@pytest.fixture
def no_thidua_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("THIDUA_"):
            monkeypatch.delenv(name)


def test_settings_are_rooted_at_the_project(
    project: Path, monkeypatch: pytest.MonkeyPatch, no_thidua_env: None
) -> None:
    deep = project / "tai-lieu" / "nam-2026"
    assert find_project(deep) == project.resolve()
    monkeypatch.chdir(deep)
    settings = Settings.load()
    assert settings.project_dir == project.resolve()
    assert settings.data_dir == project.resolve() / ".thidua"
    assert settings.campaigns_dir == project.resolve() / "campaigns"
    # thidua.toml of the project counts, its relative paths from the project folder;
    # a relative path in an environment variable stays relative to where one stands.
    (project / "thidua.toml").write_text('data_dir = "trang-thai"\n', encoding="utf-8")
    monkeypatch.setenv("THIDUA_CAMPAIGNS_DIR", "rieng")
    settings = Settings.load()
    assert settings.data_dir == project.resolve() / "trang-thai"
    assert settings.campaigns_dir == Path("rieng")


def test_a_command_from_a_subfolder_uses_the_project(project: Path) -> None:
    deep = project / "tai-lieu" / "nam-2026"
    env = clean_env()
    result = subprocess.run(
        [
            THIDUA,
            "submit",
            "12/KH-TEST",
            "--don-vi",
            "SO-A",
            "--moc",
            "bao-cao",
            "--luc",
            "20/5/2026 09:30",
        ],
        cwd=deep,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / ".thidua" / "thidua.store.db").is_file()  # the project's store, not ./.thidua
    assert not (deep / ".thidua").exists()
    listed = subprocess.run(
        [THIDUA, "submissions", "12/KH-TEST"],
        cwd=project / "tai-lieu",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "SO-A" in listed.stdout


def test_a_stale_serve_record_is_ignored(tmp_path: Path) -> None:
    (tmp_path / SERVE_FILE).write_text(
        json.dumps({"pid": 2**22 + 12345, "api_url": "http://127.0.0.1:1/api"}), encoding="utf-8"
    )
    assert served_api_url(tmp_path) is None
    settings = Settings(data_dir=tmp_path, ui_port=4321)
    assert settings.api_url == "http://127.0.0.1:4321/api"
    (tmp_path / SERVE_FILE).write_text(
        json.dumps({"pid": os.getpid(), "api_url": "http://127.0.0.1:9/api"}), encoding="utf-8"
    )
    assert settings.api_url == "http://127.0.0.1:9/api"


def test_commands_find_the_running_serve(served) -> None:
    record = json.loads((served.data_dir / SERVE_FILE).read_text(encoding="utf-8"))
    assert record["api_url"] == served.api_url
    # No port, no API URL: only the data dir, as an operator in another terminal has.
    env = clean_env(THIDUA_DATA_DIR=str(served.data_dir))
    result = subprocess.run(
        [THIDUA, "pause", "999/KH-KHONG-CO"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "không kết nối được máy chủ Prefect" not in result.stderr, result.stderr
    assert "chưa triển khai chiến dịch “999/KH-KHONG-CO”" in result.stderr
