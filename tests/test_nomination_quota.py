"""Nomination quotas on the real store: per unit with overrides, "không quá 30%", the re-check."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from thidua.campaign.kinds import NomineeKind
from thidua.campaign.loading import LoadedCampaign
from thidua.campaign.spec import Quota
from thidua.errors import NominationError
from thidua.ledger.quotas import QuotaExceeded, limits_for, quota_usage, recheck
from thidua.ledger.review import move
from thidua.ledger.statuses import NominationStatus
from thidua.store.db import session_scope

from .nomination_helpers import (
    BANG_KHEN,
    at,
    dossier,
    nominate_in,
    request,
    seed_2023,
    sngv,
    store_state,
)

S = NominationStatus
SNGV_AT = at("20/05/2026 09:00")


def with_quota(loaded: LoadedCampaign, quota: Quota) -> LoadedCampaign:
    """The campaign with its first award's quota replaced (a redeploy with a new number)."""
    first, *rest = loaded.spec.awards
    spec = loaded.spec.model_copy(
        update={"awards": [first.model_copy(update={"quota": quota}), *rest]}
    )
    return dataclasses.replace(loaded, spec=spec)


def person(folder: Path, unit: str, name: str, **changes) -> object:
    """An individual nomination for the 2023 Bằng khen from `unit`, with its dossier."""
    return request(unit=unit, name=name, documents=dossier(folder, name), **changes)


def phong(unit: str, name: str, kind: str = "cá nhân", **changes) -> object:
    """A nomination in Sở Ngoại vụ's campaign (no dossier list, window by 24/5/2026)."""
    fields = (
        {"position": "Chuyên viên", "workplace": unit} if kind == "cá nhân" else {"position": None}
    )
    return request(unit=unit, name=name, kind=kind, at=SNGV_AT, **{**fields, **changes})


def over_quota(engine: Engine, loaded: LoadedCampaign, req) -> str:
    before = store_state(engine)
    with pytest.raises(QuotaExceeded) as info:
        nominate_in(engine, loaded, req)
    assert store_state(engine) == before
    return str(info.value)


# --- per unit -------------------------------------------------------------------------


def test_one_per_unit_by_default_and_the_error_names_what_counts(
    fresh_db: Engine, tmp_path: Path
) -> None:
    first = nominate_in(fresh_db, seed_2023(), person(tmp_path, "STP", "Lý Văn Bình"))
    message = over_quota(fresh_db, seed_2023(), person(tmp_path, "STP", "Đàm Thị Cúc"))
    assert f"vượt hạn mức STP · {BANG_KHEN}: tối đa 1 hồ sơ (mức chung cho mỗi đơn vị)" in message
    assert (
        f"đã có 1 hồ sơ tính vào hạn mức: số {first.id} Lý Văn Bình (cá nhân, STP, đã nộp)"
        in message
    )
    # Another unit's quota is its own.
    nominate_in(fresh_db, seed_2023(), person(tmp_path, "STC", "Đàm Thị Cúc"))


def test_a_group_override_gives_every_unit_of_the_group_its_number(
    fresh_db: Engine, tmp_path: Path
) -> None:
    for name in ("Nông Văn Đức", "Hoàng Thị Én"):
        nominate_in(fresh_db, seed_2023(), person(tmp_path, "HUYEN-HOA-AN", name))
    message = over_quota(fresh_db, seed_2023(), person(tmp_path, "HUYEN-HOA-AN", "Bế Văn Giang"))
    assert (
        "tối đa 2 hồ sơ (mức riêng của nhóm HUYEN-TP (Ủy ban nhân dân các huyện, thành phố))"
        in message
    )
    assert "Nông Văn Đức" in message and "Hoàng Thị Én" in message
    nominate_in(fresh_db, seed_2023(), person(tmp_path, "HUYEN-THACH-AN", "Bế Văn Giang"))


def test_a_unit_override_beats_its_groups_override() -> None:
    loaded = with_quota(
        seed_2023(),
        Quota(per_unit=1, overrides={"HUYEN-TP": 2, "HUYEN-HOA-AN": 3, "SO-BAN-NGANH": 0}),
    )
    award = loaded.spec.awards[0]
    [mine] = limits_for(loaded.spec, loaded.registry, award, "HUYEN-HOA-AN")
    assert (mine.limit, mine.basis) == (3, "mức riêng của đơn vị HUYEN-HOA-AN")
    [other] = limits_for(loaded.spec, loaded.registry, award, "HUYEN-BAO-LAC")
    assert other.limit == 2
    [so] = limits_for(loaded.spec, loaded.registry, award, "STP")
    assert so.limit == 0 and "SO-BAN-NGANH" in so.basis


def test_returned_nominations_still_count_withdrawn_and_not_awarded_do_not(
    fresh_db: Engine, tmp_path: Path
) -> None:
    first = nominate_in(fresh_db, seed_2023(), person(tmp_path, "STP", "Lý Văn Bình"))
    with session_scope(fresh_db) as session:
        move(session, nomination_id=first.id, to=S.RETURNED, actor="BTDKT", reason="Thiếu biên bản")
    message = over_quota(fresh_db, seed_2023(), person(tmp_path, "STP", "Đàm Thị Cúc"))
    assert "Lý Văn Bình (cá nhân, STP, trả lại)" in message
    with session_scope(fresh_db) as session:
        move(session, nomination_id=first.id, to=S.WITHDRAWN, actor="STP")
    second = nominate_in(fresh_db, seed_2023(), person(tmp_path, "STP", "Đàm Thị Cúc"))
    with session_scope(fresh_db) as session:
        move(session, nomination_id=second.id, to=S.ACCEPTED, actor="BTDKT")
        move(session, nomination_id=second.id, to=S.NOT_AWARDED, actor="Hội đồng TĐKT")
    nominate_in(fresh_db, seed_2023(), person(tmp_path, "STP", "Hà Văn Khánh"))


# --- "không quá 30%" --------------------------------------------------------------------


def test_thirty_percent_of_three_units_allows_no_collective(fresh_db: Engine) -> None:
    req = phong("SNGV-HTQT", "Phòng Hợp tác quốc tế", kind="tập thể")
    message = over_quota(fresh_db, sngv(), req)
    assert f"vượt hạn mức Toàn đợt · {BANG_KHEN} · tập thể: tối đa 0 hồ sơ" in message
    assert "không quá 30% số đơn vị tham gia: 30% × 3 đơn vị = 0,9, làm tròn xuống 0" in message
    assert "đã có 0 hồ sơ tính vào hạn mức: chưa có" in message


def test_thirty_percent_of_a_units_headcount_limits_its_individuals(fresh_db: Engine) -> None:
    # Phòng Quản lý biên giới: 8 người → 2,4 → 2; Phòng Lãnh sự: 6 người → 1,8 → 1.
    for name in ("Hoàng Thị Mai", "Lục Văn Nam"):
        nominate_in(fresh_db, sngv(), phong("SNGV-QLBG", name))
    message = over_quota(fresh_db, sngv(), phong("SNGV-QLBG", "Triệu Thị Oanh"))
    assert (
        "không quá 30% quân số của đơn vị SNGV-QLBG: 30% × 8 người = 2,4, làm tròn xuống 2"
        in message
    )
    assert "Hoàng Thị Mai (cá nhân, SNGV-QLBG, đã nộp)" in message and "Lục Văn Nam" in message
    nominate_in(fresh_db, sngv(), phong("SNGV-LSTTDN", "Triệu Thị Oanh"))
    message = over_quota(fresh_db, sngv(), phong("SNGV-LSTTDN", "Ma Văn Phúc"))
    assert "tối đa 1 hồ sơ" in message and "6 người = 1,8" in message
    # The other award has its own 30%.
    nominate_in(fresh_db, sngv(), phong("SNGV-LSTTDN", "Ma Văn Phúc", award="Giấy khen"))


@pytest.mark.parametrize(
    ("ratio_of", "bounds"),
    [
        ("units", [(None, {NomineeKind.COLLECTIVE}, 1)]),
        ("headcount", [("SNGV-QLBG", {NomineeKind.INDIVIDUAL, NomineeKind.HOUSEHOLD}, 4)]),
        (
            "units_and_headcount",
            [
                (None, {NomineeKind.COLLECTIVE}, 1),
                ("SNGV-QLBG", {NomineeKind.INDIVIDUAL, NomineeKind.HOUSEHOLD}, 4),
            ],
        ),
    ],
)
def test_what_the_ratio_is_of(ratio_of: str, bounds: list) -> None:
    loaded = with_quota(sngv(), Quota(max_ratio="50%", ratio_of=ratio_of))
    limits = limits_for(loaded.spec, loaded.registry, loaded.spec.awards[0], "SNGV-QLBG")
    assert [(lim.unit, set(lim.kinds), lim.limit) for lim in limits] == bounds


def test_without_a_units_headcount_the_ratio_is_of_all_participants() -> None:
    loaded = with_quota(seed_2023(), Quota(max_ratio="10%", ratio_of="headcount"))
    [limit] = limits_for(loaded.spec, loaded.registry, loaded.spec.awards[0], "HUYEN-HOA-AN")
    # The huyện have no headcount in the 2023 registry; the sở that have one add up to 1056.
    assert limit.unit is None and limit.limit == 105
    assert "không quá 10% tổng quân số các đơn vị tham gia: 10% × 1056 người = 105,6" in limit.basis


def test_the_participants_headcount_is_added_up_once_for_every_unit_asking(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The board asks for each unit's bounds; adding up every member's headcount for each
    unit was quadratic (10^10 unit reads at 100,000 units)."""
    from thidua.campaign.audience import participants

    loaded = with_quota(seed_2023(), Quota(max_ratio="10%", ratio_of="headcount"))
    members = participants(loaded.spec, loaded.registry)
    no_headcount = [c for c in members if loaded.registry.unit(c).headcount is None]
    assert len(no_headcount) >= 3
    reads: list[str] = []
    real_unit = type(loaded.registry).unit
    monkeypatch.setattr(
        type(loaded.registry),
        "unit",
        lambda self, code: reads.append(code) or real_unit(self, code),
    )
    award = loaded.spec.awards[0]
    for code in no_headcount:
        [limit] = limits_for(loaded.spec, loaded.registry, award, code, members=members)
        assert limit.limit == 105
    # a member that did not ask was read once, for the total (it was once per asking unit)
    others = [c for c in members if c not in no_headcount]
    assert others and all(reads.count(c) == 1 for c in others)


def test_a_ratio_with_no_headcount_at_all_is_a_clear_error(write_campaign) -> None:
    from thidua.campaign.loading import load_campaign

    path = write_campaign(
        'Milestone(kind="hồ sơ khen thưởng", when="trước ngày 25/5/2026")',
        extra='awards=[Award(name="Giấy khen", quota=Quota(max_ratio="30%", ratio_of="headcount"))],',
    )
    loaded = load_campaign(path)
    registry = dataclasses.replace(
        loaded.registry,
        units={
            code: unit.model_copy(update={"headcount": None})
            for code, unit in loaded.registry.units.items()
        },
    )
    with pytest.raises(NominationError, match="không ghi quân số"):
        limits_for(loaded.spec, registry, loaded.spec.awards[0], "SO-A")


# --- usage and the re-check -------------------------------------------------------------


def test_usage_lines_and_the_recheck_after_a_quota_is_lowered(
    fresh_db: Engine, tmp_path: Path
) -> None:
    for unit, name in [
        ("SGDDT", "Nguyễn Văn An"),
        ("SGDDT", "Trần Thị Bích"),
        ("STP", "Lý Văn Bình"),
    ]:
        nominate_in(fresh_db, seed_2023(), person(tmp_path, unit, name))
    with session_scope(fresh_db) as session:
        assert recheck(session, seed_2023()) == []
        from thidua.store import nomination_rows

        nominations = nomination_rows.nominations_for(session, campaign_code=seed_2023().code)
    lines = [u.line for u in quota_usage(seed_2023().spec, seed_2023().registry, nominations)]
    assert lines == [f"STP · {BANG_KHEN}: 1/1", f"SGDDT · {BANG_KHEN}: 2/2"]

    lowered = with_quota(seed_2023(), Quota(per_unit=1))  # the plan was amended: 01 for everyone
    with session_scope(fresh_db) as session:
        overflows = recheck(session, lowered)
    assert [u.line for u in overflows] == [f"SGDDT · {BANG_KHEN}: 2/1"]
    text = overflows[0].describe()
    assert "tối đa 1 hồ sơ (mức chung cho mỗi đơn vị); đang có 2 hồ sơ" in text
    assert "số 1 Nguyễn Văn An (cá nhân, SGDDT, đã nộp); số 2 Trần Thị Bích" in text


def test_concurrent_nominations_cannot_both_take_the_last_place(
    fresh_db: Engine, tmp_path: Path
) -> None:
    requests = [person(tmp_path, "STP", f"Người thứ {i}") for i in range(4)]
    results: list[object] = []
    barrier = threading.Barrier(len(requests))

    def attempt(req) -> None:
        barrier.wait()
        try:
            results.append(nominate_in(fresh_db, seed_2023(), req))
        except QuotaExceeded as exc:
            results.append(exc)

    threads = [threading.Thread(target=attempt, args=(r,)) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert store_state(fresh_db)[0] == 1


def test_the_deadline_artifact_lists_each_exceeded_quota(fresh_db: Engine, tmp_path: Path) -> None:
    from thidua.tasks.nominations import overflow_markdown

    for name in ("Nguyễn Văn An", "Trần Thị Bích"):
        nominate_in(fresh_db, seed_2023(), person(tmp_path, "SGDDT", name))
    lowered = with_quota(seed_2023(), Quota(per_unit=1))
    with session_scope(fresh_db) as session:
        overflows = recheck(session, lowered)
    text = overflow_markdown(lowered.code, lowered.spec.title, overflows)
    assert text.startswith("## Vượt hạn mức khen thưởng — 75NAM-TDAQ/KH-UBND")
    assert f"- **SGDDT · {BANG_KHEN}: 2/1**: hạn mức SGDDT" in text
    assert "số 2 Trần Thị Bích (cá nhân, SGDDT, đã nộp)" in text
