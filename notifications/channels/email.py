"""Email (`mailto://`, `mailtos://`): our Apprise plugin for the email schemes.

It subclasses Apprise's `NotifyEmail` only for what Apprise owns and documents: the
URL (every argument, its templates for well-known providers, `url(privacy=True)`) and
the plugin contract. Sending is ours, built on the standard library, so no Apprise
method body is copied and an Apprise upgrade changes nothing here unless it changes
the URL attributes read in `relay()` and `_addresses()`:

- the message is built by `thidua.notifications.mime` (the text and the HTML as
  alternatives, text files labelled UTF-8, the subject encoded without losing a space),
- it travels over `thidua.notifications.smtp` (one TLS context per process, the
  batch's connection reused per worker thread, RFC 5321 timeouts per phase, a dropped
  idle connection reopened, the reason of every failure, 5xx permanent, 4xx transient).

PGP (`pgp=`) is refused when the plugin is built, and by `thidua validate` before that
(`thidua.registry.channel_rules`, the one rule for both).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from apprise import NotifyFormat
from apprise.conversion import convert_between
from apprise.plugins.email.base import NotifyEmail
from thidua.notifications import mime
from thidua.notifications.channels.base import BadContact, Channel, SendResult
from thidua.notifications.render import Message
from thidua.notifications.smtp import Failure, Relay, Session, SMTPPool

from thidua.registry.channel_rules import refused_feature


class Email(NotifyEmail, Channel):
    """Apprise's email URLs, sent by the product's SMTP transport."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if refused := refused_feature(self):
            # Apprise's convention for a URL it cannot serve: TypeError while building.
            raise BadContact(refused)

    def relay(self) -> Relay:
        """The SMTP relay and login of this URL."""
        return Relay(
            host=self.smtp_host,
            port=self.port,
            user=self.user,
            password=self.password,
            secure=str(self.secure_mode),
            verify=bool(self.verify_certificate),
            connect_timeout=float(self.socket_connect_timeout),
        )

    def _addresses(self) -> tuple[str, list[_Copy], list[str]]:
        """The sender, each recipient's copy (Apprise: one message per `to`), and the
        Reply-To; ValueError when an address cannot go in a header."""
        # Apprise's base class declares these loosely (object, Any | bool); they hold
        # (name, address) and {address: name} once the URL is parsed.
        names: dict[str, str] = self.names if isinstance(self.names, dict) else {}
        from_name, from_address = _sender(self.from_addr)
        sender = mime.address(from_address, from_name or None)
        reply_to = [mime.address(a, names.get(a) or None) for a in sorted(self.reply_to)]
        copies = []
        for name, addr in self.targets:
            cc = sorted(self.cc - self.bcc - {addr})
            bcc = sorted(self.bcc - {addr})
            copies.append(
                _Copy(
                    to=addr,
                    header=mime.address(addr, str(name) if name else None),
                    cc=[mime.address(a, names.get(a) or None) for a in cc],
                    envelope=[addr, *cc, *bcc],
                )
            )
        return sender, copies, reply_to

    def deliver(
        self,
        message: Message,
        *,
        context: Mapping[str, str] | None = None,
        pool: SMTPPool | None = None,
        before_data: Callable[[], bool] | None = None,
    ) -> SendResult:
        """One message per recipient of the URL, over one session with the relay.

        With several recipients the URL fails if any fails, permanently only if every
        failure is permanent (a retry must not be ruled out for the others).
        """
        try:
            # Read once while unchanged: every unit's notice attaches the same files.
            files: list[tuple[str, bytes, str | None]] = mime.read_files(message.attachments)
        except OSError as exc:
            return SendResult(
                ok=False, error=f"không đọc được tệp đính kèm của thư ({exc.strerror or exc})"
            )
        return self._deliver(message, files, pool=pool, before_data=before_data)

    def _deliver(
        self,
        message: Message,
        files: list[mime.File],
        *,
        pool: SMTPPool | None = None,
        before_data: Callable[[], bool] | None = None,
    ) -> SendResult:
        if not self.targets:
            return SendResult(
                ok=False, permanent=True, error="địa chỉ liên hệ không có người nhận thư"
            )
        try:
            sender, copies, reply_to = self._addresses()
        except ValueError as exc:
            return SendResult(ok=False, permanent=True, error=f"địa chỉ thư không hợp lệ ({exc})")
        headers = {"X-Application": self.app_id, **self.headers}
        hook = _once(before_data)
        failures: list[Failure] = []
        with Session(self.relay(), pool, secrets=[self.password or ""]) as session:
            for copy in copies:
                try:
                    data = mime.build(
                        message,
                        sender=sender,
                        to=[copy.header],
                        cc=copy.cc,
                        reply_to=reply_to,
                        headers=headers,
                        domain=self.smtp_host or _sender(self.from_addr)[1].rpartition("@")[2],
                        files=files,
                    )
                except ValueError as exc:  # a header value the policy refuses (CR, LF)
                    failures.append(Failure(True, f"tiêu đề thư không hợp lệ ({exc})"))
                    continue
                transfer = session.transfer(
                    _sender(self.from_addr)[1],
                    copy.envelope,
                    data,
                    main=copy.to,
                    before_data=hook,
                )
                if transfer.claim_lost:
                    return SendResult(ok=False, claim_lost=True)
                if transfer.failure is not None:
                    failures.append(transfer.failure)
        if not failures:
            return SendResult(ok=True)
        worst = next((f for f in failures if not f.permanent and not f.uncertain), None)
        worst = worst or next((f for f in failures if f.uncertain), failures[0])
        return SendResult(
            ok=False, permanent=worst.permanent, error=worst.message, uncertain=worst.uncertain
        )

    def send(
        self,
        body: str,
        title: str = "",
        notify_type: Any = None,
        attach: Any = None,
        **kwargs: Any,
    ) -> bool:
        """Apprise's entry point (`apprise.Apprise().notify(...)`): the same delivery."""
        html = body if self.notify_format == NotifyFormat.HTML else None
        text = convert_between(NotifyFormat.HTML, NotifyFormat.TEXT, body) if html else body
        files = []
        for item in attach or []:
            if not item:  # Apprise could not read it: fail as its own plugin would
                return False
            with item.open() as handle:
                files.append((item.name or "tep-dinh-kem", handle.read(), item.mimetype))
        result = self._deliver(Message(subject=title, text=text, html=html), files)
        if not result.ok:
            self.logger.warning("Email không gửi được: %s", result.error)
        return result.ok


@dataclass(frozen=True)
class _Copy:
    """One recipient's message: its address, its To header, the Cc shown, and every
    envelope recipient."""

    to: str
    header: str
    cc: list[str]
    envelope: list[str]


def _once(hook: Callable[[], bool] | None) -> Callable[[], bool] | None:
    """`hook` called at most once (a URL with several recipients sends several messages)."""
    if hook is None:
        return None
    answer: list[bool] = []
    lock = threading.Lock()

    def call() -> bool:
        with lock:
            if not answer:
                answer.append(hook())
            return answer[0]

    return call


def _sender(from_addr: object) -> tuple[str, str]:
    """(display name, address) of Apprise's parsed `from_addr`."""
    name, address = from_addr if isinstance(from_addr, tuple) else ("", str(from_addr))
    return str(name or ""), str(address)
