"""Files posted to a portal form, kept in a private temporary folder until the ledger has
checked and stored them (`thidua.ledger.files`), then removed.

The browser's file name is only ever used as a name: `safe_name` strips any folder,
control character and leading dot, so "../../etc/passwd" becomes "passwd" inside the
temporary folder. Each upload is streamed in chunks with its own cap (the setting), so a
large file never sits in memory.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from starlette.datastructures import UploadFile

from thidua.ledger.files import safe_name

__all__ = ["UploadTooLarge", "Uploads"]

CHUNK = 1024 * 1024


class UploadTooLarge(Exception):
    """One file is over the cap; `name` is the file's (safe) name."""

    def __init__(self, name: str, limit_mb: int) -> None:
        super().__init__(f"tệp “{name}” vượt quá {limit_mb} MB")
        self.name = name
        self.limit_mb = limit_mb


class Uploads:
    """A context of saved uploads: `await uploads.save(file)` → a path, removed on exit."""

    def __init__(self, limit_mb: int) -> None:
        self.limit_mb = limit_mb
        self._dir = Path(tempfile.mkdtemp(prefix="thidua-upload-"))
        self._count = 0

    async def save(self, upload: UploadFile | str | None) -> Path | None:
        """The saved file, or None when the field was left empty (no file chosen)."""
        if not isinstance(upload, UploadFile) or not upload.filename:
            return None
        self._count += 1
        folder = self._dir / str(self._count)  # two uploads of the same name stay apart
        folder.mkdir()
        name = safe_name(upload.filename)
        target = folder / name
        written = 0
        with target.open("wb") as out:
            while chunk := await upload.read(CHUNK):
                written += len(chunk)
                if written > self.limit_mb * 1024 * 1024:
                    raise UploadTooLarge(name, self.limit_mb)
                out.write(chunk)
        return target

    def __enter__(self) -> Uploads:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)
