"""Best-effort JSON caches under the data dir, for work that is slow and rarely changes.

A cache is only ever an optimisation: a missing, corrupt or unwritable file means
the work is done again, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    """The configured cache directory (``<data_dir>/cache``)."""
    from thidua.config import get_settings

    return get_settings().cache_dir


def fingerprint(*parts: str | bytes) -> str:
    """A sha256 over `parts`, separated so that ("ab", "c") differs from ("a", "bc")."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def source_fingerprint(*module_files: str) -> str:
    """A fingerprint of source files, so a cache dies with the code that filled it."""
    parts: list[bytes] = []
    for name in module_files:
        try:
            parts.append(Path(name).read_bytes())
        except OSError:
            parts.append(name.encode())
    return fingerprint(*parts)


def read_json(path: Path) -> Any | None:
    """The JSON in `path`, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a unique temporary file, so concurrent writers never clash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_json(path: Path, data: Any) -> None:
    """Write `data` atomically; failures (read-only dir, full disk) are ignored."""
    with contextlib.suppress(OSError):
        write_atomic(path, json.dumps(data, ensure_ascii=False).encode("utf-8"))
