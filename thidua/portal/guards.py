"""What every portal request goes through: who is asking (a unit link or a staff session),
whether a form post is genuine (CSRF), and the audit record of every write.

A refusal is a `Refusal`: the app turns it into a Vietnamese page with its status code,
never a traceback. CSRF tokens are bound to the link or the staff account that asked for
the form, and expire after `CSRF_LIFETIME`.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from fastapi import Request

from thidua.portal import links
from thidua.portal.signing import Signer
from thidua.store import portal_rows
from thidua.store.db import session_scope

if TYPE_CHECKING:
    from sqlmodel import Session

    from thidua.portal.state import PortalState
    from thidua.store.models import StaffUser

__all__ = [
    "SESSION_COOKIE",
    "Refusal",
    "StaffSession",
    "audit",
    "check_csrf",
    "client_address",
    "csrf_for",
    "portal_state",
    "require_staff",
    "unit_of",
]

SESSION_COOKIE = "thidua_ban"
SESSION_LIFETIME = timedelta(hours=8)
CSRF_LIFETIME = timedelta(hours=12)


class Refusal(Exception):
    """A request the portal answers with an error page: status, heading, message, hint."""

    def __init__(self, status: int, heading: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.heading = heading
        self.message = message
        self.hint = hint


def portal_state(request: Request) -> PortalState:
    state: PortalState = request.app.state.portal
    return state


def client_address(request: Request) -> str:
    return request.client.host if request.client else "?"


_LINK_REFUSALS = {
    links.LinkState.MALFORMED: "Đường liên kết không đúng: có thể đã bị cắt mất một phần khi sao chép.",
    links.LinkState.UNKNOWN: "Đường liên kết không có trong hệ thống.",
    links.LinkState.REVOKED: "Đường liên kết này đã được thay bằng đường liên kết mới.",
}


def unit_of(request: Request, token: str) -> links.ResolvedLink:
    """The unit a link opens; a 404 page saying why when it opens none."""
    with session_scope() as session:
        resolved = links.resolve(session, token)
    if isinstance(resolved, str):
        raise Refusal(
            404,
            "Không mở được trang của đơn vị",
            _LINK_REFUSALS[resolved],
            "Hãy dùng đường liên kết trong thông báo gần nhất của Ban Thi đua - Khen thưởng, "
            "hoặc liên hệ Ban để được cấp lại.",
        )
    request.state.actor = resolved.actor
    return resolved


# --- CSRF ----------------------------------------------------------------------------------


def _csrf_signer(request: Request) -> Signer:
    return Signer(portal_state(request).secret, "csrf")


def csrf_for(request: Request, subject: str) -> str:
    """A form token bound to `subject` (the link's actor or the staff account); also put on
    `request.state.csrf` for the page's forms."""
    state = portal_state(request)
    token = _csrf_signer(request).sign(subject, now=state.now(), lifetime=CSRF_LIFETIME)
    request.state.csrf = token
    return token


def check_csrf(request: Request, form: Any, subject: str) -> None:
    """Refuse a form post whose token is missing, forged, expired or for someone else."""
    given = form.get("csrf") if form is not None else None
    value = (
        _csrf_signer(request).unsign(given, now=portal_state(request).now())
        if isinstance(given, str)
        else None
    )
    if value is None or not hmac.compare_digest(value.encode(), subject.encode()):
        raise Refusal(
            403,
            "Biểu mẫu không hợp lệ",
            "Biểu mẫu đã hết hạn hoặc không phải do trang này tạo ra; không có gì được ghi nhận.",
            "Hãy tải lại trang rồi gửi lại.",
        )


# --- staff sessions ------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffSession:
    username: str
    display_name: str

    @property
    def actor(self) -> str:
        return f"staff:{self.username}"


def session_cookie(request: Request, username: str) -> str:
    state = portal_state(request)
    return Signer(state.secret, "session").sign(
        username, now=state.now(), lifetime=SESSION_LIFETIME
    )


def require_staff(request: Request) -> StaffSession:
    """The signed-in staff member; a redirect to the login page (303) otherwise."""
    state = portal_state(request)
    raw = request.cookies.get(SESSION_COOKIE, "")
    username = Signer(state.secret, "session").unsign(raw, now=state.now()) if raw else None
    user: StaffUser | None = None
    if username:
        with session_scope() as session:
            user = portal_rows.get_staff(session, username=username)
            if user is not None:
                session.expunge(user)
    if user is None or user.disabled:
        raise Refusal(
            303, "Cần đăng nhập", "Hãy đăng nhập bằng tài khoản cán bộ.", hint="/ban/dang-nhap"
        )
    staff = StaffSession(user.username, user.display_name)
    request.state.staff = staff
    request.state.actor = staff.actor
    return staff


# --- audit ---------------------------------------------------------------------------------


def audit(
    session: Session,
    request: Request,
    *,
    action: str,
    outcome: str,
    actor: str | None = None,
    campaign_code: str | None = None,
    unit_code: str | None = None,
    detail: str | None = None,
    at: datetime | None = None,
) -> None:
    """Record a write (outcome "ok") or a refused one ("refused") in the caller's transaction."""
    portal_rows.add_audit(
        session,
        address=client_address(request),
        actor=actor or str(getattr(request.state, "actor", "anonymous")),
        action=action,
        outcome=outcome,
        campaign_code=campaign_code,
        unit_code=unit_code,
        detail=detail,
        at=at or portal_state(request).now(),
    )


def audit_refusal(request: Request, **fields: Any) -> None:
    """Record a refused write in its own transaction (the refused one wrote nothing)."""
    with session_scope() as session:
        audit(session, request, outcome="refused", **fields)
