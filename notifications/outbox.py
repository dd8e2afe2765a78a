"""The local outbox: every message kept in the state store and as an .eml file.

It is the embedded default channel (`outbox://<mailbox>`, see
`thidua.notifications.channels.outbox`), so the main job needs no mail server, and an
admin can read exactly what each unit received (open the .eml in any mail client).
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from thidua.notifications import mime
from thidua.notifications.render import Message

from thidua.config import get_settings
from thidua.delivery.recorder import Recorder, current, depend
from thidua.store.models import OutboxMessage, utcnow

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
    The row is committed when this returns (the delivery's "sent" may then be recorded),
    in a group commit with the rows of the other sender threads (`_rows`). On a sender
    thread of a delivery batch it is queued on the batch's recorder instead, and the
    batch records the delivery's finish after it, "sent" only if the row committed:
    one group commit fewer to wait for per message.
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
    settings = get_settings()
    folder = settings.outbox_dir / mailbox
    path = folder / f"{sent:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
    try:  # the mailbox's folder is made when its first message finds it missing
        path.write_bytes(data)
    except FileNotFoundError:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    state_url = settings.state_url

    def add_row(session: Any) -> None:
        _add_row(
            session,
            state_url,
            mailbox=mailbox,
            subject=message.subject,
            body_text=message.text,
            body_html=message.html,
            unit_code=unit_code,
            campaign_code=campaign_code,
            action_key=action_key,
            eml_path=str(path),
        )

    batch = current()
    if batch is not None:
        # A delivery batch's sender: the row is queued, and the batch commits the
        # delivery's finish after it, as a failure if the row failed (`depend`).
        depend(batch.submit(add_row))
    else:
        _rows().write(add_row)
    return path


def _add_row(session: Any, state_url: str, **row: Any) -> None:
    """Add the outbox row, in the store the writer saw (settings change only between runs).

    One Core INSERT (the row `outbox_rows.add_outbox_message` makes, without the ORM's
    unit of work): it runs on the batch's writing thread, which every sender waits for.
    """
    if get_settings().state_url != state_url:
        raise RuntimeError("the state store changed while an outbox row waited for its commit")
    session.connection().execute(
        _INSERT, {**row, "body_html": row.get("body_html"), "created_at": utcnow()}
    )


_INSERT = insert(OutboxMessage.__table__)  # type: ignore[attr-defined]


_lock = threading.Lock()
_writer: tuple[int, Recorder] | None = None


def _rows() -> Recorder:
    """The process's writer of outbox rows: one thread, several rows to a commit.

    Each sender thread used to commit its own row (one flush to disk a message, and
    the threads queued on SQLite's write lock); the writer commits the rows queued
    meanwhile together and each caller still waits until its own row is committed.
    One per process (made again in a forked child, whose copy has no thread).
    """
    global _writer
    with _lock:
        if _writer is None or _writer[0] != os.getpid():
            _writer = (os.getpid(), Recorder())
        return _writer[1]
