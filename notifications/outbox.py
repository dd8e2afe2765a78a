"""The `outbox://<mailbox>` channel: every message kept in the state store and as .eml.

It is the embedded default, so the main job needs no mail server, and an admin can
read exactly what each unit received (open the .eml in any mail client). It is a
real Apprise scheme: `apprise.Apprise().add("outbox://sngv")` works once this module
is imported, so every channel goes through the same sending code.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from apprise.decorators import notify

from thidua import crud
from thidua.config import get_settings
from thidua.db import session_scope

SCHEME = "outbox"
_MAILBOX = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def write_outbox(
    mailbox: str,
    subject: str,
    text: str,
    *,
    html: str | None = None,
    unit_code: str | None = None,
    campaign_code: str | None = None,
    action_key: str | None = None,
    now: datetime | None = None,
) -> Path:
    """Store one message for `mailbox` (an .eml file and a store row); return the file."""
    if not _MAILBOX.match(mailbox):
        raise ValueError(f"hộp thư outbox không hợp lệ: “{mailbox}”")
    sent = now or datetime.now(UTC)
    msg = EmailMessage()
    msg["From"] = "thidua <thidua@outbox.local>"
    msg["To"] = f"{mailbox}@outbox.local"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = make_msgid(domain="outbox.local")
    for header, value in (
        ("X-Thidua-Unit", unit_code),
        ("X-Thidua-Campaign", campaign_code),
        ("X-Thidua-Action", action_key),
    ):
        if value:
            msg[header] = value
    msg.set_content(text, charset="utf-8")
    if html:
        msg.add_alternative(html, subtype="html", charset="utf-8")
    folder = get_settings().outbox_dir / mailbox
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sent:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(msg.as_bytes())
    with session_scope() as session:
        crud.add_outbox_message(
            session,
            mailbox=mailbox,
            subject=subject,
            body_text=text,
            body_html=html,
            unit_code=unit_code,
            campaign_code=campaign_code,
            action_key=action_key,
            eml_path=str(path),
        )
    return path


@notify(on=SCHEME, name="Hộp thư cục bộ thidua")
def _outbox_plugin(
    body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any
) -> bool:
    """Apprise entry point: context (unit, campaign, action) travels as URL arguments."""
    qsd = meta.get("qsd") or {}
    write_outbox(
        meta.get("host") or "",
        title,
        body,
        unit_code=qsd.get("unit"),
        campaign_code=qsd.get("campaign"),
        action_key=qsd.get("action"),
    )
    return True
