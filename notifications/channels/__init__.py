"""The product's channels: Apprise plugins of our own, one module per channel, as
Apprise's `plugins/` does (`email`: mailto/mailtos; `outbox`: the local outbox).

Importing this package registers them with Apprise's plugin manager for their schemes
(the email plugin replaces Apprise's for mailto:// and mailtos://, which it extends),
so `apprise.Apprise().add(url)` builds them like any plugin. `load` builds the channel
of one contact URL and says clearly why it cannot; sending reports, it never raises.
"""

from __future__ import annotations

from typing import Any

from apprise.manager_plugins import NotificationManager
from apprise.utils.parse import parse_url
from thidua.notifications.channels.base import BadContact, Channel, ChannelError, SendResult
from thidua.notifications.channels.email import Email
from thidua.notifications.channels.outbox import Outbox

from thidua.registry.contacts import quiet_apprise

__all__ = ["BadContact", "Channel", "ChannelError", "Email", "Outbox", "SendResult", "load"]

#: Apprise's plugin manager (a process-wide singleton: the one `Apprise()` consults).
N_MGR = NotificationManager()

for _plugin in (Email, Outbox):
    # force: the email schemes are Apprise's own; ours subclasses and replaces it.
    if not N_MGR.add(_plugin, force=True):
        raise ImportError(f"Apprise refused to register {_plugin.__name__}")


def load(url: str) -> Any:
    """The Apprise plugin of `url` (ours for our schemes); ChannelError when none can be
    built: its `reason` is safe to show, its text names the URL in its privacy form."""
    with quiet_apprise():
        results = parse_url(url, verify_host=False) if "://" in url else None
        schema = str((results or {}).get("schema") or "")
        if not schema or schema not in N_MGR:
            raise ChannelError(url, f"Apprise không hỗ trợ lược đồ “{schema}://”")
        plugin_class = N_MGR[schema]
        try:
            arguments = plugin_class.parse_url(url)
            if not arguments:
                raise TypeError
            return plugin_class(**arguments)
        except BadContact as exc:  # ours: the reason is safe to show
            raise ChannelError(url, str(exc)) from None
        except Exception:  # Apprise's way of saying "not this URL"; its text may quote a token
            raise ChannelError(url, "Apprise không nhận địa chỉ này") from None
