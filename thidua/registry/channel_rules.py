"""What the product's channels refuse in a contact URL that Apprise itself accepts.

One home for these rules: `thidua validate` applies them to Apprise's own plugin
(`thidua.registry.contacts`), and the product's email channel raises them while it is
built (`thidua.notifications.channels.email`), so a contact refused when sending is
refused first when the registry is checked.
"""

from __future__ import annotations

PGP_REFUSED = "thư mã hóa hoặc ký bằng PGP (tham số pgp) chưa được hỗ trợ"
#: What `refused_feature` may answer: the product's channels raise these while building.
REFUSALS = frozenset({PGP_REFUSED})


def refused_feature(plugin: object) -> str | None:
    """Why the product cannot serve a URL Apprise accepts, or None.

    One rule for both places that build a plugin: `thidua validate` (Apprise's own
    plugin) and the product's email channel when it sends. An email URL asking for
    PGP (`pgp=encrypt`, `pgp=sign`, or `wkd=yes` that implies it) is refused: the product does
    not sign or encrypt, and sending in clear what the URL asks to encrypt would be worse.
    """
    mode = getattr(plugin, "pgp_mode", None)
    if mode is None:  # not an email plugin
        return None
    from apprise.plugins.email.base import PGP_MODE_DEFAULT

    return None if mode == PGP_MODE_DEFAULT else PGP_REFUSED
