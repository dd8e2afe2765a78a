"""The library's messages name fields in Vietnamese words, never by a command-line flag.

The same error reaches the terminal and the portal's pages; on a page “(--ten)” means
nothing to a commune's clerk. The library's errors carry a field key instead, and the CLI
adds the flag when it prints (`thidua.cli.flags.for_terminal`). The scan below finds the
next message that slips a flag in; the CLI tests check the terminal still names flags.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from thidua.cli.flags import FLAGS, for_terminal
from thidua.errors import NominationError, OutsideWindow, SubmissionError

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "thidua"
FLAG = re.compile(r"(^|[\s(“\"'`])--[a-z]")

#: (file relative to thidua/, the literal's text fragment) → why a flag may appear there.
ALLOWED: dict[tuple[str, str], str] = {
    ("campaign/reference.py", "--check"): (
        "the docs generator's own command line (`python -m thidua.campaign.reference --check`)"
    ),
    ("campaign/explain.py", "dùng --nam"): (
        "the `thidua date` command's explanation, whose only caller is the CLI: it tells the "
        "reader of that command how to ask for a year"
    ),
    ("campaign/loading.py", "--registry"): (
        "a campaign's problems are located by what chose its registry; a registry path is "
        "passed to the loader only by the CLI's --registry (the portal and flows never do)"
    ),
}


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring constants: documentation for developers, not messages."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def flagged_literals(root: Path = PACKAGE) -> list[str]:
    """file:line: text of every string literal outside thidua/cli/ that names a flag."""
    found: list[tuple[str, int, str]] = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith("cli/"):
            continue  # the CLI names its own flags
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                continue
            if id(node) in skip or not FLAG.search(node.value):
                continue
            if any(rel == relative and part in node.value for rel, part in ALLOWED):
                continue
            found.append((relative, node.lineno, node.value))
    return [f"thidua/{rel}:{line}: {text!r}" for rel, line, text in sorted(found)]


def test_no_library_message_names_a_command_line_flag() -> None:
    found = flagged_literals()
    assert not found, "library strings naming a CLI flag:\n" + "\n".join(found)


def test_the_scan_finds_a_flag_in_a_message(tmp_path: Path) -> None:
    """The check can fail: a message with a flag, in f-strings and plain strings, is found."""
    (tmp_path / "cli").mkdir()
    (tmp_path / "cli" / "ok.py").write_text('X = "thiếu tên (--ten)"\n', encoding="utf-8")
    (tmp_path / "bad.py").write_text(
        '"""Module doc naming --ten is fine."""\n'
        'def f(x):\n    raise ValueError(f"thiếu tên (--ten) {x}")\n'
        'Y = "dùng --thay-the để thay thế"\n'
        'Z = "a - b --- c; 2026--Q1"\n',
        encoding="utf-8",
    )
    found = flagged_literals(tmp_path)
    assert [line.split(": ")[0] for line in found] == ["thidua/bad.py:3", "thidua/bad.py:4"]


def test_every_allowance_still_matches_something() -> None:
    """A reason kept for a string that is gone would hide the next one."""
    for relative, part in ALLOWED:
        assert part in (PACKAGE / relative).read_text(encoding="utf-8"), (relative, part)


@pytest.mark.parametrize(
    ("error", "printed"),
    [
        (
            NominationError("thiếu tên đối tượng được đề nghị", field="nominee_name"),
            "thiếu tên đối tượng được đề nghị (--ten)",
        ),
        (
            NominationError(
                "đề nghị cho cá nhân “An” cần ghi chức vụ và đơn vị công tác",
                field="position",
                also=["workplace"],
            ),
            "đề nghị cho cá nhân “An” cần ghi chức vụ và đơn vị công tác (--chuc-vu, --noi-cong-tac)",
        ),
        (
            NominationError(
                "hồ sơ chưa đủ, còn thiếu 1 tài liệu:\n  1. Tờ trình", field="documents"
            ),
            'hồ sơ chưa đủ, còn thiếu 1 tài liệu:\n  1. Tờ trình\n(nộp mỗi tài liệu bằng --tai-lieu "TÊN hoặc SỐ=ĐƯỜNG-DẪN")',
        ),
        (NominationError("không có hồ sơ đề nghị số 7"), "không có hồ sơ đề nghị số 7"),
        (
            SubmissionError.combine(
                [
                    SubmissionError("mốc không có kỳ “X”", field="occurrence", value="X"),
                    SubmissionError("tệp “a.pdf”: không tìm thấy tệp", field="files"),
                ]
            ),
            "mốc không có kỳ “X” (--ky); tệp “a.pdf”: không tìm thấy tệp",
        ),
    ],
)
def test_the_cli_names_the_flag_of_the_field(error: Exception, printed: str) -> None:
    assert isinstance(error, SubmissionError | NominationError)
    assert "--" not in str(error)  # the library's own wording: no flag
    assert for_terminal(error) == printed


def test_outside_window_keeps_its_submission_field_as_a_nomination_error() -> None:
    """Both parents set `field`: the submission ledger's must survive the nomination's."""
    error = OutsideWindow("đã quá thời hạn", field="submitted_at", value="x")
    assert isinstance(error, NominationError) and isinstance(error, SubmissionError)
    assert (error.field, error.value, error.fields) == ("submitted_at", "x", ("submitted_at",))
    assert for_terminal(error) == "đã quá thời hạn (--luc)"


def test_every_field_key_a_nomination_error_carries_has_a_flag() -> None:
    """The keys the ledger sets (scanned from its source) are all in the CLI's table."""
    used: set[str] = set()
    for path in (PACKAGE / "ledger").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in {
                "NominationError",
                "IncompleteDossier",
            }:
                for kw in node.keywords:
                    if kw.arg == "field" and isinstance(kw.value, ast.Constant):
                        used.add(kw.value.value)
    assert used, "no field key found: the scan is broken"
    assert used <= set(FLAGS), used - set(FLAGS)
