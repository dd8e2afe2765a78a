"""The local outbox: every message kept in the state store and as an .eml file.

It is the embedded default channel (`outbox://<mailbox>`, see
`thidua.notifications.channels.outbox`), so the main job needs no mail server, and an
admin can read exactly what each unit received (open the .eml in any mail client).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

from thidua.notifications import mime
from thidua.notifications.render import Message

from thidua.config import get_settings
from thidua.store import outbox_rows
from thidua.store.db import session_scope

SCHEME = "outbox"
MAILBOX = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def write_outbox(
    mailbox: str,
    message: Message,
    *,
    unit_code: str | None = None,
    campaign_code: str | None = None,
    action_key: str | None = None,
    now: datetime | None = None,
    files: list[mime.File] | None = None,
) -> Path:
    """Store one message for `mailbox` (an .eml file and a store row); return the file.

    `files` (name, content, MIME type) replace reading `message.attachments` from disk.
    """
    if not MAILBOX.match(mailbox):
        raise ValueError(f"hộp thư outbox không hợp lệ: “{mailbox}”")
    sent = now or datetime.now(UTC)
    headers = {
        name: value
        for name, value in (
            ("X-Thidua-Unit", unit_code),
            ("X-Thidua-Campaign", campaign_code),
            ("X-Thidua-Action", action_key),
        )
        if value
    }
    data = mime.build(
        message,
        sender=mime.address("thidua@outbox.local", "thidua"),
        to=[mime.address(f"{mailbox}@outbox.local")],
        headers=headers,
        domain="outbox.local",
        now=sent,
        files=files,
    )
    folder = get_settings().outbox_dir / mailbox
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sent:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(data)
    with session_scope() as session:
        outbox_rows.add_outbox_message(
            session,
            mailbox=mailbox,
            subject=message.subject,
            body_text=message.text,
            body_html=message.html,
            unit_code=unit_code,
            campaign_code=campaign_code,
            action_key=action_key,
            eml_path=str(path),
        )
    return path
