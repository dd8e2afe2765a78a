"""The unit's nomination forms under /u/<token>/de-nghi: a dossier with one file per
document, and a returned nomination corrected and handed in again.

The pages only gather what the unit typed and chose; every rule (window, late="refuse",
quotas, duplicates, completeness, what a file really is) is the ledger's
(`thidua.ledger.nominations.nominate` and `resubmit`), with its Vietnamese messages. A
refused form is shown again with the message and nothing is written: the ledger checks
everything before storing a file, and the transaction that would hold the nomination,
its receipt and its audit record is rolled back. The refusal itself is audited apart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from thidua.campaign.audience import owing
from thidua.campaign.kinds import MilestoneKind, NomineeKind
from thidua.campaign.plan import Occurrence
from thidua.campaign.spec import Award
from thidua.errors import NominationError, OutsideWindow
from thidua.ledger.dossier import award_for_key, award_key
from thidua.ledger.nominations import (
    Correction,
    DuplicateNomination,
    NominationInput,
    nominate,
    resubmit,
    unit_name,
)
from thidua.ledger.quotas import QuotaExceeded, unit_usage
from thidua.ledger.review import InvalidTransition, history
from thidua.ledger.statuses import NominationStatus, SubmissionTiming, status_label
from thidua.ledger.timing import window_text
from thidua.portal import receipts
from thidua.portal.campaigns import PortalCampaign
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
from thidua.portal.pages import page
from thidua.portal.uploads import Uploads, UploadTooLarge
from thidua.store import nomination_rows
from thidua.store.db import session_scope
from thidua.store.models import Nomination, NominationEvent, ReceiptRecord

__all__ = ["router"]

router = APIRouter()
log = logging.getLogger("thidua.portal")

NOMINATE = "nominate"
RESUBMIT = "nominate.resubmit"

#: Refusals that depend on the time or on what is already recorded, not on the form: 409.
_CONFLICTS = (OutsideWindow, DuplicateNomination, QuotaExceeded, InvalidTransition)

#: The file input of an award whose dossier the plan does not list.
OTHER_DOCUMENT = "Tài liệu kèm theo"

#: The form's text fields: (field name, NominationInput attribute).
FIELDS = (
    ("hinh-thuc", "award"),
    ("loai", "kind"),
    ("ten", "name"),
    ("chuc-vu", "position"),
    ("noi-cong-tac", "workplace"),
    ("thanh-tich", "achievement"),
)


def _not_found(message: str) -> Refusal:
    return Refusal(
        404,
        "Không tìm thấy trang",
        message,
        "Hãy mở lại trang của đơn vị và chọn việc cần nộp từ danh sách ở đó.",
    )


def _tz(request: Request) -> ZoneInfo:
    return ZoneInfo(portal_state(request).settings.timezone)


# --- what a page is about --------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The nomination milestone occurrence a form answers, for the unit whose link it is."""

    link: ResolvedLink
    token: str
    campaign: PortalCampaign
    occurrence: Occurrence

    @property
    def unit_name(self) -> str:
        return unit_name(self.campaign.loaded.registry, self.link.unit_code)


def _target(request: Request, token: str, slug: str, milestone: str, occurrence: str) -> Target:
    link = unit_of(request, token)
    campaign = portal_state(request).catalog.by_slug(slug)
    if campaign is None or link.unit_code not in campaign.loaded.registry:
        raise _not_found("Đợt thi đua này không có trên cổng hoặc không liên quan đến đơn vị.")
    spec, registry = campaign.loaded.spec, campaign.loaded.registry
    key = "" if occurrence == "-" else occurrence
    occ = next(
        (o for o in campaign.plan.occurrences if o.milestone.key == milestone and o.key == key),
        None,
    )
    if occ is None or occ.milestone.kind is not MilestoneKind.NOMINATION:
        raise _not_found(
            f"Kế hoạch số {spec.code} không có mốc nộp hồ sơ đề nghị khen thưởng “{milestone}”."
        )
    members = campaign.plan.participants
    if link.unit_code not in owing(spec, registry, occ.milestone, members=members):
        raise _not_found(
            f"Mốc “{occ.milestone.label}” của kế hoạch số {spec.code} không giao cho đơn vị "
            f"{link.unit_code}."
        )
    return Target(link, token, campaign, occ)


def _chosen_award(campaign: PortalCampaign, value: str | None) -> Award | None:
    """The award a form is for: the one named by its key, else the campaign's first."""
    awards = campaign.loaded.spec.awards
    return award_for_key(campaign.loaded.spec, value or "") or (awards[0] if awards else None)


def document_items(award: Award | None) -> list[str]:
    """One file input per dossier document (one optional input when the plan lists none)."""
    if award is None:
        return []
    return list(award.dossier) or [OTHER_DOCUMENT]


async def _documents(
    uploads: Uploads, form: FormData, award: Award | None
) -> list[tuple[str, str]]:
    """(dossier item, saved path) for each file input the unit filled, by item number."""
    found: list[tuple[str, str]] = []
    for number, item in enumerate(document_items(award), 1):
        path = await uploads.save(form.get(f"tai-lieu-{number}"))
        if path is not None:
            found.append((str(number) if award and award.dossier else item, str(path)))
    return found


def _values(form: FormData) -> dict[str, str]:
    return {name: str(form.get(name) or "") for name, _ in FIELDS}


def _csrf_checked(request: Request, form: FormData, link: ResolvedLink, **fields: Any) -> None:
    """CSRF first; a forged or stale form is refused, audited, and nothing else is read."""
    try:
        check_csrf(request, form, link.actor)
    except Refusal as refusal:
        audit_refusal(request, unit_code=link.unit_code, detail=refusal.message, **fields)
        raise


def _refusal_status(exc: Exception) -> int:
    if isinstance(exc, UploadTooLarge):
        return 413
    return 409 if isinstance(exc, _CONFLICTS) else 400


def _acknowledge(
    request: Request, token: str, receipt: ReceiptRecord, *, unit: str, code: str, what: str
) -> Response:
    """After the commit: the acknowledgement through the unit's contacts, then the receipt.

    The nomination is recorded by now; an acknowledgement that cannot be sent is logged,
    never shown as a failure of what was received (the receipt page has the number)."""
    state = portal_state(request)
    try:
        receipts.acknowledge(
            state,
            receipt,
            unit_name=unit,
            campaign_ref=f"Kế hoạch số {code}",
            what=what,
            page_url=state.settings.portal_base_url + unit_path(token),
        )
    except Exception:
        log.exception("acknowledgement of receipt %s to %s failed", receipt.number, unit)
    return RedirectResponse(f"{unit_path(token)}/bien-nhan/{receipt.id}", status_code=303)


def _what(nomination: Nomination, award: Award | None, *, again: bool = False) -> str:
    kind = NomineeKind(nomination.nominee_kind).label
    name = award.name if award is not None else nomination.award
    verb = "hồ sơ nộp lại" if again else "hồ sơ"
    return (
        f"{verb} đề nghị {name} cho {kind} “{nomination.nominee_name}” (hồ sơ số {nomination.id})"
    )


# --- a new nomination ------------------------------------------------------------------


def _nominate_page(
    request: Request,
    target: Target,
    values: dict[str, str],
    *,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    campaign, link = target.campaign, target.link
    spec, registry = campaign.loaded.spec, campaign.loaded.registry
    award = _chosen_award(campaign, values.get("hinh-thuc"))
    with session_scope() as session:
        everything = nomination_rows.nominations_for(session, campaign_code=spec.code)
    usages = unit_usage(spec, registry, link.unit_code, everything)
    mine = [n for n in everything if n.unit_code == link.unit_code]
    csrf_for(request, link.actor)
    occ = target.occurrence
    return page(
        request,
        "nominate.html",
        status_code=status_code,
        title=f"Hồ sơ đề nghị khen thưởng — {target.unit_name}",
        unit=target.unit_name,
        unit_code=link.unit_code,
        home=unit_path(target.token),
        spec=spec,
        milestone=occ.milestone,
        occurrence=occ,
        window=window_text(occ),
        refuses_late=occ.milestone.late == "refuse",
        awards=[(award_key(a), a.name) for a in spec.awards],
        award=award,
        award_value=award_key(award) if award is not None else "",
        kinds=[(k.value, k.label) for k in (award.nominees if award else ())],
        items=document_items(award),
        usages=usages,
        mine=[
            (n, NomineeKind(n.nominee_kind).label, status_label(n.status), _award_name(spec, n))
            for n in mine
        ],
        returned=NominationStatus.RETURNED,
        edit_prefix=f"{unit_path(target.token)}/de-nghi/sua/",
        values=values,
        errors=errors or [],
    )


def _award_name(spec: Any, nomination: Nomination) -> str:
    award = award_for_key(spec, nomination.award)
    return award.name if award is not None else nomination.award


@router.get("/u/{token}/de-nghi/{slug}/{milestone}/{occurrence}")
def nomination_form(
    request: Request, token: str, slug: str, milestone: str, occurrence: str
) -> Response:
    target = _target(request, token, slug, milestone, occurrence)
    chosen = request.query_params.get("hinh-thuc", "")
    return _nominate_page(request, target, {"hinh-thuc": chosen})


@router.post("/u/{token}/de-nghi/{slug}/{milestone}/{occurrence}")
async def nomination_post(
    request: Request, token: str, slug: str, milestone: str, occurrence: str
) -> Response:
    target = _target(request, token, slug, milestone, occurrence)
    link, campaign = target.link, target.campaign
    code = campaign.code
    form = await request.form()
    _csrf_checked(request, form, link, action=NOMINATE, campaign_code=code)
    state = portal_state(request)
    values = _values(form)
    award = award_for_key(campaign.loaded.spec, values["hinh-thuc"])
    try:
        with Uploads(state.settings.portal_upload_mb) as uploads:
            documents = await _documents(uploads, form, award)
            now = state.now()
            typed = {attr: values[name] for name, attr in FIELDS}
            wanted = NominationInput(
                unit=link.unit_code, documents=documents, at=now, by=link.actor, **typed
            )
            with session_scope() as session:
                nomination = nominate(session, campaign.loaded, wanted, tz=_tz(request), now=now)
                assert nomination.id is not None
                receipt = receipts.issue(
                    session,
                    kind="nomination",
                    ref_id=nomination.id,
                    campaign_code=code,
                    unit_code=link.unit_code,
                    at=now,
                )
                late = SubmissionTiming(nomination.timing) is not SubmissionTiming.ON_TIME
                audit(
                    session,
                    request,
                    action=NOMINATE,
                    outcome="ok",
                    campaign_code=code,
                    unit_code=link.unit_code,
                    detail=f"hồ sơ số {nomination.id}, số tiếp nhận {receipt.number}"
                    + (f" ({SubmissionTiming(nomination.timing).label})" if late else ""),
                    at=now,
                )
    except (NominationError, UploadTooLarge) as exc:
        message = str(exc)
        audit_refusal(
            request, action=NOMINATE, campaign_code=code, unit_code=link.unit_code, detail=message
        )
        return _nominate_page(
            request, target, values, errors=[message], status_code=_refusal_status(exc)
        )
    return _acknowledge(
        request,
        token,
        receipt,
        unit=target.unit_name,
        code=code,
        what=_what(nomination, award),
    )


# --- a returned nomination, corrected ----------------------------------------------------


@dataclass(frozen=True)
class Returned:
    """A nomination of the link's unit, with its trail and its campaign as deployed."""

    link: ResolvedLink
    token: str
    campaign: PortalCampaign
    nomination: Nomination
    events: list[NominationEvent]

    @property
    def return_event(self) -> NominationEvent | None:
        """The latest return (its reason is what the unit must fix)."""
        returns = [e for e in self.events if e.to_status is NominationStatus.RETURNED]
        return returns[-1] if returns else None

    @property
    def award(self) -> Award | None:
        return award_for_key(self.campaign.loaded.spec, self.nomination.award)


def _returned(request: Request, token: str, nomination_id: str) -> Returned:
    link = unit_of(request, token)
    missing = _not_found(f"Đơn vị {link.unit_code} không có hồ sơ đề nghị số {nomination_id}.")
    if not nomination_id.isdigit() or len(nomination_id) > 18:
        raise missing
    try:
        with session_scope() as session:
            nomination, events = history(session, int(nomination_id))
    except NominationError:
        raise missing from None
    if nomination.unit_code != link.unit_code:
        raise missing  # another unit's nomination: the same answer as one that does not exist
    campaign = next(
        (c for c in portal_state(request).catalog.all() if c.code == nomination.campaign_code),
        None,
    )
    if campaign is None:
        raise _not_found(
            f"Kế hoạch số {nomination.campaign_code} của hồ sơ số {nomination_id} không còn "
            "trên cổng."
        )
    return Returned(link, token, campaign, nomination, events)


def _edit_page(
    request: Request,
    found: Returned,
    values: dict[str, str],
    *,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    nomination, link = found.nomination, found.link
    csrf_for(request, link.actor)
    unit = unit_name(found.campaign.loaded.registry, link.unit_code)
    kept = {d["document"]: d["name"] for d in nomination.documents}
    items = document_items(found.award)
    return page(
        request,
        "nominate_edit.html",
        status_code=status_code,
        title=f"Nộp lại hồ sơ số {nomination.id} — {unit}",
        unit=unit,
        home=unit_path(found.token),
        spec=found.campaign.loaded.spec,
        nomination=nomination,
        kind=NomineeKind(nomination.nominee_kind),
        award_name=_award_name(found.campaign.loaded.spec, nomination),
        status=status_label(nomination.status),
        editable=NominationStatus(nomination.status) is NominationStatus.RETURNED,
        returned=found.return_event,
        items=[(item, kept.get(item, "")) for item in items],
        values=values,
        errors=errors or [],
    )


def _stored_values(nomination: Nomination) -> dict[str, str]:
    return {
        "ten": nomination.nominee_name,
        "chuc-vu": nomination.position or "",
        "noi-cong-tac": nomination.workplace or "",
        "thanh-tich": nomination.achievement,
    }


@router.get("/u/{token}/de-nghi/sua/{nomination_id}")
def resubmit_form(request: Request, token: str, nomination_id: str) -> Response:
    found = _returned(request, token, nomination_id)
    return _edit_page(request, found, _stored_values(found.nomination))


@router.post("/u/{token}/de-nghi/sua/{nomination_id}")
async def resubmit_post(request: Request, token: str, nomination_id: str) -> Response:
    found = _returned(request, token, nomination_id)
    link, campaign, code = found.link, found.campaign, found.campaign.code
    form = await request.form()
    _csrf_checked(request, form, link, action=RESUBMIT, campaign_code=code)
    state = portal_state(request)
    values = _values(form)
    try:
        with Uploads(state.settings.portal_upload_mb) as uploads:
            correction = Correction(
                name=values["ten"],
                achievement=values["thanh-tich"],
                position=values["chuc-vu"],
                workplace=values["noi-cong-tac"],
                documents=await _documents(uploads, form, found.award),
                by=link.actor,
            )
            now = state.now()
            with session_scope() as session:
                nomination = resubmit(
                    session,
                    campaign.loaded,
                    int(nomination_id),
                    correction,
                    unit=link.unit_code,
                    tz=_tz(request),
                    now=now,
                )
                receipt = receipts.issue(
                    session,
                    kind="nomination",
                    ref_id=int(nomination_id),
                    campaign_code=code,
                    unit_code=link.unit_code,
                    at=now,
                )
                audit(
                    session,
                    request,
                    action=RESUBMIT,
                    outcome="ok",
                    campaign_code=code,
                    unit_code=link.unit_code,
                    detail=f"hồ sơ số {nomination_id} nộp lại, số tiếp nhận {receipt.number}",
                    at=now,
                )
    except (NominationError, UploadTooLarge) as exc:
        message = str(exc)
        audit_refusal(
            request, action=RESUBMIT, campaign_code=code, unit_code=link.unit_code, detail=message
        )
        return _edit_page(
            request, found, values, errors=[message], status_code=_refusal_status(exc)
        )
    unit = unit_name(campaign.loaded.registry, link.unit_code)
    return _acknowledge(
        request,
        token,
        receipt,
        unit=unit,
        code=code,
        what=_what(nomination, found.award, again=True),
    )
