"""argparse in Vietnamese: every text it prints itself (usage, headings, errors).

argparse looks its messages up through gettext at the moment it prints them
(``argparse._`` and ``argparse.ngettext``), so the `thidua` command installs a
catalogue here instead of shipping a .mo file: nothing English is left in help
pages or usage errors. tests/test_cli_help.py walks every subcommand to keep it so.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

EXIT_USAGE = 2

#: argparse's messages (Python 3.11/3.12) and their Vietnamese.
CATALOGUE: dict[str, str] = {
    "usage: ": "cách dùng: ",
    "positional arguments": "tham số",
    "options": "tùy chọn",
    "optional arguments": "tùy chọn",
    "show this help message and exit": "in hướng dẫn này rồi thoát",
    "show program's version number and exit": "in phiên bản rồi thoát",
    "argument %(argument_name)s: %(message)s": "tham số %(argument_name)s: %(message)s",
    "the following arguments are required: %s": "thiếu tham số bắt buộc: %s",
    "one of the arguments %s is required": "cần một trong các tham số %s",
    "unrecognized arguments: %s": "tham số không hợp lệ: %s",
    "not allowed with argument %s": "không dùng được cùng tham số %s",
    "ignored explicit argument %r": "tham số này không nhận giá trị: %r",
    "expected one argument": "cần một giá trị",
    "expected at most one argument": "cần nhiều nhất một giá trị",
    "expected at least one argument": "cần ít nhất một giá trị",
    "ambiguous option: %(option)s could match %(matches)s": (
        "tùy chọn %(option)s không rõ ràng, có thể là %(matches)s"
    ),
    "unexpected option string: %s": "tùy chọn không mong đợi: %s",
    "invalid %(type)s value: %(value)r": "giá trị không hợp lệ (cần %(type)s): %(value)r",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "lựa chọn không hợp lệ: %(value)r (chọn một trong %(choices)s)"
    ),
    "%(prog)s: error: %(message)s\n": "%(prog)s: lỗi: %(message)s\n",
    "can't open '%(filename)s': %(error)s": "không mở được “%(filename)s”: %(error)s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "không có lệnh %(parser_name)r (chọn một trong: %(choices)s)"
    ),
}
_PLURALS: dict[str, str] = {
    "expected %s argument": "cần %s giá trị",
    "expected %s arguments": "cần %s giá trị",
}


def translate(message: str) -> str:
    return CATALOGUE.get(message, message)


def ntranslate(singular: str, plural: str, n: int) -> str:
    text = singular if n == 1 else plural
    return _PLURALS.get(text, text)


def install() -> None:
    """Make argparse speak Vietnamese in this process (the `thidua` command's)."""
    argparse._ = translate  # type: ignore[attr-defined]
    argparse.ngettext = ntranslate  # type: ignore[attr-defined]


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that speaks Vietnamese; its help option is “-h, --tro-giup, --help”."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        install()
        kwargs["add_help"] = False  # ours below, with the Vietnamese option name
        super().__init__(*args, **kwargs)
        self.add_argument(
            "-h",
            "--tro-giup",
            "--help",
            action="help",
            default=argparse.SUPPRESS,
            help=translate("show this help message and exit"),
        )

    def _get_value(self, action: argparse.Action, arg_string: str) -> Any:
        try:
            return super()._get_value(action, arg_string)
        except argparse.ArgumentError:
            if action.type in (int, float):  # argparse names the type in English
                kind = "số nguyên" if action.type is int else "số"
                raise argparse.ArgumentError(
                    action, f"giá trị “{arg_string}” không hợp lệ: cần {kind}"
                ) from None
            raise

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        text = translate("%(prog)s: error: %(message)s\n")
        self.exit(EXIT_USAGE, text % {"prog": self.prog, "message": message})
