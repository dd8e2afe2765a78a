"""Every page of `thidua … --help` is Vietnamese, every option explained and named twice.

The walk covers every subcommand (nested ones included) as built by the real parser,
so a new command or option that forgets its help text, its Vietnamese or English
flag name, or lets argparse's English through fails here.
"""

from __future__ import annotations

import argparse
import subprocess

import pytest

from thidua.cli.main import build_parser, main

from .serving import THIDUA, clean_env

#: argparse's own English, as it would appear in a help page or a usage error.
ENGLISH = (
    "usage:",
    "options:",
    "optional arguments",
    "positional arguments",
    "show this help message",
    "show program's version",
    "error:",
    "invalid choice",
    "the following arguments",
    "argument ",
    "expected one",
    "unrecognized",
)


def all_parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    found: list[tuple[str, argparse.ArgumentParser]] = []

    def walk(name: str, parser: argparse.ArgumentParser) -> None:
        found.append((name, parser))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub, child in action.choices.items():
                    walk(f"{name} {sub}".strip(), child)

    walk("", build_parser())
    return found


PARSERS = all_parsers()


def test_every_command_is_walked() -> None:
    names = {name for name, _ in PARSERS}
    assert {"plan", "simulate", "serve", "pause", "status", "nomination history"} <= names
    assert len(PARSERS) > 20


@pytest.mark.parametrize(("name", "parser"), PARSERS, ids=[n or "thidua" for n, _ in PARSERS])
def test_help_page_is_vietnamese_and_complete(name: str, parser: argparse.ArgumentParser) -> None:
    page = parser.format_help() + parser.format_usage()
    for english in ENGLISH:
        assert english not in page, f"thidua {name}: {english!r} in\n{page}"
    assert "cách dùng:" in page
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            continue
        label = "/".join(action.option_strings) or action.dest
        assert action.help and action.help != argparse.SUPPRESS, f"thidua {name} {label}: no help"
        if not action.option_strings:
            continue
        longs = [o for o in action.option_strings if o.startswith("--")]
        # A Vietnamese and an English name, e.g. --don-vi / --unit.
        assert len(longs) >= 2, f"thidua {name} {label}: needs a Vietnamese and an English name"
        takes_value = action.nargs != 0 and not isinstance(
            action, argparse._StoreConstAction | argparse._HelpAction
        )
        if takes_value and action.choices is None:
            # Without a metavar argparse shows the English dest in capitals (YEAR).
            assert action.metavar, f"thidua {name} {label}: no metavar"


@pytest.mark.parametrize(
    "argv",
    [
        ["plan"],
        ["plan", "--dinh-dang", "xml", "x.py"],
        ["date", "--nam", "hai", "quý IV"],
        ["khong-co-lenh"],
        ["status", "641/KH-UBND", "--khong-co"],
        ["simulate"],
    ],
)
def test_usage_errors_are_vietnamese(capsys, argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    _, err = capsys.readouterr()
    assert "lỗi:" in err and "cách dùng:" in err
    for english in ENGLISH:
        assert english not in err, f"{english!r} in {err}"


def test_version_and_help_in_a_subprocess() -> None:
    env = clean_env()
    version = subprocess.run([THIDUA, "--version"], capture_output=True, text=True, env=env)
    assert version.returncode == 0 and version.stdout.startswith("thidua ")
    page = subprocess.run(
        [THIDUA, "simulate", "--tro-giup"], capture_output=True, text=True, env=env
    )
    assert page.returncode == 0 and "--tu-hom-nay, --from-today" in page.stdout
    assert not any(english in page.stdout for english in ENGLISH)
