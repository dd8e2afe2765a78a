"""Deploying many campaigns at once: the chunks, and the store rows read and written in bulk.

The Prefect side (bulk run creation, a no-change redeploy) is tested against a real
server in tests/test_worker.py and measured in bench/deploy_scale.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from thidua.store import campaign_batch, campaign_rows
from thidua.store.db import session_scope


def test_chunks_split_at_the_size_and_before_a_code_seen_again(monkeypatch) -> None:
    from thidua.flows import deploy

    monkeypatch.setattr(deploy, "CHUNK", 3)
    codes = ["A", "B", "C", "D", "E", "D", "F"]
    chunks = list(deploy._chunks([SimpleNamespace(code=c) for c in codes]))  # type: ignore[misc]
    # The second D starts a chunk of its own, so it is deployed after the first one is saved.
    assert [[c.code for c in chunk] for chunk in chunks] == [
        ["A", "B", "C"],
        ["D", "E"],
        ["D", "F"],
    ]


def _campaign(session, code: str) -> None:
    campaign_rows.upsert_campaign(
        session,
        code=code,
        title="Đợt thi đua",
        file=f"{code}.py",
        organizer="BTDKT",
        spec_hash="abc",
        period_start=date(2027, 1, 1),
        period_end=date(2027, 12, 31),
    )


def _row(code: str, key: str, status: str, run: str | None) -> dict:
    return {
        "campaign_code": code,
        "key": key,
        "milestone": "m",
        "occurrence": "-",
        "kind": "reminder",
        "title": f"Nhắc {key}",
        "run_name": f"{code} · Nhắc {key}",
        "scheduled_at": datetime(2027, 3, 1, 1, tzinfo=UTC),
        "due": date(2027, 3, 5),
        "recipients": 4,
        "status": status,
        "flow_run_id": run,
    }


def test_actions_are_written_in_bulk_and_read_back_by_campaign() -> None:
    with session_scope() as session:
        for code in ("1/KH", "2/KH"):
            _campaign(session, code)
        written = campaign_batch.insert_actions(
            session,
            [_row("1/KH", "a", "scheduled", "run-1"), _row("2/KH", "a", "passed", None)],
        )
        assert written == 2
    with session_scope() as session:
        # A row again replaces its columns, keeps the others (an attempt's error, say).
        campaign_rows.set_action_status(
            session, campaign_code="1/KH", key="a", status="scheduled", error="lỗi cũ"
        )
        campaign_batch.insert_actions(session, [_row("1/KH", "a", "scheduled", "run-2")])
    with session_scope() as session:
        actions = campaign_batch.actions_by_campaign(session, ["1/KH", "2/KH", "3/KH"])
        assert {
            code: [(a.key, a.status, a.flow_run_id) for a in rows] for code, rows in actions.items()
        } == {
            "1/KH": [("a", "scheduled", "run-2")],
            "2/KH": [("a", "passed", None)],
            "3/KH": [],
        }
        assert actions["1/KH"][0].error == "lỗi cũ"
        assert set(campaign_batch.campaigns_by_code(session, ["1/KH", "3/KH"])) == {"1/KH"}


def test_member_counts_count_participants_and_the_organizer() -> None:
    with session_scope() as session:
        _campaign(session, "1/KH")
        campaign_rows.sync_units(
            session,
            campaign_code="1/KH",
            units=[("SO-A", "Sở A", "so", None, None, []), ("BTDKT", "Ban", "ban", None, None, [])],
            participants=["SO-A", "BTDKT"],
            organizer="BTDKT",
        )
        assert campaign_batch.member_counts(session, ["1/KH", "2/KH"]) == {"1/KH": 3}


def test_a_row_with_an_unknown_status_is_refused() -> None:
    with session_scope() as session, pytest.raises(ValueError):
        campaign_batch.insert_actions(session, [_row("1/KH", "a", "bogus", None)])


def test_a_registry_is_written_once_per_deploy_and_every_campaign_gets_its_members(
    write_campaign, campaign_dir
) -> None:
    from sqlmodel import select
    from thidua.flows import deploy

    from thidua.campaign.loading import load_campaigns
    from thidua.store.models import UnitRecord

    from .conftest import BASE_CAMPAIGN

    files = [
        write_campaign(text=BASE_CAMPAIGN.format(milestones="", extra="").replace(
            "12/KH-TEST", f"{i}/KH-TEST"), name=f"c{i}.py")
        for i in (1, 2, 3)
    ]  # fmt: skip
    registries: set[tuple[str, str]] = set()
    prepared = deploy._prepare(list(load_campaigns(files)), registries)
    assert [c.status for c in prepared] == ["active"] * 3
    assert len(registries) == 1  # one registry file, written once
    with session_scope() as session:
        counts = campaign_batch.member_counts(session, ["1/KH-TEST", "2/KH-TEST", "3/KH-TEST"])
        names = {u.code: u.name for u in session.exec(select(UnitRecord))}
    # Khối A and Cụm xã: SO-A, SO-B, XA-1, XA-2; + the organizer's row: for every campaign.
    assert counts == {"1/KH-TEST": 5, "2/KH-TEST": 5, "3/KH-TEST": 5}
    assert names["XA-2"] == "UBND xã Hai" and names["BTDKT"] == "Ban Thi đua - Khen thưởng"

    # The registry edited: the next deploy (a new set) writes its units again.
    registry = campaign_dir / "units.yaml"
    registry.write_text(registry.read_text(encoding="utf-8").replace("xã Hai", "xã Hai Mới"))
    again: set[tuple[str, str]] = set()
    deploy._prepare(list(load_campaigns(files)), again)
    with session_scope() as session:
        assert session.get(UnitRecord, "XA-2").name == "UBND xã Hai Mới"  # type: ignore[union-attr]
    assert again and again != registries
