"""The outbox (`outbox://<mailbox>`): our Apprise plugin for the embedded local channel.

A real Apprise scheme: `apprise.Apprise().add("outbox://sngv")` works once
`thidua.notifications.channels` is imported. Through Apprise's `notify()` it keeps the
one body Apprise carries (and the context given as `?unit=…&campaign=…&action=…`);
through `deliver()` it keeps the whole notice, the text and the HTML, with the context
the caller passes: nothing travels outside the call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from apprise import NotifyFormat
from apprise.plugins.base import NotifyBase
from apprise.utils.parse import parse_url
from thidua.notifications.channels.base import BadContact, Channel, SendResult
from thidua.notifications.outbox import MAILBOX, SCHEME, write_outbox
from thidua.notifications.render import Message
from thidua.notifications.smtp import SMTPPool

#: The delivery context an outbox message records, by URL argument name.
CONTEXT = ("unit", "campaign", "action")


class Outbox(NotifyBase, Channel):
    """Every message to `mailbox` kept as an .eml file and a store row."""

    service_name = "Hộp thư cục bộ thidua"
    service_url = "https://github.com/caronc/apprise/wiki"
    protocol = SCHEME
    secure_protocol = SCHEME
    category = "custom"
    attachment_support = True
    notify_format = NotifyFormat.TEXT
    # No rate limit: each message is a local file and a row, not a remote request.
    request_rate_per_sec = 0
    templates = ("{schema}://{mailbox}",)
    template_tokens: ClassVar[dict[str, Any]] = dict(
        NotifyBase.template_tokens,
        mailbox={"name": "Hộp thư", "type": "string", "required": True},
    )
    template_args: ClassVar[dict[str, Any]] = dict(
        NotifyBase.template_args,
        **{key: {"name": key, "type": "string"} for key in CONTEXT},
    )

    def __init__(self, mailbox: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not MAILBOX.match(mailbox or ""):
            # Apprise's convention for a URL it cannot serve: TypeError while building.
            raise BadContact(
                f"hộp thư outbox không hợp lệ: “{mailbox}” "
                "(chữ thường không dấu, chữ số, dấu chấm, gạch ngang)"
            )
        self.mailbox = mailbox
        self.context = {key: kwargs[key] for key in CONTEXT if kwargs.get(key)}

    @staticmethod
    def parse_url(url: str) -> dict[str, Any] | None:
        results = parse_url(url, verify_host=False)
        if not results:
            return None
        results["mailbox"] = results.get("host") or ""
        qsd = results.get("qsd") or {}
        results.update({key: qsd[key] for key in CONTEXT if qsd.get(key)})
        return results

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        # Nothing secret: the mailbox names a folder; the context is the delivery's.
        return f"{SCHEME}://{self.mailbox}"

    @property
    def url_identifier(self) -> tuple[str, str]:
        return (SCHEME, self.mailbox)

    def deliver(
        self,
        message: Message,
        *,
        context: Mapping[str, str] | None = None,
        pool: SMTPPool | None = None,
        before_data: Callable[[], bool] | None = None,
    ) -> SendResult:
        if before_data is not None and not before_data():
            return SendResult(ok=False, claim_lost=True)
        return self._write(message, {**self.context, **(context or {})})

    def _write(
        self,
        message: Message,
        context: Mapping[str, str],
        files: list[tuple[str, bytes, str | None]] | None = None,
    ) -> SendResult:
        try:
            write_outbox(
                self.mailbox,
                message,
                unit_code=context.get("unit"),
                campaign_code=context.get("campaign"),
                action_key=context.get("action"),
                files=files,
            )
        except OSError as exc:  # a full disk, a read-only folder: worth another try
            return SendResult(ok=False, error=f"không ghi được hộp thư outbox ({exc.strerror})")
        except Exception as exc:  # the store unreachable: worth another try, as before
            return SendResult(
                ok=False, error=f"không ghi được hộp thư outbox ({type(exc).__name__})"
            )
        return SendResult(ok=True)

    def send(
        self,
        body: str,
        title: str = "",
        notify_type: Any = None,
        attach: Any = None,
        **kwargs: Any,
    ) -> bool:
        """Apprise's entry point: the one body, the context from the URL."""
        files = []
        for item in attach or []:
            if not item:  # Apprise could not read it: fail like any channel would
                return False
            with item.open() as handle:
                files.append((item.name or "tep-dinh-kem", handle.read(), item.mimetype))
        return self._write(Message(subject=title, text=body), self.context, files).ok
