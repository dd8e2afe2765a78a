"""The operators' form in the Prefect UI, on the session's real `thidua serve` (tests/conftest.py).

An operator presses Run on the `ghi-nhan-ho-so/bieu-mau` deployment; the run suspends
with a form; resuming it with the form's answer records the submission in the
store that `thidua serve` uses, or fails in Vietnamese and records nothing.
"""

from __future__ import annotations

import json
import re
import urllib.error
from typing import Any
from uuid import UUID

import pytest
from sqlmodel import Session
from thidua.flows.submission_form import parse_figures

from thidua.errors import SubmissionError
from thidua.store import submission_rows
from thidua.store.db import get_engine, reset_engines

from .serving import Served, wait_for

SEED_003 = "75NAM-TDAQ/KH-UBND"
FINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


def form_deployment(served: Served) -> dict[str, Any]:
    """The form's deployment; `serve()` applies it just after the UI line is printed."""

    def find() -> dict[str, Any] | None:
        try:
            return served.api("GET", "/deployments/name/ghi-nhan-ho-so/bieu-mau")
        except urllib.error.HTTPError:  # 404 until serve() has applied it
            return None

    return wait_for(find, timeout=120, message=served.output())


def flow_run(served: Served, run_id: str) -> dict[str, Any]:
    return served.api("GET", f"/flow_runs/{run_id}")


def start_form(served: Served, **parameters: Any) -> str:
    """Press Run on the deployment and wait until the form is waiting for the operator."""
    deployment = form_deployment(served)
    run = served.api(
        "POST", f"/deployments/{deployment['id']}/create_flow_run", {"parameters": parameters}
    )
    state = wait_for(
        lambda: (s := flow_run(served, run["id"])["state"])["type"] in ("PAUSED", *FINAL) and s,
        timeout=180,
        message=served.output(),
    )
    assert state["type"] == "PAUSED" and state["name"] == "Suspended", state
    # Prefect proposes the Suspended state first and saves the form's inputs after it
    # (`suspend_flow_run`): the UI, too, shows the form only once they are there.
    keys = state["state_details"]["run_input_keyset"]

    def saved() -> bool:
        try:
            for key in (keys["schema"], keys["description"]):
                served.api("GET", f"/flow_runs/{run['id']}/input/{key}")
        except urllib.error.HTTPError:
            return False
        return True

    wait_for(saved, timeout=60, message=served.output())
    return run["id"]


def resume(served: Served, run_id: str, answer: dict[str, Any]) -> dict[str, Any]:
    """Submit the form as the UI does, and wait for the run to finish."""
    from prefect.flow_runs import resume_flow_run
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: served.api_url}):
        resume_flow_run(UUID(run_id), run_input=answer)
    return wait_for(
        lambda: (r := flow_run(served, run_id))["state_type"] in FINAL and r,
        timeout=180,
        message=served.output(),
    )


def stored(served: Served, milestone: str) -> list:
    engine = get_engine(f"sqlite:///{served.data_dir / 'thidua.store.db'}")
    try:
        with Session(engine) as session:
            found = submission_rows.submissions_for(session, campaign_code=SEED_003, milestone=milestone)
            session.expunge_all()
    finally:
        reset_engines()
    return found


def artifact(served: Served, run_id: str) -> str:
    found = served.api(
        "POST", "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [run_id]}}}
    )
    [one] = [a for a in found if a["key"] == "ghi-nhan-ho-so"]
    return one["data"]


def test_the_form_records_a_submission(served) -> None:
    run_id = start_form(served, campaign_code=SEED_003)
    # The UI shows this above the form: the campaign's milestones and their windows.
    state = flow_run(served, run_id)["state"]
    keys = state["state_details"]["run_input_keyset"]
    description = served.api("GET", f"/flow_runs/{run_id}/input/{keys['description']}")
    assert "`bao-cao-ket-qua`" in description and "trong ngày 03 và ngày 04 tháng 7" in description
    schema = served.api("GET", f"/flow_runs/{run_id}/input/{keys['schema']}")
    schema = json.loads(schema) if isinstance(schema, str) else schema
    assert schema["properties"]["campaign_code"]["default"] == SEED_003
    assert schema["properties"]["unit"]["title"] == "Mã đơn vị"

    done = resume(
        served,
        run_id,
        {
            "campaign_code": SEED_003,
            "unit": "SGDDT",
            "milestone": "bao-cao-ket-qua",
            "submitted_at": "11/7/2023 09:00",
            "note": "nhận qua hệ thống quản lý văn bản",
            "recorded_by": "Văn thư Ban TĐKT",
        },
    )
    assert done["state_type"] == "COMPLETED", done["state"]
    assert done["name"] == "Đã ghi nhận · SGDDT · bao-cao-ket-qua"
    assert done["state"]["message"].startswith("Đã ghi nhận: Sở Giáo dục và Đào tạo nộp báo cáo")
    assert "TRỄ HẠN 1 ngày" in done["state"]["message"]
    [row] = [r for r in stored(served, "bao-cao-ket-qua") if r.unit_code == "SGDDT"]
    assert row.source == "ui" and row.recorded_by == "Văn thư Ban TĐKT"
    assert row.note == "nhận qua hệ thống quản lý văn bản" and row.timing == "late"
    assert "## Đã ghi nhận" in artifact(served, run_id)


def test_a_refused_form_fails_in_vietnamese_and_records_nothing(served) -> None:
    run_id = start_form(served)
    done = resume(
        served,
        run_id,
        {
            "campaign_code": SEED_003,
            "unit": "SYT",
            "milestone": "ho-so-bang-khen",
            "submitted_at": "06/07/2023 08:00",
        },
    )
    assert done["state_type"] == "FAILED", done["state"]
    message = done["state"]["message"]
    assert message.startswith("Không ghi nhận: không nhận: Sở Y tế nộp lúc 08:00 ngày 06/07/2023")
    assert "chỉ nhận trong ngày 03 và ngày 04 tháng 7 năm 2023 (thứ Hai, thứ Ba)" in message
    assert done["name"] == "Không ghi nhận · SYT · ho-so-bang-khen"
    text = artifact(served, run_id)
    assert "## Không ghi nhận — chưa ghi gì vào kho" in text and "| Đơn vị | SYT |" in text
    assert [r for r in stored(served, "ho-so-bang-khen") if r.unit_code == "SYT"] == []
    # Prefect's runner prints the Failed run's FailedRun; nothing of ours may raise.
    assert our_tracebacks(served.output()) == []


def test_form_figures_are_split_on_semicolons_not_decimal_commas() -> None:
    assert parse_figures("sang-kien=12/40; mo-hinh=2,5\n") == {
        "sang-kien": "12/40",
        "mo-hinh": "2,5",
    }
    with pytest.raises(SubmissionError, match="hai lần"):
        parse_figures("a=1; A=2")


def our_tracebacks(output: str) -> list[str]:
    """Tracebacks in `output` with a frame in thidua's own code (flows/, tasks/, thidua/)."""
    blocks = output.split("Traceback (most recent call last):")[1:]
    ours = re.compile(r'File "[^"]*/(?:flows|tasks|thidua|notifications)/[^"]+\.py"')
    return [block[:2000] for block in blocks if ours.search(block.split("\n\n", 1)[0])]
