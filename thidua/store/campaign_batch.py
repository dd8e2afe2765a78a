"""Campaign rows read and written for many campaigns at once, as a deploy of hundreds does.

`campaign_rows` works one campaign, one action at a time: right for the worker and
the CLI, but a deploy of 1,000 campaigns made ~40,000 statements of it. These read
every campaign's rows in a few statements and write new actions in multi-row
INSERTs. Committing is the caller's job.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from thidua.ledger.statuses import ActionStatus
from thidua.store.models import ActionRecord, CampaignRecord, CampaignUnit, utcnow
from thidua.store.statements import insert_for, plain

#: Codes per IN (…) list, well under SQLite's 32,766 bound parameters.
_CODES_PER_STATEMENT = 500
#: Actions per multi-row INSERT: 12 columns each.
_ACTIONS_PER_STATEMENT = 1000


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def campaigns_by_code(session: Session, codes: Iterable[str]) -> dict[str, CampaignRecord]:
    """The recorded campaigns among `codes`, by code (unknown codes left out)."""
    out: dict[str, CampaignRecord] = {}
    for chunk in _chunks(sorted(set(codes)), _CODES_PER_STATEMENT):
        statement = select(CampaignRecord).where(col(CampaignRecord.code).in_(chunk))
        out.update((r.code, r) for r in session.exec(statement))
    return out


def member_counts(session: Session, codes: Iterable[str]) -> dict[str, int]:
    """How many campaign_units rows (participants and organizer) each campaign has."""
    out: dict[str, int] = {}
    for chunk in _chunks(sorted(set(codes)), _CODES_PER_STATEMENT):
        statement = (
            select(CampaignUnit.campaign_code, func.count())
            .where(col(CampaignUnit.campaign_code).in_(chunk))
            .group_by(col(CampaignUnit.campaign_code))
        )
        out.update((code, count) for code, count in session.exec(statement))
    return out


def actions_by_campaign(session: Session, codes: Iterable[str]) -> dict[str, list[ActionRecord]]:
    """Every recorded action of the campaigns `codes`, grouped by campaign."""
    out: dict[str, list[ActionRecord]] = {code: [] for code in codes}
    for chunk in _chunks(sorted(out), _CODES_PER_STATEMENT):
        statement = select(ActionRecord).where(col(ActionRecord.campaign_code).in_(chunk))
        for record in session.exec(statement):
            out[record.campaign_code].append(record)
    return out


def insert_actions(session: Session, rows: Sequence[Mapping[str, Any]]) -> int:
    """Write whole action rows (every column but id), replacing any with the same key.

    Each row carries campaign_code, key, the `campaign_rows.action_fields`, status and
    flow_run_id: complete rows, so an INSERT … ON CONFLICT DO UPDATE can carry them
    (a partial row could not; `campaign_rows.save_action` is the one for those).
    """
    if not rows:
        return 0
    now = utcnow()
    values = [
        {
            **row,
            "kind": plain(row["kind"]),
            "status": ActionStatus(row["status"]).value,
            "updated_at": now,
        }
        for row in rows
    ]
    session.flush()
    for chunk in _chunks(values, _ACTIONS_PER_STATEMENT):
        stmt = insert_for(session, ActionRecord).values(chunk)
        stmt = stmt.on_conflict_do_update(
            index_elements=["campaign_code", "key"],
            set_={
                name: stmt.excluded[name]
                for name in chunk[0]
                if name not in ("campaign_code", "key")
            },
        )
        session.exec(stmt)
    return len(values)
