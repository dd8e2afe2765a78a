"""The seed campaigns' plans, as `thidua plan` prints them, pinned for review.

A change to the planner that moves any seed action shows up here as a readable diff
in tests/__snapshots__/test_plan_snapshots.ambr; update with `--snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from thidua.campaign.loading import load_campaign
from thidua.campaign.plan import compile_plan
from thidua.campaign.plan_output import plan_table

from .conftest import CAMPAIGNS

SEEDS = [
    "ubnd_641_kh_2026_100_ngay_dem.py",
    "sngv_579_kh_2026_100_ngay_dem.py",
    "ubnd_2023_75_nam_thi_dua_ai_quoc.py",
    "vd_2026_2030_doi_moi_sang_tao.py",
]


@pytest.mark.parametrize("name", SEEDS, ids=lambda n: Path(n).stem)
def test_seed_plan(name: str, snapshot) -> None:
    loaded = load_campaign(CAMPAIGNS / name)
    assert plan_table(compile_plan(loaded.spec, loaded.registry)) == snapshot
