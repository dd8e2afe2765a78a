"""The product's channels: Apprise plugins of our own, one module per channel, as
Apprise's `plugins/` does (`email`: mailto/mailtos; `outbox`: the local outbox).

Whenever Apprise's plugin manager loads its plugins in a process that imported this
package, ours are registered right after for their schemes (the email plugin replaces
Apprise's for mailto:// and mailtos://, which it extends), so `apprise.Apprise().add(url)`
builds them like any plugin. `load` builds the channel of one contact URL and says
clearly why it cannot; sending reports, it never raises.

The manager is not touched before a contact needs it: loading Apprise's ~150 plugins
imports ~300 modules (cryptography, requests-oauthlib, paho-mqtt…: ~16 MB of the
worker's memory, 0.3–0.6 s), and a campaign whose contacts are all email or outbox
never needs them.
"""

from __future__ import annotations

import threading
from typing import Any

from apprise.manager_plugins import NotificationManager
from apprise.utils.parse import parse_list, parse_url
from thidua.notifications.channels.base import BadContact, Channel, ChannelError, SendResult
from thidua.notifications.channels.email import Email
from thidua.notifications.channels.outbox import Outbox

from thidua.registry.contacts import quiet_apprise

__all__ = ["BadContact", "Channel", "ChannelError", "Email", "Outbox", "SendResult", "load"]

#: Apprise's plugin manager (a process-wide singleton: the one `Apprise()` consults).
N_MGR = NotificationManager()

#: Our plugins by scheme, as the manager maps them once they are registered.
OWN: dict[str, type[Any]] = {
    scheme.lower(): plugin
    for plugin in (Email, Outbox)
    for scheme in parse_list(plugin.secure_protocol, plugin.protocol)
}

_native_load = N_MGR.load_modules
#: reentrant: registering asks the manager whether it is loaded, which may load it
_lock = threading.RLock()


def _register() -> None:
    for plugin in (Email, Outbox):
        # force: the email schemes are Apprise's own; ours subclasses and replaces it.
        if not N_MGR.add(plugin, force=True):
            raise ImportError(f"Apprise refused to register {plugin.__name__}")


def _load_modules(path: Any = None, name: Any = None, force: bool = False) -> None:
    """Apprise's own loading, then ours registered over it (its native plugins only:
    a custom plugin directory, `path`, leaves the schemes' owners as they are)."""
    with _lock:
        # Only a first load (or one after an unload) maps Apprise's email over ours: a
        # second caller that waited on the lock must not unmap ours while others read.
        first = not N_MGR
        _native_load(path, name, force)
        if first and path is None and name is None:
            _register()


if N_MGR:  # Apprise's plugins were loaded before this import: ours replace its email now
    _register()
# The manager calls `self.load_modules()` whenever it is first used (and after an unload),
# so every way in (`Apprise()`, `Apprise.instantiate`, `N_MGR[...]`) finds ours in place.
N_MGR.load_modules = _load_modules


def load(url: str) -> Any:
    """The Apprise plugin of `url` (ours for our schemes); ChannelError when none can be
    built: its `reason` is safe to show, its text names the URL in its privacy form."""
    with quiet_apprise():
        results = parse_url(url, verify_host=False) if "://" in url else None
        schema = str((results or {}).get("schema") or "")
        # Ours first: an email or outbox contact needs none of Apprise's other plugins.
        plugin_class = OWN.get(schema)
        if plugin_class is None:
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
