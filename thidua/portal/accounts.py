"""Ban staff accounts: created from the command line, passwords kept only as scrypt hashes.

scrypt (RFC 7914, in the standard library) with n=2**14, r=8, p=1 and a 16-byte salt;
the parameters are stored with the hash, so raising them later leaves old hashes valid.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlmodel import Session

from thidua.errors import ThiduaError, quote
from thidua.store import portal_rows
from thidua.store.models import StaffUser

__all__ = ["AccountError", "add_user", "authenticate", "hash_password", "verify_password"]

N, R, P = 2**14, 8, 1
MIN_PASSWORD = 10


class AccountError(ThiduaError):
    """A staff account that cannot be created as asked (name taken, password too short)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """ "scrypt$n$r$p$salt$hash", all that is needed to check the password later."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=32,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


#: Checked against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY = hash_password("thidua-no-such-user", salt=b"\0" * 16)


def add_user(
    session: Session, *, username: str, password: str, display_name: str = ""
) -> StaffUser:
    """Create a staff account; AccountError naming the field if the name or password won't do."""
    name = username.strip()
    if not name or not all(c.isalnum() or c in "._-" for c in name) or len(name) > 64:
        raise AccountError(
            f"tên đăng nhập {quote(username)} không hợp lệ: chỉ dùng chữ, số và . _ - (tối đa 64 ký tự)"
        )
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"mật khẩu quá ngắn: cần ít nhất {MIN_PASSWORD} ký tự")
    if portal_rows.get_staff(session, username=name) is not None:
        raise AccountError(f"tài khoản {quote(name)} đã có")
    user = StaffUser(
        username=name,
        display_name=display_name.strip() or name,
        password_hash=hash_password(password),
    )
    return portal_rows.add_staff(session, user=user)


def authenticate(session: Session, *, username: str, password: str) -> StaffUser | None:
    """The account if the password is right and the account is active, else None."""
    user = portal_rows.get_staff(session, username=username.strip())
    if user is None:
        verify_password(password, _DUMMY)
        return None
    if not verify_password(password, user.password_hash) or user.disabled:
        return None
    return user
