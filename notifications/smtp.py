"""SMTP sessions of the email channel: the shared TLS context, RFC 5321 timeouts per
phase, how far DATA got, a batch's pooled connections, and why a transfer failed.

This is our transport, written against `smtplib` only; the Apprise plugin
(`thidua.notifications.channels.email`) reads the relay from the contact URL and hands
each built message to `Session.transfer`.

Every SMTP phase waits as long as RFC 5321 §4.5.3.2 allows (greeting, MAIL and RCPT 5
minutes, DATA 2, each data block 3, the reply to the final "." 10), not Apprise's 15 s:
a slow relay that accepts the message after 17 s must not be told it failed and be sent
the message again. A timeout or a lost connection after the whole message went out is
*uncertain* (the relay may have accepted it): never retried automatically, only by
`thidua resend`. `before_data` lets the caller record, durably, that DATA is about to
start (and refuse it when its claim was taken over meanwhile).

The TLS context is built once per process (Apprise 1.13 builds one per message, loading
the whole CA store, ~30-40 ms of CPU); it verifies as Apprise's does (system CAs, or
SSL_CERT_FILE / SSL_CERT_DIR; no verification only for `verify=no` URLs).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
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

    def transmit(self, sender: str, recipients: Sequence[str], msg: bytes) -> dict[str, Any]:
        """smtplib's `sendmail` steps (same errors, same refusals returned), with
        `before_data` called once the envelope is accepted, right before DATA.

        Not earlier (say, while MAIL and RCPT are under way): a relay stalled before
        DATA has not got the message, so a crash there must leave the claim "pending"
        (sent again at once by the next run), not "sending" (uncertain, left to an
        operator's `thidua resend`). `tests/test_faults_kill.py` holds this.
        """
        smtp: smtplib.SMTP = self  # type: ignore[assignment]
        smtp.ehlo_or_helo_if_needed()
        options = [f"size={len(msg)}"] if smtp.does_esmtp and smtp.has_extn("size") else []
        code, reply = self.mail(sender, options)
        if code != 250:
            if code == 421:
                smtp.close()
            else:
                smtp.rset()
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        refused = {}
        for recipient in recipients:
            code, reply = self.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, reply)
            if code == 421:
                smtp.close()
                raise smtplib.SMTPRecipientsRefused(refused)
        if len(refused) == len(recipients):
            smtp.rset()
            raise smtplib.SMTPRecipientsRefused(refused)
        if self.before_data is not None and not self.before_data():
            raise ClaimLost
        code, reply = self._data(msg)
        if code != 250:
            if code == 421:
                smtp.close()
            else:
                smtp.rset()
            raise smtplib.SMTPDataError(code, reply)
        return refused

    def _data(self, msg: bytes) -> tuple[int, bytes]:
        """smtplib's DATA, with a timeout per step and a record of how far it got."""
        smtp: smtplib.SMTP = self  # type: ignore[assignment]
        self.data_started = True
        self._phase("data_init")
        smtp.putcmd("data")
        code, reply = smtp.getreply()
        if code != 354:
            return code, reply
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


logger = logging.getLogger("thidua.send")

#: The EHLO name; smtplib would resolve the host's FQDN (a DNS lookup) per connection.
_local_hostname: str | None = None


@dataclass(frozen=True)
class Relay:
    """Where and how to open an SMTP session: what a contact URL says about its relay."""

    host: str
    port: int | None
    user: str | None
    password: str | None = field(repr=False)
    #: "ssl" (implicit TLS), "starttls" or "insecure" (Apprise's SecureMailMode values)
    secure: str
    verify: bool
    #: Bounds the TCP connect and TLS handshake; the SMTP phases get the RFC's timeouts.
    connect_timeout: float = 15

    @property
    def key(self) -> tuple[object, ...]:
        """What a reusable session must match; the password only hashed (kept a while)."""
        secret = hashlib.sha256((self.password or "").encode()).hexdigest()
        return (self.host, self.port, self.user, self.secure, self.verify, secret)

    @property
    def name(self) -> str:
        return f"{self.host}:{self.port}" if self.port else self.host

    def connect(self) -> smtplib.SMTP:
        """A new logged-in session (TLS as the URL says, with the process's TLS context)."""
        global _local_hostname
        context = tls_context(verify=self.verify)
        smtp: _SMTP | _SMTPS
        if self.secure == "ssl":
            smtp = _SMTPS(
                local_hostname=_local_hostname, timeout=self.connect_timeout, context=context
            )
        else:
            smtp = _SMTP(local_hostname=_local_hostname, timeout=self.connect_timeout)
        smtp.timeouts = smtp_timeouts()
        # smtplib's private TLS server name, which its __init__ sets when given a host.
        setattr(smtp, "_host", self.host)  # noqa: B010
        try:
            smtp.connect(self.host, self.port or 0)
            _local_hostname = smtp.local_hostname
            if self.secure == "starttls":
                smtp.starttls(context=context)
            if self.user and self.password:
                smtp.login(self.user, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp


class SMTPPool:
    """Open SMTP connections of one batch: one per worker thread, reused for the
    thread's next message to the same relay, closed with QUIT when the batch ends.

    A connection is used by one thread at a time (smtplib is not thread-safe) and
    is dropped after any error, so a failure never leaks into the next message.
    """

    def __init__(self) -> None:
        self._idle: dict[int, tuple[tuple[object, ...], smtplib.SMTP]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def take(self, relay: Relay) -> smtplib.SMTP | None:
        """This thread's open connection to `relay`, if it has one (another relay's is closed)."""
        with self._lock:
            held = self._idle.pop(threading.get_ident(), None)
        if held is None:
            return None
        if held[0] == relay.key:
            return held[1]
        _quit(held[1])
        return None

    def give(self, relay: Relay, smtp: smtplib.SMTP) -> None:
        """Keep `smtp` for this thread's next message (closed at once if the batch is over)."""
        with self._lock:
            if not self._closed:
                self._idle[threading.get_ident()] = (relay.key, smtp)
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


# --- one transfer ------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """Why one email could not be sent: permanent (5xx, bad config) or worth a retry."""

    permanent: bool
    message: str
    #: The message may have been accepted (no reply after it was sent): do not resend.
    uncertain: bool = False


@dataclass(frozen=True)
class Transfer:
    """How one message went: `failure` None when the relay took it for the main recipient."""

    failure: Failure | None = None
    #: `before_data` refused: nothing was sent, the claim belongs to another sender now.
    claim_lost: bool = False


class Session:
    """A thread's use of one relay for the messages of one contact URL.

    Takes the thread's pooled connection when there is one (a batch), opens one
    when needed, and gives it back afterwards (or ends it with QUIT without a pool).
    """

    def __init__(self, relay: Relay, pool: SMTPPool | None, secrets: Iterable[str] = ()) -> None:
        self.relay = relay
        self._pool = pool
        self._secrets = [s for s in secrets if s]
        self._smtp = pool.take(relay) if pool is not None else None
        self._reused = self._smtp is not None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        if self._pool is not None:
            self._pool.give(self.relay, smtp)
        else:
            _quit(smtp)

    def transfer(
        self,
        sender: str,
        recipients: Sequence[str],
        data: bytes,
        *,
        main: str,
        before_data: Callable[[], bool] | None = None,
    ) -> Transfer:
        """Send `data` to `recipients`; a refusal of `main` fails it, of a copy only logs.

        A reused connection the server had dropped while idle is reopened and the
        message sent on the new one: the relay never saw it, so it cannot arrive twice.
        """
        while True:
            if self._smtp is None:
                try:
                    self._smtp, self._reused = self.relay.connect(), False
                except (OSError, smtplib.SMTPException) as exc:  # nothing was sent
                    return Transfer(self._failure(exc, main))
            smtp = self._smtp
            smtp.data_started = False  # type: ignore[attr-defined]
            smtp.body_sent = False  # type: ignore[attr-defined]
            smtp.before_data = before_data  # type: ignore[attr-defined]
            try:
                refused = smtp.transmit(sender, recipients, data)  # type: ignore[attr-defined]
            except ClaimLost:
                try:  # MAIL and RCPT went through: forget them, keep the connection
                    smtp.rset()
                except (OSError, smtplib.SMTPException):
                    self._drop()
                return Transfer(claim_lost=True)
            except (OSError, smtplib.SMTPException) as exc:
                if smtp.body_sent and not isinstance(  # type: ignore[attr-defined]
                    exc, smtplib.SMTPResponseException
                ):
                    # The message went out and no reply came: the relay may have it.
                    self._drop()
                    return Transfer(self._uncertain(exc, main))
                stale = _closing(exc)
                retry = self._reused and stale and not smtp.data_started  # type: ignore[attr-defined]
                if stale or not isinstance(exc, smtplib.SMTPException):
                    self._drop()
                else:  # the server is still talking: end the session politely
                    _quit(smtp)
                    self._smtp = None
                if retry:
                    continue
                return Transfer(self._failure(exc, main))
            except BaseException:  # the hook's store error: the session is mid-transaction
                self._drop()
                raise
            if main in refused:  # Cc/Bcc refusals alone do not fail the unit
                return Transfer(self._failure(smtplib.SMTPRecipientsRefused(refused), main))
            if refused:
                logger.warning("email copies refused: %s", ", ".join(refused))
            return Transfer()

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def _failure(self, exc: BaseException, recipient: str) -> Failure:
        failure = classify(exc, relay=self.relay.name, secrets=self._secrets)
        logger.warning("email to %s failed: %s", recipient, failure.message)
        return failure

    def _uncertain(self, exc: BaseException, recipient: str) -> Failure:
        reason = (
            "quá thời gian chờ"
            if isinstance(exc, TimeoutError) or "timed out" in str(exc)
            else "mất kết nối"
        )
        failure = Failure(
            False,
            f"đã gửi nội dung thư tới máy chủ thư {self.relay.name} nhưng không nhận được trả lời "
            f"({reason}); không rõ máy chủ đã nhận thư hay chưa",
            uncertain=True,
        )
        logger.warning("email to %s uncertain: %s", recipient, failure.message)
        return failure


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


# --- why a transfer failed -------------------------------------------------------------

#: Longest server reply text kept in an error; replies can be long multi-line banners.
REPLY_CHARS = 120


def _reply(code: int, text: bytes | str, secrets: Iterable[str]) -> str:
    """`code text` of a server reply on one short line, any secret masked."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = re.sub(r"\s+", " ", text).strip()
    for secret in secrets:
        if len(secret) >= 3:
            text = text.replace(secret, "***")
    if len(text) > REPLY_CHARS:
        text = text[: REPLY_CHARS - 1] + "…"
    return f"{code} {text}".strip()


def classify(exc: BaseException, *, relay: str, secrets: Iterable[str] = ()) -> Failure:
    """The failure an exception of smtplib / ssl / socket means, in Vietnamese with its code."""
    secrets = [s for s in secrets if s]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = {
            addr: (code, _reply(code, text, secrets))
            for addr, (code, text) in exc.recipients.items()
        }
        permanent = bool(codes) and all(code >= 500 for code, _ in codes.values())
        detail = "; ".join(f"{addr} ({reply})" for addr, (_, reply) in codes.items())
        if permanent:
            return Failure(True, f"máy chủ thư từ chối địa chỉ {detail}")
        return Failure(False, f"máy chủ thư tạm thời chưa nhận thư cho {detail}")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        reply = _reply(exc.smtp_code, exc.smtp_error, secrets)
        if exc.smtp_code >= 500:
            return Failure(
                True, f"máy chủ thư {relay} từ chối đăng nhập ({reply}): kiểm tra tài khoản gửi thư"
            )
        return Failure(False, f"máy chủ thư {relay} tạm thời không cho đăng nhập ({reply})")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        reply = _reply(exc.smtp_code, exc.smtp_error, secrets)
        what = f"địa chỉ gửi {exc.sender}"
        if exc.smtp_code >= 500:
            return Failure(True, f"máy chủ thư {relay} từ chối {what} ({reply})")
        return Failure(False, f"máy chủ thư {relay} tạm thời chưa nhận {what} ({reply})")
    if isinstance(exc, smtplib.SMTPDataError):
        reply = _reply(exc.smtp_code, exc.smtp_error, secrets)
        if exc.smtp_code >= 500:
            return Failure(True, f"máy chủ thư {relay} từ chối nội dung thư ({reply})")
        return Failure(False, f"máy chủ thư {relay} tạm thời chưa nhận nội dung thư ({reply})")
    if isinstance(exc, smtplib.SMTPResponseException):  # HELO, STARTTLS, connect replies
        reply = _reply(exc.smtp_code, exc.smtp_error, secrets)
        if exc.smtp_code >= 500:
            return Failure(True, f"máy chủ thư {relay} trả lời lỗi ({reply})")
        return Failure(False, f"máy chủ thư {relay} tạm thời trả lời lỗi ({reply})")
    if isinstance(exc, smtplib.SMTPNotSupportedError) or (
        isinstance(exc, smtplib.SMTPException) and "authentication method" in str(exc)
    ):
        return Failure(True, f"máy chủ thư {relay} không hỗ trợ cách kết nối đã cấu hình ({exc})")
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or exc.reason or "không xác minh được"
        return Failure(True, f"chứng chỉ TLS của máy chủ thư {relay} không hợp lệ ({reason})")
    if isinstance(exc, ssl.SSLError):
        return Failure(False, f"lỗi TLS với máy chủ thư {relay} ({exc.reason or exc})")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return Failure(False, f"máy chủ thư {relay} ngắt kết nối ({exc})")
    if isinstance(exc, TimeoutError | socket.timeout):
        return Failure(False, f"máy chủ thư {relay} không trả lời kịp (quá thời gian chờ)")
    if isinstance(exc, socket.gaierror):
        return Failure(False, f"không tìm thấy máy chủ thư {relay} ({exc.strerror})")
    if isinstance(exc, OSError):
        errno = f"lỗi {exc.errno}: " if exc.errno else ""
        return Failure(
            False, f"không kết nối được máy chủ thư {relay} ({errno}{exc.strerror or exc})"
        )
    return Failure(False, f"lỗi khi gửi thư qua {relay} ({type(exc).__name__})")
