"""The `thidua` command as an admin uses it: exit codes, Vietnamese output, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from thidua.cli.main import main

from .conftest import CAMPAIGNS, ROOT

SEED_003 = str(CAMPAIGNS / "ubnd_2023_75_nam_thi_dua_ai_quoc.py")


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_validate_all_shipped_campaigns(capsys) -> None:
    code, out, _ = run(capsys, "validate", *map(str, sorted(CAMPAIGNS.glob("*.py"))))
    assert code == 0
    assert out.count("✓") == len(list(CAMPAIGNS.glob("*.py")))


def test_validate_reports_every_error_and_fails(capsys, write_campaign) -> None:
    bad = write_campaign(
        """
        Milestone(kind="báo cáo", when="quý V/2027"),
        Milestone(kind="báo cáo", id="b", when="31/02/2026"),
        """
    )
    code, _, err = run(capsys, "validate", SEED_003, str(bad))
    assert code == 1
    assert "✗" in err and "“quý V/2027”" in err and "“31/02/2026”" in err
    assert "1/2 tệp có lỗi" in err


def test_plan_table(capsys) -> None:
    code, out, _ = run(capsys, "plan", SEED_003)
    assert code == 0
    assert "75NAM-TDAQ/KH-UBND" in out
    assert "│ 03/07/2023 │ thứ Hai" in out
    assert "Bắt đầu “Nộp hồ sơ đề nghị Bằng khen" in out


def test_plan_json(capsys) -> None:
    code, out, _ = run(capsys, "plan", SEED_003, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["campaign"]["code"] == "75NAM-TDAQ/KH-UBND"
    due = [a for a in data["actions"] if a["kind"] == "due" and a["milestone"] == "bao-cao-ket-qua"]
    assert due[0]["at"] == "2023-07-10T08:00:00+07:00"
    assert due[0]["run_name"] == f"75NAM-TDAQ/KH-UBND · {due[0]['title']} · 10/07/2023"


def test_plan_ics(capsys) -> None:
    code, out, _ = run(capsys, "plan", SEED_003, "--format", "ics")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert out.count("BEGIN:VEVENT") == out.count("END:VEVENT") > 5
    assert "DTSTART;TZID=Asia/Ho_Chi_Minh:20230710T080000" in out
    assert all(len(line.encode()) <= 75 for line in lines)


def test_plan_for_one_unit(capsys) -> None:
    _, everything, _ = run(capsys, "plan", SEED_003, "--format", "json")
    code, out, _ = run(capsys, "plan", SEED_003, "--format", "json", "--unit", "SYT")
    mine = json.loads(out)["actions"]
    assert code == 0 and 0 < len(mine) < len(json.loads(everything)["actions"])
    assert all("SYT" in a["recipients"] for a in mine)
    code, _, err = run(capsys, "plan", SEED_003, "--unit", "KHONG-CO")
    assert code == 1 and "“KHONG-CO”" in err


@pytest.mark.parametrize(
    ("phrase", "start", "end", "effective"),
    [
        ("quý IV/2027", "2027-10-01", "2027-12-31", "2027-12-31"),
        # the last day is a Sunday: as a deadline it ends on Monday (BLDS 2015, Điều 148)
        ("trước ngày 25/5/2026", "2026-05-24", "2026-05-24", "2026-05-25"),
        (
            "Tính từ ngày 01/01/2023 đến hết tháng 6 năm 2023",
            "2023-01-01",
            "2023-06-30",
            "2023-06-30",
        ),
    ],
)
def test_date_json(capsys, phrase: str, start: str, end: str, effective: str) -> None:
    code, out, _ = run(capsys, "date", phrase, "--format", "json")
    assert code == 0
    assert json.loads(out) == {"start": start, "end": end, "effective_end": effective}


def test_date_text_and_yearless(capsys) -> None:
    code, out, _ = run(capsys, "date", "quý", "IV/2027")
    assert code == 0 and "01/10/2027" in out and "31/12/2027" in out and "92 ngày" in out
    code, out, _ = run(capsys, "date", "9 tháng đầu năm", "--year", "2026")
    assert code == 0 and "30/09/2026" in out


def test_invalid_date_quotes_the_phrase(capsys) -> None:
    code, _, err = run(capsys, "date", "quý V/2027")
    assert code == 1 and "“quý V/2027”" in err


def test_usage_errors_are_vietnamese(capsys) -> None:
    code, _, err = run(capsys, "plan")
    assert code == 2 and "thiếu tham số bắt buộc" in err


def test_missing_campaign_file(capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, "plan", str(tmp_path / "none.py"))
    assert code == 1 and "không tìm thấy" in err


def test_console_script_runs_in_a_subprocess() -> None:
    exe = Path(sys.executable).with_name("thidua")
    result = subprocess.run(
        [str(exe), "date", "hết tháng 6 năm 2023", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["end"] == "2023-06-30"
