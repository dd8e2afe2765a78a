"""What every Ban page shares: the signed-in staff member with the form token of the page,
the campaign a URL names, library messages said for a page rather than a command line,
and file answers (downloads) that only ever serve what the store recorded.
"""

from __future__ import annotations

import logging
import mimetypes
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import FileResponse, Response

from thidua.ledger.files import safe_name
from thidua.portal.campaigns import PortalCampaign
from thidua.portal.guards import (
    Refusal,
    StaffSession,
    check_csrf,
    csrf_for,
    portal_state,
    require_staff,
)
from thidua.portal.guards import audit_refusal as audit_refusal

__all__ = [
    "attachment",
    "campaign_of",
    "checked_post",
    "disposition",
    "not_found",
    "parse_id",
    "plain",
    "signed_in",
    "stored_file",
]

log = logging.getLogger("thidua.portal")

#: Downloads are files, never pages: no sniffing, no caching on a shared office computer.
_DOWNLOAD_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


def signed_in(request: Request) -> StaffSession:
    """The staff member (or a redirect to the login page), with the page's form token set."""
    staff = require_staff(request)
    csrf_for(request, staff.actor)
    return staff


async def checked_post(request: Request, *, action: str) -> tuple[StaffSession, Any]:
    """The staff member and the form of a post whose token is genuine; a refused token is
    audited and answered 403, before anything else is read or written."""
    staff = require_staff(request)
    form = await request.form()
    try:
        check_csrf(request, form, staff.actor)
    except Refusal:
        audit_refusal(request, action=action, detail="biểu mẫu không hợp lệ (CSRF)")
        raise
    csrf_for(request, staff.actor)
    return staff, form


def not_found(what: str) -> Refusal:
    return Refusal(404, "Không tìm thấy", what, "Hãy quay lại trang trước và chọn lại.")


def campaign_of(request: Request, slug: str) -> PortalCampaign:
    """The deployed campaign the URL names; a 404 page otherwise."""
    campaign = portal_state(request).catalog.by_slug(slug)
    if campaign is None:
        raise not_found(f"Không có đợt thi đua “{slug}” trên cổng thi đua.")
    return campaign


def parse_id(text: str, what: str) -> int:
    """A record number from a URL segment; anything else is a page that does not exist."""
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise not_found(f"Không có {what} “{text}”.")
    return int(text)


def plain(message: str) -> str:
    """A library message as a page shows it: first letter capitalised (library messages name
    fields in words, never command-line flags: tests/test_message_wording.py)."""
    text = message.strip()
    return text[:1].upper() + text[1:]


def disposition(name: str) -> str:
    """`attachment` with an ASCII fallback name and the real one (RFC 5987 / 6266)."""
    folded = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    fallback = "".join(
        c if 32 <= ord(c) < 127 and c not in '"\\;' else "_"
        for c in folded
        if not unicodedata.combining(c)
    )
    return f"attachment; filename=\"{fallback or 'tep'}\"; filename*=UTF-8''{quote(name, safe='')}"


def attachment(data: bytes, name: str, media_type: str) -> Response:
    """Bytes made on request (an annex, a report) as a download named `name`."""
    headers = {"Content-Disposition": disposition(name), **_DOWNLOAD_HEADERS}
    return Response(data, media_type=media_type, headers=headers)


def stored_file(request: Request, info: dict[str, Any]) -> Response:
    """A file the store recorded, only if it lies inside `<data_dir>/files`; 404 otherwise.

    The path comes from the record, never from the request, and is still resolved
    (symbolic links included) and checked: a record altered to point elsewhere serves
    nothing.
    """
    root = (portal_state(request).settings.data_dir / "files").resolve()
    try:
        path = Path(str(info.get("path") or "")).resolve(strict=True)
    except (OSError, RuntimeError):
        path = None
    if path is None or not path.is_relative_to(root) or not path.is_file():
        log.warning("stored file %r is missing or outside %s: not served", info.get("path"), root)
        raise not_found("Tệp này không còn trong kho lưu trữ của hệ thống.")
    name = safe_name(str(info.get("name") or path.name))
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    headers = {"Content-Disposition": disposition(name), **_DOWNLOAD_HEADERS}
    return FileResponse(path, media_type=media_type, headers=headers)
