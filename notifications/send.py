"""Send one rendered message to one contact URL through Apprise, and say how it went.

Apprise 1.x answers one bool for all the URLs of a notify() call, so the caller
sends per contact to know which unit failed. Secrets are expanded from the
environment only here, at the last moment, and never appear in a result.

Email goes through `SharedTLSEmail`, Apprise's own email plugin (URL parsing, MIME
building, attachments) with three changes:

- the TLS context is built once per process instead of once per message. Apprise
  1.13 calls `ssl.create_default_context()` in every `send()`, which loads the
  whole CA store (~30-40 ms of CPU); the shared context verifies exactly as
  Apprise's does (system CAs, or SSL_CERT_FILE / SSL_CERT_DIR; no verification
  only for `verify=no` URLs);
- inside a batch (`SMTPPool`), a worker thread keeps its SMTP connection open for
  the next message to the same relay, instead of a TCP + TLS handshake, EHLO and
  AUTH per message;
- it records why a send failed (`failure`): the SMTP reply code and text, or the
  connection / TLS error, classified permanent (5xx) or transient (4xx, network),
  because Apprise's bool cannot tell a bad address from a busy server.

Every SMTP phase waits as long as RFC 5321 §4.5.3.2 allows (greeting, MAIL and RCPT 5
minutes, DATA 2, each data block 3, the reply to the final "." 10), not Apprise's 15 s:
a slow relay that accepts the message after 17 s must not be told it failed and be sent
the message again. A timeout or a lost connection after the whole message went out is
*uncertain* (the relay may have accepted it): never retried automatically, only by
`thidua resend`. `before_data` lets the caller record, durably, that DATA is about to
start (and refuse it when its claim was taken over meanwhile).

Text attachments (.md outline, .ics calendar) are labelled `charset="utf-8"`,
which Apprise leaves out, so mail clients do not garble Vietnamese.

The Subject is left to Apprise: it sets `email.header.Header(subject, "utf-8")` on a
compat32 message, whose encoded words carry the spaces inside them, so the subject
decodes exactly as rendered (Python 3.11's `email.policy.default` folding would drop
the space between two encoded words; see `outbox.EncodedSubject`).
`tests/test_notice_lint.py` sends every subject of every shipped campaign through a
real SMTP server and decodes it.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

import apprise
from apprise.manager_plugins import NotificationManager
from apprise.plugins import url_to_dict
from apprise.plugins.email.base import NotifyEmail
from apprise.plugins.email.common import AppriseEmailException, SecureMailMode
from thidua.notifications import outbox
from thidua.notifications.render import Message
from thidua.notifications.smtp import (
    _SMTP,
    _SMTPS,
    ClaimLost,
    Relay,
    SMTPPool,
    _closing,
    _quit,
    smtp_timeouts,
    tls_context,
)

from thidua.errors import ThiduaError
from thidua.registry.contacts import OUTBOX_SCHEME, display, expand, quiet_apprise

logger = logging.getLogger("thidua.send")

#: Longest server reply text kept in an error; replies can be long multi-line banners.
REPLY_CHARS = 120


@dataclass(frozen=True)
class SendResult:
    """The outcome of one delivery attempt; `error` never contains a secret."""

    ok: bool
    permanent: bool = False
    error: str | None = None
    #: The message went out but its fate is unknown (no reply to the final "."): never
    #: sent again automatically.
    uncertain: bool = False
    #: Not sent because `before_data` refused it: another sender holds the claim now.
    claim_lost: bool = False


#: The EHLO name; smtplib would resolve the host's FQDN (a DNS lookup) per connection.
_local_hostname: str | None = None


# --- why a send failed ----------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """Why one email could not be sent: permanent (5xx, bad config) or worth a retry."""

    permanent: bool
    message: str
    #: The message may have been accepted (no reply after it was sent): do not resend.
    uncertain: bool = False


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
    if isinstance(exc, AppriseEmailException):
        return Failure(False, "không đọc được tệp đính kèm của thư")
    return Failure(False, f"lỗi khi gửi thư qua {relay} ({type(exc).__name__})")


# --- text attachments -------------------------------------------------------------------


class _Utf8Text:
    """An Apprise attachment whose text MIME type names its charset.

    Apprise builds every attachment as `MIMEApplication` and sets only the bare
    type ("text/markdown"); without a charset, clients guess (often Latin-1) and
    garble Vietnamese. The type it sets is taken verbatim, so adding the parameter
    here gives `text/markdown; charset="utf-8"`. Everything else is the original's.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __bool__(self) -> bool:
        return bool(self._inner)

    def __len__(self) -> int:
        return len(self._inner)

    @property
    def mimetype(self) -> str:
        base = str(self._inner.mimetype)
        if base.startswith("text/") and _is_utf8(self._inner):
            return f'{base}; charset="utf-8"'
        return base


def _is_utf8(attachment: Any) -> bool:
    try:
        with attachment.open() as handle:
            handle.read().decode("utf-8")
    except (OSError, UnicodeDecodeError, TypeError, ValueError):
        return False
    return True


def _text_with_charset(attach: Any) -> list[Any] | None:
    return [_Utf8Text(item) if item else item for item in attach] if attach else None


# --- the email plugin ---------------------------------------------------------------------


class SharedTLSEmail(NotifyEmail):
    """Apprise's email plugin with a shared TLS context, pooled connections and failure reasons."""

    #: The batch's connections; None sends on a connection of its own (alerts, one-offs).
    pool: SMTPPool | None = None
    #: Why the last send() failed; None after a success.
    failure: Failure | None = None
    #: See `_Tracked.before_data`; set by `send`.
    before_data: Callable[[], bool] | None = None
    #: Whether `before_data` refused the last send.
    claim_lost: bool = False

    def _relay(self) -> Relay:
        # The password is part of the key (hashed: the key may be kept in memory a while).
        secret = hashlib.sha256((self.password or "").encode()).hexdigest()
        return (
            self.smtp_host,
            self.port or 0,  # the relay's default port, as in _connect
            self.user,
            self.secure_mode,
            self.verify_certificate,
            secret,
        )

    def _relay_name(self) -> str:
        return f"{self.smtp_host}:{self.port}" if self.port else str(self.smtp_host)

    def _connect(self) -> smtplib.SMTP:
        """A logged-in session with the relay, as Apprise would open it (shared TLS context)."""
        global _local_hostname
        context = tls_context(verify=self.verify_certificate)
        timeout = self.socket_connect_timeout
        smtp: _SMTP | _SMTPS
        if self.secure_mode == SecureMailMode.SSL:
            smtp = _SMTPS(local_hostname=_local_hostname, timeout=timeout, context=context)
        else:
            smtp = _SMTP(local_hostname=_local_hostname, timeout=timeout)
        smtp.timeouts = smtp_timeouts()
        smtp._host = self.smtp_host  # type: ignore[union-attr]  # smtplib's private TLS server name, set as its __init__ does
        try:
            smtp.connect(self.smtp_host, self.port or 0)
        except BaseException:
            smtp.close()
            raise
        _local_hostname = smtp.local_hostname
        try:
            if self.secure_mode == SecureMailMode.STARTTLS:
                smtp.starttls(context=context)
            if self.user and self.password:
                smtp.login(self.user, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _fail(self, exc: BaseException, recipient: str) -> None:
        failure = classify(exc, relay=self._relay_name(), secrets=[self.password or ""])
        logger.warning("email to %s failed: %s", recipient, failure.message)
        # Several recipients in one URL: the channel is permanent only if every failure is.
        if self.failure is not None and not self.failure.permanent:
            return
        self.failure = failure

    def _uncertain(self, exc: BaseException, recipient: str) -> None:
        relay = self._relay_name()
        reason = (
            "quá thời gian chờ"
            if isinstance(exc, TimeoutError) or "timed out" in str(exc)
            else "mất kết nối"
        )
        failure = Failure(
            False,
            f"đã gửi nội dung thư tới máy chủ thư {relay} nhưng không nhận được trả lời "
            f"({reason}); không rõ máy chủ đã nhận thư hay chưa",
            uncertain=True,
        )
        logger.warning("email to %s uncertain: %s", recipient, failure.message)
        if self.failure is None or self.failure.permanent:
            self.failure = failure

    def _transmit(
        self, message: Any, smtp: smtplib.SMTP | None, reused: bool
    ) -> smtplib.SMTP | None:
        """Send one prepared email; the connection to keep for the next, None after a failure.

        Raises what connecting or logging in raised (nothing was sent then).
        """
        while True:
            if smtp is None:
                smtp, reused = self._connect(), False
            smtp.data_started = False  # type: ignore[attr-defined]
            smtp.body_sent = False  # type: ignore[attr-defined]
            smtp.before_data = self.before_data  # type: ignore[attr-defined]
            try:
                refused = smtp.sendmail(str(self.from_addr[1]), message.to_addrs, message.body)
            except ClaimLost:
                self.claim_lost = True
                try:  # MAIL and RCPT went through: forget them, keep the connection
                    smtp.rset()
                except (OSError, smtplib.SMTPException):
                    smtp.close()
                    return None
                return smtp
            except (OSError, smtplib.SMTPException) as exc:
                if smtp.body_sent and not isinstance(  # type: ignore[attr-defined]
                    exc, smtplib.SMTPResponseException
                ):
                    # The message went out and no reply came: the relay may have it.
                    smtp.close()
                    self._uncertain(exc, message.recipient)
                    return None
                stale = _closing(exc)
                if stale or not isinstance(exc, smtplib.SMTPException):
                    smtp.close()
                else:  # the server is still talking: end the session politely
                    _quit(smtp)
                # An idle connection the server had dropped: it never saw this message,
                # so sending it on a fresh connection cannot deliver it twice.
                if reused and stale and not smtp.data_started:  # type: ignore[attr-defined]
                    smtp = None
                    continue
                self._fail(exc, message.recipient)
                return None
            if message.recipient in refused:  # Cc/Bcc refusals alone do not fail the unit
                self._fail(smtplib.SMTPRecipientsRefused(refused), message.recipient)
            elif refused:
                logger.warning("email copies refused: %s", ", ".join(refused))
            return smtp

    def send(
        self,
        body: str,
        title: str = "",
        notify_type: Any = None,
        attach: Any = None,
        **kwargs: Any,
    ) -> bool:
        """Same protocol steps as NotifyEmail.send, recording why a message failed."""
        self.failure = None
        self.claim_lost = False
        if not self.targets:
            self.failure = Failure(True, "địa chỉ liên hệ không có người nhận thư")
            return False
        self.throttle()
        headers = {"X-Application": self.app_id, **self.headers}
        try:
            messages = list(
                NotifyEmail.prepare_emails(
                    subject=title,
                    body=body,
                    notify_format=self.notify_format,
                    from_addr=self.from_addr,
                    to=self.targets,
                    cc=self.cc,
                    bcc=self.bcc,
                    reply_to=self.reply_to,
                    smtp_host=self.smtp_host,
                    attach=_text_with_charset(attach),
                    headers=headers,
                    names=self.names,
                    pgp=self.pgp,
                    pgp_mode=self.pgp_mode,
                    inline=self.inline,
                    tzinfo=self.tzinfo,
                )
            )
        except (AppriseEmailException, OSError, RuntimeError) as exc:
            self._fail(exc, ", ".join(str(t[1]) for t in self.targets))
            self.pgp.prune()
            return False
        relay = self._relay()
        smtp = self.pool.take(relay) if self.pool is not None else None
        reused = smtp is not None
        for message in messages:
            if self.claim_lost:
                break
            try:
                smtp = self._transmit(message, smtp, reused)
            except (OSError, smtplib.SMTPException) as exc:  # could not connect or log in
                self._fail(exc, message.recipient)
                smtp = None
                break
            reused = smtp is not None
        if smtp is not None:
            if self.pool is not None:
                self.pool.give(relay, smtp)
            else:
                _quit(smtp)
        self.pgp.prune()
        return self.failure is None and not self.claim_lost


# --- one message to one contact -------------------------------------------------------------


def channel_id(index: int, url: str) -> str:
    """A stable, secret-free name of a unit's contact: its position and scheme."""
    return f"{index}:{url.split('://', 1)[0].lower()}"


def _plugin(url: str, pool: SMTPPool | None) -> Any:
    """The Apprise plugin for `url`; email schemes get `SharedTLSEmail`; None if invalid."""
    results = url_to_dict(url, secure_logging=True)
    if results is None:
        return None
    plugins = NotificationManager()
    if results["schema"] in plugins and plugins[results["schema"]] is NotifyEmail:
        try:
            plugin = SharedTLSEmail(**results)
        except Exception:  # Apprise plugins raise TypeError on bad arguments; that is a "no"
            return None
        plugin.pool = pool
        return plugin
    return apprise.Apprise.instantiate(results)


def _attachment(paths: Iterable[os.PathLike[str] | str]) -> apprise.AppriseAttachment | None:
    files = [str(path) for path in paths]
    return apprise.AppriseAttachment([*files]) if files else None


def _once(hook: Callable[[], bool] | None) -> Callable[[], bool] | None:
    """`hook` called at most once (a URL with several recipients sends several messages)."""
    if hook is None:
        return None
    answer: list[bool] = []

    def call() -> bool:
        if not answer:
            answer.append(hook())
        return answer[0]

    return call


class SecretUnavailable(ThiduaError):
    """A Prefect Secret block named by a contact could not be read."""

    def __init__(self, name: str, reason: str, *, permanent: bool) -> None:
        self.permanent = permanent
        super().__init__(f"không đọc được Secret block “{name}” của Prefect: {reason}")


@functools.lru_cache(maxsize=64)
def read_secret_block(name: str) -> str:
    """The value of the Prefect Secret block `name`, read once per process (a flow run)."""
    from prefect.blocks.system import Secret

    try:
        # Called from synchronous code: Prefect returns the block itself, not a coroutine.
        block = cast(Secret, Secret.load(name))
        value = block.get()
    except ValueError:  # Prefect's "Unable to find block document named …"
        raise SecretUnavailable(name, "chưa có block này", permanent=True) from None
    except Exception as exc:  # the API unreachable: worth a retry; the text may be long
        raise SecretUnavailable(name, type(exc).__name__, permanent=False) from None
    return value if isinstance(value, str) else str(value)


#: Replaces every contact before it is expanded or sent (`thidua simulate`); process-wide
#: on purpose: the sending threads of a batch do not inherit context variables.
_substitute: Callable[[str, dict[str, Any]], str] | None = None


@contextmanager
def contacts_replaced(substitute: Callable[[str, dict[str, Any]], str]) -> Iterator[None]:
    """Within the block, `send` delivers to `substitute(url, context)` instead of each contact."""
    global _substitute
    previous, _substitute = _substitute, substitute
    try:
        yield
    finally:
        _substitute = previous


def send(
    url_template: str,
    message: Message,
    *,
    context: dict[str, Any] | None = None,
    pool: SMTPPool | None = None,
    before_data: Callable[[], bool] | None = None,
) -> SendResult:
    """Deliver `message` to one contact; outbox URLs carry `context` (unit, campaign, action).

    Email to a relay reuses the connections of `pool` when given (a batch's).
    `before_data` is called once right before the message itself goes out (SMTP DATA;
    other channels: right before the request); when it returns False nothing is sent
    and the result says `claim_lost`.
    """
    if _substitute is not None:
        url_template = _substitute(url_template, context or {})
    try:
        url = expand(url_template, secrets=read_secret_block)
    except SecretUnavailable as exc:
        return SendResult(ok=False, permanent=exc.permanent, error=str(exc))
    except ThiduaError as exc:
        return SendResult(ok=False, permanent=True, error=str(exc))
    is_outbox = url.startswith(f"{OUTBOX_SCHEME}://")
    html_token = None
    if is_outbox:
        extra = {k: v for k, v in (context or {}).items() if v}
        if message.html:
            html_token = outbox.stash_html(message.html)
            extra["html"] = html_token
        if extra:
            url += ("&" if "?" in url else "?") + urlencode(extra)
    try:
        with quiet_apprise():
            plugin = _plugin(url, pool)
            sender = apprise.Apprise()
            if plugin is None or not sender.add(plugin):
                return SendResult(
                    ok=False,
                    permanent=True,
                    error=f"Apprise không nhận địa chỉ {display(url_template)}",
                )
            as_html = bool(message.html) and isinstance(plugin, NotifyEmail)
            if isinstance(plugin, SharedTLSEmail):
                plugin.before_data = _once(before_data)
            elif before_data is not None and not before_data():
                return SendResult(ok=False, claim_lost=True)
            ok = sender.notify(
                title=message.subject,
                body=message.html if as_html and message.html else message.text,
                body_format=apprise.NotifyFormat.HTML if as_html else apprise.NotifyFormat.TEXT,
                attach=_attachment(message.attachments),
            )
    finally:
        if html_token:
            outbox.drop_html(html_token)
    if getattr(plugin, "claim_lost", False):
        return SendResult(ok=False, claim_lost=True)
    if ok:
        return SendResult(ok=True)
    failure = getattr(plugin, "failure", None)
    if failure is not None:
        return SendResult(
            ok=False,
            permanent=failure.permanent,
            error=failure.message,
            uncertain=failure.uncertain,
        )
    return SendResult(ok=False, error=f"gửi tới {display(url_template)} không thành công")
