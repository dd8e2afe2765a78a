"""Rows of the nominations and their audit trail of status changes.

The rules (quotas, who may move a nomination where) live in `thidua.ledger.nominations`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from thidua.ledger.statuses import NominationStatus
from thidua.store.models import Nomination, NominationEvent, utcnow


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


def add_nomination(
    session: Session, *, nomination: Nomination, actor: str, at: datetime | None = None
) -> Nomination:
    """Insert a nomination and its first event (who handed it in); flushed, not committed.

    `at`: when it is recorded (the caller's clock; now when not given)."""
    session.add(nomination)
    session.flush()
    assert nomination.id is not None
    session.add(
        NominationEvent(
            nomination_id=nomination.id,
            from_status=None,
            to_status=nomination.status,
            actor=actor,
            at=at or utcnow(),  # when it was recorded; submitted_at says when it was handed in
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


def nominations_of_unit(session: Session, *, unit_code: str) -> list[Nomination]:
    """One unit's nominations in every campaign, oldest first (its portal page)."""
    statement = select(Nomination).where(col(Nomination.unit_code) == unit_code)
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
    at: datetime | None = None,
) -> Nomination | None:
    """Move a nomination still in `from_status` and write the event; None if it was not.

    The status is compared in the UPDATE itself, so two reviewers acting at once
    cannot both move it from the same status. `at`: the caller's clock (now when not given).
    """
    now = at or utcnow()
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
