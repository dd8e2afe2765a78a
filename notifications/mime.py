"""The one builder of a notice as an Internet message (RFC 5322 / MIME), for every channel
that delivers mail: the SMTP relay (`channels.email`) and the local outbox (`outbox`).

A notice goes out as what the unit should see: the plain text and the HTML as
alternatives of one message (neither derived from the other), and its files attached,
text files labelled `charset="utf-8"` so mail clients do not garble Vietnamese.

The policy is the standard one (header values with CR or LF are refused, a last line
of defence against header injection); for a relay with 7-bit transfer encodings, so a
relay without 8BITMIME receives the message unchanged.
"""

from __future__ import annotations

import email.policy
import mimetypes
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from thidua.notifications.render import Message

#: For a relay: the standard policy, CRLF line ends, and only 7-bit transfer encodings.
SMTP_POLICY = email.policy.SMTP.clone(cte_type="7bit")
#: For a file (.eml): the standard policy, 8-bit text left readable.
FILE_POLICY = email.policy.default

#: One attached file: its name, its content and its MIME type (None: guessed from the name).
File = tuple[str, bytes, str | None]


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


_OURS = {"subject", "from", "to", "cc", "bcc", "reply-to", "date", "message-id", "mime-version"}
_OURS |= {"content-type", "content-transfer-encoding"}


def address(addr: str, name: str | None = None) -> Address:
    """A mailbox for a header; raises ValueError for what is not one address."""
    return Address(display_name=name or "", addr_spec=addr)


def build(
    message: Message,
    *,
    sender: Address,
    to: Sequence[Address],
    cc: Sequence[Address] = (),
    reply_to: Sequence[Address] = (),
    headers: Mapping[str, str] | None = None,
    domain: str,
    now: datetime | None = None,
    files: Iterable[File] | None = None,
    policy: email.policy.Policy = SMTP_POLICY,
) -> EmailMessage:
    """`message` as one email; `files` replaces reading `message.attachments` from disk.

    Raises ValueError when a header value is not allowed (a CR or LF in it) and OSError
    when an attached file cannot be read.
    """
    mail = EmailMessage(policy=policy)
    for key, value in (headers or {}).items():
        if key.lower() not in _OURS:  # a second Subject or To would confuse every reader
            mail[key] = value
    mail["Subject"] = EncodedSubject(message.subject)
    mail["From"] = sender
    mail["To"] = list(to)
    if cc:
        mail["Cc"] = list(cc)
    if reply_to:
        mail["Reply-To"] = list(reply_to)
    mail["Date"] = format_datetime(now or datetime.now().astimezone())
    # An explicit domain: without one, make_msgid looks up this host's FQDN each time.
    mail["Message-ID"] = make_msgid(domain=domain)
    mail.set_content(message.text, charset="utf-8")
    if message.html:
        mail.add_alternative(message.html, subtype="html", charset="utf-8")
    if files is None:
        files = ((p.name, Path(p).read_bytes(), None) for p in message.attachments)
    for name, content, mimetype in files:
        mimetype = mimetype or mimetypes.guess_type(name)[0] or "application/octet-stream"
        maintype, _, subtype = mimetype.partition("/")
        text = maintype == "text" and _is_utf8(content)
        mail.add_attachment(
            content,
            maintype=maintype,
            subtype=subtype,
            filename=name,
            params={"charset": "utf-8"} if text else None,
        )
    return mail


def _is_utf8(content: bytes) -> bool:
    """Whether a text attachment can be labelled UTF-8 (what the .ics calendar is)."""
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
