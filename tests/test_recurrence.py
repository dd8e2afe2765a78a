"""Recurrences as real plans write them: hằng năm, 6 tháng, hằng quý, hằng tháng, listed dates."""

from __future__ import annotations

from datetime import date

import pytest

from thidua.campaign.loading import load_campaign
from thidua.campaign.plan import compile_plan, occurrences
from thidua.dates.recurrence import Every, occurrence_label, parse_every
from thidua.errors import CampaignFileError

from .conftest import CAMPAIGNS

CHI_THI = CAMPAIGNS / "vd_ct_2026_2030_thi_dua_yeu_nuoc.py"


def errors(path) -> str:
    with pytest.raises(CampaignFileError) as info:
        load_campaign(path)
    return "\n".join(p.render() for p in info.value.errors)


@pytest.mark.parametrize(
    ("written", "every"),
    [
        ("hằng năm", Every.YEARLY),
        ("hàng năm", Every.YEARLY),
        ("yearly", Every.YEARLY),
        ("6 tháng", Every.HALF_YEARLY),
        ("định kỳ 6 tháng", Every.HALF_YEARLY),
        ("sáu tháng một lần", Every.HALF_YEARLY),
        ("hằng quý", Every.QUARTERLY),
        ("Định kỳ hằng quý", Every.QUARTERLY),
        ("hằng tháng", Every.MONTHLY),
        ("các ngày", Every.DATES),
    ],
)
def test_vietnamese_and_english_forms(written: str, every: Every) -> None:
    assert parse_every(written) is every


def test_dinh_ky_alone_is_refused_with_the_forms_that_work() -> None:
    with pytest.raises(ValueError) as info:
        parse_every("định kỳ")
    message = str(info.value)
    assert "chưa nói bao lâu một lần" in message
    assert all(
        form in message for form in ("“hằng năm”", "“6 tháng”", "“hằng quý”", "“hằng tháng”")
    )


def test_dinh_ky_in_a_campaign_file_names_the_field(write_campaign) -> None:
    path = write_campaign(
        'Milestone(kind="báo cáo", when="trước ngày 15/6", recurrence=Recurrence(every="định kỳ")),'
    )
    text = errors(path)
    assert "recurrence.every" in text and "“6 tháng”" in text


def test_the_six_monthly_reports_of_the_chi_thi() -> None:
    loaded = load_campaign(CHI_THI)
    occs = [
        o
        for o in compile_plan(loaded.spec, loaded.registry).occurrences
        if o.milestone.key == "bao-cao-dinh-ky"
    ]
    assert [o.key for o in occs] == [f"{y}-H{h}" for y in range(2026, 2031) for h in (1, 2)]
    # “trước ngày 15/6” and “trước ngày 15/11” of each year, as written (before the day).
    assert [o.written for o in occs[:4]] == [
        date(2026, 6, 14),
        date(2026, 11, 14),
        date(2027, 6, 14),
        date(2027, 11, 14),
    ]
    # 14/6/2026 is a Sunday: the deadline ends on Monday 15/6 (BLDS 2015, Điều 148).
    assert occs[0].due == date(2026, 6, 15)
    assert [o.label for o in occs[:2]] == ["6 tháng đầu năm 2026", "cả năm 2026"]


def test_six_monthly_from_the_first_half_only(write_campaign) -> None:
    path = write_campaign(
        'Milestone(kind="báo cáo", id="bc", when="ngày 20/6", '
        'recurrence=Recurrence(every="6 tháng", start=2026, until=2027)),'
    )
    occs, problems = occurrences(load_campaign(path).spec)
    assert not problems
    got = [(o.key, o.written) for o in occs if o.milestone.key == "bc"]
    assert got == [
        ("2026-H1", date(2026, 6, 20)),
        ("2026-H2", date(2026, 12, 20)),
        ("2027-H1", date(2027, 6, 20)),
        ("2027-H2", date(2027, 12, 20)),
    ]


def test_monthly_reads_a_day_of_each_month(write_campaign) -> None:
    path = write_campaign(
        'Milestone(kind="báo cáo", id="thang", when="ngày 30 hằng tháng", '
        'recurrence=Recurrence(every="hằng tháng")),'
    )
    occs, problems = occurrences(load_campaign(path).spec)
    assert not problems
    got = {o.key: o.written for o in occs if o.milestone.key == "thang"}
    assert list(got) == ["2026-03", "2026-04", "2026-05", "2026-06"]
    assert got["2026-04"] == date(2026, 4, 30) and got["2026-06"] == date(2026, 6, 30)
    assert occurrence_label("2026-04") == "tháng 4/2026"


def test_quarterly_keeps_working(write_campaign) -> None:
    path = write_campaign(
        'Milestone(kind="báo cáo", id="quy", when="ngày 20 tháng cuối quý", '
        'recurrence=Recurrence(every="hằng quý")),'
    )
    occs, _ = occurrences(load_campaign(path).spec)
    assert [o.key for o in occs if o.milestone.key == "quy"] == ["2026-Q1", "2026-Q2"]


def test_an_explicit_list_of_dates(write_campaign) -> None:
    path = write_campaign(
        'Milestone(kind="báo cáo", id="dot", '
        'recurrence=Recurrence(on=["ngày 10/4/2026", "ngày 10/6/2026"])),'
    )
    occs, problems = occurrences(load_campaign(path).spec)
    assert not problems
    got = [(o.key, o.written, o.label) for o in occs if o.milestone.key == "dot"]
    assert got == [
        ("2026-04-10", date(2026, 4, 10), "ngày 10/04/2026"),
        ("2026-06-10", date(2026, 6, 10), "ngày 10/06/2026"),
    ]


def test_six_monthly_needs_two_days_in_on(write_campaign) -> None:
    path = write_campaign(
        'Milestone(kind="báo cáo", recurrence=Recurrence(every="6 tháng", on=["15/6"])),'
    )
    assert "on ghi đúng hai ngày" in errors(path)
