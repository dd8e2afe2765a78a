"""The one clock: THIDUA_NOW freezes it for tests, loudly; a bad value is refused by name."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from thidua import clock
from thidua.errors import SettingsError


def test_wall_clock_without_the_variable(monkeypatch) -> None:
    monkeypatch.delenv(clock.ENV, raising=False)
    before = datetime.now(UTC)
    got = clock.now()
    assert before <= got <= datetime.now(UTC) and got.tzinfo is not None
    assert clock.virtual_now() is None


def test_thidua_now_freezes_the_clock_and_warns(monkeypatch, capsys) -> None:
    monkeypatch.setenv(clock.ENV, "2026-02-07T10:00+07:00")
    monkeypatch.setattr(clock, "_warned", set())
    assert clock.now() == datetime(2026, 2, 7, 3, 0, tzinfo=UTC)
    assert clock.now() == clock.now()  # frozen, not advancing
    err = capsys.readouterr().err
    assert err.count("CẢNH BÁO: đồng hồ giả lập THIDUA_NOW=2026-02-07T10:00+07:00") == 1


@pytest.mark.parametrize(
    ("raw", "says"),
    [("2026-02-07T10:00", "thiếu múi giờ"), ("thứ Bảy", "cần một thời điểm ISO 8601")],
)
def test_a_bad_value_is_refused_by_name(monkeypatch, raw: str, says: str) -> None:
    monkeypatch.setenv(clock.ENV, raw)
    with pytest.raises(SettingsError) as exc:
        clock.now()
    assert f"biến môi trường THIDUA_NOW = “{raw}” không hợp lệ" in str(exc.value)
    assert says in str(exc.value)


ROOT = Path(__file__).resolve().parent.parent
#: Wall-clock reads that decide nothing about passed / caught up / deferred / late:
#: timestamps of records and files, an example year in an error message, the date a
#: report is dated. Anything else must read thidua.clock.now().
WALL_CLOCK_ALLOWED = {
    "thidua/clock.py": 2,  # the clock itself (and its docstring)
    "thidua/store/models.py": 1,  # utcnow(): created_at / updated_at / recorded_at of records
    "thidua/campaign/plan_output.py": 1,  # a file name's time stamp
    "thidua/dates/phrases.py": 1,  # the year in a "ví dụ" of an error message
    "thidua/cli/reports.py": 1,  # the date a report is signed
    "tasks/reports.py": 1,  # the date a report is signed
    "tasks/alerts.py": 1,  # when a failure was recorded
    "flows/submission_form.py": 1,  # a run's name
    "notifications/outbox.py": 1,  # a stored message's time stamp
}
_WALL = re.compile(r"\b(?:datetime\.now|date\.today|datetime\.utcnow|time\.time)\(")


def test_no_other_code_reads_the_wall_clock() -> None:
    """Decisions go through thidua.clock, so THIDUA_NOW reaches every one of them."""
    found: dict[str, int] = {}
    for folder in ("thidua", "flows", "tasks", "notifications", "campaigns"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            count = len(_WALL.findall(path.read_text(encoding="utf-8")))
            if count:
                found[path.relative_to(ROOT).as_posix()] = count
    extra = {k: v for k, v in found.items() if v > WALL_CLOCK_ALLOWED.get(k, 0)}
    assert not extra, f"read the time through thidua.clock.now(), not the wall clock: {extra}"


def test_a_worker_with_a_bad_clock_stops_before_touching_anything(monkeypatch, capsys) -> None:
    """`thidua worker` refuses a malformed THIDUA_NOW at once, by name, without a traceback."""
    from thidua.cli.main import main

    monkeypatch.setenv(clock.ENV, "28/03/2026 07:00")
    monkeypatch.setenv("THIDUA_PREFECT_API_URL", "http://127.0.0.1:9/api")  # never reached
    assert main(["worker"]) == 1
    err = capsys.readouterr().err
    assert "biến môi trường THIDUA_NOW = “28/03/2026 07:00” không hợp lệ" in err
    assert "Traceback" not in err and "Prefect" not in err
