"""The product's channels: Apprise plugins of our own, one module per channel, as
Apprise's `plugins/` does (`email`: mailto/mailtos; `outbox`: the local outbox).

Importing this package registers them with Apprise's plugin manager for their schemes
(the email plugin replaces Apprise's for mailto:// and mailtos://, which it extends),
so `apprise.Apprise().add(url)` builds them like any plugin. `load` builds the channel
of one contact URL and says clearly why it cannot; sending reports, it never raises.
"""

from __future__ import annotations

from typing import Any

import apprise
from apprise.manager_plugins import NotificationManager
from thidua.notifications.channels.base import BadContact, Channel, ChannelError, SendResult
from thidua.notifications.channels.email import Email
from thidua.notifications.channels.outbox import Outbox

from thidua.registry.contacts import display, quiet_apprise

__all__ = ["BadContact", "Channel", "ChannelError", "Email", "Outbox", "SendResult", "load"]

#: Apprise's plugin manager (a process-wide singleton: the one `Apprise()` consults).
N_MGR = NotificationManager()

for _plugin in (Email, Outbox):
    # force: the email schemes are Apprise's own; ours subclasses and replaces it.
    if not N_MGR.add(_plugin, force=True):
        raise ImportError(f"Apprise refused to register {_plugin.__name__}")


def load(url: str, *, shown: str | None = None) -> Any:
    """The Apprise plugin of `url` (ours for our schemes); ChannelError naming `shown`
    (the contact as it may be shown, default: its privacy form) when none can be built."""
    with quiet_apprise():
        results = apprise.utils.parse.parse_url(url, verify_host=False) if "://" in url else None
        schema = (results or {}).get("schema", "")
        plugin_class = N_MGR[schema] if schema and schema in N_MGR else None
        if plugin_class is None:
            raise ChannelError(
                f"Apprise không hỗ trợ lược đồ “{schema}://” của địa chỉ {shown or display(url)}"
            )
        try:
            arguments = plugin_class.parse_url(url)
            if not arguments:
                raise TypeError("không đọc được địa chỉ")
            plugin = plugin_class(**arguments)
        except BadContact as exc:  # ours: the reason is safe to show
            raise ChannelError(f"địa chỉ liên hệ {shown or display(url)}: {exc}") from None
        except Exception:  # Apprise's way of saying "not this URL"; its text may quote a token
            raise ChannelError(f"Apprise không nhận địa chỉ {shown or display(url)}") from None
    return plugin
