"""The status board built from the real store: who submitted, late, missing, reminded,
escalated; nominations against quotas; target attainment; and its Prefect table rows."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col

from thidua.board.build import build_board
from thidua.board.read import read_rows
from thidua.board.rows import Board
from thidua.board.view import make_console, render_board
from thidua.campaign.loading import LoadedCampaign, load_campaign
from thidua.campaign.plan import compile_plan
from thidua.ledger import deliveries
from thidua.store.db import session_scope
from thidua.store.models import Delivery

from .board_fixtures import CODE, EXTRA, FAILURES, GIAY_KHEN, GRID, MILESTONES, NOW, VN, seed


@pytest.fixture
def campaign(write_campaign: Callable[..., Path]) -> Path:
    return write_campaign(MILESTONES, extra=EXTRA)


def board_of(engine: Engine, loaded: LoadedCampaign, now: datetime = NOW) -> Board:
    plan = compile_plan(loaded.spec, loaded.registry)
    with session_scope(engine) as session:
        rows = read_rows(session, code=CODE)
    assert rows is not None
    return build_board(rows, plan, loaded.registry, now=now.astimezone(UTC))


def cells(board: Board) -> dict[str, list[str]]:
    return {
        u.code: [u.cells[c.id].text() if u.cells[c.id] else "" for c in board.columns]
        for u in board.units
    }


def test_every_unit_and_occurrence(fresh_db: Engine, campaign: Path) -> None:
    board = board_of(fresh_db, seed(fresh_db, campaign))
    assert [c.label for c in board.columns] == [
        "Kế hoạch",
        "Số liệu quý I/2026",
        "Hồ sơ",
        "Số liệu quý II/2026",
    ]
    assert cells(board) == {
        "SO-A": ["✓ 18/3 · nhắc 1", "✓ 19/3", "sớm 2 ngày", "✓ 8/6"],
        "SO-B": [
            "trễ hạn 2 ngày · nhắc 1",
            "quá hạn chưa nộp",
            "quá hạn chưa nộp · báo cấp trên",
            "—",
        ],
        "XA-1": ["quá hạn chưa nộp · nhắc 3 · báo cấp trên", "trễ hạn 1 ngày", "✓ 4/6", "—"],
        "XA-2": [
            "trễ hạn 4 ngày · nhắc 1 · báo cấp trên",
            "quá hạn chưa nộp",
            "quá hạn chưa nộp",
            "—",
        ],
    }
    assert {c.label: board.summaries[c.id].text for c in board.columns} == {
        "Kế hoạch": "3/4 (trễ hạn 2)",
        "Số liệu quý I/2026": "2/4 (trễ hạn 1)",
        "Hồ sơ": "2/4 (sớm 1)",
        "Số liệu quý II/2026": "1/4",
    }


def test_nominations_against_quota_and_target_attainment(fresh_db: Engine, campaign: Path) -> None:
    board = board_of(fresh_db, seed(fresh_db, campaign))
    # “Không quá 50%”: of the 4 units for collectives (campaign-wide), of each unit's
    # headcount for individuals and households.
    assert [(a.key, a.label, [b.text for b in a.totals]) for a in board.awards] == [
        ("BK", "Bằng khen", []),
        (GIAY_KHEN, "Giấy khen", ["tập thể 3/2 ✗"]),
    ]
    nominations = {u.code: [u.nominations[a.key].text for a in board.awards] for u in board.units}
    people = "cá nhân, hộ gia đình"
    assert nominations == {
        "SO-A": ["1/1", f"3 · {people} 1/10"],
        "SO-B": ["2/3", f"0 · {people} 0/15"],  # its own override beats the khối's 1
        "XA-1": ["2/2", f"0 · {people} 0/5"],  # the cụm's 2; withdrawn, not awarded: not counted
        "XA-2": ["3/2 ✗", f"1 · {people} 0/6"],
    }
    assert [u.code for u in board.units if any(n.over for n in u.nominations.values())] == ["XA-2"]
    targets = {u.code: [u.targets[t.code].text for t in board.targets] for u in board.units}
    assert targets == {
        "SO-A": ["100% / 100% ✓", "3 / 3 ✓"],  # latest quarter's ratio, Q1's count
        "SO-B": ["—", "—"],
        "XA-1": ["75% / 100% ✗", "1 / 3 ✗"],
        "XA-2": ["—", "—"],
    }


def test_the_artifact_rows_have_vietnamese_columns(fresh_db: Engine, campaign: Path) -> None:
    rows = board_of(fresh_db, seed(fresh_db, campaign)).table_rows()
    assert rows[3] == {
        "Mã": "SO-B",
        "Đơn vị": "Sở B",
        "Lỗi gửi": "",
        "Kế hoạch": "trễ hạn 2 ngày · nhắc 1",
        "Số liệu quý I/2026": "quá hạn chưa nộp",
        "Hồ sơ": "quá hạn chưa nộp · báo cấp trên",
        "Số liệu quý II/2026": "—",
        "Bằng khen (đề nghị)": "2/3",
        "Giấy khen (đề nghị)": "0 · cá nhân, hộ gia đình 0/15",
        "Chỉ tiêu sang-kien": "—",
        "Chỉ tiêu hoi-thi": "—",
    }
    # Units a notice did not reach come first, with why (issue 10: failures first).
    assert [r["Mã"] for r in rows] == ["XA-1", "XA-2", "SO-A", "SO-B"]
    assert rows[1]["Lỗi gửi"] == (
        "Nhắc hạn nộp kế hoạch triển khai (còn 3 ngày) (17/03/2026): hộp thư đầy"
    )


def test_an_optional_milestone_is_not_missing_after_its_deadline(
    fresh_db: Engine, campaign: Path, write_campaign: Callable[..., Path]
) -> None:
    seed(fresh_db, campaign)  # the same store, read with the nomination made optional
    optional = MILESTONES.replace("    required=True,", "").replace(
        'escalation=Escalation(after="1 ngày làm việc", to="group_head"),', ""
    )
    board = board_of(fresh_db, load_campaign(write_campaign(optional, extra=EXTRA)))
    hoso = {u.code: u.cells["ho-so/-"].text() for u in board.units}
    # Did not nominate: owes nothing (the store's escalation stays a recorded fact).
    assert hoso["SO-B"].startswith("—") and hoso["XA-2"].startswith("—"), hoso
    assert not any("quá hạn chưa nộp" in text for text in hoso.values()), hoso
    assert board.summaries["ho-so/-"].missing == 0


def test_before_a_due_date_nothing_is_missing(fresh_db: Engine, campaign: Path) -> None:
    board = board_of(
        fresh_db, seed(fresh_db, campaign), now=datetime(2026, 3, 20, 23, 0, tzinfo=VN)
    )
    assert {u.code: u.cells["ke-hoach/-"].label for u in board.units} == {
        "SO-A": "✓ 18/3",
        "SO-B": "trễ hạn 2 ngày",  # recorded as it is in the store, even "before" it happened
        "XA-1": "—",
        "XA-2": "trễ hạn 4 ngày",
    }


def test_one_unit_and_the_store_queries_for_it(fresh_db: Engine, campaign: Path) -> None:
    loaded = seed(fresh_db, campaign)
    plan = compile_plan(loaded.spec, loaded.registry)
    with session_scope(fresh_db) as session:
        rows = read_rows(session, code=CODE, unit="XA-1")
    assert rows is not None
    board = build_board(rows, plan, loaded.registry, now=NOW).only("xa-1")
    assert [u.code for u in board.units] == ["XA-1"]
    assert [board.units[0].cells[c.id].text() for c in board.columns] == [
        "quá hạn chưa nộp · nhắc 3 · báo cấp trên",
        "trễ hạn 1 ngày",
        "✓ 4/6",
        "—",
    ]
    sent = {a.key: (a.sent, a.failed) for a in board.actions if a.sent or a.failed}
    assert sent == {
        "ke-hoach/-/reminder/3d": (1, 0),
        "ke-hoach/-/due": (1, 0),
        "ke-hoach/-/overdue": (1, 0),
        "ho-so/-/escalation": (0, 1),
    }


def test_rendered_without_color_on_80_columns(fresh_db: Engine, campaign: Path) -> None:
    board = board_of(fresh_db, seed(fresh_db, campaign))
    out = io.StringIO()
    render_board(board, make_console(file=out, width=80))
    text = out.getvalue()
    assert "\x1b[" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert text.splitlines()[0] == "12/KH-TEST — Đợt thi đua thử nghiệm"
    # Four occurrence columns do not fit beside the unit column: two tables of two.
    assert GRID in text
    assert "│ SO-A   │ sớm 2 ngày       │ ✓ 8/6               │" in text
    assert (
        "│ XA-2   │ 3/2 ✗     │ 1                         │\n"
        "│        │           │ cá nhân, hộ gia đình 0/6  │\n"
    ) in text
    assert "│ Tổng   │ 8         │ 4 · tập thể 3/2 ✗         │" in text
    assert "│ XA-1   │ 75% / 100% ✗  │ 1 / 3 ✗ │" in text
    assert "│ thứ Ba 08:00  │ hoạch triển khai    │                      │" in text
    assert (
        "│ 17/03/2026    │ Nhắc hạn nộp kế     │ đã thực hiện         │ 3 đã gửi, 1 lỗi │" in text
    )
    assert "│ 05/06/2026    │ Quá hạn nộp hồ sơ   │ không thực hiện được │" in text
    assert "│ thứ Sáu 08:00 │ SMTP từ chối kết    │                      │" in text
    assert text.endswith(
        "Đã thực hiện: 11 · đã lên lịch: 3 · trễ, chưa thực hiện: 0\n"
        "không thực hiện được: 1 · đã qua, không gửi: 0 · bỏ qua: 0 · đã hủy: 0\n"
    )


def test_failures_come_first_with_the_reason(fresh_db: Engine, campaign: Path) -> None:
    """Units a notice did not reach lead the terminal view, the JSON and the grid (issue 10)."""
    board = board_of(fresh_db, seed(fresh_db, campaign))
    out = io.StringIO()
    render_board(board, make_console(file=out, width=80))
    text = out.getvalue()
    assert text.startswith("12/KH-TEST — Đợt thi đua thử nghiệm\n\n" + FAILURES)
    assert text.index(FAILURES) < text.index("Tình hình nộp") < text.index("Các hoạt động")
    assert [u.code for u in board.units] == ["XA-1", "XA-2", "SO-A", "SO-B"]
    data = board.as_dict()
    assert list(data)[:3] == ["campaign", "now", "failures"]
    assert data["failures"][1] == {
        "unit": "XA-2",
        "name": "UBND xã Hai",
        "unreached": 1,
        "reason": "Nhắc hạn nộp kế hoạch triển khai (còn 3 ngày) (17/03/2026): hộp thư đầy",
        "deliveries": [
            {
                "action": "ke-hoach/-/reminder/3d",
                "title": "Nhắc hạn nộp kế hoạch triển khai (còn 3 ngày)",
                "scheduled_at": "2026-03-17T01:00:00+00:00",
                "channel": "0-outbox",
                "status": "failed_permanent",
                "reason": "hộp thư đầy",
                "unreached": True,
            }
        ],
    }
    assert [u["code"] for u in data["units"]] == ["XA-1", "XA-2", "SO-A", "SO-B"]


def test_a_unit_reached_by_another_channel_is_listed_but_not_as_unreached(
    fresh_db: Engine, campaign: Path
) -> None:
    loaded = seed(fresh_db, campaign)
    with session_scope(fresh_db) as session:
        claim = deliveries.claim_delivery(
            session,
            campaign_code=CODE,
            action_key="ke-hoach/-/reminder/3d",
            occurrence="",
            unit_code="XA-2",
            channel="1-outbox",
        )
        assert claim is not None
        deliveries.finish_delivery(session, delivery_id=claim.id, status="sent", error=None)
    board = board_of(fresh_db, loaded)
    [xa2] = [f for f in board.failures if f.unit == "XA-2"]
    assert xa2.unreached == 0 and xa2.items[0].unreached is False
    out = io.StringIO()
    render_board(board, make_console(file=out, width=100))
    text = out.getvalue()
    assert "tới 2 đơn vị (1 đơn vị vẫn nhận được qua kênh khác)" in text
    assert "hộp thư đầy (đã nhận qua kênh khác)" in text


def test_without_failures_the_board_reads_as_before(fresh_db: Engine, campaign: Path) -> None:
    loaded = seed(fresh_db, campaign)
    with session_scope(fresh_db) as session:
        session.exec(update(Delivery).where(col(Delivery.status) != "sent").values(status="sent"))
        session.commit()
    board = board_of(fresh_db, loaded)
    assert board.failures == [] and board.as_dict()["failures"] == []
    assert [u.code for u in board.units] == ["SO-A", "SO-B", "XA-1", "XA-2"]
    assert "Lỗi gửi" not in board.table_rows()[0]
    out = io.StringIO()
    render_board(board, make_console(file=out, width=80))
    assert "không thành công" not in out.getvalue()


def test_a_wide_terminal_gets_the_whole_grid_in_one_table(fresh_db: Engine, campaign: Path) -> None:
    out = io.StringIO()
    render_board(board_of(fresh_db, seed(fresh_db, campaign)), make_console(file=out, width=120))
    text = out.getvalue()
    assert "Tình hình nộp của đơn vị\n" in text and "(1/2)" not in text
    assert "│ XA-1   │ quá hạn chưa nộp     │ trễ hạn 1 ngày     │ ✓ 4/6            │ —" in text


def test_colors_mark_late_missing_and_failed(fresh_db: Engine, campaign: Path) -> None:
    out = io.StringIO()
    console = make_console(file=out, width=100, force_terminal=True, color_system="standard")
    render_board(board_of(fresh_db, seed(fresh_db, campaign)), console)
    text = out.getvalue()
    assert "\x1b[1;31mquá hạn chưa nộp\x1b[0m" in text  # missing: bold red
    assert "\x1b[33mtrễ hạn 2 ngày\x1b[0m" in text  # late: yellow
    assert "\x1b[32m✓ 18/3\x1b[0m" in text  # on time: green
    assert "\x1b[1;31m3/2 ✗\x1b[0m" in text  # over its quota
    assert "\x1b[1;31mkhông thực hiện được" in text  # a failed action
    assert "\x1b[1;31m, 1 lỗi" in text  # failed deliveries


@pytest.mark.slow
def test_the_board_is_published_as_a_prefect_table_artifact(served, campaign: Path) -> None:
    from prefect import flow
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from thidua.tasks.actions import load_action
    from thidua.tasks.board import board_key, publish_board

    @flow(name="thu-bang-theo-doi")
    def action_run(path: str) -> object:
        ctx = load_action(path, "ho-so/-/overdue")
        return publish_board(ctx, now=NOW)

    seed(None, campaign)  # the default store, which the task reads too
    with temporary_settings(updates={PREFECT_API_URL: served.api_url}):
        artifact_id = action_run(str(campaign))
    artifact = served.api("GET", f"/artifacts/{artifact_id}")
    assert artifact["key"] == board_key(CODE) == "12-kh-test-bang-theo-doi"
    assert artifact["type"] == "table"
    rows = json.loads(artifact["data"])  # table artifacts hold JSON
    assert [r["Mã"] for r in rows] == ["XA-1", "XA-2", "SO-A", "SO-B"]  # failures first
    assert rows[0] == {
        "Mã": "XA-1",
        "Đơn vị": "UBND xã Một",
        "Lỗi gửi": "Báo cáo cấp trên: đơn vị chưa nộp hồ sơ (05/06/2026): hộp thư đầy",
        "Kế hoạch": "quá hạn chưa nộp · nhắc 3 · báo cấp trên",
        "Số liệu quý I/2026": "trễ hạn 1 ngày",
        "Hồ sơ": "✓ 4/6",
        "Số liệu quý II/2026": "—",
        "Bằng khen (đề nghị)": "2/2",
        "Giấy khen (đề nghị)": "0 · cá nhân, hộ gia đình 0/5",
        "Chỉ tiêu sang-kien": "75% / 100% ✗",
        "Chỉ tiêu hoi-thi": "1 / 3 ✗",
    }
    assert (
        "- **Gửi thông báo không thành công tới 2 đơn vị**: XA-1, XA-2" in artifact["description"]
    )
    assert "- Kế hoạch: đã nộp 3/4 (trễ hạn 2), quá hạn chưa nộp 1" in artifact["description"]


def test_a_large_board_lists_its_first_units_and_counts_the_rest(
    fresh_db: Engine, campaign: Path
) -> None:
    board = board_of(fresh_db, seed(fresh_db, campaign))
    full = board.table_rows()
    cut = board.table_rows(limit=2)
    assert cut[:2] == full[:2]  # the failing units lead, as in the full table
    assert len(cut) == 3 and cut[2]["Mã"] == "…"
    assert cut[2]["Đơn vị"].startswith(f"{len(full) - 2} đơn vị khác không liệt kê ở đây")
    assert f"thidua status {board.code}" in cut[2]["Đơn vị"]
    assert board.table_rows(limit=len(full)) == full  # no count row when all fit
