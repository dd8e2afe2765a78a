"""The seam between the product and Apprise: what one of our channel plugins promises.

Apprise's plugin API (`NotifyBase`: built from a URL, `url(privacy=True)`, `send()`
answering one bool) is what Apprise itself calls. The product needs more per contact:
the text *and* the HTML of a notice, the context of the delivery (unit, campaign,
action), a hook right before the message goes out (the durable "sending" mark), a
batch's SMTP connections, and why a delivery failed. Our plugins add `deliver()` for
that, next to `send()`; any other Apprise plugin is driven through `notify()`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from thidua.notifications.render import Message
from thidua.notifications.smtp import SMTPPool

from thidua.errors import ThiduaError
from thidua.registry.contacts import display


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


class ChannelError(ThiduaError):
    """A contact URL no channel can be built from (raised when building, never when sending)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason

    def __str__(self) -> str:
        return self.describe(display(self.url))

    def describe(self, shown: str) -> str:
        """The error naming the contact as `shown` (a template keeps its placeholders)."""
        return f"địa chỉ liên hệ {shown}: {self.reason}"


class BadContact(TypeError):
    """Raised by our plugins while building: the URL cannot be served, and why.

    A TypeError, Apprise's convention for "not this URL"; unlike the messages of other
    plugins (which may quote a token), ours are safe to show.
    """


class Channel(ABC):
    """Mixin of our Apprise plugins: the product's delivery of one notice to one contact."""

    @abstractmethod
    def deliver(
        self,
        message: Message,
        *,
        context: Mapping[str, str] | None = None,
        pool: SMTPPool | None = None,
        before_data: Callable[[], bool] | None = None,
    ) -> SendResult:
        """Send `message`; `before_data()` is called once right before it goes out, and
        when it answers False nothing is sent and the result says `claim_lost`."""
