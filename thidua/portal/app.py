"""The portal application: `create_app` wires settings, the clock, the secret, the rate
limits, the upload cap and the error pages around the routers of the unit's pages
(`unit_pages`), its calendar feed (`feeds`) and the Ban's pages (`staff_pages`).

Every refusal is a Vietnamese page with the right status code; an unexpected error is
logged and answered "Lỗi hệ thống" without a traceback. Acknowledgements of receipts go
through the `Acknowledger` the caller hands in (`thidua serve` passes one built on the
delivery engine and the real channels); without one, nothing is sent.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from thidua.clock import now as clock_now
from thidua.config import Settings, get_settings
from thidua.portal.campaigns import CampaignCatalog
from thidua.portal.guards import Refusal, client_address
from thidua.portal.pages import environment, page
from thidua.portal.ratelimit import RateLimiter
from thidua.portal.secret import portal_secret
from thidua.portal.state import Acknowledger, PortalState

__all__ = ["Acknowledger", "PortalState", "create_app"]

log = logging.getLogger("thidua.portal")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


_LINK_PATH = re.compile(r"^/u/([^/]+)")


def _error_html(status: int, heading: str, message: str, hint: str = "") -> HTMLResponse:
    html = (
        environment()
        .get_template("error.html")
        .render(title=heading, heading=heading, message=message, hint=hint, staff=None, csrf="")
    )
    return HTMLResponse(html, status_code=status)


class Guard:
    """ASGI middleware: rate limits (per link, per address) and the request body cap.

    Both are checked before the application reads a byte of the body, so an oversized
    upload or a flood is refused without being stored anywhere, not even in a temp file.
    """

    def __init__(self, app: ASGIApp, state: PortalState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        address = scope["client"][0] if scope.get("client") else "?"
        wait = self.state.per_address.allow(f"addr:{address}")
        if not wait and (m := _LINK_PATH.match(scope.get("path", ""))):
            wait = self.state.per_link.allow(f"link:{m.group(1)}")
        if wait:
            response = _error_html(
                429,
                "Quá nhiều yêu cầu",
                "Trang nhận quá nhiều yêu cầu trong một phút từ đường liên kết hoặc địa chỉ này.",
                f"Hãy thử lại sau {int(wait) + 1} giây.",
            )
            response.headers["Retry-After"] = str(int(wait) + 1)
            await response(scope, receive, send)
            return
        limit = self.state.max_upload
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        mb = self.state.settings.portal_upload_mb
        response = _error_html(
            413,
            "Tệp quá lớn",
            f"Tổng dung lượng gửi lên vượt quá {mb} MB; không có gì được ghi nhận.",
            "Hãy nén hoặc chia nhỏ tệp rồi gửi lại, hoặc gửi số hiệu văn bản qua hệ thống quản lý văn bản.",
        )
        await response(scope, receive, send)


class _TooLarge(BaseException):
    """Raised from `receive` past the cap. A BaseException on purpose: FastAPI turns any
    Exception met while parsing a body into a 400, which would hide the real reason."""


def create_app(
    settings: Settings | None = None,
    *,
    now: Callable[[], datetime] = clock_now,
    monotonic: Callable[[], float] = time.monotonic,
    acknowledge: Acknowledger | None = None,
) -> FastAPI:
    """The portal application; `now` and `monotonic` are injected so tests control time."""
    settings = settings or get_settings()
    per_minute = settings.portal_rate_per_minute
    state = PortalState(
        settings=settings,
        secret=portal_secret(settings),
        now=now,
        acknowledge=acknowledge,
        # The cap covers the files and the form fields around them.
        max_upload=settings.portal_upload_mb * 1024 * 1024 + 64 * 1024,
        per_link=RateLimiter(per_minute, monotonic),
        per_address=RateLimiter(per_minute * 5, monotonic),  # an office shares one address
        catalog=CampaignCatalog(settings),
    )
    app = FastAPI(title="Cổng thi đua", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.portal = state

    from thidua.portal import feeds, nomination_pages, staff_pages, staff_review, unit_pages

    app.include_router(unit_pages.router)
    app.include_router(nomination_pages.router)
    app.include_router(feeds.router)
    app.include_router(staff_pages.router)
    app.include_router(staff_review.router)

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        return page(request, "home.html", title="Cổng thi đua")

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    @app.exception_handler(Refusal)
    async def refused(request: Request, exc: Refusal) -> Response:
        if exc.status == 303:
            return RedirectResponse(exc.hint or "/", status_code=303)
        return _error_html(exc.status, exc.heading, exc.message, exc.hint)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return _error_html(
                404, "Không tìm thấy trang", "Địa chỉ này không có trên cổng thi đua."
            )
        if exc.status_code == 405:
            return _error_html(405, "Yêu cầu không hợp lệ", "Trang này không nhận kiểu yêu cầu đó.")
        return _error_html(exc.status_code, "Yêu cầu không hợp lệ", str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        fields = ", ".join(
            str(err.get("loc", ["?"])[-1]) for err in exc.errors() if isinstance(err, dict)
        )
        return _error_html(
            400,
            "Biểu mẫu thiếu thông tin",
            f"Biểu mẫu thiếu hoặc sai trường: {fields}; không có gì được ghi nhận.",
            "Hãy tải lại trang rồi điền lại.",
        )

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.exception(
            "portal request %s %s from %s failed",
            request.method,
            request.url.path,
            client_address(request),
        )
        return _error_html(
            500,
            "Lỗi hệ thống",
            "Hệ thống gặp lỗi khi xử lý yêu cầu; không có gì được ghi nhận.",
            "Hãy thử lại sau ít phút; nếu vẫn lỗi, hãy báo Ban Thi đua - Khen thưởng.",
        )

    app.add_middleware(Guard, state=state)
    return app
