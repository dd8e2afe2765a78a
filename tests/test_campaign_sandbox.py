"""A campaign file cannot end, hang or exhaust the loader (issue 11 point 7).

In a folder where one file called `os._exit(0)` at import, `thidua validate` exited
0 and printed nothing, and the broken file next to it was never reported. Files now
run in a child process with a time and a memory limit; a file that exits, crashes,
hangs or allocates too much is reported as refused, and the others still are checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from thidua.campaign import sandbox as campaign_sandbox
from thidua.campaign.loading import load_campaign, load_campaigns
from thidua.errors import CampaignFileError

from .conftest import BASE_CAMPAIGN, CAMPAIGNS, SMALL_REGISTRY

pytestmark = pytest.mark.slow

THIDUA = str(Path(sys.executable).with_name("thidua"))
VALID = BASE_CAMPAIGN.format(milestones="", extra="")
EXITS = "import os\n\nos._exit(0)\n"
BROKEN = 'from thidua import *\n\ncampaign = Campaign(code="12/KH-TEST")\n'


@pytest.fixture(autouse=True, params=["fork", "spawn"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """In-process loads run both ways: forked (single-threaded CLI) and a fresh interpreter."""
    if request.param == "spawn":
        monkeypatch.setattr(campaign_sandbox, "can_fork", lambda: False)
    else:
        # Earlier tests of the session may leave library threads behind (Prefect's client,
        # a delivery writer), which would make the loader choose the fresh interpreter:
        # force the fork path the single-threaded CLI takes. CPython's at-fork handlers
        # reset the import and logging locks, all the child needs.
        monkeypatch.setattr(campaign_sandbox, "can_fork", lambda: True)
    return request.param


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "units.yaml").write_text(SMALL_REGISTRY, encoding="utf-8")
    return tmp_path


def _validate(folder: Path, *files: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [THIDUA, "validate", *files],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "THIDUA_DATA_DIR": str(folder / "data"), **env},
    )


def test_a_file_calling_os_exit_cannot_silence_validate(folder: Path) -> None:
    (folder / "a_exits.py").write_text(EXITS, encoding="utf-8")
    (folder / "b_broken.py").write_text(BROKEN, encoding="utf-8")
    (folder / "c_valid.py").write_text(VALID, encoding="utf-8")

    done = _validate(folder, "a_exits.py", "b_broken.py", "c_valid.py")

    assert done.returncode == 1, done
    assert "a_exits.py: tệp kết thúc tiến trình khi nạp (mã thoát 0)" in done.stderr
    assert "✗ b_broken.py" in done.stderr and "title: thiếu trường bắt buộc" in done.stderr
    assert "✓ c_valid.py: 12/KH-TEST" in done.stdout
    assert "2/3 tệp có lỗi." in done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_a_file_that_hangs_is_refused_after_the_time_limit(folder: Path) -> None:
    (folder / "a_hangs.py").write_text("while True:\n    pass\n", encoding="utf-8")
    (folder / "b_valid.py").write_text(VALID, encoding="utf-8")

    done = _validate(folder, "a_hangs.py", "b_valid.py", THIDUA_LOAD_TIMEOUT="2")

    assert done.returncode == 1, done
    assert "a_hangs.py: quá thời gian nạp 2 giây" in done.stderr
    assert "✓ b_valid.py" in done.stdout  # retried in a fresh child


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("x = bytearray(2 * 1024**3)\n", "tệp dùng quá giới hạn bộ nhớ 400 MB khi nạp"),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", "tín hiệu SIGKILL"),
        ("import ctypes\nctypes.string_at(0)\n", "tín hiệu SIGSEGV"),
        ("import sys\nsys.stdout.close()\nos = __import__('os')\nos.close(1)\n", None),
        ("import os\nos._exit(3)\n", "tệp kết thúc tiến trình khi nạp (mã thoát 3)"),
    ],
    ids=["memory", "sigkill", "segfault", "closes-stdout", "exit-3"],
)
def test_a_file_that_crashes_the_loader_is_reported_as_refused(
    folder: Path, monkeypatch: pytest.MonkeyPatch, text: str, reason: str | None
) -> None:
    monkeypatch.setenv("THIDUA_LOAD_MEMORY_MB", "400")
    path = folder / "bad.py"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CampaignFileError) as info:
        load_campaign(path)
    [problem] = info.value.errors
    assert problem.source == str(path)
    if reason is not None:
        assert reason in problem.message, problem.message
    (folder / "camp.py").write_text(VALID, encoding="utf-8")
    assert load_campaign(folder / "camp.py").code == "12/KH-TEST"  # the loader still works


def test_several_files_share_one_child_and_a_dead_child_is_replaced(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[list[Path]] = []
    real = campaign_sandbox._Child

    class Counted(real):  # type: ignore[misc, valid-type]
        def __init__(self, paths: list[Path]) -> None:
            started.append(list(paths))
            super().__init__(paths)

    monkeypatch.setattr(campaign_sandbox, "_Child", Counted)
    names = ["a.py", "b.py", "c.py"]
    for name in names:
        (folder / name).write_text(VALID.replace("12/KH-TEST", f"12/KH-{name[0].upper()}"))
    results = load_campaigns([folder / n for n in names])
    assert [r.code for r in results] == ["12/KH-A", "12/KH-B", "12/KH-C"]  # type: ignore[union-attr]
    assert len(started) == 1

    started.clear()
    (folder / "b.py").write_text(EXITS, encoding="utf-8")
    results = load_campaigns([folder / n for n in names])
    assert isinstance(results[1], CampaignFileError)
    assert [r.code for r in (results[0], results[2])] == ["12/KH-A", "12/KH-C"]  # type: ignore[union-attr]
    assert [[p.name for p in batch] for batch in started] == [names, ["c.py"]]


def test_a_child_campaign_and_its_parent_are_read_by_one_child(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[list[str]] = []
    real = campaign_sandbox._Child

    class Counted(real):  # type: ignore[misc, valid-type]
        def __init__(self, paths: list[Path]) -> None:
            started.append([p.name for p in paths])
            super().__init__(paths)

    monkeypatch.setattr(campaign_sandbox, "_Child", Counted)
    loaded = load_campaign(CAMPAIGNS / "sngv_579_kh_2026_100_ngay_dem.py")
    assert loaded.spec.parent == "641/KH-UBND"
    assert not [w for w in loaded.warnings if w.path == "parent"]  # the parent was found
    assert started == [["sngv_579_kh_2026_100_ngay_dem.py", "ubnd_641_kh_2026_100_ngay_dem.py"]]


def test_a_campaign_printing_does_not_corrupt_json_output(folder: Path) -> None:
    (folder / "camp.py").write_text('print("xin chào")\n' + VALID, encoding="utf-8")
    done = subprocess.run(
        [THIDUA, "plan", "camp.py", "--format", "json"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "THIDUA_DATA_DIR": str(folder / "data")},
    )
    assert done.returncode == 0, done
    assert json.loads(done.stdout)  # the print went to stderr
    assert "xin chào" in done.stderr


def test_serve_and_deploy_load_through_the_same_isolation(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from thidua.flows.commands import _load_all

    (folder / "a_exits.py").write_text(EXITS, encoding="utf-8")
    seed = CAMPAIGNS / "vd_2027_thi_dua_nam.py"
    loaded = _load_all([folder / "a_exits.py", seed])
    assert [c.path for c in loaded] == [seed]
    assert f"✗ bỏ qua {folder / 'a_exits.py'}: 1 lỗi" in capsys.readouterr().out


def test_values_come_back_as_data_of_the_same_types(folder: Path) -> None:
    """Dates, big numbers, tuples and dict keys survive the trip as the validator sees them."""
    text = VALID.replace(
        'issued="ngày 02/3/2026"', "issued=__import__('datetime').date(2026, 3, 2)"
    ).replace('participants=Participants(groups=["KHOI-A", "CUM-X"])',
              'participants=Participants(groups=("KHOI-A", "CUM-X"))')  # fmt: skip
    (folder / "camp.py").write_text(text, encoding="utf-8")
    loaded = load_campaign(folder / "camp.py")
    assert loaded.spec.issued.start.isoformat() == "2026-03-02"
    assert loaded.spec.participants.groups == ["KHOI-A", "CUM-X"]


def test_threads_and_exit_handlers_of_a_file_do_not_keep_the_loader_waiting(folder: Path) -> None:
    import time

    (folder / "a.py").write_text(
        "import atexit, threading, time\n"
        "threading.Thread(target=time.sleep, args=(1000,)).start()\n"
        "atexit.register(time.sleep, 1000)\n" + VALID,
        encoding="utf-8",
    )
    started = time.monotonic()
    [loaded] = load_campaigns([folder / "a.py"])
    assert loaded.code == "12/KH-TEST"  # type: ignore[union-attr]
    assert time.monotonic() - started < 60
