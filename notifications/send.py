"""Send one rendered message to one contact URL through Apprise, and say how it went.

Apprise 1.x answers one bool for all the URLs of a notify() call, so the caller
sends per contact to know which unit failed. Secrets are expanded from the
environment only here, at the last moment, and never appear in a result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import apprise

import notifications.outbox  # noqa: F401  (registers the outbox:// scheme with Apprise)
from notifications.render import Message
from thidua.contacts import OUTBOX_SCHEME, display, expand, quiet_apprise
from thidua.errors import ThiduaError


@dataclass(frozen=True)
class SendResult:
    """The outcome of one delivery attempt; `error` never contains a secret."""

    ok: bool
    permanent: bool = False
    error: str | None = None


def channel_id(index: int, url: str) -> str:
    """A stable, secret-free name of a unit's contact: its position and scheme."""
    return f"{index}:{url.split('://', 1)[0].lower()}"


def send(
    url_template: str, message: Message, *, context: dict[str, Any] | None = None
) -> SendResult:
    """Deliver `message` to one contact; outbox URLs carry `context` (unit, campaign, action)."""
    try:
        url = expand(url_template)
    except ThiduaError as exc:
        return SendResult(ok=False, permanent=True, error=str(exc))
    if url.startswith(f"{OUTBOX_SCHEME}://") and context:
        url += ("&" if "?" in url else "?") + urlencode({k: v for k, v in context.items() if v})
    with quiet_apprise():
        sender = apprise.Apprise()
        if not sender.add(url):
            return SendResult(
                ok=False,
                permanent=True,
                error=f"Apprise không nhận địa chỉ {display(url_template)}",
            )
        ok = sender.notify(title=message.subject, body=message.text)
    if ok:
        return SendResult(ok=True)
    return SendResult(ok=False, error=f"gửi tới {display(url_template)} không thành công")
