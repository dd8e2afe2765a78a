"""The portal's server secret: the key unit links are derived from and cookies are signed with.

It comes from ``THIDUA_PORTAL_SECRET`` (environment only: a secret never travels in
``thidua.toml`` or a campaign file), else from ``<data dir>/portal-secret``, created on
first use with 32 random bytes and mode 0600. Every process of one deployment (serve,
worker, CLI) must see the same secret, or the links in notices would not open the portal;
the shared data dir (or the variable, with PostgreSQL on several hosts) gives them that.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from thidua.config import Settings
from thidua.errors import SettingsError

ENV = "THIDUA_PORTAL_SECRET"
FILE_NAME = "portal-secret"
#: A secret shorter than this is refused: the links are only as strong as it.
MIN_LENGTH = 32


def portal_secret(settings: Settings) -> bytes:
    """32 bytes of key material; SettingsError if the configured secret is too short."""
    given = os.environ.get(ENV, "")
    if given:
        if len(given) < MIN_LENGTH:
            raise SettingsError(
                f"biến môi trường {ENV} quá ngắn ({len(given)} ký tự): cần ít nhất "
                f"{MIN_LENGTH} ký tự ngẫu nhiên"
            )
        return hashlib.sha256(given.encode("utf-8")).digest()
    return _file_secret(Path(settings.data_dir) / FILE_NAME)


def _file_secret(path: Path) -> bytes:
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    except ValueError as exc:
        raise SettingsError(f"tệp khóa bí mật của cổng {path} bị hỏng: hãy xóa để tạo lại") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = secrets.token_bytes(32)
    # Unique per caller, not per process: two threads of one process may race here too.
    tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(8)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(fresh.hex())
    try:
        # link(), not rename(): when two processes race, the first secret wins for both.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return bytes.fromhex(path.read_text(encoding="ascii").strip())
