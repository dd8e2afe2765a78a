"""Send one rendered message to one contact URL, and say how it went.

Apprise 1.x answers one bool for all the URLs of a notify() call, so the caller sends
per contact to know which unit failed. Secrets are expanded from the environment only
here, at the last moment, and never appear in a result.

The channel of a contact is an Apprise plugin (`thidua.notifications.channels.load`).
Our own plugins (email, outbox) take the whole notice through `Channel.deliver`: the
text and the HTML, the delivery's context, the batch's SMTP connections, the hook
before DATA, and the reason of a failure. Any other Apprise plugin (a webhook, MQTT,
Telegram…) gets the text through Apprise's `notify()` and answers yes or no.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, cast

import apprise
from thidua.notifications.channels import Channel, ChannelError, SendResult, load
from thidua.notifications.render import Message
from thidua.notifications.smtp import SMTPPool, tls_context

from thidua.errors import ThiduaError
from thidua.registry.contacts import display, expand, quiet_apprise

__all__ = [
    "SMTPPool",
    "SecretUnavailable",
    "SendResult",
    "channel_id",
    "contacts_replaced",
    "read_secret_block",
    "send",
    "tls_context",
]


def channel_id(index: int, url: str) -> str:
    """A stable, secret-free name of a unit's contact: its position and scheme."""
    return f"{index}:{url.split('://', 1)[0].lower()}"


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
    """Deliver `message` to one contact; the outbox records `context` (unit, campaign, action).

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
    try:
        plugin = _channel(url)
    except ChannelError as exc:  # shown as written: a secret stays a ${VAR} placeholder
        return SendResult(ok=False, permanent=True, error=exc.describe(display(url_template)))
    if isinstance(plugin, Channel):
        with quiet_apprise():
            return plugin.deliver(message, context=context, pool=pool, before_data=before_data)
    if before_data is not None and not before_data():
        return SendResult(ok=False, claim_lost=True)
    with quiet_apprise():
        sender = apprise.Apprise()
        sender.add(plugin)
        ok = sender.notify(
            title=message.subject,
            body=message.text,
            body_format=apprise.NotifyFormat.TEXT,
            attach=_attachment(message.attachments),
        )
    if ok:
        return SendResult(ok=True)
    return SendResult(ok=False, error=f"gửi tới {display(url_template)} không thành công")


#: The channels of the contacts sent to lately, by expanded URL (`_channel`).
_channels: dict[str, Channel] = {}
_channels_lock = threading.Lock()
_CHANNELS_KEPT = 1024


def _channel(url: str) -> Any:
    """The plugin of `url` (`load`); ours are kept by URL and shared by the sender threads.

    Apprise parses the URL and builds the plugin for each `load` (~0.2–0.6 ms), for a unit
    that gets a message per action. Our channels hold only what the URL says (they keep
    no state between messages), so one instance serves every message to that contact;
    other Apprise plugins keep state (throttling) and are built for each message.
    """
    found = _channels.get(url)
    if found is not None:
        return found
    plugin = load(url)
    if isinstance(plugin, Channel):
        with _channels_lock:
            if len(_channels) >= _CHANNELS_KEPT:
                _channels.pop(next(iter(_channels)))  # the oldest
            _channels[url] = plugin
    return plugin


def _attachment(paths: Iterable[Any]) -> apprise.AppriseAttachment | None:
    files: list[str | Any] = [str(path) for path in paths]
    return apprise.AppriseAttachment(files) if files else None
