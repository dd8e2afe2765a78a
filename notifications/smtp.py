"""SMTP sessions of the email channel: the shared TLS context, RFC 5321 timeouts per
phase, how far DATA got, and a batch's pooled connections.

Split from `thidua.notifications.send` (which builds and classifies the messages) so each
module keeps one job.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from thidua.config import get_settings

_contexts: dict[tuple[bool, str | None, str | None], ssl.SSLContext] = {}
_contexts_lock = threading.Lock()


def tls_context(*, verify: bool = True) -> ssl.SSLContext:
    """The process's client TLS context; never mutated once built, so threads share it."""
    key = (verify, os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    with _contexts_lock:
        context = _contexts.get(key)
        if context is None:
            context = ssl.create_default_context()
            if not verify:  # only when the URL itself says verify=no, as in Apprise
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            _contexts[key] = context
        return context


# --- SMTP connections ---------------------------------------------------------------


#: RFC 5321 §4.5.3.2 minimum client timeouts, in seconds, per SMTP phase.
RFC5321_TIMEOUTS: dict[str, float] = {
    "greeting": 300,  # initial 220 (also EHLO, STARTTLS, AUTH: the RFC names no other)
    "mail": 300,  # MAIL FROM reply
    "rcpt": 300,  # RCPT TO reply
    "data_init": 120,  # 354 reply to DATA
    "data_block": 180,  # each TCP send of the message
    "data_end": 600,  # reply to the final "."
}


def smtp_timeouts() -> dict[str, float]:
    """The RFC 5321 timeouts scaled by `Settings.smtp_timeout_percent` (100 in production)."""
    scale = get_settings().smtp_timeout_percent / 100
    return {phase: seconds * scale for phase, seconds in RFC5321_TIMEOUTS.items()}


class ClaimLost(Exception):
    """`before_data` said not to send: the delivery's claim was taken over meanwhile."""


class _Tracked:
    """smtplib with RFC 5321 timeouts per phase and a record of how far DATA got.

    `data_started`: DATA was sent, so a broken reused connection is retried only when
    the server cannot have received the message. `body_sent`: the whole message and
    its final "." went out, so a missing reply makes the outcome uncertain.
    """

    data_started = False
    body_sent = False
    timeouts: dict[str, float] = RFC5321_TIMEOUTS
    #: Called once right before DATA; returns False to refuse sending (claim lost).
    before_data: Callable[[], bool] | None = None

    def _phase(self, name: str) -> None:
        sock = getattr(self, "sock", None)
        if sock is not None:
            sock.settimeout(self.timeouts[name])

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        # `timeout` (Apprise's connect timeout) bounds the TCP connect (and TLS
        # handshake); the greeting and what follows get the RFC's patience.
        sock: socket.socket = super()._get_socket(host, port, timeout)  # type: ignore[misc]
        sock.settimeout(self.timeouts["greeting"])
        return sock

    def mail(self, sender: str, options: Any = ()) -> tuple[int, bytes]:
        self._phase("mail")
        return super().mail(sender, options)  # type: ignore[misc]

    def rcpt(self, recip: str, options: Any = ()) -> tuple[int, bytes]:
        self._phase("rcpt")
        return super().rcpt(recip, options)  # type: ignore[misc]

    def data(self, msg: Any) -> tuple[int, bytes]:
        """smtplib's DATA, with a timeout per step and `before_data` called first."""
        if self.before_data is not None and not self.before_data():
            raise ClaimLost
        smtp: smtplib.SMTP = self  # type: ignore[assignment]
        self.data_started = True
        self._phase("data_init")
        smtp.putcmd("data")
        code, reply = smtp.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        if isinstance(msg, str):
            msg = smtplib._fix_eols(msg).encode("ascii")  # type: ignore[attr-defined]
        quoted = smtplib._quote_periods(msg)  # type: ignore[attr-defined]
        if quoted[-2:] != smtplib.bCRLF:
            quoted += smtplib.bCRLF
        quoted += b"." + smtplib.bCRLF
        self._phase("data_block")
        smtp.send(quoted)
        self.body_sent = True
        self._phase("data_end")
        return smtp.getreply()


class _SMTP(_Tracked, smtplib.SMTP):
    pass


class _SMTPS(_Tracked, smtplib.SMTP_SSL):
    pass


Relay = tuple[str, int, str | None, str | None, bool, str]


class SMTPPool:
    """Open SMTP connections of one batch: one per worker thread, reused for the
    thread's next message to the same relay, closed with QUIT when the batch ends.

    A connection is used by one thread at a time (smtplib is not thread-safe) and
    is dropped after any error, so a failure never leaks into the next message.
    """

    def __init__(self) -> None:
        self._idle: dict[int, tuple[Relay, smtplib.SMTP]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def take(self, relay: Relay) -> smtplib.SMTP | None:
        """This thread's open connection to `relay`, if it has one (another relay's is closed)."""
        with self._lock:
            held = self._idle.pop(threading.get_ident(), None)
        if held is None:
            return None
        if held[0] == relay:
            return held[1]
        _quit(held[1])
        return None

    def give(self, relay: Relay, smtp: smtplib.SMTP) -> None:
        """Keep `smtp` for this thread's next message (closed at once if the batch is over)."""
        with self._lock:
            if not self._closed:
                self._idle[threading.get_ident()] = (relay, smtp)
                return
        _quit(smtp)

    def close(self) -> None:
        """QUIT every idle connection; call once the worker threads are done."""
        with self._lock:
            self._closed = True
            held, self._idle = list(self._idle.values()), {}
        for _, smtp in held:
            _quit(smtp)

    def __enter__(self) -> SMTPPool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _quit(smtp: smtplib.SMTP) -> None:
    """End a session politely; a dead connection is just closed."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _closing(exc: BaseException) -> bool:
    """Whether `exc` says the server dropped or is closing the connection (421)."""
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(code == 421 for code, _ in exc.recipients.values())
    return False
