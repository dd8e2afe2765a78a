"""The `outbox://<mailbox>` channel: every message kept in the state store and as .eml.

It is the embedded default, so the main job needs no mail server, and an admin can
read exactly what each unit received (open the .eml in any mail client). It is a
real Apprise scheme: `apprise.Apprise().add("outbox://sngv")` works once this module
is imported, so every channel goes through the same sending code. Attachments come
through Apprise like any plugin's; the HTML part, which Apprise's notify() cannot
carry next to the text, waits in this process under a token named in the URL.
"""

from __future__ import annotations

import mimetypes
import re
import threading
import uuid
from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from apprise import AppriseAttachment
from apprise.decorators import notify

from thidua.config import get_settings
from thidua.store import outbox_rows
from thidua.store.db import session_scope

SCHEME = "outbox"
_MAILBOX = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_pending_html: dict[str, str] = {}
_pending_lock = threading.Lock()


def stash_html(html: str) -> str:
    """Keep `html` for the next outbox delivery; return the token its URL carries."""
    token = uuid.uuid4().hex
    with _pending_lock:
        _pending_html[token] = html
    return token


def drop_html(token: str) -> str | None:
    """Take back the HTML kept under `token` (None when already taken or unknown)."""
    with _pending_lock:
        return _pending_html.pop(token, None)


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
    attachments: list[tuple[str, bytes, str | None]] | list[Path] | None = None,
) -> Path:
    """Store one message for `mailbox` (an .eml file and a store row); return the file.

    `attachments` are files, or (filename, content, MIME type) triples.
    """
    if not _MAILBOX.match(mailbox):
        raise ValueError(f"hộp thư outbox không hợp lệ: “{mailbox}”")
    sent = now or datetime.now(UTC)
    msg = EmailMessage()
    msg["From"] = "thidua <thidua@outbox.local>"
    msg["To"] = f"{mailbox}@outbox.local"
    msg["Subject"] = EncodedSubject(subject)
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
    for item in attachments or []:
        if isinstance(item, Path):
            name, content, mimetype = item.name, item.read_bytes(), None
        else:
            name, content, mimetype = item
        mimetype = mimetype or mimetypes.guess_type(name)[0] or "application/octet-stream"
        maintype, _, subtype = mimetype.partition("/")
        msg.add_attachment(
            content,
            maintype=maintype,
            subtype=subtype,
            filename=name,
            params={"charset": "utf-8"} if maintype == "text" and _is_utf8(content) else None,
        )
    folder = get_settings().outbox_dir / mailbox
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sent:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(msg.as_bytes())
    with session_scope() as session:
        outbox_rows.add_outbox_message(
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


class EncodedSubject(str):
    """A Subject header that folds into RFC 2047 encoded words without losing a space.

    Python 3.11's `email.policy.default` folding drops the space between two encoded
    words at some fold points (“nộp hồ sơđề nghị”). `email.header.Header` encodes the
    whole text, spaces included, inside the encoded words, so every decoder gets the
    exact subject back. The policy uses an object with a `name` and `fold()` as is.
    """

    name = "Subject"

    def fold(self, *, policy: Any) -> str:
        if self.isascii() and self.isprintable() and len(self) + len(self.name) + 2 <= 78:
            return f"{self.name}: {self}{policy.linesep}"  # one short line, nothing to fold
        value = Header(str(self), "utf-8", header_name=self.name).encode(linesep=policy.linesep)
        return f"{self.name}: {value}{policy.linesep}"


def _is_utf8(content: bytes) -> bool:
    """Whether a text attachment can be labelled UTF-8 (what the .ics calendar is)."""
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@notify(on=SCHEME, name="Hộp thư cục bộ thidua")
def _outbox_plugin(
    body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any
) -> bool:
    """Apprise entry point: context (unit, campaign, action) travels as URL arguments."""
    qsd = meta.get("qsd") or {}
    attach: AppriseAttachment | None = kwargs.get("attach")
    files = []
    for item in attach or []:
        if not item:  # Apprise could not read it: fail like any channel would
            return False
        files.append((item.name or "tep-dinh-kem", Path(item.path).read_bytes(), item.mimetype))
    write_outbox(
        meta.get("host") or "",
        title,
        body,
        html=drop_html(qsd["html"]) if qsd.get("html") else None,
        unit_code=qsd.get("unit"),
        campaign_code=qsd.get("campaign"),
        action_key=qsd.get("action"),
        attachments=files,
    )
    return True
