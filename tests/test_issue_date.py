"""Nothing starts before the plan exists: periods begun before the issue date start on it."""

from __future__ import annotations

from datetime import date

import pytest

from thidua.campaign.loading import load_campaign
from thidua.campaign.plan import ActionKind, compile_plan
from thidua.errors import CampaignFileError

from .conftest import BASE_CAMPAIGN, CAMPAIGNS

PARTY = CAMPAIGNS / "vd_tu_2025_2030_sang_kien.py"


def errors(path) -> str:
    with pytest.raises(CampaignFileError) as info:
        load_campaign(path)
    return "\n".join(p.render() for p in info.value.errors)


def test_a_launch_in_quy_iv_2025_does_not_precede_the_issue_date() -> None:
    loaded = load_campaign(PARTY)
    spec = loaded.spec
    assert spec.issued.start == date(2025, 11, 5)
    assert spec.launch_date == date(2025, 11, 5)
    launch = next(
        a for a in compile_plan(spec, loaded.registry).actions if a.kind is ActionKind.LAUNCH
    )
    assert launch.day == date(2025, 11, 5) and launch.opens == date(2025, 11, 5)


def test_a_period_begun_before_the_issue_date_opens_on_it(write_campaign) -> None:
    # Issued 02/3/2026; “tháng 3/2026” began on the 1st.
    path = write_campaign('Milestone(kind="báo cáo", id="bc", when="tháng 3/2026"),')
    loaded = load_campaign(path)
    occ = next(
        o for o in compile_plan(loaded.spec, loaded.registry).occurrences if o.milestone.key == "bc"
    )
    assert occ.opens == date(2026, 3, 2) and occ.written == date(2026, 3, 31)


def test_an_exact_day_before_the_issue_date_is_refused(write_campaign) -> None:
    path = write_campaign('Milestone(kind="sơ kết", id="sk", when="ngày 01/3/2026"),')
    text = errors(path)
    assert "milestones[sk].when" in text
    assert "trước ngày ban hành 02/03/2026" in text and "before_issued=True" in text


def test_unless_the_file_says_it_is_intended(write_campaign) -> None:
    """A launch meeting held the day before the plan was signed, recorded as such."""
    launch = 'Milestone(kind="phát động", when="ngày 02/3/2026"),'
    text = BASE_CAMPAIGN.format(milestones="", extra="")
    refused = text.replace(launch, 'Milestone(kind="phát động", when="ngày 01/3/2026"),')
    assert "before_issued=True" in errors(write_campaign(text=refused))
    intended = text.replace(
        launch, 'Milestone(kind="phát động", when="ngày 01/3/2026", before_issued=True),'
    )
    loaded = load_campaign(write_campaign(text=intended, name="intended.py"))
    assert loaded.spec.launch_date == date(2026, 3, 1)
