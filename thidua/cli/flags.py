"""How a library error is printed on the terminal: its message, then the flag to fix it.

The library's messages name a field in Vietnamese words only (the portal shows them to
a unit's clerk, for whom “--ten” means nothing); the error carries the field's stable
key. This module is the one place that knows which command-line flag sets which field,
and `for_terminal` the one function that adds it: “thiếu tên đối tượng được đề nghị
(--ten)”. Instructions that only make sense on the command line (how to pass a dossier
document, how to ask for a replacement) are added here too, never in the library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from thidua.errors import InputError, SubmissionError, ValidationFailed

if TYPE_CHECKING:
    from thidua.errors import ThiduaError

#: field key (as the library's errors carry it) → the flag that sets it, the same in
#: every command that has the field (`nominate`, `nomination …`, `submit`, `status`,
#: `report`, `nominations`).
FLAGS: dict[str, str] = {
    "nominee_name": "--ten",
    "achievement": "--thanh-tich",
    "nominee_kind": "--loai",
    "position": "--chuc-vu",
    "workplace": "--noi-cong-tac",
    "award": "--hinh-thuc",
    "documents": "--tai-lieu",
    "reason": "--ly-do",
    "unit": "--don-vi",
    "milestone": "--moc",
    "occurrence": "--ky",
    "submitted_at": "--luc",
    "state": "--trang-thai",
    "status": "--trang-thai",
    "group": "--nhom",
    "period": "--ky",
    "out_dir": "--out",
    "export_path": "--xuat-xlsx",
    # not a field: the choice to replace what a unit already submitted
    "replace": "--thay-the",
}

#: what a dossier document looks like on the command line, after any error about one
HOW_TO_GIVE_DOCUMENTS = '(nộp mỗi tài liệu bằng --tai-lieu "TÊN hoặc SỐ=ĐƯỜNG-DẪN")'


def _fields(error: ThiduaError) -> tuple[str, ...]:
    if isinstance(error, InputError) and error.fields:
        return error.fields
    field = getattr(error, "field", None)
    return (field,) if isinstance(field, str) and field else ()


def _one(error: ThiduaError, message: str) -> str:
    from thidua.ledger.duplicates import DuplicateSubmission

    # A valid input refused because the unit already submitted: the message says to choose
    # replacing, so the flag shown is the one that does it, not the flag of the unit.
    fields = ("replace",) if isinstance(error, DuplicateSubmission) else _fields(error)
    if "documents" in fields:
        separator = "\n" if "\n" in message else " "
        return f"{message}{separator}{HOW_TO_GIVE_DOCUMENTS}"
    flags = [FLAGS[f] for f in fields if f in FLAGS]
    return f"{message} ({', '.join(flags)})" if flags else message


def for_terminal(error: ThiduaError) -> str:
    """The error as the CLI prints it: the library's message with the flags that set the
    fields at fault (each of several combined errors with its own)."""
    from thidua.ledger.imports import RowsRefused

    if isinstance(error, ValidationFailed):
        text = error.render()
        if isinstance(error, RowsRefused) and error.already_recorded:
            text += f"\n(thay thế các bản đã ghi nhận: {FLAGS['replace']})"
        return text
    if isinstance(error, SubmissionError) and len(error.errors) > 1:
        return "; ".join(_one(e, e.message) for e in error.errors)
    return _one(error, str(error))
