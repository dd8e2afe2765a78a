"""The corpus of bad input (tests/bad_inputs/): every case is refused the way an admin needs.

For each campaign or registry file, `thidua validate` must exit 1 without a
traceback, print one Vietnamese line naming the field, the value and the problem
(expected.yaml), and leave the state store untouched. Submissions and
nominations cases run `thidua submit`, `import-submissions`, `nominate` or
`nomination …` instead, some after a valid setup recorded through the same
commands, and must leave the recorded submissions, nominations, their events and
stored files exactly as the setup left them. Most cases run in-process through
`thidua.cli.main` for speed; a handful, and the generated huge/deep files that
once killed the process, run as real subprocesses.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from thidua.cli.main import main
from thidua.config import Settings, set_settings

CORPUS = Path(__file__).parent / "bad_inputs"
VALID_CAMPAIGN = CORPUS / "valid" / "campaign.py"
VALID_REGISTRY = CORPUS / "valid" / "units.yaml"
CAMPAIGNS = Path(__file__).resolve().parent.parent / "campaigns"
EXPECTED: dict[str, dict[str, str]] = yaml.safe_load(
    (CORPUS / "expected.yaml").read_text(encoding="utf-8")
)
#: files the loader reads next to a case, not cases of their own
COMPANION_SUFFIXES = (".groups.csv",)
#: folders whose cases run against the state store (submissions and nominations)
STORE_FOLDERS = ("submissions", "nominations")
#: `thidua import-submissions` runs the files of these folders against these campaigns
IMPORT_CAMPAIGNS = {
    "submissions/import": "VD-01/KH-UBND",
    "submissions/import-2023": "75NAM-TDAQ/KH-UBND",
}
#: each file of submissions/attach/ is handed in with this otherwise valid submission
ATTACH_COMMAND = [
    "submit", "VD-01/KH-UBND", "--don-vi", "SGDDT", "--moc", "bao-cao-nam", "--ky", "2026",
    "--luc", "16/11/2026 09:00", "--tep",
]  # fmt: skip
#: a YAML case carries a python tag that would create this file if it were ever run
PYTHON_TAG_MARKER = Path("/tmp/thidua-bad-inputs-python-tag-ran")
STATE_TABLES = ("campaigns", "units", "campaign_units", "actions", "deliveries", "outbox")
_VIETNAMESE = re.compile(
    r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.IGNORECASE
)


@dataclass(frozen=True)
class StoreCase:
    """A submissions or nominations case: valid commands to run first, then the bad one."""

    setup: list[list[str]]
    run: list[str]


def _expand(args: list[Any], tmp: Path) -> list[str]:
    """Arguments of a case file with {corpus} and {tmp} (a folder holding nothing) filled in."""
    return [str(a).format(corpus=CORPUS, tmp=tmp) for a in args]


def store_case(case: str, path: Path, tmp: Path) -> StoreCase:
    """The commands of a submissions/nominations case (a file to import or attach, or a YAML)."""
    folder = case.rsplit("/", 1)[0]
    if folder in IMPORT_CAMPAIGNS:
        return StoreCase([], ["import-submissions", IMPORT_CAMPAIGNS[folder], str(path)])
    if folder == "submissions/attach":
        return StoreCase([], [*ATTACH_COMMAND, str(path)])
    if folder in ("submissions/commands", "nominations"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert set(data) <= {"setup", "run"} and data.get("run"), case
        return StoreCase(
            [_expand(a, tmp) for a in data.get("setup") or []], _expand(data["run"], tmp)
        )
    raise AssertionError(f"no runner for corpus folder {folder!r}; add one to store_case")


def command_for(case: str, path: Path, tmp: Path | None = None) -> list[str]:
    """The `thidua` arguments that check the corpus file `case` (e.g. "registries/x.csv").

    For submissions and nominations, only the bad command: `store_case` has its setup.
    """
    folder = case.split("/", 1)[0]
    if folder in ("campaigns", "several"):
        return ["validate", str(path)]
    if folder == "registries":
        return ["validate", str(VALID_CAMPAIGN), "--registry", str(path)]
    if folder in STORE_FOLDERS:
        return store_case(case, path, tmp or CORPUS / "no-such-folder").run
    raise AssertionError(f"no runner for corpus folder {folder!r}; add one to command_for")


def _is_case(path: Path) -> bool:
    """Not a companion: valid inputs of setups (valid/), generator scripts (make_*.py)."""
    parts = path.relative_to(CORPUS).parts
    return (
        path.is_file()
        and not path.name.endswith(COMPANION_SUFFIXES)
        and "valid" not in parts
        and "__pycache__" not in parts
        and not (path.name.startswith("make_") and path.suffix == ".py")
    )


def corpus_cases() -> list[str]:
    """Every case file, as a path relative to the corpus (the keys of expected.yaml)."""
    cases = []
    folders = [p for p in CORPUS.iterdir() if p.is_dir() and p.name not in ("valid", "__pycache__")]
    for folder in sorted(f for f in folders if not f.name.startswith(".")):
        for path in sorted(folder.rglob("*")):
            if _is_case(path):
                cases.append(path.relative_to(CORPUS).as_posix())
    return sorted(cases)


def _validate_cases() -> list[str]:
    return sorted(c for c in EXPECTED if c.split("/", 1)[0] not in STORE_FOLDERS)


def _store_cases() -> list[str]:
    return sorted(c for c in EXPECTED if c.split("/", 1)[0] in STORE_FOLDERS)


# --- the state store every case must leave alone ---------------------------------------


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose SQLite store is migrated up front, so "no rows" means something."""
    from thidua.store.db import get_engine, reset_engines

    data_dir = tmp_path_factory.mktemp("bad-inputs-state")
    get_engine(f"sqlite:///{data_dir / 'thidua.store.db'}")
    reset_engines()
    return data_dir


@pytest.fixture
def settings_in(state_dir: Path) -> Path:
    set_settings(Settings(data_dir=state_dir, registry=VALID_REGISTRY))
    return state_dir


def assert_nothing_stored(data_dir: Path) -> None:
    """No campaign, unit, action, delivery or outbox row; no file but the store and caches."""
    with closing(sqlite3.connect(data_dir / "thidua.store.db")) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        assert set(STATE_TABLES) <= tables
        for table in STATE_TABLES:
            assert db.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
    assert {p.name for p in data_dir.iterdir()} <= {
        "thidua.store.db",
        "thidua.store.db-wal",
        "thidua.store.db-shm",
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
        if case.startswith("several/"):
            assert set(expected) == {"errors", "problems"}, case
            assert expected["errors"] >= len(expected["problems"]) >= 2, case
            continue
        assert set(expected) <= {"field", "value", "where", "message"}, case
        assert "message" in expected and ("field" in expected or "where" in expected), case


def test_the_valid_files_the_cases_break_are_valid(capsys, settings_in: Path) -> None:
    """Each case differs from these in one place: that place is what fails."""
    code, out, err = run_in_process(capsys, ["validate", str(VALID_CAMPAIGN)])
    assert code == 0, err
    assert "✓" in out and "99/KH-KHOLOI" in out


@pytest.mark.parametrize("case", [c for c in _validate_cases() if not c.startswith("several/")])
def test_corpus_case_is_refused(capsys, settings_in: Path, case: str) -> None:
    code, out, err = run_in_process(capsys, command_for(case, CORPUS / case))
    assert_reported(case, code, out, err, EXPECTED[case])
    assert_nothing_stored(settings_in)


@pytest.mark.parametrize("case", [c for c in _validate_cases() if c.startswith("several/")])
def test_every_mistake_of_a_file_is_reported_in_one_pass(
    capsys, settings_in: Path, case: str
) -> None:
    """Mistakes of different stages at once: each on its line, with file:line, none made up."""
    code, out, err = run_in_process(capsys, command_for(case, CORPUS / case))
    expected = EXPECTED[case]
    assert f"{expected['errors']} lỗi" in err.splitlines()[0], err
    items = [line for line in err.splitlines() if line.startswith("  - ")]
    assert len(items) == expected["errors"], err
    # every problem names a line of the file, not only the file
    assert all(re.match(r"  - \S+\.py:\d+: ", line) for line in items), err
    for problem in expected["problems"]:
        assert_reported(case, code, out, err, problem)
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
    "too_many_rows": (_too_many_rows, "registries", {"where": "too_many_rows.csv:50002", "message": "giới hạn hiện tại THIDUA_REGISTRY_MAX_UNITS = 50000; hãy tách danh mục"}),
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


# --- submissions and nominations: refused, and the store as the setup left it ---------------

#: the runs a subprocess also makes (the real console script, its encoding and exit code)
STORE_SUBPROCESS_CASES = [
    "submissions/import/cp1258.csv",
    "submissions/import/figure_with_letters.xlsx",
    "submissions/attach/bao_cao.exe",
    "submissions/commands/import_twice.yaml",
    "nominations/huge_id.yaml",
    "nominations/over_quota.yaml",
]


@pytest.fixture(scope="module")
def migrated_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite store to copy per case: one migration for the whole corpus."""
    from thidua.store.db import get_engine, reset_engines

    folder = tmp_path_factory.mktemp("bad-inputs-store")
    get_engine(f"sqlite:///{folder / 'thidua.store.db'}")
    reset_engines()
    return folder / "thidua.store.db"


def _store_settings(data_dir: Path) -> Any:
    from thidua.config import Settings

    return Settings(data_dir=data_dir, campaigns_dir=CAMPAIGNS, registry=CAMPAIGNS / "units.yaml")


@pytest.fixture
def store_dir(tmp_path: Path, migrated_store: Path) -> Iterator[Path]:
    """A data dir of its own (the shipped campaigns, a fresh store) for one case."""
    from thidua.store.db import reset_engines

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copyfile(migrated_store, data_dir / "thidua.store.db")
    set_settings(_store_settings(data_dir))
    yield data_dir
    reset_engines()  # the case's SQLite file goes with its tmp dir


def store_snapshot(data_dir: Path) -> dict[str, Any]:
    """Every recorded submission, nomination and event (key columns) and every stored file."""
    with closing(sqlite3.connect(data_dir / "thidua.store.db")) as db:
        snapshot: dict[str, Any] = {
            "submissions": db.execute(
                "SELECT id, campaign_code, milestone, occurrence, unit_code, submitted_at, "
                "recorded_at, figures, files FROM submissions ORDER BY id"
            ).fetchall(),
            "nominations": db.execute(
                "SELECT id, unit_code, nominee_name, status, documents FROM nominations ORDER BY id"
            ).fetchall(),
            "nomination_events": db.execute(
                "SELECT id, nomination_id, from_status, to_status, reason FROM nomination_events "
                "ORDER BY id"
            ).fetchall(),
        }
    files = data_dir / "files"
    snapshot["files"] = sorted(
        (p.relative_to(data_dir).as_posix(), p.stat().st_size)
        for p in (files.rglob("*") if files.exists() else [])
        if p.is_file()
    )
    return snapshot


def error_messages(err: str) -> list[str]:
    """The messages of the output: “lỗi: …” (continued on indented lines) or “  - …” items."""
    messages: list[str] = []
    for line in err.splitlines():
        if not messages or line.startswith(("lỗi: ", "  - ")):
            messages.append(line)
        else:
            messages[-1] += "\n" + line
    return messages


def assert_refused(case: str, code: int, out: str, err: str, expected: dict[str, str]) -> None:
    """Exit 1, no traceback, nothing printed as done, one message carrying every fragment."""
    assert code == 1, (out, err)
    assert "Traceback" not in out + err
    assert out == "", f"{case}: a refused command printed a result:\n{out}"
    fragments = [expected.get(k) for k in ("field", "value", "where", "message")]
    fragments = [f for f in fragments if f]
    found = [m for m in error_messages(err) if all(f in m for f in fragments)]
    assert found, f"{case}: no message of the output has all of {fragments}:\n{err}"
    assert _VIETNAMESE.search(expected["message"]), expected["message"]


def run_setup(capsys: pytest.CaptureFixture[str], case: str, setup: list[list[str]]) -> None:
    """The valid commands a case starts from; each must succeed."""
    for args in setup:
        code, out, err = run_in_process(capsys, args)
        assert code == 0, f"{case}: setup {args[:2]} failed:\n{out}{err}"


def run_store_subprocess(args: list[str], data_dir: Path) -> tuple[int, str, str]:
    """The real `thidua` with the case's data dir and the shipped campaigns."""
    exe = Path(sys.executable).with_name("thidua")
    env = {k: v for k, v in os.environ.items() if not k.startswith("THIDUA_")}
    env |= {
        "THIDUA_DATA_DIR": str(data_dir),
        "THIDUA_CAMPAIGNS_DIR": str(CAMPAIGNS),
        "THIDUA_REGISTRY": str(CAMPAIGNS / "units.yaml"),
        "PYTHONIOENCODING": "utf-8",
    }
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


def test_store_cases_cover_the_issue() -> None:
    """At least 30 submissions and nominations cases, every runner folder used."""
    cases = _store_cases()
    assert len(cases) >= 30
    folders = {c.rsplit("/", 1)[0] for c in cases}
    assert folders == {
        *IMPORT_CAMPAIGNS,
        "submissions/attach",
        "submissions/commands",
        "nominations",
    }


@pytest.mark.parametrize("case", _store_cases())
def test_store_case_is_refused_and_changes_nothing(
    capsys, store_dir: Path, tmp_path: Path, case: str
) -> None:
    steps = store_case(case, CORPUS / case, tmp_path / "missing")
    run_setup(capsys, case, steps.setup)
    before = store_snapshot(store_dir)
    if steps.setup:  # the setup recorded something: "unchanged" is not "still empty"
        assert any(before.values()), case
    code, out, err = run_in_process(capsys, steps.run)
    assert_refused(case, code, out, err, EXPECTED[case])
    assert store_snapshot(store_dir) == before


@pytest.mark.parametrize("case", STORE_SUBPROCESS_CASES)
def test_store_case_is_refused_by_the_real_command(
    capsys, store_dir: Path, tmp_path: Path, case: str
) -> None:
    steps = store_case(case, CORPUS / case, tmp_path / "missing")
    run_setup(capsys, case, steps.setup)
    before = store_snapshot(store_dir)
    code, out, err = run_store_subprocess(steps.run, store_dir)
    assert_refused(case, code, out, err, EXPECTED[case])
    assert store_snapshot(store_dir) == before


def _import_100k_rows(folder: Path) -> Path:
    """A 5 MB CSV of 100,000 submissions: under the size limit, over the row limit."""
    rows = "".join(
        f"{i},XA-{i},UBND xã {i},bao-cao-nam,2026,16/11/2026 09:00,\n" for i in range(100_000)
    )
    path = folder / "import_100k_rows.csv"
    path.write_text("STT,Mã đơn vị,Tên đơn vị,Mốc,Kỳ,Thời điểm nộp,Ghi chú\n" + rows, "utf-8")
    return path


def test_an_import_of_100000_rows_is_refused_by_the_real_command(
    store_dir: Path, tmp_path: Path
) -> None:
    path = _import_100k_rows(tmp_path)
    before = store_snapshot(store_dir)
    code, out, err = run_store_subprocess(
        ["import-submissions", "VD-01/KH-UBND", str(path)], store_dir
    )
    expected = {
        "where": "tệp import_100k_rows.csv",
        "value": "20000",
        "message": "có quá 20000 dòng; hãy tách ra",
    }
    assert_refused("import_100k_rows.csv", code, out, err, expected)
    assert store_snapshot(store_dir) == before
