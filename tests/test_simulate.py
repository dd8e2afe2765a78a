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
    assert out.count("✓ ") == 11 and "✗" not in out
    assert "✓ 20/04/2023 (thứ Năm) 08:00 · Phát động → 32 đơn vị" in out
    # What one unit receives, in Vietnamese, with the window of the online submission.
    assert "── SYT: [75NAM-TDAQ/KH-UBND] Nhắc hạn: Nộp hồ sơ đề nghị Bằng khen" in out
    assert "trong thời gian từ ngày 03 tháng 7 năm 2023 (thứ Hai) đến ngày 04 tháng 7" in out
    # Escalations go to the heads of the khối / cụm of the units still missing.
    assert "Báo cáo cấp trên: đơn vị chưa nộp hồ sơ đề nghị Bằng khen" in out

    sim = tmp_path / "simulate" / "75nam-tdaq-kh-ubnd"
    assert (
        len(list((sim / "outbox" / "syt").glob("*.eml"))) == 10
    )  # every notice but the escalation
    status = subprocess.run(
        [THIDUA, "status", "75NAM-TDAQ/KH-UBND"],
        cwd=ROOT,
        env=clean_env(THIDUA_DATA_DIR=str(sim)),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Đã xong 11" in status and "32 đã gửi" in status
