"""The two example plans (a Chỉ thị, a Party Kế hoạch) validate, plan, simulate and report."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from docx import Document

from .conftest import CAMPAIGNS, ROOT
from .serving import THIDUA, clean_env

CASES = [
    # file, code, simulated from (only what is left then is run), report kind, issued by
    (
        "vd_ct_2026_2030_thi_dua_yeu_nuoc.py",
        "VD-12/CT-UBND",
        "05/11/2030 09:00",
        "tong-ket",
        "ban-hanh",
    ),
    ("vd_tu_2025_2030_sang_kien.py", "VD-25-KH/TU", "01/12/2029 08:00", "so-ket", "ban-hanh"),
]


def _run(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [THIDUA, *args],
        cwd=ROOT,
        env=clean_env(THIDUA_DATA_DIR=str(data_dir)),
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize(("name", "code", "at", "kind", "issued_by"), CASES, ids=lambda c: c)
def test_validate_plan_simulate_report(
    name: str, code: str, at: str, kind: str, issued_by: str, tmp_path: Path
) -> None:
    path = str(CAMPAIGNS / name)
    for command in (["validate", path], ["plan", path]):
        result = _run(*command, data_dir=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
    simulated = _run("simulate", path, "--luc", at, data_dir=tmp_path)
    out = simulated.stdout
    assert simulated.returncode == 0, out + simulated.stderr
    # stdout only: a rare SQLAlchemy pool-finalizer warning at interpreter exit (a cancelled
    # connection's reset, not the campaign's doing) may reach stderr under heavy load.
    assert "Traceback" not in out
    assert out.count("✓ ") > 0 and "✗" not in out
    sim = tmp_path / "simulate" / code.lower().replace("/", "-")
    reports = tmp_path / "reports"
    result = _run(
        "report",
        code,
        "--loai",
        kind,
        "--co-quan",
        issued_by,
        "--thu-muc",
        str(reports),
        data_dir=sim,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    docx = next(reports.glob("*.docx"))
    header = Document(str(docx)).tables[0].cell(0, 1).paragraphs[0].text
    party = code.endswith("/TU")
    assert header == ("ĐẢNG CỘNG SẢN VIỆT NAM" if party else "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    markdown = next(reports.glob("*.md")).read_text("utf-8")
    assert ("Kế hoạch số" if party else "Chỉ thị số") + f" {code}" in markdown
