"""Signed values for the browser: staff session cookies and CSRF tokens.

Both are "<payload>.<expiry>.<HMAC-SHA256>" under a key derived from the portal secret
for that one purpose, so a CSRF token can never pass as a session. No server-side state:
a session ends when its cookie expires or the secret changes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

__all__ = ["Signer"]


class Signer:
    """Signs and checks short strings for one purpose (e.g. "session", "csrf")."""

    def __init__(self, secret: bytes, purpose: str) -> None:
        self._key = hmac.new(
            secret, b"thidua-portal:" + purpose.encode("ascii"), hashlib.sha256
        ).digest()

    def _mac(self, body: str) -> str:
        mac = hmac.new(self._key, body.encode("utf-8"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")

    def sign(self, value: str, *, now: datetime, lifetime: timedelta) -> str:
        payload = base64.urlsafe_b64encode(value.encode("utf-8")).decode("ascii").rstrip("=")
        body = f"{payload}.{int((now + lifetime).timestamp())}"
        return f"{body}.{self._mac(body)}"

    def unsign(self, signed: str, *, now: datetime) -> str | None:
        """The value if the signature holds and it has not expired, else None."""
        try:
            payload, expires, mac = signed.split(".")
            if not hmac.compare_digest(mac, self._mac(f"{payload}.{expires}")):
                return None
            if int(expires) < now.timestamp():
                return None
            padded = payload + "=" * (-len(payload) % 4)
            return base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
        except (ValueError, UnicodeError):
            return None
