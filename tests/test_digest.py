"""The weekly digest (issue 14): units on it get one message a week listing what they owe in
the next 14 days across all campaigns, instead of separate reminders.

Covers the registry field (unit, group, precedence, refusals, tables), the reminders left
out for digest units (due-today and overdue still sent), the digest's content, the first
working day of a week with a Monday holiday, exactly-once delivery through the outbox,
the wording (the notice linter, the subject decoded from the .eml) and the board.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from thidua.flows.digest import digest_deployment, pool_deployment
from thidua.flows.naming import DIGEST_DEPLOYMENT, DIGEST_ENTRYPOINT, digest_cron
from thidua.flows.prefect_yaml import render as render_prefect_yaml
from thidua.flows.recording import record_campaign
from thidua.notifications import lint
from thidua.notifications.digest import digest_subject, render_digest
from thidua.notifications.render import PORTAL_LABEL
from thidua.tasks.actions import audience_of, load_action
from thidua.tasks.digest import compose_digests, deliver_batch, digest_gate, summary

from thidua.board.query import BoardFilter, status_board
from thidua.board.view import make_console, render_board
from thidua.campaign.loading import load_campaign
from thidua.campaign.plan import ActionKind
from thidua.config import Settings, get_settings, set_settings
from thidua.errors import RegistryError
from thidua.ledger.digest import (
    first_working_day,
    is_digest_day,
    last_digests,
    week_key,
    weekly_digests,
)
from thidua.ledger.statuses import CampaignStatus, DeliveryStatus
from thidua.portal.campaigns import CampaignCatalog
from thidua.registry import load_registry, parse_registry, wants_digest
from thidua.store import campaign_rows, submission_rows
from thidua.store.db import session_scope

#: Monday 07/12/2026, 08:00 in Hà Nội: the digest of ISO week 2026-W50.
MONDAY = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)

REGISTRY = """\
name: Tỉnh thử nghiệm bản tin
groups:
  - {code: KHOI-A, name: Khối A, kind: khoi, head: SO-A, digest: weekly}
  - {code: CUM-X, name: Cụm xã, kind: cum, head: XA-1}
units:
  - {code: UBND, name: UBND tỉnh, kind: co_quan_tinh, contacts: ["outbox://ubnd"]}
  - {code: BTDKT, name: Ban Thi đua - Khen thưởng, kind: phong, supervisor: UBND,
     contacts: ["outbox://btdkt"]}
  - {code: SO-A, name: Sở A, kind: so_nganh, groups: [KHOI-A], supervisor: UBND,
     contacts: ["outbox://so-a"]}
  - {code: SO-B, name: Sở B, kind: so_nganh, groups: [KHOI-A], supervisor: UBND, digest: none,
     contacts: ["outbox://so-b"]}
  - {code: XA-1, name: UBND xã Một, kind: xa, groups: [CUM-X], supervisor: UBND,
     contacts: ["outbox://xa-1"]}
  - {code: XA-2, name: UBND xã Hai, kind: xa, groups: [CUM-X], supervisor: UBND,
     digest: "hằng tuần", contacts: ["outbox://xa-2", "outbox://xa-2-vp"]}
"""

CAMPAIGN = """\
from thidua import *

campaign = Campaign(
    code="{code}",
    title="{title}",
    issuer="UBND tỉnh",
    issued="ngày 02/01/2026",
    period="năm 2026",
    organizer="BTDKT",
    registry="units.yaml",
    participants=Participants(groups=["KHOI-A", "CUM-X"]),
    deadline_rule="as_written",
    milestones=[
        Milestone(kind="phát động", when="ngày 02/01/2026"),
        {milestones}
    ],
)
"""

#: Due Monday 14/12 (in the window) and 30/12 (after it), reminded 3 days before.
PLAN_A = CAMPAIGN.format(
    code="21/KH-A",
    title="Đợt thi đua A",
    milestones="""
        Milestone(kind="báo cáo", id="bao-cao-a", title="Báo cáo kết quả đợt A",
                  when="ngày 14/12/2026", reminders=[3]),
        Milestone(kind="báo cáo", id="tong-ket-a", title="Báo cáo tổng kết đợt A",
                  when="ngày 30/12/2026", reminders=[3]),
    """,
)
#: Due Thursday 10/12, and a meeting on 15/12 (nothing to submit: not in the digest).
PLAN_B = CAMPAIGN.format(
    code="22/KH-B",
    title="Đợt thi đua B",
    milestones="""
        Milestone(kind="báo cáo", id="so-lieu-b", title="Báo cáo số liệu đợt B",
                  when="ngày 10/12/2026", reminders=[2]),
        Milestone(kind="mốc khác", id="hop-b", title="Hội nghị giao ban đợt B", submit="không phải nộp",
                  when="ngày 15/12/2026", reminders=[1]),
    """,
)


@pytest.fixture
def digest_store(fresh_db: Engine, tmp_path: Path) -> Iterator[Path]:
    """Two campaigns over the digest registry, recorded in a fresh store; their folder."""
    folder = tmp_path / "campaigns"
    folder.mkdir()
    (folder / "units.yaml").write_text(REGISTRY, encoding="utf-8")
    (folder / "a.py").write_text(PLAN_A, encoding="utf-8")
    (folder / "b.py").write_text(PLAN_B, encoding="utf-8")
    url = fresh_db.url.render_as_string(hide_password=False)
    set_settings(
        Settings(
            data_dir=tmp_path / "data",
            campaigns_dir=folder,
            registry=folder / "units.yaml",
            database_url=url,
        )
    )
    with session_scope() as session:
        for name in ("a.py", "b.py"):
            record_campaign(session, load_campaign(folder / name))
    yield folder
    set_settings(None)


def _registry(units: str, groups: str = "") -> str:
    return f"name: Thử\ngroups:\n{groups or '  []'}\nunits:\n{units}"


# --- the registry field ---------------------------------------------------------------------


def test_digest_is_read_from_the_unit_and_its_groups_and_the_unit_wins(tmp_path: Path) -> None:
    path = tmp_path / "units.yaml"
    path.write_text(REGISTRY, encoding="utf-8")
    registry = load_registry(path, check_contacts=False)
    wanted = {u.code: wants_digest(registry, u.code) for u in registry}
    assert wanted == {
        "UBND": False,
        "BTDKT": False,
        "SO-A": True,  # from its group KHOI-A
        "SO-B": False,  # its own “none” wins over KHOI-A's weekly
        "XA-1": False,
        "XA-2": True,  # its own “hằng tuần”
    }
    assert not wants_digest(registry, "KHONG-CO")
    # The compiled cache gives the same answers as a fresh read.
    again = load_registry(path, check_contacts=False)
    assert {u.code: wants_digest(again, u.code) for u in again} == wanted


@pytest.mark.parametrize("word", ["weekly", "hang-tuan", "hằng tuần", "Hàng tuần", "WEEKLY"])
def test_every_way_of_writing_weekly_is_accepted(word: str) -> None:
    registry = parse_registry(
        {"units": [{"code": "A", "name": "Đơn vị A", "kind": "xa", "digest": word}]},
        check_contacts=False,
    )
    assert wants_digest(registry, "A")


@pytest.mark.parametrize(
    ("where", "value", "path"),
    [
        ("unit", "monthly", "units[A].digest"),
        ("unit", 3, "units[A].digest"),
        ("group", "hằng tháng", "groups[K].digest"),
    ],
)
def test_a_bad_digest_value_is_refused_in_vietnamese_naming_field_and_value(
    where: str, value: object, path: str
) -> None:
    unit = {"code": "A", "name": "Đơn vị A", "kind": "xa", "contacts": ["outbox://a"]}
    group = {"code": "K", "name": "Khối K", "kind": "khoi"}
    (unit if where == "unit" else group)["digest"] = value
    with pytest.raises(RegistryError) as caught:
        parse_registry({"groups": [group], "units": [unit]}, check_contacts=False)
    [problem] = [p for p in caught.value.problems if p.path.endswith(".digest")]
    assert problem.path == path
    assert "bản tin (digest) không hợp lệ" in problem.message
    assert "weekly (hằng tuần)" in problem.message
    assert problem.value == value
    shown = problem.render()  # as `thidua validate` prints it
    assert "digest" in shown and str(value) in shown


def test_digest_is_read_from_csv_columns_of_units_and_groups(tmp_path: Path) -> None:
    (tmp_path / "don_vi.csv").write_text(
        "Mã đơn vị,Tên đơn vị,Loại,Cụm khối,Bản tin,Liên hệ\n"
        "SO-A,Sở A,so_nganh,KHOI-A,,outbox://so-a\n"
        "SO-B,Sở B,so_nganh,KHOI-A,không nhận,outbox://so-b\n"
        "XA-1,UBND xã Một,xa,,hằng tuần,outbox://xa-1\n",
        encoding="utf-8",
    )
    (tmp_path / "don_vi.groups.csv").write_text(
        "Mã nhóm,Tên nhóm,Loại,Bản tin tuần\nKHOI-A,Khối A,khoi,weekly\n", encoding="utf-8"
    )
    registry = load_registry(tmp_path / "don_vi.csv", check_contacts=False)
    assert [u.code for u in registry if wants_digest(registry, u.code)] == ["SO-A", "XA-1"]


def test_digest_is_read_from_an_excel_registry(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Đơn vị"
    sheet.append(["Mã đơn vị", "Tên đơn vị", "Loại", "Bản tin", "Liên hệ"])
    sheet.append(["XA-1", "UBND xã Một", "xa", "hang-tuan", "outbox://xa-1"])
    sheet.append(["XA-2", "UBND xã Hai", "xa", None, "outbox://xa-2"])
    book.save(tmp_path / "don_vi.xlsx")
    registry = load_registry(tmp_path / "don_vi.xlsx", check_contacts=False)
    assert [wants_digest(registry, c) for c in ("XA-1", "XA-2")] == [True, False]


# --- reminders left out ---------------------------------------------------------------------


def _action(folder: Path, file: str, milestone: str, kind: ActionKind) -> str:
    loaded = load_campaign(folder / file)
    from thidua.campaign.plan import compile_plan

    plan = compile_plan(loaded.spec, loaded.registry)
    return next(a.key for a in plan.actions if a.milestone == milestone and a.kind is kind)


def test_reminders_skip_digest_units_but_due_and_overdue_notices_do_not(
    digest_store: Path,
) -> None:
    def recipients(milestone: str, kind: ActionKind, file: str = "a.py") -> list[str]:
        key = _action(digest_store, file, milestone, kind)
        ctx = load_action.fn(str(digest_store / file), key)
        assert ctx is not None
        return audience_of(ctx).recipients

    everyone = ["SO-A", "SO-B", "XA-1", "XA-2"]
    assert recipients("bao-cao-a", ActionKind.REMINDER) == ["SO-B", "XA-1"]
    assert recipients("bao-cao-a", ActionKind.DUE) == everyone
    assert recipients("bao-cao-a", ActionKind.OVERDUE) == everyone
    # A meeting is not in the digest (nothing is owed): its reminder still reaches everyone.
    assert recipients("hop-b", ActionKind.REMINDER, "b.py") == everyone


# --- the digest's content -------------------------------------------------------------------


def _digests(now: datetime = MONDAY) -> dict[str, list[tuple[str, str, date, int]]]:
    with session_scope() as session:
        found = weekly_digests(session, CampaignCatalog(get_settings()).all(), now=now)
    return {
        d.unit_code: [(i.campaign_code, i.milestone, i.due, i.days_left) for i in d.items]
        for d in found
    }


def test_the_digest_lists_what_each_unit_still_owes_in_14_days_across_campaigns(
    digest_store: Path,
) -> None:
    expected = [
        ("22/KH-B", "so-lieu-b", date(2026, 12, 10), 3),
        ("21/KH-A", "bao-cao-a", date(2026, 12, 14), 7),
    ]
    # Only units on the digest; the 30/12 report (23 days) and the meeting are not listed.
    assert _digests() == {"SO-A": expected, "XA-2": expected}
    with session_scope() as session:
        submission_rows.record_submission(
            session,
            campaign_code="22/KH-B",
            milestone="so-lieu-b",
            occurrence="",
            unit_code="SO-A",
            submitted_at=datetime(2026, 12, 4, 3, 0, tzinfo=UTC),
        )
    assert _digests() == {"SO-A": expected[1:], "XA-2": expected}
    # Two weeks on, the year-end report is inside the window, the others are past.
    assert _digests(datetime(2026, 12, 21, 1, 0, tzinfo=UTC))["SO-A"] == [
        ("21/KH-A", "tong-ket-a", date(2026, 12, 30), 9)
    ]


def test_a_paused_campaign_is_left_out_of_the_digest(digest_store: Path) -> None:
    with session_scope() as session:
        campaign_rows.set_campaign_status(session, code="22/KH-B", status=CampaignStatus.PAUSED)
    assert _digests()["SO-A"] == [("21/KH-A", "bao-cao-a", date(2026, 12, 14), 7)]


# --- the day it goes out --------------------------------------------------------------------


def test_the_first_working_day_of_the_week_moves_past_a_monday_holiday() -> None:
    # 2-3/9/2024 (Monday, Tuesday): Quốc khánh; 27/4/2026 (Monday): Giỗ Tổ, nghỉ bù.
    assert first_working_day(date(2024, 9, 6)) == date(2024, 9, 4)
    assert first_working_day(date(2026, 4, 30)) == date(2026, 4, 28)
    assert first_working_day(date(2026, 12, 10)) == date(2026, 12, 7)
    assert [is_digest_day(date(2026, 4, d)) for d in (27, 28, 29)] == [False, True, False]
    assert week_key(date(2026, 12, 7)) == "2026-W50"
    assert week_key(date(2027, 1, 3)) == "2026-W53"


def test_the_run_goes_on_only_on_the_first_working_day() -> None:
    tuesday = datetime(2026, 4, 28, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội
    assert digest_gate.fn(tuesday) is None
    monday = datetime(2026, 4, 27, 1, 0, tzinfo=UTC)
    assert digest_gate.fn(monday) == (
        "bản tin tuần gửi vào ngày làm việc đầu tuần, thứ Ba 28/04/2026"
    )
    # 00:30 on Tuesday in Hà Nội is still Monday in UTC: the local day decides.
    assert digest_gate.fn(datetime(2026, 4, 27, 17, 30, tzinfo=UTC)) is None
    # Tuesday's run, started late on Wednesday, stands for Tuesday; Wednesday's does not.
    wednesday = datetime(2026, 4, 29, 0, 0, tzinfo=UTC)  # 07:00, 23 hours late
    assert digest_gate.fn(wednesday, tuesday) is None
    assert digest_gate.fn(wednesday, wednesday) is not None
    # Later than the catch-up limit (24 hours): not sent.
    assert "trễ quá 24 giờ" in str(digest_gate.fn(datetime(2026, 4, 30, 3, 0, tzinfo=UTC), tuesday))


def test_the_schedule_runs_every_working_weekday_at_the_notice_time() -> None:
    from datetime import time

    assert digest_cron(time(8, 0)) == "0 8 * * 1-6"
    assert digest_cron(time(7, 45)) == "45 7 * * 1-6"
    on_pool = asyncio.run(pool_deployment("thidua"))
    assert (on_pool.name, on_pool.flow_name, on_pool.work_pool_name) == (
        DIGEST_DEPLOYMENT,
        "ban-tin-tuan",
        "thidua",
    )
    assert on_pool.entrypoint == "thidua.flows.digest.weekly_digest"  # imported, not a path
    assert [s.schedule.cron for s in on_pool.schedules] == ["0 8 * * 1-6"]  # type: ignore[union-attr]
    served = digest_deployment()
    assert served.entrypoint == DIGEST_ENTRYPOINT and served.work_pool_name is None
    text = render_prefect_yaml([])
    assert f"- name: {DIGEST_DEPLOYMENT}" in text and DIGEST_ENTRYPOINT in text
    assert "cron: 0 8 * * 1-6" in text and "timezone: Asia/Ho_Chi_Minh" in text


# --- wording and delivery -------------------------------------------------------------------


def test_the_digest_message_reads_right_and_carries_the_units_link(digest_store: Path) -> None:
    batch = compose_digests.fn(MONDAY)
    assert batch.week == "2026-W50"
    assert set(batch.messages) == {"SO-A", "XA-2"}
    message = batch.messages["SO-A"]
    assert message.subject == "Bản tin tuần: các việc đến hạn từ 07/12 đến 20/12/2026"
    text = message.text
    assert text.startswith("Kính gửi: Sở A\n")
    first = text.index("“Báo cáo số liệu đợt B”")
    second = text.index("“Báo cáo kết quả đợt A”")
    assert first < second  # sorted by due date
    assert "hạn thứ Năm, 10/12/2026 (còn 3 ngày)" in text
    assert "hạn thứ Hai, 14/12/2026 (còn 7 ngày)" in text
    assert "theo Kế hoạch số 21/KH-A" in text
    assert "Hội nghị" not in text and "tổng kết" not in text
    assert f"{get_settings().portal_base_url}/u/" in text
    assert "tuần 50 năm 2026" in text
    assert message.html is not None and "Sở A" in message.html
    names = ["Sở A", "UBND xã Hai", "Đợt thi đua A", "Đợt thi đua B"]
    for part in (message.subject, text):
        assert not lint.lint_text(part, names=names, keys=["2026-W50", "ban-tin-tuan"]), part


def test_a_digest_spanning_new_year_names_both_years() -> None:
    from dataclasses import replace

    from thidua.ledger.digest import DigestItem, WeeklyDigest
    from thidua.registry import Unit

    unit = Unit(code="A", name="Đơn vị A", kind="xa")
    digest = WeeklyDigest(unit, "2026-W53", date(2026, 12, 28), date(2027, 1, 10))
    assert digest_subject(digest) == "Bản tin tuần: các việc đến hạn từ 28/12/2026 đến 10/01/2027"
    link = "http://127.0.0.1:4300/u/x"
    message = render_digest(digest, link=link)
    assert "không có nội dung nào đến hạn" in message.text
    assert not lint.lint_text(message.text, names=["Đơn vị A"])
    # The link line reads as every notice's, and is a link in the HTML part.
    assert not lint.portal_link(message.text, link, label=PORTAL_LABEL)
    assert message.html is not None and f'href="{link}"' in message.html
    item = DigestItem(
        campaign_code="VD-01/KH-UBND",
        campaign_title="Phong trào thi đua",
        campaign_ref="Kế hoạch số VD-01/KH-UBND",
        milestone="so-lieu",
        label="Báo cáo số liệu chỉ tiêu",
        occurrence="2026-Q4",
        occurrence_label="quý IV/2026",
        requirement="số liệu chỉ tiêu",
        due=date(2027, 1, 4),
        days_left=7,
    )
    listed = render_digest(replace(digest, items=[item]), link="http://127.0.0.1:4300/u/x").text
    assert (
        "- “Báo cáo số liệu chỉ tiêu” (kỳ quý IV/2026), theo Kế hoạch số VD-01/KH-UBND: "
        "hạn thứ Hai, 04/01/2027 (còn 7 ngày)." in listed
    )
    assert not lint.lint_text(listed, names=["Đơn vị A"], keys=["2026-Q4", "so-lieu"])


def test_a_digest_is_delivered_exactly_once_per_unit_channel_and_week(digest_store: Path) -> None:
    batch = compose_digests.fn(MONDAY)
    first = deliver_batch(batch)
    assert sorted((o.unit, o.channel, o.status) for o in first) == [
        ("SO-A", "0:outbox", DeliveryStatus.SENT),
        ("XA-2", "0:outbox", DeliveryStatus.SENT),
        ("XA-2", "1:outbox", DeliveryStatus.SENT),
    ]
    assert "2/2 đơn vị đã nhận" in summary(batch, first)
    # A rerun of the week (a retry, a second run): the store's claims send nothing again.
    again = deliver_batch(compose_digests.fn(MONDAY))
    assert {o.status for o in again} == {DeliveryStatus.SENT} and len(again) == 3
    outbox = get_settings().outbox_dir
    files = {box: sorted((outbox / box).glob("*.eml")) for box in ("so-a", "xa-2", "xa-2-vp")}
    assert {box: len(found) for box, found in files.items()} == {"so-a": 1, "xa-2": 1, "xa-2-vp": 1}
    assert not (outbox / "so-b").exists() and not (outbox / "xa-1").exists()
    raw = files["so-a"][0].read_bytes()
    subject = "Bản tin tuần: các việc đến hạn từ 07/12 đến 20/12/2026"
    assert not lint.subject_roundtrip(raw, subject)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["X-Thidua-Action"] == "ban-tin-tuan"
    # The next week is a new digest.
    deliver_batch(compose_digests.fn(datetime(2026, 12, 14, 1, 0, tzinfo=UTC)))
    assert len(list((outbox / "so-a").glob("*.eml"))) == 2
    with session_scope() as session:
        last = last_digests(session, ["SO-A", "XA-2", "XA-1"])
    assert set(last) == {"SO-A", "XA-2"}
    assert last["SO-A"].week == "2026-W51" and last["SO-A"].status is DeliveryStatus.SENT


# --- the board ------------------------------------------------------------------------------


def test_the_board_marks_digest_units_and_their_last_digest(digest_store: Path) -> None:
    before = status_board("21/KH-A", BoardFilter(), now=MONDAY, timezone="Asia/Ho_Chi_Minh")
    marks = {u.code: u.digest for u in before.board.units}
    assert {c for c, m in marks.items() if m is not None} == {"SO-A", "XA-2"}
    assert marks["SO-A"] is not None and marks["SO-A"].week is None
    deliver_batch(compose_digests.fn(MONDAY))
    board = status_board("21/KH-A", BoardFilter(), now=MONDAY, timezone="Asia/Ho_Chi_Minh").board
    data = {u["code"]: u["digest"] for u in board.as_dict()["units"]}
    assert data["XA-1"] is None
    assert data["SO-A"]["weekly"] and data["SO-A"]["last_week"] == "2026-W50"
    assert data["SO-A"]["last_status"] == "sent" and data["SO-A"]["last_at"]
    console = make_console(width=200, record=True)
    render_board(board, console)
    shown = " ".join(console.export_text().split())
    assert "Nhận bản tin tuần thay cho thông báo nhắc hạn — SO-A: bản tin tuần (gần nhất: " in shown
    mine = status_board(
        "21/KH-A", BoardFilter(unit="xa-2"), now=MONDAY, timezone="Asia/Ho_Chi_Minh"
    )
    console = make_console(width=200, record=True)
    render_board(mine.board, console, unit="XA-2")
    assert "Nhận bản tin tuần (gần nhất: tuần 50 năm 2026, đã gửi" in console.export_text()
    rows = {r["Mã"]: r for r in board.table_rows()}
    assert rows["SO-A"]["Bản tin tuần"].startswith(
        "bản tin tuần (gần nhất: tuần 50 năm 2026, đã gửi"
    )
    assert rows["XA-1"]["Bản tin tuần"] == ""
