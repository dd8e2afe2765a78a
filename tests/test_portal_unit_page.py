"""The unit's page (issue 14): everything it owes across campaigns by deadline, with the
weekday, its status and the receipt of what it handed in; only its own; a revoked link
opens nothing."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from thidua.ledger.submissions import prepare, record
from thidua.portal import links
from thidua.portal.campaigns import CampaignCatalog
from thidua.portal.obligations import obligations
from thidua.store.db import session_scope

from .portal_fixtures import Portal
from .submission_fixtures import CODE, SEED_003


def rows(html: str) -> list[str]:
    """The table's rows as plain text, in page order."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)).strip() for r in body.split("<tr>")[1:]]


def test_the_page_lists_what_the_unit_owes_by_deadline_with_weekdays(portal: Portal) -> None:
    page = portal.client.get(portal.unit_path("SYT"))
    assert page.status_code == 200
    assert "Sở Y tế" in page.text and "/lich.ics" in page.text
    table = rows(page.text)
    assert len(table) == 2, table
    # 04/07/2023 (Tuesday) the nomination window's last day, then the report on Monday 10/07.
    assert "Nộp hồ sơ đề nghị Bằng khen" in table[0] and "thứ Ba, 04/07/2023" in table[0]
    assert "Báo cáo kết quả đợt thi đua" in table[1] and "thứ Hai, 10/07/2023" in table[1]
    assert all("chưa đến hạn" in r for r in table)
    # The nomination window refuses outside 03-04/07: no form link yet, the reason instead.
    assert "Không nhận: chỉ nhận trong ngày 03 và ngày 04 tháng 7 năm 2023" in table[0]
    assert "/nop/75nam-tdaq-kh-ubnd/bao-cao-ket-qua/-" in page.text


def test_statuses_follow_the_ledger(portal: Portal, campaigns) -> None:
    from thidua.campaign.loading import load_campaign

    loaded = load_campaign(campaigns / "ubnd_2023_75_nam_thi_dua_ai_quoc.py")
    late = datetime(2023, 7, 12, 3, 0, tzinfo=UTC)
    record(prepare(loaded, unit="SGDDT", milestone="bao-cao-ket-qua", now=late, check_files=False))
    portal.at(late)
    mine = rows(portal.client.get(portal.unit_path("SGDDT")).text)
    assert "đã nộp, trễ hạn" in mine[1] and "Đã ghi nhận lúc" in mine[1]
    assert "quá hạn chưa nộp" in mine[0]  # nothing nominated and the window is over
    other = rows(portal.client.get(portal.unit_path("SYT")).text)
    assert all("quá hạn chưa nộp" in r for r in other), other


def test_another_units_link_shows_only_its_own(portal: Portal) -> None:
    figures = portal.client.get(portal.unit_path("SO-A"))
    assert figures.status_code == 200 and "Sở A" in figures.text
    assert CODE in figures.text and SEED_003 not in figures.text and "Sở Y tế" not in figures.text
    table = rows(figures.text)
    dues = [re.search(r"(\d\d/\d\d/\d{4})", r).group(1) for r in table]  # type: ignore[union-attr]
    assert dues == sorted(dues, key=lambda d: d[6:] + d[3:5] + d[:2])
    assert len(table) == 6  # four quarters of figures, the nomination, the year's report
    health = portal.client.get(portal.unit_path("SYT"))
    assert CODE not in health.text and "Sở A" not in health.text


def test_a_revoked_link_opens_nothing_and_says_why(portal: Portal) -> None:
    old = portal.token("SYT")
    with session_scope() as session:
        links.rotate(session, unit_code="SYT", settings=portal.settings)
    gone = portal.client.get(links.unit_path(old))
    assert gone.status_code == 404
    assert "đã được thay bằng đường liên kết mới" in gone.text and "Sở Y tế" not in gone.text
    assert portal.client.get(portal.unit_path("SYT")).status_code == 200
    unknown = portal.client.get("/u/" + "A" * links.TOKEN_LENGTH)
    assert unknown.status_code == 404 and "không có trong hệ thống" in unknown.text


def test_fifty_obligations_over_twenty_campaigns_are_read_quickly(portal: Portal) -> None:
    catalog = CampaignCatalog(portal.settings)
    campaigns = catalog.all() * 10  # the same two, ten times: 20 campaigns
    with session_scope() as session:
        obligations(campaigns, session, unit_code="SO-A", now=portal.now)  # warm
        started = time.perf_counter()
        found = obligations(campaigns, session, unit_code="SO-A", now=portal.now)
        took = time.perf_counter() - started
    assert len(found) == 60
    assert took < 0.2, took


def test_a_returned_nomination_shows_the_reason_and_the_way_to_resubmit(portal: Portal) -> None:
    from thidua.ledger import review
    from thidua.ledger.statuses import NominationStatus
    from thidua.store import nomination_rows
    from thidua.store.models import Nomination

    handed = datetime(2023, 7, 3, 3, 0, tzinfo=UTC)
    with session_scope() as session:
        kept, returned = (
            nomination_rows.add_nomination(
                session,
                nomination=Nomination(
                    campaign_code=SEED_003,
                    unit_code="SYT",
                    award="bang-khen",
                    nominee_kind="ca_nhan",
                    nominee_name=name,
                    nominee_key=name.lower(),
                    achievement="Hoàn thành xuất sắc nhiệm vụ",
                    achievement_key="hoan thanh",
                    milestone="ho-so-bang-khen",
                    occurrence="",
                    submitted_at=handed,
                ),
                actor="SYT",
            )
            for name in ("Nông Thị Lan", "Hoàng Văn Nam")
        )
        assert returned.id is not None
        review.move(
            session,
            nomination_id=returned.id,
            to=NominationStatus.RETURNED,
            actor="staff:lan",
            reason="Thiếu biên bản họp Hội đồng",
        )
    portal.at(handed)
    table = rows(portal.client.get(portal.unit_path("SYT")).text)
    assert "trả lại" in table[0] and "lý do: Thiếu biên bản họp Hội đồng" in table[0]
    assert "Nông Thị Lan: đã nộp" in table[0] and "Hoàng Văn Nam: trả lại" in table[0]
    page = portal.client.get(portal.unit_path("SYT")).text
    assert f"/de-nghi/sua/{returned.id}" in page and f"/de-nghi/sua/{kept.id}" not in page
    # Within the window the nomination form is open for more.
    assert "/de-nghi/75nam-tdaq-kh-ubnd/ho-so-bang-khen/-" in page
    # Another unit sees none of it.
    assert "Nông Thị Lan" not in portal.client.get(portal.unit_path("SGDDT")).text


def test_a_unit_on_the_weekly_digest_is_told_so(portal: Portal) -> None:
    assert "bản tin tuần" not in portal.client.get(portal.unit_path("SO-A")).text
    registry = portal.campaigns / "units.yaml"
    text = registry.read_text(encoding="utf-8")
    registry.write_text(text.replace("{code: SO-A,", "{code: SO-A, digest: weekly,"), "utf-8")
    page = portal.client.get(portal.unit_path("SO-A")).text
    assert "Đơn vị nhận bản tin tuần" in page  # the catalog saw the registry change
    assert "bản tin tuần" not in portal.client.get(portal.unit_path("SO-B")).text
