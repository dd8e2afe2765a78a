"""The one reader of the tables admins hand in: CSV (UTF-8) and Excel (.xlsx) files.

Units registries and submission imports are lists kept in Excel. Both arrive here,
and every guard lives here once: a size limit before anything is read, UTF-8 with
or without the BOM Excel writes (any other encoding is refused with its line and a
Vietnamese hint), NUL bytes, the delimiter Excel picks on Vietnamese Windows, an
unclosed quote (strict reading, reported at the line where the record starts), and
for workbooks a bound on the unpacked size (a zip bomb), a zip that is not a
workbook, and a damaged one. Rows come back with their line or sheet row number.

Errors are `TableError`s: a Vietnamese message and where it happened (``file:line``,
or ``file (trang “…”, dòng n)``); each caller words the subject (a registry, an
import) around them. An empty file is not an error here: it has no rows, and its
reader says what it expected. The UTF-8 decoding itself (`utf8_text`) also serves
campaign files and text attachments, which word their refusals for their readers.
"""

from __future__ import annotations

import csv
import io
import itertools
import warnings
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from thidua.errors import ThiduaError

#: an .xlsx is a zip: its unpacked size is bounded too (zip bombs)
MAX_XLSX_UNPACKED_BYTES = 100 * 1024 * 1024
#: title rows a table may have above its header row (“DANH SÁCH ĐƠN VỊ…”); also the
#: rows the delimiter is guessed from
HEADER_SEARCH = 10
SUFFIXES = (".csv", ".xlsx")
DELIMITERS = (",", ";", "\t")

#: how to fix a CSV in another encoding, in the words of Excel's "Save as" dialog
CSV_HOW = "hãy lưu lại với bảng mã UTF-8 (trong Excel: Lưu thành → “CSV UTF-8 (Comma delimited)”)"
#: the same for a text file written in an editor (YAML)
TEXT_HOW = "hãy lưu lại với bảng mã UTF-8 (trong trình soạn thảo: Save with Encoding → UTF-8)"
_RESAVE_XLSX = "hãy mở bằng Excel và lưu lại dạng “Excel Workbook (*.xlsx)”"


class TableError(ThiduaError):
    """A table file that cannot be read at all; `where` is the file, with a line if known."""

    def __init__(self, message: str, *, where: str) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}")


class Row(NamedTuple):
    """One row of a table: its cells, its 1-based line (CSV) or row (XLSX), and where it is."""

    cells: list[Any]
    number: int
    where: str


def read_bytes(path: Path, *, what: str, max_bytes: int, source: str | None = None) -> bytes:
    """The bytes of `path` (a `what`, e.g. “danh mục đơn vị”), at most `max_bytes` of them."""
    source = source or str(path)
    limit = f"{what} không được quá {max_bytes // 1024 // 1024} MB"
    try:
        if not path.exists():
            raise TableError(f"không tìm thấy tệp {what}", where=source)
        if not path.is_file():
            raise TableError("đây không phải là một tệp (có thể là thư mục)", where=source)
        size = path.stat().st_size
        if size > max_bytes:
            raise TableError(f"tệp quá lớn ({size / 1024 / 1024:.1f} MB); {limit}", where=source)
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise TableError(f"không đọc được tệp: {exc.strerror or exc}", where=source) from None
    if len(data) > max_bytes:  # grew after stat, or a device file
        raise TableError(f"tệp quá lớn; {limit}", where=source)
    return data


class Undecodable(ValueError):
    """Bytes that are not UTF-8 text. `reason`: "utf16" (a UTF-16 byte order mark),
    "not_utf8" (an invalid byte) or "nul" (a NUL character); `line` is 1-based, or
    None for "utf16"."""

    def __init__(self, reason: str, line: int | None) -> None:
        self.reason = reason
        self.line = line
        super().__init__(f"{reason} at line {line}")


def utf8_text(raw: bytes) -> str:
    """`raw` decoded as UTF-8, without the BOM Excel and Notepad write; Undecodable otherwise.

    The one decoder of files people hand in (tables, registries, campaign files, text
    attachments); each caller words the refusal for its reader.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Undecodable("utf16", None)
    try:
        # Excel writes a BOM in front of "CSV UTF-8"; it is not part of the first header
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Undecodable("not_utf8", raw[: exc.start].count(b"\n") + 1) from None
    if "\x00" in text:
        # NUL decodes as UTF-8 but ends up in names that PostgreSQL cannot store.
        raise Undecodable("nul", text.count("\n", 0, text.index("\x00")) + 1)
    return text


def decode_utf8(raw: bytes, source: str, *, how: str = CSV_HOW) -> str:
    """`raw` as UTF-8 text without a BOM; TableError naming the line and how to re-save."""
    try:
        return utf8_text(raw)
    except Undecodable as exc:
        if exc.reason == "utf16":
            raise TableError(
                f"tệp đang ở bảng mã UTF-16, không phải UTF-8; {how}", where=source
            ) from None
        if exc.reason == "nul":
            raise TableError(
                "tệp chứa ký tự NUL (byte 0): tệp bị hỏng, hoặc là UTF-16 không có BOM; " + how,
                where=f"{source}:{exc.line}",
            ) from None
        raise TableError(
            f"tệp không phải bảng mã UTF-8 (byte lạ ở dòng {exc.line}; có thể là Windows-1258 "
            f"hoặc TCVN3); {how}",
            where=f"{source}:{exc.line}",
        ) from None


# --- CSV ---------------------------------------------------------------------------


def csv_rows(text: str, source: str, *, score: Callable[[list[str]], int]) -> Iterator[Row]:
    """The records of CSV `text`, with the delimiter whose rows `score` best as a header."""
    try:
        delimiter = sniff_delimiter(text, score)
    except csv.Error as exc:
        raise _csv_error(exc, source) from None
    # strict: an unclosed quote must be an error, not one cell swallowing the next rows
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _csv_error(exc, f"{source}:{start}") from None
        yield Row(cells, start, f"{source}:{start}")
        start = reader.line_num + 1


def _csv_error(exc: csv.Error, where: str) -> TableError:
    """A CSV reading error in Vietnamese, at the line where the bad record starts."""
    detail = str(exc)
    if "field larger than field limit" in detail:
        detail = f"có ô dài quá {csv.field_size_limit()} ký tự"
    elif "unexpected end of data" in detail:
        detail = "hết tệp mà dấu nháy kép chưa đóng"
    elif "expected after" in detail:
        detail = "có dấu nháy kép đặt sai chỗ trong một ô"
    return TableError(
        f'tệp CSV không đọc được ({detail}); kiểm tra các dấu nháy kép “"”', where=where
    )


def sniff_delimiter(text: str, score: Callable[[list[str]], int]) -> str:
    """“,” or, as Excel writes it on Vietnamese Windows (decimal comma), “;” or a tab:
    the one under which some of the first rows `score` highest (known column titles)."""
    best, best_score = ",", -1
    error: csv.Error | None = None
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            head = list(itertools.islice(reader, HEADER_SEARCH))
        except csv.Error as exc:
            error = error or exc
            continue
        found = max((score(row) for row in head), default=0)
        if found > best_score:
            best, best_score = delimiter, found
    if error is not None and best_score <= 0:
        # No delimiter shows a header, and one of them could not even be read: the
        # reading error (an unclosed quote, usually) is the real problem.
        raise error
    return best


# --- XLSX --------------------------------------------------------------------------


@contextmanager
def open_workbook(
    path: Path, source: str, *, max_unpacked: int = MAX_XLSX_UNPACKED_BYTES
) -> Iterator[Any]:
    """A read-only openpyxl workbook, after the zip itself was checked; closed on exit."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        raise TableError(
            f"không phải tệp Excel .xlsx hợp lệ (tệp .xls cũ đổi đuôi?); {_RESAVE_XLSX}",
            where=source,
        ) from None
    if unpacked > max_unpacked:
        # openpyxl would inflate it all into memory: 100 MB of XML is no office list
        raise TableError(
            f"tệp Excel giải nén ra quá lớn ({unpacked // 1024 // 1024} MB, tối đa "
            f"{max_unpacked // 1024 // 1024} MB); một danh sách không thể lớn như vậy",
            where=source,
        )
    if "xl/workbook.xml" not in names:
        # a zip of something else renamed to .xlsx; openpyxl would only say KeyError
        raise TableError(
            f"tệp nén này không phải bảng tính Excel (không có xl/workbook.xml); {_RESAVE_XLSX}",
            where=source,
        )

    import openpyxl

    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it drops; nothing an admin can act on
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise TableError(
            f"không mở được tệp Excel ({type(exc).__name__}); hãy lưu lại dạng .xlsx",
            where=source,
        ) from None
    try:
        yield book
    finally:
        book.close()


def sheet_rows(sheet: Any, source: str, *, max_columns: int) -> Iterator[Row]:
    """The rows of a worksheet, at most `max_columns` cells each (a runaway row is cut)."""
    for number, cells in enumerate(sheet.iter_rows(max_col=max_columns, values_only=True), 1):
        yield Row(list(cells), number, f"{source} (trang “{sheet.title}”, dòng {number})")


# --- one file, one table -----------------------------------------------------------


def read_rows(
    path: Path,
    *,
    what: str,
    max_bytes: int,
    max_columns: int,
    score: Callable[[list[str]], int],
    source: str | None = None,
) -> Generator[Row, None, None]:
    """The rows of a .csv file, or of the first sheet of an .xlsx file.

    Every guard runs before the first row is yielded (so at the first `next`); `what`
    names the file in a size message (“danh sách bản nộp”), `score` finds a CSV's
    delimiter. A caller that stops early calls `close()`, which closes the workbook.
    """
    source = source or str(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise TableError("chỉ nhận tệp .csv hoặc .xlsx", where=source)
    raw = read_bytes(path, what=what, max_bytes=max_bytes, source=source)
    if suffix == ".csv":
        yield from csv_rows(decode_utf8(raw, source), source, score=score)
        return
    with open_workbook(path, source) as book:
        if book.worksheets:
            yield from sheet_rows(book.worksheets[0], source, max_columns=max_columns)
