"""A receipt (biên nhận) under /u/<token>/bien-nhan/<id>: the số tiếp nhận, what was
received and when. A unit sees only its own: another unit's receipt id is a 404, the same
page as an id that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from thidua.campaign.kinds import Requirement
from thidua.campaign.spec import Target
from thidua.dates.written import format_short
from thidua.ledger.figures import Figure
from thidua.ledger.registration import commitments, registered_goal, registered_text
from thidua.ledger.statuses import NominationStatus, SubmissionTiming
from thidua.portal.campaigns import PortalCampaign
from thidua.portal.guards import Refusal, portal_state, unit_of
from thidua.portal.obligations import unit_name
from thidua.portal.pages import page
from thidua.store import nomination_rows, portal_rows, submission_rows
from thidua.store.db import session_scope
from thidua.store.models import ReceiptRecord

router = APIRouter()


@dataclass(frozen=True)
class ReceiptView:
    """A receipt as its page shows it."""

    number: str
    issued_at: datetime
    campaign_ref: str
    what: str
    timing: str = ""
    files: list[tuple[str, str]] = field(default_factory=list)  # (name, size)
    document: str = ""
    figures: list[tuple[str, str]] = field(default_factory=list)
    commitments: tuple[str, ...] = ()
    note: str = ""
    nominee: str = ""
    status: str = ""


def _campaign(request: Request, code: str) -> PortalCampaign | None:
    return next((c for c in portal_state(request).catalog.all() if c.code == code), None)


def _figure_lines(targets: dict[str, Target], figures: dict[str, Any]) -> list[tuple[str, str]]:
    lines = []
    for code, stored in figures.items():
        target = targets.get(code)
        name = target.description if target else code
        goal = registered_goal(stored)
        if goal is not None:
            shown = registered_text(target, goal) if target else str(goal)
        else:
            fig = Figure.of(stored)
            shown = fig.text() if fig else ""
        lines.append((name, shown))
    return lines


def _files(stored: list[dict[str, Any]] | None) -> list[tuple[str, str]]:
    """(name, “12,5 KB”) of each stored file, with a decimal comma."""
    out = []
    for info in stored or []:
        size = float(info.get("size") or 0)
        shown = f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.1f} KB"
        out.append((str(info.get("name", "")), shown.replace(".", ",")))
    return out


def _document_text(number: str | None, day: date | None) -> str:
    if not number:
        return ""
    return f"Văn bản số {number}" + (f" ngày {format_short(day)}" if day else "")


def _receipt_view(request: Request, record: ReceiptRecord, unit_code: str) -> ReceiptView:
    campaign = _campaign(request, record.campaign_code)
    number = record.number or ""
    ref = campaign.loaded.spec.doc_reference if campaign else f"Kế hoạch số {record.campaign_code}"
    with session_scope() as session:
        if record.kind == "nomination":
            nominations = nomination_rows.nominations_of_unit(session, unit_code=unit_code)
            n = next((n for n in nominations if n.id == record.ref_id), None)
            if n is not None:
                return ReceiptView(
                    number,
                    record.issued_at,
                    ref,
                    "hồ sơ đề nghị khen thưởng",
                    timing=SubmissionTiming.label_of(n.timing),
                    files=_files(n.documents),
                    nominee=n.nominee_name,
                    status=NominationStatus.label_of(n.status),
                )
        else:
            rows = submission_rows.submissions_of_unit(session, unit_code=unit_code)
            s = next((s for s in rows if s.id == record.ref_id), None)
            if s is not None:
                spec = campaign.loaded.spec if campaign else None
                label = (
                    next((m.label for m in spec.milestones if m.key == s.milestone), None)
                    if spec
                    else None
                )
                which = f" kỳ {s.occurrence}" if s.occurrence else ""
                registration = s.requirement == Requirement.REGISTRATION.value
                return ReceiptView(
                    number,
                    record.issued_at,
                    ref,
                    f"{Requirement(s.requirement).label} mốc “{label or s.milestone}”{which}",
                    timing=SubmissionTiming.label_of(s.timing),
                    files=_files(s.files),
                    document=_document_text(s.doc_number, s.doc_date),
                    figures=_figure_lines(
                        {t.code: t for t in spec.targets} if spec else {}, s.figures or {}
                    ),
                    commitments=commitments(s.note) if registration else (),
                    note="" if registration else s.note or "",
                )
    return ReceiptView(number, record.issued_at, ref, "hồ sơ")


@router.get("/u/{token}/bien-nhan/{receipt_id}", response_class=HTMLResponse)
def receipt_page(request: Request, token: str, receipt_id: str) -> Response:
    link = unit_of(request, token)
    with session_scope() as session:
        mine = portal_rows.receipts_of(session, unit_code=link.unit_code)
    record = next((r for r in mine if str(r.id) == receipt_id), None)
    if record is None:  # another unit's receipt is as unknown as one that does not exist
        raise Refusal(
            404,
            "Không tìm thấy biên nhận",
            "Đơn vị không có biên nhận nào với số này.",
            "Các biên nhận của đơn vị được liệt kê trên trang của đơn vị.",
        )
    view = _receipt_view(request, record, link.unit_code)
    return page(
        request,
        "receipt.html",
        title=f"Biên nhận số {view.number}",
        token=token,
        receipt=view,
        unit_name=unit_name(portal_state(request).catalog.of_unit(link.unit_code), link.unit_code),
    )
