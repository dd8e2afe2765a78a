"""Files units hand in (reports, plans, dossier documents): checked, then kept in the data dir.

`check_file` refuses a file that is not what its extension claims (a “.pdf” that is
really text, a “.docx” that is a renamed “.doc”), so a dossier never carries a file
the office cannot open. `store_file` copies a checked file to
``<data_dir>/files/<campaign slug>/<milestone>/<occurrence or ->/<unit>/`` and
describes it as the store keeps it: ``{"name", "path", "sha256", "size"}``.
A stored file is never overwritten: a different file of the same name gets a
numbered name, the same content is reused. `FileBatch` stages copies under unique
temporary names and puts them in place only when the caller's record is written,
so of two concurrent submissions the refused one never leaves or removes a file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

from thidua.errors import ThiduaError
from thidua.tables import Undecodable, utf8_text

__all__ = [
    "ALLOWED_SUFFIXES",
    "FileBatch",
    "FileCheckError",
    "campaign_slug",
    "check_file",
    "file_dir",
    "safe_name",
    "store_file",
]

#: A dossier document larger than this is certainly a mistake (a video, a disk image).
MAX_FILE_BYTES = 100 * 1024 * 1024
#: Only this much of [Content_Types].xml is read: a zip bomb must not be unpacked.
MAX_CONTENT_TYPES_BYTES = 1024 * 1024

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")

#: Extension → what the office calls it, for messages.
ALLOWED_SUFFIXES: dict[str, str] = {
    ".pdf": "PDF",
    ".docx": "Word (DOCX)",
    ".doc": "Word 97-2003 (DOC)",
    ".xlsx": "Excel (XLSX)",
    ".xls": "Excel 97-2003 (XLS)",
    ".odt": "OpenDocument văn bản (ODT)",
    ".ods": "OpenDocument bảng tính (ODS)",
    ".png": "ảnh PNG",
    ".jpg": "ảnh JPEG",
    ".jpeg": "ảnh JPEG",
    ".gif": "ảnh GIF",
    ".tif": "ảnh TIFF",
    ".tiff": "ảnh TIFF",
    ".webp": "ảnh WebP",
    ".bmp": "ảnh BMP",
    ".txt": "văn bản (TXT)",
    ".md": "văn bản (Markdown)",
    ".csv": "bảng CSV",
}

_OOXML_MAIN = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}
_ODF_MIMETYPE = {
    ".odt": b"application/vnd.oasis.opendocument.text",
    ".ods": b"application/vnd.oasis.opendocument.spreadsheet",
}
# The OLE directory holds stream names in UTF-16LE; these say which program wrote it.
_OLE_STREAMS = {
    ".doc": ("WordDocument".encode("utf-16-le"),),
    ".xls": ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le")),
}
_IMAGE_MAGIC: dict[str, tuple[bytes, ...]] = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".tif": (b"II*\x00", b"MM\x00*"),
    ".tiff": (b"II*\x00", b"MM\x00*"),
    ".bmp": (b"BM",),
}
_TEXT = (".txt", ".md", ".csv")


class FileCheckError(ThiduaError):
    """A handed-in file is missing, empty, of a type not accepted, or not what its extension says."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"tệp “{self.path.name}”: {reason}")


# --- checking -------------------------------------------------------------------------


def _sniff(head: bytes) -> str:
    """What the first bytes of a file look like, in words, for a refusal message."""
    if head.startswith(b"%PDF-"):
        return "tệp PDF"
    if head.startswith(_ZIP):
        return "tệp nén ZIP (DOCX/XLSX hoặc tệp nén khác)"
    if head.startswith(_OLE):
        return "tệp Office 97-2003 (DOC/XLS)"
    for suffix, magics in _IMAGE_MAGIC.items():
        if head.startswith(magics):
            return ALLOWED_SUFFIXES[suffix]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "ảnh WebP"
    if head.startswith(b"{\\rtf"):
        return "tệp RTF"
    if head.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return "trang HTML"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # a multi-byte character cut at the end is still text
            return "dữ liệu nhị phân không rõ loại"
    return "văn bản thuần" if b"\x00" not in head else "dữ liệu nhị phân không rõ loại"


def _not_what_it_claims(path: Path, suffix: str, head: bytes, detail: str = "") -> FileCheckError:
    claimed = ALLOWED_SUFFIXES[suffix]
    looks = _sniff(head)
    more = f" ({detail})" if detail else ""
    return FileCheckError(
        path, f"đuôi tệp là {suffix} nhưng nội dung không phải {claimed}{more}; nội dung là {looks}"
    )


def _check_zip(path: Path, suffix: str, head: bytes) -> None:
    if not head.startswith(_ZIP):
        raise _not_what_it_claims(path, suffix, head)
    try:
        with zipfile.ZipFile(path) as archive:
            if suffix in _ODF_MIMETYPE:
                try:
                    with archive.open("mimetype") as fh:
                        mimetype = fh.read(200).strip()
                except KeyError:
                    mimetype = b""
                if mimetype != _ODF_MIMETYPE[suffix]:
                    raise _not_what_it_claims(path, suffix, head, "không có mimetype OpenDocument")
                return
            try:
                with archive.open("[Content_Types].xml") as fh:
                    types = fh.read(MAX_CONTENT_TYPES_BYTES).decode("utf-8", "replace")
            except KeyError:
                raise _not_what_it_claims(
                    path, suffix, head, "tệp nén không có [Content_Types].xml"
                ) from None
    except (zipfile.BadZipFile, OSError, RuntimeError):
        raise _not_what_it_claims(path, suffix, head, "tệp nén bị hỏng") from None
    if _OOXML_MAIN[suffix] not in types:
        other = next((s for s, t in _OOXML_MAIN.items() if t in types), None)
        detail = f"bên trong là {ALLOWED_SUFFIXES[other]}" if other else "sai loại nội dung"
        raise _not_what_it_claims(path, suffix, head, detail)


def _check_ole(path: Path, suffix: str, head: bytes) -> None:
    if not head.startswith(_OLE):
        raise _not_what_it_claims(path, suffix, head)
    with path.open("rb") as fh:
        data = fh.read(MAX_FILE_BYTES)
    if not any(name in data for name in _OLE_STREAMS[suffix]):
        raise _not_what_it_claims(path, suffix, head, "tệp Office 97-2003 của chương trình khác")


def _check_text(path: Path, suffix: str, head: bytes) -> None:
    try:
        utf8_text(path.read_bytes())
    except Undecodable as exc:
        if exc.reason == "utf16":
            raise FileCheckError(
                path, "văn bản đang ở bảng mã UTF-16; hãy lưu lại với bảng mã UTF-8"
            ) from None
        if exc.reason == "nul":
            raise FileCheckError(
                path, f"đuôi tệp là {suffix} nhưng nội dung là dữ liệu nhị phân"
            ) from None
        raise FileCheckError(
            path,
            f"không phải văn bản UTF-8 (byte lạ ở dòng {exc.line}; có thể là Windows-1258, TCVN3 "
            f"hoặc {_sniff(head)}); hãy lưu lại với bảng mã UTF-8",
        ) from None


def check_file(path: str | Path) -> None:
    """Raise FileCheckError unless `path` is a readable, non-empty file of an accepted type
    whose content matches its extension (PDF, DOCX/XLSX, DOC/XLS, ODT/ODS, images, UTF-8 text)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        allowed = ", ".join(dict.fromkeys(s.lstrip(".") for s in ALLOWED_SUFFIXES))
        shown = f"đuôi “{path.suffix}”" if path.suffix else "tệp không có đuôi"
        raise FileCheckError(path, f"không nhận {shown}; các loại tệp được nhận: {allowed}")
    try:
        if not path.exists():
            raise FileCheckError(path, f"không tìm thấy tệp ({path})")
        if not path.is_file():
            raise FileCheckError(path, f"đây không phải là một tệp ({path})")
        size = path.stat().st_size
        if size == 0:
            raise FileCheckError(path, "tệp rỗng (0 byte)")
        if size > MAX_FILE_BYTES:
            raise FileCheckError(
                path,
                f"tệp quá lớn ({size / 1024 / 1024:.1f} MB; tối đa "
                f"{MAX_FILE_BYTES // 1024 // 1024} MB)",
            )
        with path.open("rb") as fh:
            head = fh.read(512)
        if suffix == ".pdf":
            if not head.startswith(b"%PDF-"):
                raise _not_what_it_claims(path, suffix, head, "không bắt đầu bằng “%PDF-”")
        elif suffix in _OOXML_MAIN or suffix in _ODF_MIMETYPE:
            _check_zip(path, suffix, head)
        elif suffix in _OLE_STREAMS:
            _check_ole(path, suffix, head)
        elif suffix == ".webp":
            if not (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
                raise _not_what_it_claims(path, suffix, head)
        elif suffix in _IMAGE_MAGIC:
            if not head.startswith(_IMAGE_MAGIC[suffix]):
                raise _not_what_it_claims(path, suffix, head)
        elif suffix in _TEXT:
            _check_text(path, suffix, head)
    except OSError as exc:
        raise FileCheckError(path, f"không đọc được tệp: {exc.strerror or exc}") from None


# --- storing --------------------------------------------------------------------------


def campaign_slug(code: str) -> str:
    """A folder name for a campaign code: “75NAM-TDAQ/KH-UBND” → “75nam-tdaq-kh-ubnd”."""
    return _segment(code.replace("/", "-").lower())


def _segment(text: str) -> str:
    """One safe path component: no separators, no leading dots, never empty."""
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-")
    text = text.lstrip(".")
    return text or "-"


def safe_name(name: str) -> str:
    """The handed-in file name without any folder, control character or leading dot."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    return name or "tep"


def file_dir(
    *, campaign: str, milestone: str, occurrence: str, unit: str, data_dir: Path | None = None
) -> Path:
    """Where the files a unit handed in for one milestone occurrence are kept."""
    if data_dir is None:
        from thidua.config import get_settings

        data_dir = get_settings().data_dir
    return (
        Path(data_dir).resolve()
        / "files"
        / campaign_slug(campaign)
        / _segment(milestone)
        / _segment(occurrence or "-")
        / _segment(unit)
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_to_temp(path: Path, folder: Path, name: str) -> tuple[Path, str, int]:
    """Copy `path` to a temporary file of its own in `folder`: (temp, sha256, size).

    The name is unique (mkstemp), so two writers of the same file name never write
    into one file; the digest is of the bytes written, so the record always matches
    the stored copy even if the source changes meanwhile.
    """
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".partial")
    digest, size = hashlib.sha256(), 0
    try:
        with path.open("rb") as src, os.fdopen(fd, "wb") as dst:
            for block in iter(lambda: src.read(1024 * 1024), b""):
                digest.update(block)
                size += len(block)
                dst.write(block)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return Path(temp), digest.hexdigest(), size


def _reserve(folder: Path, name: str, digest: str) -> tuple[Path, bool]:
    """The target for content `digest` named `name`: (path, True) when newly reserved.

    An existing file with the same content is reused (False). Otherwise the first
    free name (“x.pdf”, “x (2).pdf”, …) is taken with O_EXCL, so that two concurrent
    writers can never pick the same target, and each may remove only its own.
    """
    stem, suffix = Path(name).stem, Path(name).suffix
    number = 1
    target = folder / name
    while True:
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            return target, True
        except FileExistsError:
            if target.is_file() and _sha256(target) == digest:
                return target, False
        number += 1
        target = folder / f"{stem} ({number}){suffix}"


class FileBatch:
    """Files stored for one record, named and put in place only when the record is written.

    `store` checks a file and copies it to a unique temporary name in its folder;
    `place` takes each copy's final name (O_EXCL, “x.pdf”, else “x (2).pdf”…) and moves
    it there (os.replace) once the caller's database write succeeded, before it
    commits. Naming at `place` rather than at `store` matters: a concurrent writer
    refused as a duplicate must not hold “x.pdf” for a moment and push the winner to
    “x (2).pdf”. `undo` removes the temporary copies and the names this batch placed,
    never a file that another writer placed or that was reused. A batch that is never
    placed explicitly places at the end of `store` when `deferred` is False (the
    default); the dict `store` returns gets its final "path" from `place`.
    """

    def __init__(self, *, deferred: bool = False) -> None:
        self.deferred = deferred
        self.created: list[Path] = []
        self.pending: list[tuple[Path, Path, str, dict[str, Any]]] = []

    def store(
        self, path: str | Path, *, campaign: str, milestone: str, occurrence: str, unit: str
    ) -> dict[str, Any]:
        """Check and stage `path`; {"name", "path", "sha256", "size"} as the record keeps it."""
        path = Path(path)
        check_file(path)
        folder = file_dir(campaign=campaign, milestone=milestone, occurrence=occurrence, unit=unit)
        name = safe_name(path.name)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            temp, digest, size = _copy_to_temp(path, folder, name)
        except OSError as exc:
            raise FileCheckError(
                path, f"không lưu được tệp vào {folder}: {exc.strerror or exc}"
            ) from None
        info: dict[str, Any] = {"name": name, "path": "", "sha256": digest, "size": size}
        self.pending.append((temp, folder / name, digest, info))
        if not self.deferred:
            self.place()
        return info

    def place(self) -> None:
        """Name each staged copy and move it into place (atomic per file)."""
        while self.pending:
            temp, wanted, digest, info = self.pending.pop(0)
            try:
                target, new = _reserve(wanted.parent, wanted.name, digest)
            except BaseException:
                temp.unlink(missing_ok=True)
                raise
            if new:
                self.created.append(target)
                os.replace(temp, target)
            else:
                temp.unlink(missing_ok=True)
            info["path"] = str(target)

    def undo(self) -> None:
        """Remove what this batch staged or placed; its database write failed."""
        for temp, *_ in self.pending:
            temp.unlink(missing_ok=True)
        self.pending.clear()
        for target in reversed(self.created):
            target.unlink(missing_ok=True)
        self.created.clear()


def store_file(
    path: str | Path, *, campaign: str, milestone: str, occurrence: str, unit: str
) -> dict[str, Any]:
    """Check `path` and copy it into the unit's folder; {"name", "path", "sha256", "size"}."""
    return FileBatch().store(
        path, campaign=campaign, milestone=milestone, occurrence=occurrence, unit=unit
    )
