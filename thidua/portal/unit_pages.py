"""The unit's own pages under /u/<token>: what it owes and the forms to hand it in (its
receipts: `receipt_pages`).

A form post goes through the same ledger use cases as `thidua submit` (`prepare`, then
`save` in one transaction with the receipt), so the rules and the Vietnamese messages
are the command line's; a refused post re-renders the form with them, is audited as
refused and writes nothing. The acknowledgement goes after the commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from thidua.campaign.kinds import Requirement
from thidua.campaign.spec import Target
from thidua.errors import OutsideWindow, SubmissionError
from thidua.ledger.duplicates import DuplicateSubmission
from thidua.ledger.files import FileBatch
from thidua.ledger.statuses import SubmissionSource
from thidua.ledger.submissions import Prepared, prepare, save
from thidua.portal import receipt_pages, receipts
from thidua.portal.guards import (
    Refusal,
    audit,
    audit_refusal,
    check_csrf,
    csrf_for,
    portal_state,
    unit_of,
)
from thidua.portal.links import ResolvedLink, unit_path
from thidua.portal.obligations import Obligation, find_obligation, obligations, unit_name
from thidua.portal.pages import page
from thidua.portal.uploads import Uploads, UploadTooLarge
from thidua.registry import wants_digest
from thidua.store.db import session_scope
from thidua.store.models import ReceiptRecord

router = APIRouter()
log = logging.getLogger("thidua.portal")

ACTION = "nop"  # how the audit log names a submission through the portal
FORM_PATH = "/u/{token}/nop/{slug}/{milestone}/{occurrence}"


# --- the unit's page -----------------------------------------------------------------


@router.get("/u/{token}", response_class=HTMLResponse)
def unit_page(request: Request, token: str) -> Response:
    link = unit_of(request, token)
    state = portal_state(request)
    campaigns = state.catalog.of_unit(link.unit_code)
    with session_scope() as session:
        owed = obligations(campaigns, session, unit_code=link.unit_code, now=state.now())
    name = unit_name(campaigns, link.unit_code)
    return page(
        request,
        "unit.html",
        title=f"Trang của {name}",
        unit_name=name,
        unit_code=link.unit_code,
        token=token,
        obligations=owed,
        handed_in=[o for o in owed if o.submitted],
        calendar=f"/u/{token}/lich.ics",
        today=state.now(),
        # As the weekly digest decides (thidua.ledger.digest): any registry asking for it.
        digest=any(wants_digest(c.loaded.registry, link.unit_code) for c in campaigns),
    )


# --- the submission form -------------------------------------------------------------


@dataclass
class FormView:
    """What the submission form shows: the obligation, the values typed, the errors."""

    obligation: Obligation
    targets: list[Target]
    values: dict[str, str] = field(default_factory=dict)
    errors: list[SubmissionError] = field(default_factory=list)

    @property
    def requirement(self) -> Requirement:
        return self.obligation.requirement

    @property
    def wants_files(self) -> bool:
        return self.requirement in (
            Requirement.REPORT,
            Requirement.IMPLEMENTING_PLAN,
            Requirement.TARGET_FIGURES,
        )

    @property
    def wants_figures(self) -> bool:
        return self.requirement is Requirement.TARGET_FIGURES

    @property
    def wants_registration(self) -> bool:
        return self.requirement is Requirement.REGISTRATION

    def value(self, name: str) -> str:
        return self.values.get(name, "")


def _obligation_for(
    request: Request, link: ResolvedLink, slug: str, milestone: str, occurrence: str
) -> Obligation:
    state = portal_state(request)
    campaign = state.catalog.by_slug(slug)
    found = None
    if campaign is not None and link.unit_code in campaign.loaded.registry:
        with session_scope() as session:
            found = find_obligation(
                campaign,
                session,
                unit_code=link.unit_code,
                milestone=milestone,
                occurrence=occurrence,
                now=state.now(),
            )
    if found is None:
        raise Refusal(
            404,
            "Không có mục phải nộp này",
            "Đơn vị không phải nộp gì cho kế hoạch, mốc và kỳ ghi trong địa chỉ này.",
            "Hãy mở lại trang của đơn vị và chọn mục cần nộp trong danh sách.",
        )
    return found


def _form(
    request: Request, link: ResolvedLink, token: str, view: FormView, *, status_code: int = 200
) -> Response:
    csrf_for(request, link.actor)
    o = view.obligation
    return page(
        request,
        "submit.html",
        status_code=status_code,
        title=f"Nộp {o.requirement.label}: {o.milestone_label}",
        token=token,
        view=view,
        o=o,
        action=o.path(token),
    )


@router.get(FORM_PATH, response_class=HTMLResponse)
def submit_form(
    request: Request, token: str, slug: str, milestone: str, occurrence: str
) -> Response:
    link = unit_of(request, token)
    o = _obligation_for(request, link, slug, milestone, occurrence)
    if o.is_nomination:
        return RedirectResponse(o.path(token), status_code=303)
    return _form(request, link, token, FormView(o, list(o.campaign.loaded.spec.targets)))


def _figures(form: FormData, view: FormView) -> dict[str, Any]:
    """The figures typed, as the ledger reads them; an empty input is no figure."""
    out: dict[str, Any] = {}
    for t in view.targets:
        if view.wants_registration:
            level = _text(form, f"reg-{t.code}")
            if level:
                out[t.code] = level
            continue
        value, base = _text(form, f"fig-{t.code}"), _text(form, f"base-{t.code}")
        if value or base:
            out[t.code] = {"value": value, "base": base} if t.denominator else value
    return out


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _typed(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}


@router.post(FORM_PATH, response_class=HTMLResponse)
async def submit(
    request: Request, token: str, slug: str, milestone: str, occurrence: str
) -> Response:
    # The store is read in worker threads: a slow database must not stall other requests.
    link = await run_in_threadpool(unit_of, request, token)
    state = portal_state(request)
    form = await request.form()
    o = await run_in_threadpool(_admit, request, link, token, form, (slug, milestone, occurrence))
    view = FormView(o, list(o.campaign.loaded.spec.targets), values=_typed(form))
    with Uploads(state.settings.portal_upload_mb) as uploads:
        try:
            paths = [p for f in form.getlist("files") if (p := await uploads.save(f)) is not None]
        except UploadTooLarge as exc:
            message = f"Tệp “{exc.name}” vượt quá {exc.limit_mb} MB; không có gì được ghi nhận."
            await run_in_threadpool(_refused, request, link, o, message)
            raise Refusal(
                413,
                "Tệp quá lớn",
                message,
                "Hãy nén hoặc chia nhỏ tệp, hoặc gửi số hiệu văn bản qua hệ thống quản lý văn bản.",
            ) from None
        return await run_in_threadpool(_submit, request, link, token, view, form, paths)


def _admit(
    request: Request, link: ResolvedLink, token: str, form: FormData, where: tuple[str, str, str]
) -> Obligation:
    """The obligation a genuine post is for; a refusal (audited) for a forged or stray one."""
    try:
        check_csrf(request, form, link.actor)
        o = _obligation_for(request, link, *where)
        if o.is_nomination:
            raise Refusal(
                404,
                "Không có mục phải nộp này",
                "Hồ sơ đề nghị khen thưởng được nộp ở trang đề nghị khen thưởng.",
                f"Hãy mở {o.path(token)}.",
            )
    except Refusal as refused:
        audit_refusal(
            request,
            action=ACTION,
            unit_code=link.unit_code,
            detail=f"{'/'.join(where)}: {refused.message}",
        )
        raise
    return o


def _refused(request: Request, link: ResolvedLink, o: Obligation, message: str) -> None:
    audit_refusal(
        request,
        action=ACTION,
        campaign_code=o.campaign_code,
        unit_code=link.unit_code,
        detail=f"{o.milestone_key}/{o.occurrence_slug}: {message}",
    )


def _submit(
    request: Request,
    link: ResolvedLink,
    token: str,
    view: FormView,
    form: FormData,
    paths: list[Path],
) -> Response:
    """Check, record and number one submission (in a worker thread: it blocks on the store)."""
    state = portal_state(request)
    o = view.obligation
    now = state.now()
    try:
        prepared = prepare(
            o.campaign.loaded,
            unit=link.unit_code,
            milestone=o.milestone_key,
            occurrence=o.occurrence_key or None,
            submitted_at=None,
            figures=_figures(form, view),
            files=paths,
            note=_text(form, "note") or None,
            recorded_by=link.actor,
            source=SubmissionSource.PORTAL.value,
            now=now,
            doc_number=_text(form, "doc_number") or None,
            doc_date=_text(form, "doc_date") or None,
            require_content=True,
        )
        receipt = _record(request, prepared, o, now)
    except SubmissionError as exc:
        _refused(request, link, o, exc.message)
        view.errors = list(exc.errors)
        # Out of time and already handed in are conflicts with the ledger's state.
        conflict = isinstance(exc, OutsideWindow | DuplicateSubmission)
        return _form(request, link, token, view, status_code=409 if conflict else 400)
    _acknowledge(request, token, receipt, prepared, o)
    return RedirectResponse(f"/u/{token}/bien-nhan/{receipt.id}", status_code=303)


def _record(request: Request, prepared: Prepared, o: Obligation, now: datetime) -> ReceiptRecord:
    """The submission, its receipt and the audit entry in one transaction."""
    batch = FileBatch(deferred=True)
    try:
        with session_scope() as session:
            saved = save(session, prepared, batch)
            assert saved.submission.id is not None
            receipt = receipts.issue(
                session,
                kind="submission",
                ref_id=saved.submission.id,
                campaign_code=prepared.campaign_code,
                unit_code=prepared.unit_code,
                at=now,
            )
            audit(
                session,
                request,
                action=ACTION,
                outcome="ok",
                campaign_code=prepared.campaign_code,
                unit_code=prepared.unit_code,
                detail=f"{o.milestone_key}/{o.occurrence_slug}: số tiếp nhận {receipt.number}",
            )
    except BaseException:
        batch.undo()
        raise
    return receipt


def _what(o: Obligation) -> str:
    """“báo cáo mốc “Báo cáo kết quả đợt thi đua” quý II/2023”."""
    which = f" {o.occurrence_label}" if o.occurrence_label else ""
    return f"{o.requirement.label} mốc “{o.milestone_label}”{which}"


def _acknowledge(
    request: Request, token: str, receipt: ReceiptRecord, prepared: Prepared, o: Obligation
) -> None:
    """Tell the unit through its contacts; the submission is committed whatever happens here."""
    state = portal_state(request)
    try:
        receipts.acknowledge(
            state,
            receipt,
            unit_name=prepared.unit_name,
            campaign_ref=o.campaign_ref,
            what=_what(o),
            page_url=state.settings.portal_base_url + unit_path(token),
        )
    except Exception:
        log.exception("acknowledgement of receipt %s could not be sent", receipt.number)


# The receipt page lives in its own module; its routes are this router's.
router.include_router(receipt_pages.router)
