"""The operators' form in the Prefect UI: record a submission received by other means.

An operator clicks "Run" on the `ghi-nhan-ho-so/bieu-mau` deployment; the run
suspends and the UI shows a form (a `RunInput`) with the campaigns and their
milestones described above it. On "Resume" the run starts again, checks the
answer with `thidua.ledger.submissions` exactly as `thidua submit` does and records it.
The run ends Completed with "Đã ghi nhận: …", or Failed with the Vietnamese reason
and nothing written, so the run list says at a glance which forms were refused.
Suspending (not pausing) frees the worker's slot while the form waits: a form left
open for a day must not hold back the campaigns' notices.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from prefect import State, flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from prefect.runtime import flow_run as current_run
from prefect.states import Completed, Failed
from pydantic import Field

from thidua.config import get_settings
from thidua.errors import ThiduaError

FLOW_NAME = "ghi-nhan-ho-so"
DEPLOYMENT_NAME = "bieu-mau"
ARTIFACT_KEY = "ghi-nhan-ho-so"
SUSPEND_KEY = "bieu-mau"


class SubmissionForm(RunInput):
    """What the operator fills in; every check is thidua's, so every field is plain text."""

    campaign_code: str = Field(title="Mã chiến dịch", description="ví dụ 75NAM-TDAQ/KH-UBND")
    unit: str = Field(title="Mã đơn vị", description="ví dụ SYT")
    milestone: str = Field(title="Mốc", description="mã mốc, ví dụ bao-cao-ket-qua")
    occurrence: str = Field(
        default="",
        title="Kỳ",
        description="để trống nếu mốc chỉ có một lần; mốc lặp lại: 2027 hoặc 2027-Q4",
    )
    submitted_at: str = Field(
        default="",
        title="Thời điểm nộp",
        description="ví dụ 20/5/2026 09:30 (giờ Việt Nam); để trống: lúc gửi biểu mẫu",
    )
    figures: str = Field(
        default="",
        title="Số liệu chỉ tiêu",
        description="MÃ=giá trị hoặc MÃ=tử số/mẫu số, cách nhau bằng “;”, ví dụ "
        "sang-kien=12/40; dvc-truc-tuyen=800/1000",
    )
    files: list[str] = Field(
        default_factory=list,
        title="Tệp đã nộp",
        description="đường dẫn tệp trên máy chủ (PDF, DOCX, XLSX, DOC, XLS, ảnh, văn bản)",
    )
    note: str = Field(default="", title="Ghi chú")
    recorded_by: str = Field(default="", title="Người ghi nhận")
    replace: bool = Field(default=False, title="Thay thế bản đã ghi nhận trước đó")


def parse_figures(text: str) -> dict[str, str]:
    """“sang-kien=12/40; dvc=8” → {"sang-kien": "12/40", "dvc": "8"} (“,” is a decimal comma)."""
    from thidua.errors import SubmissionError
    from thidua.ledger.figures import parse_figure

    out: dict[str, str] = {}
    for part in re.split(r"[;\n]+", text or ""):
        if not part.strip():
            continue
        code, value = parse_figure(part)
        if code.lower() in out:
            raise SubmissionError(
                f"số liệu chỉ tiêu “{code}” được ghi hai lần", field=f"figures.{code}", value=part
            )
        out[code.lower()] = value
    return out


def form_description(campaign_code: str | None = None) -> str:
    """Markdown above the form: each campaign's code and the milestones that ask for something."""
    from thidua.campaign.kinds import Requirement
    from thidua.campaign.loading import load_campaign
    from thidua.campaign.lookup import campaign_files
    from thidua.campaign.plan import occurrences
    from thidua.errors import ValidationFailed
    from thidua.ledger.timing import window_text

    lines = [
        "### Ghi nhận bản nộp của đơn vị",
        "Điền mã chiến dịch, mã đơn vị và mã mốc như dưới đây. Bản nộp được đóng dấu đúng hạn "
        "/ trễ hạn theo hạn của mốc; mốc chỉ nhận trong thời hạn sẽ từ chối bản nộp ngoài hạn. "
        "Không ghi được thì lần chạy kết thúc **Failed** và không có gì được ghi vào kho.",
        "",
    ]
    for path in campaign_files():
        try:
            loaded = load_campaign(path)
        except ValidationFailed:
            continue
        spec = loaded.spec
        if campaign_code and spec.code != campaign_code.strip():
            continue
        occs = occurrences(spec)[0]
        lines.append(f"**{spec.code}** — {spec.title}")
        for m in spec.milestones:
            if m.requirement is Requirement.NONE:
                continue
            mine = [o for o in occs if o.milestone.key == m.key]
            if not mine:
                continue
            if len(mine) == 1:
                when = window_text(mine[0])
            else:
                when = f"{len(mine)} kỳ, từ `{mine[0].key}` đến `{mine[-1].key}`"
            lines.append(f"- `{m.key}`: {m.label} ({m.requirement.label}; {when})")
        if spec.targets:
            codes = ", ".join(f"`{t.code}`" for t in spec.targets)
            lines.append(f"- chỉ tiêu: {codes}")
        lines.append("")
    return "\n".join(lines)


def _answer_table(answer: SubmissionForm) -> str:
    rows = [
        ("Mã chiến dịch", answer.campaign_code),
        ("Đơn vị", answer.unit),
        ("Mốc", answer.milestone),
        ("Kỳ", answer.occurrence),
        ("Thời điểm nộp", answer.submitted_at or "(lúc gửi biểu mẫu)"),
        ("Số liệu", answer.figures),
        ("Tệp", ", ".join(answer.files)),
        ("Ghi chú", answer.note),
        ("Người ghi nhận", answer.recorded_by),
        ("Thay thế", "có" if answer.replace else "không"),
    ]
    body = "\n".join(f"| {k} | {str(v).replace('|', '/')} |" for k, v in rows if v)
    return "| Mục | Đã điền |\n| --- | --- |\n" + body


def _run_name() -> str:
    now = datetime.now(ZoneInfo(get_settings().timezone))
    return f"Ghi nhận bản nộp · {now:%d/%m/%Y %H:%M}"


def _rename(name: str) -> None:
    """Name the run after what it recorded, so the run list reads like a register."""
    from uuid import UUID

    from prefect.client.orchestration import get_client

    run_id = current_run.get_id()
    if run_id is None:
        return
    with get_client(sync_client=True) as client:
        client.update_flow_run(UUID(run_id), name=name)


def record_answer(answer: SubmissionForm) -> str:
    """Check and record a filled-in form; the “Đã ghi nhận: …” line (ThiduaError if refused)."""
    from thidua.campaign.lookup import find_campaign
    from thidua.ledger.submissions import prepare, record

    loaded = find_campaign(answer.campaign_code)
    prepared = prepare(
        loaded,
        unit=answer.unit,
        milestone=answer.milestone,
        occurrence=answer.occurrence or None,
        submitted_at=answer.submitted_at or None,
        figures=parse_figures(answer.figures),
        files=[f for f in answer.files if f.strip()],
        note=answer.note,
        recorded_by=answer.recorded_by,
        source="ui",
        replace=answer.replace,
    )
    return record(prepared).message()


@flow(name=FLOW_NAME, flow_run_name=_run_name, persist_result=False)
def submission_form(campaign_code: str | None = None) -> Any:
    """Show the form, then record what the operator entered (or say why not)."""
    logger = get_run_logger()
    initial: dict[str, Any] = {"campaign_code": campaign_code} if campaign_code else {}
    form = SubmissionForm.with_initial_data(description=form_description(campaign_code), **initial)
    answer = suspend_flow_run(wait_for_input=form, key=SUSPEND_KEY)
    try:
        message = record_answer(answer)
    except ThiduaError as exc:
        reason = str(exc)
        logger.error("Không ghi nhận: %s", reason)
        create_markdown_artifact(
            key=ARTIFACT_KEY,
            markdown=(
                "## Không ghi nhận — chưa ghi gì vào kho\n\n"
                f"**Lý do:** {reason}\n\n{_answer_table(answer)}\n\n"
                "Sửa lại và chạy biểu mẫu lần nữa (nút **Run** của deployment "
                f"`{FLOW_NAME}/{DEPLOYMENT_NAME}`)."
            ),
            description="Kết quả biểu mẫu ghi nhận bản nộp",
        )
        _rename(f"Không ghi nhận · {answer.unit} · {answer.milestone}")
        state: State = Failed(message=f"Không ghi nhận: {reason}")
        return state
    logger.info(message)
    create_markdown_artifact(
        key=ARTIFACT_KEY,
        markdown=f"## Đã ghi nhận\n\n{message.removeprefix('Đã ghi nhận: ')}\n\n"
        + _answer_table(answer),
        description="Kết quả biểu mẫu ghi nhận bản nộp",
    )
    _rename(f"Đã ghi nhận · {answer.unit.strip().upper()} · {answer.milestone.strip()}")
    return Completed(message=message)


def form_deployment() -> Any:
    """The deployment operators start the form from (served by `thidua serve`)."""
    return submission_form.to_deployment(
        name=DEPLOYMENT_NAME,
        tags=["thidua", "bieu-mau"],
        description=(
            "Biểu mẫu ghi nhận bản nộp của đơn vị (kế hoạch, báo cáo, số liệu chỉ tiêu, hồ sơ) "
            "nhận qua đường khác: bấm **Run**, rồi điền biểu mẫu ở lần chạy đang chờ "
            "(**Resume**). Tham số `campaign_code` (tùy chọn) điền sẵn mã chiến dịch."
        ),
    )
