"""Rows of the campaigns, the units taking part in them, and their planned actions.

Keyword-only functions that take the session first; committing is the caller's job.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from thidua.errors import UnknownCampaign
from thidua.ledger.statuses import ActionStatus, CampaignStatus
from thidua.store.models import (
    ActionRecord,
    CampaignRecord,
    CampaignUnit,
    UnitRecord,
    UnitRole,
    utcnow,
)
from thidua.store.statements import insert_for, plain, reload, upsert

if TYPE_CHECKING:
    from thidua.campaign.plan import Action

_UNIT_FIELDS = ("code", "name", "kind", "supervisor", "headcount", "contacts")
#: Rows per multi-row INSERT: SQLite allows 32,766 bound parameters, 7 per unit.
_UNITS_PER_STATEMENT = 500


def _field(item: Any, name: str, index: int) -> Any:
    if isinstance(item, Mapping):
        return item.get(name)
    if isinstance(item, Sequence) and not isinstance(item, str):
        return item[index] if index < len(item) else None
    return getattr(item, name, None)


# --- campaigns --------------------------------------------------------------------


def upsert_campaign(
    session: Session,
    *,
    code: str,
    title: str,
    file: str,
    organizer: str,
    spec_hash: str,
    period_start: date,
    period_end: date,
) -> CampaignRecord:
    """Record a campaign as deployed now; its status (paused, cancelled) is kept."""
    now = utcnow()
    fields = {
        "title": title,
        "file": str(file),
        "organizer": organizer,
        "spec_hash": spec_hash,
        "period_start": period_start,
        "period_end": period_end,
        "updated_at": now,
    }
    return upsert(
        session,
        CampaignRecord,
        key={"code": code},
        insert={"status": CampaignStatus.ACTIVE.value, "created_at": now},
        update=fields,
    )


def get_campaign(session: Session, *, code: str) -> CampaignRecord | None:
    """The campaign with `code`, or None."""
    return session.get(CampaignRecord, code)


def list_campaigns(session: Session) -> list[CampaignRecord]:
    """Every recorded campaign, by code."""
    return list(session.exec(select(CampaignRecord).order_by(col(CampaignRecord.code))))


def set_campaign_status(
    session: Session, *, code: str, status: CampaignStatus | str
) -> CampaignRecord:
    """Pause, resume or cancel a campaign; UnknownCampaign when it was never recorded."""
    record = session.get(CampaignRecord, code)
    if record is None:
        raise UnknownCampaign(f"kho trạng thái không có đợt thi đua “{code}”")
    record.status = CampaignStatus(status)
    record.updated_at = utcnow()
    session.add(record)
    session.flush()
    return record


# --- units ------------------------------------------------------------------------


def sync_units(
    session: Session,
    *,
    campaign_code: str,
    units: Iterable[Any],
    participants: Iterable[str],
    organizer: str,
) -> list[UnitRecord]:
    """Upsert `units` and make the campaign's members exactly `participants` plus `organizer`.

    A unit is a registry `Unit`, a mapping, or a tuple (code, name, kind, supervisor,
    headcount, contacts). Contacts are stored as the registry's URL templates. The
    units are written in a few multi-row statements: a deploy syncs the whole
    registry of every campaign, and one statement per unit dominated deploy time.
    """
    now = utcnow()
    values: dict[str, dict[str, Any]] = {}
    for item in units:
        code, name, kind, supervisor, headcount, contacts = (
            _field(item, name, i) for i, name in enumerate(_UNIT_FIELDS)
        )
        values[code] = {
            "code": code,
            "name": name,
            "kind": plain(kind),
            "supervisor": supervisor,
            "headcount": headcount,
            "contacts": [str(c) for c in contacts or ()],
            "updated_at": now,
        }
    records: list[UnitRecord] = []
    rows_list = list(values.values())
    session.flush()
    for start in range(0, len(rows_list), _UNITS_PER_STATEMENT):
        chunk = rows_list[start : start + _UNITS_PER_STATEMENT]
        stmt = insert_for(session, UnitRecord).values(chunk)
        stmt = stmt.on_conflict_do_update(
            index_elements=["code"],
            set_={name: stmt.excluded[name] for name in chunk[0] if name != "code"},
        )
        session.exec(stmt)
    if values:
        statement = select(UnitRecord).where(col(UnitRecord.code).in_(list(values)))
        loaded = session.exec(statement, execution_options={"populate_existing": True})
        by_code = {r.code: r for r in loaded}
        records = [by_code[code] for code in values]
    session.exec(delete(CampaignUnit).where(col(CampaignUnit.campaign_code) == campaign_code))
    rows = {(code, UnitRole.PARTICIPANT.value) for code in participants}
    rows.add((organizer, UnitRole.ORGANIZER.value))
    # DO NOTHING: a concurrent sync of the same campaign may have inserted the row already.
    session.exec(
        insert_for(session, CampaignUnit)
        .values(
            [{"campaign_code": campaign_code, "unit_code": c, "role": r} for c, r in sorted(rows)]
        )
        .on_conflict_do_nothing()
    )
    return records


def campaign_units(
    session: Session, *, campaign_code: str, role: UnitRole | str | None = None
) -> list[str]:
    """Codes of the campaign's units (of one role, if given), sorted."""
    statement = select(CampaignUnit.unit_code).where(
        col(CampaignUnit.campaign_code) == campaign_code
    )
    if role is not None:
        statement = statement.where(col(CampaignUnit.role) == UnitRole(role))
    return sorted(set(session.exec(statement)))


# --- actions ----------------------------------------------------------------------


def action_fields(action: Action) -> dict[str, Any]:
    """The `save_action` fields of a planned `Action` (scheduled time in UTC)."""
    return {
        "milestone": action.milestone,
        "occurrence": action.occurrence,
        "kind": plain(action.kind),
        "title": action.title,
        "run_name": action.run_name(),
        "scheduled_at": action.at,
        "due": action.due,
        "recipients": len(action.recipients),
    }


def get_actions(session: Session, *, campaign_code: str) -> list[ActionRecord]:
    """The campaign's actions in time order (then by key)."""
    statement = (
        select(ActionRecord)
        .where(col(ActionRecord.campaign_code) == campaign_code)
        .order_by(col(ActionRecord.scheduled_at), col(ActionRecord.key))
    )
    return list(session.exec(statement))


def get_action(session: Session, *, campaign_code: str, key: str) -> ActionRecord | None:
    """The action `key` of the campaign, or None."""
    statement = select(ActionRecord).where(
        col(ActionRecord.campaign_code) == campaign_code, col(ActionRecord.key) == key
    )
    return session.exec(statement).first()


def save_action(session: Session, *, campaign_code: str, key: str, **fields: Any) -> ActionRecord:
    """Insert the action or update the given fields of it (unknown field names: TypeError)."""
    unknown = set(fields) - set(ActionRecord.model_fields) | ({"id"} & set(fields))
    if unknown:
        raise TypeError(f"save_action: unknown fields {sorted(unknown)}")
    if "status" in fields:
        fields["status"] = ActionStatus(fields["status"]).value
    if "kind" in fields:
        fields["kind"] = plain(fields["kind"])
    fields["updated_at"] = utcnow()
    key_fields = {"campaign_code": campaign_code, "key": key}
    # UPDATE first: an INSERT … ON CONFLICT checks NOT NULL before it sees the conflict,
    # so it cannot carry a partial update of an existing action.
    session.flush()
    updated = session.exec(
        update(ActionRecord)
        .filter_by(**key_fields)
        .values(fields)
        .execution_options(synchronize_session=False)
    )
    if updated.rowcount:
        return reload(session, ActionRecord, key_fields)
    return upsert(session, ActionRecord, key=key_fields, insert={}, update=fields)


def delete_action(session: Session, *, campaign_code: str, key: str) -> bool:
    """Remove the action; False when there was none."""
    record = get_action(session, campaign_code=campaign_code, key=key)
    if record is None:
        return False
    session.delete(record)
    session.flush()
    return True


def set_action_status(
    session: Session,
    *,
    campaign_code: str,
    key: str,
    status: ActionStatus | str,
    flow_run_id: str | None = None,
    error: str | None = None,
    late_seconds: int | None = None,
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
) -> ActionRecord:
    """Move an action to `status`, changing the other fields only when given.

    Moving to "running" starts a new attempt, so the last attempt's error and
    finished_at are cleared. LookupError when the action was never saved.
    """
    record = get_action(session, campaign_code=campaign_code, key=key)
    if record is None:
        raise LookupError(f"đợt thi đua “{campaign_code}” không có hoạt động “{key}”")
    record.status = ActionStatus(status)
    if record.status is ActionStatus.RUNNING:
        record.error = None
        record.finished_at = None
    changes = {
        "flow_run_id": flow_run_id,
        "error": error,
        "late_seconds": late_seconds,
        "started_at": started_at,
        "finished_at": finished_at,
    }
    for name, value in changes.items():
        if value is not None:
            setattr(record, name, value)
    record.updated_at = utcnow()
    session.add(record)
    session.flush()
    return record


def action_counts(session: Session, *, campaign_code: str) -> dict[str, int]:
    """How many of the campaign's actions are in each status (statuses with none omitted)."""
    statement = (
        select(ActionRecord.status, func.count())
        .where(col(ActionRecord.campaign_code) == campaign_code)
        .group_by(col(ActionRecord.status))
    )
    return {str(plain(status)): count for status, count in session.exec(statement)}
