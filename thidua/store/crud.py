"""Reading and writing the state store: keyword-only functions that take the session first.

Writes are upserts on the natural keys (INSERT … ON CONFLICT), so two workers
recording the same fact never trip over the UNIQUE constraints. Committing is the
caller's job (`thidua.store.db.session_scope`), except for `claim_delivery` and
`finish_delivery`, whose whole point is to be durable before and after a send.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import delete, func, update
from sqlmodel import Session, SQLModel, col, select

from thidua.errors import ThiduaError, UnknownCampaign

# The delivery records live in `thidua.ledger.deliveries`; re-exported for existing callers.
from thidua.ledger.deliveries import (  # noqa: F401
    CLAIM_LEASE,
    UNCERTAIN_TAKEOVER,
    claim_delivery,
    contact_fingerprint,
    deliveries_for,
    finish_delivery,
    mark_sending,
    next_resend,
    reached,
)
from thidua.store.models import (
    ActionRecord,
    ActionStatus,
    CampaignRecord,
    CampaignStatus,
    CampaignUnit,
    Nomination,
    NominationEvent,
    NominationStatus,
    OutboxMessage,
    Submission,
    SubmissionTiming,
    UnitRecord,
    UnitRole,
    utcnow,
)

if TYPE_CHECKING:
    from thidua.campaign.plan import Action

M = TypeVar("M", bound=SQLModel)

_UNIT_FIELDS = ("code", "name", "kind", "supervisor", "headcount", "contacts")
#: Rows per multi-row INSERT: SQLite allows 32,766 bound parameters, 7 per unit.
_UNITS_PER_STATEMENT = 500


# --- helpers ----------------------------------------------------------------------


def _insert(session: Session, model: type[SQLModel]) -> Any:
    """A dialect-specific INSERT for `model`, which has ON CONFLICT clauses."""
    # Imported here: each dialect module costs ~20 ms of every CLI call that needs neither.
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(model)
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(model)
    # A user-set THIDUA_DATABASE_URL (MySQL, say) must end in a clear message, not a traceback.
    raise ThiduaError(f"kho trạng thái chỉ hỗ trợ SQLite và PostgreSQL, không hỗ trợ “{dialect}”")


def _upsert(
    session: Session,
    model: type[M],
    *,
    key: Mapping[str, Any],
    insert: Mapping[str, Any],
    update: Mapping[str, Any],
) -> M:
    """Insert `key | insert`, or on a key conflict set `update`; the row as it is now."""
    session.flush()  # pending ORM changes first, so the statement sees them
    # Fields left out get the models' defaults: SQLModel makes them Column defaults.
    stmt = _insert(session, model).values({**key, **insert, **update})
    stmt = (
        stmt.on_conflict_do_update(index_elements=list(key), set_=dict(update))
        if update
        else stmt.on_conflict_do_nothing(index_elements=list(key))
    )
    session.exec(stmt)
    return _reload(session, model, key)


def _reload(session: Session, model: type[M], key: Mapping[str, Any]) -> M:
    """The row of `model` with `key`, refreshing any copy the session already holds."""
    statement = select(model).filter_by(**key)
    return session.exec(statement, execution_options={"populate_existing": True}).one()


def _field(item: Any, name: str, index: int) -> Any:
    if isinstance(item, Mapping):
        return item.get(name)
    if isinstance(item, Sequence) and not isinstance(item, str):
        return item[index] if index < len(item) else None
    return getattr(item, name, None)


def _plain(value: Any) -> Any:
    """An enum member as its value, so units' kinds are stored as plain strings."""
    return getattr(value, "value", value)


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
    return _upsert(
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
            "kind": _plain(kind),
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
        stmt = _insert(session, UnitRecord).values(chunk)
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
        _insert(session, CampaignUnit)
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
        "kind": _plain(action.kind),
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
        fields["kind"] = _plain(fields["kind"])
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
        return _reload(session, ActionRecord, key_fields)
    return _upsert(session, ActionRecord, key=key_fields, insert={}, update=fields)


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
    return {str(_plain(status)): count for status, count in session.exec(statement)}


# --- submissions ------------------------------------------------------------------


def record_submission(
    session: Session,
    *,
    campaign_code: str,
    milestone: str,
    occurrence: str,
    unit_code: str,
    submitted_at: datetime,
    timing: SubmissionTiming | str = SubmissionTiming.ON_TIME,
    note: str | None = None,
    **fields: Any,
) -> Submission:
    """Record that a unit submitted; recording the same unit again replaces the record.

    `fields` are the other Submission columns (requirement, files, figures, source,
    recorded_by); unknown names are a TypeError.
    """
    unknown = set(fields) - set(Submission.model_fields) | ({"id"} & set(fields))
    if unknown:
        raise TypeError(f"record_submission: unknown fields {sorted(unknown)}")
    values = {
        "submitted_at": submitted_at,
        "timing": SubmissionTiming(timing).value,
        "note": note,
        "recorded_at": utcnow(),
        **fields,
    }
    return _upsert(
        session,
        Submission,
        key={
            "campaign_code": campaign_code,
            "milestone": milestone,
            "occurrence": occurrence,
            "unit_code": unit_code,
        },
        insert={},
        update=values,
    )


def submitted_units(
    session: Session, *, campaign_code: str, milestone: str, occurrence: str
) -> set[str]:
    """Codes of the units that submitted for one occurrence of a milestone."""
    statement = select(Submission.unit_code).where(
        col(Submission.campaign_code) == campaign_code,
        col(Submission.milestone) == milestone,
        col(Submission.occurrence) == occurrence,
    )
    return set(session.exec(statement))


def get_submission(
    session: Session, *, campaign_code: str, milestone: str, occurrence: str, unit_code: str
) -> Submission | None:
    """The unit's submission for one milestone occurrence, or None."""
    statement = select(Submission).where(
        col(Submission.campaign_code) == campaign_code,
        col(Submission.milestone) == milestone,
        col(Submission.occurrence) == occurrence,
        col(Submission.unit_code) == unit_code,
    )
    return session.exec(statement).first()


def add_submission(
    session: Session,
    *,
    campaign_code: str,
    milestone: str,
    occurrence: str,
    unit_code: str,
    submitted_at: datetime,
    timing: SubmissionTiming | str = SubmissionTiming.ON_TIME,
    replace: bool = False,
    unit_name: str | None = None,
    **fields: Any,
) -> Submission:
    """Record a new submission; DuplicateSubmission when the unit already has one, unless `replace`.

    `fields` are the other Submission columns (requirement, files, figures, source,
    recorded_by, note); `unit_name` only words the duplicate error.
    """
    from thidua.ledger.duplicates import DuplicateSubmission

    where = {
        "campaign_code": campaign_code,
        "milestone": milestone,
        "occurrence": occurrence,
        "unit_code": unit_code,
    }
    if replace:
        return record_submission(
            session, **where, submitted_at=submitted_at, timing=timing, **fields
        )
    existing = get_submission(session, **where)
    if existing is not None:
        raise DuplicateSubmission(existing, unit_name=unit_name)
    unknown = set(fields) - set(Submission.model_fields) | ({"id"} & set(fields))
    if unknown:
        raise TypeError(f"add_submission: unknown fields {sorted(unknown)}")
    session.flush()
    # DO NOTHING, not a savepoint: a concurrent writer of the same key makes this a no-op
    # that we report as the duplicate it is (pysqlite savepoints are unreliable).
    inserted = session.exec(
        _insert(session, Submission)
        .values(
            {
                **where,
                "submitted_at": submitted_at,
                "timing": SubmissionTiming(timing).value,
                "recorded_at": utcnow(),
                **fields,
            }
        )
        .on_conflict_do_nothing(index_elements=list(where))
        .returning(col(Submission.id))
    ).scalar()
    if inserted is None:
        existing = get_submission(session, **where)
        assert existing is not None
        raise DuplicateSubmission(existing, unit_name=unit_name)
    return _reload(session, Submission, {"id": inserted})


def submissions_for(
    session: Session,
    *,
    campaign_code: str,
    milestone: str | None = None,
    occurrence: str | None = None,
) -> list[Submission]:
    """The campaign's submissions (of one milestone / occurrence, if given), by milestone,
    occurrence, then submission time."""
    statement = select(Submission).where(col(Submission.campaign_code) == campaign_code)
    if milestone is not None:
        statement = statement.where(col(Submission.milestone) == milestone)
    if occurrence is not None:
        statement = statement.where(col(Submission.occurrence) == occurrence)
    statement = statement.order_by(
        col(Submission.milestone),
        col(Submission.occurrence),
        col(Submission.submitted_at),
        col(Submission.unit_code),
    )
    return list(session.exec(statement))


# --- nominations ------------------------------------------------------------------


def lock_nominations(session: Session, *, campaign_code: str) -> None:
    """Serialise nominating in one campaign until the transaction ends (quotas count rows).

    PostgreSQL: a transaction-scoped advisory lock per campaign. SQLite: a write that
    touches no row still takes the database's write lock, which is one per database.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.exec(
            select(func.pg_advisory_xact_lock(func.hashtext(f"thidua-nominations|{campaign_code}")))
        )
    else:
        session.exec(update(Nomination).where(col(Nomination.id) == -1).values(id=-1))


def add_nomination(session: Session, *, nomination: Nomination, actor: str) -> Nomination:
    """Insert a nomination and its first event (who handed it in); flushed, not committed."""
    session.add(nomination)
    session.flush()
    assert nomination.id is not None
    session.add(
        NominationEvent(
            nomination_id=nomination.id,
            from_status=None,
            to_status=nomination.status,
            actor=actor,
            at=utcnow(),  # when it was recorded; submitted_at says when it was handed in
        )
    )
    session.flush()
    return nomination


def get_nomination(session: Session, *, nomination_id: int) -> Nomination | None:
    """The nomination with this id, as stored now."""
    return session.exec(
        select(Nomination).where(col(Nomination.id) == nomination_id),
        execution_options={"populate_existing": True},
    ).first()


def nominations_for(
    session: Session,
    *,
    campaign_code: str,
    unit_code: str | None = None,
    status: NominationStatus | str | None = None,
    award: str | None = None,
) -> list[Nomination]:
    """The campaign's nominations (of one unit, status, award if given), oldest first."""
    statement = select(Nomination).where(col(Nomination.campaign_code) == campaign_code)
    if unit_code is not None:
        statement = statement.where(col(Nomination.unit_code) == unit_code)
    if status is not None:
        statement = statement.where(col(Nomination.status) == NominationStatus(status))
    if award is not None:
        statement = statement.where(col(Nomination.award) == award)
    return list(session.exec(statement.order_by(col(Nomination.id))))


def find_nominee(
    session: Session,
    *,
    campaign_code: str,
    nominee_kind: str,
    nominee_key: str,
    achievement_key: str,
) -> Nomination | None:
    """The nomination already made for this nominee and achievement (folded keys), if any."""
    return session.exec(
        select(Nomination).where(
            col(Nomination.campaign_code) == campaign_code,
            col(Nomination.nominee_kind) == nominee_kind,
            col(Nomination.nominee_key) == nominee_key,
            col(Nomination.achievement_key) == achievement_key,
        )
    ).first()


def set_nomination_status(
    session: Session,
    *,
    nomination_id: int,
    from_status: NominationStatus | str,
    to_status: NominationStatus | str,
    actor: str,
    reason: str | None = None,
    documents: list[dict[str, Any]] | None = None,
) -> Nomination | None:
    """Move a nomination still in `from_status` and write the event; None if it was not.

    The status is compared in the UPDATE itself, so two reviewers acting at once
    cannot both move it from the same status.
    """
    now = utcnow()
    values: dict[str, Any] = {"status": NominationStatus(to_status), "updated_at": now}
    if documents is not None:
        values["documents"] = documents
    result = session.exec(
        update(Nomination)
        .where(
            col(Nomination.id) == nomination_id,
            col(Nomination.status) == NominationStatus(from_status),
        )
        .values(values)
    )
    if result.rowcount != 1:
        return None
    session.add(
        NominationEvent(
            nomination_id=nomination_id,
            from_status=NominationStatus(from_status),
            to_status=NominationStatus(to_status),
            actor=actor,
            reason=reason,
            at=now,
        )
    )
    session.flush()
    return get_nomination(session, nomination_id=nomination_id)


def nomination_events(session: Session, *, nomination_id: int) -> list[NominationEvent]:
    """The audit trail of one nomination, oldest first."""
    statement = select(NominationEvent).where(col(NominationEvent.nomination_id) == nomination_id)
    return list(session.exec(statement.order_by(col(NominationEvent.id))))


# --- outbox -----------------------------------------------------------------------


def add_outbox_message(
    session: Session,
    *,
    mailbox: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    unit_code: str | None = None,
    campaign_code: str | None = None,
    action_key: str | None = None,
    eml_path: str | None = None,
) -> OutboxMessage:
    """Keep a message in the local outbox."""
    message = OutboxMessage(
        mailbox=mailbox,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        unit_code=unit_code,
        campaign_code=campaign_code,
        action_key=action_key,
        eml_path=None if eml_path is None else str(eml_path),
    )
    session.add(message)
    session.flush()
    return message


def outbox_messages(
    session: Session, *, mailbox: str | None = None, campaign_code: str | None = None
) -> list[OutboxMessage]:
    """Outbox messages, oldest first, optionally of one mailbox and/or campaign."""
    statement = select(OutboxMessage)
    if mailbox is not None:
        statement = statement.where(col(OutboxMessage.mailbox) == mailbox)
    if campaign_code is not None:
        statement = statement.where(col(OutboxMessage.campaign_code) == campaign_code)
    return list(session.exec(statement.order_by(col(OutboxMessage.id))))
