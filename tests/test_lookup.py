"""Finding a campaign by its code."""

from __future__ import annotations

import pytest

from thidua.campaign.lookup import find_campaign
from thidua.errors import UnknownCampaign

from .conftest import ROOT

CAMPAIGNS = ROOT / "campaigns"


def test_a_campaign_is_found_by_its_code_in_the_campaigns_folder() -> None:
    loaded = find_campaign("641/KH-UBND", folder=CAMPAIGNS, use_store=False)
    assert loaded.path.name == "ubnd_641_kh_2026_100_ngay_dem.py"
    assert loaded.code == "641/KH-UBND"


def test_an_unknown_code_names_the_known_ones() -> None:
    with pytest.raises(UnknownCampaign) as info:
        find_campaign("999/KH-UBND", folder=CAMPAIGNS, use_store=False)
    message = str(info.value)
    assert "“999/KH-UBND”" in message and "641/KH-UBND" in message and "579/KH-SNgV" in message
