"""The README's tour is true: its commands run, and shown output is what they print."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
THIDUA = str(Path(sys.executable).with_name("thidua"))


def console_examples() -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for each `$ .venv/bin/thidua …` line of the README."""
    examples = []
    for block in re.findall(r"```console\n(.*?)```", README, re.S):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("$ "):
                expected = []
                for following in lines[i + 1 :]:
                    if following.startswith("$ "):
                        break
                    expected.append(following)
                examples.append((line[2:], expected))
    return examples


EXAMPLES = console_examples()


def test_readme_has_a_tour() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_console_example(command: str, expected: list[str], tmp_path: Path) -> None:
    command = command.split("#", 1)[0].strip()
    argv = shlex.split(command.split(">", 1)[0])
    assert argv[0] == ".venv/bin/thidua"
    result = subprocess.run(
        [THIDUA, *argv[1:]], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[: len(expected)] == expected


def test_readme_names_the_two_commands_and_ci_runs_the_test_one() -> None:
    assert "scripts/run" in README and "scripts/test" in README
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/test" in ci


def test_every_campaign_file_mentioned_in_the_readme_exists() -> None:
    for name in set(re.findall(r"campaigns/[\w./-]+\.(?:py|yaml)", README)):
        assert (ROOT / name).is_file(), name


def test_core_never_imports_prefect() -> None:
    # Every module of the core's subpackages; alembic's scripts are loaded by alembic.
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in (ROOT / "thidua").rglob("*.py")
        if p.stem != "__main__" and "migrations" not in p.parts
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'prefect'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"
