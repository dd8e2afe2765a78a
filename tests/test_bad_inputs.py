"""The corpus of bad input (tests/bad_inputs/): every case is refused the way an admin needs.

For each file, `thidua validate` must exit 1 without a traceback, print one
Vietnamese line naming the field, the value and the problem (expected.yaml),
and leave the state store untouched. Most cases run in-process through
`thidua.cli.main` for speed; a handful, and the generated huge/deep files that
once killed the process, run as real subprocesses.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
import yaml

from thidua.cli import main
from thidua.config import Settings, set_settings

CORPUS = Path(__file__).parent / "bad_inputs"
VALID_CAMPAIGN = CORPUS / "valid" / "campaign.py"
VALID_REGISTRY = CORPUS / "valid" / "units.yaml"
EXPECTED: dict[str, dict[str, str]] = yaml.safe_load(
    (CORPUS / "expected.yaml").read_text(encoding="utf-8")
)
#: files the loader reads next to a case, not cases of their own
COMPANION_SUFFIXES = (".groups.csv",)
#: a YAML case carries a python tag that would create this file if it were ever run
PYTHON_TAG_MARKER = Path("/tmp/thidua-bad-inputs-python-tag-ran")
STATE_TABLES = ("campaigns", "units", "campaign_units", "actions", "deliveries", "outbox")
_VIETNAMESE = re.compile(
    r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.IGNORECASE
)


def command_for(case: str, path: Path) -> list[str]:
    """The `thidua` arguments that check the corpus file `case` (e.g. "registries/x.csv")."""
    folder = case.split("/", 1)[0]
    if folder == "campaigns":
        return ["validate", str(path)]
    if folder == "registries":
        return ["validate", str(VALID_CAMPAIGN), "--registry", str(path)]
    raise AssertionError(f"no runner for corpus folder {folder!r}; add one to command_for")


def corpus_cases() -> list[str]:
    """Every case file, as a path relative to the corpus (the keys of expected.yaml)."""
    cases = []
    folders = [p for p in CORPUS.iterdir() if p.is_dir() and p.name not in ("valid", "__pycache__")]
    for folder in sorted(f for f in folders if not f.name.startswith(".")):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.endswith(COMPANION_SUFFIXES):
                cases.append(path.relative_to(CORPUS).as_posix())
    return cases


# --- the state store every case must leave alone ---------------------------------------


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose SQLite store is migrated up front, so "no rows" means something."""
    from thidua.db import get_engine, reset_engines

    data_dir = tmp_path_factory.mktemp("bad-inputs-state")
    get_engine(f"sqlite:///{data_dir / 'thidua.db'}")
    reset_engines()
    return data_dir


@pytest.fixture
def settings_in(state_dir: Path) -> Path:
    set_settings(Settings(data_dir=state_dir, registry=VALID_REGISTRY))
    return state_dir


def assert_nothing_stored(data_dir: Path) -> None:
    """No campaign, unit, action, delivery or outbox row; no file but the store and caches."""
    with closing(sqlite3.connect(data_dir / "thidua.db")) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        assert set(STATE_TABLES) <= tables
        for table in STATE_TABLES:
            assert db.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
    assert {p.name for p in data_dir.iterdir()} <= {
        "thidua.db",
        "thidua.db-wal",
        "thidua.db-shm",
        "cache",
    }
    assert not PYTHON_TAG_MARKER.exists()


def assert_reported(case: str, code: int, out: str, err: str, expected: dict[str, str]) -> None:
    """Exit 1, no traceback, and one Vietnamese line carrying every expected fragment."""
    assert code == 1, (out, err)
    assert "Traceback" not in out + err
    assert "✓" not in out and "✗" in err, (out, err)
    wanted = [f"{expected['field']}: " if "field" in expected else None]
    wanted += [expected.get("value"), expected.get("where"), expected["message"]]
    fragments = [w for w in wanted if w]
    lines = [line for line in err.splitlines() if all(f in line for f in fragments)]
    assert lines, f"{case}: no line of the output has all of {fragments}:\n{err}"
    # the fragment is part of the printed line: Vietnamese fragment, Vietnamese message
    assert _VIETNAMESE.search(expected["message"]), expected["message"]
    assert "1/1 tệp có lỗi." in err


def run_in_process(capsys: pytest.CaptureFixture[str], args: list[str]) -> tuple[int, str, str]:
    try:
        code = main(args)
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def run_subprocess(args: list[str], data_dir: Path) -> tuple[int, str, str]:
    exe = Path(sys.executable).with_name("thidua")
    # Only the data dir is configured (a CI database URL would move the store elsewhere);
    # the working directory holds no thidua.toml.
    env = {k: v for k, v in os.environ.items() if not k.startswith("THIDUA_")}
    env |= {"THIDUA_DATA_DIR": str(data_dir), "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run(
        [str(exe), *args],
        cwd=data_dir,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
        check=False,
    )
    return result.returncode, result.stdout, result.stderr


# --- the corpus itself --------------------------------------------------------------------


def test_every_corpus_file_has_an_expectation_and_back() -> None:
    cases = corpus_cases()
    assert sorted(EXPECTED) == cases
    assert len(cases) >= 50
    for case, expected in EXPECTED.items():
        assert set(expected) <= {"field", "value", "where", "message"}, case
        assert "message" in expected and ("field" in expected or "where" in expected), case


def test_the_valid_files_the_cases_break_are_valid(capsys, settings_in: Path) -> None:
    """Each case differs from these in one place: that place is what fails."""
    code, out, err = run_in_process(capsys, ["validate", str(VALID_CAMPAIGN)])
    assert code == 0, err
    assert "✓" in out and "99/KH-KHOLOI" in out


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_corpus_case_is_refused(capsys, settings_in: Path, case: str) -> None:
    code, out, err = run_in_process(capsys, command_for(case, CORPUS / case))
    assert_reported(case, code, out, err, EXPECTED[case])
    assert_nothing_stored(settings_in)


SUBPROCESS_CASES = [
    "campaigns/raises_base_exception.py",
    "campaigns/raises_system_exit.py",
    "campaigns/utf16_source.py",
    "campaigns/two_campaigns.py",
    "registries/billion_laughs.yaml",
    "registries/python_object_tag.yaml",
    "registries/cyclic_supervisors.xlsx",
    "registries/cp1258.csv",
]


@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_corpus_case_is_refused_by_the_real_command(state_dir: Path, case: str) -> None:
    code, out, err = run_subprocess(command_for(case, CORPUS / case), state_dir)
    assert_reported(case, code, out, err, EXPECTED[case])
    assert_nothing_stored(state_dir)


# --- generated cases: too big to commit ------------------------------------------------------


def _huge_campaign(folder: Path) -> Path:
    """A campaign file over the 1 MB limit: a valid campaign padded with a long list."""
    text = VALID_CAMPAIGN.read_text(encoding="utf-8")
    padding = "".join(f"# dòng đệm số {i:07d} của một tệp quá lớn\n" for i in range(30_000))
    path = folder / "huge_campaign.py"
    path.write_text(text.replace('registry="units.yaml"', f'registry="{VALID_REGISTRY}"') + padding)
    return path


def _huge_registry(folder: Path) -> Path:
    """A 6 MB YAML registry, over the 5 MB limit."""
    rows = "".join(
        f"  - {{code: XA-{i}, name: UBND xã số {i}, kind: xa, contacts: [outbox://xa-{i}]}}\n"
        for i in range(90_000)
    )
    path = folder / "huge.yaml"
    path.write_text("name: Tỉnh rất lớn\nunits:\n" + rows, encoding="utf-8")
    return path


def _too_many_rows(folder: Path) -> Path:
    """A CSV under the size limit with more rows than a registry may have."""
    rows = "".join(f"XA-{i},UBND xã {i},xa,outbox://xa-{i}\n" for i in range(50_005))
    path = folder / "too_many_rows.csv"
    path.write_text("Mã đơn vị,Tên đơn vị,Loại,Liên hệ\n" + rows, encoding="utf-8")
    return path


def _deep_yaml(folder: Path) -> Path:
    """100,000 nested lists: this once overflowed libyaml's C stack (segfault, no message)."""
    path = folder / "deep.yaml"
    path.write_text("units: " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    return path


def _wide_csv(folder: Path) -> Path:
    """A header of 100,000 columns: once 100,000 problems and seconds of suggestions."""
    path = folder / "wide.csv"
    path.write_text(",".join(["Mã", "Tên", *(f"cột {i}" for i in range(100_000))]) + "\n")
    return path


GENERATED: dict[str, tuple[Callable[[Path], Path], str, dict[str, str]]] = {
    "huge_campaign": (_huge_campaign, "campaigns", {"where": "huge_campaign.py", "message": "tệp quá lớn (tối đa 1000 KB)"}),
    "huge_registry": (_huge_registry, "registries", {"where": "huge.yaml", "message": "danh mục đơn vị không được quá 5 MB"}),
    "too_many_rows": (_too_many_rows, "registries", {"where": "too_many_rows.csv:50002", "message": "quá 50000 dòng; hãy tách danh mục"}),
    "deep_yaml": (_deep_yaml, "registries", {"where": "deep.yaml:1", "message": "cấu trúc YAML lồng nhau quá 20 cấp"}),
    "wide_csv": (_wide_csv, "registries", {"where": "wide.csv:1", "value": "100002", "message": "dòng tiêu đề có 100002 cột"}),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_case_is_refused_by_the_real_command(
    tmp_path: Path, state_dir: Path, name: str
) -> None:
    make, folder, expected = GENERATED[name]
    path = make(tmp_path)
    case = f"{folder}/{path.name}"
    code, out, err = run_subprocess(command_for(case, path), state_dir)
    assert_reported(case, code, out, err, expected)
    assert_nothing_stored(state_dir)
