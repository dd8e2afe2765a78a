"""Send one rendered message to one contact URL through Apprise, and say how it went.

Apprise 1.x answers one bool for all the URLs of a notify() call, so the caller
sends per contact to know which unit failed. Secrets are expanded from the
environment only here, at the last moment, and never appear in a result.

Email goes through `SharedTLSEmail`, Apprise's own email plugin (URL parsing, MIME
building, attachments) with one change: the TLS context is built once per process
instead of once per message. Apprise 1.13 calls `ssl.create_default_context()` in
every `send()`, which loads the whole CA store (~30-40 ms of CPU) and bounds a
1,000-unit fan-out; the shared context verifies exactly as Apprise's does (system
CAs, or SSL_CERT_FILE / SSL_CERT_DIR; no verification only for `verify=no` URLs).
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import ssl
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import apprise
from apprise.manager_plugins import NotificationManager
from apprise.plugins import url_to_dict
from apprise.plugins.email.base import NotifyEmail
from apprise.plugins.email.common import AppriseEmailException, SecureMailMode

from notifications import outbox
from notifications.render import Message
from thidua.contacts import OUTBOX_SCHEME, display, expand, quiet_apprise
from thidua.errors import ThiduaError


@dataclass(frozen=True)
class SendResult:
    """The outcome of one delivery attempt; `error` never contains a secret."""

    ok: bool
    permanent: bool = False
    error: str | None = None


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


class SharedTLSEmail(NotifyEmail):
    """Apprise's email plugin with a per-process TLS context instead of one per message."""

    def send(
        self,
        body: str,
        title: str = "",
        notify_type: Any = None,
        attach: Any = None,
        **kwargs: Any,
    ) -> bool:
        """Same protocol steps as NotifyEmail.send; only the TLS context is shared."""
        if not self.targets:
            return False
        self.throttle()
        context = tls_context(verify=self.verify_certificate)
        ok = True
        smtp: smtplib.SMTP | None = None
        try:
            if self.secure_mode == SecureMailMode.SSL:
                smtp = smtplib.SMTP_SSL(
                    self.smtp_host, self.port, timeout=self.socket_connect_timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(
                    self.smtp_host, self.port, None, timeout=self.socket_connect_timeout
                )
            if self.secure_mode == SecureMailMode.STARTTLS:
                smtp.starttls(context=context)
            if self.user and self.password:
                smtp.login(self.user, self.password)
            headers = {"X-Application": self.app_id, **self.headers}
            for message in NotifyEmail.prepare_emails(
                subject=title,
                body=body,
                notify_format=self.notify_format,
                from_addr=self.from_addr,
                to=self.targets,
                cc=self.cc,
                bcc=self.bcc,
                reply_to=self.reply_to,
                smtp_host=self.smtp_host,
                attach=attach,
                headers=headers,
                names=self.names,
                pgp=self.pgp,
                pgp_mode=self.pgp_mode,
                inline=self.inline,
                tzinfo=self.tzinfo,
            ):
                try:
                    smtp.sendmail(self.from_addr[1], message.to_addrs, message.body)
                except (OSError, smtplib.SMTPException, RuntimeError):
                    ok = False
        except (OSError, smtplib.SMTPException, RuntimeError, AppriseEmailException):
            ok = False
        finally:
            if smtp is not None:
                with contextlib.suppress(OSError, smtplib.SMTPException, RuntimeError):
                    smtp.quit()
        self.pgp.prune()
        return ok


def channel_id(index: int, url: str) -> str:
    """A stable, secret-free name of a unit's contact: its position and scheme."""
    return f"{index}:{url.split('://', 1)[0].lower()}"


def _plugin(url: str) -> Any:
    """The Apprise plugin for `url`; email schemes get `SharedTLSEmail`; None if invalid."""
    results = url_to_dict(url, secure_logging=True)
    if results is None:
        return None
    plugins = NotificationManager()
    if results["schema"] in plugins and plugins[results["schema"]] is NotifyEmail:
        try:
            return SharedTLSEmail(**results)
        except Exception:  # Apprise plugins raise TypeError on bad arguments; that is a "no"
            return None
    return apprise.Apprise.instantiate(results)


def _attachment(paths: Iterable[os.PathLike[str] | str]) -> apprise.AppriseAttachment | None:
    files = [str(path) for path in paths]
    return apprise.AppriseAttachment(files) if files else None


def send(
    url_template: str, message: Message, *, context: dict[str, Any] | None = None
) -> SendResult:
    """Deliver `message` to one contact; outbox URLs carry `context` (unit, campaign, action)."""
    try:
        url = expand(url_template)
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
            plugin = _plugin(url)
            sender = apprise.Apprise()
            if plugin is None or not sender.add(plugin):
                return SendResult(
                    ok=False,
                    permanent=True,
                    error=f"Apprise không nhận địa chỉ {display(url_template)}",
                )
            as_html = bool(message.html) and isinstance(plugin, NotifyEmail)
            ok = sender.notify(
                title=message.subject,
                body=message.html if as_html else message.text,
                body_format=apprise.NotifyFormat.HTML if as_html else apprise.NotifyFormat.TEXT,
                attach=_attachment(message.attachments),
            )
    finally:
        if html_token:
            outbox.drop_html(html_token)
    if ok:
        return SendResult(ok=True)
    return SendResult(ok=False, error=f"gửi tới {display(url_template)} không thành công")
