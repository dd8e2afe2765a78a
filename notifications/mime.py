"""The one builder of a notice as an Internet message (RFC 5322 / MIME), for every channel
that delivers mail: the SMTP relay (`channels.email`) and the local outbox (`outbox`).

A notice goes out as what the unit should see: the plain text and the HTML as
alternatives of one message (neither derived from the other), and its files attached,
text files labelled `charset="utf-8"` so mail clients do not garble Vietnamese.

Every part is base64 (7-bit: a relay without 8BITMIME receives the message unchanged);
a header value holding CR, LF or NUL is refused, a last line of defence against header
injection after the contact checks.
"""

from __future__ import annotations

import base64
import email.policy
import mimetypes
import random
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from email.header import Header
from email.utils import encode_rfc2231, format_datetime, formataddr, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Any

from thidua.notifications.render import Message

from thidua.clock import now as clock_now

#: How `EncodedSubject` folds: CRLF line ends, as on the wire and in the .eml files.
_FOLD_POLICY = email.policy.SMTP

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


def address(addr: str, name: str | None = None) -> str:
    """A mailbox for an address header (a non-ASCII name as one encoded word, as Apprise
    writes it); ValueError for a value that could smuggle a header line in."""
    _check(addr)
    _check(name or "")
    return formataddr((name or None, addr), charset="utf-8")


def build(
    message: Message,
    *,
    sender: str,
    to: Sequence[str],
    cc: Sequence[str] = (),
    reply_to: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
    domain: str,
    now: datetime | None = None,
    files: Iterable[File] | None = None,
) -> bytes:
    """`message` as the bytes of one email (CRLF line ends, 7-bit transfer encodings).

    `sender`, `to`, `cc` and `reply_to` are mailboxes from `address`; `files` replaces
    reading `message.attachments` from disk. Raises ValueError when a header value
    holds a CR, LF or NUL, and OSError when an attached file cannot be read.

    Written out directly rather than through `email.message.EmailMessage`: its
    generator costs ~4 ms per notice (header parsing and refolding, a call per line of
    every base64 part), more than the SMTP transfer itself in a fan-out.
    """
    lines = [
        f"{key}: {_header_value(key, value)}"
        for key, value in (headers or {}).items()
        if key.lower() not in _OURS  # a second Subject or To would confuse every reader
    ]
    for key, value in (
        ("From", sender),
        ("To", ", ".join(to)),
        ("Cc", ", ".join(cc)),
        ("Reply-To", ", ".join(reply_to)),
    ):
        if value:
            _check(value)
            lines.append(f"{key}: {value}")
    head = "\r\n".join(lines).encode("ascii") + b"\r\n"
    head += _subject(message.subject)
    # The product's clock: a simulation's messages are dated on its virtual clock.
    when = format_datetime((now or clock_now()).astimezone())
    # An explicit domain: without one, make_msgid looks up this host's FQDN each time.
    head += (
        f"Date: {when}\r\nMessage-ID: {make_msgid(domain=domain)}\r\nMIME-Version: 1.0\r\n".encode()
    )
    body = _text_part("plain", message.text)
    if message.html:
        body = _multipart("alternative", [body, _text_part("html", message.html)])
    if files is None:
        files = read_files(message.attachments)
    attached = [_attachment(*item) for item in files]
    if attached:
        body = _multipart("mixed", [body, *attached])
    return head + body


def read_files(paths: Iterable[Any]) -> list[File]:
    """The attached files of a notice, each read once for as long as it is unchanged.

    A batch attaches the same outline and the same calendar (hard links to one file,
    `notifications.attachments`) to every unit's notice; reading them for every message
    was an open, a read and a close each. A file is known by its inode, size and
    modification time (a file written again is a new version), and only small files
    are kept. OSError when a file cannot be read.
    """
    out: list[File] = []
    for item in paths:
        path = Path(item)
        stat = path.stat()
        # Not the path: every unit's calendar is a hard link to one file (one inode).
        key = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
        content = _read.get(key)
        if content is None:
            content = path.read_bytes()
            if len(content) == stat.st_size and stat.st_size <= _KEEP_BYTES:
                with _read_lock:
                    if len(_read) >= _KEEP_FILES:
                        _read.pop(next(iter(_read)))  # the oldest
                    _read[key] = content
        out.append((path.name, content, None))
    return out


#: Files read for `read_files`, at most `_KEEP_FILES` of at most `_KEEP_BYTES` each.
_read: dict[tuple[object, ...], bytes] = {}
_read_lock = threading.Lock()
_KEEP_FILES = 32
_KEEP_BYTES = 2 * 1024 * 1024


@lru_cache(maxsize=64)
def _subject(subject: str) -> bytes:
    """The folded Subject line; kept a while: a batch sends one subject to many units,
    and encoding it (the stdlib measures each chunk both ways) costs ~1 ms."""
    return EncodedSubject(subject).fold(policy=_FOLD_POLICY).encode("ascii")


def _check(value: str) -> None:
    if _UNSAFE.search(value):
        # The value is not quoted: a custom header may carry a token.
        raise ValueError("giá trị tiêu đề thư chứa ký tự điều khiển (CR, LF hoặc NUL)")


def _header_value(name: str, value: str) -> str:
    _check(value)
    charset = "us-ascii" if value.isascii() else "utf-8"
    return Header(value, charset, header_name=name).encode(linesep="\r\n")


def _base64(content: bytes) -> bytes:
    return base64.encodebytes(content).replace(b"\n", b"\r\n")


def _text_part(subtype: str, text: str) -> bytes:
    # Line ends inside base64 stay as rendered ("\n"), as the stdlib and Apprise write them.
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + _base64(text.encode("utf-8"))


def _multipart(subtype: str, parts: list[bytes]) -> bytes:
    # Any boundary works: "=_" never occurs in base64 parts. Not uuid4: it reads the
    # kernel's random source, a system call (and a release of the GIL) per part.
    boundary = f"=_thidua_{random.getrandbits(128):032x}"
    out = [f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode()]
    for part in parts:
        out.append(f"--{boundary}\r\n".encode() + part + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


@lru_cache(maxsize=16)
def _attachment(name: str, content: bytes, mimetype: str | None) -> bytes:
    """One attached file as a MIME part; kept a while: a batch attaches the same outline
    to every unit's notice, and encoding it is most of a notice's cost."""
    mimetype = mimetype or mimetypes.guess_type(name)[0] or "application/octet-stream"
    charset = '; charset="utf-8"' if mimetype.startswith("text/") and _is_utf8(content) else ""
    if name.isascii() and _TOKEN_SAFE.fullmatch(name):
        disposition = f'attachment; filename="{name}"'
    else:  # RFC 2231: a Vietnamese file name, percent-encoded in UTF-8
        disposition = f"attachment; filename*={encode_rfc2231(name, 'utf-8')}"
    return (
        f"Content-Type: {mimetype}{charset}\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        f"Content-Disposition: {disposition}\r\n\r\n"
    ).encode() + _base64(content)


#: Control characters that would end a header line early (or truncate it).
_UNSAFE = re.compile(r"[\r\n\x00]")
#: File names that can be written as a quoted string as they are.
_TOKEN_SAFE = re.compile(r"[A-Za-z0-9 ._()+,-]+")


def _is_utf8(content: bytes) -> bool:
    """Whether a text attachment can be labelled UTF-8 (what the .ics calendar is)."""
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
