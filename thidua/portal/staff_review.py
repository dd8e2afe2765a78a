"""The Ban's review of nominations under /ban/{slug}: the list, one dossier with its audit
trail and the moves the Ban may make (return with a reason, accept, award, not award),
the dossier's files, the XLSX annex and the DOCX report.

Moves go through `thidua.ledger.review.move` with the actor `staff:<username>`; a move
the workflow refuses writes nothing and is answered with the library's Vietnamese
message. Every move, made or refused, is audited.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from thidua.campaign.kinds import NomineeKind
from thidua.documents.docx import write_docx
from thidua.documents.nomination_annex import annex_nominations, write_xlsx
from thidua.documents.period import ReportKind
from thidua.documents.report_files import make_report
from thidua.errors import NominationError, ThiduaError
from thidua.ledger.dossier import award_for_key
from thidua.ledger.nominations import list_nominations
from thidua.ledger.review import TRANSITIONS, VERBS, InvalidTransition, history, move
from thidua.ledger.statuses import NominationStatus, SubmissionTiming
from thidua.portal.campaigns import PortalCampaign
from thidua.portal.guards import Refusal, audit, audit_refusal, portal_state
from thidua.portal.pages import page
from thidua.portal.staff_common import (
    attachment,
    campaign_of,
    checked_post,
    not_found,
    parse_id,
    plain,
    signed_in,
    stored_file,
)
from thidua.store import nomination_rows
from thidua.store.db import session_scope
from thidua.store.models import Nomination, NominationEvent

__all__ = ["router"]

router = APIRouter(prefix="/ban")

S = NominationStatus
#: The moves that are the Ban's to make (resubmitting and withdrawing are the unit's).
STAFF_MOVES = (S.RETURNED, S.ACCEPTED, S.AWARDED, S.NOT_AWARDED)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _award_name(campaign: PortalCampaign, key: str) -> str:
    award = award_for_key(campaign.loaded.spec, key)
    return award.name if award is not None else key


def _status_text(n: Nomination) -> str:
    late = (
        "" if n.timing == SubmissionTiming.ON_TIME else f", {SubmissionTiming.label_of(n.timing)}"
    )
    return NominationStatus.label_of(n.status) + late


@router.get("/{slug}/de-nghi", response_class=HTMLResponse)
def nominations(request: Request, slug: str) -> Response:
    signed_in(request)
    campaign = campaign_of(request, slug)
    unit = request.query_params.get("don_vi", "").strip() or None
    status = request.query_params.get("trang_thai", "").strip() or None
    error = ""
    rows = []
    try:
        with session_scope() as session:
            listing = list_nominations(session, campaign.loaded, unit=unit, status=status)
            session.expunge_all()
        registry = campaign.loaded.registry
        rows = [
            {
                "row": n,
                "unit": registry.unit(n.unit_code).name if n.unit_code in registry else n.unit_code,
                "award": _award_name(campaign, n.award),
                "kind": NomineeKind(n.nominee_kind).label,
                "status": _status_text(n),
            }
            for n in listing.nominations
        ]
    except NominationError as exc:
        error = plain(str(exc))
    return page(
        request,
        "ban_de_nghi.html",
        title=f"Hồ sơ đề nghị khen thưởng - {campaign.code}",
        campaign=campaign,
        rows=rows,
        error=error,
        unit=unit or "",
        status=status or "",
        statuses=[(s.value, s.label) for s in NominationStatus],
        status_code=400 if error else 200,
    )


def _dossier(
    request: Request, campaign: PortalCampaign, nomination_id: str
) -> tuple[Nomination, list[NominationEvent]]:
    """The campaign's nomination and its trail; 404 for any other number."""
    number = parse_id(nomination_id, "hồ sơ")
    with session_scope() as session:
        try:
            nomination, events = history(session, number)
        except NominationError:
            raise not_found(f"Không có hồ sơ đề nghị số {number}.") from None
        session.expunge_all()
    if nomination.campaign_code != campaign.code:
        raise not_found(f"Không có hồ sơ đề nghị số {number} trong đợt thi đua này.")
    return nomination, events


def _detail_page(
    request: Request,
    campaign: PortalCampaign,
    nomination_id: str,
    *,
    error: str = "",
    reason: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    nomination, events = _dossier(request, campaign, nomination_id)
    current = NominationStatus(nomination.status)
    moves = [(s.value, VERBS[s][1]) for s in TRANSITIONS[current] if s in STAFF_MOVES]
    done = request.query_params.get("da", "")
    notice = (
        f"Đã chuyển hồ sơ sang trạng thái “{S(done).label}”."
        if done in {s.value for s in S}
        else ""
    )
    tz = ZoneInfo(portal_state(request).settings.timezone)
    trail = [
        {
            "at": e.at.astimezone(tz),
            "from": NominationStatus.label_of(e.from_status) if e.from_status else "",
            "to": NominationStatus.label_of(e.to_status),
            "actor": e.actor,
            "reason": e.reason or "",
        }
        for e in events
    ]
    registry = campaign.loaded.registry
    code = nomination.unit_code
    return page(
        request,
        "ban_ho_so.html",
        title=f"Hồ sơ đề nghị số {nomination.id} - {campaign.code}",
        campaign=campaign,
        nomination=nomination,
        unit_name=registry.unit(code).name if code in registry else code,
        award=_award_name(campaign, nomination.award),
        kind=NomineeKind(nomination.nominee_kind).label,
        status=_status_text(nomination),
        moves=moves,
        returned=S.RETURNED.value,
        trail=trail,
        error=error,
        notice=notice,
        reason=reason,
        status_code=status_code,
    )


@router.get("/{slug}/de-nghi/{nomination_id}", response_class=HTMLResponse)
def nomination(request: Request, slug: str, nomination_id: str) -> Response:
    signed_in(request)
    return _detail_page(request, campaign_of(request, slug), nomination_id)


@router.post("/{slug}/de-nghi/{nomination_id}", response_class=HTMLResponse)
async def review(request: Request, slug: str, nomination_id: str) -> Response:
    staff, form = await checked_post(request, action="review")
    campaign = campaign_of(request, slug)
    before, _ = _dossier(request, campaign, nomination_id)
    assert before.id is not None
    wanted = str(form.get("den") or "")
    reason = str(form.get("ly_do") or "")
    fields: dict[str, Any] = {
        "action": "review",
        "campaign_code": campaign.code,
        "unit_code": before.unit_code,
    }
    if wanted not in {s.value for s in STAFF_MOVES}:
        audit_refusal(request, detail=f"hồ sơ số {before.id}: bước “{wanted}” không có", **fields)
        return _detail_page(
            request,
            campaign,
            nomination_id,
            error=f"Bước xử lý “{wanted}” không có; hãy chọn một trong các nút bên dưới.",
            status_code=400,
        )
    to = S(wanted)
    try:
        with session_scope() as session:
            move(session, nomination_id=before.id, to=to, actor=staff.actor, reason=reason)
            said = f"; lý do: {reason.strip()}" if reason.strip() else ""
            audit(
                session,
                request,
                outcome="ok",
                detail=f"hồ sơ số {before.id}: {S(before.status).label} → {to.label}{said}",
                **fields,
            )
    except NominationError as exc:
        audit_refusal(request, detail=f"hồ sơ số {before.id} → {to.label}: {exc}", **fields)
        return _detail_page(
            request,
            campaign,
            nomination_id,
            error=plain(str(exc)),
            reason=reason,
            status_code=409 if isinstance(exc, InvalidTransition) else 400,
        )
    return RedirectResponse(
        f"/ban/{campaign.slug}/de-nghi/{before.id}?da={to.value}", status_code=303
    )


@router.get("/{slug}/ho-so/{nomination_id}/{index}")
def nomination_file(request: Request, slug: str, nomination_id: str, index: str) -> Response:
    signed_in(request)
    campaign = campaign_of(request, slug)
    nomination, _ = _dossier(request, campaign, nomination_id)
    position = parse_id(index, "tệp")
    documents = list(nomination.documents or [])
    if position >= len(documents):
        raise not_found("Không có tệp này trong hồ sơ đề nghị.")
    return stored_file(request, documents[position])


# --- documents -------------------------------------------------------------------------


@router.get("/{slug}/phu-luc.xlsx")
def annex(request: Request, slug: str) -> Response:
    signed_in(request)
    campaign = campaign_of(request, slug)
    with session_scope() as session:
        every = nomination_rows.nominations_for(session, campaign_code=campaign.code)
        session.expunge_all()
    listed = annex_nominations(every)
    if not listed:
        raise Refusal(
            404,
            "Chưa có phụ lục",
            f"Đợt thi đua {campaign.code} chưa có hồ sơ đề nghị khen thưởng nào để lập phụ lục "
            "(không tính hồ sơ đã rút, bị trả lại hoặc không được khen thưởng).",
        )
    with tempfile.TemporaryDirectory(prefix="thidua-phu-luc-") as folder:
        path = write_xlsx(Path(folder) / "phu-luc.xlsx", loaded=campaign.loaded, nominations=listed)
        data = path.read_bytes()
    return attachment(data, f"phu-luc-de-nghi-khen-thuong-{campaign.slug}.xlsx", XLSX)


@router.get("/{slug}/bao-cao.docx")
def report(request: Request, slug: str) -> Response:
    signed_in(request)
    campaign = campaign_of(request, slug)
    state = portal_state(request)
    wanted = request.query_params.get("loai", "tong-ket").strip() or "tong-ket"
    try:
        kind = ReportKind(wanted)
    except ValueError:
        raise Refusal(
            400,
            "Loại báo cáo không có",
            f"Loại báo cáo “{wanted}” không có; chọn “so-ket” (sơ kết) hoặc “tong-ket” (tổng kết).",
        ) from None
    ky = request.query_params.get("ky", "").strip() or None
    today = state.now().astimezone(ZoneInfo(state.settings.timezone)).date()
    loaded = campaign.loaded
    try:
        made, _ = make_report(loaded.spec, loaded.registry, kind=kind, ky=ky, today=today)
    except ThiduaError as exc:
        raise Refusal(400, "Không lập được báo cáo", plain(str(exc))) from None
    with tempfile.TemporaryDirectory(prefix="thidua-bao-cao-") as folder:
        data = write_docx(made, Path(folder) / "bao-cao.docx").read_bytes()
    return attachment(data, f"{made.file_stem}.docx", DOCX)
