"""`thidua status CODE` as an admin reads it: the board in the terminal, JSON, one unit, errors.

Run in-process (`thidua.cli.main`) against a real store (SQLite and PostgreSQL)
seeded as in tests/board_fixtures.py; "now" is frozen by THIDUA_NOW (thidua/clock.py)
after every due date of the test campaign (June 2026), so every unsubmitted
occurrence is missing whatever day the tests run.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from thidua.cli.main import main
from thidua.config import set_settings

from .board_fixtures import CODE, EXTRA, FAILURES, GRID, MILESTONES, seed

ANSI = re.compile(r"\x1b\[")
#: The frozen "now" of these tests: a Saturday, after every date of the test campaign.
STATUS_NOW = "2026-12-05T09:00+07:00"


@pytest.fixture
def store(fresh_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], Path]:
    """Point THIDUA_DATA_DIR (and the database URL on PostgreSQL) at `fresh_db`."""
    for name in list(os.environ):
        if name.startswith("THIDUA_") or name in ("COLUMNS", "FORCE_COLOR", "NO_COLOR"):
            monkeypatch.delenv(name)
    monkeypatch.setenv(
        "THIDUA_DATA_DIR", str(tmp_path)
    )  # SQLite: its thidua.store.db is fresh_db's
    monkeypatch.setenv("THIDUA_NOW", STATUS_NOW)
    if fresh_db.url.get_backend_name() == "postgresql":
        monkeypatch.setenv(
            "THIDUA_DATABASE_URL", fresh_db.url.render_as_string(hide_password=False)
        )
    set_settings(None)
    monkeypatch.setattr("thidua.clock._warned", {STATUS_NOW})  # its warning is tested elsewhere
    return lambda: tmp_path


@pytest.fixture
def seeded(store: Callable[[], Path], fresh_db: Engine, write_campaign) -> Path:
    path = write_campaign(MILESTONES, extra=EXTRA)
    seed(fresh_db, path)
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_the_board_in_a_pipe(capsys, seeded: Path) -> None:
    code, out, err = run(capsys, "status", CODE)
    assert (code, err) == (0, "")
    assert not ANSI.search(out)
    assert max(len(line) for line in out.splitlines()) <= 80
    assert out.startswith("12/KH-TEST — Đợt thi đua thử nghiệm\n\n" + FAILURES)  # failures first
    assert GRID in out
    assert (
        "│ XA-1   │ ✓ 4/6            │ quá hạn chưa nộp    │\n"
        "│ XA-2   │ quá hạn chưa nộp │ quá hạn chưa nộp    │\n"
        "│ SO-A   │ sớm 2 ngày       │ ✓ 8/6               │\n"
    ) in out
    assert "│ Đã nộp │ 2/4 (sớm 1)      │ 1/4                 │" in out
    assert (
        "│ XA-2   │ 3/2 ✗     │ 1                         │\n"
        "│        │           │ cá nhân, hộ gia đình 0/6  │\n"
    ) in out
    assert "│ SO-A   │ 100% / 100% ✓ │ 3 / 3 ✓ │" in out
    # The action list stays: what fired, what failed, what is overdue to run.
    assert (
        "│ 17/03/2026    │ Nhắc hạn nộp kế     │ đã thực hiện         │ 3 đã gửi, 1 lỗi │\n"
        "│ thứ Ba 08:00  │ hoạch triển khai    │                      │                 │\n"
    ) in out
    assert "│ thứ Sáu 08:00 │ SMTP từ chối kết    │                      │                 │" in out
    # 20/6/2026 is a Saturday: due Monday 22/6 (Điều 148 BLDS), overdue from Tuesday 23/6.
    assert "│ 23/06/2026    │ Quá hạn nộp báo cáo │ trễ, chưa thực hiện  │                 │" in out
    assert out.endswith(
        "Đã thực hiện: 11 · đã lên lịch: 0 · trễ, chưa thực hiện: 3\n"
        "không thực hiện được: 1 · đã qua, không gửi: 0 · bỏ qua: 0 · đã hủy: 0\n"
    )


def test_colors_only_on_request_and_never_with_no_color(
    capsys, seeded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    _, colored, _ = run(capsys, "status", CODE)
    assert "\x1b[1;31mquá hạn chưa nộp" in colored and "\x1b[33mtrễ hạn 2 ngày" in colored
    monkeypatch.setenv("NO_COLOR", "1")
    _, plain, _ = run(capsys, "status", CODE)
    assert not re.search(r"\x1b\[[0-9;]*3[0-7]m", plain)  # no foreground color at all
    assert "quá hạn chưa nộp" in plain


def test_json_for_scripts(capsys, seeded: Path) -> None:
    code, out, _ = run(capsys, "status", CODE, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["campaign"] == {
        "code": CODE,
        "title": "Đợt thi đua thử nghiệm",
        "status": "active",
    }
    assert [c["id"] for c in data["columns"]] == [
        "ke-hoach/-",
        "so-lieu/2026-Q1",
        "ho-so/-",
        "so-lieu/2026-Q2",
    ]
    assert data["columns"][0] | {"opens": None} == {
        "id": "ke-hoach/-",
        "milestone": "ke-hoach",
        "occurrence": "",
        "label": "Kế hoạch",
        "opens": None,
        "due": "2026-03-20",
        "expected": 4,
        "submitted": 3,
        "late": 2,
        "early": 0,
        "missing": 1,
    }
    units = {u["code"]: u for u in data["units"]}
    assert units["XA-1"]["cells"]["ke-hoach/-"] == {
        "state": "missing",
        "text": "quá hạn chưa nộp · nhắc 3 · báo cấp trên",
        "submitted_on": None,
        "days": None,
        "reminders": 3,
        "escalated": True,
    }
    assert units["SO-B"]["cells"]["ke-hoach/-"]["submitted_on"] == "2026-03-22"
    assert units["XA-2"]["nominations"]["BK"] == {
        "count": 3,
        "limit": 2,
        "bounds": [],
        "over": True,
    }
    assert units["XA-1"]["targets"]["sang-kien"] | {"attained": None} == {
        "value": 9,
        "base": 12,
        "occurrence": "2026-Q1",
        "attained": None,
        "goal": 1.0,
        "met": False,
        "registered": "",  # no registration (đăng ký thi đua) in this campaign
        "text": "75% / 100% ✗",
    }
    # Units a notice did not reach come first, with why.
    assert [(f["unit"], f["reason"]) for f in data["failures"]] == [
        ("XA-1", "Báo cáo cấp trên: đơn vị chưa nộp hồ sơ (05/06/2026): hộp thư đầy"),
        ("XA-2", "Nhắc hạn nộp kế hoạch triển khai (còn 3 ngày) (17/03/2026): hộp thư đầy"),
    ]
    assert [u["code"] for u in data["units"]][:2] == ["XA-1", "XA-2"]
    assert data["now"] == "2026-12-05T02:00:00+00:00"  # THIDUA_NOW, not the wall clock
    failed = [a for a in data["actions"] if a["status"] == "failed"]
    assert [(a["key"], a["error"]) for a in failed] == [("ho-so/-/overdue", "SMTP từ chối kết nối")]


def test_one_unit_across_everything(capsys, seeded: Path) -> None:
    code, out, _ = run(capsys, "status", CODE, "--don-vi", "xa-1")
    assert code == 0 and not ANSI.search(out)
    assert "Đơn vị: XA-1 — UBND xã Một" in out
    assert "│ Kế hoạch            │ 20/03/2026 │ quá hạn chưa nộp │    3 │ có           │" in out
    assert "│ Số liệu quý I/2026  │ 20/03/2026 │ trễ hạn 1 ngày   │    0 │              │" in out
    assert "│ Hồ sơ               │ 04/06/2026 │ ✓ 4/6            │    0 │              │" in out
    assert "Đề nghị Bằng khen: 2/2" in out
    assert "Chỉ tiêu sang-kien: 75% / 100% ✗" in out
    assert "SO-A" not in out and "XA-2" not in out
    assert "Gửi thông báo không thành công tới 1 đơn vị" in out  # its own failure only
    # Its own deliveries only: the reminder reached it once, no failure of another unit.
    assert "│ 17/03/2026    │ Nhắc hạn nộp kế     │ đã thực hiện         │ 1 đã gửi        │" in out
    # XA-1 heads its cụm: the escalation about the nomination went to it, and failed.
    assert "│ 05/06/2026    │ Báo cáo cấp trên:   │ đã thực hiện         │ 0 đã gửi, 1 lỗi │" in out
    assert "│ Số liệu quý II/2026 │ 22/06/2026 │ quá hạn chưa nộp │    0 │              │" in out
    _, same, _ = run(capsys, "status", CODE, "--unit", "XA-1")
    assert same == out


def test_a_group_and_a_state_narrow_the_rows(capsys, seeded: Path) -> None:
    code, out, _ = run(capsys, "status", CODE, "--nhom", "CUM-X", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert [u["code"] for u in data["units"]] == ["XA-1", "XA-2"]
    assert data["columns"][0]["expected"] == 2  # the summaries count the rows shown
    # Units with at least one occurrence past due and not handed in: all but SO-A.
    code, out, _ = run(
        capsys, "status", CODE, "--trang-thai", "qua han chua nop", "--format", "json"
    )
    missing = json.loads(out)["units"]
    assert code == 0 and {u["code"] for u in missing} == {"XA-1", "XA-2", "SO-B"}
    assert all(any(c and c["state"] == "missing" for c in u["cells"].values()) for u in missing)
    code, out, _ = run(
        capsys, "status", CODE, "--nhom", "CUM-X", "--trang-thai", "sớm", "--format", "json"
    )
    assert code == 0 and json.loads(out)["units"] == []  # SO-A was early, and is no xã


def test_a_bad_group_or_state_is_named(capsys, seeded: Path) -> None:
    code, out, err = run(capsys, "status", CODE, "--nhom", "CUM-Z")
    assert (code, out) == (1, "")
    assert err.startswith("lỗi: không có nhóm “CUM-Z” (các nhóm: ") and err.endswith(" (--nhom)\n")
    code, out, err = run(capsys, "status", CODE, "--trang-thai", "thiếu")
    assert (code, out) == (1, "")
    assert err.startswith("lỗi: trạng thái “thiếu” không có; dùng một trong: “đúng hạn” (on_time)")
    assert err.endswith(" (--trang-thai)\n")


def test_unknown_unit_is_named(capsys, seeded: Path) -> None:
    code, out, err = run(capsys, "status", CODE, "--don-vi", "XA-9")
    assert (code, out) == (1, "")
    assert err == "lỗi: đơn vị “XA-9” không có trong danh sách đơn vị (--don-vi)\n"
    code, _, err = run(capsys, "status", CODE, "--don-vi", "UBND")
    assert code == 1
    assert err == "lỗi: đơn vị “UBND” không tham gia đợt thi đua “12/KH-TEST” (--don-vi)\n"


def test_unknown_campaign_lists_the_known_codes(capsys, seeded: Path) -> None:
    code, out, err = run(capsys, "status", "1/KH-KHONG")
    assert (code, out) == (1, "")
    assert err == "lỗi: không có chiến dịch “1/KH-KHONG” trong kho trạng thái (đã có: 12/KH-TEST)\n"


def test_without_its_file_the_actions_still_show(capsys, seeded: Path) -> None:
    seeded.unlink()
    code, out, err = run(capsys, "status", CODE)
    assert code == 0
    assert err.startswith("cảnh báo: không có đợt thi đua mã “12/KH-TEST”")
    assert "chỉ hiện các hoạt động đã ghi trong kho" in err
    assert "Tình hình nộp" not in out and "Các hoạt động" in out
    assert "Đã thực hiện: 11 · đã lên lịch: 0 · trễ, chưa thực hiện: 3\n" in out
