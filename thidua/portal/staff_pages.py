"""The Ban Thi đua's pages under /ban: sign-in and sign-out, the list of campaigns, each
campaign's status board, a unit's submissions and their files.

The nomination review, the annex and the report are in `staff_review`. Every page needs
a staff session (`guards.require_staff`: a 303 to the login page otherwise); every form
carries a CSRF token; every sign-in, failed or not, is audited and counted by the app's
rate limiter (per address and per account name).
"""

from __future__ import annotations

import secrets
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from thidua.board.query import BoardFilter, status_board
from thidua.board.rows import Board
from thidua.campaign.kinds import Requirement
from thidua.errors import ThiduaError
from thidua.ledger.statuses import (
    CampaignStatus,
    NominationStatus,
    SubmissionState,
    SubmissionTiming,
)
from thidua.portal import accounts
from thidua.portal.campaigns import PortalCampaign
from thidua.portal.guards import (
    SESSION_COOKIE,
    SESSION_LIFETIME,
    Refusal,
    audit,
    audit_refusal,
    check_csrf,
    csrf_for,
    portal_state,
    session_cookie,
)
from thidua.portal.pages import page
from thidua.portal.staff_common import (
    campaign_of,
    checked_post,
    not_found,
    parse_id,
    plain,
    signed_in,
    stored_file,
)
from thidua.store import nomination_rows, portal_rows, staff_rows
from thidua.store.db import session_scope

__all__ = ["router"]

router = APIRouter(prefix="/ban")

#: A random value the login form's token is bound to, before there is any account.
LOGIN_COOKIE = "thidua_ban_dang_nhap"
WRONG_LOGIN = "Tên đăng nhập hoặc mật khẩu không đúng."


def _secure(request: Request) -> bool:
    return portal_state(request).settings.portal_base_url.startswith("https://")


def _set_cookie(response: Response, request: Request, name: str, value: str, seconds: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=seconds,
        path="/ban",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


# --- signing in and out ----------------------------------------------------------------


def _login_page(
    request: Request, *, username: str = "", error: str = "", status_code: int = 200
) -> HTMLResponse:
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not (16 <= len(nonce) <= 64 and nonce.replace("-", "").replace("_", "").isalnum()):
        nonce = secrets.token_urlsafe(24)
    csrf_for(request, f"login:{nonce}")
    response = page(
        request,
        "ban_dang_nhap.html",
        title="Đăng nhập - Ban Thi đua - Khen thưởng",
        username=username,
        error=error,
        status_code=status_code,
    )
    _set_cookie(response, request, LOGIN_COOKIE, nonce, 12 * 3600)
    return response


@router.get("/dang-nhap", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/dang-nhap", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await request.form()
    username = str(form.get("ten") or "").strip()[:64]
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    try:
        if not nonce:
            raise Refusal(
                403,
                "Biểu mẫu không hợp lệ",
                "Trình duyệt chưa gửi lại dấu phiên của trang đăng nhập; chưa đăng nhập.",
                "Hãy tải lại trang đăng nhập rồi thử lại (trình duyệt cần cho phép cookie).",
            )
        check_csrf(request, form, f"login:{nonce}")
    except Refusal:
        audit_refusal(request, action="login", detail=f"{username}: biểu mẫu không hợp lệ (CSRF)")
        raise
    state = portal_state(request)
    address = request.client.host if request.client else "?"
    wait = state.per_link.allow(f"login:{address}") or state.per_link.allow(
        f"login-user:{username.lower()}"
    )
    if wait:
        audit_refusal(request, action="login", detail=f"{username}: quá nhiều lần đăng nhập")
        raise Refusal(
            429,
            "Quá nhiều lần đăng nhập",
            "Có quá nhiều lần đăng nhập trong một phút từ địa chỉ này hoặc với tên đăng nhập này.",
            f"Hãy thử lại sau {int(wait) + 1} giây.",
        )
    password = str(form.get("mat_khau") or "")
    with session_scope() as session:
        user = accounts.authenticate(session, username=username, password=password)
        actor = f"staff:{user.username}" if user is not None else "anonymous"
        audit(
            session,
            request,
            action="login",
            outcome="ok" if user is not None else "refused",
            actor=actor,
            detail=None if user is not None else f"{username}: sai tên đăng nhập hoặc mật khẩu",
        )
        name = user.username if user is not None else None
    if name is None:
        return _login_page(request, username=username, error=WRONG_LOGIN, status_code=400)
    response = RedirectResponse("/ban", status_code=303)
    _set_cookie(
        response,
        request,
        SESSION_COOKIE,
        session_cookie(request, name),
        int(SESSION_LIFETIME.total_seconds()),
    )
    response.delete_cookie(LOGIN_COOKIE, path="/ban")
    return response


@router.post("/dang-xuat")
async def logout(request: Request) -> Response:
    staff, _ = await checked_post(request, action="logout")
    with session_scope() as session:
        audit(session, request, action="logout", outcome="ok", actor=staff.actor)
    response = RedirectResponse("/ban/dang-nhap", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, path="/ban", httponly=True, samesite="strict", secure=_secure(request)
    )
    return response


# --- campaigns and the board -----------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def campaigns(request: Request) -> Response:
    signed_in(request)
    found = portal_state(request).catalog.all()
    with session_scope() as session:
        counts = staff_rows.campaign_counts(session)
    rows = [
        {
            "campaign": c,
            "status": CampaignStatus.label_of(c.status),
            "units": len(c.plan.participants),
            "submissions": counts.get(c.code, (0, 0))[0],
            "nominations": counts.get(c.code, (0, 0))[1],
        }
        for c in found
    ]
    return page(request, "ban_chien_dich.html", title="Các đợt thi đua", rows=rows)


def _milestones(campaign: PortalCampaign) -> list[tuple[str, str]]:
    """(key, label) of the milestones that ask units for something: the board's columns."""
    return [
        (m.key, m.label)
        for m in campaign.loaded.spec.milestones
        if m.requirement is not Requirement.NONE
    ]


def _query(request: Request, name: str) -> str | None:
    value = request.query_params.get(name, "").strip()
    return value or None


@router.get("/{slug}", response_class=HTMLResponse)
def board(request: Request, slug: str) -> Response:
    signed_in(request)
    campaign = campaign_of(request, slug)
    state = portal_state(request)
    wanted = BoardFilter(
        group=_query(request, "nhom"),
        milestone=_query(request, "moc"),
        state=_query(request, "trang_thai"),
    )
    shown: Board | None = None
    error = ""
    try:
        shown = status_board(
            campaign.code,
            wanted,
            now=state.now(),
            timezone=state.settings.timezone,
            plan=(campaign.plan, campaign.loaded.registry),
        ).board
    except ThiduaError as exc:
        error = plain(str(exc))
    registry = campaign.loaded.registry
    zone = ZoneInfo(state.settings.timezone)
    failures = [(f.unit, f.name, f.reason(zone)) for f in shown.failures] if shown else []
    return page(
        request,
        "ban_bang.html",
        title=f"Bảng theo dõi - {campaign.code}",
        campaign=campaign,
        board=shown,
        error=error,
        failures=failures,
        wanted=wanted,
        groups=[(g.code, g.name) for g in registry.groups.values()],
        milestones=_milestones(campaign),
        states=[(s.value, s.label) for s in SubmissionState],
        status_code=400 if error else 200,
    )


# --- one unit --------------------------------------------------------------------------


def _figures(campaign: PortalCampaign, figures: dict[str, Any]) -> list[tuple[str, str]]:
    """(what, value) lines of stored figures: “Số mô hình mới”, “3” or “12/40”."""
    names = {t.code: t.description for t in campaign.loaded.spec.targets}
    lines = []
    for code, value in figures.items():
        if isinstance(value, dict):
            base = value.get("base")
            shown = f"{value.get('value')}" + (f"/{base}" if base is not None else "")
        else:
            shown = str(value)
        lines.append((names.get(code, code), shown))
    return lines


@router.get("/{slug}/don-vi/{unit}", response_class=HTMLResponse)
def unit_detail(request: Request, slug: str, unit: str) -> Response:
    signed_in(request)
    campaign = campaign_of(request, slug)
    registry = campaign.loaded.registry
    if unit not in registry:
        raise not_found(f"Không có đơn vị “{unit}” trong danh sách đơn vị của đợt thi đua.")
    member = registry.unit(unit)
    state = portal_state(request)
    try:
        row = status_board(
            campaign.code,
            BoardFilter(unit=member.code),
            now=state.now(),
            timezone=state.settings.timezone,
            plan=(campaign.plan, registry),
        ).board
    except ThiduaError:  # a unit the plan does not involve still has its records shown
        row = None
    labels = {m.key: m.label for m in campaign.loaded.spec.milestones}
    with session_scope() as session:
        submissions = staff_rows.unit_submissions(
            session, campaign_code=campaign.code, unit_code=member.code
        )
        nominations = nomination_rows.nominations_for(
            session, campaign_code=campaign.code, unit_code=member.code
        )
        receipts = {
            (r.kind, r.ref_id): r.number
            for r in portal_rows.receipts_of(session, unit_code=member.code)
            if r.campaign_code == campaign.code
        }
        session.expunge_all()
    handed = [
        {
            "row": s,
            "milestone": labels.get(s.milestone, s.milestone),
            "timing": SubmissionTiming.label_of(s.timing),
            "figures": _figures(campaign, s.figures or {}),
            "receipt": receipts.get(("submission", s.id or 0)),
        }
        for s in submissions
    ]
    proposed = [
        {
            "row": n,
            "status": NominationStatus.label_of(n.status),
            "receipt": receipts.get(("nomination", n.id or 0)),
        }
        for n in nominations
    ]
    return page(
        request,
        "ban_don_vi.html",
        title=f"{member.name} - {campaign.code}",
        campaign=campaign,
        unit=member,
        board=row,
        submissions=handed,
        nominations=proposed,
    )


@router.get("/{slug}/tep/{submission_id}/{index}")
def submission_file(request: Request, slug: str, submission_id: str, index: str) -> Response:
    signed_in(request)
    campaign = campaign_of(request, slug)
    number, position = parse_id(submission_id, "bản nộp"), parse_id(index, "tệp")
    with session_scope() as session:
        submission = staff_rows.submission_by_id(session, submission_id=number)
        files = list(submission.files or []) if submission is not None else []
        owner = submission.campaign_code if submission is not None else None
    if owner != campaign.code or position >= len(files):
        raise not_found("Không có tệp này trong các bản nộp của đợt thi đua.")
    return stored_file(request, files[position])
