"""Registration (đăng ký thi đua): units register commitments and target levels at the start
of the year, as a submission; the board and the report show them next to the results."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from thidua.board.build import build_board
from thidua.board.read import read_rows
from thidua.campaign.kinds import MilestoneKind, Requirement
from thidua.campaign.loading import load_campaign
from thidua.campaign.plan import compile_plan
from thidua.documents.facts import gather_facts
from thidua.documents.layout import to_markdown
from thidua.documents.period import Period, ReportKind
from thidua.documents.report import build_report
from thidua.ledger.registration import commitments, parse_registered
from thidua.store.db import session_scope
from thidua.store.models import Submission

from .submission_fixtures import run

CODE = "8/KH-DANGKY"
#: Everything in 2024, so no submission time in these tests is in the future.
REGISTRATION_CAMPAIGN = """\
from thidua import *

campaign = Campaign(
    code="8/KH-DANGKY",
    title="Phong trào thi đua có đăng ký năm 2024",
    issuer="UBND tỉnh",
    issued="ngày 02/01/2024",
    period="năm 2024",
    organizer="BTDKT",
    registry="units.yaml",
    participants=Participants(groups=["KHOI-A", "CUM-X"]),
    targets=[
        Target(
            code="sang-kien", description="100% cán bộ có ít nhất 01 sáng kiến",
            numerator="Số cán bộ có sáng kiến", denominator="Tổng số cán bộ", goal="100%",
            per="mỗi năm",
        ),
        Target(code="mo-hinh", description="Ít nhất 02 mô hình mới", numerator="Số mô hình", goal=2),
    ],
    milestones=[
        Milestone(kind="phát động", when="ngày 02/01/2024"),
        Milestone(kind="đăng ký thi đua", id="dang-ky", when="chậm nhất ngày 31/01/2024"),
        Milestone(
            kind="báo cáo", id="so-lieu", submit="số liệu chỉ tiêu", when="chậm nhất ngày 10/12/2024"
        ),
    ],
)
"""


@pytest.fixture
def campaign_file(write_campaign) -> Path:
    return write_campaign(text=REGISTRATION_CAMPAIGN, name="dang_ky.py")


@pytest.fixture
def store(fresh_db: Engine, tmp_path: Path, campaign_file: Path) -> Engine:
    from thidua.config import Settings, set_settings

    path = campaign_file
    url = fresh_db.url.render_as_string(hide_password=False)
    set_settings(
        Settings(
            data_dir=tmp_path / "data",
            campaigns_dir=path.parent,
            registry=path.parent / "units.yaml",
            database_url=url,
        )
    )
    return fresh_db


def register(capsys, unit: str, *figures: str, note: str = "", at: str = "15/01/2024 09:00"):
    args = ["submit", CODE, "--don-vi", unit, "--moc", "dang-ky", "--luc", at]
    for figure in figures:
        args += ["--so-lieu", figure]
    return run(capsys, *args, *(["--ghi-chu", note] if note else []))


def stored(engine: Engine) -> dict[str, Submission]:
    with session_scope(engine) as session:
        rows = session.exec(select(Submission).where(Submission.campaign_code == CODE)).all()
        return {f"{r.unit_code}/{r.milestone}": r for r in rows}


def test_registration_is_a_milestone_kind_written_in_vietnamese(campaign_file: Path) -> None:
    loaded = load_campaign(campaign_file)
    m = loaded.spec.milestone("dang-ky")
    assert m.kind is MilestoneKind.REGISTRATION and m.requirement is Requirement.REGISTRATION
    plan = compile_plan(loaded.spec, loaded.registry)
    assert any(a.milestone == "dang-ky" for a in plan.actions)


def test_a_unit_registers_its_levels_and_commitments(capsys, store: Engine) -> None:
    code, out, err = register(
        capsys, "SO-A", "sang-kien=90%", "mo-hinh=3",
        note="Tập thể lao động xuất sắc\nCờ thi đua của UBND tỉnh",
    )  # fmt: skip
    assert code == 0, err
    assert "Đã ghi nhận" in out and "bản đăng ký thi đua" in out
    row = stored(store)["SO-A/dang-ky"]
    assert row.requirement == "registration"
    assert row.figures == {"sang-kien": {"registered": 0.9}, "mo-hinh": {"registered": 3}}
    assert commitments(row.note) == ("Tập thể lao động xuất sắc", "Cờ thi đua của UBND tỉnh")


def test_bad_levels_are_refused_all_at_once_and_nothing_is_stored(capsys, store: Engine) -> None:
    code, out, err = register(capsys, "SO-A", "sang-kien=90", "mo-hinh=50%", "khong-co=1")
    assert code == 1 and not out
    assert "mức đăng ký chỉ tiêu “sang-kien” là tỉ lệ" in err and "“90%”" in err
    assert "mức đăng ký chỉ tiêu “mo-hinh” là số lượng" in err
    assert "không có chỉ tiêu “khong-co”" in err
    assert stored(store) == {}


@pytest.mark.parametrize(
    ("raw", "ratio", "level"),
    [
        ("90%", True, 0.9),
        ("0,9", True, 0.9),
        (0.5, True, 0.5),
        ("12", False, 12.0),
        (3, False, 3.0),
    ],
)
def test_a_level_is_a_rate_for_a_ratio_and_a_number_for_a_count(raw, ratio, level) -> None:
    from thidua.campaign.spec import Target

    target = Target(
        code="t", description="x", numerator="n", denominator="d" if ratio else None, goal=1
    )
    assert parse_registered(target, raw) == pytest.approx(level)


def test_the_board_shows_the_registered_level_next_to_the_result(
    capsys, store: Engine, campaign_file: Path
) -> None:
    assert register(capsys, "SO-A", "sang-kien=90%", "mo-hinh=3")[0] == 0
    assert register(capsys, "XA-1", "sang-kien=80%")[0] == 0
    figures = ["--so-lieu", "sang-kien=15/20", "--so-lieu", "mo-hinh=2"]
    args = ["submit", CODE, "--don-vi", "SO-A", "--moc", "so-lieu", "--luc", "05/12/2024 10:00"]
    assert run(capsys, *args, *figures)[0] == 0

    loaded = load_campaign(campaign_file)
    plan = compile_plan(loaded.spec, loaded.registry)
    spec = loaded.spec
    try:  # the store's rows by table family (main) or in one module (before that split)
        from thidua.store.campaign_rows import upsert_campaign
    except ImportError:
        from thidua.store.campaign_rows import upsert_campaign
    with session_scope(store) as session:  # recorded as deployed: the board reads the store
        upsert_campaign(
            session, code=CODE, title=spec.title, file=str(campaign_file),
            organizer=spec.organizer, spec_hash="x",
            period_start=spec.period.start, period_end=spec.period.end,
        )  # fmt: skip
    with session_scope(store) as session:
        rows = read_rows(session, code=CODE)
    assert rows is not None
    board = build_board(rows, plan, loaded.registry, now=datetime(2024, 12, 20, tzinfo=UTC))
    targets = {u.code: [u.targets[t.code].text for t in board.targets] for u in board.units}
    assert targets["SO-A"] == ["75% / 100% ✗ (đăng ký 90%)", "2 / 2 ✓ (đăng ký 3)"]
    # a registration alone is no result: the unit has registered, not reported
    assert targets["XA-1"] == ["— (đăng ký 80%)", "—"]
    assert targets["SO-B"] == ["—", "—"]
    assert next(c.label for c in board.columns) == "Đăng ký"


def test_the_report_lists_what_each_unit_registered(
    capsys, store: Engine, campaign_file: Path
) -> None:
    assert register(capsys, "SO-A", "sang-kien=90%")[0] == 0
    assert register(capsys, "XA-1", "sang-kien=100%")[0] == 0
    args = ["submit", CODE, "--don-vi", "SO-A", "--moc", "so-lieu", "--luc", "05/12/2024 10:00"]
    assert run(capsys, *args, "--so-lieu", "sang-kien=15/20", "--so-lieu", "mo-hinh=2")[0] == 0

    loaded = load_campaign(campaign_file)
    with session_scope(store) as session:
        facts = gather_facts(
            session,
            spec=loaded.spec,
            registry=loaded.registry,
            kind=ReportKind.SUMMARY,
            period=Period(date(2024, 12, 31), "năm 2024"),
            today=date(2024, 12, 20),
        )
    sang_kien = next(t for t in facts.targets if t.target.code == "sang-kien")
    assert sang_kien.registered == {"SO-A": 0.9, "XA-1": 1.0}
    assert [(f.unit.code, f.value, f.base) for f in sang_kien.figures] == [("SO-A", 15, 20)]
    md = to_markdown(build_report(facts))
    assert "2/4 đơn vị đăng ký thi đua chỉ tiêu này" in md
    assert "Đăng ký" in md and "90%" in md


def test_the_submissions_list_shows_registered_levels(capsys, store: Engine) -> None:
    assert register(capsys, "SO-A", "sang-kien=90%", "mo-hinh=3")[0] == 0
    code, out, err = run(capsys, "submissions", CODE)
    assert code == 0, err
    assert "sang-kien đăng ký 90%, mo-hinh đăng ký 3" in " ".join(out.split())


def test_registered_units_takes_each_units_latest_year_or_the_year_asked() -> None:
    from thidua.ledger.registration import registered_units

    registered = {
        ("XA-A", "T1", "2026"): 0.8,
        ("XA-A", "T1", "2027"): 0.9,
        ("XA-B", "T1", "2026"): 12.0,
        ("XA-B", "T2", "2027"): 5.0,
        ("XA-C", "T2", "2026"): 1.0,
    }
    assert registered_units(registered, "T1") == {"XA-A": 0.9, "XA-B": 12.0}
    assert registered_units(registered, "T1", "2026") == {"XA-A": 0.8, "XA-B": 12.0}
    assert registered_units(registered, "T2", "2027") == {"XA-B": 5.0}
    assert registered_units(registered, "T3") == {}
